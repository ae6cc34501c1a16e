"""What a run leaves behind: results.json, summary.md, reports/latest, the summary table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from releasegate.core.records import CaseRecord, MetricRecord
from releasegate.exceptions import ConfigError
from releasegate.reports.writers import (
    RunReport,
    UnjudgedTest,
    check_writable,
    describe_counts,
    summary_table,
)


def case_record(suite: str, case_id: str, *, passed: bool = True, **changes: Any) -> CaseRecord:
    record: dict[str, Any] = {
        "suite": suite,
        "id": case_id,
        "key": f"{suite}/{case_id}",
        "answer": f"answer {case_id}",
        "expected": "x",
        "passed": passed,
        "check_passed": passed,
        "reason": "ok" if passed else f"missing keywords: {case_id}",
        "status": "passed" if passed else "regression",
        "source": f"{suite}.jsonl:1",
        "tags": (),
        "critical": False,
        "input": "q",
        "prompt": "q",
        "check": "contains",
        "score": None,
        "prediction": None,
        "baseline": None,
        "baseline_answer": None,
        "output_tokens": 1,
        "seconds": 0.0,
        "cached": False,
    }
    record.update(changes)
    return CaseRecord(**record)


def metric_record(
    suite: str,
    metric: str,
    test: str = "value",
    *,
    value: float = 0.75,
    baseline: float | None = None,
    **changes: Any,
) -> MetricRecord:
    record: dict[str, Any] = {
        "suite": suite,
        "metric": metric,
        "test": test,
        "value": value,
        "bar": ">= 0.5",
        "min": 0.5,
        "max": None,
        "max_drop": 0.05 if test == "no_drop" else None,
        "baseline": baseline,
        "higher_is_better": True,
        "passed": True,
        "message": "",
        "per_item": (1.0, 0.5),
        "details": {},
    }
    record.update(changes)
    return MetricRecord(**record)


def node(key: str) -> str:
    return f"model_tests/test_golden.py::test_case[{key}]"


@pytest.fixture
def report(tmp_path: Path) -> RunReport:
    run = RunReport(run_id="20250101-120000", directory=tmp_path / "reports" / "20250101-120000")
    run.add(node("shop/q2"), case_record("shop", "q2", passed=False), "failed")
    run.add(node("shop/q1"), case_record("shop", "q1"), "passed")
    run.add(
        node("shop/q3"), case_record("shop", "q3", passed=False, status="known failure"), "xfailed"
    )
    run.add(node("zh/退款"), case_record("zh", "退款", answer="七天"), "passed")
    run.add("m[shop::accuracy]", metric_record("shop", "accuracy"), "passed")
    run.add(
        "m[shop::accuracy::no_drop]",
        metric_record("shop", "accuracy", "no_drop", value=0.6, baseline=0.8, passed=False),
        "failed",
    )
    return run


def test_add_keys_cases_by_suite_and_id_and_metrics_by_test(report: RunReport) -> None:
    assert set(report.cases) == {"shop/q1", "shop/q2", "shop/q3", "zh/退款"}
    assert report.cases["shop/q2"].outcome == "failed"
    assert report.cases["shop/q2"].nodeid == node("shop/q2")
    assert set(report.metrics) == {"shop::accuracy", "shop::accuracy::no_drop"}
    assert report.metrics["shop::accuracy::no_drop"].outcome == "failed"
    assert not report.empty


def test_add_again_replaces_the_entry(report: RunReport) -> None:
    report.add(node("shop/q2"), case_record("shop", "q2"), "passed")  # e.g. a rerun
    assert report.cases["shop/q2"].outcome == "passed"
    assert len(report.cases) == 4


def test_counts_by_suite(report: RunReport) -> None:
    counts = report.counts_by_suite()
    assert set(counts) == {"shop", "zh"}
    assert counts["shop"]["passed"] == 1
    assert counts["shop"]["failed"] == 1
    assert counts["shop"]["xfailed"] == 1
    assert counts["zh"]["passed"] == 1
    assert sum(counts["zh"].values()) == 1


def test_empty_report(tmp_path: Path) -> None:
    assert RunReport(run_id="r", directory=tmp_path / "r").empty


def test_write_results_json(report: RunReport, tmp_path: Path) -> None:
    folder = report.write(settings={"model": "org/m", "suites": []}, root=tmp_path)
    assert folder == report.directory
    text = (folder / "results.json").read_text(encoding="utf-8")
    assert "退款" in text and "七天" in text  # readable, not \u-escaped
    document = json.loads(text)
    assert document["run_id"] == "20250101-120000"
    assert document["settings"] == {"model": "org/m", "suites": []}
    assert document["git_commit"] is None  # tmp_path is no git work tree
    assert [c["key"] for c in document["cases"]] == ["shop/q1", "shop/q2", "shop/q3", "zh/退款"]
    assert {c["outcome"] for c in document["cases"]} == {"passed", "failed", "xfailed"}
    assert [(m["metric"], m["test"]) for m in document["metrics"]] == [
        ("accuracy", "value"),
        ("accuracy", "no_drop"),
    ]
    assert document["summary"]["shop"] == {"failed": 1, "passed": 1, "xfailed": 1}
    assert document["duration_seconds"] >= 0


def test_write_summary_markdown(report: RunReport, tmp_path: Path) -> None:
    folder = report.write(settings={}, root=tmp_path)
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# releasegate run 20250101-120000")
    lines = summary.splitlines()
    header = next(line for line in lines if line.startswith("| suite | passed"))
    columns = [c.strip() for c in header.strip("|").split("|")]
    shop = next(line for line in lines if line.startswith("| shop |"))
    cells = dict(zip(columns, (c.strip() for c in shop.strip("|").split("|")), strict=True))
    assert (cells["passed"], cells["failed"], cells["xfailed"], cells["xpassed"]) == (
        "1",
        "1",
        "1",
        "0",
    )
    assert "## Failing cases" in summary
    assert "`shop/q2` (regression): missing keywords: q2" in summary
    assert "`shop/q3`" not in summary.split("## Failing cases")[1]  # xfailed is not failing
    assert "| shop | accuracy (no drop) |" in summary


def test_latest_points_at_the_newest_run(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    for run_id in ("run-1", "run-2"):
        run = RunReport(run_id=run_id, directory=reports / run_id)
        run.add(node("s/q1"), case_record("s", "q1"), "passed")
        run.write(settings={}, root=tmp_path)
    latest = reports / "latest"
    assert latest.exists()
    if latest.is_symlink():
        assert latest.resolve() == (reports / "run-2").resolve()
        assert (latest / "results.json").is_file()
    else:
        assert latest.read_text(encoding="utf-8").strip() == "run-2"
    assert json.loads((reports / "run-1" / "results.json").read_text())["run_id"] == "run-1"


def test_summary_table_rows() -> None:
    rows = summary_table(
        [
            metric_record("shop", "rougeL", value=0.123456, outcome="passed"),
            metric_record("intents", "f1_macro", value=0.5, outcome="failed"),
            metric_record(
                "shop", "accuracy", "no_drop", value=0.6, baseline=0.81234, outcome="skipped"
            ),
        ]
    )
    assert rows == [
        ["intents", "f1_macro", "0.5", ">= 0.5", "-", "FAIL"],
        ["shop", "accuracy (no drop)", "0.6", "drop <= 0.05", "0.8123", "skipped"],
        ["shop", "rougeL", "0.1235", ">= 0.5", "-", "ok"],
    ]


def test_summary_table_of_nothing() -> None:
    assert summary_table([]) == []


def test_unjudged_tests_are_counted_listed_and_keep_the_report_alive(tmp_path: Path) -> None:
    run = RunReport(run_id="r", directory=tmp_path / "reports" / "r")
    run.add_unjudged(
        UnjudgedTest("case", "shop", "shop/q1", node("shop/q1"), "error", "setup", "no answer")
    )
    run.add_unjudged(
        UnjudgedTest(
            "metric", "shop", "shop::accuracy", "m[shop::accuracy]", "error", "setup", "none"
        )
    )
    run.add(node("shop/q2"), case_record("shop", "q2"), "passed")
    for outcome in ("error", "error", "passed"):
        run.count(outcome)
    assert not run.empty
    assert run.counts_by_suite() == {"shop": {"error": 1, "passed": 1}}
    assert [t.key for t in run.errors()] == ["shop/q1", "shop::accuracy"]
    document = json.loads((run.write(settings={}, root=tmp_path) / "results.json").read_text())
    assert document["totals"] == {"passed": 1, "error": 2}
    assert [u["key"] for u in document["unjudged"]] == ["shop/q1", "shop::accuracy"]
    summary = (run.directory / "summary.md").read_text(encoding="utf-8")
    assert "tests: 1 passed, 2 errors" in summary
    assert "- `shop/q1` (error at setup): no answer" in summary


def test_describe_counts_words_them_as_pytest() -> None:
    assert describe_counts({"error": 1}) == "1 error"
    assert describe_counts({"xfailed": 8, "error": 2, "passed": 0}) == "8 xfailed, 2 errors"
    assert describe_counts({}) == "no tests ran"


def test_check_writable_creates_nothing_and_names_the_file_in_the_way(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    check_writable(reports / "run-1", reports_dir=reports)  # not there yet: creatable
    assert list(tmp_path.iterdir()) == []  # the probe left nothing behind
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match=r"reports folder .*file/reports cannot be written"):
        check_writable(
            tmp_path / "file" / "reports" / "r", reports_dir=tmp_path / "file" / "reports"
        )
