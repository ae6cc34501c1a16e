"""Metrics against their bars: thresholds (``min``/``max``) and paired no-drop comparisons.

Failure messages say what a reviewer needs to act: the value, the bar, and the cases that cost
the most (lowest per-case contribution); for a drop the baseline value, the new value, the
difference with its confidence interval, the p-value of the paired test (:mod:`.stats`) and the
items that flipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..benchmarks.general import TaskResult
from ..golden.metrics import MetricValue
from ..golden.suites import MetricSpec
from ..reports.display import shorten
from .baselines import BenchmarkBaseline, MetricBaseline, same_as_stored
from .stats import (
    PairedComparison,
    SummedStatistic,
    compare_per_item,
    compare_summed,
    paired_bootstrap,
    unchanged,
)

__all__ = [
    "Flip",
    "MetricOutcome",
    "PairedStatistics",
    "benchmark_mismatch",
    "compare_benchmark",
    "compare_suite_metric",
    "judge_bar",
    "judge_comparison",
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


@dataclass(frozen=True)
class Flip:
    """An item that moved between the baseline and this run."""

    item: str
    """Case id, or a benchmark's document id."""
    direction: str
    """``worse`` (passed before, fails now) or ``better``."""
    before: float
    now: float
    before_answer: str = ""
    now_answer: str = ""
    expected: str = ""

    def record(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "direction": self.direction,
            "before": self.before,
            "now": self.now,
            "before_answer": self.before_answer,
            "now_answer": self.now_answer,
            "expected": self.expected,
        }


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
    """The no-drop verdict: fail when the drop exceeds *max_drop*, or when it is significant
    (one-sided paired p-value below *alpha*). The message carries both values, the difference
    with its confidence interval, the p-value and the items that flipped each way."""
    diff = comparison.difference
    drop = -diff if higher_is_better else diff
    problems = []
    if math.isnan(drop):
        problems.append("the comparison is not a number")
    elif drop > max_drop + 1e-12:
        problems.append(f"the drop {drop:.4g} exceeds max_drop {max_drop:g}")
    if comparison.p_value < alpha:
        problems.append(f"the drop is significant (p={comparison.p_value:.2g} < alpha {alpha:g})")
    head = f"{label}: {comparison.describe(higher_is_better)}; max_drop {max_drop:g}"
    lines = [head + (": " + " and ".join(problems) if problems else "")]
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

    A case whose answer is the baseline's did not move, whatever its stored value says; any
    other moved only when its value differs at the precision the baseline stores
    (:func:`~releasegate.gate.baselines.same_as_stored`)."""
    flips: list[Flip] = []
    if not value.per_item or not baseline.per_item:
        return flips
    for case_id, now in zip(case_ids, value.per_item, strict=True):
        before = baseline.per_item.get(case_id)
        if before is None or _unchanged(case_id, before, now, answers, baseline_answers):
            continue
        got_worse = now < before if higher_is_better else now > before
        flips.append(
            Flip(
                case_id,
                "worse" if got_worse else "better",
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
    """An item is unchanged when its answer is the baseline's (the one rule for flips, their
    counts and the paired values), or its value is the stored one at the stored precision."""
    known = case_id in answers and case_id in baseline_answers
    if known and answers[case_id] == baseline_answers[case_id]:
        return True
    return same_as_stored(before, now)


def suite_mismatch(
    suite: str, metric: str, case_ids: Sequence[str], baseline: MetricBaseline
) -> str | None:
    """Why a suite metric cannot be compared with its baseline (None when it can): too few of
    the suite's cases are in it (:data:`MIN_PAIRED_SHARE`). A baseline without per-case values
    is compared by value alone and never refused here."""
    if not baseline.per_item or not case_ids:
        return None
    common = sum(1 for case_id in case_ids if case_id in baseline.per_item)
    if common >= MIN_PAIRED_SHARE * len(case_ids) and common > 0:
        return None
    added = len(case_ids) - common
    removed = len(set(baseline.per_item) - set(case_ids))
    return (
        f"{suite}::{metric}: the suite changed since its baseline: {common} of its "
        f"{len(case_ids)} cases are in the baseline ({added} added, {removed} removed), fewer than "
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
    comparison = _compare_suite_metric(
        spec,
        value,
        baseline,
        case_ids,
        recompute=recompute,
        samples=samples,
        confidence=confidence,
        seed=seed,
        answers=answers or {},
        baseline_answers=baseline_answers or {},
        paired=paired,
    )
    if not baseline.per_item:
        return comparison
    return replace(
        comparison,
        added=len(case_ids) - comparison.items if comparison.items else len(case_ids),
        removed=len(set(baseline.per_item) - set(case_ids)),
    )


def _compare_suite_metric(
    spec: MetricSpec,
    value: MetricValue,
    baseline: MetricBaseline,
    case_ids: Sequence[str],
    *,
    recompute: Callable[[Sequence[int]], tuple[float, float]] | None,
    samples: int,
    confidence: float,
    seed: int,
    answers: Mapping[str, str],
    baseline_answers: Mapping[str, str],
    paired: PairedStatistics | None,
) -> PairedComparison:
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
    if not positions:
        # A baseline without per-case values: compare the values alone, without a test.
        return PairedComparison(
            "bootstrap", baseline.value, value.value, math.nan, math.nan, 1.0, 0, 0, 0
        )
    same = bool(answers) and all(
        answers.get(case_ids[i]) == baseline_answers.get(case_ids[i], object()) for i in positions
    )
    if now and getattr(spec.metric, "additive", False):
        if same:
            return unchanged(math.fsum(now) / len(now), len(now), confidence=confidence)
        return compare_per_item(
            before,
            now,
            higher_is_better=higher,
            samples=samples,
            seed=seed,
            confidence=confidence,
            worse=worse,
            better=better,
        )
    if paired is not None:
        before_stat, now_stat = paired(positions)
        if same:
            return unchanged(
                now_stat(np.arange(len(positions))), len(positions), confidence=confidence
            )
        return compare_summed(
            before_stat,
            now_stat,
            higher_is_better=higher,
            samples=samples,
            seed=seed,
            confidence=confidence,
            worse=worse,
            better=better,
        )
    if recompute is None:
        # Nothing to pair on: compare the values alone, without a test.
        return PairedComparison(
            "bootstrap", baseline.value, value.value, math.nan, math.nan, 1.0, 0, worse, better
        )
    if same:
        return unchanged(recompute(positions)[1], len(positions), confidence=confidence)
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
        higher_is_better=higher,
        samples=samples,
        seed=seed,
        confidence=confidence,
        worse=worse,
        better=better,
    )


def benchmark_mismatch(
    label: str,
    now: TaskResult,
    baseline: BenchmarkBaseline,
    *,
    lm_eval_version: str,
) -> str | None:
    """Why *now* cannot be compared with *baseline* (None when it can): another lm-eval,
    another task configuration or limit, or other questions under the same ids."""
    hint = (
        "re-record the baseline on the reference model (`releasegate baseline --model <base "
        "model>`) so the comparison is like with like"
    )
    if baseline.lm_eval_version != lm_eval_version:
        return (
            f"{label}: the baseline was recorded with lm-eval {baseline.lm_eval_version}, this "
            f"run uses lm-eval {lm_eval_version}; {hint}"
        )
    if baseline.config_hash != now.config_hash:
        return (
            f"{label}: the task configuration changed since the baseline (config hash "
            f"{baseline.config_hash} then, {now.config_hash} now: prompt, few-shot or metrics); "
            f"{hint}"
        )
    if baseline.limit != now.limit:
        return (
            f"{label}: the baseline ran with limit {baseline.limit}, this run with "
            f"{now.limit}; {hint}"
        )
    changed = [
        key
        for key, item in now.items.items()
        if key in baseline.items and baseline.items[key]["doc_hash"] != item.doc_hash
    ]
    if changed:
        return (
            f"{label}: {len(changed)} question(s) differ from the baseline's under the same ids "
            f"(first: {changed[0]}): the data changed; {hint}"
        )
    if not any(key in baseline.items for key in now.items):
        return f"{label}: no question of this run is in the baseline; {hint}"
    return None


def compare_benchmark(
    metric: str,
    now: TaskResult,
    baseline: BenchmarkBaseline,
    *,
    higher_is_better: bool,
    samples: int,
    confidence: float,
    seed: int = 0,
) -> tuple[PairedComparison, list[Flip]]:
    """Pair a benchmark metric with its baseline, question by question.

    Per-item 1/0 values (accuracy) get the exact McNemar test; per-item numbers aggregated by a
    mean a paired bootstrap of those numbers; anything else (a corpus metric whose items are
    pairs) a paired bootstrap that re-aggregates both runs' items with lm-eval's aggregation.
    """
    keys = [key for key in now.items if key in baseline.items]
    before: list[Any] = [baseline.items[key]["scores"].get(metric) for key in keys]
    after: list[Any] = [now.items[key].scores.get(metric) for key in keys]
    flips: list[Flip] = []
    numeric = all(isinstance(v, int | float) for v in [*before, *after])
    aggregation = now.aggregation.get(metric, "mean")
    combine = None if numeric and aggregation == "mean" else _aggregation_function(aggregation)
    for key, b, a in zip(keys, before, after, strict=True):
        old_answer = str(baseline.items[key]["answer"])
        new_answer = now.items[key].answer
        # A corpus metric's items are pairs: an item's own score is the metric of it alone
        # (sentence BLEU, one answer's field F1), which says which way it moved.
        old_score, new_score = (
            (float(b), float(a)) if numeric else (_alone(combine, b), _alone(combine, a))
        )
        if old_answer == new_answer and same_as_stored(old_score, new_score):
            continue  # an unchanged answer is never a flip
        if not same_as_stored(old_score, new_score):
            got_worse = new_score < old_score if higher_is_better else new_score > old_score
            direction = "worse" if got_worse else "better"
        elif numeric or old_answer == new_answer:
            continue  # an accuracy's wrong answer that became another wrong one did not flip
        else:
            direction = "changed"
        flips.append(
            Flip(
                key,
                direction,
                old_score,
                new_score,
                old_answer,
                new_answer,
                now.items[key].target,
            )
        )
    flips.sort(key=lambda flip: {"worse": 0, "changed": 1, "better": 2}[flip.direction])
    worse = sum(1 for flip in flips if flip.direction == "worse")
    better = sum(1 for flip in flips if flip.direction == "better")
    if (
        keys
        and not flips
        and all(str(baseline.items[key]["answer"]) == now.items[key].answer for key in keys)
    ):
        # Every answer as in the baseline: exact, nothing to resample.
        value = (
            math.fsum(float(v) for v in after) / len(after)
            if combine is None
            else float(combine(after))
        )
        return unchanged(value, len(keys), confidence=confidence), flips
    if combine is None:
        comparison = compare_per_item(
            [float(v) for v in before],
            [float(v) for v in after],
            higher_is_better=higher_is_better,
            samples=samples,
            seed=seed,
            confidence=confidence,
            worse=worse,
            better=better,
        )
        return comparison, flips
    return (
        paired_bootstrap(
            lambda picked: float(combine([before[i] for i in picked])),
            lambda picked: float(combine([after[i] for i in picked])),
            len(keys),
            higher_is_better=higher_is_better,
            samples=samples,
            seed=seed,
            confidence=confidence,
            worse=worse,
            better=better,
        ),
        flips,
    )


def _alone(combine: Callable[[list[Any]], float] | None, item: Any) -> float:
    """The metric of one item by itself; NaN where it has none (the item is then only marked
    as changed when its answer changed)."""
    if combine is None:
        return math.nan
    try:
        return float(combine([item]))
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError):
        return math.nan


def _aggregation_function(name: str) -> Callable[[list[Any]], float]:
    """lm-eval's aggregation *name* (``mean``, ``bleu``...) or ``module.function``."""
    from lm_eval.api.registry import AGGREGATION_REGISTRY

    if name in AGGREGATION_REGISTRY:
        function: Callable[[list[Any]], float] = AGGREGATION_REGISTRY[name]
        return function
    module_name, _, attribute = name.rpartition(".")
    if not module_name:
        # A `!function utils.x` aggregation is reported by its name alone: releasegate's own
        # metrics (re-exported by a task's utils.py) are found here.
        module_name, attribute = "releasegate.benchmarks.lmeval", name
    import importlib

    try:
        found: Callable[[list[Any]], float] = getattr(
            importlib.import_module(module_name), attribute
        )
        return found
    except (ImportError, AttributeError):
        pass
    raise ValueError(
        f"cannot find lm-eval aggregation '{name}' to resample; register it or give it as "
        "`aggregation: !function module.name`"
    )
