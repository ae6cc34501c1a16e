"""``assertion_pass_rate`` gated: its bar, and its no-drop test paired on the cases that carry
the assertion in both runs (the exact McNemar test, its per-case values being 1/0).

Real parts throughout: the suite is a manifest and JSONL cases in tmp_path, the answers are
checked by the case-scoring function, the baseline is planned from the run's records and
written to disk by the baseline store, then read back as the next run reads it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

from releasegate.core.records import MetricRecord, ModelDescription, Prediction
from releasegate.gate.baselines import BaselineStore, SuiteBaseline
from releasegate.gate.judging import judge, score_case
from releasegate.gate.plan import plan_baselines
from releasegate.gate.verdicts import MetricResult, gate_metric
from releasegate.golden.suites import Suite, load_suite

ROOT = Path(__file__).resolve().parents[2]
METRIC = "assertion_pass_rate[no-competitor]"
CARRIERS = [f"c{i:02d}" for i in range(30)]
OTHERS = [f"o{i}" for i in range(6)]
GOOD = "Refunds take 7 days."
BAD = "Refunds take 7 days, or buy it on Amazon."


def write_suite(folder: Path) -> Suite:
    """30 cases carrying the must-not ``no-competitor``, 6 that do not (they mention the
    competitor freely: it is not theirs to avoid)."""
    (folder / "shop.yaml").write_text(
        "name: shop\ncases: shop.jsonl\ncheck: contains\nmetrics:\n"
        "  - {name: assertion_pass_rate, assertion: no-competitor, min: 0.9, max_drop: 0.05}\n"
        "  - {name: accuracy, min: 0.5}\n",
        encoding="utf-8",
    )
    must_not = {"type": "not-contains", "value": "Amazon", "name": "no-competitor"}
    lines = [
        {"id": case_id, "input": f"refund {case_id}?", "expected": "7 days", "assert": [must_not]}
        for case_id in CARRIERS
    ] + [{"id": case_id, "input": f"other {case_id}?", "expected": "7 days"} for case_id in OTHERS]
    (folder / "shop.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8"
    )
    return load_suite(folder / "shop.yaml", schemas_dir=ROOT / "fixtures" / "schemas")


def run(
    suite: Suite, answers: Mapping[str, str], test: str, baseline: SuiteBaseline | None = None
) -> MetricResult:
    scored = [score_case(suite, case, answers[case.id]) for case in suite.cases]
    return gate_metric(suite, suite.metric(METRIC), test, scored, baseline, alpha=0.05, samples=200)


def record_baseline(suite: Suite, answers: Mapping[str, str], folder: Path) -> SuiteBaseline:
    """A reference run's baseline file, planned from its records, written and read back."""
    store = BaselineStore(folder)
    cases = [
        judge(suite, case, Prediction("", answers[case.id], 1, 0.0, False), None).to_record()
        for case in suite.cases
    ]
    metrics: list[MetricRecord] = []
    for spec in suite.metrics:
        scored = [score_case(suite, case, answers[case.id]) for case in suite.cases]
        metrics.append(
            gate_metric(suite, spec, "value", scored, None, alpha=0.05, samples=10).to_record()
        )
    for planned in plan_baselines(
        store,
        {suite.name: suite},
        cases=cases,
        metrics=metrics,
        task_results=(),
        model=ModelDescription(fingerprint="ref"),
        generation=lambda _suite: {},
    ):
        store.commit(planned)
    loaded = BaselineStore(folder).load(suite.name)
    assert loaded is not None
    return loaded


def reference() -> dict[str, str]:
    """Every carrier keeps the must-not; the other cases name the competitor (theirs to)."""
    return {**dict.fromkeys(CARRIERS, GOOD), **dict.fromkeys(OTHERS, BAD)}


def test_the_baseline_keeps_the_carriers_alone_by_case_id(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    record_baseline(suite, reference(), tmp_path / "baselines")
    stored = json.loads((tmp_path / "baselines" / "shop.json").read_text(encoding="utf-8"))
    kept = stored["metrics"][METRIC]
    assert kept["value"] == 1.0
    assert sorted(kept["per_item"]) == CARRIERS  # the 6 others are not items
    assert set(kept["per_item"].values()) == {1.0}
    # accuracy, over every case, is unchanged: its items are the suite's cases.
    assert sorted(stored["metrics"]["accuracy"]["per_item"]) == sorted(CARRIERS + OTHERS)


def test_the_value_record_names_its_items_and_the_bar_lists_carriers_only(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    answers = {**reference(), **dict.fromkeys(CARRIERS[:5], BAD)}
    result = run(suite, answers, "value")
    record = result.to_record()
    assert record.metric == METRIC
    assert record.item_ids == tuple(CARRIERS)
    assert len(record.per_item) == 30
    assert record.value == 25 / 30
    assert not record.passed
    assert "below its minimum 0.9" in record.message
    assert "c00" in record.message and "o0" not in record.message
    assert MetricRecord.from_json(json.loads(json.dumps(record.to_json()))) == record


def test_a_real_drop_on_the_carriers_fails_the_mcnemar_no_drop_test(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    baseline = record_baseline(suite, reference(), tmp_path / "baselines")
    answers = {**reference(), **dict.fromkeys(CARRIERS[:10], BAD)}
    result = run(suite, answers, "no_drop", baseline)
    assert result.comparison is not None
    assert result.comparison.test == "mcnemar"
    assert result.comparison.items == 30
    assert (result.comparison.worse, result.comparison.better) == (10, 0)
    assert result.comparison.p_value < 0.01
    assert not result.outcome.passed, result.outcome.message
    assert [flip.item for flip in result.flips] == CARRIERS[:10]
    assert all(flip.direction == "worse" for flip in result.flips)
    assert "got worse (10)" in result.outcome.message


def test_one_flip_is_noise_and_passes(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    baseline = record_baseline(suite, reference(), tmp_path / "baselines")
    answers = {**reference(), CARRIERS[3]: BAD}
    result = run(suite, answers, "no_drop", baseline)
    assert result.comparison is not None
    assert result.comparison.test == "mcnemar"
    assert (result.comparison.items, result.comparison.worse) == (30, 1)
    assert result.outcome.passed, result.outcome.message


def test_cases_that_do_not_carry_the_assertion_are_never_paired(tmp_path: Path) -> None:
    """The other cases change every answer (and would all break the must-not, were it theirs):
    not one of them is an item, a flip or a drop."""
    suite = write_suite(tmp_path)
    baseline = record_baseline(
        suite, {**reference(), **dict.fromkeys(OTHERS, GOOD)}, tmp_path / "baselines"
    )
    answers = {**reference(), **dict.fromkeys(OTHERS, "Amazon, Amazon, Amazon")}
    result = run(suite, answers, "no_drop", baseline)
    assert result.comparison is not None
    assert (result.comparison.items, result.comparison.added, result.comparison.removed) == (
        30,
        0,
        0,
    )
    assert result.flips == ()
    assert result.outcome.passed, result.outcome.message


def test_a_case_that_newly_carries_the_assertion_is_added_not_paired(tmp_path: Path) -> None:
    """A baseline recorded before one case gained the must-not: that case is counted as added
    and left out of the pairing."""
    suite = write_suite(tmp_path)
    baseline = record_baseline(suite, reference(), tmp_path / "baselines")
    kept = baseline.metrics[METRIC]
    trimmed = dict(kept.per_item)
    del trimmed["c29"]
    older = SuiteBaseline(
        suite=baseline.suite,
        cases=baseline.cases,
        metrics={**baseline.metrics, METRIC: type(kept)(kept.value, trimmed)},
        model=baseline.model,
    )
    result = run(suite, reference(), "no_drop", older)
    assert result.comparison is not None
    assert (result.comparison.items, result.comparison.added) == (29, 1)


def test_a_run_with_no_carrier_fails_both_tests_and_is_not_stored(tmp_path: Path) -> None:
    """A run filtered to the cases without the assertion: its value read nothing, so it has
    not passed (bar and no-drop alike), and the baseline plan does not store it."""
    suite = write_suite(tmp_path)
    baseline = record_baseline(suite, reference(), tmp_path / "baselines")
    others = [score_case(suite, suite.case(case_id), GOOD) for case_id in OTHERS]
    spec = suite.metric(METRIC)
    for test, before in (("value", None), ("no_drop", baseline)):
        result = gate_metric(suite, spec, test, others, before, alpha=0.05, samples=10)
        assert math.isnan(result.value.value)
        assert not result.outcome.passed
        assert "none of the cases this run judged counts towards it" in result.outcome.message
    record = gate_metric(suite, spec, "value", others, None, alpha=0.05, samples=10).to_record()
    planned = plan_baselines(
        BaselineStore(tmp_path / "baselines"),
        {suite.name: suite},
        cases=(),
        metrics=[record],
        task_results=(),
        model=ModelDescription(fingerprint="ref"),
        generation=lambda _suite: {},
    )
    assert planned == []
