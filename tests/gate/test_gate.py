"""Suite metrics against their bars (min/max) and against the baseline (max_drop)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from releasegate.core.stats import MIN_INTERVAL_ITEMS
from releasegate.gate.baselines import BaselineStore, CaseBaseline, MetricBaseline, SuiteBaseline
from releasegate.gate.comparisons import (
    compare_suite_metric,
    judge_bar,
    judge_comparison,
    suite_flips,
    suite_mismatch,
)
from releasegate.golden.checks import CheckResult
from releasegate.golden.metrics import MetricContext, MetricValue, ScoredCase, build_metric
from releasegate.golden.suites import MetricSpec


@dataclass(frozen=True)
class FakeMetric:
    """A metric whose direction the test chooses; the gate only reads its facts."""

    name: str = "score"
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = None

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        raise AssertionError("the gate must not recompute the metric")


def spec(
    *,
    higher: bool = True,
    min: float | None = None,
    max: float | None = None,
    max_drop: float | None = None,
) -> MetricSpec:
    name = "score" if higher else "error_rate"
    return MetricSpec(FakeMetric(name, higher), min=min, max=max, max_drop=max_drop)


IDS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7")
ANSWERS = {case_id: f"answer of {case_id}" for case_id in IDS}


def value(per_item: Sequence[float]) -> MetricValue:
    return MetricValue(sum(per_item) / len(per_item), tuple(per_item))


def listed(message: str) -> list[str]:
    """Case ids in the order the message lists them under "cases that cost most"."""
    lines = message.splitlines()
    start = next(i for i, line in enumerate(lines) if "cost most" in line)
    return [line.split()[0] for line in lines[start + 1 :]]


# ---------------------------------------------------------------------------------------------
# Bars


@pytest.mark.parametrize(
    ("bar", "score", "passed"),
    [
        ({"min": 0.5}, 0.5, True),
        ({"min": 0.5}, 0.49, False),
        ({"max": 0.2}, 0.2, True),
        ({"max": 0.2}, 0.21, False),
        ({"min": 0.1, "max": 0.9}, 0.5, True),
        ({"min": 0.1, "max": 0.9}, 0.95, False),
        ({"min": 0.1, "max": 0.9}, 0.05, False),
        ({}, 0.0, True),  # no bar: only reported
    ],
)
def test_bar(bar: dict[str, float], score: float, passed: bool) -> None:
    outcome = judge_bar("shop", spec(**bar), MetricValue(score, ()), [], {})
    assert outcome.passed is passed
    assert outcome.message.startswith("shop::score = ")
    assert f"{score:.4g}" in outcome.message


def test_bar_failure_says_which_bar() -> None:
    low = judge_bar("shop", spec(min=0.5, max=0.9), MetricValue(0.3, ()), [], {})
    assert "below its minimum 0.5" in low.message
    high = judge_bar("shop", spec(min=0.5, max=0.9), MetricValue(0.95, ()), [], {})
    assert "above its maximum 0.9" in high.message


def test_failed_min_bar_lists_lowest_cases_first() -> None:
    per_item = [1.0, 0.2, 0.9, 0.0, 0.5, 1.0, 0.1]
    outcome = judge_bar("shop", spec(min=0.9), value(per_item), IDS, ANSWERS, worst=3)
    assert not outcome.passed
    assert listed(outcome.message) == ["q4", "q7", "q2"]
    assert "answer of q4" in outcome.message
    assert "answer of q1" not in outcome.message


def test_failed_max_bar_of_lower_is_better_lists_highest_first() -> None:
    per_item = [0.0, 0.8, 0.1, 1.0, 0.0, 0.3, 0.0]
    outcome = judge_bar("shop", spec(higher=False, max=0.1), value(per_item), IDS, ANSWERS, worst=2)
    assert not outcome.passed
    assert listed(outcome.message) == ["q4", "q2"]


def test_passing_bar_lists_no_cases() -> None:
    outcome = judge_bar("shop", spec(min=0.1), value([1.0, 0.0, 1.0]), IDS[:3], ANSWERS)
    assert outcome.passed
    assert "cost most" not in outcome.message


def test_long_and_multiline_answers_are_shortened_in_the_list() -> None:
    answers = {"q1": "first line\nsecond line " + "x" * 500}
    outcome = judge_bar("shop", spec(min=0.5), value([0.0]), ["q1"], answers)
    line = next(line for line in outcome.message.splitlines() if line.strip().startswith("q1"))
    assert "first line second line" in line
    assert line.endswith("...")
    assert len(line) < 150


def test_nan_value_does_not_pass_a_bar() -> None:
    outcome = judge_bar("shop", spec(min=0.5), MetricValue(math.nan, ()), [], {})
    assert not outcome.passed


# ---------------------------------------------------------------------------------------------
# No-drop against the baseline: paired comparisons


@dataclass(frozen=True)
class MeanMetric(FakeMetric):
    """An additive fake metric: its value is the mean of its per-case values."""

    additive: bool = True


def mean_spec(*, higher: bool = True, max_drop: float = 0.05) -> MetricSpec:
    return MetricSpec(MeanMetric("score" if higher else "error_rate", higher), max_drop=max_drop)


def drop_verdict(
    before: dict[str, float],
    now: Sequence[float],
    *,
    higher: bool = True,
    max_drop: float = 0.05,
    alpha: float = 0.05,
) -> tuple[bool, str]:
    ids = list(before)[: len(now)] if len(before) >= len(now) else [*before, "new"]
    metric_spec = mean_spec(higher=higher, max_drop=max_drop)
    baseline = MetricBaseline(sum(before.values()) / len(before), before)
    comparison = compare_suite_metric(
        metric_spec, value(now), baseline, ids, recompute=None, samples=500, confidence=0.9
    )
    flips = suite_flips(
        value(now),
        baseline,
        ids,
        higher_is_better=higher,
        answers={i: f"now {i}" for i in ids},
        baseline_answers={i: f"before {i}" for i in ids},
    )
    outcome = judge_comparison(
        "shop::score",
        comparison,
        max_drop=max_drop,
        alpha=alpha,
        higher_is_better=higher,
        flips=flips,
    )
    return outcome.passed, outcome.message


def test_identical_outcomes_pass_with_a_zero_interval() -> None:
    before = {f"q{i}": float(i % 2) for i in range(40)}
    passed, message = drop_verdict(before, list(before.values()), max_drop=0.0)
    assert passed
    assert "diff +0 [90% CI +0, +0]" in message
    assert "p=1.000 (exact McNemar" in message
    assert "0 worse, 0 better of 40" in message


def test_accuracies_use_mcnemar_and_a_small_symmetric_change_passes() -> None:
    before = {f"q{i}": 1.0 if i < 20 else 0.0 for i in range(40)}
    now = [0.0 if i in (0, 1) else 1.0 if i in (20, 21) else before[f"q{i}"] for i in range(40)]
    passed, message = drop_verdict(before, now, max_drop=0.0)
    assert passed, message
    assert "exact McNemar" in message
    assert "2 worse, 2 better of 40" in message


def test_drop_over_tolerance_that_is_noise_passes() -> None:
    """Issue 21: the old rule failed any estimate beyond max_drop; 2 flips of 10 are noise."""
    before = dict.fromkeys([f"q{i}" for i in range(10)], 1.0)
    now = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]  # 1.0 -> 0.8
    passed, message = drop_verdict(before, now, max_drop=0.1, alpha=0.05)
    assert passed, message


def test_drop_significantly_beyond_tolerance_fails_and_lists_the_cases_that_got_worse() -> None:
    before = dict.fromkeys([f"q{i}" for i in range(40)], 1.0)
    now = [0.0 if i in (0, 3) or i >= 20 else 1.0 for i in range(40)]  # 22 of 40 worse
    passed, message = drop_verdict(before, now, max_drop=0.1)
    assert not passed
    assert "is significantly beyond max_drop 0.1" in message
    listed_lines = [line for line in message.splitlines() if line.startswith("    q")]
    assert [line.split()[0] for line in listed_lines][:2] == ["q0", "q3"]
    assert "'before q0' -> 'now q0'" in listed_lines[0]


def test_significant_drop_within_tolerance_passes() -> None:
    """Issue 21: a drop shown to be real but not shown to exceed max_drop is allowed."""
    before = dict.fromkeys([f"q{i}" for i in range(400)], 1.0)
    now = [0.0 if i < 12 else 1.0 for i in range(400)]  # -0.03, all 12 flips one way
    passed, message = drop_verdict(before, now, max_drop=0.05)
    assert passed, message
    failed, message = drop_verdict(before, now, max_drop=0.0)
    assert not failed
    assert "p=0.00024" in message


def test_drop_within_tolerance_and_not_significant_passes() -> None:
    before = {f"q{i}": 1.0 if i % 2 else 0.0 for i in range(200)}
    now = list(before.values())
    now[1] = now[3] = now[5] = 0.0  # three flips worse, one better
    now[0] = 1.0
    passed, message = drop_verdict(before, now, max_drop=0.05)
    assert passed, message
    assert "3 worse, 1 better" in message


def test_improvement_always_passes() -> None:
    before = dict.fromkeys([f"q{i}" for i in range(50)], 0.0)
    passed, _ = drop_verdict(before, [1.0] * 50, max_drop=0.0)
    assert passed


def test_lower_is_better_rise_fails_and_fall_passes() -> None:
    before = {f"q{i}": 0.2 for i in range(50)}
    rise, message = drop_verdict(before, [0.5] * 50, higher=False, max_drop=0.1)
    assert not rise
    assert "(lower is better)" in message
    assert "paired permutation" in message  # not 1/0 values
    fall, _ = drop_verdict(before, [0.1] * 50, higher=False, max_drop=0.0)
    assert fall


def test_cases_missing_from_the_baseline_are_not_paired() -> None:
    before = {"q1": 1.0, "q2": 1.0}
    passed, message = drop_verdict(before, [1.0, 1.0, 0.0], max_drop=0.0)
    assert passed
    assert "of 2" in message


def test_corpus_metric_recomputes_both_runs_on_each_resample() -> None:
    calls: list[int] = []

    def recompute(indices: Sequence[int]) -> tuple[float, float]:
        calls.append(len(indices))
        picked = list(indices)
        return (sum(1.0 for _ in picked) / len(picked), sum(0.5 for _ in picked) / len(picked))

    baseline = MetricBaseline(1.0, dict.fromkeys(IDS, 1.0))
    comparison = compare_suite_metric(
        spec(max_drop=0.1),  # FakeMetric: not additive
        MetricValue(0.5, tuple([0.5] * len(IDS))),
        baseline,
        IDS,
        recompute=recompute,
        samples=200,
        confidence=0.95,
    )
    assert comparison.test == "bootstrap"
    assert comparison.baseline == 1.0 and comparison.now == 0.5
    assert comparison.p_value < 0.01
    assert len(calls) == 201 and set(calls) == {len(IDS)}


# ---------------------------------------------------------------------------------------------
# An unchanged answer is never a flip, whatever the metric (values stored at 6 decimals)


def _scored(answer: str, expected: Any, prediction: Any = None, case_id: str = "c") -> ScoredCase:
    return ScoredCase(case_id, answer, expected, CheckResult(True, "", None, prediction))


_TEXTS = [
    ("the parcel ships in three days from the warehouse", "your parcel ships within three days"),
    ("refunds take five working days", "a refund reaches you in 3-5 working days"),
    ("we deliver to the mainland only", "we only deliver to the mainland, not abroad"),
    ("call us from nine to six", "our hotline is open nine to six, Monday to Saturday"),
    ("points are worth five yuan per hundred", "100 points are worth 5 yuan"),
    ("sorry, I do not know", "please contact customer service"),
]
_TEXT_CASES = [_scored(a, e, case_id=f"t{i}") for i, (a, e) in enumerate(_TEXTS)]
_LABEL_CASES = [
    _scored(label, want, label, f"l{i}")
    for i, (label, want) in enumerate(
        [("refund", "refund"), ("refund", "shipping"), ("shipping", "shipping"),
         ("order_status", "refund"), ("order_status", "order_status"), ("shipping", "shipping"),
         ("refund", "refund")]
    )
]  # fmt: skip
_FIELDS = {"city": "Leeds", "postcode": "LS1 4AP", "street": "2 Park Row"}
_FIELD_CASES = [
    _scored("{}", _FIELDS, {**_FIELDS, "city": "York", "postcode": "YO1"}, "f0"),
    _scored("{}", _FIELDS, {**_FIELDS, "street": None}, "f1"),
    _scored("{}", _FIELDS, dict(_FIELDS), "f2"),
    _scored("{}", _FIELDS, {"city": "Leeds", "postcode": "X", "street": "Y"}, "f3"),
]


@pytest.mark.parametrize(
    ("metric_name", "language", "cases"),
    [
        ("accuracy", "en", _TEXT_CASES),
        ("bleu", "en", _TEXT_CASES),
        ("chrf", "en", _TEXT_CASES),
        ("rougeL", "en", _TEXT_CASES),
        ("rouge1", "en", _TEXT_CASES),
        ("f1", "en", _LABEL_CASES),
        ("field_f1", "en", _FIELD_CASES),
    ],
)
@pytest.mark.parametrize("answers_known", [True, False])
def test_the_same_answers_read_back_from_a_baseline_file_never_flip(
    tmp_path: Path, metric_name: str, language: str, cases: list[ScoredCase], answers_known: bool
) -> None:
    """The baseline is written and read back (values rounded to its 6 decimals), then compared
    with the full-precision values of the very same answers: 0 worse, 0 better, no flips; with
    the answers (the session's case) and without them (a value compared with its stored copy)."""
    metric = build_metric(
        metric_name,
        MetricContext(
            language=language, base_dir=tmp_path, labels=("refund", "shipping", "order_status")
        ),
        where="test",
    )
    now = metric(cases)
    ids = [case.case_id for case in cases]
    assert any(round(v, 6) != v for v in now.per_item) or metric_name in ("accuracy", "f1")
    BaselineStore(tmp_path).write(
        SuiteBaseline(
            "s",
            cases={c.case_id: CaseBaseline("passed", c.answer) for c in cases},
            metrics={
                metric.name: MetricBaseline(now.value, dict(zip(ids, now.per_item, strict=True)))
            },
        )
    )
    stored = BaselineStore(tmp_path).load("s")
    assert stored is not None
    baseline = stored.metrics[metric.name]
    answers = {c.case_id: c.answer for c in cases} if answers_known else {}
    before_answers = {k: v.answer for k, v in stored.cases.items()} if answers_known else {}

    def recompute(indices: Sequence[int]) -> tuple[float, float]:
        again = metric([cases[i] for i in indices]).value
        return again, again

    comparison = compare_suite_metric(
        MetricSpec(metric, max_drop=0.0),
        now,
        baseline,
        ids,
        recompute=None if getattr(metric, "additive", False) else recompute,
        samples=50,
        confidence=0.9,
        answers=answers,
        baseline_answers=before_answers,
    )
    flips = suite_flips(
        now,
        baseline,
        ids,
        higher_is_better=True,
        answers=answers,
        baseline_answers=before_answers,
    )
    assert flips == []
    assert (comparison.worse, comparison.better, comparison.items) == (0, 0, len(cases))
    outcome = judge_comparison(
        f"s::{metric.name}", comparison, max_drop=0.0, alpha=0.05, higher_is_better=True
    )
    assert outcome.passed, outcome.message
    assert f"0 worse, 0 better of {len(cases)}" in outcome.message


def test_a_changed_answer_with_a_changed_value_still_flips() -> None:
    """The stored-precision rule hides nothing real: a value that moved beyond the sixth decimal
    is a flip even when stored rounded."""
    baseline = MetricBaseline(0.5, {"a": 0.333333, "b": 0.666667})
    now = MetricValue(0.5, (1 / 3, 0.666))
    flips = suite_flips(
        now,
        baseline,
        ["a", "b"],
        higher_is_better=True,
        answers={"a": "x", "b": "y"},
        baseline_answers={"a": "x", "b": "z"},
    )
    assert [(f.item, f.direction) for f in flips] == [("b", "worse")]


# ---------------------------------------------------------------------------------------------
# A suite changed since its baseline: paired on the cases both have, refused when too few


def test_cases_added_and_removed_are_counted_and_left_out_of_the_pairing() -> None:
    before = {f"q{i}": 1.0 if i % 2 else 0.0 for i in range(12)}  # q0..q11
    ids = [f"q{i}" for i in range(2, 12)] + ["new1", "new2", "new3"]  # q0, q1 removed
    now = [before.get(i, 1.0) for i in ids]
    baseline = MetricBaseline(0.5, before)
    comparison = compare_suite_metric(
        mean_spec(), value(now), baseline, ids, recompute=None, samples=200, confidence=0.9
    )
    assert (comparison.items, comparison.added, comparison.removed) == (10, 3, 2)
    assert not math.isnan(comparison.ci_low)
    described = comparison.describe()
    assert "0 worse, 0 better of 10" in described
    assert "3 case(s) added and 2 removed since the baseline, not compared" in described
    assert suite_mismatch("shop", "score", ids, baseline) is None


def test_a_corpus_metric_is_recomputed_on_the_cases_the_baseline_answered() -> None:
    """The baseline has no answer for the added cases: the corpus metric is paired on the others
    instead of falling back to bare values ("of 0", CI nan)."""
    seen: list[list[int]] = []

    def recompute(indices: Sequence[int]) -> tuple[float, float]:
        seen.append(list(indices))
        return 1.0, 1.0

    ids = [*IDS, "added"]
    comparison = compare_suite_metric(
        spec(max_drop=0.1),
        value([1.0] * len(ids)),
        MetricBaseline(1.0, dict.fromkeys(IDS, 1.0)),
        ids,
        recompute=recompute,
        samples=20,
        confidence=0.9,
        answers={**ANSWERS, "added": "x"},
        baseline_answers={k: f"old {v}" for k, v in ANSWERS.items()},
    )
    assert comparison.items == len(IDS) and comparison.added == 1
    # Fewer than MIN_INTERVAL_ITEMS compared cases: no interval (issue 21).
    assert math.isnan(comparison.ci_low) == (len(IDS) < MIN_INTERVAL_ITEMS)
    assert all(len(ids) - 1 not in picked for picked in seen)


def test_too_few_cases_left_to_pair_is_refused_with_the_update_command() -> None:
    baseline = MetricBaseline(0.5, {f"old{i}": 1.0 for i in range(10)})
    ids = ["old0", "old1", "new0", "new1", "new2"]  # 2 of 5 in the baseline
    refused = suite_mismatch("shop", "bleu", ids, baseline)
    assert refused is not None
    assert "shop::bleu: the suite changed since its baseline: 2 of its 5 cases" in refused
    assert "(3 added, 8 removed)" in refused
    assert "pytest model_tests --suite shop --update-baseline" in refused
    assert suite_mismatch("shop", "bleu", ["old0", "new0"], baseline) is None  # half is enough
    assert suite_mismatch("shop", "bleu", ids, MetricBaseline(0.5, {})) is None  # values alone
