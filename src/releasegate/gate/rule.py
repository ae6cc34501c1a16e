"""The no-drop verdict rule: the one place that decides whether a paired comparison is a drop
the gate fails on.

Every no-drop verdict goes through :func:`judge_drop`: a golden suite metric
(:func:`releasegate.gate.comparisons.judge_comparison`), a human-review metric, a general
benchmark (:mod:`releasegate.gate.benchmarks`) and the checkpoint fall rule
(:mod:`releasegate.history.trends`). A future judge metric gets the same rule by handing its
:class:`~releasegate.core.stats.PairedComparison` here.

The rule: **fail when the data show, at level alpha, that the drop is larger than
``max_drop``**. Concretely, both must hold:

1. the paired test against "no change" is significant (one-sided p < alpha); its p-value is
   exact or a randomisation test (McNemar, sign-flip permutation), so it holds alpha at every
   suite size, where an interval alone may not;
2. the one-sided (1 - alpha) bound of the drop, the least drop the data support (the near end
   of the comparison's ``1 - 2 alpha`` interval), lies beyond ``max_drop``.

Why not "significant, or the estimate beyond ``max_drop``" (the rule before issue 21): the
estimate exceeds ``max_drop`` on noise alone, so an equal model failed 15-35 % of the time on
small suites. Why not "significant and the estimate beyond ``max_drop``": at a true drop of
exactly ``max_drop`` the estimate exceeds it half the time, and on a large suite the drop is
significant every time, so the gate would fail an allowed drop about half the time. With the
bound, a true drop anywhere in ``[0, max_drop]`` fails at most alpha of the time (the bound
exceeds the true drop at most alpha of the time); ``benchmarks/false_alarms.py`` measures it.
With ``max_drop = 0`` the rule is the plain paired test.

The price is power: a drop of exactly ``max_drop`` is caught about alpha of the time by
construction, and a suite needs enough cases for its bound to clear ``max_drop`` (the table in
``docs/baselines-and-gates.md``). When even every case getting worse could not fail the gate, the
verdict says so (:attr:`DropVerdict.blind`).

A comparison made without a test (a baseline without per-case values: ``items == 0``) has
nothing but its two values; it fails when the drop exceeds ``max_drop``, as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..core.stats import MIN_INTERVAL_ITEMS, PairedComparison

__all__ = ["DropVerdict", "judge_drop", "least_drop"]


@dataclass(frozen=True)
class DropVerdict:
    """What the rule found of one comparison."""

    failed: bool
    drop: float
    """The observed drop (positive: worse), in the metric's units."""
    least: float
    """The one-sided (1 - alpha) lower bound of the drop; NaN without an interval."""
    significant: bool
    """Whether the paired test against "no change" is significant at alpha."""
    reasons: tuple[str, ...]
    """Why it failed (empty when it passed)."""
    blind: str = ""
    """Non-empty when the suite is too small for this gate ever to fail: what to do."""


def least_drop(comparison: PairedComparison, *, higher_is_better: bool) -> float:
    """The near end of the comparison's interval as a drop (NaN without an interval)."""
    if higher_is_better:
        return -comparison.ci_high
    return comparison.ci_low


def judge_drop(
    comparison: PairedComparison,
    *,
    max_drop: float,
    alpha: float,
    higher_is_better: bool,
) -> DropVerdict:
    """The no-drop verdict of *comparison* against *max_drop* at level *alpha* (module doc).

    The comparison's interval must be at least the ``1 - 2 alpha`` two-sided one, whose ends are
    one-sided ``1 - alpha`` bounds; a narrower one would let the verdict fire above alpha."""
    if comparison.items and comparison.confidence < 1 - 2 * alpha - 1e-9:
        raise ValueError(
            f"a no-drop verdict at alpha {alpha:g} needs a {1 - 2 * alpha:.0%} interval, "
            f"not {comparison.confidence:.0%}"
        )
    diff = comparison.difference
    drop = -diff if higher_is_better else diff
    if math.isnan(drop):
        return DropVerdict(True, drop, math.nan, False, ("the comparison is not a number",))
    if not comparison.items:
        # Two values and no items to pair: nothing to test, the estimate is all there is.
        beyond = drop > max_drop + 1e-12
        said = (f"the drop {drop:.4g} exceeds max_drop {max_drop:g} (no paired test)",)
        return DropVerdict(beyond, drop, math.nan, False, said if beyond else ())
    significant = comparison.p_value < alpha
    least = least_drop(comparison, higher_is_better=higher_is_better)
    # With max_drop 0 the plain test decides; otherwise the bound must clear max_drop.
    beyond = max_drop <= 0 or (not math.isnan(least) and least > max_drop + 1e-12)
    failed = significant and beyond
    reasons: tuple[str, ...] = ()
    if failed:
        shown = f"; the drop is at least {least:.4g}" if not math.isnan(least) else ""
        reasons = (
            f"the drop {drop:.4g} is significantly beyond max_drop {max_drop:g} "
            f"(p={comparison.p_value:.2g} < alpha {alpha:g}{shown} at {1 - alpha:.0%})",
        )
    return DropVerdict(
        failed, drop, least, significant, reasons, _blind(comparison, max_drop, alpha)
    )


def _blind(comparison: PairedComparison, max_drop: float, alpha: float) -> str:
    """Why no outcome of a suite this size could fail the gate ("" when one could).

    The smallest p-value a paired test of *n* items can give is 2^-n (every item worse; exact
    McNemar and the sign-flip permutation alike). For an accuracy the bound of that outcome is
    known exactly (Clopper-Pearson: the drop is at least 2 alpha^(1/n) - 1); any other metric
    needs :data:`~releasegate.core.stats.MIN_INTERVAL_ITEMS` items for an interval at all."""
    n = comparison.items
    if n <= 0:
        return ""
    if 0.5**n >= alpha:
        reach = "any drop"
    elif max_drop <= 0:
        return ""
    else:
        # The least drop the worst outcome could show: exact for an accuracy; none at all
        # without an interval.
        reach_most = 2 * alpha ** (1 / n) - 1 if comparison.test == "mcnemar" else math.inf
        if comparison.test != "mcnemar" and n < MIN_INTERVAL_ITEMS:
            reach_most = -math.inf
        if reach_most > max_drop + 1e-12:
            return ""
        reach = f"a drop beyond max_drop {max_drop:g}"
    return (
        f"too few cases ({n}) to detect {reach} at alpha {alpha:g}: even every case getting "
        "worse could not fail this gate; add cases to the suite"
    )
