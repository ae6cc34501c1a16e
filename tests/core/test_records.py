"""The typed records of a run: one serialisation there and back, and a results.json read back."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from releasegate.core.records import (
    BenchmarkRecord,
    CaseRecord,
    ComparisonRecord,
    Flip,
    HumanRecord,
    ItemResult,
    JudgeRecord,
    JudgeSummary,
    MetricRecord,
    ReviewSummary,
    TaskResult,
    TestIdentity,
    UnjudgedTest,
    load_run,
    read_record,
)
from releasegate.exceptions import RecordError
from releasegate.reports.writers import RunReport

CASE = CaseRecord(
    suite="shop",
    id="退款",
    key="shop/退款",
    source="shop.jsonl:3",
    tags=("critical",),
    critical=True,
    input=[{"role": "user", "content": "退款要多久"}],
    expected={"days": 7},
    prompt="<user>退款要多久",
    answer="七天",
    check="json_fields",
    passed=False,
    check_passed=False,
    reason="days: 14 != 7",
    score=0.5,
    prediction={"days": 14},
    status="regression",
    baseline="passed",
    baseline_answer="7天",
    output_tokens=3,
    seconds=0.25,
    cached=True,
)

REVIEWED = replace(
    CASE,
    check_passed=True,
    human=HumanRecord(
        passed=False,
        pending=False,
        score=2.5,
        reviewers=("ana", "li"),
        message="reviewers (ana, li) scored 2.5 on 1-5, below the pass mark 4",
        baseline_passed=True,
    ),
)

REVIEW = ReviewSummary(
    reviewed=1,
    pending=2,
    reviewers=("ana", "li"),
    criteria={"correctness": 3.0, "tone": None},
    overall=2.5,
    pass_rate=0.0,
    export_command="releasegate review export --suite shop",
)

JUDGED = replace(
    CASE,
    check="judge",
    judge=JudgeRecord(
        scores={"correctness": 2.0, "tone": 4.0},
        overall=3.0,
        passed=False,
        reason="说的是十四天 不是七天",
        unscored=False,
        cached=True,
    ),
)

UNSCORED_JUDGE = JudgeRecord(
    scores=None,
    overall=None,
    passed=None,
    reason="no JSON object and no final 'Score: N' line",
    unscored=True,
    cached=False,
    advisory="advisory: not calibrated",
)

JUDGE = JudgeSummary(
    identity={"backend": "openai", "model": "judge-7b", "fingerprint": "f1", "settings": {}},
    self_judge=True,
    gating=False,
    status="advisory: not calibrated (run releasegate judge calibrate --suite shop)",
    calls=3,
    cache_hits=5,
    notes=("the judge is the model under test (allow_self_judge: true)",),
)

COMPARISON = ComparisonRecord(
    test="mcnemar",
    baseline=1.0,
    now=0.5,
    difference=-0.5,
    ci=(-0.9, -0.1),
    confidence=0.9,
    p_value=0.03,
    items=4,
    worse=2,
    better=0,
    added=1,
)

METRIC = MetricRecord(
    suite="shop",
    metric="accuracy",
    test="no_drop",
    value=0.5,
    details={"support": 4.0},
    bar=">= 0.5",
    min=0.5,
    max=None,
    max_drop=0.2,
    baseline=1.0,
    higher_is_better=True,
    passed=False,
    message="the drop 0.5 exceeds max_drop 0.2",
    per_item=(1.0, 0.0, math.nan),
    comparison=COMPARISON,
    flips=(Flip("q1", "worse", 1.0, 0.0, "yes", "no", "yes"),),
)

TASK = TaskResult(
    "mmlu_x",
    "0.4.9",
    "abc",
    0,
    None,
    {"acc": 0.5},
    {"acc": 0.1},
    {"0": ItemResult("h0", "A", "B", {"acc": 0})},
)

BENCHMARK = BenchmarkRecord(
    suite="general/mmlu_x",
    metric="acc",
    test="value",
    value=0.5,
    stderr=0.1,
    bar="-",
    min=None,
    max_drop=None,
    higher_is_better=True,
    items=1,
    lm_eval_version="0.4.9",
    config_hash="abc",
    num_fewshot=0,
    limit=None,
    task_result=TASK,
    passed=True,
    message="general/mmlu_x::acc = 0.5",
)


ADVISORY = replace(
    METRIC,
    metric="judge_score",
    test="value",
    advisory="advisory: kappa 0.31 on 58 answers, below 0.6; would fail: shop::judge_score = 3.2",
)


@pytest.mark.parametrize(
    "record",
    [CASE, REVIEWED, JUDGED, replace(JUDGED, judge=UNSCORED_JUDGE), METRIC, ADVISORY, BENCHMARK],
    ids=[
        "case",
        "reviewed case",
        "judged case",
        "unscored judge",
        "metric",
        "advisory metric",
        "benchmark",
    ],
)
def test_a_record_travels_as_json_and_comes_back_whole(
    record: CaseRecord | MetricRecord | BenchmarkRecord,
) -> None:
    wire = json.loads(json.dumps(record.to_json(), ensure_ascii=False))
    back = read_record(wire)
    assert type(back) is type(record)
    if isinstance(record, MetricRecord):  # NaN is not equal to itself: compare the rest
        assert isinstance(back, MetricRecord) and math.isnan(back.per_item[2])
        back, record = replace(back, per_item=()), replace(record, per_item=())
    assert back == record


def test_keys_keep_the_results_json_layout() -> None:
    case = CASE.to_json()
    assert case["kind"] == "case" and case["tags"] == ["critical"]
    metric = METRIC.to_json()
    assert metric["comparison"]["ci"] == [-0.9, -0.1]
    assert metric["flips"][0]["before_answer"] == "yes"
    assert "refused" not in BENCHMARK.to_json()  # present only when the baseline was refused
    assert "judge" not in case  # present only where the suite has a judge
    judged = JUDGED.to_json()["judge"]
    assert judged["scores"] == {"correctness": 2.0, "tone": 4.0} and judged["passed"] is False
    assert UNSCORED_JUDGE.to_json()["scores"] is None
    assert BENCHMARK.to_json()["task_result"]["items"]["0"]["answer"] == "B"
    assert METRIC.to_json()["advisory"] == ""  # gated
    assert ADVISORY.to_json()["advisory"].startswith("advisory: kappa 0.31")
    old_run = {key: value for key, value in METRIC.to_json().items() if key != "advisory"}
    back = read_record(old_run)  # written before the judge: it gated
    assert isinstance(back, MetricRecord) and back.advisory == ""


def test_a_record_of_an_unknown_kind_or_missing_a_field_is_one_clear_error() -> None:
    with pytest.raises(RecordError, match="unknown kind 'vibe'"):
        read_record({"kind": "vibe"})
    incomplete = {k: v for k, v in CASE.to_json().items() if k != "answer"}
    with pytest.raises(RecordError, match="CaseRecord: the field 'answer' is missing"):
        read_record(incomplete)


def test_load_run_reads_back_what_the_report_wrote(tmp_path: Path) -> None:
    report = RunReport(run_id="r1", directory=tmp_path / "reports" / "r1")
    report.add("t[shop/退款]", CASE, "failed")
    report.add("t[shop::accuracy::no_drop]", replace(METRIC, per_item=(1.0, 0.0)), "failed")
    report.add("t[general/mmlu_x::acc]", BENCHMARK, "passed")
    report.add_unjudged(
        UnjudgedTest("case", "shop", "shop/q9", "t[shop/q9]", "error", "setup", "no answer")
    )
    report.count("failed")
    folder = report.write(settings={"model": "m"}, root=tmp_path)
    assert "review" not in json.loads((folder / "results.json").read_text())  # no rubric
    assert "judge" not in json.loads((folder / "results.json").read_text())  # no judge
    report.review = {"shop": REVIEW}
    report.add_judge("shop", JUDGE)
    folder = report.write(settings={"model": "m"}, root=tmp_path)

    run = load_run(folder)
    assert run.run_id == "r1" and run.settings == {"model": "m"} and run.totals == {"failed": 1}
    assert run.cases == (replace(CASE, outcome="failed", nodeid="t[shop/退款]"),)
    by_kind = {type(m): m for m in run.metrics}
    assert by_kind[MetricRecord].comparison == COMPARISON
    assert by_kind[MetricRecord].outcome == "failed"
    benchmark = by_kind[BenchmarkRecord]
    assert isinstance(benchmark, BenchmarkRecord) and benchmark.task_result is None
    assert json.loads((folder / "general" / "mmlu_x.json").read_text())["task"] == "mmlu_x"
    assert run.unjudged == (report.unjudged["shop/q9"],)
    assert isinstance(run.unjudged[0], TestIdentity)
    assert load_run(folder / "results.json") == run
    assert run.review == {"shop": REVIEW}
    assert run.judge == {"shop": JUDGE}


def test_load_run_of_something_else_names_the_file(tmp_path: Path) -> None:
    other = tmp_path / "results.json"
    other.write_text('{"run_id": "x"}', encoding="utf-8")
    with pytest.raises(RecordError, match=r"results\.json: RunRecord: the field 'started'"):
        load_run(other)
    with pytest.raises(RecordError, match="cannot read the run's results"):
        load_run(tmp_path / "missing")


def test_why_a_case_failed_is_the_reviewers_verdict_where_they_failed_it() -> None:
    """The check's reason says the answer looked right; where reviewers failed it, theirs is
    the reason a report shows, with the check's added where it failed too."""
    assert REVIEWED.human is not None
    assert REVIEWED.why == REVIEWED.human.message
    both = replace(REVIEWED, check_passed=False)
    assert both.why == f"{REVIEWED.human.message}; check: {CASE.reason}"
    passed = replace(REVIEWED, human=replace(REVIEWED.human, passed=True))
    assert passed.why == CASE.reason == CASE.why


def test_a_judged_case_and_the_judge_summary_come_back_from_results_json(tmp_path: Path) -> None:
    report = RunReport(run_id="r2", directory=tmp_path / "r2")
    report.add("t[shop/退款]", JUDGED, "failed")
    report.add_judge("shop", JUDGE)
    run = load_run(report.write(settings={}, root=tmp_path))
    assert run.cases[0].judge == JUDGED.judge
    assert run.judge is not None and run.judge["shop"].identity["model"] == "judge-7b"
    assert run.judge["shop"].notes == JUDGE.notes and run.judge["shop"].self_judge


def test_every_workers_judge_calls_are_summed_once_per_suite(tmp_path: Path) -> None:
    """Each xdist worker judges its own cases: the run's figures are their sum, and a note
    said by two workers is said once."""
    report = RunReport(run_id="r3", directory=tmp_path / "r3")
    report.add_judge("shop", JUDGE)
    report.add_judge("shop", replace(JUDGE, calls=0, cache_hits=2))
    report.add_judge("faq", replace(JUDGE, calls=1, cache_hits=0, notes=()))
    assert (report.judge["shop"].calls, report.judge["shop"].cache_hits) == (3, 7)
    assert report.judge["shop"].notes == JUDGE.notes
    assert list(report.record(settings={}, commit=None).judge or {}) == ["faq", "shop"]


def test_a_results_json_written_before_judges_reads_back_without_them(tmp_path: Path) -> None:
    report = RunReport(run_id="r4", directory=tmp_path / "r4")
    report.add("t[shop/退款]", CASE, "failed")
    document = json.loads((report.write(settings={}, root=tmp_path) / "results.json").read_text())
    assert "judge" not in document and "judge" not in document["cases"][0]
    run = load_run(tmp_path / "r4")
    assert run.judge is None and run.cases[0].judge is None
