"""Metrics across runs: the trend table, and the rules that catch a bad curve.

The rules read what the history keeps (values, per-item outcomes, each metric's tolerance and
chance level) and say, each with its evidence:

- ``fall``: a metric fell between consecutive checkpoints beyond its ``max_drop``, or
  significantly (the no-drop gate's paired test on the items both runs share: exact McNemar for
  right/wrong items, a paired bootstrap otherwise), with the items that flipped;
- ``chance``: a score at chance level (a multiple-choice benchmark within its confidence
  interval of 1/choices; a classifier no better than always answering the majority label),
  which usually means wrong weights or a broken chat template;
- ``below base``: a general benchmark below the base model's by more than its tolerance.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..gate.stats import compare_per_item
from .store import HistoryStore, SeriesPoint

__all__ = ["Finding", "check_curve", "trend_rows"]

Z_95 = 1.959964
"""Two-sided 95 % normal quantile: the confidence interval around a benchmark score."""


@dataclass(frozen=True)
class Finding:
    """One rule that fired, with what shows it."""

    rule: str
    """``fall``, ``chance`` or ``below base``."""
    suite: str
    metric: str
    run_id: str
    step: int | None
    message: str
    evidence: tuple[str, ...] = ()
    """Flipped items and the like, one per line."""

    def lines(self) -> list[str]:
        at = f"step {self.step}" if self.step is not None else self.run_id
        head = f"{self.rule.upper()}: {self.suite}::{self.metric} at {at}: {self.message}"
        return [head, *(f"    {line}" for line in self.evidence)]


def _label(point: SeriesPoint) -> str:
    return f"step {point.step}" if point.step is not None else point.run_id


def trend_rows(
    points: Sequence[SeriesPoint], *, last: int | None = None, by_step: bool = False
) -> list[list[str]]:
    """A table: a header row of runs (by step, else run id), then one row per suite metric,
    runs in the order given (oldest first), or in step order with *by_step* (a checkpoint
    sweep, whose checkpoints may have been scored out of order: resumed, or in parallel);
    *last* keeps only the newest runs."""
    runs: dict[str, SeriesPoint] = {}
    for point in points:
        runs.setdefault(point.run_id, point)
    run_ids = list(runs)
    if by_step:
        run_ids.sort(key=lambda r: -1 if runs[r].step is None else int(runs[r].step or 0))
    run_ids = run_ids[-last:] if last else run_ids
    values = {(p.suite, p.metric, p.run_id): p.value for p in points}
    keys = sorted({(p.suite, p.metric) for p in points})
    rows = [["suite", "metric", *(_label(runs[r]) for r in run_ids)]]
    for suite, metric in keys:
        cells = [values.get((suite, metric, r)) for r in run_ids]
        rows.append([suite, metric, *("-" if v is None else f"{v:.4g}" for v in cells)])
    return rows


def check_curve(
    store: HistoryStore,
    run_ids: Sequence[str],
    *,
    base_run: str | None = None,
    alpha: float = 0.05,
    samples: int = 1000,
) -> list[Finding]:
    """The rules over *run_ids* (in step order); *base_run* is the base model's run, the
    reference of ``below base``."""
    points = store.series(run_ids=list(run_ids))
    by_key: dict[tuple[str, str], dict[str, SeriesPoint]] = {}
    for point in points:
        by_key.setdefault((point.suite, point.metric), {})[point.run_id] = point
    findings: list[Finding] = []
    for (suite, _metric), by_run in sorted(by_key.items()):
        series = [by_run[r] for r in run_ids if r in by_run]
        for point in series:
            found = _at_chance(point)
            if found is not None:
                findings.append(found)
        for before, now in itertools.pairwise(series):
            found = _fall(store, before, now, alpha=alpha, samples=samples)
            if found is not None:
                findings.append(found)
        base = by_run.get(base_run) if base_run else None
        if base is not None and suite.startswith("general/"):
            for point in series:
                if point.run_id != base_run:
                    found = _below_base(base, point)
                    if found is not None:
                        findings.append(found)
    return findings


def _drop(before: float, now: float, higher_is_better: bool) -> float:
    """How much worse *now* is than *before* (negative: better)."""
    return before - now if higher_is_better else now - before


def _fall(
    store: HistoryStore, before: SeriesPoint, now: SeriesPoint, *, alpha: float, samples: int
) -> Finding | None:
    drop = _drop(before.value, now.value, now.higher_is_better)
    if drop <= 0:
        return None
    beyond = now.max_drop is not None and drop > now.max_drop + 1e-12
    old = store.items(before.run_id, before.suite, before.metric)
    new = store.items(now.run_id, now.suite, now.metric)
    shared = sorted(old.keys() & new.keys())
    significant = False
    test = ""
    if shared:
        comparison = compare_per_item(
            [old[i] for i in shared],
            [new[i] for i in shared],
            higher_is_better=now.higher_is_better,
            samples=samples,
            confidence=1 - 2 * alpha,
        )
        significant = comparison.p_value < alpha
        test = f"{comparison.test} p={comparison.p_value:.3g} on {len(shared)} shared items"
    if not beyond and not significant:
        return None
    reasons = []
    if beyond:
        reasons.append(f"beyond its max_drop {now.max_drop:g}")
    if significant:
        reasons.append("significant")
    sign = 1 if now.higher_is_better else -1
    flipped = [i for i in shared if sign * (new[i] - old[i]) < 0]
    evidence = [test] if test else []
    if flipped:
        shown = ", ".join(flipped[:10]) + (
            f", ... ({len(flipped)} in all)" if len(flipped) > 10 else ""
        )
        evidence.append(f"worse items: {shown}")
    return Finding(
        rule="fall",
        suite=now.suite,
        metric=now.metric,
        run_id=now.run_id,
        step=now.step,
        message=(
            f"{before.value:.4g} at {_label(before)} -> {now.value:.4g} "
            f"(drop {drop:.4g}, {' and '.join(reasons)})"
        ),
        evidence=tuple(evidence),
    )


def _at_chance(point: SeriesPoint) -> Finding | None:
    chance = point.chance
    if chance is None:
        return None
    if point.suite.startswith("general/"):
        n = max(point.item_count, 1)
        se = point.stderr if point.stderr else math.sqrt(chance * (1 - chance) / n)
        low, high = point.value - Z_95 * se, point.value + Z_95 * se
        if not low <= chance <= high:
            return None
        why = f"{point.value:.4g} (95% CI {low:.3g}..{high:.3g}) holds chance {chance:.3g}"
    else:
        better = point.value > chance + 1e-9 if point.higher_is_better else False
        if better:
            return None
        why = (
            f"{point.value:.4g} is no better than always answering the majority label "
            f"({chance:.3g})"
        )
    return Finding(
        rule="chance",
        suite=point.suite,
        metric=point.metric,
        run_id=point.run_id,
        step=point.step,
        message=f"suspicious: at chance: {why}; wrong weights or a broken chat template?",
    )


def _below_base(base: SeriesPoint, point: SeriesPoint) -> Finding | None:
    drop = _drop(base.value, point.value, point.higher_is_better)
    tolerance = point.max_drop if point.max_drop is not None else 0.0
    if drop <= tolerance + 1e-12:
        return None
    return Finding(
        rule="below base",
        suite=point.suite,
        metric=point.metric,
        run_id=point.run_id,
        step=point.step,
        message=(
            f"{point.value:.4g} against the base model's {base.value:.4g} (drop {drop:.4g} > "
            f"tolerance {tolerance:g}): the fine-tune is forgetting what the base knew"
        ),
    )
