"""The judge model in a run's reports (issue 24): each judged case's score and reason, and each
suite's judge (model, self-judge warning, calibration status, calls and cache hits) in
summary.md, report.html and the terminal's lines; a judge's reason stays text.

The records are the ``results.json`` blocks a run writes (tests/report_data.py), read back as
:func:`releasegate.core.records.load_run` reads them; the whole run through pytest, with a judge
server on loopback, is ``tests/judge/test_judged_runs.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from page_parsing import parse

from releasegate.core.records import CaseRecord, JudgeRecord, JudgeSummary, load_run
from releasegate.reports.html import write_page
from releasegate.reports.judge_report import (
    JUDGED_LISTED,
    judge_counts,
    judge_lines,
    judge_text,
)
from releasegate.reports.writers import RunReport
from report_data import JUDGE, JUDGED


def _case(case_id: str, judged: dict[str, Any] | None, outcome: str = "passed") -> CaseRecord:
    return CaseRecord(
        suite="shop",
        id=case_id,
        key=f"shop/{case_id}",
        source="shop.jsonl:1",
        tags=(),
        critical=False,
        input=f"question {case_id}",
        expected="7 days",
        prompt=f"question {case_id}",
        answer=f"answer {case_id}",
        check="judge",
        passed=outcome == "passed",
        check_passed=outcome == "passed",
        reason=f"reason {case_id}",
        score=None,
        prediction=None,
        status="passed" if outcome == "passed" else "failed",
        baseline=None,
        baseline_answer=None,
        output_tokens=3,
        seconds=0.1,
        cached=True,
        judge=None if judged is None else JudgeRecord.from_json(judged),
    )


UNSCORED = {
    **JUDGED,
    "scores": None,
    "overall": None,
    "passed": None,
    "unscored": True,
    "reason": "no JSON object and no final 'Score: N' line",
    "cached": False,
}
PASSING = {
    **JUDGED,
    "scores": {"correctness": 5.0, "tone": 4.0},
    "overall": 4.5,
    "passed": True,
    "reason": "right and polite",
}


def _run(tmp_path: Path, *, judge: dict[str, Any] | None = JUDGE) -> Path:
    report = RunReport(run_id="r1", directory=tmp_path / "r1")
    report.add("t[shop/a]", _case("a", PASSING), "passed")
    report.add("t[shop/b]", _case("b", JUDGED, "failed"), "failed")
    report.add("t[shop/c]", _case("c", UNSCORED, "failed"), "failed")
    report.add("t[shop/d]", _case("d", None), "passed")
    for suite, data in (judge or {}).items():
        report.add_judge(suite, JudgeSummary.from_json(data))
    report.count("passed")
    return report.write(settings={"model": "m"}, root=tmp_path)


def test_summary_md_has_the_judge_section_and_each_judged_cases_score_and_reason(
    tmp_path: Path,
) -> None:
    summary = (_run(tmp_path) / "summary.md").read_text(encoding="utf-8")
    section = summary[summary.index("## Judge model") :]
    assert "judge: 3 calls, 5 cached" in section
    row = next(line for line in section.splitlines() if line.startswith("| shop |"))
    assert "advisory: kappa 0.31 on 58 answers, below 0.6" in row and "| 3 | 5 |" in row
    assert "**shop: the judge is the model under test (allow_self_judge: true)**" in section
    assert "&lt;i&gt;judge&lt;/i&gt;-7b" in row  # text, not markup
    cases = [line for line in section.splitlines() if line.startswith("| `shop/")]
    # the unscored first, then below the pass mark, then the rest; an unjudged case is absent
    assert [line.split("`")[1] for line in cases] == ["shop/c", "shop/b", "shop/a"]
    assert "unscored: no JSON object" in cases[0]
    assert "3 (below the pass mark)" in cases[1]
    assert "correctness 2, tone 4" in cases[1] and "says 14 days" in cases[1]
    assert "<script>" not in section


def test_the_page_shows_the_judge_section_the_self_judge_warning_and_each_judged_case(
    tmp_path: Path,
) -> None:
    folder = _run(tmp_path)
    page = write_page(folder, run=load_run(folder)).read_text(encoding="utf-8")
    parsed = parse(page)
    assert not any(tag == "script" and attrs.get("src") for tag, attrs in parsed.tags)
    assert len([1 for tag, _ in parsed.tags if tag == "script"]) == 1  # the page's own
    # the self-judge warning at the top, before the suites
    assert page.index("judge-note") < page.index('id="suites"')
    assert "shop: the judge is the model under test" in page[: page.index('id="suites"')]
    section = page[page.index('id="judge"') :]
    section = section[: section.index("</table>")]
    for shown in ("&lt;i&gt;judge&lt;/i&gt;-7b (openai)", "advisory: kappa 0.31", ">3<", ">5<"):
        assert shown in section, shown
    table = page[page.index('id="cases-table"') :]
    row_b = table[table.index("shop/b") :].split("<tr", 1)[0]
    assert "judge: 3 (correctness 2, tone 4), below the pass mark: says 14 days" in row_b
    assert "&lt;script&gt;window.pwned=3" in row_b
    assert "judge:" not in table[table.index("shop/d") :].split("<tr", 1)[0]
    changed = page[page.index('id="changed"') : page.index('id="cases"')]
    assert "unscored: no JSON object" in changed  # the failing case's details


def test_without_a_judge_no_report_has_a_judge_section(tmp_path: Path) -> None:
    folder = _run(tmp_path, judge={})
    assert "## Judge model" not in (folder / "summary.md").read_text(encoding="utf-8")
    assert "judge" not in json.loads((folder / "results.json").read_text(encoding="utf-8"))
    page = write_page(folder, run=load_run(folder)).read_text(encoding="utf-8")
    assert 'id="judge"' not in page and "judge-note" not in page
    assert judge_lines({}) == []


def test_the_terminal_says_the_runs_judge_calls_and_each_suites_status() -> None:
    summaries = {
        "shop": JudgeSummary.from_json(JUDGE["shop"]),
        "faq": JudgeSummary.from_json({**JUDGE["shop"], "calls": 0, "cache_hits": 4, "notes": []}),
    }
    assert judge_counts(summaries) == (3, 9)
    lines = judge_lines(summaries)
    assert lines[0] == ("judge: 3 calls, 9 cached", False)
    assert (
        "shop: judge <i>judge</i>-7b (openai), advisory: kappa 0.31 on 58 answers, below 0.6",
        False,
    ) in lines
    assert ("    the judge is the model under test (allow_self_judge: true)", True) in lines
    assert [line for line, warning in lines if warning] == [
        "    the judge is the model under test (allow_self_judge: true)"
    ]


def test_an_advisory_verdict_says_why_it_did_not_count() -> None:
    record = JudgeRecord.from_json({**PASSING, "advisory": "advisory: not calibrated"})
    assert judge_text(record) == (
        "4.5 (correctness 5, tone 4), meets the pass mark: right and polite "
        "[advisory: not calibrated]"
    )


def test_summary_md_lists_the_first_judged_cases_and_counts_the_rest(tmp_path: Path) -> None:
    report = RunReport(run_id="r2", directory=tmp_path / "r2")
    for i in range(JUDGED_LISTED + 3):
        report.add(f"t[shop/{i:04}]", _case(f"{i:04}", PASSING), "passed")
    report.add_judge("shop", JudgeSummary.from_json(JUDGE["shop"]))
    summary = (report.write(settings={}, root=tmp_path) / "summary.md").read_text()
    assert summary.count("| `shop/") == JUDGED_LISTED
    assert "... and 3 more in results.json" in summary
