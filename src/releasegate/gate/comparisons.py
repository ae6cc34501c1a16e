"""Metrics against their bars: thresholds (``min``/``max``) and paired no-drop comparisons.

Failure messages say what a reviewer needs to act: the value, the bar, and the cases that cost
the most (lowest per-case contribution); for a drop the baseline value, the new value, the
difference with its confidence interval, the p-value of the paired test
(:mod:`releasegate.core.stats`) and the items that flipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..core.display import shorten
from ..core.records import Flip
from ..core.stats import (
    PairedComparison,
    SummedStatistic,
    compare_per_item,
    compare_summed,
    paired_bootstrap,
    unchanged,
)
from ..golden.metrics import MetricValue, is_additive
from ..golden.suites import MetricSpec
from .baselines import MetricBaseline
from .pairing import coverage, flip_direction, item_unchanged
from .rule import judge_drop

__all__ = [
    "MetricOutcome",
    "PairedStatistics",
    "compare_suite_metric",
    "judge_bar",
    "judge_comparison",
    "judged_comparison",
    "suite_flips",
    "suite_mismatch",
]

MIN_PAIRED_SHARE = 0.5
"""A suite metric is compared with its baseline on the cases both runs have, as long as they are
at least this share of the suite's cases now: with fewer, the comparison would speak for less
than half of the suite, and the baseline is refused (re-record it with ``--update-baseline``)."""


PairedStatistics = Callable[[Sequence[int]], tuple[SummedStatistic, SummedStatistic]]
"""Case positions -> the per-case counts of the baseline's answers and of this run's there."""


@dataclass(frozen=True)
class MetricOutcome:
    """A metric test's verdict."""

    passed: bool
    """Whether the bar (or tolerance) was met."""
    message: str
    """One paragraph for the test report."""
    advisory: str = ""
    """Non-empty: the verdict does not gate, and this says why and what it would have been
    (``advisory: kappa 0.31 on 58 answers, below 0.6 (judge_score = 3.2, would fail: below
    its minimum 3.5)``): the test is reported, then skipped with this line, never failed (a
    judge metric whose judge is not calibrated against the reviewers)."""


def judge_bar(
    suite: str,
    spec: MetricSpec,
    value: MetricValue,
    case_ids: Sequence[str],
    answers: Mapping[str, str],
    *,
    worst: int = 5,
) -> MetricOutcome:
    """Is *value* within the metric's ``min``/``max``?"""
    problems = []
    if math.isnan(value.value):
        problems.append("not a number")
    if spec.min is not None and value.value < spec.min:
        problems.append(f"below its minimum {spec.min:g}")
    if spec.max is not None and value.value > spec.max:
        problems.append(f"above its maximum {spec.max:g}")
    head = f"{suite}::{spec.name} = {value.value:.4g} (bar {spec.bar})"
    if not problems:
        return MetricOutcome(True, head)
    lines = [f"{head}: {' and '.join(problems)}"]
    lines += _costliest(value, case_ids, answers, spec.metric.higher_is_better, worst)
    return MetricOutcome(False, "\n".join(lines))


def _costliest(
    value: MetricValue,
    case_ids: Sequence[str],
    answers: Mapping[str, str],
    higher_is_better: bool,
    worst: int,
) -> list[str]:
    if not value.per_item:
        return []
    ranked = sorted(
        zip(case_ids, value.per_item, strict=True),
        key=lambda pair: pair[1] if higher_is_better else -pair[1],
    )[:worst]
    lines = ["  cases that cost most:"]
    for case_id, item in ranked:
        answer = shorten(answers.get(case_id, ""), 80)
        lines.append(f"    {case_id:<28} {item:8.4g}  {answer}")
    return lines


def judge_comparison(
    label: str,
    comparison: PairedComparison,
    *,
    max_drop: float,
    alpha: float,
    higher_is_better: bool,
    flips: Sequence[Flip] = (),
    worst: int = 10,
) -> MetricOutcome:
    """The no-drop verdict, by :func:`~releasegate.gate.rule.judge_drop` (the one rule): fail
    when the drop is significantly beyond *max_drop* at level *alpha*. The message carries
    both values, the difference with its confidence interval, the p-value, the items that
    flipped each way, and, for a suite too small ever to fail, that it is."""
    verdict = judge_drop(
        comparison, max_drop=max_drop, alpha=alpha, higher_is_better=higher_is_better
    )
    problems = list(verdict.reasons)
    head = f"{label}: {comparison.describe(higher_is_better)}; max_drop {max_drop:g}"
    lines = [head + (": " + " and ".join(problems) if problems else "")]
    if verdict.blind:
        lines.append(f"  {verdict.blind}")
    worse = [flip for flip in flips if flip.direction == "worse"]
    if problems and worse:
        lines.append(f"  got worse ({len(worse)}):")
        for flip in worse[:worst]:
            before, now = shorten(flip.before_answer, 60), shorten(flip.now_answer, 60)
            lines.append(f"    {flip.item:<28} {before!r} -> {now!r}")
        if len(worse) > worst:
            lines.append(f"    ... and {len(worse) - worst} more (see the run's report)")
    return MetricOutcome(not problems, "\n".join(lines))


def suite_flips(
    value: MetricValue,
    baseline: MetricBaseline,
    case_ids: Sequence[str],
    *,
    higher_is_better: bool,
    answers: Mapping[str, str],
    baseline_answers: Mapping[str, str],
    expected: Mapping[str, str] | None = None,
) -> list[Flip]:
    """Cases whose contribution to a suite metric moved, worse first, in suite order, each with
    its expected answer (as shown in the report) when *expected* has it.

    Which moved is :func:`~releasegate.gate.pairing.flip_direction`'s rule (the benchmarks'
    too): a case whose answer is the baseline's did not move, whatever its stored value says;
    any other moved only when its value differs at the precision the baseline stores."""
    flips: list[Flip] = []
    if not value.per_item or not baseline.per_item:
        return flips
    for case_id, now in zip(case_ids, value.per_item, strict=True):
        before = baseline.per_item.get(case_id)
        if before is None:
            continue
        direction = flip_direction(
            before,
            now,
            baseline_answers.get(case_id),
            answers.get(case_id),
            higher_is_better=higher_is_better,
        )
        if direction is None:
            continue
        flips.append(
            Flip(
                case_id,
                direction,
                before,
                now,
                baseline_answers.get(case_id, ""),
                answers.get(case_id, ""),
                (expected or {}).get(case_id, ""),
            )
        )
    return sorted(flips, key=lambda flip: flip.direction != "worse")


def _unchanged(
    case_id: str,
    before: float,
    now: float,
    answers: Mapping[str, str],
    baseline_answers: Mapping[str, str],
) -> bool:
    """:func:`~releasegate.gate.pairing.item_unchanged` of one case."""
    return item_unchanged(before, now, baseline_answers.get(case_id), answers.get(case_id))


def suite_mismatch(
    suite: str, metric: str, case_ids: Sequence[str], baseline: MetricBaseline
) -> str | None:
    """Why a suite metric cannot be compared with its baseline (None when it can): too few of
    the suite's cases are in it (:data:`MIN_PAIRED_SHARE`). A baseline without per-case values
    is compared by value alone and never refused here."""
    if not baseline.per_item or not case_ids:
        return None
    paired = coverage(case_ids, baseline.per_item)
    if paired.enough(MIN_PAIRED_SHARE):
        return None
    return (
        f"{suite}::{metric}: the suite changed since its baseline: {paired.common} of its "
        f"{len(case_ids)} cases are in the baseline ({paired.added} added, {paired.removed} "
        "removed), fewer than "
        f"{MIN_PAIRED_SHARE:.0%} needed to compare; review the cases and re-record the baseline: "
        f"pytest model_tests --suite {suite} --update-baseline"
    )


def compare_suite_metric(
    spec: MetricSpec,
    value: MetricValue,
    baseline: MetricBaseline,
    case_ids: Sequence[str],
    *,
    recompute: Callable[[Sequence[int]], tuple[float, float]] | None,
    samples: int,
    confidence: float,
    seed: int = 0,
    answers: Mapping[str, str] | None = None,
    baseline_answers: Mapping[str, str] | None = None,
    paired: PairedStatistics | None = None,
) -> PairedComparison:
    """Pair a suite metric with its baseline on the cases both runs have.

    An accuracy-like metric (per-case 1/0, value = their mean) gets the exact McNemar test; an
    additive one (value = mean of per-case values) a paired bootstrap of those values; any other
    (corpus BLEU, chrF, macro F1) is resampled through the per-case counts it sums, given by
    *paired* (``paired(indices) -> (baseline statistic, new statistic)``), or, for a metric
    without them, a paired bootstrap that *recompute*s the metric of both runs on each resample
    (``recompute(indices) -> (baseline value, new value)``). When every case is answered as in
    the baseline the comparison is exact: nothing moved, difference 0, p = 1.

    With *answers* and *baseline_answers* (case id -> answer), a case answered as in the
    baseline is unchanged: its baseline value is taken to be its value now, not the stored,
    rounded one. Which cases moved, and which way, is :func:`suite_flips`' rule. Cases added
    to the suite or removed from it since the baseline are counted (``added``, ``removed``) and
    left out; :func:`suite_mismatch` says when too few remain.
    """
    answers = answers or {}
    baseline_answers = baseline_answers or {}
    higher = spec.metric.higher_is_better
    # Paired on the cases both runs have (their answers too, where the metric needs them).
    positions = [
        i
        for i, case_id in enumerate(case_ids)
        if case_id in baseline.per_item and (not baseline_answers or case_id in baseline_answers)
    ]
    now = [value.per_item[i] for i in positions] if value.per_item else []
    before = [baseline.per_item[case_ids[i]] for i in positions]
    if now:
        before = [
            n if _unchanged(case_ids[i], b, n, answers, baseline_answers) else b
            for i, b, n in zip(positions, before, now, strict=True)
        ]
    flips = suite_flips(
        value,
        baseline,
        case_ids,
        higher_is_better=higher,
        answers=answers,
        baseline_answers=baseline_answers,
    )
    worse = sum(1 for flip in flips if flip.direction == "worse")
    better = len(flips) - worse
    same = bool(answers) and all(
        answers.get(case_ids[i]) == baseline_answers.get(case_ids[i], object()) for i in positions
    )
    comparison: PairedComparison
    if not positions:
        # A baseline without per-case values: compare the values alone, without a test.
        comparison = PairedComparison(
            "bootstrap", baseline.value, value.value, math.nan, math.nan, 1.0, 0, 0, 0
        )
    elif now and is_additive(spec.metric):
        comparison = (
            unchanged(math.fsum(now) / len(now), len(now), confidence=confidence)
            if same
            else compare_per_item(
                before,
                now,
                higher_is_better=higher,
                samples=samples,
                seed=seed,
                confidence=confidence,
                worse=worse,
                better=better,
                ids=[case_ids[i] for i in positions],
                where=f"{spec.name}::no_drop",
            )
        )
    elif paired is not None:
        before_stat, now_stat = paired(positions)
        comparison = (
            unchanged(now_stat(np.arange(len(positions))), len(positions), confidence=confidence)
            if same
            else compare_summed(
                before_stat,
                now_stat,
                higher_is_better=higher,
                samples=samples,
                seed=seed,
                confidence=confidence,
                worse=worse,
                better=better,
            )
        )
    elif recompute is None:
        # Nothing to pair on: compare the values alone, without a test.
        comparison = PairedComparison(
            "bootstrap", baseline.value, value.value, math.nan, math.nan, 1.0, 0, worse, better
        )
    elif same:
        comparison = unchanged(recompute(positions)[1], len(positions), confidence=confidence)
    else:
        comparison = _recomputed_bootstrap(
            recompute,
            positions,
            higher_is_better=higher,
            samples=samples,
            seed=seed,
            confidence=confidence,
            worse=worse,
            better=better,
        )
    if not baseline.per_item:
        return comparison
    return replace(
        comparison,
        added=len(case_ids) - comparison.items if comparison.items else len(case_ids),
        removed=len(set(baseline.per_item) - set(case_ids)),
    )


def judged_comparison(
    label: str,
    spec: MetricSpec,
    value: MetricValue,
    baseline: MetricBaseline,
    case_ids: Sequence[str],
    *,
    alpha: float,
    samples: int,
    answers: Mapping[str, str] | None = None,
    baseline_answers: Mapping[str, str] | None = None,
    expected: Mapping[str, str] | None = None,
    recompute: Callable[[Sequence[int]], tuple[float, float]] | None = None,
    paired: PairedStatistics | None = None,
) -> tuple[PairedComparison, list[Flip], MetricOutcome]:
    """The no-drop test of a suite metric whole: its paired comparison with *baseline*
    (:func:`compare_suite_metric`), the cases that moved (:func:`suite_flips`) and the verdict
    against ``max_drop`` and *alpha* (:func:`judge_comparison`). *label* heads the message."""
    assert spec.max_drop is not None
    higher = spec.metric.higher_is_better
    comparison = compare_suite_metric(
        spec,
        value,
        baseline,
        case_ids,
        recompute=recompute,
        samples=samples,
        confidence=1 - 2 * alpha,
        answers=answers,
        baseline_answers=baseline_answers,
        paired=paired,
    )
    flips = suite_flips(
        value,
        baseline,
        case_ids,
        higher_is_better=higher,
        answers=answers or {},
        baseline_answers=baseline_answers or {},
        expected=expected,
    )
    outcome = judge_comparison(
        label,
        comparison,
        max_drop=spec.max_drop,
        alpha=alpha,
        higher_is_better=higher,
        flips=flips,
    )
    return comparison, flips, outcome


def _recomputed_bootstrap(
    recompute: Callable[[Sequence[int]], tuple[float, float]],
    positions: Sequence[int],
    *,
    higher_is_better: bool,
    samples: int,
    seed: int,
    confidence: float,
    worse: int,
    better: int,
) -> PairedComparison:
    """A paired bootstrap that recomputes the metric of both runs on each resample."""
    index = list(positions)
    # Both statistics of one resample come from a single recompute call.
    cache: dict[bytes, tuple[float, float]] = {}

    def memo(picked: Any, which: int) -> float:
        key = bytes(memoryview(picked.astype("int64")))
        if key not in cache:
            cache.clear()
            cache[key] = recompute([index[i] for i in picked])
        return cache[key][which]

    return paired_bootstrap(
        lambda picked: memo(picked, 0),
        lambda picked: memo(picked, 1),
        len(positions),
        higher_is_better=higher_is_better,
        samples=samples,
        seed=seed,
        confidence=confidence,
        worse=worse,
        better=better,
    )
