"""A general benchmark's test judged: its value against its ``min``, or its no-drop comparison
with the stored baseline, question by question.

The one place a benchmark metric is gated; benchmarks/ runs lm-eval and hands the result here.
Which questions moved is :mod:`.pairing`'s rule, the golden suites' too. Resampling a corpus
metric needs lm-eval's aggregation of its items: the caller passes the lookup
(:func:`releasegate.benchmarks.lmeval.aggregation_function`), so the gate never imports lm-eval
or the benchmarks package; the task's bars reach it as a :class:`BenchmarkBars`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..core.records import BenchmarkRecord, Flip, TaskResult
from ..core.stats import PairedComparison, compare_per_item, paired_bootstrap, unchanged
from .baselines import BenchmarkBaseline
from .comparisons import judge_comparison
from .pairing import coverage, flip_direction

__all__ = [
    "AggregationLookup",
    "BenchmarkBars",
    "benchmark_mismatch",
    "compare_benchmark",
    "gate_benchmark",
]

AggregationLookup = Callable[[str], Callable[[list[Any]], float]]
"""lm-eval's aggregation name (``mean``, ``bleu``...) -> the function that aggregates items."""


class BenchmarkBars(Protocol):
    """What the gate needs of a configured benchmark task
    (:class:`releasegate.benchmarks.general.BenchmarkTask`)."""

    @property
    def name(self) -> str: ...

    @property
    def min(self) -> Mapping[str, float]: ...

    @property
    def max_drop(self) -> float | None: ...


def gate_benchmark(
    label: str,
    task: BenchmarkBars,
    metric: str,
    test: str,
    result: TaskResult,
    baseline: BenchmarkBaseline | None,
    *,
    alpha: float,
    samples: int,
    aggregation: AggregationLookup | None = None,
) -> BenchmarkRecord:
    """The verdict of the benchmark test *label*: *metric* of *task*'s *result* against its
    ``min`` (``test="value"``), or against *baseline* (``test="no_drop"``): refused when the
    two cannot be compared, failed on a drop significantly beyond ``max_drop`` (any significant
    drop without one), by the gate's one rule (:func:`releasegate.gate.rule.judge_drop`).
    *aggregation*: lm-eval's aggregation lookup, for a metric that is not a mean of numbers."""
    value = result.metrics[metric]
    stderr = result.stderr.get(metric)
    higher = result.higher_is_better.get(metric, True)
    bar = task.min.get(metric)

    def record(passed: bool, message: str, **found: Any) -> BenchmarkRecord:
        return BenchmarkRecord(
            suite=f"general/{task.name}",
            metric=metric,
            test=test,
            value=value,
            stderr=stderr,
            bar="-" if bar is None else f">= {bar:g}",
            min=bar,
            max_drop=task.max_drop,
            higher_is_better=higher,
            items=len(result.items),
            lm_eval_version=result.lm_eval_version,
            config_hash=result.config_hash,
            num_fewshot=result.num_fewshot,
            limit=result.limit,
            passed=passed,
            message=message,
            **found,
        )

    if test == "value":
        err = f" ± {stderr:.3g}" if stderr is not None else ""
        head = f"{label} = {value:.4g}{err} over {len(result.items)} questions"
        passed = bar is None or value >= bar
        message = head if passed else f"{head}: below its minimum {bar:g}"
        return record(passed, message, task_result=result)
    assert baseline is not None, f"{label}: a no-drop test without a baseline"
    before = baseline.metrics.get(metric)
    refused = benchmark_mismatch(label, result, baseline, lm_eval_version=result.lm_eval_version)
    if refused is not None:
        return record(False, refused, baseline=before, refused=refused)
    comparison, flips = compare_benchmark(
        metric,
        result,
        baseline,
        higher_is_better=higher,
        samples=samples,
        confidence=1 - 2 * alpha,
        aggregation=aggregation,
    )
    outcome = judge_comparison(
        label,
        comparison,
        # Without a max_drop, any significant drop fails (the rule's plain paired test).
        max_drop=task.max_drop if task.max_drop is not None else 0.0,
        alpha=alpha,
        higher_is_better=higher,
        flips=flips,
    )
    return record(
        outcome.passed,
        outcome.message,
        baseline=before,
        comparison=comparison.to_record(),
        flips=tuple(flips),
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
        if key in baseline.items and baseline.items[key].doc_hash != item.doc_hash
    ]
    if changed:
        return (
            f"{label}: {len(changed)} question(s) differ from the baseline's under the same ids "
            f"(first: {changed[0]}): the data changed; {hint}"
        )
    if not coverage(now.items, baseline.items).enough(0.0):
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
    aggregation: AggregationLookup | None = None,
) -> tuple[PairedComparison, list[Flip]]:
    """Pair a benchmark metric with its baseline, question by question.

    Per-item 1/0 values (accuracy) get the exact McNemar test; per-item numbers aggregated by a
    mean a paired bootstrap of those numbers; anything else (a corpus metric whose items are
    pairs) a paired bootstrap that re-aggregates both runs' items with lm-eval's aggregation,
    found by *aggregation*. Which questions moved is
    :func:`~releasegate.gate.pairing.flip_direction`'s rule.
    """
    keys = [key for key in now.items if key in baseline.items]
    before: list[Any] = [baseline.items[key].scores.get(metric) for key in keys]
    after: list[Any] = [now.items[key].scores.get(metric) for key in keys]
    flips: list[Flip] = []
    numeric = all(isinstance(v, int | float) for v in [*before, *after])
    name = now.aggregation.get(metric, "mean")
    combine = None if numeric and name == "mean" else _lookup(aggregation, name, now.task)
    for key, b, a in zip(keys, before, after, strict=True):
        old_answer = str(baseline.items[key].answer)
        new_answer = now.items[key].answer
        # A corpus metric's items are pairs: an item's own score is the metric of it alone
        # (sentence BLEU, one answer's field F1), which says which way it moved.
        old_score, new_score = (
            (float(b), float(a)) if numeric else (_alone(combine, b), _alone(combine, a))
        )
        # An accuracy's wrong answer that became another wrong one did not flip; a corpus
        # metric's item whose own score cannot tell is "changed".
        direction = flip_direction(
            old_score, new_score, old_answer, new_answer,
            higher_is_better=higher_is_better, changed=not numeric,
        )  # fmt: skip
        if direction is None:
            continue
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
        and all(str(baseline.items[key].answer) == now.items[key].answer for key in keys)
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
            ids=keys,
            where=f"general/{now.task}::{metric}",
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


def _lookup(
    aggregation: AggregationLookup | None, name: str, task: str
) -> Callable[[list[Any]], float]:
    if aggregation is None:
        raise ValueError(
            f"general/{task}: aggregation '{name}' needs lm-eval's aggregation lookup to "
            "resample; pass aggregation=releasegate.benchmarks.lmeval.aggregation_function"
        )
    return aggregation(name)
