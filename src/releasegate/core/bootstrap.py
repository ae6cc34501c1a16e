"""The paired bootstrap: the confidence interval of ``new - baseline`` on the same items.

Each resample draws the items with replacement and scores both runs on the same draw, so item
difficulty cancels out (Koehn 2004). A metric that is a mean (:class:`MeanStatistic`) or a
function of summed per-item counts (:class:`SummedStatistic`: corpus BLEU and chrF, F1) is
resampled from its values or counts at once, a bounded block of cells at a time; identical rows
are drawn per group, and on a large suite (:data:`LARGE_SUITE`) the resampled sums come from the
normal: 100,000 items in well under a second. Only a metric recomputed per resample still has a
bootstrap p-value; the gate's p-values come from :mod:`.permutation` and :mod:`.stats`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from .paired import PairedComparison

__all__ = [
    "LARGE_SUITE",
    "LARGE_SUITE_SUPPORT",
    "MIN_INTERVAL_ITEMS",
    "MeanStatistic",
    "Statistic",
    "SummedStatistic",
    "mean_statistic",
    "paired_bootstrap",
]


Statistic = Callable[[np.ndarray], float]
"""A metric over a subset of items, given as an array of item indices."""


def paired_bootstrap(
    baseline_stat: Statistic,
    new_stat: Statistic,
    items: int,
    *,
    higher_is_better: bool = True,
    samples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    worse: int = 0,
    better: int = 0,
) -> PairedComparison:
    """Paired bootstrap of ``new - baseline``, one-sided for a drop.

    Each resample draws *items* indices with replacement and evaluates both statistics on the
    same indices, so item difficulty cancels out. The p-value is the share of resampled
    differences, shifted to centre on zero (the null), that are at least as far on the worse
    side as the observed one; the interval is the percentile interval, widened about the
    observed difference by sqrt(n / (n - 1)) (resampled differences spread that much less than
    the statistic itself) and by Student's t over the normal quantile (small samples). Below
    :data:`MIN_INTERVAL_ITEMS` items there is no
    interval (NaN: "too few cases for an interval"): it would claim a precision the sample
    cannot support. *worse* and *better* (items that moved) are passed through for the report.
    """
    if items < 1:
        raise ValueError("a paired bootstrap needs at least one item")
    everything = np.arange(items)
    old = float(baseline_stat(everything))
    new = float(new_stat(everything))
    observed = new - old
    rng = np.random.default_rng(seed)
    if isinstance(baseline_stat, MeanStatistic) and isinstance(new_stat, MeanStatistic):
        deltas = _mean_resamples(rng, new_stat.values - baseline_stat.values, samples)
    elif isinstance(baseline_stat, SummedStatistic) and isinstance(new_stat, SummedStatistic):
        deltas = _summed_resamples(rng, baseline_stat, new_stat, samples)
    else:
        deltas = np.empty(samples)
        for i in range(samples):
            picked = rng.integers(0, items, size=items)
            deltas[i] = new_stat(picked) - baseline_stat(picked)
    spread = math.sqrt(items / (items - 1)) if items > 1 else 1.0
    low, high = math.nan, math.nan
    if items >= MIN_INTERVAL_ITEMS:
        from scipy.stats import norm, t  # 0.7 s to import: only when an interval is made

        tail = (1 - confidence) / 2
        ends = np.quantile(deltas, [tail, 1 - tail])
        # Student's t in place of the normal quantile the percentile interval stands for: at
        # 10 items the plain interval let 7.3 % of equal-to-max_drop candidates fail.
        widen = spread * float(t.ppf(1 - tail, items - 1) / norm.ppf(1 - tail))
        low, high = (float(observed + (end - observed) * widen) for end in ends)
    sign = 1.0 if higher_is_better else -1.0
    drop = -sign * observed  # > 0 when the new run is worse
    shifted_drops = -sign * (deltas - observed) * spread
    if drop <= 0:
        p_value = 1.0
    else:
        p_value = float((1 + np.count_nonzero(shifted_drops >= drop - 1e-12)) / (samples + 1))
    return PairedComparison(
        "bootstrap", old, new, low, high, p_value, items, worse, better, confidence
    )


MIN_INTERVAL_ITEMS = 10
"""Fewer compared items than this get no bootstrap interval ("too few cases for an
interval"): at 1-3 items it was degenerate ("90% CI [-1, -1]" beside p = 0.53), and below 10
its coverage falls short (``benchmarks/false_alarms.py``). The verdict then rests on the
exact test alone, which cannot show a drop beyond a positive ``max_drop``."""

_CELLS = 1 << 22
"""Resampled cells (items x resamples) held at once: memory stays bounded at any suite size."""

LARGE_SUITE = 20_000
"""From this many items, a resample's summed counts (or mean) are drawn from the normal
distribution with the resample's exact mean and covariance instead of by resampling items, when
every count that varies is non-zero on at least :data:`LARGE_SUITE_SUPPORT` items (so that the
sum of n draws is normal to well within the interval's own error). Resampling 100,000 items
1,000 times is 10^8 draws, seconds of work for an interval the normal draw gives in
milliseconds (``benchmarks/bootstrap_speed.py``). Interval only: p-values stay permutation
and exact tests."""

LARGE_SUITE_SUPPORT = 1_000


def _normal_resamples(
    rng: np.random.Generator, rows: np.ndarray, samples: int
) -> np.ndarray | None:
    """*samples* draws of the sum of n items resampled from *rows* (n x k), from the normal with
    that sum's mean ``n * mean`` and covariance ``n * cov`` (population covariance of the rows),
    or None when the suite is too small or a varying count too rare for the normal to hold."""
    n = len(rows)
    if n < LARGE_SUITE:
        return None
    support = np.count_nonzero(rows, axis=0)
    mean = rows.mean(axis=0)
    centred = rows - mean
    cov = centred.T @ centred  # n x the rows' population covariance: the sum's covariance
    varies = np.diag(cov) > 1e-12 * n * np.maximum(1.0, mean**2)
    if np.any(varies & (support < LARGE_SUITE_SUPPORT)):
        return None
    # The square root of the covariance by its eigenvalues, rounding error below 0 set to 0.
    eigenvalues, vectors = np.linalg.eigh((cov + cov.T) / 2)
    root = vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    draws = n * mean + rng.standard_normal((samples, len(mean))) @ root.T
    return np.asarray(np.where(varies, draws, n * mean), dtype=np.float64)


def _mean_resamples(rng: np.random.Generator, delta: np.ndarray, samples: int) -> np.ndarray:
    """The mean of *delta* over *samples* resamples of its items with replacement, a block of
    resamples at a time. Items with no difference add nothing to a resample's sum, so only the
    changed items are drawn: how many of a resample's n draws land on them is binomial, and
    those draws are uniform among them (the same distribution as drawing all n)."""
    n = len(delta)
    changed = delta[delta != 0].astype(np.float64)
    m = len(changed)
    if m == 0:
        return np.zeros(samples)
    normal = _normal_resamples(rng, delta.reshape(-1, 1), samples)
    if normal is not None:
        return normal[:, 0] / n
    hits = rng.binomial(n, m / n, size=samples)
    ends = np.cumsum(hits)
    starts = ends - hits
    sums = np.zeros(samples)
    start = 0
    while start < samples:
        # A block of resamples whose draws fit in _CELLS (at least one resample).
        stop = max(start + 1, int(np.searchsorted(ends, starts[start] + _CELLS, side="right")))
        drawn = rng.integers(0, m, size=int(ends[stop - 1] - starts[start]), dtype=np.int32)
        rows = np.flatnonzero(hits[start:stop]) + start
        if len(rows):
            sums[rows] = np.add.reduceat(changed[drawn], starts[rows] - starts[start])
        start = stop
    return sums / n


def _grouped(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct rows of *rows* and how many times each occurs, when they are few (at most
    an eighth of the rows and 2,048: a label's one-hot counts, repeated answers), else None.
    Resampling or swapping items then draws per group, exactly: n items drawn with replacement
    fall on the groups as Multinomial(n, size / n), and swapping each of a group's
    items with probability 1/2 swaps Binomial(size, 1/2) of them."""
    if len(rows) < 64:
        return None
    # Group by a random projection, then check that every row equals its group's row: exact.
    key = rows @ np.random.default_rng(12345).random(rows.shape[1])
    _, first, inverse, sizes = np.unique(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    if len(first) > min(len(rows) // 8, 2048):
        return None  # drawing per group would cost about as much as drawing per item
    distinct = rows[first]
    if not np.array_equal(distinct[inverse.ravel()], rows):
        return None
    return distinct, sizes


def _summed_resamples(
    rng: np.random.Generator, before: SummedStatistic, after: SummedStatistic, samples: int
) -> np.ndarray:
    """``after - before`` on *samples* resamples of the items, from summed counts: per group of
    identical rows when they repeat (:func:`_grouped`), else from the normal on a large suite
    (:data:`LARGE_SUITE`), else a block of item-weight rows at a time (float32 where every sum
    stays an exact integer in it)."""
    items = len(before.counts)
    width = before.counts.shape[1]
    both = np.hstack([before.counts, after.counts])
    groups = _grouped(both)
    parts = []
    normal = _normal_resamples(rng, both, samples) if groups is None else None
    if normal is not None:
        moved: np.ndarray = after.score(normal[:, width:]) - before.score(normal[:, :width])
        return moved
    if groups is not None:
        distinct, sizes = groups
        block = max(1, _CELLS // len(sizes))
        for start in range(0, samples, block):
            weights = rng.multinomial(items, sizes / items, size=min(block, samples - start))
            totals = weights.astype(np.float64) @ distinct
            parts.append(after.score(totals[:, width:]) - before.score(totals[:, :width]))
        return np.concatenate(parts)
    exact32 = float(np.abs(both).sum(axis=0).max(initial=0.0)) * 2 < 2**24
    rows = both.astype(np.float32) if exact32 else both
    for weights in _resample_weights(rng, samples, items):
        totals = (weights.astype(rows.dtype) @ rows).astype(np.float64)
        parts.append(after.score(totals[:, width:]) - before.score(totals[:, :width]))
    return np.concatenate(parts)


def _resample_weights(
    rng: np.random.Generator, samples: int, items: int, *, cells: int = _CELLS
) -> Iterator[np.ndarray]:
    """How often each item is drawn in each resample (rows of a ``samples x items`` matrix), a
    block of rows at a time so memory stays bounded."""
    block = max(1, cells // max(items, 1))
    for start in range(0, samples, block):
        rows = min(block, samples - start)
        kind = np.int32 if rows * items < 2**31 else np.int64
        picked = rng.integers(0, items, size=(rows, items), dtype=kind)
        offsets = (np.arange(rows, dtype=np.int64) * items).astype(kind)[:, None]
        counts = np.bincount(np.add(picked, offsets, dtype=kind).ravel(), minlength=rows * items)
        yield counts.reshape(rows, items)


class SummedStatistic:
    """A metric that is a function of per-item counts summed over the items: corpus BLEU and
    chrF (n-gram matches, totals, lengths), F1 (per-class true/false positives), field F1.

    Resampling items then only sums rows (``weights @ counts``) and scores the sums, instead of
    recomputing the metric from the answers each time."""

    def __init__(self, counts: np.ndarray, score: Callable[[np.ndarray], np.ndarray]) -> None:
        self.counts = np.asarray(counts, dtype=float)
        """One row of counts per item."""
        self.score = score
        """Summed counts (one row per resample) -> the metric's value of each row."""

    def __call__(self, picked: np.ndarray) -> float:
        return float(self.score(self.counts[picked].sum(axis=0, keepdims=True))[0])

    def resampled(self, weights: np.ndarray) -> np.ndarray:
        """The metric on each resample, given how often each item was drawn (rows of *weights*)."""
        return self.score(weights @ self.counts)


class MeanStatistic:
    """The mean of per-item values over the chosen indices (resampled all at once)."""

    def __init__(self, values: Sequence[float] | np.ndarray) -> None:
        self.values = np.asarray(values, dtype=float)

    def __call__(self, picked: np.ndarray) -> float:
        return float(self.values[picked].mean())


def mean_statistic(values: Sequence[float]) -> MeanStatistic:
    """The mean of per-item *values*: the statistic of an additive metric."""
    return MeanStatistic(values)
