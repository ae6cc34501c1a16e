"""Reviewers' scores in the gate: the human metrics and a run's summary (a case's human verdict
is :mod:`.verdicts`', joined to the case by :func:`releasegate.gate.judging.judge`).

Everything is looked up by the exact answer (case id + answer hash + rubric hash), so a re-run
from cached answers judges newly imported scores without the model, and a changed answer is
pending again. The no-drop comparison of a human metric pairs, case by case, the reviews of the
baseline's answer with the reviews of this run's answer, on the cases both have; it uses the
same paired statistics as every other suite metric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..core.display import first_items
from ..core.records import CaseRecord, Flip, ReviewSummary
from ..core.stats import PairedComparison
from ..exceptions import ReviewError
from ..gate.baselines import MetricBaseline, SuiteBaseline
from ..gate.comparisons import MetricOutcome, judge_bar, judged_comparison
from ..gate.judging import show_expected
from ..gate.verdicts import MetricResult, SelfGateRequest
from ..golden.metrics import MetricValue, ScoredCase
from ..golden.suites import MetricSpec, Suite
from .records import ReviewRecord
from .rubric import Rubric
from .store import ReviewStore

if TYPE_CHECKING:  # the metric hands itself in (HumanMetric.gate_self); no import back
    from .metrics import HumanMetric
from .verdicts import case_score, export_command

__all__ = [
    "HumanMetricResult",
    "ReviewsPending",
    "evaluate_human_metric",
    "gate_human_metric",
    "review_summary",
]


class ReviewsPending(ReviewError):
    """A human test cannot be judged yet and the suite says ``pending: skip``: the test is
    skipped with this message."""


@dataclass(frozen=True)
class HumanMetricResult:
    """A human metric test's value and verdict, for the session's MetricResult."""

    value: MetricValue
    outcome: MetricOutcome
    baseline_value: float | None = None
    comparison: PairedComparison | None = None
    flips: tuple[Flip, ...] = ()


def _per_case(metric: HumanMetric, rubric: Rubric, reviews: Sequence[ReviewRecord]) -> float:
    score = case_score(reviews, metric.criterion)
    if metric.kind == "score":
        return score
    return 1.0 if score >= rubric.pass_mark else 0.0


def evaluate_human_metric(
    metric: HumanMetric,
    suite: Suite,
    spec: MetricSpec,
    kind: str,
    scored: Sequence[ScoredCase],
    *,
    store: ReviewStore,
    baseline: SuiteBaseline | None,
    alpha: float,
    samples: int,
) -> HumanMetricResult:
    """The value test (``kind == "value"``) or the no-drop test of a human metric.

    Raises :class:`ReviewsPending` when answers await review and the suite says
    ``pending: skip``; under ``pending: fail`` the test fails with the same message."""
    rubric = suite.rubric
    label = f"{suite.name}::{spec.name}"
    now: dict[str, float] = {}
    pending: list[str] = []
    for item in scored:
        reviews = store.reviews_of(suite.name, item.case_id, item.answer, rubric.hash)
        if reviews:
            now[item.case_id] = _per_case(metric, rubric, reviews)
        else:
            pending.append(item.case_id)
    ids = list(now)
    value = MetricValue(
        math.fsum(now.values()) / len(now) if now else math.nan, tuple(now.values())
    )
    shown = MetricValue(
        0.0 if not now else value.value,
        value.per_item,
        {"reviewed": len(now), "pending": len(pending)},
    )
    if pending:
        message = (
            f"{label}: {len(pending)} of {len(scored)} answer(s) await human review "
            f"(first: {first_items(pending)}); export them with: {export_command(suite.name)}, "
            "then: releasegate review import FILE"
        )
        if rubric.pending == "skip":
            raise ReviewsPending(message)
        # per_item only where it covers every case (a baseline zips it with the case ids)
        return HumanMetricResult(replace(shown, per_item=()), MetricOutcome(False, message))
    answers = {item.case_id: item.answer for item in scored}
    if kind == "value":
        return HumanMetricResult(shown, judge_bar(suite.name, spec, shown, ids, answers))
    assert spec.max_drop is not None and baseline is not None
    baseline_answers = {k: v.answer for k, v in baseline.cases.items()}
    before: dict[str, float] = {}
    for case_id in ids:
        answer = baseline_answers.get(case_id)
        if answer is None:
            continue
        reviews = store.reviews_of(suite.name, case_id, answer, rubric.hash)
        if reviews:
            before[case_id] = _per_case(metric, rubric, reviews)
    if not before:
        message = (
            f"{label}: no case has reviews of both the baseline's answer and this run's, so "
            "there is nothing to pair; review the baseline run's answers too "
            "(releasegate review export --run <baseline run>)"
        )
        if rubric.pending == "skip":
            raise ReviewsPending(message)
        return HumanMetricResult(shown, MetricOutcome(False, message))
    metric_baseline = MetricBaseline.mean_of(before)
    comparison, flips, outcome = judged_comparison(
        label,
        spec,
        shown,
        metric_baseline,
        ids,
        alpha=alpha,
        samples=samples,
        answers=answers,
        baseline_answers=baseline_answers,
        expected={item.case_id: show_expected(item.expected) for item in scored},
    )
    return HumanMetricResult(shown, outcome, metric_baseline.value, comparison, tuple(flips))


def gate_human_metric(metric: HumanMetric, request: SelfGateRequest) -> MetricResult:
    """A human metric's test as the metric gate asked for it
    (:meth:`.metrics.HumanMetric.gate_self`): the request's context must be the review memory."""
    suite, spec = request.suite, request.spec
    if not isinstance(request.context, ReviewStore):
        raise ValueError(f"{suite.name}::{spec.name}: a human metric needs the review memory")
    if spec.metric is not metric:
        raise ValueError(f"{suite.name}::{spec.name}: gated as another metric ({metric.name})")
    human = evaluate_human_metric(
        metric,
        suite,
        spec,
        request.test,
        request.scored,
        store=request.context,
        baseline=request.baseline,
        alpha=request.alpha,
        samples=request.samples,
    )
    return MetricResult(
        suite.name,
        spec,
        request.test,
        human.value,
        human.outcome,
        human.baseline_value,
        human.comparison,
        human.flips,
    )


def review_summary(
    suites: Mapping[str, Suite], store: ReviewStore, cases: Sequence[CaseRecord]
) -> dict[str, ReviewSummary]:
    """results.json's ``review`` key: per suite with a rubric, what this run's answers have of
    reviews (absent suites: no rubric)."""
    out: dict[str, ReviewSummary] = {}
    for name, suite in sorted(suites.items()):
        rubric = suite.review
        if rubric is None:
            continue
        reviewed: list[list[ReviewRecord]] = []
        pending = 0
        for case in cases:
            if case.suite != name:
                continue
            reviews = store.reviews_of(name, case.id, case.answer, rubric.hash)
            if reviews:
                reviewed.append(reviews)
            else:
                pending += 1
        criteria: dict[str, float | None] = {}
        for criterion in rubric.criteria:
            values = [case_score(r, criterion.name) for r in reviewed]
            criteria[criterion.name] = math.fsum(values) / len(values) if values else None
        overall = [case_score(r) for r in reviewed]
        out[name] = ReviewSummary(
            reviewed=len(reviewed),
            pending=pending,
            reviewers=tuple(sorted({r.reviewer for rs in reviewed for r in rs})),
            criteria=criteria,
            overall=math.fsum(overall) / len(overall) if overall else None,
            pass_rate=(
                sum(1 for s in overall if s >= rubric.pass_mark) / len(overall) if overall else None
            ),
            export_command=export_command(name),
        )
    return out
