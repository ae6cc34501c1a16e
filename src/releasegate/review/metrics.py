"""The human metrics a manifest may name: ``human_score`` and ``human_pass_rate``.

They are declared like every other suite metric (bars ``min``/``max``/``max_drop``, optionally
one ``criterion``), but their values come from the review memory, not from the answers: the
metric gate (:func:`releasegate.gate.verdicts.gate_metric`) hands them the test
(:meth:`HumanMetric.gate_self`, its ``SelfGatedMetric`` protocol), and they are gated by
:func:`releasegate.review.gate.evaluate_human_metric`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import GoldenFileError, ReviewError
from ..golden.checks import as_str, param, params_of, read_params
from ..golden.metrics import MetricContext, MetricValue, ScoredCase

if TYPE_CHECKING:
    from ..gate.verdicts import MetricResult, SelfGateRequest

__all__ = ["HumanMetric", "check_criteria", "human_metric"]


@dataclass(frozen=True)
class HumanMetric:
    """Mean review score (``score``) or share of answers at or above the pass mark
    (``pass_rate``), overall or for one criterion."""

    name: str
    kind: str
    """``score`` or ``pass_rate``."""
    criterion: str | None = param(as_str)
    """The rubric criterion scored (the manifest's ``criterion``); None: the overall score."""
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = None
    additive: bool = True
    """The value is the mean of its per-case values (the paired test resamples them)."""

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        raise ReviewError(
            f"metric '{self.name}' is computed from the review memory, not from answers alone"
        )

    def gate_self(self, request: SelfGateRequest) -> MetricResult:
        """Its test, from the reviews of this run's (and the baseline's) answers: the metric
        gate's hand-off (``releasegate.gate.verdicts.SelfGatedMetric``)."""
        from .gate import gate_human_metric  # review/gate.py imports this module

        return gate_human_metric(self, request)


def human_metric(name: str, params: Mapping[str, Any], context: MetricContext) -> HumanMetric:
    """The factory behind both registry names."""
    values = read_params("metric", name, params, params_of(HumanMetric))
    criterion = values["criterion"]
    kind = "score" if name == "human_score" else "pass_rate"
    shown = f"{name}[{criterion}]" if criterion else name
    return HumanMetric(
        name=shown,
        kind=kind,
        criterion=criterion,
        bounds=(0.0, 1.0) if kind == "pass_rate" else None,
    )


def check_criteria(metrics: Iterable[Any], criteria: Sequence[str], *, path: Path) -> None:
    """A human metric's ``criterion`` must be one of the rubric's (checked when the suite
    loads, so a typo stops the run before anything is generated)."""
    for index, metric in enumerate(metrics):
        if isinstance(metric, HumanMetric) and metric.criterion not in (None, *criteria):
            raise GoldenFileError(
                f"criterion '{metric.criterion}' is not one of the review criteria "
                f"({', '.join(criteria)}); name one of them, or add it under review: criteria",
                path=path,
                field=f"metrics[{index}]",
            )
