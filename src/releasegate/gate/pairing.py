"""Which items pair with the baseline, and which of them moved: one rule for a golden suite's
metrics (:mod:`.comparisons`) and a general benchmark's (:mod:`.benchmarks`) alike.

- **Unchanged or moved** (:func:`item_unchanged`, :func:`flip_direction`): an item whose answer
  is the baseline's did not move, whatever its stored value says; any other moved only when its
  value differs at the precision the baseline stores
  (:func:`~releasegate.gate.baselines.same_as_stored`), ``worse`` or ``better``. An item whose
  value cannot say which way it went (a corpus metric's item scored alone) but whose answer
  changed is ``changed``, where the caller counts those.
- **Coverage** (:func:`coverage`): how many of this run's items the baseline has (``common``),
  how many are new (``added``) and how many the baseline has that this run lacks
  (``removed``); a comparison is refused when too few pair (:meth:`Coverage.enough`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .baselines import same_as_stored

__all__ = ["Coverage", "coverage", "flip_direction", "item_unchanged"]


def item_unchanged(
    before: float, now: float, before_answer: str | None, now_answer: str | None
) -> bool:
    """Whether an item did not move: its answer is the baseline's (both known), or its value is
    the stored one at the stored precision. The one rule for flips, their counts and the paired
    values."""
    if before_answer is not None and now_answer is not None and before_answer == now_answer:
        return True
    return same_as_stored(before, now)


def flip_direction(
    before: float,
    now: float,
    before_answer: str | None,
    now_answer: str | None,
    *,
    higher_is_better: bool,
    changed: bool = False,
) -> str | None:
    """How an item moved since the baseline: ``worse``, ``better``, ``changed`` (with
    *changed*: its value the same, its answer not) or None (it did not move)."""
    if before_answer is not None and now_answer is not None and before_answer == now_answer:
        return None  # an unchanged answer is never a flip
    if not same_as_stored(before, now):
        got_worse = now < before if higher_is_better else now > before
        return "worse" if got_worse else "better"
    if changed and before_answer is not None and now_answer is not None:
        return "changed"
    return None


@dataclass(frozen=True)
class Coverage:
    """This run's items against the baseline's."""

    items: int
    """Items in this run."""
    common: int
    """Of them, in the baseline too."""
    added: int
    """Of them, not in the baseline."""
    removed: int
    """In the baseline, not in this run."""

    def enough(self, min_share: float) -> bool:
        """Whether at least one item and at least *min_share* of this run's pair."""
        return self.common > 0 and self.common >= min_share * self.items


def coverage(items: Iterable[str], baseline_items: Iterable[str]) -> Coverage:
    """How this run's *items* (ids) pair with the *baseline_items*."""
    now = list(items)
    before = set(baseline_items)
    common = sum(1 for item in now if item in before)
    return Coverage(len(now), common, len(now) - common, len(before - set(now)))
