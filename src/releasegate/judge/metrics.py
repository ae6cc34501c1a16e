"""The judge metrics a manifest may name: ``judge_score``, ``judge_pass_rate`` and
``judge_win_rate``.

They are declared like every other suite metric, but their values come from the suite's judge
model, not from the answers' checks (their ``source`` is ``"judge"``): the metric gate
(:func:`releasegate.gate.verdicts.gate_metric`) hands them the test (``gate_self``, its
``SelfGatedMetric`` protocol) with the session's judges as the request's context (a
:class:`~.context.JudgeContext`), and they gate themselves:

- ``judge_score`` (the mean overall score, or one ``criterion:``'s) and ``judge_pass_rate`` (the
  share of answers at or above the rubric's pass mark) score each answer pointwise
  (:mod:`.pointwise`): a value test with ``min``/``max``, and a no-drop test (``max_drop``) that
  pairs the judge's scores of this run's answers with its scores of the baseline's;
- ``judge_win_rate`` compares each answer with the baseline's, in both orders, and tests that
  the candidate is not worse than the baseline by more than a ``margin`` (:mod:`.pairwise`).

The baseline file keeps no value of them (:data:`releasegate.golden.metric_types.UNSTORED_SOURCES`):
their no-drop test asks the judge of today about the baseline's answers (cached verdicts, or
judged now), so a changed judge never compares itself with another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..exceptions import JudgeError
from ..golden.checks import ParamError, as_number, as_str, param, params_of, read_params
from ..golden.metric_types import MetricContext, MetricSource, MetricValue, ScoredCase
from ..golden.registry import register_metric_kind
from .pairwise import gate_win_rate
from .pointwise import gate_pointwise

if TYPE_CHECKING:
    from ..gate.verdicts import MetricResult, SelfGateRequest

__all__ = ["JudgeScore", "JudgeWinRate", "register_metrics"]


@dataclass(frozen=True)
class JudgeScore:
    """The judge's mean score (``score``) or share of answers at or above the pass mark
    (``pass_rate``), overall or for one criterion of its rubric."""

    name: str
    kind: str
    """``score`` or ``pass_rate``."""
    criterion: str | None = param(as_str)
    """The rubric criterion scored (the manifest's ``criterion``); None: the overall score."""
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = None
    additive: bool = True
    """The value is the mean of its per-case values (the paired test resamples them)."""
    source: ClassVar[MetricSource] = "judge"
    """Scored by the suite's judge: the baseline file keeps no value of it (its no-drop test
    judges the baseline's answers, from the verdict cache where judged before)."""

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        raise JudgeError(f"metric '{self.name}' is scored by the suite's judge, not from answers")

    def gate_self(self, request: SelfGateRequest) -> MetricResult:
        """Its test, from the judge's scores of this run's (and the baseline's) answers."""
        return gate_pointwise(self.name, self.kind, self.criterion, request)


@dataclass(frozen=True)
class JudgeWinRate:
    """The share of cases whose answer the judge prefers to the baseline's (ties half)."""

    name: str = "judge_win_rate"
    margin: float | None = param(as_number)
    """How much worse than the baseline (a win rate of 0.5) the candidate may be; None: the
    judge's ``margin`` (0.05 unless configured)."""
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 1.0)
    additive: bool = True
    source: ClassVar[MetricSource] = "judge"
    """Scored by the suite's judge against the baseline's answers: nothing of it is stored."""
    compares_with_baseline: ClassVar[bool] = True
    """Its value test is a comparison with the baseline: skipped under ``--update-baseline``
    (``releasegate.engine.collection``), as a no-drop test is."""

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        raise JudgeError(f"metric '{self.name}' is scored by the suite's judge, not from answers")

    def gate_self(self, request: SelfGateRequest) -> MetricResult:
        """Its test: the non-inferiority of this run's answers to the baseline's."""
        return gate_win_rate(self.margin, request)


def _judge_score(params: Mapping[str, Any], context: MetricContext) -> JudgeScore:
    return _pointwise("judge_score", params)


def _judge_pass_rate(params: Mapping[str, Any], context: MetricContext) -> JudgeScore:
    return _pointwise("judge_pass_rate", params)


def _pointwise(name: str, params: Mapping[str, Any]) -> JudgeScore:
    values = read_params("metric", name, params, params_of(JudgeScore))
    criterion = values["criterion"]
    kind = "score" if name == "judge_score" else "pass_rate"
    return JudgeScore(
        name=f"{name}[{criterion}]" if criterion else name,
        kind=kind,
        criterion=criterion,
        bounds=(0.0, 1.0) if kind == "pass_rate" else None,
    )


def _judge_win_rate(params: Mapping[str, Any], context: MetricContext) -> JudgeWinRate:
    values = read_params("metric", "judge_win_rate", params, params_of(JudgeWinRate))
    margin = values["margin"]
    if margin is not None and not 0.0 <= margin < 0.5:
        raise ParamError(
            f"metric 'judge_win_rate': margin {margin:g} is not in [0, 0.5): it is how far below "
            "0.5 (as good as the baseline) the win rate may be, e.g. 0.05"
        )
    return JudgeWinRate(margin=margin)


def register_metrics() -> None:
    """Register ``judge_score``, ``judge_pass_rate`` and ``judge_win_rate`` (called by
    :func:`releasegate.judge.kinds.register`, the entry point ``judge``)."""
    register_metric_kind("judge_score", _judge_score)
    register_metric_kind("judge_pass_rate", _judge_pass_rate)
    register_metric_kind("judge_win_rate", _judge_win_rate)
