"""Per-assertion regressions in a real pytest run of a tiny project (issue 23).

The run uses ``benchmarks/instant_backend.py``, a model answering from a table (as
``tests/gate/test_known_failure.py`` does): the test decides each answer, so each case lands in
the state under test. The baseline is written by hand, in the format a run writes: cases with
each assertion's outcome, and one case in the format written before assertions existed.

What is checked is what a user sees: pytest's outcome for each case (results.json, the xfail
marks set at collection), the failure message naming the assertion, the junit properties, the
terminal summary and summary.md listing the critical-assertion regression first, the page's
assertion table; and that ``--update-baseline`` records each assertion's outcome, read back.
"""

from __future__ import annotations

import json
import os
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from releasegate.core.records import load_run
from releasegate.gate.baselines import BaselineStore
from tiny_project import INSTANT_BACKEND, instant_config, write_instant_model, write_project

MANIFEST = textwrap.dedent(
    """
    name: shop
    cases: shop.jsonl
    check: contains
    """
)

NO_COD = {"type": "not-contains", "value": "cash on delivery", "name": "no-cod"}
NO_RIVAL = {"type": "not-contains", "value": "MegaMart", "name": "no-rival", "critical": True}
SHORT = {"type": "length", "max": 80, "name": "short"}
SCHEMA = {"type": "json_schema", "value": {"type": "object", "required": ["order"]}}

CASES = [
    # passed on the baseline, its must-not fails now: an ordinary regression, named
    {"id": "cod", "input": "Refund period?", "expected": "7 days", "assert": [NO_COD]},
    # failed on the baseline (a known failure), its critical must-not passed there, fails now
    {"id": "rival", "input": "Do you sell kettles?", "expected": "yes", "assert": [NO_RIVAL]},
    # failed on the baseline, a non-critical must-not newly fails: still a known failure
    {"id": "still", "input": "Do you ship abroad?", "expected": "yes", "assert": [SHORT]},
    # no JSON in the answer: unscored, never a pass, and not a known failure either
    {"id": "unscored", "input": "Order as JSON?", "assert": [SCHEMA]},
    # passes; its baseline entry is in the format written before assertions existed
    {"id": "old", "input": "Open on Sunday?", "expected": "no", "assert": [NO_COD]},
]

ANSWERS = {
    "Refund period?": "Refunds take 7 days, and cash on delivery is fine.",
    "Do you sell kettles?": "No, buy one at MegaMart.",
    "Do you ship abroad?": "No. " + "We only ship within the country, sorry about that. " * 3,
    "Order as JSON?": "I cannot write JSON.",
    "Open on Sunday?": "No, closed on Sunday.",
}

BASELINE = {
    "suite": "shop",
    "metrics": {},
    "cases": {
        "cod": {
            "outcome": "passed",
            "answer": "Refunds take 7 days.",
            "assertions": {"check (contains)": "pass", "no-cod": "pass"},
        },
        "rival": {
            "outcome": "failed",
            "answer": "No.",
            "assertions": {"check (contains)": "fail", "no-rival": "pass"},
        },
        "still": {
            "outcome": "failed",
            "answer": "No.",
            "assertions": {"check (contains)": "fail", "short": "pass"},
        },
        "unscored": {"outcome": "failed", "answer": "no", "assertions": {}},
        "old": {"outcome": "passed", "answer": "No."},
    },
}


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    paths = [str(INSTANT_BACKEND), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    config = instant_config("./fake-model", pytester.path / "cache")
    write_project(pytester.path, config=config, manifest=MANIFEST, cases=CASES, suite="shop")
    write_instant_model(pytester.path / "fake-model", ANSWERS)
    baselines = pytester.path / "fixtures" / "baselines"
    baselines.mkdir(parents=True)
    (baselines / "shop.json").write_text(json.dumps(BASELINE), encoding="utf-8")
    return pytester.path


def test_assertion_regressions_in_a_real_run(pytester: pytest.Pytester, project: Path) -> None:
    result = pytester.runpytest_subprocess("model_tests", "-p", "no:cacheprovider", "-k", "case")
    out = result.stdout.str()
    run = load_run(project / "reports" / "latest" / "results.json")
    cases = {c.id: c for c in run.cases}
    assert {k: c.outcome for k, c in cases.items()} == {
        "cod": "failed",  # an ordinary regression: passed on the baseline
        "rival": "failed",  # marked xfail at collection, yet FAILED: a critical regression
        "still": "xfailed",  # a known failure, its non-critical must-not newly failing
        "unscored": "failed",  # marked xfail at collection, yet FAILED: could not be judged
        "old": "passed",  # an old-format baseline entry reads
    }, out
    assert cases["rival"].status == "regression"
    assert cases["unscored"].status == "failed" and cases["unscored"].unscored
    assert cases["still"].status == "known failure"

    # The failure messages name the assertions that passed on the baseline and fail now.
    assert "shop/cod regression: no-cod passed on the baseline, fails now" in out
    assert "shop/rival regression: critical no-rival passed on the baseline, fails now" in out
    assert "- no-rival (not-contains, critical): fail:" in out
    assert "shop/unscored unscored: could not be judged" in out
    # Raised as what a known failure's xfail mark (raises=WrongAnswer) does not accept.
    assert "test_case[shop/rival] - CriticalRegression" in out
    assert "test_case[shop/unscored] - UnscoredCase" in out
    assert "no JSON object found" in out

    # The records keep each assertion with its outcome on the baseline.
    rival = {a["name"]: a for a in cases["rival"].assertions}
    assert rival["no-rival"]["outcome"] == "fail"
    assert rival["no-rival"]["baseline"] == "pass"
    assert rival["no-rival"]["critical"] is True
    assert all("baseline" not in a for a in cases["old"].assertions)

    # The terminal summary counts them and lists the critical-assertion regression first.
    lines = out.splitlines()
    count = "3 failing case(s), 1 of them on a critical assertion that passed on the baseline, "
    count += "1 unscored (could not be judged):"
    start = lines.index(count)
    assert lines[start + 1 : start + 4] == [
        "  shop/rival (regression, critical no-rival)",
        "  shop/cod (regression)",
        "  shop/unscored (failed, unscored)",
    ], out

    # junit.xml: one property per assertion on each case test.
    tree = ET.parse(project / "reports" / "latest" / "junit.xml")
    props = {
        case.get("name"): {p.get("name"): p.get("value", "") for p in case.iter("property")}
        for case in tree.iter("testcase")
    }
    rival_props = next(v for k, v in props.items() if k and "rival" in k)
    assert rival_props["assertion:no-rival"].startswith("fail: ")
    assert rival_props["assertion:check (contains)"].startswith("fail: ")
    cod_props = next(v for k, v in props.items() if k and "cod" in k)
    assert cod_props["assertion:no-cod"].startswith("fail: ")

    # summary.md: the same order, each failed assertion and why.
    summary = (project / "reports" / "latest" / "summary.md").read_text(encoding="utf-8")
    failing = summary[summary.index("## Failing cases") :]
    assert failing.index("`shop/rival`") < failing.index("`shop/cod`")
    assert "- no-rival (not-contains, critical): fail: " in failing
    assert "; passed on the baseline" in failing
    assert "1 of them on a critical assertion" in failing

    # The page: the case's assertion table, the critical regression said and listed first.
    page = (project / "reports" / "latest" / "report.html").read_text(encoding="utf-8")
    changed = page[page.index('id="changed"') : page.index('id="cases"')]
    assert changed.index('data-key="shop/rival"') < changed.index('data-key="shop/cod"')
    assert "critical assertion no-rival passed on the baseline, fails now" in changed
    assert '<td>no-rival <span class="tag">critical</span></td>' in changed
    assert "1 on a critical assertion" in page


def test_update_baseline_records_each_assertion(pytester: pytest.Pytester, project: Path) -> None:
    result = pytester.runpytest_subprocess(
        "model_tests", "-p", "no:cacheprovider", "-k", "case", "--update-baseline"
    )
    out = result.stdout.str()
    # --update-baseline judges against no baseline: wrong answers are recorded as known
    # failures (XFAIL); a failing critical assertion and an unscored case still fail, and the
    # baseline is written all the same.
    run = load_run(project / "reports" / "latest" / "results.json")
    outcomes = {c.id: c.outcome for c in run.cases}
    assert outcomes == {
        "cod": "xfailed",
        "rival": "failed",
        "still": "xfailed",
        "unscored": "failed",
        "old": "passed",
    }, out

    stored = json.loads((project / "fixtures" / "baselines" / "shop.json").read_text("utf-8"))
    assert stored["cases"]["cod"]["assertions"] == {"check (contains)": "pass", "no-cod": "fail"}
    assert stored["cases"]["old"]["assertions"] == {"check (contains)": "pass", "no-cod": "pass"}
    first_json_leaf = next(iter(stored["cases"]["unscored"]["assertions"].values()))
    assert first_json_leaf == "unscored"

    read = BaselineStore(project / "fixtures" / "baselines").load("shop")
    assert read is not None
    assert read.cases["rival"].assertions == {"check (contains)": "fail", "no-rival": "fail"}

    # The next run: the critical must-not failed on this baseline too, so it is no regression;
    # but a critical assertion must pass whatever the baseline says: still FAILED, never XFAIL.
    again = pytester.runpytest_subprocess("model_tests", "-p", "no:cacheprovider", "-k", "case")
    rerun = {c.id: c.outcome for c in load_run(project / "reports" / "latest").cases}
    assert rerun["rival"] == "failed", again.stdout.str()
    assert "test_case[shop/rival] - CriticalFailure" in again.stdout.str()
    assert rerun["cod"] == "xfailed"
