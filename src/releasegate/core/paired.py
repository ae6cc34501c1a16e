"""A new value against its baseline on the same items: the record every paired test returns.

:class:`PairedComparison` holds both values, the interval of the difference, the one-sided
p-value and how many items moved; it describes itself for a failure message and becomes the
report's :class:`~releasegate.core.records.ComparisonRecord`. The tests that make one live in
:mod:`.stats` (McNemar and the comparisons the gate calls), :mod:`.bootstrap` (intervals) and
:mod:`.permutation` (p-values of means and summed counts).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..exceptions import GateError
from .records import ComparisonRecord

__all__ = ["PairedComparison", "is_binary", "refuse_nan", "unchanged"]


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


def unchanged(value: float, items: int, *, confidence: float = 0.95) -> PairedComparison:
    """The comparison of a run whose every answer is the baseline's: the same value on both
    sides, a difference of exactly 0 and p = 1, without resampling anything."""
    return PairedComparison("unchanged", value, value, 0.0, 0.0, 1.0, items, 0, 0, confidence)


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
