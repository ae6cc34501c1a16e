"""Suite metrics against their bars: thresholds (``min``/``max``) and no-drop tolerances.

Failure messages say what a reviewer needs to act: the value, the bar, and the cases that cost
the most (lowest per-case contribution), or for a drop the baseline value, the new value, and
the cases that got worse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .baselines import MetricBaseline
from .metrics import MetricValue
from .suites import MetricSpec

__all__ = ["MetricOutcome", "judge_bar", "judge_drop"]


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
        answer = answers.get(case_id, "").replace("\n", " ")
        if len(answer) > 80:
            answer = answer[:77] + "..."
        lines.append(f"    {case_id:<28} {item:8.4g}  {answer}")
    return lines


def judge_drop(
    suite: str,
    spec: MetricSpec,
    value: MetricValue,
    baseline: MetricBaseline,
    case_ids: Sequence[str],
    *,
    worst: int = 5,
) -> MetricOutcome:
    """Did the metric move in its worse direction by more than ``max_drop``?"""
    assert spec.max_drop is not None
    higher = spec.metric.higher_is_better
    drop = (baseline.value - value.value) if higher else (value.value - baseline.value)
    head = (
        f"{suite}::{spec.name}: baseline {baseline.value:.4g}, now {value.value:.4g}, "
        f"drop {drop:+.4g} (max_drop {spec.max_drop:g})"
    )
    worse, better = _moved(value, baseline, case_ids, higher)
    detail = f"; {len(worse)} cases worse, {len(better)} better"
    if not math.isnan(drop) and drop <= spec.max_drop + 1e-12:
        return MetricOutcome(True, head + detail)
    lines = [head + detail]
    if worse:
        lines.append("  cases that got worse: " + ", ".join(worse[: worst * 2]))
    return MetricOutcome(False, "\n".join(lines))


def _moved(
    value: MetricValue, baseline: MetricBaseline, case_ids: Sequence[str], higher: bool
) -> tuple[list[str], list[str]]:
    worse: list[str] = []
    better: list[str] = []
    if not value.per_item or not baseline.per_item:
        return worse, better
    for case_id, now in zip(case_ids, value.per_item, strict=True):
        before = baseline.per_item.get(case_id)
        if before is None or abs(now - before) < 1e-9:
            continue
        got_worse = now < before if higher else now > before
        (worse if got_worse else better).append(case_id)
    return worse, better
