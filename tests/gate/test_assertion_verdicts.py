"""A case's verdict against a baseline that kept each assertion's outcome (issue 23).

Suites are real files (a manifest and its JSONL cases, written by each test) loaded as a run
loads them; baselines are real files read by :class:`BaselineStore`, one of them in the format
written before assertions existed. The verdict's status, the outcome pytest gives the case
test (:func:`pytest_outcome`, what the Trainer callback counts) and the failure message are
checked together on each state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from releasegate.core.records import Prediction
from releasegate.exceptions import BaselineError
from releasegate.gate.baselines import BaselineStore, CaseBaseline, SuiteBaseline
from releasegate.gate.judging import (
    critical_regressions,
    failure_message,
    judge,
    pytest_outcome,
)
from releasegate.golden.suites import Suite
from tiny_project import contains_suite

NO_COD = {"type": "not-contains", "value": "cash on delivery", "name": "no-cod"}
NO_RIVAL = {"type": "not-contains", "value": "MegaMart", "name": "no-rival", "critical": True}
SCHEMA = {"type": "json_schema", "value": {"type": "object"}, "name": "json"}
NOTE = {"type": "contains", "value": "thanks", "name": "polite", "weight": 0}


def _suite(tmp_path: Path, cases: list[dict[str, Any]]) -> Suite:
    return contains_suite(tmp_path, cases, suite="shop")


def _baseline(tmp_path: Path, cases: dict[str, Any]) -> SuiteBaseline:
    folder = tmp_path / "baselines"
    folder.mkdir(exist_ok=True)
    document = {"suite": "shop", "metrics": {}, "cases": cases}
    (folder / "shop.json").write_text(json.dumps(document), encoding="utf-8")
    baseline = BaselineStore(folder).load("shop")
    assert baseline is not None
    return baseline


def _verdict(suite: Suite, baseline: SuiteBaseline | None, case_id: str, answer: str) -> Any:
    case = next(c for c in suite.cases if c.id == case_id)
    before = baseline.cases.get(case_id) if baseline is not None else None
    return judge(suite, case, Prediction("prompt", answer, 5, 0.0, False), before)


def test_an_old_format_baseline_still_reads(tmp_path: Path) -> None:
    """A baseline in the format written before assertions existed (by hand, as it was)."""
    baseline = _baseline(
        tmp_path,
        {
            "q": {"outcome": "passed", "answer": "7 days", "score": 1.0},
            "r": {"outcome": "failed"},
        },
    )
    assert baseline.cases["q"] == CaseBaseline("passed", "7 days", 1.0)
    assert baseline.cases["r"].assertions == {}
    # A case judged against it is compared as a whole: a must-not failing now in a case that
    # passed there is a regression, without an assertion to name.
    suite = _suite(tmp_path, [{"id": "q", "input": "q?", "expected": "7 days", "assert": [NO_COD]}])
    verdict = _verdict(suite, baseline, "q", "7 days, cash on delivery")
    assert verdict.status == "regression"
    assert verdict.newly_failing == ()
    assert failure_message(verdict).startswith(
        "shop/q regression: passed on the baseline, fails now"
    )


def test_assertion_outcomes_are_written_and_read_back(tmp_path: Path) -> None:
    store = BaselineStore(tmp_path / "baselines")
    cases = {
        "q": CaseBaseline("failed", "a", None, {"check (contains)": "fail", "no-cod": "pass"}),
        "r": CaseBaseline("passed", "b"),
    }
    store.write(SuiteBaseline("shop", cases, {}))
    text = (tmp_path / "baselines" / "shop.json").read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["cases"]["q"]["assertions"] == {"check (contains)": "fail", "no-cod": "pass"}
    assert "assertions" not in document["cases"]["r"]  # none: the old format, unchanged
    assert BaselineStore(tmp_path / "baselines").load("shop") == SuiteBaseline("shop", cases, {})


def test_a_wrong_assertion_outcome_in_a_baseline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BaselineError) as caught:
        _baseline(tmp_path, {"q": {"outcome": "passed", "assertions": {"no-cod": "passed"}}})
    message = str(caught.value)
    assert "shop.json" in message and "assertions" in message
    assert "--update-baseline" in message


CASES = [
    {"id": "rival", "input": "kettles?", "expected": "yes", "assert": [NO_RIVAL, NOTE]},
    {"id": "cod", "input": "refund?", "expected": "7 days", "assert": [NO_COD]},
    {"id": "json", "input": "order?", "assert": [SCHEMA]},
]


@pytest.mark.parametrize(
    ("case_id", "before", "answer", "status", "outcome"),
    [
        # a known failure whose critical must-not passed on the baseline and fails now
        ("rival", ("failed", {"no-rival": "pass"}), "no, MegaMart", "regression", "failed"),
        # ... and one whose critical must-not failed there too: a critical assertion must pass
        # whatever the baseline says, so it fails plainly (not a regression, not known either)
        ("rival", ("failed", {"no-rival": "fail"}), "no, MegaMart", "failed", "failed"),
        # an old-format known failure: the same
        ("rival", ("failed", {}), "no, MegaMart", "failed", "failed"),
        # with its critical must-not holding, the case's other failure stays a known failure
        ("rival", ("failed", {"no-rival": "pass"}), "no", "known failure", "xfailed"),
        # a known failure whose non-critical must-not newly fails: still a known failure
        ("cod", ("failed", {"no-cod": "pass"}), "cash on delivery", "known failure", "xfailed"),
        # passed on the baseline, its must-not fails now: an ordinary regression
        ("cod", ("passed", {"no-cod": "pass"}), "7 days, cash on delivery", "regression", "failed"),
        # unscored: never a pass, never a known failure
        ("json", ("failed", {"json": "unscored"}), "no JSON here", "failed", "failed"),
        ("json", ("passed", {"json": "pass"}), "no JSON here", "regression", "failed"),
        ("json", None, "no JSON here", "failed", "failed"),
        ("json", ("failed", {"json": "unscored"}), '{"order": 1}', "improvement", "xpassed"),
    ],
)
def test_status_and_pytest_outcome_agree(
    tmp_path: Path,
    case_id: str,
    before: tuple[str, dict[str, str]] | None,
    answer: str,
    status: str,
    outcome: str,
) -> None:
    suite = _suite(tmp_path, CASES)
    baseline = None
    if before is not None:
        entry = {"outcome": before[0], "answer": "earlier", "assertions": before[1]}
        baseline = _baseline(tmp_path, {case_id: entry})
    verdict = _verdict(suite, baseline, case_id, answer)
    assert verdict.status == status
    assert pytest_outcome(verdict) == outcome
    record = verdict.to_record()
    assert record.status == status
    is_critical = status == "regression" and case_id == "rival"
    assert critical_regressions(record) == (("no-rival",) if is_critical else ())


def test_the_failure_message_lists_each_failing_assertion(tmp_path: Path) -> None:
    suite = _suite(tmp_path, CASES)
    baseline = _baseline(
        tmp_path,
        {"rival": {"outcome": "failed", "answer": "no", "assertions": {"no-rival": "pass"}}},
    )
    message = failure_message(_verdict(suite, baseline, "rival", "No, try MegaMart"))
    lines = message.splitlines()
    assert lines[0] == (
        "shop/rival regression: critical no-rival passed on the baseline, fails now "
        "(the case failed on the baseline for other reasons)"
    )
    assert "  assertions: 0 of 3 passed" in lines
    assert "    - check (contains) (check): fail: missing keywords: yes" in lines
    assert (
        "    - no-rival (not-contains, critical): fail: found 'MegaMart' "
        "[passed on the baseline]" in lines
    )
    assert any(
        line.startswith("    - polite (contains, weight 0: reported only): fail:") for line in lines
    )
    # The passed ones are counted, not listed.
    passing = failure_message(_verdict(suite, baseline, "rival", "No, thanks."))
    assert "  assertions: 2 of 3 passed" in passing.splitlines()
    assert "polite" not in passing


def test_a_regression_names_the_assertion_that_passed_on_the_baseline(tmp_path: Path) -> None:
    suite = _suite(tmp_path, CASES)
    baseline = _baseline(
        tmp_path,
        {
            "cod": {
                "outcome": "passed",
                "answer": "7 days",
                "assertions": {"check (contains)": "pass", "no-cod": "pass"},
            }
        },
    )
    verdict = _verdict(suite, baseline, "cod", "7 days, or cash on delivery")
    assert [a.name for a in verdict.newly_failing] == ["no-cod"]
    first = failure_message(verdict).splitlines()[0]
    assert first == "shop/cod regression: no-cod passed on the baseline, fails now"


def test_unscored_case_message_says_why(tmp_path: Path) -> None:
    suite = _suite(tmp_path, CASES)
    verdict = _verdict(suite, None, "json", "I cannot write that.")
    assert not verdict.passed and verdict.result.unscored
    lines = failure_message(verdict).splitlines()
    assert (
        lines[0]
        == "shop/json unscored: could not be judged, so it fails whatever the baseline says"
    )
    assert lines[2].startswith("  assertions: 0 of 1 passed")
    assert lines[3].startswith("    - json (json_schema): unscored: no JSON object found")
    assert "  expected: (no expected answer: judged by its assertions)" in lines
    assert verdict.to_record().unscored


def test_a_record_keeps_each_assertion_with_its_baseline_outcome(tmp_path: Path) -> None:
    suite = _suite(tmp_path, CASES)
    baseline = _baseline(
        tmp_path,
        {"cod": {"outcome": "passed", "answer": "7 days", "assertions": {"no-cod": "pass"}}},
    )
    record = _verdict(suite, baseline, "cod", "7 days, cash on delivery").to_record()
    by_name = {a["name"]: a for a in record.assertions}
    assert by_name["no-cod"] == {
        "name": "no-cod",
        "type": "not-contains",
        "outcome": "fail",
        "reason": "found 'cash on delivery'",
        "baseline": "pass",
    }
    assert "baseline" not in by_name["check (contains)"]  # not in the baseline: not invented
    # The next baseline keeps each outcome, not the baseline's.
    assert CaseBaseline.of(record).assertions == {"check (contains)": "pass", "no-cod": "fail"}
