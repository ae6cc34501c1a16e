"""The tests of ``judge_score`` and ``judge_pass_rate``: the judge scores each answer on its
rubric, and the value is held to ``min``/``max`` or paired with the baseline (``max_drop``).

The no-drop test pairs, case by case, the judge's score of this run's answer with its score of
the baseline's answer (``request.baseline.cases[id].answer``): an answer the baseline gave too
is not judged again (its score now is its score then), the others are judged in one batch
(from the verdict cache where judged before). The comparison is the one every additive suite
metric gets (:func:`releasegate.gate.comparisons.judged_comparison`, as the human metrics'),
on the cases both sides have a score for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..exceptions import ConfigError
from ..gate.baselines import MetricBaseline
from ..gate.comparisons import MetricOutcome, judge_bar, judged_comparison
from ..golden.metric_types import MetricValue
from ..review.rubric import Rubric
from .bars import Unscored, advisory_outcome, judge_at_hand, read_nothing, unscored_bar
from .items import pointwise_item
from .types import Judgment

if TYPE_CHECKING:
    from ..gate.verdicts import MetricResult, SelfGateRequest

__all__ = ["case_value", "gate_pointwise", "pointwise_value"]


def case_value(judgment: Judgment, kind: str, criterion: str | None, rubric: Rubric) -> float:
    """One scored judgment's contribution: its score (overall, or *criterion*'s) for
    ``score``, 1/0 at or above the pass mark or below it for ``pass_rate``."""
    assert judgment.scores is not None
    score = judgment.overall if criterion is None else judgment.scores[criterion]
    assert score is not None
    if kind == "score":
        return float(score)
    return 1.0 if score >= rubric.pass_mark else 0.0


def pointwise_value(
    case_ids: Sequence[str],
    judgments: Sequence[Judgment],
    kind: str,
    criterion: str | None,
    rubric: Rubric,
) -> tuple[MetricValue, list[Unscored]]:
    """The metric's value over the scored judgments (unscored ones left out, counted in its
    details as ``unscored``), each case's contribution aligned with ``item_ids`` where some
    were left out; and the unscored outputs. NaN when nothing was scored."""
    per_case: dict[str, float] = {}
    unscored: list[Unscored] = []
    for case_id, judgment in zip(case_ids, judgments, strict=True):
        if judgment.scores is None:
            unscored.append(Unscored(case_id, judgment.raw, judgment.reason))
        else:
            per_case[case_id] = case_value(judgment, kind, criterion, rubric)
    values = tuple(per_case.values())
    value = MetricValue(
        math.fsum(values) / len(values) if values else math.nan,
        values,
        {"judged": float(len(judgments)), "scored": float(len(values)), "unscored": len(unscored)},
        item_ids=tuple(per_case) if unscored else None,
    )
    return value, unscored


def gate_pointwise(
    name: str, kind: str, criterion: str | None, request: SelfGateRequest
) -> MetricResult:
    """The value test (``request.test == "value"``) or the no-drop test of a pointwise judge
    metric; raises :class:`~releasegate.exceptions.JudgeError` when the judge cannot be reached
    (the session makes the test an ERROR naming it)."""
    from ..gate.verdicts import MetricResult  # gate.verdicts imports nothing of the judge

    suite, spec = request.suite, request.spec
    label = f"{suite.name}::{spec.name}"
    judge = judge_at_hand(request)
    rubric = judge.runner.rubric
    names = [c.name for c in rubric.criteria]
    if criterion is not None and criterion not in names:
        raise ConfigError(
            f"{suite.manifest_path}: metric '{name}': criterion '{criterion}' is not one of the "
            f"judge's rubric criteria ({', '.join(names)}); name one of them, or add it to the "
            "rubric (review: criteria, or the judge's rubric)"
        )
    scored = request.scored
    items = [pointwise_item(suite.case(item.case_id), item.answer) for item in scored]
    ids = [item.case_id for item in scored]
    value, unscored = pointwise_value(ids, judge.runner.score(items), kind, criterion, rubric)
    answers = {item.case_id: item.answer for item in scored}
    shown = value if not math.isnan(value.value) else MetricValue(0.0, (), value.details, ())
    now_ids = list(value.item_ids) if value.item_ids is not None else ids
    outcome: MetricOutcome | None = unscored_bar(label, unscored, len(items), judge.max_unscored)
    if outcome is None and not now_ids:
        outcome = read_nothing(label, len(items), "answers")
    if outcome is not None or request.test != "no_drop":
        outcome = outcome or judge_bar(suite.name, spec, value, now_ids, answers)
        outcome = advisory_outcome(outcome, judge.status, judge.notes)
        return MetricResult(suite.name, spec, request.test, shown, outcome, None)
    baseline = request.baseline
    assert spec.max_drop is not None
    if baseline is None:
        outcome = MetricOutcome(
            False,
            f"{label}: no baseline to compare with; record one: pytest model_tests --suite "
            f"{suite.name} --update-baseline",
        )
        outcome = advisory_outcome(outcome, judge.status, judge.notes)
        return MetricResult(suite.name, spec, request.test, shown, outcome, None)
    baseline_answers = {k: v.answer for k, v in baseline.cases.items()}
    now_values = dict(zip(now_ids, value.per_item, strict=True))
    before: dict[str, float] = {}
    # The baseline's answers the judge has not scored in this test: one batch.
    again = [
        item
        for item in items
        if item.case_id in now_values
        and baseline_answers.get(item.case_id, item.answer) != item.answer
    ]
    rescored = judge.runner.score(
        [item._replace(answer=baseline_answers[item.case_id]) for item in again]
    )
    before_unscored: list[Unscored] = []
    for item, judgment in zip(again, rescored, strict=True):
        if judgment.scores is None:
            before_unscored.append(Unscored(item.case_id, judgment.raw, judgment.reason))
        else:
            before[item.case_id] = case_value(judgment, kind, criterion, rubric)
    for case_id, now in now_values.items():
        if baseline_answers.get(case_id) == answers[case_id]:
            before[case_id] = now  # the same answer: the same verdict, no second call
    details = {**value.details, "baseline_judged": float(len(again))}
    details["baseline_unscored"] = float(len(before_unscored))
    shown = MetricValue(value.value, value.per_item, details, value.item_ids)
    judged = len(items) + len(again)
    outcome = unscored_bar(label, unscored + before_unscored, judged, judge.max_unscored)
    if outcome is None and not before:
        outcome = MetricOutcome(
            False,
            f"{label}: no case has a judge's score of both the baseline's answer and this "
            "run's, so there is nothing to pair (it read nothing); re-record the baseline: "
            f"pytest model_tests --suite {suite.name} --update-baseline",
        )
    if outcome is not None:
        outcome = advisory_outcome(outcome, judge.status, judge.notes)
        return MetricResult(suite.name, spec, request.test, shown, outcome, None)
    metric_baseline = MetricBaseline.mean_of(before)
    comparison, flips, outcome = judged_comparison(
        label,
        spec,
        shown,
        metric_baseline,
        now_ids,
        alpha=request.alpha,
        samples=request.samples,
        answers=answers,
        baseline_answers=baseline_answers,
        expected={item.case_id: item.expected for item in items},
    )
    outcome = advisory_outcome(outcome, judge.status, judge.notes)
    return MetricResult(
        suite.name,
        spec,
        request.test,
        shown,
        outcome,
        metric_baseline.value,
        comparison,
        tuple(flips),
    )
