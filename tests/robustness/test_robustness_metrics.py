"""The robustness metrics: ``robust_accuracy`` (the worst case over an original and its
variants), ``consistency`` (the same verdict on all of them) and ``perturbation_accuracy[p]``
(the variants of one perturbation), their items, details and read-nothing rule, their manifest
names, and their paired no-drop test through the gate.

The unit tests score hand-built :class:`ScoredCase` lists (what the gate hands a metric). The
gate tests use real parts: a manifest and JSONL cases in tmp_path, loaded as a suite; its
variants are GoldenCases made as the robustness section makes them (the original with the
variant's id, input, ``variant_of`` and ``perturbation``), checked by the case-scoring
function; the baseline is planned from the run's records, written by the baseline store and
read back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from releasegate.core.records import MetricRecord, ModelDescription, Prediction
from releasegate.exceptions import ConfigError
from releasegate.gate.baselines import BaselineStore, SuiteBaseline
from releasegate.gate.comparisons import judged_comparison
from releasegate.gate.judging import judge, score_case
from releasegate.gate.plan import plan_baselines
from releasegate.gate.verdicts import MetricResult, gate_metric
from releasegate.golden.checks import CheckResult
from releasegate.golden.metric_types import MetricContext, ScoredCase
from releasegate.golden.registry import build_metric
from releasegate.golden.suites import MetricSpec, Suite, load_suite
from releasegate.robustness.metrics import (
    Consistency,
    PerturbationAccuracy,
    RobustAccuracy,
)

ROOT = Path(__file__).resolve().parents[2]


def scored(
    case_id: str,
    passed: bool,
    *,
    of: str = "",
    perturbation: str = "",
    unscored: bool = False,
    answer: str = "",
) -> ScoredCase:
    """A case as the gate hands it to a metric: an original (*of* empty) or a variant."""
    result = CheckResult(passed and not unscored, "", unscored=unscored)
    return ScoredCase(case_id, answer, "", result, of, perturbation)


def variant(original: str, name: str, n: int, passed: bool, **kwargs: bool) -> ScoredCase:
    return scored(f"{original}~{name}-{n}", passed, of=original, perturbation=name, **kwargs)


def mixed_run() -> list[ScoredCase]:
    """Originals in English and Chinese, each followed by its variants, as the suite runs them.

    - faq-refund: the original and its three variants pass;
    - 退货-运费: the original passes, its homophone variant fails (a flip);
    - faq-size: the original fails, its variants pass;
    - 尺码-推荐: the original and its variant fail (consistent, not robust);
    - faq-hours: no variant (no item of a robustness metric).
    """
    return [
        scored("faq-refund", True),
        variant("faq-refund", "typo", 1, True),
        variant("faq-refund", "typo", 2, True),
        variant("faq-refund", "zero_width", 1, True),
        scored("退货-运费", True),
        variant("退货-运费", "script", 1, True),
        variant("退货-运费", "homophone", 1, False),
        scored("faq-size", False),
        variant("faq-size", "typo", 1, True),
        scored("尺码-推荐", False),
        variant("尺码-推荐", "width", 1, False),
        scored("faq-hours", True),
    ]


ITEMS = ("faq-refund", "退货-运费", "faq-size", "尺码-推荐")


def test_robust_accuracy_counts_a_case_only_when_the_original_and_every_variant_pass() -> None:
    value = RobustAccuracy()(mixed_run())
    assert value.item_ids == ITEMS  # faq-hours has no variant: not an item
    assert value.per_item == (1.0, 0.0, 0.0, 0.0)
    assert value.value == 0.25
    assert dict(value.details) == {
        "cases": 4.0,
        "variants": 7.0,
        "passed": 1.0,
        "flipped": 1.0,  # 退货-运费: its original passes, a variant fails
        "unscored": 0.0,
        "variants_without_original": 0.0,
    }


def test_one_failing_variant_of_many_makes_the_case_fail_the_worst_case_rule() -> None:
    run = [scored("q", True), *(variant("q", "typo", n, True) for n in range(1, 20))]
    assert RobustAccuracy()(run).value == 1.0
    run.append(variant("q", "case", 1, False))
    assert RobustAccuracy()(run).value == 0.0
    assert RobustAccuracy()(run).details["flipped"] == 1.0


def test_consistency_counts_the_same_verdict_everywhere_passing_or_failing() -> None:
    value = Consistency()(mixed_run())
    assert value.item_ids == ITEMS
    # faq-refund all pass, 尺码-推荐 all fail: consistent; the other two changed verdicts.
    assert value.per_item == (1.0, 0.0, 0.0, 1.0)
    assert value.value == 0.5
    assert value.details["passed"] == 2.0
    assert value.details["flipped"] == 1.0


def test_an_unscored_variant_is_a_failure_not_a_pass() -> None:
    run = [scored("退货", True), variant("退货", "typo", 1, True, unscored=True)]
    robust = RobustAccuracy()(run)
    assert robust.per_item == (0.0,)
    assert robust.details["unscored"] == 1.0
    assert robust.details["flipped"] == 1.0
    assert Consistency()(run).per_item == (0.0,)  # a pass beside a not-pass
    typo = PerturbationAccuracy(perturbation="typo")(run)
    assert (typo.per_item, typo.details["unscored"]) == ((0.0,), 1.0)
    # An unscored original beside a failing variant: neither passed, the same verdict.
    run = [scored("q", False, unscored=True), variant("q", "case", 1, False)]
    assert Consistency()(run).per_item == (1.0,)
    assert RobustAccuracy()(run).per_item == (0.0,)


@pytest.mark.parametrize(
    "run",
    [
        [],
        [scored("faq-refund", True), scored("退货", False)],  # originals without variants
    ],
    ids=["empty", "no-variants"],
)
def test_a_run_without_variants_read_nothing(run: list[ScoredCase]) -> None:
    for metric in (RobustAccuracy(), Consistency(), PerturbationAccuracy(perturbation="typo")):
        value = metric(run)
        assert math.isnan(value.value), metric.name
        assert value.item_ids == ()
        assert value.per_item == ()


def test_variants_whose_original_did_not_run_are_no_items_and_are_counted() -> None:
    run = [variant("faq-refund", "typo", 1, True), variant("退货", "typo", 1, False)]
    value = RobustAccuracy()(run)
    assert math.isnan(value.value) and value.item_ids == ()
    assert value.details["variants_without_original"] == 2.0
    # perturbation_accuracy needs no original: its items are the variants themselves.
    assert PerturbationAccuracy(perturbation="typo")(run).per_item == (1.0, 0.0)


def test_perturbation_accuracy_groups_the_variants_by_their_perturbation() -> None:
    run = mixed_run()
    typo = PerturbationAccuracy(perturbation="typo")(run)
    assert typo.item_ids == ("faq-refund~typo-1", "faq-refund~typo-2", "faq-size~typo-1")
    assert typo.value == 1.0
    assert dict(typo.details) == {
        "cases": 2.0,
        "variants": 3.0,
        "passed": 3.0,
        "flipped": 0.0,
        "unscored": 0.0,
    }
    homophone = PerturbationAccuracy(perturbation="homophone")(run)
    assert homophone.item_ids == ("退货-运费~homophone-1",)
    assert homophone.value == 0.0
    assert homophone.details["flipped"] == 1.0  # its original passed
    width = PerturbationAccuracy(perturbation="width")(run)
    assert width.value == 0.0 and width.details["flipped"] == 0.0  # its original failed too
    nothing = PerturbationAccuracy(perturbation="paraphrase")(run)
    assert math.isnan(nothing.value) and nothing.item_ids == ()


def test_the_manifest_names_build_the_metrics_and_each_sees_the_variants(tmp_path: Path) -> None:
    context = MetricContext(language="zh", base_dir=tmp_path)
    where = "shop.yaml metrics[0]"
    typo = build_metric(
        {"name": "perturbation_accuracy", "perturbation": "typo", "min": 0.8}, context, where=where
    )
    assert isinstance(typo, PerturbationAccuracy)
    assert typo.name == "perturbation_accuracy[typo]"
    robust = build_metric({"name": "robust_accuracy", "max_drop": 0.05}, context, where=where)
    assert isinstance(robust, RobustAccuracy) and robust.name == "robust_accuracy"
    assert build_metric("consistency", context, where=where).name == "consistency"
    for metric in (typo, robust, Consistency()):
        assert getattr(metric, "sees_variants", False) is True


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"name": "perturbation_accuracy"}, "parameter 'perturbation' is required"),
        ({"name": "perturbation_accuracy", "perturbation": "  "}, "'perturbation' is blank"),
        ({"name": "perturbation_accuracy", "perturbation": 3}, "must be a non-empty string"),
        ({"name": "robust_accuracy", "perturbation": "typo"}, "unknown parameter 'perturbation'"),
    ],
)
def test_a_bad_robustness_metric_spec_is_refused_naming_where(
    tmp_path: Path, spec: dict[str, object], words: str
) -> None:
    context = MetricContext(language="en", base_dir=tmp_path)
    with pytest.raises(ConfigError) as raised:
        build_metric(spec, context, where="shop.yaml metrics[2]")
    assert "shop.yaml metrics[2]" in str(raised.value)
    assert words in str(raised.value)


def test_an_items_answer_joins_its_members_and_a_missing_one_never_matches() -> None:
    run = mixed_run()
    now = {case.case_id: f"answer of {case.case_id}" for case in run}
    joined = RobustAccuracy().item_answers(run, now)
    assert list(joined) == list(ITEMS)
    changed = {**now, "退货-运费~homophone-1": "another answer"}
    again = RobustAccuracy().item_answers(run, changed)
    assert again["faq-refund"] == joined["faq-refund"]
    assert again["退货-运费"] != joined["退货-运费"]  # a variant's answer moved the item
    lacking = {k: v for k, v in now.items() if k != "faq-size~typo-1"}
    assert RobustAccuracy().item_answers(run, lacking)["faq-size"] != joined["faq-size"]


# --------------------------------------------------------------------------------------------
# Through the gate: a real suite, its baseline written and read back.

GOOD = "Refunds take 7 days. 退款需要7天。"
BAD = "I cannot say."
IDS = [f"faq-{i:02d}" for i in range(12)] + [f"退货-{i:02d}" for i in range(12)]
PERTURBED = {"typo": "refnud in 7 dyas?", "zero_width": "re\u200bfund in 7 days?"}


def write_suite(folder: Path) -> Suite:
    """24 cases (12 English, 12 Chinese ids), each with two variants, and the three robustness
    metrics with their bars (set on the loaded suite: the ``robustness:`` section that lets a
    manifest name them is read by another module)."""
    (folder / "shop.yaml").write_text(
        "name: shop\ncases: shop.jsonl\ncheck: contains\nlanguage: zh\n"
        "metrics:\n  - {name: accuracy, min: 0.5}\n",
        encoding="utf-8",
    )
    lines = [{"id": case_id, "input": f"refund {case_id}?", "expected": "7"} for case_id in IDS]
    (folder / "shop.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    suite = load_suite(folder / "shop.yaml", schemas_dir=ROOT / "fixtures" / "schemas")
    variants = tuple(
        replace(
            case,
            id=f"{case.id}~{name}-1",
            test_id=f"{case.test_id}~{name}-1",
            input=text,
            tags=(*case.tags, "variant"),
            variant_of=case.id,
            perturbation=name,
        )
        for case in suite.cases
        for name, text in PERTURBED.items()
    )
    metrics = (
        *suite.metrics,
        MetricSpec(RobustAccuracy(), min=0.8, max_drop=0.05),
        MetricSpec(Consistency(), min=0.8, max_drop=0.05),
        MetricSpec(PerturbationAccuracy(perturbation="typo"), min=0.8, max_drop=0.05),
    )
    return replace(suite, variants=variants, metrics=metrics)


def scored_run(
    suite: Suite, answers: Mapping[str, str], spec: MetricSpec | None = None
) -> list[ScoredCase]:
    """The scored cases the gate hands *spec*: originals and variants to a metric that sees
    variants, the originals alone to any other (the gate's rule)."""
    sees = spec is None or getattr(spec.metric, "sees_variants", False)
    cases = suite.test_cases if sees else suite.cases
    return [score_case(suite, case, answers[case.id]) for case in cases]


def record_baseline(suite: Suite, answers: Mapping[str, str], folder: Path) -> SuiteBaseline:
    """A reference run's baseline file, planned from its records, written and read back."""
    store = BaselineStore(folder)
    cases = [
        judge(suite, case, Prediction("", answers[case.id], 1, 0.0, False), None).to_record()
        for case in suite.test_cases
    ]
    metrics: list[MetricRecord] = [
        gate_metric(
            suite, spec, "value", scored_run(suite, answers, spec), None, alpha=0.05, samples=10
        ).to_record()
        for spec in suite.metrics
    ]
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


def no_drop(
    suite: Suite, name: str, answers: Mapping[str, str], baseline: SuiteBaseline
) -> MetricResult:
    spec = suite.metric(name)
    scored_cases = scored_run(suite, answers, spec)
    return gate_metric(suite, spec, "no_drop", scored_cases, baseline, alpha=0.05, samples=200)


def reference(suite: Suite) -> dict[str, str]:
    return {case.id: GOOD for case in suite.test_cases}


def test_the_baseline_keeps_robust_accuracy_by_original_id(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    record_baseline(suite, reference(suite), tmp_path / "baselines")
    stored = json.loads((tmp_path / "baselines" / "shop.json").read_text(encoding="utf-8"))
    assert sorted(stored["metrics"]["robust_accuracy"]["per_item"]) == sorted(IDS)
    typo = stored["metrics"]["perturbation_accuracy[typo]"]["per_item"]
    assert sorted(typo) == sorted(f"{case_id}~typo-1" for case_id in IDS)
    assert stored["metrics"]["robust_accuracy"]["value"] == 1.0


def test_variants_that_broke_since_the_baseline_fail_the_no_drop_tests(tmp_path: Path) -> None:
    """Ten variants passed on the baseline and fail now; their originals still pass, with an
    answer worded anew (so the unchanged-answer rule does not hide them: see the next test)."""
    suite = write_suite(tmp_path)
    baseline = record_baseline(suite, reference(suite), tmp_path / "baselines")
    broken = IDS[:5] + IDS[12:17]
    answers = {
        **reference(suite),
        **{case_id: "Refunds: 7 days." for case_id in broken},
        **{f"{case_id}~typo-1": BAD for case_id in broken},
    }
    for name in ("robust_accuracy", "consistency", "perturbation_accuracy[typo]"):
        result = no_drop(suite, name, answers, baseline)
        assert result.comparison is not None, name
        assert result.comparison.test == "mcnemar", name
        assert (result.comparison.worse, result.comparison.better) == (10, 0), name
        assert not result.outcome.passed, result.outcome.message
        assert "got worse (10)" in result.outcome.message
    robust = no_drop(suite, "robust_accuracy", answers, baseline)
    assert [flip.item for flip in robust.flips] == broken
    assert robust.value.value == 14 / 24


def test_a_variant_that_broke_while_its_original_answered_the_same_is_a_drop(
    tmp_path: Path,
) -> None:
    """The original's answer is the baseline's, its variant's is not: the item (the original's
    id) moved. The pieces the gate pairs with, given the item's answers from
    :meth:`RobustAccuracy.item_answers`, see the drop."""
    suite = write_suite(tmp_path)
    baseline = record_baseline(suite, reference(suite), tmp_path / "baselines")
    broken = IDS[:5] + IDS[12:17]
    answers = {**reference(suite), **{f"{case_id}~typo-1": BAD for case_id in broken}}
    spec = suite.metric("robust_accuracy")
    metric = spec.metric
    assert isinstance(metric, RobustAccuracy)
    run = scored_run(suite, answers)
    value = metric(run)
    assert value.item_ids is not None
    comparison, flips, outcome = judged_comparison(
        "shop::robust_accuracy",
        spec,
        value,
        baseline.metrics["robust_accuracy"],
        value.item_ids,
        alpha=0.05,
        samples=200,
        answers=metric.item_answers(run, answers),
        baseline_answers=metric.item_answers(run, {k: v.answer for k, v in baseline.cases.items()}),
    )
    assert (comparison.worse, comparison.better) == (10, 0)
    assert [flip.item for flip in flips] == broken
    assert not outcome.passed, outcome.message


def test_gate_metric_sees_a_variant_that_broke_while_its_original_answered_the_same(
    tmp_path: Path,
) -> None:
    suite = write_suite(tmp_path)
    baseline = record_baseline(suite, reference(suite), tmp_path / "baselines")
    broken = IDS[:5] + IDS[12:17]
    answers = {**reference(suite), **{f"{case_id}~typo-1": BAD for case_id in broken}}
    result = no_drop(suite, "robust_accuracy", answers, baseline)
    assert not result.outcome.passed, result.outcome.message


def test_an_unchanged_run_passes_every_no_drop_test(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    baseline = record_baseline(suite, reference(suite), tmp_path / "baselines")
    for name in ("robust_accuracy", "consistency", "perturbation_accuracy[typo]"):
        result = no_drop(suite, name, reference(suite), baseline)
        assert result.outcome.passed, result.outcome.message
        assert result.flips == ()


def test_a_run_without_variants_fails_the_robustness_value_tests(tmp_path: Path) -> None:
    """A run filtered to the originals (``-m "not variant"``) compared nothing: not green."""
    suite = write_suite(tmp_path)
    originals = [score_case(suite, case, GOOD) for case in suite.cases]
    result = gate_metric(
        suite, suite.metric("robust_accuracy"), "value", originals, None, alpha=0.05, samples=10
    )
    assert not result.outcome.passed
    assert "none of the cases this run judged counts towards it" in result.outcome.message
