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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..exceptions import GateError
from .records import ComparisonRecord

__all__ = [
    "PairedComparison",
    "SummedStatistic",
    "compare_per_item",
    "compare_summed",
    "false_alarm_rate",
    "is_binary",
    "mcnemar",
    "paired_bootstrap",
    "paired_permutation",
    "permutation_of_means",
    "refuse_nan",
    "unchanged",
]


@dataclass(frozen=True)
class PairedComparison:
    """A new value against its baseline on the same items."""

    test: str
    """``mcnemar`` (exact, discordant items), ``bootstrap`` (paired, resampled items),
    ``permutation`` (paired, swapped items) or ``unchanged`` (every answer as in the baseline:
    exact, nothing resampled)."""
    baseline: float
    now: float
    ci_low: float
    """Lower end of the confidence interval of ``now - baseline``."""
    ci_high: float
    """Upper end of the confidence interval of ``now - baseline``."""
    p_value: float
    """One-sided: the chance of a drop at least this large if nothing really changed."""
    items: int
    """Items compared (present in both runs)."""
    worse: int
    """Items that got worse (passed before and fail now, for an accuracy)."""
    better: int
    """Items that got better."""
    confidence: float = 0.95
    added: int = 0
    """Cases the suite has now and the baseline has not (not compared)."""
    removed: int = 0
    """Cases the baseline has and the suite no longer has (not compared)."""

    @property
    def difference(self) -> float:
        """``now - baseline``: negative is worse for a higher-is-better metric."""
        return self.now - self.baseline

    def to_record(self) -> ComparisonRecord:
        """What the run's report keeps of this comparison."""
        return ComparisonRecord(
            test=self.test,
            baseline=self.baseline,
            now=self.now,
            difference=self.difference,
            ci=(self.ci_low, self.ci_high),
            confidence=self.confidence,
            p_value=self.p_value,
            items=self.items,
            worse=self.worse,
            better=self.better,
            added=self.added,
            removed=self.removed,
        )

    def describe(self, higher_is_better: bool = True) -> str:
        """``baseline 0.62, now 0.55, diff -0.07 [95% CI -0.11, -0.03], p=0.004 (exact
        McNemar), 9 worse, 2 better of 120``."""
        test = _TEST_NAMES.get(self.test, self.test)
        test += "" if self.test == "unchanged" else ", one-sided"
        direction = "" if higher_is_better else " (lower is better)"
        changed = ""
        if self.added or self.removed:
            changed = (
                f" ({self.added} case(s) added and {self.removed} removed since the baseline, "
                "not compared)"
            )
        interval = (
            f"{self.confidence:.0%} CI {self.ci_low:+.4g}, {self.ci_high:+.4g}"
            if not (math.isnan(self.ci_low) or math.isnan(self.ci_high))
            else "too few cases for an interval"
            if self.items
            else "no paired test"
        )
        return (
            f"baseline {self.baseline:.4g}, now {self.now:.4g}, diff {self.difference:+.4g}"
            f"{direction} [{interval}], "
            f"p={_p(self.p_value)} ({test}), "
            f"{self.worse} worse, {self.better} better of {self.items}{changed}"
        )


_TEST_NAMES = {
    "mcnemar": "exact McNemar",
    "bootstrap": "paired bootstrap",
    "permutation": "paired permutation",
    "unchanged": "every answer as in the baseline",
}


def _p(p: float) -> str:
    return f"{p:.2g}" if p < 0.01 else f"{p:.3f}"


def is_binary(values: Sequence[float]) -> bool:
    """Whether every value is 0 or 1 (an accuracy's per-item values)."""
    array = np.asarray(values, dtype=np.float64)
    return bool(np.all((array == 0.0) | (array == 1.0)))


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


EXACT_FLIPS = 16
"""Up to this many changed items, a permutation test enumerates all 2^n swaps (exact);
beyond, it draws its swaps at random."""


def _swaps(
    rng: np.random.Generator, changed: int, samples: int, *, exact: int = EXACT_FLIPS
) -> tuple[Iterable[np.ndarray], int]:
    """Which changed items swap sides in each permutation (0/1 rows) and how many permutations
    there are: all 2^n for at most :data:`EXACT_FLIPS` changed items (the observed one among
    them), else *samples* random ones drawn as bits, a block of rows at a time."""
    if changed <= exact:
        every = np.arange(2**changed, dtype=np.int64)[:, None] >> np.arange(changed)
        return [(every & 1).astype(np.float64)], 2**changed
    return _random_swaps(rng, changed, samples), samples  # lazily: one block in memory


def _random_swaps(rng: np.random.Generator, changed: int, samples: int) -> Iterator[np.ndarray]:
    block = max(1, _CELLS // changed)
    for start in range(0, samples, block):
        rows = min(block, samples - start)
        bits = rng.integers(0, 256, size=(rows, (changed + 7) // 8), dtype=np.uint8)
        yield np.unpackbits(bits, axis=1, count=changed)  # 0/1 as uint8: cast once, by the user


_BYTE_BITS = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).astype(np.float64)
"""Row b: the 8 bits of byte b, in :func:`numpy.unpackbits` order."""


def _swapped_sums(
    rng: np.random.Generator, values: np.ndarray, samples: int
) -> Iterator[np.ndarray]:
    """The sum of *values* over a random half (each item with probability 1/2) in each of
    *samples* permutations, a block at a time: the same random bits as :func:`_random_swaps`,
    summed through a table of every byte's sum per group of 8 items (one look-up per 8 items
    instead of 8 multiply-adds: a 100,000-case mean in milliseconds)."""
    groups = (len(values) + 7) // 8
    padded = np.zeros(groups * 8)
    padded[: len(values)] = values
    table = padded.reshape(groups, 8) @ _BYTE_BITS.T  # (groups, 256)
    column = np.arange(groups)
    block = max(1, _CELLS // groups)
    for start in range(0, samples, block):
        rows = min(block, samples - start)
        bits = rng.integers(0, 256, size=(rows, groups), dtype=np.uint8)
        yield table[column, bits].sum(axis=1)


def _permutation_p(hits: int, total: int, changed: int, *, exact: int = EXACT_FLIPS) -> float:
    """An exact enumeration counts the observed permutation itself; a random one adds it."""
    return hits / total if changed <= exact else (1 + hits) / (total + 1)


def paired_permutation(
    baseline_stat: SummedStatistic,
    new_stat: SummedStatistic,
    *,
    higher_is_better: bool = True,
    samples: int = 2000,
    seed: int = 0,
    worse: int = 0,
    better: int = 0,
    interval: tuple[float, float] = (math.nan, math.nan),
    confidence: float = 0.95,
) -> PairedComparison:
    """Paired permutation (approximate randomisation) test of ``new - baseline``, one-sided for
    a drop.

    Under "no real change" the two runs' results on an item are exchangeable: each permutation
    swaps them on a random half of the items (a sign flip of the item's difference) and scores
    both mixed runs from their summed counts. The p-value is the share of permutations, the
    observed one included, with a drop at least as large as the observed one. Items that did
    not change cannot move a permutation, so only the changed ones are swapped: with up to
    :data:`EXACT_FLIPS` of them (and no more swaps than *samples*) every swap is enumerated
    (with 3 changed items the smallest p-value is 1/8, as in the exact McNemar test), beyond
    that *samples* random swaps. The test holds its level on small suites, where the
    bootstrap's does not. Both statistics must score their counts the same way. The
    confidence interval (*interval*) comes from the paired bootstrap.
    """
    items = len(new_stat.counts)
    if items < 1 or len(baseline_stat.counts) != items:
        raise ValueError("a paired permutation test needs the same items, at least one")
    everything = np.arange(items)
    old, new = baseline_stat(everything), new_stat(everything)
    sign = 1.0 if higher_is_better else -1.0
    drop = -sign * (new - old)
    p_value = 1.0
    delta = new_stat.counts - baseline_stat.counts
    delta = delta[np.any(delta != 0, axis=1)]
    if drop > 0 and len(delta):
        rng = np.random.default_rng(seed)
        total_old, total_new = baseline_stat.counts.sum(axis=0), new_stat.counts.sum(axis=0)
        hits = 0
        # Scoring a row of counts can be slow (sacrebleu's BLEU): enumerate only when that is
        # no more rows than the random draws would be.
        exact = min(EXACT_FLIPS, int(math.log2(max(samples, 1))))
        groups = _grouped(delta) if len(delta) > exact else None
        if groups is not None:
            # Identical changed rows: how many of each group swap is Binomial(size, 1/2).
            distinct, sizes = groups
            block = max(1, _CELLS // len(sizes))
            blocks: Iterable[np.ndarray] = (
                rng.binomial(sizes, 0.5, size=(min(block, samples - start), len(sizes)))
                for start in range(0, samples, block)
            )
            total, changed, delta = samples, len(delta), distinct
        else:
            changed = len(delta)
            blocks, total = _swaps(rng, len(delta), samples, exact=exact)
            if float(np.abs(delta).sum(axis=0).max(initial=0.0)) < 2**24:
                delta = delta.astype(np.float32)  # sums of integer counts: exact in float32
        for swap in blocks:
            moved = (swap.astype(delta.dtype) @ delta).astype(np.float64)
            diffs = new_stat.score(total_new - moved) - baseline_stat.score(total_old + moved)
            hits += int(np.count_nonzero(-sign * diffs >= drop - 1e-12))
        p_value = _permutation_p(hits, total, changed, exact=exact)
    return PairedComparison(
        "permutation", old, new, interval[0], interval[1], p_value, items, worse, better,
        confidence,
    )  # fmt: skip


def permutation_of_means(
    before: Sequence[float],
    after: Sequence[float],
    *,
    higher_is_better: bool = True,
    samples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    worse: int = 0,
    better: int = 0,
) -> PairedComparison:
    """The paired test of a mean of per-item values (ROUGE-L, a mean score, a human score): the
    sign-flip permutation test of the per-item differences for the p-value, the paired
    bootstrap for the interval.

    Under "no real change" an item's difference is as likely to be positive as negative, so
    each permutation flips the signs of a random half of them. This holds alpha at every suite
    size; the bootstrap's shifted-null p-value did not (with every answer changed it fired
    16.5 % of the time at 3 items, 7.9 % at 5-8, 6.2 % at 10, 6.1 % at 20; alpha 5 %)."""
    old_values = np.asarray(before, dtype=np.float64)
    new_values = np.asarray(after, dtype=np.float64)
    if len(old_values) != len(new_values) or not len(old_values):
        raise ValueError("a paired permutation test needs the same items, at least one")
    interval = paired_bootstrap(
        MeanStatistic(old_values),
        MeanStatistic(new_values),
        len(old_values),
        higher_is_better=higher_is_better,
        samples=samples,
        seed=seed,
        confidence=confidence,
    )
    sign = 1.0 if higher_is_better else -1.0
    worsening = -sign * (new_values - old_values)
    worsening = worsening[worsening != 0]
    observed = float(worsening.sum())
    p_value = 1.0
    if observed > 0:
        rng = np.random.default_rng(seed)
        hits = 0
        slack = 1e-9 * max(1.0, float(np.abs(worsening).sum()))
        swapped: Iterable[np.ndarray]
        if len(worsening) <= EXACT_FLIPS:
            blocks, total = _swaps(rng, len(worsening), samples)
            swapped = (swap @ worsening for swap in blocks)
        else:
            swapped, total = _swapped_sums(rng, worsening, samples), samples
        for sums in swapped:
            permuted = observed - 2 * sums
            hits += int(np.count_nonzero(permuted >= observed - slack))
        p_value = _permutation_p(hits, total, len(worsening))
    return replace(interval, test="permutation", p_value=p_value, worse=worse, better=better)


def unchanged(value: float, items: int, *, confidence: float = 0.95) -> PairedComparison:
    """The comparison of a run whose every answer is the baseline's: the same value on both
    sides, a difference of exactly 0 and p = 1, without resampling anything."""
    return PairedComparison("unchanged", value, value, 0.0, 0.0, 1.0, items, 0, 0, confidence)


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
        return mcnemar(before, after, confidence=confidence)
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


def refuse_nan(
    before: Sequence[float],
    after: Sequence[float],
    *,
    ids: Sequence[str] = (),
    where: str = "a paired comparison",
) -> None:
    """Raise :class:`~releasegate.exceptions.GateError` naming the first case (by its id in
    *ids*, else its position) whose value before or after is not a number: a NaN would make any
    p-value meaningless (it compared as "worse" on every resample)."""
    if len(before) != len(after):
        raise ValueError(f"paired samples differ in length: {len(before)} and {len(after)}")
    old_values = np.asarray(before, dtype=np.float64)
    new_values = np.asarray(after, dtype=np.float64)
    bad = np.flatnonzero(np.isnan(old_values) | np.isnan(new_values))
    if len(bad):
        position = int(bad[0])
        old = float(old_values[position])
        case = ids[position] if position < len(ids) else f"item {position + 1}"
        side = "the baseline's value" if math.isnan(old) else "this run's value"
        raise GateError(
            f"{where}: case {case}: {side} is not a number (NaN), so the no-drop test "
            "cannot be made; fix the metric or the case that produced it (re-record the "
            "baseline if it holds the NaN)"
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
