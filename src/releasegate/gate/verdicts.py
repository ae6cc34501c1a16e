"""A suite metric's test judged: its value against its bar, or its paired no-drop comparison
with the baseline.

The one place a suite metric is gated (:func:`gate_metric`): the session hands it the suite's
scored cases and the baseline, and gets back a :class:`MetricResult` whose record goes to the
report. A metric whose values come from elsewhere than the answers (a human review metric,
``human_score``, ``human_pass_rate``, reads the review memory) gates itself: it implements
:class:`SelfGatedMetric`, and :func:`gate_metric` hands it a :class:`SelfGateRequest` with
everything it has, the caller's opaque *context* (the review memory) included, so the gate never
names review's types. The pieces it combines (bars,
comparisons, flips) are in :mod:`.comparisons`; a case's verdict (FAILED / XFAIL / XPASS) is
:mod:`releasegate.gate.judging`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..core.records import Flip, MetricRecord
from ..core.stats import PairedComparison, SummedStatistic
from ..golden.metrics import Decomposable, MetricValue, ScoredCase, is_additive, sees_variants
from ..golden.suites import MetricSpec, Suite
from .baselines import SuiteBaseline
from .comparisons import (
    MetricOutcome,
    PairedStatistics,
    judge_bar,
    judged_comparison,
    suite_mismatch,
)
from .judging import score_case, show_expected

__all__ = ["GroupedItems", "MetricResult", "SelfGateRequest", "SelfGatedMetric", "gate_metric"]


@dataclass(frozen=True)
class MetricResult:
    """A metric test's value and verdict."""

    suite: str
    spec: MetricSpec
    test: str
    """``value`` (its min/max bar, or just reported) or ``no_drop`` (against the baseline)."""
    value: MetricValue
    outcome: MetricOutcome
    baseline_value: float | None
    comparison: PairedComparison | None = None
    """The paired comparison with the baseline (no-drop tests)."""
    flips: tuple[Flip, ...] = ()
    """Cases that moved since the baseline (no-drop tests)."""

    def to_record(self) -> MetricRecord:
        """What the report and the next baseline keep of this test."""
        return MetricRecord(
            suite=self.suite,
            metric=self.spec.name,
            test=self.test,
            value=self.value.value,
            details=dict(self.value.details),
            bar=self.spec.bar,
            min=self.spec.min,
            max=self.spec.max,
            max_drop=self.spec.max_drop,
            baseline=self.baseline_value,
            higher_is_better=self.spec.metric.higher_is_better,
            passed=self.outcome.passed,
            message=self.outcome.message,
            per_item=tuple(self.value.per_item),
            item_ids=self.value.item_ids,
            comparison=None if self.comparison is None else self.comparison.to_record(),
            flips=self.flips,
            advisory=self.outcome.advisory,
        )


@dataclass(frozen=True)
class SelfGateRequest:
    """What :func:`gate_metric` has of a metric test, handed to a :class:`SelfGatedMetric`."""

    suite: Suite
    spec: MetricSpec
    test: str
    """``value`` or ``no_drop``."""
    scored: Sequence[ScoredCase]
    baseline: SuiteBaseline | None
    alpha: float
    samples: int
    context: object | None
    """What the caller passed as ``reviews`` (the review memory), untouched: the gate does not
    know its type; the metric that needs it checks it."""


@runtime_checkable
class GroupedItems(Protocol):
    """A metric each of whose items is a group of cases (``robust_accuracy``: an original and
    its variants): an item is unchanged since the baseline only when none of its members'
    answers changed, so the paired comparison reads each item's answers joined."""

    def item_answers(
        self, cases: Sequence[ScoredCase], answers: Mapping[str, str]
    ) -> dict[str, str]:
        """Each item's members' *answers* (by case id) joined, by item id."""
        ...


@runtime_checkable
class SelfGatedMetric(Protocol):
    """A metric kind whose test the gate does not compute from the answers (a human review
    metric, :class:`releasegate.review.metrics.HumanMetric`): it returns its own result, and
    may raise (``ReviewsPending``: the test is skipped)."""

    def gate_self(self, request: SelfGateRequest) -> MetricResult: ...


def gate_metric(
    suite: Suite,
    spec: MetricSpec,
    test: str,
    scored: Sequence[ScoredCase],
    baseline: SuiteBaseline | None,
    *,
    alpha: float,
    samples: int,
    reviews: object | None = None,
    model_scored: MetricValue | None = None,
) -> MetricResult:
    """The metric *spec* of *suite* over its *scored* cases, held to its bar (``test="value"``)
    or compared with *baseline* (``test="no_drop"``: a paired test on the same cases, failed by
    a drop beyond ``max_drop`` or a significant one). A :class:`SelfGatedMetric` gates itself,
    handed *reviews* (the review memory; opaque here) with the rest; a human metric raises
    ``releasegate.review.gate.ReviewsPending`` while answers await review and the suite says
    ``pending: skip``.

    A metric scored from the model rather than from answers (perplexity,
    :mod:`releasegate.perplexity`) comes as its *model_scored* value, *scored* empty: its cases
    are the suite's, and each is compared by its value alone (an unchanged answer says nothing
    about a perplexity).

    A value whose ``item_ids`` name the cases its ``per_item`` covers (an
    ``assertion_pass_rate``: the cases carrying its assertion) is barred and paired on those
    alone; one that covers no case fails either test (it read nothing). A robustness variant
    (:mod:`releasegate.robustness`) is among the *scored* cases of a metric that says
    ``sees_variants`` alone."""
    if not sees_variants(spec.metric):
        # Only a robustness metric reads the variants; every other is the suite's as written.
        scored = [item for item in scored if not item.variant_of]
    if isinstance(spec.metric, SelfGatedMetric):
        request = SelfGateRequest(suite, spec, test, scored, baseline, alpha, samples, reviews)
        return spec.metric.gate_self(request)
    members = scored  # an item of a metric of groups (robust_accuracy) stands for several
    grouped = spec.metric if isinstance(spec.metric, GroupedItems) else None
    if model_scored is None:
        value = spec.metric(scored)
        answers = {item.case_id: item.answer for item in scored}
        if grouped is not None:
            answers = grouped.item_answers(members, answers)
        if value.item_ids is not None:
            # per_item covers some of the cases (an assertion's carriers): pair by those.
            by_id = {item.case_id: item for item in scored}
            scored = [by_id[case_id] for case_id in value.item_ids]
        case_ids = [item.case_id for item in scored]
    else:
        value, case_ids, answers = model_scored, [case.id for case in suite.cases], {}
    metric_baseline = baseline.metrics.get(spec.name) if baseline else None
    before = metric_baseline.value if metric_baseline else None
    if value.item_ids == ():
        outcome = MetricOutcome(False, _read_nothing(suite.name, spec.name, value))
        return MetricResult(suite.name, spec, test, value, outcome, before)
    if test != "no_drop":
        outcome = judge_bar(suite.name, spec, value, case_ids, answers)
        return MetricResult(suite.name, spec, test, value, outcome, before)
    assert metric_baseline is not None and baseline is not None and spec.max_drop is not None
    refused = suite_mismatch(suite.name, spec.name, case_ids, metric_baseline)
    if refused is not None:
        return MetricResult(suite.name, spec, test, value, MetricOutcome(False, refused), before)
    recompute, paired = None, None
    baseline_answers: dict[str, str] = {}
    expected: dict[str, str] = {}
    if model_scored is None:
        baseline_answers = {k: v.answer for k, v in baseline.cases.items()}
        if grouped is not None:
            baseline_answers = grouped.item_answers(members, baseline_answers)
        recompute = _recompute(suite, spec, scored, baseline_answers)
        paired = _paired_statistics(suite, spec, scored, baseline_answers)
        expected = {item.case_id: show_expected(item.expected) for item in scored}
    comparison, flips, outcome = judged_comparison(
        f"{suite.name}::{spec.name}",
        spec,
        value,
        metric_baseline,
        case_ids,
        alpha=alpha,
        samples=samples,
        answers=answers,
        baseline_answers=baseline_answers,
        expected=expected,
        recompute=recompute,
        paired=paired,
    )
    return MetricResult(suite.name, spec, test, value, outcome, before, comparison, tuple(flips))


def _read_nothing(suite: str, metric: str, value: MetricValue) -> str:
    """Why a metric scored on no case fails: it read nothing, so it has not passed."""
    return (
        f"{suite}::{metric} = {value.value:.4g}: none of the cases this run judged counts "
        "towards it (no case carries what it measures), so it has not passed; run the cases "
        "that carry it (check -k / --suite filters) or remove the metric from the manifest"
    )


def _rescored(suite: Suite, item: ScoredCase, answer: str) -> ScoredCase:
    """*item* as the baseline answered it, checked as this run checks it."""
    return score_case(suite, suite.case(item.case_id), answer)


def _paired_statistics(
    suite: Suite,
    spec: MetricSpec,
    scored: Sequence[ScoredCase],
    baseline_answers: Mapping[str, str],
) -> PairedStatistics | None:
    """For a metric computed from per-case counts: the counts of the baseline's answers and
    of this run's, on the same cases (what the paired test resamples)."""
    metric = spec.metric
    if not isinstance(metric, Decomposable):
        return None

    def paired(indices: Sequence[int]) -> tuple[SummedStatistic, SummedStatistic]:
        now = [scored[i] for i in indices]
        before = [_rescored(suite, item, baseline_answers[item.case_id]) for item in now]
        return metric.paired_statistics(before, now)

    return paired


def _recompute(
    suite: Suite,
    spec: MetricSpec,
    scored: Sequence[ScoredCase],
    baseline_answers: Mapping[str, str],
) -> Callable[[Sequence[int]], tuple[float, float]] | None:
    """For a metric that is not a mean of per-case values: the metric of the baseline's
    answers and of this run's, on the same subset of cases (for the paired bootstrap)."""
    if is_additive(spec.metric) or isinstance(spec.metric, Decomposable):
        return None
    # The cases the baseline answered (the comparison is paired on those alone).
    before = {
        i: _rescored(suite, item, baseline_answers[item.case_id])
        for i, item in enumerate(scored)
        if item.case_id in baseline_answers
    }

    def recompute(indices: Sequence[int]) -> tuple[float, float]:
        return (
            spec.metric([before[i] for i in indices]).value,
            spec.metric([scored[i] for i in indices]).value,
        )

    return recompute
