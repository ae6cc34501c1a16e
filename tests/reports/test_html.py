"""The run's HTML page, read as HTML: what it shows, in which order, and that untrusted text
stays text. The page in a real browser is tests/reports/test_html_browser.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from page_parsing import parse

from releasegate.cli import main
from releasegate.core.records import CaseRecord, MetricRecord, RunRecord
from releasegate.exceptions import ReportError
from releasegate.reports.html import (
    DETAILED,
    FLIPS_SHOWN,
    ROWS_SHOWN,
    PerfRun,
    diff_segments,
    find_perf_run,
    load_results,
    render_page,
    resolve_run,
    write_page,
)
from releasegate.reports.writers import STEP_SUMMARY_BYTES, RunReport
from report_data import HISTORY, REVIEW, write_perf_run

HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> **bold** [a](b)'


def case(suite: str, case_id: str, outcome: str, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "case",
        "suite": suite,
        "id": case_id,
        "key": f"{suite}/{case_id}",
        "source": f"{suite}.jsonl:1",
        "tags": [],
        "critical": False,
        "input": f"question {case_id}",
        "expected": f"expected {case_id}",
        "prompt": f"question {case_id}",
        "answer": f"answer {case_id}",
        "check": "exact",
        "passed": outcome in ("passed", "xpassed"),
        "check_passed": outcome in ("passed", "xpassed"),
        "reason": f"reason {case_id}",
        "score": None,
        "prediction": None,
        "status": outcome,
        "baseline": "passed",
        "baseline_answer": f"earlier answer {case_id}",
        "output_tokens": 4,
        "seconds": 0.01,
        "cached": True,
        "outcome": outcome,
    }
    record.update(changes)
    return record


def metric(suite: str, name: str, test: str, outcome: str = "passed", **changes: Any) -> dict:
    record: dict[str, Any] = {
        "kind": "metric",
        "suite": suite,
        "metric": name,
        "test": test,
        "value": 0.5,
        "details": {},
        "bar": ">= 0.4",
        "min": 0.4,
        "max": None,
        "max_drop": 0.1,
        "baseline": 0.75,
        "higher_is_better": True,
        "passed": outcome == "passed",
        "message": f"{suite}::{name} {test}",
        "per_item": [],
        "comparison": None,
        "flips": [],
        "outcome": outcome,
    }
    record.update(changes)
    return record


def comparison(test: str, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "test": test,
        "baseline": 0.75,
        "now": 0.5,
        "difference": -0.25,
        "ci": [-0.5, 0.0],
        "confidence": 0.95,
        "p_value": 0.05,
        "items": 4,
        "worse": 1,
        "better": 0,
    }
    record.update(changes)
    return record


def results(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "run_id": "20260101-120000-1",
        "started": "2026-01-01T12:00:00+0000",
        "finished": "2026-01-01T12:00:12+0000",
        "duration_seconds": 12.5,
        "git_commit": "abc123",
        "settings": {"model": "m", "max_new_tokens": 8},
        "models": {"main": {"model": "m", "fingerprint": "f" * 64, "backend": "hf"}},
        "totals": {"passed": 2, "failed": 1, "xfailed": 1, "xpassed": 1},
        "summary": {"shop": {"passed": 1, "failed": 1, "xpassed": 1}, "zh": {"xfailed": 1}},
        "metrics": [
            metric("shop", "accuracy", "value"),
            metric(
                "shop",
                "accuracy",
                "no_drop",
                "failed",
                comparison=comparison(
                    "exact binomial", difference=-0.25, ci=[-0.5, -0.05], p_value=0.031
                ),
                flips=[
                    {
                        "item": "q2",
                        "direction": "worse",
                        "before": 1.0,
                        "now": 0.0,
                        "expected": "refund",
                        "before_answer": "refund in 30 days",
                        "now_answer": HOSTILE,
                    }
                ],
            ),
        ],
        "cases": [
            case("shop", "q1", "passed", tags=["smoke"]),
            case("shop", "q2", "failed", answer=HOSTILE, tags=["critical"]),
            case("shop", "q3", "xpassed"),
            case(
                "zh", "退款", "xfailed", answer="七天内可以退款", baseline_answer="七天内不能退款"
            ),
        ],
        "unjudged": [],
    }
    document.update(changes)
    return document


def render(
    document: dict[str, Any], *, perf: PerfRun | None = None, exit_status: int | None = None
) -> str:
    """The page of a ``results.json`` *document*, read as ``releasegate report`` reads one."""
    return render_page(
        RunRecord.from_json(document),
        perf=perf,
        exit_status=exit_status,
    )


def test_hostile_answers_are_text_not_markup() -> None:
    page = render(results())
    parsed = parse(page)
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert len(scripts) == 1  # the page's own filter script, nothing from an answer
    assert not any(tag == "img" for tag, _ in parsed.tags)
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    text = "".join(parsed.text)
    assert "<script>window.pwned=1</script>" in text  # shown as what the model said
    assert 'onerror="window.pwned=2"' in text


CONTROLS = "a\x00b\x1b[31mred\x07c\rd\x7fe\x85f\x9bg\u202eh"
"""An answer holding NUL, ESC (a colour sequence), BEL, CR, DEL, C1 controls (NEL, CSI) and a
right-to-left override."""


def test_control_characters_in_answers_are_escapes_in_the_pages_bytes(tmp_path: Path) -> None:
    document = results()
    document["cases"][0].update(answer=CONTROLS, reason=f"reason {CONTROLS}")
    document["metrics"][1]["flips"][0]["now_answer"] = CONTROLS
    document["unjudged"] = [
        {
            "kind": "case",
            "suite": "shop",
            "key": "shop/q9",
            "nodeid": "model_tests/test_golden.py::test_case[shop/q9]",
            "outcome": "error",
            "when": "setup",
            "message": f"server said {CONTROLS}",
        }
    ]
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text(json.dumps(document), encoding="utf-8")

    data = write_page(run).read_bytes()

    for control in ["\x00", "\x1b", "\x07", "\r", "\x7f", "\x85", "\x9b", "\u202e"]:
        assert control.encode() not in data, repr(control)
    page = data.decode("utf-8")
    assert "a\\x00b\\x1b[31mred\\x07c\\x0dd\\x7fe\\x85f\\x9bg\\u202eh" in page
    assert page.count("\\x1b[31mred") >= 3  # the case, its flip and the error message
    assert "\n" in page and "\t" not in CONTROLS  # newlines (the page's own) are kept


def test_verdict_counts_and_order_of_sections() -> None:
    page = render(results())
    assert "BLOCKED: 1 regression, 1 failed bar, 0 errors" in page
    positions = [page.index(f'id="{anchor}"') for anchor in ("verdict", "suites", "changed")]
    positions += [page.index(f'id="{anchor}"') for anchor in ("cases", "flips")]
    assert positions == sorted(positions)
    changed = page[page.index('id="changed"') : page.index('id="cases"')]
    assert changed.index("shop/q2") < changed.index("shop/q3")  # regressions first
    assert "zh/退款" not in changed  # a known failure is not a change


def test_a_green_run_is_releasable_unless_pytest_said_otherwise() -> None:
    green = results(
        totals={"passed": 1},
        summary={"shop": {"passed": 1}},
        metrics=[metric("shop", "accuracy", "value")],
        cases=[case("shop", "q1", "passed")],
    )
    assert "Releasable: 0 regressions, 0 failed bars, 0 errors" in render(green)
    assert "BLOCKED" in render(green, exit_status=2)  # e.g. an interrupted session


def test_metric_row_shows_bar_baseline_difference_interval_and_p_value() -> None:
    page = render(results())
    row = page[page.index("<td>shop</td><td>accuracy</td>") :]
    row = row[: row.index("</tr>")]
    for shown in ("&gt;= 0.4; drop &le; 0.1", "0.75", "-0.25", "[-0.5, -0.05]", "0.031", "failed"):
        assert shown in row


def test_diff_is_per_character_for_chinese_and_per_word_elsewhere() -> None:
    assert diff_segments("七天内不能退款", "七天内可以退款") == (
        ("same", "七天内"),
        ("del", "不能"),
        ("ins", "可以"),
        ("same", "退款"),
    )
    assert diff_segments("refund in 30 days", "refund in 14 days") == (
        ("same", "refund in "),
        ("del", "30"),
        ("ins", "14"),
        ("same", " days"),
    )


def test_cases_carry_what_the_filters_match_on() -> None:
    parsed = parse(render(results()))
    rows = [attrs for tag, attrs in parsed.tags if tag == "tr" and "data-verdict" in attrs]
    assert {attrs["data-verdict"] for attrs in rows} == {"passed", "failed", "xpassed", "xfailed"}
    assert [attrs.get("data-tags") for attrs in rows] == ["|smoke|", "|critical|", None, None]
    options = [attrs.get("value") for tag, attrs in parsed.tags if tag == "option"]
    assert {"failed", "xpassed", "xfailed", "passed"} <= set(options)


def test_a_very_long_answer_is_cut_in_the_table_and_whole_where_it_changed() -> None:
    long = "x" * 5000
    page = render(results(cases=[case("shop", "q2", "failed", answer=long)]))
    table = page[page.index('id="cases-table"') :]
    assert long not in table and "x" * 157 + "..." in table
    assert long in page[: page.index('id="cases"')]


def test_optional_sections_are_absent_without_their_data() -> None:
    page = render(results())
    for anchor in ("perf", "review", "history", "benchmarks"):
        assert f'id="{anchor}"' not in page


def test_review_section_from_its_results_json_block() -> None:
    page = render(results(review=REVIEW))
    section = page[page.index('id="review"') :]
    for shown in ("40", "relevance 4.25", "fluency -", "0.9", "releasegate review export"):
        assert shown in section
    assert "&lt;b&gt;bo&lt;/b&gt;" in section


def test_history_section_draws_a_trend_per_suite_and_metric() -> None:
    page = render(results(history=HISTORY))
    section = page[page.index('id="history"') :]
    assert section.count("<svg") == 2
    accuracy = section[section.index("shop::accuracy") : section.index("shop::rougeL")]
    titles = [t.split("<")[0] for t in accuracy.split("<title>")[1:]]
    assert titles == ["step 10000 (ckpt): 0.6", "step 20000 (ckpt): 0.7", "step 30000 (ckpt): 0.5"]
    rougel = section[section.index("shop::rougeL") :]
    assert "<title>r1, 2026-01-01T00:00:00 (m): 0.3</title>" in rougel  # no step: by time
    assert ">step 10000</text>" in accuracy and ">step 30000</text>" in accuracy


def test_perf_section_embeds_the_newest_perf_run(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_perf_run(reports, "perf-20260101-100000-1")
    write_perf_run(reports, "perf-20260102-100000-1")
    (reports / "perf-20260103-100000-1").mkdir(parents=True)  # a perf run that wrote nothing
    perf = find_perf_run(reports)
    assert perf is not None and perf.name == "perf-20260102-100000-1"
    page = render(results(), perf=perf)
    section = page[page.index('id="perf"') : page.index("<script>")]
    assert "perf-20260102-100000-1" in section and "1 user (closed loop)" in section
    assert '<td>TTFT</td><td class="n">89.5</td>' in section  # p50 of 80..99 ms
    assert section.count(">met<") == 1 and section.count(">missed<") == 1
    assert 'src="data:image/png;base64,iVBORw0KGg' in section


def test_write_page_and_the_report_command_rewrite_it_from_results_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.releasegate]\n", encoding="utf-8")
    run = tmp_path / "reports" / "20260101-120000-1"
    run.mkdir(parents=True)
    (run / "results.json").write_text(json.dumps(results()), encoding="utf-8")
    (tmp_path / "reports" / "latest").symlink_to(run.name)
    assert main(["--root", str(tmp_path), "report"]) == 0
    assert capsys.readouterr().out.strip() == str(run.resolve() / "report.html")
    page = (run / "report.html").read_text(encoding="utf-8")
    assert "BLOCKED" in page and "shop/q2" in page
    (run / "report.html").unlink()
    assert main(["--root", str(tmp_path), "report", run.name]) == 0
    assert write_page(run) == run / "report.html" and (run / "report.html").exists()


def test_a_missing_or_broken_run_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.releasegate]\n", encoding="utf-8")
    assert main(["--root", str(tmp_path), "report"]) == 2
    assert "run the suite first" in capsys.readouterr().err
    run = tmp_path / "reports" / "r1"
    run.mkdir(parents=True)
    (run / "results.json").write_text('{"cases": [', encoding="utf-8")
    with pytest.raises(ReportError, match=r"r1/results.json: cannot read the run's results"):
        load_results(resolve_run(tmp_path / "reports", "r1"))
    document = {k: v for k, v in results().items() if k != "finished"}
    (run / "results.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ReportError, match=r"r1/results.json: .*'finished' is missing"):
        write_page(run)
    assert not (run / "report.html").exists()


def test_step_summary_stays_within_githubs_limit_and_counts_what_it_left_out(
    tmp_path: Path,
) -> None:
    report = RunReport(run_id="big", directory=tmp_path / "big")
    flips = [
        {
            "item": f"q{i}",
            "direction": "worse",
            "before": 1.0,
            "now": 0.0,
            "expected": "e" * 80,
            "before_answer": "b" * 80,
            "now_answer": "n" * 80,
        }
        for i in range(60)
    ]
    for m in range(400):
        report.add(
            f"m{m}",
            MetricRecord.from_json(metric(f"suite{m:03d}", "accuracy", "no_drop", flips=flips)),
            "failed",
        )
    for i in range(1000):
        report.add(f"c{i}", CaseRecord.from_json(case("shop", f"q{i:04d}", "failed")), "failed")
    text = report.markdown()
    assert len(text.encode("utf-8")) <= STEP_SUMMARY_BYTES
    assert "... and 10 more in results.json" in text  # 60 flips, 50 listed
    assert text.rstrip().endswith("everything is in results.json and report.html")
    left = int(text.rstrip().splitlines()[-1].split()[1])
    assert left > 0


def test_step_summary_lists_the_first_failing_cases_and_counts_the_rest(tmp_path: Path) -> None:
    report = RunReport(run_id="many", directory=tmp_path / "many")
    for i in range(1000):
        report.add(f"c{i}", CaseRecord.from_json(case("shop", f"q{i:04d}", "failed")), "failed")
    text = report.markdown()
    assert "`shop/q0199`" in text and "`shop/q0200`" not in text
    assert "... and 800 more in results.json and report.html" in text


def test_an_interval_without_bounds_shows_as_a_dash_not_nan() -> None:
    compared = comparison("bootstrap", difference=0.0, ci=[float("nan")] * 2, p_value=1)
    document = results(metrics=[metric("shop", "accuracy", "no_drop", comparison=compared)])
    page = render(document)
    assert "nan," not in page
    assert '<td>-</td><td class="n">1</td><td>bootstrap</td>' in page


def test_a_large_run_details_the_first_changes_and_shows_the_first_rows() -> None:
    many = [case("shop", f"q{i:04d}", "failed") for i in range(DETAILED + 50)]
    many += [case("shop", f"r{i:04d}", "passed") for i in range(ROWS_SHOWN)]
    flip = {"direction": "worse", "before": 1.0, "now": 0.0}
    flip |= {"expected": "e", "before_answer": "b", "now_answer": "n"}
    flips = [{**flip, "item": f"q{i}"} for i in range(FLIPS_SHOWN + 7)]
    document = results(
        cases=many, metrics=[metric("shop", "accuracy", "no_drop", "failed", flips=flips)]
    )
    parsed = parse(render(document))
    details = [attrs for tag, attrs in parsed.tags if tag == "div" and "data-key" in attrs]
    assert len(details) == DETAILED
    text = "".join(parsed.text)
    assert "... and 50 more: filter the table below by verdict" in text
    assert f"(the first {FLIPS_SHOWN} of {FLIPS_SHOWN + 7} listed; all in results.json)" in text
    rows = [attrs for tag, attrs in parsed.tags if tag == "tr" and "data-verdict" in attrs]
    assert len(rows) == len(many)
    assert sum("hidden" in attrs for attrs in rows) == len(many) - ROWS_SHOWN


def test_a_failed_case_reads_as_a_regression_only_when_it_passed_on_the_baseline() -> None:
    document = results(
        cases=[
            case("shop", "q1", "failed", status="regression"),
            case("shop", "q2", "failed", status="failed", tags=["critical"]),
        ]
    )
    page = render(document)
    table = page[page.index('id="cases-table"') :]
    assert "<td>shop/q1<td>regression<td>" in table
    assert "<td>shop/q2<td>failed<td>critical" in table
    assert '<option value="failed">regression / failed</option>' in page


def test_a_block_without_a_field_the_page_shows_is_one_clear_error(tmp_path: Path) -> None:
    review = {"shop": {k: v for k, v in REVIEW["shop"].items() if k != "criteria"}}
    run = tmp_path / "r1"
    run.mkdir()
    (run / "results.json").write_text(json.dumps(results(review=review)), encoding="utf-8")
    missing = r"r1/results.json: ReviewSummary: the field 'criteria' is missing"
    with pytest.raises(ReportError, match=missing):
        write_page(run)
    assert not (run / "report.html").exists()
