"""The no-drop row of a suite whose cases changed since its baseline: the summary table (the
terminal's and summary.md's) shows the values the comparison paired, on the cases both runs
have, and how many cases were added and removed, not the whole suite's values beside a
difference computed elsewhere."""

from __future__ import annotations

from pathlib import Path

from releasegate.gate.baselines import CaseBaseline, MetricBaseline, SuiteBaseline
from releasegate.gate.judging import score_case
from releasegate.gate.verdicts import gate_metric
from releasegate.golden.suites import load_suite
from releasegate.reports.writers import RunReport, summary_table
from tiny_project import write_cases

REPO = Path(__file__).resolve().parents[2]
MANIFEST = (
    "name: shop\ncases: shop.jsonl\ncheck: contains\n"
    "metrics:\n  - {name: accuracy, max_drop: 0.05}\n"
)


def test_a_changed_suites_no_drop_row_shows_what_it_compared(tmp_path: Path) -> None:
    # The baseline: q0..q9, the first five right (0.5). Since then q0 and q1 (both right)
    # were removed and n1..n3 added; the eight shared cases are answered as in the baseline.
    before_right = {f"q{i}" for i in range(5)}
    baseline = SuiteBaseline(
        "shop",
        cases={
            f"q{i}": CaseBaseline(
                "passed" if f"q{i}" in before_right else "failed",
                "yes" if f"q{i}" in before_right else "no",
            )
            for i in range(10)
        },
        metrics={
            "accuracy": MetricBaseline(
                0.5, {f"q{i}": 1.0 if f"q{i}" in before_right else 0.0 for i in range(10)}
            )
        },
    )
    ids = [f"q{i}" for i in range(2, 10)] + ["n1", "n2", "n3"]
    write_cases(
        tmp_path / "shop.jsonl",
        [{"id": i, "input": f"Is {i} in stock?", "expected": "yes"} for i in ids],
    )
    (tmp_path / "shop.yaml").write_text(MANIFEST, encoding="utf-8")
    suite = load_suite(tmp_path / "shop.yaml", schemas_dir=REPO / "fixtures" / "schemas")
    answers = {i: baseline.cases[i].answer if i in baseline.cases else "yes" for i in ids}
    scored = [score_case(suite, case, answers[case.id]) for case in suite.cases]
    result = gate_metric(
        suite, suite.metric("accuracy"), "no_drop", scored, baseline, alpha=0.05, samples=200
    )
    comparison = result.comparison
    assert comparison is not None
    assert (comparison.items, comparison.added, comparison.removed) == (8, 3, 2)
    assert comparison.baseline == comparison.now == 3 / 8  # q2..q4 right, as before
    assert result.value.value == 6 / 11 and result.baseline_value == 0.5  # the whole suites

    record = result.to_record()
    (row,) = summary_table([record])
    assert row[:5] == [
        "shop",
        "accuracy (no drop, on 8 shared cases; 3 added, 2 removed since the baseline)",
        "0.375",
        "drop <= 0.05",
        "0.375",
    ]
    report = RunReport(run_id="r", directory=tmp_path / "reports" / "r")
    report.add("m[shop::accuracy::no_drop]", record, "passed")
    summary = (report.write(settings={}, root=tmp_path) / "summary.md").read_text("utf-8")
    assert (
        "| shop | accuracy (no drop, on 8 shared cases; 3 added, 2 removed since the baseline) "
        "| 0.375 | drop &lt;= 0.05 | 0.375 | ok |"
    ) in summary
    assert "0.5455" not in summary


def test_an_unchanged_suites_no_drop_row_keeps_its_plain_name(tmp_path: Path) -> None:
    ids = [f"q{i}" for i in range(4)]
    write_cases(
        tmp_path / "shop.jsonl",
        [{"id": i, "input": f"Is {i} in stock?", "expected": "yes"} for i in ids],
    )
    (tmp_path / "shop.yaml").write_text(MANIFEST, encoding="utf-8")
    suite = load_suite(tmp_path / "shop.yaml", schemas_dir=REPO / "fixtures" / "schemas")
    baseline = SuiteBaseline(
        "shop",
        cases={i: CaseBaseline("passed", "yes") for i in ids},
        metrics={"accuracy": MetricBaseline(1.0, dict.fromkeys(ids, 1.0))},
    )
    scored = [score_case(suite, case, "yes" if case.id != "q3" else "no") for case in suite.cases]
    record = gate_metric(
        suite, suite.metric("accuracy"), "no_drop", scored, baseline, alpha=0.05, samples=200
    ).to_record()
    (row,) = summary_table([record])
    assert row[1:3] == ["accuracy (no drop)", "0.75"] and row[4] == "1"
