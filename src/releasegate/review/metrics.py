"""The human metrics a manifest may name: ``human_score`` and ``human_pass_rate``, and the
manifest's ``review:`` rubric.

They are declared like every other suite metric (bars ``min``/``max``/``max_drop``, optionally
one ``criterion``), but their values come from the review memory, not from the answers (their
``source`` is ``"reviews"``): the metric gate (:func:`releasegate.gate.verdicts.gate_metric`)
hands them the test (:meth:`HumanMetric.gate_self`, its ``SelfGatedMetric`` protocol), and they
are gated by :func:`releasegate.review.gate.evaluate_human_metric`.

The kind registers itself (:func:`register`, the entry point ``review`` of the group
``releasegate.metric_kinds`` in pyproject.toml): the metric registry and the suite loader of
:mod:`releasegate.golden` find it there without importing this package.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..exceptions import GoldenFileError, ReviewError
from ..golden.checks import as_str, param, params_of, read_params
from ..golden.metric_types import Metric, MetricContext, MetricSource, MetricValue, ScoredCase
from ..golden.registry import ManifestSection, register_manifest_section, register_metric_kind
from .gate import gate_human_metric
from .rubric import DEFAULT_RUBRIC, Rubric, parse_rubric

if TYPE_CHECKING:
    from ..gate.verdicts import MetricResult, SelfGateRequest

__all__ = ["HumanMetric", "check_criteria", "human_metric", "read_review_section", "register"]


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
    source: ClassVar[MetricSource] = "reviews"
    """Scored from the review memory: the baseline file keeps no value of it (its no-drop test
    pairs the reviews of the baseline's answers, found by answer hash)."""

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        raise ReviewError(
            f"metric '{self.name}' is computed from the review memory, not from answers alone"
        )

    def gate_self(self, request: SelfGateRequest) -> MetricResult:
        """Its test, from the reviews of this run's (and the baseline's) answers: the metric
        gate's hand-off (``releasegate.gate.verdicts.SelfGatedMetric``)."""
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


def read_review_section(
    document: Mapping[str, Any] | None, metrics: Sequence[Metric], path: Path
) -> Rubric | None:
    """The suite loader's hook for the manifest's ``review:`` (already schema-checked): its
    rubric, or None without one; every human metric's criterion checked against it (or against
    the default rubric's)."""
    rubric = parse_rubric(document, where=f"{path}: review")
    criteria = [c.name for c in (rubric or DEFAULT_RUBRIC).criteria]
    check_criteria(metrics, criteria, path=path)
    return rubric


def _human_score(params: Mapping[str, Any], context: MetricContext) -> Metric:
    return human_metric("human_score", params, context)


def _human_pass_rate(params: Mapping[str, Any], context: MetricContext) -> Metric:
    return human_metric("human_pass_rate", params, context)


def register() -> None:
    """Register ``human_score``, ``human_pass_rate`` and the ``review:`` section (the entry
    point ``review`` of ``releasegate.metric_kinds``)."""
    register_metric_kind("human_score", _human_score)
    register_metric_kind("human_pass_rate", _human_pass_rate)
    register_manifest_section(
        ManifestSection("review", read_review_section, default=DEFAULT_RUBRIC)
    )
