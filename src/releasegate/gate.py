"""Metrics against their bars: thresholds (``min``/``max``) and paired no-drop comparisons.

Failure messages say what a reviewer needs to act: the value, the bar, and the cases that cost
the most (lowest per-case contribution); for a drop the baseline value, the new value, the
difference with its confidence interval, the p-value of the paired test (:mod:`.stats`) and the
items that flipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .baselines import BenchmarkBaseline, MetricBaseline
from .display import shorten
from .general import TaskResult
from .metrics import MetricValue
from .stats import PairedComparison, compare_per_item, paired_bootstrap
from .suites import MetricSpec

__all__ = [
    "Flip",
    "MetricOutcome",
    "benchmark_mismatch",
    "compare_benchmark",
    "compare_suite_metric",
    "judge_bar",
    "judge_comparison",
    "suite_flips",
]


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
    its expected answer (as shown in the report) when *expected* has it."""
    flips: list[Flip] = []
    if not value.per_item or not baseline.per_item:
        return flips
    for case_id, now in zip(case_ids, value.per_item, strict=True):
        before = baseline.per_item.get(case_id)
        if before is None or abs(now - before) < 1e-9:
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
) -> PairedComparison:
    """Pair a suite metric with its baseline on the cases both runs have.

    An accuracy-like metric (per-case 1/0, value = their mean) gets the exact McNemar test; an
    additive one (value = mean of per-case values) a paired bootstrap of those values; any other
    (corpus BLEU, chrF, macro F1) a paired bootstrap that *recompute*s the metric of both runs
    on each resample (``recompute(indices) -> (baseline value, new value)``).
    """
    higher = spec.metric.higher_is_better
    positions = [i for i, case_id in enumerate(case_ids) if case_id in baseline.per_item]
    before = [baseline.per_item[case_ids[i]] for i in positions]
    now = [value.per_item[i] for i in positions] if value.per_item else []
    moved = [(b, n) for b, n in zip(before, now, strict=True) if abs(b - n) > 1e-9]
    worse = sum(1 for b, n in moved if (n < b if higher else n > b))
    better = len(moved) - worse
    if not positions:
        # A baseline without per-case values: compare the values alone, without a test.
        return PairedComparison(
            "bootstrap", baseline.value, value.value, math.nan, math.nan, 1.0, 0, 0, 0
        )
    if now and getattr(spec.metric, "additive", False):
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
    if recompute is None:
        # Nothing to pair on: compare the values alone, without a test.
        return PairedComparison(
            "bootstrap", baseline.value, value.value, math.nan, math.nan, 1.0, 0, worse, better
        )
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
        if abs(new_score - old_score) >= 1e-12:
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
        module_name, attribute = "releasegate.lmeval", name
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
