"""Fast paths of the paired tests on large suites (issue 21, item 4): resampling per group of
identical count rows, and the normal draw of a large suite's resampled sums, against resampling
item by item on the same data. Their speed is measured by ``benchmarks/bootstrap_speed.py``, not
here."""

from __future__ import annotations

import random

import numpy as np
import pytest

from releasegate.core import bootstrap, permutation
from releasegate.core.paired import PairedComparison
from releasegate.core.stats import (
    LARGE_SUITE,
    LARGE_SUITE_SUPPORT,
    SummedStatistic,
    compare_per_item,
    compare_summed,
)
from releasegate.golden.checks import CheckResult
from releasegate.golden.metrics import Classification, ScoredCase
from releasegate.golden.textsim import bleu_from_statistics, bleu_statistics

LABELS = ("refund", "tracking", "return", "delivery", "greeting")
WORDS = [
    "the",
    "parcel",
    "ships",
    "in",
    "three",
    "to",
    "five",
    "days",
    "and",
    "your",
    "refund",
    "reaches",
    "you",
    "soon",
]


def f1_runs(items: int, seed: int) -> tuple[SummedStatistic, SummedStatistic]:
    """Macro-F1 counts of two runs on imbalanced labels, the candidate slightly worse."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(len(LABELS), size=items, p=[0.5, 0.2, 0.15, 0.1, 0.05])
    old = np.where(rng.random(items) < 0.7, truth, rng.integers(0, len(LABELS), items))
    new = np.where(rng.random(items) < 0.2, rng.integers(0, len(LABELS), items), old)
    runs = [
        [
            ScoredCase(f"c{i}", "", LABELS[t], CheckResult(False, "", None, LABELS[g]))
            for i, (t, g) in enumerate(zip(truth, guesses, strict=True))
        ]
        for guesses in (old, new)
    ]
    return Classification("f1_macro", "f1", "macro", labels=LABELS).paired_statistics(*runs)


def both_ways(
    monkeypatch: pytest.MonkeyPatch, run: object, switch: str, off: object
) -> tuple[PairedComparison, PairedComparison]:
    """*run()* with the fast path, then with it switched off (module attribute *switch* set to
    *off*): the slow path is the reference the fast one must agree with."""
    fast = run()  # type: ignore[operator]
    with monkeypatch.context() as patch:
        patch.setattr(bootstrap, switch, off)
        slow = run()  # type: ignore[operator]
    return fast, slow


def test_repeated_count_rows_resample_per_group_as_item_by_item(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before, now = f1_runs(3000, seed=1)
    assert bootstrap._grouped(np.hstack([before.counts, now.counts])) is not None

    def run() -> PairedComparison:
        return compare_summed(before, now, higher_is_better=True, samples=4000, confidence=0.9)

    fast, slow = both_ways(monkeypatch, run, "_grouped", lambda rows: None)
    assert fast.now < fast.baseline and fast.now == slow.now
    half_width = (slow.ci_high - slow.ci_low) / 2
    assert half_width > 0
    # The same distribution, drawn two ways: the ends agree to Monte Carlo error.
    assert fast.ci_low == pytest.approx(slow.ci_low, abs=0.1 * half_width)
    assert fast.ci_high == pytest.approx(slow.ci_high, abs=0.1 * half_width)
    assert fast.p_value == pytest.approx(slow.p_value, abs=0.02)


def bleu_counts(items: int, seed: int) -> tuple[SummedStatistic, SummedStatistic]:
    """BLEU statistics of 400 generated pairs (30 % of the candidate's answers re-drawn, a
    little worse), repeated to *items* rows, each copy with 0-19 extra matching words so
    that rows are distinct."""
    rng = random.Random(seed)
    refs, old, new = [], [], []
    for _ in range(400):
        ref = rng.choices(WORDS, k=rng.randint(6, 14))
        before = " ".join(w if rng.random() < 0.7 else rng.choice(WORDS) for w in ref)
        again = " ".join(w if rng.random() < 0.6 else rng.choice(WORDS) for w in ref)
        refs.append(" ".join(ref))
        old.append(before)
        new.append(before if rng.random() < 0.7 else again)
    tile = -(-items // 400)
    extra = np.random.default_rng(seed).integers(0, 20, size=(tile * 400, 1)).astype(float)

    def score(totals: np.ndarray) -> np.ndarray:
        return bleu_from_statistics(totals, language="en")

    return tuple(  # type: ignore[return-value]
        SummedStatistic(
            (np.tile(bleu_statistics(run, refs, language="en"), (tile, 1)) + extra)[:items], score
        )
        for run in (old, new)
    )


def test_a_large_suite_draws_its_interval_from_the_normal_as_resampling_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before, now = bleu_counts(LARGE_SUITE, seed=2)
    both = np.hstack([before.counts, now.counts])
    assert bootstrap._grouped(both) is None
    assert bootstrap._normal_resamples(np.random.default_rng(0), both, 10) is not None

    def run() -> PairedComparison:
        return compare_summed(before, now, higher_is_better=True, samples=2000, confidence=0.9)

    fast, slow = both_ways(monkeypatch, run, "LARGE_SUITE", 10**9)
    half_width = (slow.ci_high - slow.ci_low) / 2
    assert half_width > 0 and slow.ci_low < slow.difference < slow.ci_high
    assert fast.ci_low == pytest.approx(slow.ci_low, abs=0.1 * half_width)
    assert fast.ci_high == pytest.approx(slow.ci_high, abs=0.1 * half_width)
    assert fast.p_value == slow.p_value  # the p-value is the permutation test's either way


def test_a_large_mean_draws_its_interval_from_the_normal_as_resampling_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    before = rng.beta(2, 2, LARGE_SUITE)
    redraw = rng.random(LARGE_SUITE) < 0.3
    after = np.where(redraw, np.clip(rng.beta(2, 2, LARGE_SUITE) - 0.01, 0, 1), before)

    def run() -> PairedComparison:
        return compare_per_item(
            before.tolist(), after.tolist(), higher_is_better=True, samples=2000, confidence=0.9
        )

    fast, slow = both_ways(monkeypatch, run, "LARGE_SUITE", 10**9)
    half_width = (slow.ci_high - slow.ci_low) / 2
    assert fast.ci_low == pytest.approx(slow.ci_low, abs=0.1 * half_width)
    assert fast.ci_high == pytest.approx(slow.ci_high, abs=0.1 * half_width)
    assert fast.p_value == slow.p_value


def test_a_count_that_varies_on_few_items_keeps_resampling_item_by_item() -> None:
    rows = np.zeros((LARGE_SUITE, 2))
    rows[:, 0] = np.random.default_rng(4).integers(1, 30, LARGE_SUITE)
    rows[: LARGE_SUITE_SUPPORT - 1, 1] = 1.0  # a rare class: too few items for the normal
    assert bootstrap._normal_resamples(np.random.default_rng(0), rows, 10) is None
    rows[:LARGE_SUITE_SUPPORT, 1] = 1.0
    assert bootstrap._normal_resamples(np.random.default_rng(0), rows, 10) is not None
    assert bootstrap._normal_resamples(np.random.default_rng(0), rows[:-1], 10) is None  # too small


def test_swapped_sums_by_byte_tables_equal_the_swaps_they_stand_for() -> None:
    """The mean's permutation sums each random half through a table per 8 items; on the same
    random bits it gives what multiplying the 0/1 swap rows by the values gives."""
    values = np.random.default_rng(5).normal(size=101)  # not a multiple of 8
    (swaps,) = list(permutation._random_swaps(np.random.default_rng(6), len(values), 50))
    (sums,) = list(permutation._swapped_sums(np.random.default_rng(6), values, 50))
    assert swaps.shape == (50, 101) and 0 < swaps.mean() < 1
    np.testing.assert_allclose(sums, swaps @ values, rtol=0, atol=1e-12)
