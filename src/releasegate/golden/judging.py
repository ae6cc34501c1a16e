"""Judging one case: the check's verdict, set against the baseline's, and how to show it.

The one place a case's check runs: :func:`score_case` (for a suite's metrics, and for the
baseline's answers a paired comparison re-checks) and :func:`judge` (for a case test).

Regression semantics: a case that passed on the baseline and fails now is a
regression (FAILED); one that already failed is a known failure (XFAIL, marked at collection);
one that failed before and passes now XPASSes (an improvement); a ``critical`` case must pass
whatever the baseline says; with no baseline a case is plain pass/fail.

Human review: in a suite with a ``review:`` rubric, :func:`judge` joins the reviewers' verdict on
the exact answer (:func:`releasegate.review.verdicts.human_verdict`); an answer scored below the
pass mark fails its test, a regression when the baseline's answer passed review, a known
failure when reviewers failed the baseline's answer too (:func:`baseline_failed`).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.records import CaseRecord, HumanRecord
from ..engine.predictions import Prediction
from ..gate.baselines import CaseBaseline
from ..review.store import ReviewStore
from ..review.verdicts import human_verdict, review_passed
from .cases import Expected, GoldenCase
from .checks import CheckResult
from .metrics import ScoredCase
from .suites import Suite

__all__ = [
    "CaseVerdict",
    "baseline_failed",
    "failure_message",
    "judge",
    "judge_case",
    "score_case",
    "score_suite",
    "show_expected",
]


@dataclass(frozen=True)
class CaseVerdict:
    """One judged case."""

    case: GoldenCase
    """The case."""
    check_name: str
    """Name of the check that judged it."""
    prediction: Prediction
    """The model's answer and the exact prompt it was given."""
    result: CheckResult
    """The check's verdict."""
    baseline: CaseBaseline | None
    """The case in the baseline, or None (no baseline, or a new case)."""
    human: HumanRecord | None = None
    """The reviewers' verdict on this exact answer (suites with a ``review:`` rubric)."""

    @property
    def passed(self) -> bool:
        return self.result.passed and (self.human is None or self.human.passed)

    @property
    def baseline_outcome(self) -> str | None:
        """The case's outcome on the baseline: the check's, and ``failed`` where reviewers
        scored the baseline's answer below the pass mark (the rule :func:`baseline_failed`
        applies at collection, when the xfail mark is set)."""
        if self.baseline is None:
            return None
        if self.human is not None and self.human.baseline_passed is False:
            return "failed"
        return self.baseline.outcome

    @property
    def status(self) -> str:
        """``passed``, ``regression``, ``known failure``, ``improvement``, ``failed``."""
        before = self.baseline_outcome
        if self.passed:
            return "improvement" if before == "failed" else "passed"
        if before == "failed" and not self.case.critical:
            return "known failure"
        if self.result.passed and self.human is not None:  # failed on review alone
            return "regression" if self.human.baseline_passed else "failed"
        if before == "passed":
            return "regression"
        return "failed"

    def to_record(self) -> CaseRecord:
        """What the report and the next baseline keep of this case."""
        return CaseRecord(
            suite=self.case.suite,
            id=self.case.id,
            key=self.case.key,
            source=self.case.source,
            tags=tuple(self.case.tags),
            critical=self.case.critical,
            input=_plain(self.case.input),
            expected=_plain(self.case.expected),
            prompt=self.prediction.prompt,
            answer=self.prediction.answer,
            check=self.check_name,
            passed=self.passed,
            check_passed=self.result.passed,
            reason=self.result.reason,
            score=self.result.score,
            prediction=_plain(self.result.prediction),
            status=self.status,
            baseline=self.baseline_outcome,
            baseline_answer=self.baseline.answer if self.baseline else None,
            output_tokens=self.prediction.output_tokens,
            seconds=round(self.prediction.seconds, 4),
            cached=self.prediction.cached,
            human=self.human,
        )


def _plain(value: Any) -> Any:
    """JSON-able copy (tuples to lists, mappings to dicts)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def score_case(suite: Suite, case: GoldenCase, answer: str) -> ScoredCase:
    """*answer* checked as *suite* checks *case*: the one place a case's check runs."""
    return ScoredCase(case.id, answer, case.expected, suite.check_for(case)(answer, case.expected))


def score_suite(suite: Suite, answers: Mapping[str, str]) -> list[ScoredCase]:
    """Every case of *suite*, in suite order, with its answer (*answers*: case key -> answer)
    checked: what the suite's metrics are computed from."""
    return [score_case(suite, case, answers[case.key]) for case in suite.cases]


def judge(
    suite: Suite,
    case: GoldenCase,
    prediction: Prediction,
    baseline: CaseBaseline | None,
    *,
    reviews: ReviewStore | None = None,
) -> CaseVerdict:
    """A case test's verdict: *prediction* checked, set against the case in the *baseline*;
    with *reviews* (the review memory), the reviewers' verdict on the answer joined where the
    suite has a ``review:`` rubric."""
    scored = score_case(suite, case, prediction.answer)
    human = None
    if reviews is not None and suite.review is not None:
        human = human_verdict(
            suite.name, suite.review, case.id, prediction.answer, reviews, baseline
        )
    return judge_case(
        case,
        check_name=suite.check_for(case).name,
        result=scored.result,
        prediction=prediction,
        baseline=baseline,
        human=human,
    )


def baseline_failed(
    suite: Suite, case: GoldenCase, baseline: CaseBaseline | None, reviews: ReviewStore
) -> bool:
    """Whether *case* failed on the baseline: its check failed there, or (in a suite with a
    ``review:`` rubric) reviewers scored the baseline's answer below the pass mark. Such a case
    failing again is a known failure, not a regression: an unchanged answer that reviewers
    failed stays XFAIL when its reviews are first imported."""
    if baseline is None:
        return False
    if baseline.outcome == "failed":
        return True
    if suite.review is None:
        return False
    passed = review_passed(suite.name, suite.review, case.id, baseline.answer, reviews)
    return passed is False


def judge_case(
    case: GoldenCase,
    *,
    check_name: str,
    result: CheckResult,
    prediction: Prediction,
    baseline: CaseBaseline | None,
    human: HumanRecord | None = None,
) -> CaseVerdict:
    return CaseVerdict(case, check_name, prediction, result, baseline, human)


_HEADLINES = {
    "regression": "regression: passed on the baseline, fails now",
    "known failure": "known failure: failed on the baseline too",
    "failed": "failed",
}


def failure_message(verdict: CaseVerdict, *, prompt_limit: int = 1500) -> str:
    """The message of a failing case test: what was asked, expected, answered, and why not."""
    case = verdict.case
    headline = _HEADLINES.get(verdict.status, verdict.status)
    if case.critical:
        headline += " (critical: must pass whatever the baseline says)"
    lines = [
        f"{case.key} {headline}",
        f"  check:    {verdict.check_name}: {verdict.result.reason}",
        f"  expected: {_indent(show_expected(case.expected))}",
        f"  answer:   {_indent(verdict.prediction.answer or '(empty answer)')}",
    ]
    if verdict.human is not None and not verdict.human.passed:
        # The reviewers' verdict first: it is why the case fails, the check may have passed.
        lines.insert(1, f"  review:   {verdict.human.message}")
        if verdict.result.passed:
            lines[2] = f"  check:    {verdict.check_name} passed ({verdict.result.reason})"
    if verdict.baseline is not None and verdict.baseline.answer:
        lines.append(f"  baseline answer: {_indent(verdict.baseline.answer)}")
    lines.append(f"  prompt:   {_indent(_elide(verdict.prediction.prompt, prompt_limit))}")
    lines.append(f"  case:     {case.source}")
    return "\n".join(lines)


def show_expected(expected: Expected) -> str:
    """A case's expected answer as text: the string itself, else its JSON (several acceptable
    answers, a JSON object)."""
    if isinstance(expected, str):
        return expected
    return json.dumps(_plain(expected), ensure_ascii=False)


def _indent(text: str) -> str:
    return textwrap.indent(text, " " * 12).lstrip()


def _elide(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters ...]\n{text[-half:]}"
