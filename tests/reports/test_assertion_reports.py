"""Per-assertion outcomes in a run's reports (issue 23): results.json keeps them (read back as
written), summary.md and report.html list which assertion failed and why, critical-assertion
regressions first, and an answer quoted in an assertion's reason stays text.

The records are made as a run makes them: a real suite (files written by the test) judged by
:func:`releasegate.gate.judging.judge` against a real baseline file; the reports are written by
:class:`RunReport` and :func:`write_page` into tmp_path. The whole run through pytest is
``tests/pytest_plugin/test_assertion_regressions.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from page_parsing import parse

from releasegate.core.records import CaseRecord, Prediction, load_run
from releasegate.gate.baselines import BaselineStore
from releasegate.gate.judging import judge, pytest_outcome
from releasegate.reports.html import write_page
from releasegate.reports.writers import RunReport
from tiny_project import contains_suite

HOSTILE = 'a|b <script>window.pwned=1</script><img src=x onerror="window.pwned=2">'

CASES = [
    {
        "id": "a_plain",
        "input": "refund?",
        "expected": "7 days",
        "assert": [{"type": "not-contains", "value": "cash on delivery", "name": "no-cod"}],
    },
    {
        "id": "b_json",
        "input": "order?",
        "assert": [{"type": "json_schema", "value": {"type": "object"}, "name": "json"}],
    },
    {
        "id": "z_rival",
        "input": "kettles?",
        "expected": "yes",
        "assert": [
            {"type": "not-contains", "value": "MegaMart", "name": "no-rival", "critical": True}
        ],
    },
]
ANSWERS = {"a_plain": "7 days, or cash on delivery", "b_json": HOSTILE, "z_rival": "MegaMart"}
BASELINE = {
    "a_plain": {"outcome": "passed", "answer": "7 days", "assertions": {"no-cod": "pass"}},
    "b_json": {"outcome": "passed", "answer": "{}", "assertions": {"json": "pass"}},
    "z_rival": {"outcome": "failed", "answer": "no", "assertions": {"no-rival": "pass"}},
}


def _records(tmp_path: Path) -> list[CaseRecord]:
    suite = contains_suite(tmp_path, CASES, suite="shop")
    (tmp_path / "baselines").mkdir()
    document = {"suite": "shop", "metrics": {}, "cases": BASELINE}
    (tmp_path / "baselines" / "shop.json").write_text(json.dumps(document), encoding="utf-8")
    baseline = BaselineStore(tmp_path / "baselines").load("shop")
    assert baseline is not None
    records = []
    for case in suite.cases:
        prediction = Prediction(case.id, ANSWERS[case.id], 3, 0.0, False)
        verdict = judge(suite, case, prediction, baseline.cases[case.id])
        assert pytest_outcome(verdict) == "failed"  # all three FAIL, each for its own reason
        records.append(verdict.to_record())
    return records


def _run(tmp_path: Path) -> tuple[Path, list[CaseRecord]]:
    records = _records(tmp_path)
    report = RunReport(run_id="r1", directory=tmp_path / "reports" / "r1")
    for record in records:
        report.add(f"model_tests/test_golden.py::test_case[{record.key}]", record, "failed")
        report.count("failed")
    run = report.record(settings={}, commit=None)
    folder = report.write_record(run)
    write_page(folder, run=run, exit_status=1)
    return folder, records


def test_results_json_keeps_each_assertion(tmp_path: Path) -> None:
    folder, records = _run(tmp_path)
    read = {c.key: c for c in load_run(folder / "results.json").cases}
    for record in records:
        assert read[record.key].assertions == record.assertions
        assert read[record.key].unscored == record.unscored
    rival = read["shop/z_rival"].assertions
    assert {"name": "no-rival", "critical": True, "baseline": "pass"}.items() <= rival[-1].items()
    assert read["shop/b_json"].unscored


def test_summary_lists_the_failed_assertions_critical_first(tmp_path: Path) -> None:
    folder, _ = _run(tmp_path)
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    failing = summary[summary.index("## Failing cases") :]
    assert (
        "3 failing case(s), 1 of them on a critical assertion that passed on the baseline, "
        "1 unscored (could not be judged)" in failing
    )
    # z_rival sorts last by key, and is listed first: a critical-assertion regression.
    keys = [line.split("`")[1] for line in failing.splitlines() if line.startswith("- `")]
    assert keys == ["shop/z_rival", "shop/a_plain", "shop/b_json"]
    assert "- `shop/z_rival` (regression, critical no-rival):" in failing
    assert "  - no-cod (not-contains): fail: found 'cash on delivery'; passed on the baseline" in (
        failing
    )
    assert "- `shop/b_json` (regression, unscored):" in failing
    # The answer quoted in the unscored reason is text, not markup, and no table is broken.
    assert "<script>" not in summary and "<img" not in summary
    assert "&lt;script&gt;" in summary and "\\|" in summary


def test_page_shows_each_case_assertions_critical_first(tmp_path: Path) -> None:
    folder, _ = _run(tmp_path)
    html = (folder / "report.html").read_text(encoding="utf-8")
    parsed = parse(html)
    # the answer quoted in a reason stays text: no <img> and one <script> (the page's own)
    assert not any(tag == "img" for tag, _ in parsed.tags)
    assert sum(1 for tag, _ in parsed.tags if tag == "script") == 1
    text = "".join(parsed.text)
    assert "window.pwned=1" in text  # shown, as text
    changed = [a["data-key"] for tag, a in parsed.tags if tag == "div" and "data-key" in a]
    assert changed == ["shop/z_rival", "shop/a_plain", "shop/b_json"]
    assert "3 regressions (1 on a critical assertion)" in " ".join(text.split())
    assert "critical assertion no-rival passed on the baseline, fails now" in text
    assert "unscored: could not be judged" in text
    assert "regression (unscored)" in text  # b_json's verdict, styled as a regression:
    classes = [a.get("class") or "" for _, a in parsed.tags]
    assert not any("(" in c for c in classes)
    assert "assertions: 0 of 2 passed" in text  # z_rival: its check and its must-not
    assert "fail (passed on the baseline)" in text
    # Each failing case's assertion table is open: its rows are what the reader came for.
    details = [a for tag, a in parsed.tags if tag == "details" and a.get("class") == "assertions"]
    assert len(details) == 3 and all("open" in a for a in details)
