"""Paired tests of a run against its baseline: exactness, direction, intervals, false alarms."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from releasegate.core.stats import (
    compare_per_item,
    false_alarm_rate,
    mcnemar,
    mean_statistic,
    paired_bootstrap,
    unchanged,
)


def test_mcnemar_counts_discordant_items_and_matches_the_binomial_tail() -> None:
    before = [1, 1, 1, 1, 1, 1, 0, 0, 1, 0]
    after = [0, 0, 0, 0, 1, 1, 1, 0, 1, 0]
    result = mcnemar([float(x) for x in before], [float(x) for x in after])
    assert (result.worse, result.better, result.items) == (4, 1, 10)
    assert result.baseline == pytest.approx(0.7) and result.now == pytest.approx(0.4)
    # P(X >= 4 | X ~ Bin(5, 1/2)) = 6/32.
    assert result.p_value == pytest.approx(6 / 32)
    assert result.test == "mcnemar"


def test_mcnemar_is_one_sided_an_improvement_is_never_significant() -> None:
    result = mcnemar([0.0] * 30, [1.0] * 30)
    assert result.p_value == 1.0
    assert result.difference == 1.0


def test_mcnemar_of_identical_runs_is_exactly_zero() -> None:
    result = mcnemar([1.0, 0.0, 1.0], [1.0, 0.0, 1.0])
    assert (result.ci_low, result.ci_high, result.p_value) == (0.0, 0.0, 1.0)


def test_mcnemar_rejects_unpaired_or_non_binary_input() -> None:
    with pytest.raises(ValueError, match="length"):
        mcnemar([1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="1/0"):
        mcnemar([0.5], [1.0])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=300),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_mcnemar_interval_holds_the_observed_difference(
    pairs: list[tuple[bool, bool]], confidence: float
) -> None:
    before = [float(b) for b, _ in pairs]
    after = [float(a) for _, a in pairs]
    result = mcnemar(before, after, confidence=confidence)
    assert -1.0 <= result.ci_low <= result.difference + 1e-12
    assert result.difference - 1e-12 <= result.ci_high <= 1.0
    assert 0.0 <= result.p_value <= 1.0
    flips = result.worse + result.better
    if flips:
        assert result.p_value == pytest.approx(
            binomtest(result.worse, flips, 0.5, alternative="greater").pvalue
        )


def test_bootstrap_of_a_clear_drop_is_significant_and_its_interval_excludes_zero() -> None:
    rng = np.random.default_rng(1)
    before = rng.beta(5, 2, 200)
    after = before - 0.05 + rng.normal(0, 0.05, 200)
    result = paired_bootstrap(
        mean_statistic(before.tolist()), mean_statistic(after.tolist()), 200, samples=2000
    )
    assert result.test == "bootstrap"
    assert result.p_value < 0.001
    assert result.ci_high < 0 < -result.ci_low
    assert result.ci_low < result.difference < result.ci_high


def test_bootstrap_direction_follows_the_metric() -> None:
    before = [0.2] * 50
    after = [0.3] * 50
    rise_is_bad = paired_bootstrap(
        mean_statistic(before), mean_statistic(after), 50, higher_is_better=False
    )
    rise_is_good = paired_bootstrap(mean_statistic(before), mean_statistic(after), 50)
    assert rise_is_good.p_value == 1.0
    assert rise_is_bad.p_value < 0.01


def test_bootstrap_is_repeatable_for_a_seed() -> None:
    rng = np.random.default_rng(3)
    before, after = rng.random(80).tolist(), rng.random(80).tolist()
    first = paired_bootstrap(mean_statistic(before), mean_statistic(after), 80, seed=7)
    second = paired_bootstrap(mean_statistic(before), mean_statistic(after), 80, seed=7)
    assert first == second


def test_bootstrap_recomputes_a_non_additive_statistic_on_the_same_items() -> None:
    seen: list[tuple[int, ...]] = []

    def stat(picked: np.ndarray) -> float:
        seen.append(tuple(int(i) for i in picked))
        return float(np.median(picked))

    paired_bootstrap(stat, stat, 9, samples=20, seed=0)
    # Both runs see the same resample each time: consecutive calls come in identical pairs.
    resamples = seen[2:]
    assert all(resamples[i] == resamples[i + 1] for i in range(0, len(resamples), 2))


@pytest.mark.parametrize(("test", "items"), [("mcnemar", 120), ("mean", 60), ("mean", 10)])
def test_false_alarm_rate_stays_at_or_below_the_level(test: str, items: int) -> None:
    """Nothing changes but noise: the gate's test fires at most about alpha of the time.

    A small simulation (the figures in docs/baselines-and-gates.md come from
    benchmarks/false_alarms.py, with many more trials); the bound allows three standard errors of
    the simulated rate."""
    trials, alpha = 400, 0.05
    rate = false_alarm_rate(
        test, items=items, flip_rate=0.2, alpha=alpha, trials=trials, bootstrap_samples=400
    )
    assert rate <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / trials)


def test_false_alarm_rate_offers_only_the_tests_the_gate_uses() -> None:
    with pytest.raises(ValueError, match="use mcnemar or mean"):
        false_alarm_rate("bootstrap", items=10, flip_rate=1.0, alpha=0.05, trials=1)


def test_a_real_drop_is_detected_nearly_always() -> None:
    """The other side: 120 items, 10 points of accuracy lost, is found at alpha 0.05."""
    rng = np.random.default_rng(5)
    found = 0
    for _ in range(100):
        before = (rng.random(120) < 0.6).astype(float)
        lost = (before == 1.0) & (rng.random(120) < 0.2)
        after = np.where(lost, 0.0, before)
        found += mcnemar(before.tolist(), after.tolist()).p_value < 0.05
    assert found >= 95


# ---------------------------------------------------------------------------------------------
# Corpus metrics resampled through their per-item counts


def _scored_texts(seed: int, items: int, *, labelled: bool = False) -> tuple[list[Any], list[Any]]:
    """Two runs of answers to the same *items* questions: the second changes about a third."""
    from releasegate.golden.checks import CheckResult
    from releasegate.golden.metrics import ScoredCase

    rng = random.Random(seed)
    words = [
        "the",
        "parcel",
        "ships",
        "in",
        "three",
        "five",
        "days",
        "refund",
        "money",
        "back",
        "order",
        "tracking",
    ]
    refs = [" ".join(rng.choices(words, k=8)) for _ in range(items)]

    def answer(ref: str) -> str:
        kept = [w if rng.random() < 0.6 else rng.choice(words) for w in ref.split()]
        return " ".join(kept[: rng.randint(4, 9)])

    before = [answer(ref) for ref in refs]
    now = [answer(ref) if rng.random() < 0.35 else b for ref, b in zip(refs, before, strict=True)]
    labels = ["refund", "refund", "refund", "tracking", "tracking", "greeting"]
    truth = [labels[i % len(labels)] for i in range(items)]

    def guess(i: int) -> str:
        return truth[i] if rng.random() < 0.6 else rng.choice(labels)

    said = [guess(i) for i in range(items)]
    said_now = [guess(i) if now[i] != before[i] else said[i] for i in range(items)]

    def case(i: int, text: str, label: str, labelled: bool) -> ScoredCase:
        expected = truth[i] if labelled else refs[i]
        return ScoredCase(f"c{i}", text, expected, CheckResult(False, "", None, label))

    return (
        [case(i, t, said[i], labelled) for i, t in enumerate(before)],
        [case(i, t, said_now[i], labelled) for i, t in enumerate(now)],
    )


@pytest.mark.slow  # the old way, recomputing the metric 1600 times, takes 10-40 s
@pytest.mark.parametrize("name", ["bleu", "chrf", "f1"])
def test_resampling_counts_agrees_with_recomputing_the_metric(name: str) -> None:
    """The vectorised bootstrap of per-item counts and the old one that recomputes the metric
    from the answers on every resample give the same p-value and interval within Monte Carlo
    error (different seeds, so the draws differ)."""
    from releasegate.golden.metrics import MetricContext, build_metric

    metric = build_metric(
        name, MetricContext("en", Path("."), ("refund", "tracking", "greeting")), where="test"
    )
    items, samples = 50, 800
    before, now = _scored_texts(3, items, labelled=name == "f1")
    assert metric(before).value != metric(now).value
    summed = metric.paired_statistics(before, now)  # type: ignore[attr-defined]
    fast = paired_bootstrap(*summed, items, samples=samples, seed=1)
    slow = paired_bootstrap(
        lambda picked: metric([before[i] for i in picked]).value,
        lambda picked: metric([now[i] for i in picked]).value,
        items,
        samples=samples,
        seed=2,
    )
    assert fast.baseline == pytest.approx(metric(before).value)
    assert fast.now == pytest.approx(metric(now).value)
    p = min(max(slow.p_value, 0.01), 0.99)
    assert abs(fast.p_value - slow.p_value) <= 4 * math.sqrt(2 * p * (1 - p) / samples)
    width = slow.ci_high - slow.ci_low
    assert abs(fast.ci_low - slow.ci_low) < 0.15 * width
    assert abs(fast.ci_high - slow.ci_high) < 0.15 * width


def test_counts_of_a_resample_score_as_the_metric_recomputed() -> None:
    """Each decomposable metric scores any subset of its per-item counts exactly as it scores
    those cases' answers (labels the suite does not declare included)."""
    from releasegate.golden.metrics import MetricContext, build_metric

    rng = np.random.default_rng(0)
    for labels in [("refund", "tracking", "greeting"), ()]:
        context = MetricContext("en", Path("."), labels)
        for spec in [
            "bleu",
            "chrf",
            "f1",
            {"name": "f1", "average": "micro"},
            {"name": "f1", "average": "weighted"},
            {"name": "precision", "label": "greeting"},
            {"name": "recall", "label": "absent"} if not labels else "recall",
        ]:
            metric = build_metric(spec, context, where="test")
            before, now = _scored_texts(5, 30, labelled=spec not in ("bleu", "chrf"))
            stats = metric.paired_statistics(before, now)  # type: ignore[attr-defined]
            for _ in range(10):
                picked = rng.integers(0, 30, size=rng.integers(1, 30))
                for run, stat in zip((before, now), stats, strict=True):
                    want = metric([run[i] for i in picked]).value
                    assert stat(picked) == pytest.approx(want, abs=1e-9), spec


def test_field_counts_score_as_the_metric_recomputed() -> None:
    from releasegate.golden.checks import CheckResult
    from releasegate.golden.metrics import MetricContext, ScoredCase, build_metric

    expected = {"city": "Leeds", "postcode": "LS1", "street": None}
    predictions = [
        {"city": "Leeds", "postcode": "LS1", "street": None},
        {"city": "York", "postcode": None, "street": None},
        {"city": None, "postcode": None, "street": None},
        {"city": "Leeds", "postcode": "X", "street": "1 Road"},
    ]
    cases = [
        ScoredCase(f"c{i}", "{}", expected, CheckResult(False, "", None, p))
        for i, p in enumerate(predictions)
    ]
    for name in ("field_f1", "field_precision", "field_recall"):
        metric = build_metric(name, MetricContext("en", Path(".")), where="test")
        stats = metric.paired_statistics(cases, cases)  # type: ignore[attr-defined]
        for picked in ([0], [2], [2, 2], [1, 3], [0, 1, 2, 3]):
            want = metric([cases[i] for i in picked]).value
            assert stats[0](np.array(picked)) == pytest.approx(want), (name, picked)


def test_unchanged_answers_compare_exactly_without_resampling() -> None:
    comparison = unchanged(12.5, 40, confidence=0.9)
    assert (comparison.difference, comparison.p_value) == (0.0, 1.0)
    assert "every answer as in the baseline" in comparison.describe()
    assert "0 worse, 0 better of 40" in comparison.describe()


def test_three_flips_of_fifty_one_are_not_significant_for_macro_f1() -> None:
    """Three of 51 intents got worse and none better: an exact test on three flips cannot go
    below p = 1/8. The paired bootstrap said p = 0.05 and failed the gate; the permutation
    test the gate now uses for count-based metrics gives about 1/8 and says so."""
    from releasegate.core.stats import compare_summed
    from releasegate.golden.checks import CheckResult
    from releasegate.golden.metrics import MetricContext, ScoredCase, build_metric

    labels = ("refund", "tracking", "return", "greeting", "cancel")
    truth = [labels[min(i % 9, 4)] for i in range(51)]  # imbalanced: "refund" most

    def run(wrong: set[int]) -> list[ScoredCase]:
        said = [labels[(labels.index(t) + 1) % 5] if i in wrong else t for i, t in enumerate(truth)]
        return [
            ScoredCase(f"c{i}", s, t, CheckResult(s == t, "", None, s))
            for i, (s, t) in enumerate(zip(said, truth, strict=True))
        ]

    before, now = run({0, 9, 18, 40}), run({0, 9, 18, 40, 3, 12, 22})
    metric = build_metric("f1", MetricContext("en", Path("."), labels), where="test")
    stats = metric.paired_statistics(before, now)  # type: ignore[attr-defined]
    result = compare_summed(
        *stats, higher_is_better=True, samples=2000, confidence=0.9, worse=3, better=0
    )
    assert result.test == "permutation"
    assert result.p_value == pytest.approx(1 / 8, abs=0.03)
    assert "paired permutation, one-sided" in result.describe()
    assert result.ci_low < result.difference < 0


def test_a_lower_is_better_rate_of_1_0_items_counts_a_rise_as_worse() -> None:
    """An over-refusal or leak rate: 1 is the bad outcome. Eight items going 0 -> 1 is a rise
    (worse), significant, with the interval of ``now - baseline`` above 0; the same flips of a
    higher-is-better rate are improvements (issue 25)."""
    before = [0.0] * 20
    after = [1.0] * 8 + [0.0] * 12
    rate = compare_per_item(before, after, higher_is_better=False, samples=100, confidence=0.9)
    assert (rate.test, rate.worse, rate.better) == ("mcnemar", 8, 0)
    assert (rate.baseline, rate.now) == (0.0, 0.4)
    assert rate.p_value < 0.01
    assert 0 < rate.ci_low <= 0.4 <= rate.ci_high + 1e-12
    accuracy = compare_per_item(before, after, higher_is_better=True, samples=100, confidence=0.9)
    assert (accuracy.worse, accuracy.better, accuracy.p_value) == (0, 8, 1.0)
    assert (accuracy.ci_low, accuracy.ci_high) == pytest.approx((rate.ci_low, rate.ci_high))
