"""Serving objectives judged against a run's summary: each one a verdict with the measured figure.

``pytest perf`` turns each verdict into one test; the locustfile's ``--perf-gate`` turns a missed
one into a non-zero exit status; reports list them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .config import Objective
from .summary import PerfSummary

__all__ = ["ObjectiveResult", "judge_objectives"]


@dataclass(frozen=True)
class ObjectiveResult:
    """One objective's verdict."""

    objective: Objective
    value: float | None
    """The measured figure; None when it could not be measured (no successful request)."""
    met: bool

    @property
    def message(self) -> str:
        """``p95 TTFT 812.4 ms <= 1000 ms: met`` or ``... 1234.5 ms, bar <= 1000 ms: missed``."""
        objective = self.objective
        unit = f" {objective.unit}" if objective.unit else ""
        if self.value is None:
            return (
                f"{objective.label}: not measured (no successful request in the window), "
                f"bar {objective.describe_bar()}: missed"
            )
        shown = f"{self.value:.4g}" if objective.unit == "" else f"{self.value:.1f}"
        verdict = "met" if self.met else "missed"
        return f"{objective.label} {shown}{unit}, bar {objective.describe_bar()}: {verdict}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.objective.key,
            "label": self.objective.label,
            "bar": self.objective.bar,
            "comparison": "max" if self.objective.is_max else "min",
            "value": self.value,
            "met": self.met,
            "message": self.message,
        }


def judge_objectives(
    summary: PerfSummary, objectives: Sequence[Objective]
) -> tuple[ObjectiveResult, ...]:
    """A verdict for each of *objectives*, in their order."""
    results = []
    for objective in objectives:
        value = summary.figure(objective)
        met = objective.met_by(value)
        results.append(ObjectiveResult(objective=objective, value=value, met=met))
    return tuple(results)
