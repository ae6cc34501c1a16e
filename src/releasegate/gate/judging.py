"""Judging one case: the check's verdict, set against the baseline's, and how to show it.

The one place a case's check runs: :func:`score_case` (for a suite's metrics, and for the
baseline's answers a paired comparison re-checks) and :func:`judge` (for a case test).

Regression semantics: a case that passed on the baseline and fails now is a
regression (FAILED); one that already failed is a known failure (XFAIL, marked at collection);
one that failed before and passes now XPASSes (an improvement); a ``critical`` case must pass
whatever the baseline says; with no baseline a case is plain pass/fail. Which case is a known
failure is :func:`known_failure`'s rule alone: the verdict's status, the pytest plugin's xfail
mark at collection and the Trainer callback's outcome (:func:`pytest_outcome`) all call it.

Human review: in a suite with a ``review:`` rubric, the caller (the engine, which sits above
review) looks up the reviewers' verdict on the exact answer
(:func:`releasegate.review.verdicts.suite_human_verdict`) and hands it to :func:`judge` as
*human*; this module never reads the review memory. An answer scored below the pass mark fails
its test, a regression when the baseline's answer passed review, a known failure when reviewers
failed the baseline's answer too.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.records import CaseRecord, HumanRecord, Prediction
from ..golden.answer_text import AnswerText
from ..golden.assertion_tree import AssertedCheck
from ..golden.cases import Expected, GoldenCase
from ..golden.checks import CheckResult
from ..golden.metrics import ScoredCase
from ..golden.suites import Suite
from .baselines import CaseBaseline

__all__ = [
    "CaseVerdict",
    "baseline_outcome",
    "failure_message",
    "judge",
    "judge_case",
    "known_failure",
    "pytest_outcome",
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
    def baseline_reviewed(self) -> bool | None:
        """Whether reviewers passed the baseline's answer (None: not reviewed, or no rubric)."""
        return None if self.human is None else self.human.baseline_passed

    @property
    def baseline_outcome(self) -> str | None:
        """The case's outcome on the baseline (:func:`baseline_outcome`)."""
        return baseline_outcome(self.baseline, baseline_reviewed=self.baseline_reviewed)

    @property
    def known_failure(self) -> bool:
        """Whether this case was marked a known failure (:func:`known_failure`)."""
        return known_failure(self.case, self.baseline, baseline_reviewed=self.baseline_reviewed)

    @property
    def status(self) -> str:
        """``passed``, ``regression``, ``known failure``, ``improvement``, ``failed``."""
        before = self.baseline_outcome
        if self.passed:
            return "improvement" if before == "failed" else "passed"
        if self.known_failure:
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
            assertions=tuple(outcome.to_dict() for outcome in self.result.assertions),
            unscored=self.result.unscored,
        )


def _plain(value: Any) -> Any:
    """JSON-able copy (tuples to lists, mappings to dicts)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def score_case(
    suite: Suite, case: GoldenCase, answer: str, *, output_tokens: int | None = None
) -> ScoredCase:
    """*answer* checked as *suite* checks *case*: the one place a case's check (and its
    assertions) runs; *output_tokens*: the answer's token count where the backend said, for a
    length assertion in tokens (unscored without it)."""
    check = suite.check_for(case)
    if isinstance(check, AssertedCheck):
        text = AnswerText(answer, output_tokens=output_tokens)
        return ScoredCase(case.id, answer, case.expected, check.evaluate(text, case.expected))
    return ScoredCase(case.id, answer, case.expected, check(answer, case.expected))


def score_suite(
    suite: Suite, answers: Mapping[str, str], tokens: Mapping[str, int] | None = None
) -> list[ScoredCase]:
    """Every case of *suite*, in suite order, with its answer (*answers*: case key -> answer)
    checked: what the suite's metrics are computed from; *tokens*: each answer's token count
    by case key, where known."""
    counts = tokens or {}
    return [
        score_case(suite, case, answers[case.key], output_tokens=counts.get(case.key))
        for case in suite.cases
    ]


def judge(
    suite: Suite,
    case: GoldenCase,
    prediction: Prediction,
    baseline: CaseBaseline | None,
    *,
    human: HumanRecord | None = None,
) -> CaseVerdict:
    """A case test's verdict: *prediction* checked, set against the case in the *baseline*;
    *human*: the reviewers' verdict on the answer, which the caller looked up where the suite
    has a ``review:`` rubric (None: no rubric, or no review memory)."""
    scored = score_case(suite, case, prediction.answer, output_tokens=prediction.output_tokens)
    return judge_case(
        case,
        check_name=suite.check_for(case).name,
        result=scored.result,
        prediction=prediction,
        baseline=baseline,
        human=human,
    )


def baseline_outcome(
    baseline: CaseBaseline | None, *, baseline_reviewed: bool | None = None
) -> str | None:
    """The case's outcome on the baseline (None: no baseline, or a new case): its check's,
    and ``failed`` where reviewers scored the baseline's answer below the pass mark
    (*baseline_reviewed* False; None where it was not reviewed or the suite has no rubric)."""
    if baseline is None:
        return None
    if baseline_reviewed is False:
        return "failed"
    return baseline.outcome


def known_failure(
    case: GoldenCase, baseline: CaseBaseline | None, *, baseline_reviewed: bool | None = None
) -> bool:
    """The known-failure rule, the one place it is written: a case that is not ``critical``
    and failed on the baseline (its check failed there, or reviewers failed the baseline's
    answer: *baseline_reviewed* False). Failing again, it is XFAIL, not a regression; an
    unchanged answer that reviewers failed stays XFAIL when its reviews are first imported.

    The pytest plugin marks such a case ``xfail`` at collection, :attr:`CaseVerdict.status`
    calls it ``known failure``, and the Trainer callback counts it as pytest would
    (:func:`pytest_outcome`)."""
    failed = baseline_outcome(baseline, baseline_reviewed=baseline_reviewed) == "failed"
    return failed and not case.critical


def pytest_outcome(verdict: CaseVerdict) -> str:
    """How pytest counts the case test of *verdict*: ``xfailed``/``xpassed`` for a known
    failure (marked ``xfail`` at collection by :func:`known_failure`), else ``passed`` or
    ``failed``. A critical case is never marked, so it passes or fails plainly."""
    if verdict.known_failure:
        return "xpassed" if verdict.passed else "xfailed"
    return "passed" if verdict.passed else "failed"


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
