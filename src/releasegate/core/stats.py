"""Paired comparisons of a new run with its baseline, on the same items.

A no-drop gate compares two runs over the *same* questions, so the comparison is paired:

- For an accuracy (each item right or wrong), only the items that changed carry information.
  :func:`mcnemar` runs the exact McNemar test on those discordant items: under "no real change"
  an item that flipped is equally likely to have flipped either way, so the number that got
  worse is Binomial(flips, 1/2). The confidence interval of the difference is the exact
  (Clopper-Pearson) interval of that binomial proportion, scaled to the whole set.
- For a mean of per-item values (ROUGE-L, a mean score, a human score),
  :func:`permutation_of_means` runs the sign-flip permutation test of the per-item differences
  (exact up to :data:`EXACT_FLIPS` changed items); :func:`paired_bootstrap` gives only the
  interval (Koehn 2004), none below :data:`MIN_INTERVAL_ITEMS` items.
- A metric computed from per-item counts (:class:`SummedStatistic`: corpus BLEU and chrF, F1)
  gets the p-value of :func:`paired_permutation`, which holds its level on small suites where
  the bootstrap's does not, and the bootstrap's interval through those counts
  (:func:`compare_summed`). On large suites repeated count rows are drawn per group and the
  interval's resampled sums from the normal (:data:`LARGE_SUITE`): 100,000 items in well under
  a second. Only a metric recomputed per resample still has a bootstrap p-value.

Both p-values are one-sided, for "the new run is worse": the gate fails on a significant drop,
never on a significant improvement. :func:`false_alarm_rate` measures, by simulation, how often
each test fires when nothing changed.

The pieces live in their own modules: :mod:`.paired` (the :class:`PairedComparison` record),
:mod:`.bootstrap` (intervals, resampling), :mod:`.permutation` (sign-flip and count-swapping
tests). This module holds McNemar and the comparisons the gate calls, and re-exports the rest
so that ``releasegate.core.stats`` stays the one import for a paired test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .bootstrap import (
    LARGE_SUITE,
    LARGE_SUITE_SUPPORT,
    MIN_INTERVAL_ITEMS,
    MeanStatistic,
    Statistic,
    SummedStatistic,
    mean_statistic,
    paired_bootstrap,
)
from .paired import PairedComparison, is_binary, refuse_nan, unchanged
from .permutation import EXACT_FLIPS, paired_permutation, permutation_of_means

__all__ = [
    "EXACT_FLIPS",
    "LARGE_SUITE",
    "LARGE_SUITE_SUPPORT",
    "MIN_INTERVAL_ITEMS",
    "MeanStatistic",
    "PairedComparison",
    "Statistic",
    "SummedStatistic",
    "compare_per_item",
    "compare_summed",
    "false_alarm_rate",
    "is_binary",
    "mcnemar",
    "mean_statistic",
    "paired_bootstrap",
    "paired_permutation",
    "permutation_of_means",
    "refuse_nan",
    "unchanged",
]


def mcnemar(
    before: Sequence[float], after: Sequence[float], *, confidence: float = 0.95
) -> PairedComparison:
    """Exact McNemar test of paired right/wrong outcomes (1 = right), one-sided for a drop.

    ``worse`` (b) items were right before and wrong now, ``better`` (c) the reverse. Under no
    change b ~ Binomial(b + c, 1/2); the p-value is P(X >= b). The interval of the difference
    ``(c - b) / n`` is the Clopper-Pearson interval of c / (b + c), scaled by (b + c) / n: it is
    exactly 0 when nothing flipped.
    """
    if len(before) != len(after):
        raise ValueError(f"paired samples differ in length: {len(before)} and {len(after)}")
    if not is_binary(before) or not is_binary(after):
        raise ValueError("McNemar's test needs right/wrong (1/0) outcomes")
    n = len(before)
    old_values = np.asarray(before, dtype=np.float64)
    new_values = np.asarray(after, dtype=np.float64)
    worse = int(np.count_nonzero((old_values == 1.0) & (new_values == 0.0)))
    better = int(np.count_nonzero((old_values == 0.0) & (new_values == 1.0)))
    old = float(np.count_nonzero(old_values)) / n if n else math.nan
    new = float(np.count_nonzero(new_values)) / n if n else math.nan
    flips = worse + better
    if flips == 0:
        return PairedComparison("mcnemar", old, new, 0.0, 0.0, 1.0, n, 0, 0, confidence)
    from scipy.stats import beta, binomtest  # 0.7 s to import: only when a case flipped

    p_value = binomtest(worse, flips, 0.5, alternative="greater").pvalue
    tail = (1 - confidence) / 2
    # Clopper-Pearson interval of the share of flips that were improvements.
    low = beta.ppf(tail, better, worse + 1) if better > 0 else 0.0
    high = beta.ppf(1 - tail, better + 1, worse) if worse > 0 else 1.0
    scale = flips / n
    return PairedComparison(
        "mcnemar",
        old,
        new,
        float(scale * (2 * low - 1)),
        float(scale * (2 * high - 1)),
        float(p_value),
        n,
        worse,
        better,
        confidence,
    )


def compare_summed(
    before: SummedStatistic,
    after: SummedStatistic,
    *,
    higher_is_better: bool,
    samples: int,
    confidence: float,
    seed: int = 0,
    worse: int = 0,
    better: int = 0,
) -> PairedComparison:
    """The paired test of a metric computed from per-item counts (corpus BLEU/chrF, F1): the
    p-value of the paired permutation test, the interval of the paired bootstrap.

    Why not the bootstrap's p-value: simulated with nothing changed
    (``benchmarks/false_alarms_corpus.py``), the bootstrap fired on macro-F1 with imbalanced
    labels 7.0 % (± 0.8) of the time at 30 items and 7.9 % (± 0.9) at 50, above alpha = 5 %;
    the permutation test stayed at or below it at 30, 50 and 100 items for F1, BLEU and chrF.
    """
    interval = paired_bootstrap(
        before,
        after,
        len(after.counts),
        higher_is_better=higher_is_better,
        samples=samples,
        seed=seed,
        confidence=confidence,
    )
    return paired_permutation(
        before,
        after,
        higher_is_better=higher_is_better,
        samples=samples,
        seed=seed,
        worse=worse,
        better=better,
        interval=(interval.ci_low, interval.ci_high),
        confidence=confidence,
    )


def compare_per_item(
    before: Sequence[float],
    after: Sequence[float],
    *,
    higher_is_better: bool,
    samples: int,
    confidence: float,
    seed: int = 0,
    worse: int = 0,
    better: int = 0,
    ids: Sequence[str] = (),
    where: str = "a paired comparison",
) -> PairedComparison:
    """The paired test of a metric that is the mean of its per-item values: exact McNemar when
    every value is 1/0 (an accuracy), else the sign-flip permutation test of the differences
    with a paired bootstrap interval (:func:`permutation_of_means`)."""
    refuse_nan(before, after, ids=ids, where=where)
    if is_binary(before) and is_binary(after):
        if higher_is_better:
            return mcnemar(before, after, confidence=confidence)
        # A lower-is-better rate of 1/0 items (an over-refusal or leak rate: 1 is the bad
        # outcome): McNemar counts a 1 that became 0 as worse, so it is run on the flipped
        # outcomes and its figures turned back into the rate's own.
        flipped = mcnemar(
            [1.0 - x for x in before], [1.0 - x for x in after], confidence=confidence
        )
        return replace(
            flipped,
            baseline=1.0 - flipped.baseline,
            now=1.0 - flipped.now,
            ci_low=-flipped.ci_high,
            ci_high=-flipped.ci_low,
        )
    return permutation_of_means(
        before,
        after,
        higher_is_better=higher_is_better,
        samples=samples,
        seed=seed,
        confidence=confidence,
        worse=worse,
        better=better,
    )


def false_alarm_rate(
    test: str,
    *,
    items: int,
    flip_rate: float,
    alpha: float,
    trials: int,
    seed: int = 0,
    accuracy: float = 0.5,
    bootstrap_samples: int = 500,
) -> float:
    """How often the gate's paired test reports a significant drop at level *alpha* when
    nothing changed (its p-value only; ``benchmarks/false_alarms.py`` measures the verdict).

    Each trial draws a baseline of *items* right/wrong outcomes (right with probability
    *accuracy*) for ``mcnemar`` (exact McNemar), or scores in [0, 1] for ``mean`` (the sign-flip
    permutation test :func:`compare_per_item` runs for a mean metric); then a "re-run" in which
    each item flips (or its score is redrawn) with probability *flip_rate*, symmetrically, so
    the true difference is zero. The returned rate is the share of trials with p < *alpha*.
    The paired bootstrap's p-value, which the gate no longer uses (above alpha on small
    suites), is not offered.
    """
    rng = np.random.default_rng(seed)
    alarms = 0
    for trial in range(trials):
        if test == "mcnemar":
            before = (rng.random(items) < accuracy).astype(float)
            # Symmetric flips: an item is redrawn with the same accuracy, so P(1->0) = P(0->1)
            # in expectation and the expected accuracy is unchanged.
            redraw = rng.random(items) < flip_rate
            after = np.where(redraw, (rng.random(items) < accuracy).astype(float), before)
            p = mcnemar(before.tolist(), after.tolist()).p_value
        elif test == "mean":
            before = rng.beta(2, 2, items)
            redraw = rng.random(items) < flip_rate
            after = np.where(redraw, rng.beta(2, 2, items), before)
            p = compare_per_item(
                before.tolist(),
                after.tolist(),
                higher_is_better=True,
                samples=bootstrap_samples,
                confidence=1 - 2 * alpha,
                seed=seed + trial,
            ).p_value
        else:
            raise ValueError(
                f"unknown test '{test}': use mcnemar or mean (the tests the gate uses; the "
                "paired bootstrap's p-value is no longer one of them)"
            )
        alarms += p < alpha
    return alarms / trials
