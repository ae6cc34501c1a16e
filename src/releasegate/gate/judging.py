"""Judging one case: the check's verdict, set against the baseline's, and how to show it.

The one place a case's check runs: :func:`score_case` (for a suite's metrics, and for the
baseline's answers a paired comparison re-checks) and :func:`judge` (for a case test).

Regression semantics: a case that passed on the baseline and fails now is a
regression (FAILED); one that already failed is a known failure (XFAIL, marked at collection);
one that failed before and passes now XPASSes (an improvement); a ``critical`` case must pass
whatever the baseline says; with no baseline a case is plain pass/fail. Which case is a known
failure is :func:`known_failure`'s rule alone: the verdict's status, the pytest plugin's xfail
mark at collection and the Trainer callback's outcome (:func:`pytest_outcome`) all call it.

Assertions (``assert:``): the baseline keeps each one's outcome by name. One that passed there
and fails now is *newly failing* (:attr:`CaseVerdict.newly_failing`), and named in the failure
message. A critical one newly failing is a regression even in a known failure (the case failed
on the baseline for another reason): the collection mark cannot foresee it, so the case test
raises an exception the mark does not accept, and :func:`pytest_outcome` says ``failed`` too. A
case that could not be judged (``unscored``: an assertion that decides it could not be
evaluated) is never a pass and never a known failure either: it fails, its status is
``regression`` (passed on the baseline) or ``failed``, and its record says ``unscored``.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..core.records import CaseRecord, HumanRecord, JudgeRecord, Prediction
from ..golden.answer_text import AnswerText, in_script
from ..golden.assertion_tree import AssertedCheck
from ..golden.cases import Expected, GoldenCase
from ..golden.check_protocol import AssertionOutcome
from ..golden.checks import CheckResult
from ..golden.judge_check import with_judgment
from ..golden.metrics import ScoredCase
from ..golden.suites import Suite
from .baselines import CaseBaseline

__all__ = [
    "CaseVerdict",
    "baseline_outcome",
    "critical_regressions",
    "failure_message",
    "judge",
    "judge_case",
    "known_failure",
    "newly_failing",
    "pytest_outcome",
    "regressed_assertions",
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
    judge: JudgeRecord | None = None
    """The judge model's verdict on this answer (suites with a ``judge:``)."""

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
    def newly_failing(self) -> tuple[AssertionOutcome, ...]:
        """The assertions that passed on the baseline and fail now, in the order written (none
        without a baseline, or with one written before assertions were recorded)."""
        return newly_failing(self.result.assertions, self.baseline)

    @property
    def critical_regressions(self) -> tuple[AssertionOutcome, ...]:
        """The critical assertions among :attr:`newly_failing`: each makes the case a regression
        whatever the case's outcome on the baseline."""
        return tuple(a for a in self.newly_failing if a.critical)

    @property
    def critical_failures(self) -> tuple[AssertionOutcome, ...]:
        """The critical assertions that fail now, whatever they did on the baseline: a critical
        assertion must pass whatever the baseline says, as a ``critical`` case must."""
        return tuple(a for a in self.result.assertions if a.critical and a.outcome == "fail")

    @property
    def fails_plainly(self) -> bool:
        """Whether the case fails even where it is a known failure: a critical assertion that
        fails, or a case that could not be judged (an unscored case is no wrong answer)."""
        return not self.passed and (self.result.unscored or bool(self.critical_failures))

    @property
    def status(self) -> str:
        """``passed``, ``regression``, ``known failure``, ``improvement``, ``failed``."""
        before = self.baseline_outcome
        if self.passed:
            return "improvement" if before == "failed" else "passed"
        if self.critical_regressions:
            return "regression"
        if self.known_failure and not self.fails_plainly:
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
            assertions=self._assertion_records(),
            unscored=self.result.unscored,
            judge=self.judge,
            variant_of=self.case.variant_of,
            perturbation=self.case.perturbation,
        )

    def _assertion_records(self) -> tuple[dict[str, Any], ...]:
        """Each assertion's outcome as the record keeps it, with its outcome on the baseline
        (``baseline``) where the baseline recorded one: what the reports order and name
        regressions by (:func:`critical_regressions`)."""
        before = self.baseline.assertions if self.baseline is not None else {}
        records = []
        for outcome in self.result.assertions:
            data = outcome.to_dict()
            if outcome.name in before:
                data["baseline"] = before[outcome.name]
            records.append(data)
        return tuple(records)


def newly_failing(
    assertions: Iterable[AssertionOutcome], baseline: CaseBaseline | None
) -> tuple[AssertionOutcome, ...]:
    """The *assertions* that fail now and passed on the *baseline* (matched by name)."""
    if baseline is None or not baseline.assertions:
        return ()
    before = baseline.assertions
    return tuple(a for a in assertions if _flipped(a.outcome, before.get(a.name)))


def _flipped(outcome: object, before: object) -> bool:
    """The one rule of an assertion's regression: it fails now and passed on the baseline."""
    return outcome == "fail" and before == "pass"


def regressed_assertions(record: CaseRecord) -> tuple[Mapping[str, Any], ...]:
    """The assertions of a case's *record* that passed on the baseline and fail now (from the
    ``baseline`` outcome :meth:`CaseVerdict.to_record` keeps beside each)."""
    return tuple(a for a in record.assertions if _flipped(a.get("outcome"), a.get("baseline")))


def critical_regressions(record: CaseRecord) -> tuple[str, ...]:
    """The names of the critical assertions of *record* that passed on the baseline and fail
    now: the regressions the reports list first."""
    return tuple(str(a["name"]) for a in regressed_assertions(record) if a.get("critical"))


def _plain(value: Any) -> Any:
    """JSON-able copy (tuples to lists, mappings to dicts)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def score_case(
    suite: Suite,
    case: GoldenCase,
    answer: str,
    *,
    output_tokens: int | None = None,
    judged: CheckResult | None = None,
) -> ScoredCase:
    """*answer* checked as *suite* checks *case*: the one place a case's check (and its
    assertions) runs; *output_tokens*: the answer's token count where the backend said, for a
    length assertion in tokens (unscored without it); *judged*: the judge model's verdict on
    the answer (``Judgment.as_check_result``), which the caller holding the judge got, in the
    place of a ``check: judge`` (without it that check is unscored: it needs the verdict)."""
    check = suite.check_for(case)
    if judged is not None:
        check = with_judgment(check, judged)
    read = in_script(answer, case.answer_script)  # a script variant's: in its original's script
    if isinstance(check, AssertedCheck):
        text = AnswerText(read, output_tokens=output_tokens)
        return ScoredCase.of(case, answer, check.evaluate(text, case.expected))
    return ScoredCase.of(case, answer, check(read, case.expected))


def score_suite(
    suite: Suite,
    answers: Mapping[str, str],
    tokens: Mapping[str, int] | None = None,
    *,
    judged: Mapping[str, ScoredCase] | None = None,
    judge_verdicts: Mapping[str, CheckResult] | None = None,
    cases: Sequence[GoldenCase] | None = None,
) -> list[ScoredCase]:
    """Every test case of *suite* (its robustness variants too), in suite order, with its answer
    (*answers*: case key -> answer) checked: what the suite's metrics are computed from (the
    gate hands a metric the variants only if it reads them); *tokens*: each answer's token count
    by case key, where known; *judged*: cases this process already checked for their tests (by
    case key), reused where the answer is the same (the check is a function of it and its token
    count, which come from the same prediction); *judge_verdicts*: the judge model's verdict
    on each answer by case key, for the cases a ``check: judge`` decides; *cases*: these of
    the suite's test cases alone (the cases as written, without their variants)."""
    counts = tokens or {}
    done = judged or {}
    verdicts = judge_verdicts or {}
    scored = []
    for case in suite.test_cases if cases is None else cases:
        answer = answers[case.key]
        known = done.get(case.key)
        if known is not None and known.answer == answer:
            scored.append(known)
        else:
            tokens_of, verdict = counts.get(case.key), verdicts.get(case.key)
            scored.append(score_case(suite, case, answer, output_tokens=tokens_of, judged=verdict))
    return scored


def judge(
    suite: Suite,
    case: GoldenCase,
    prediction: Prediction,
    baseline: CaseBaseline | None,
    *,
    human: HumanRecord | None = None,
    judged: CheckResult | None = None,
    judge_record: JudgeRecord | None = None,
) -> CaseVerdict:
    """A case test's verdict: *prediction* checked, set against the case in the *baseline*;
    *human*: the reviewers' verdict on the answer, which the caller looked up where the suite
    has a ``review:`` rubric (None: no rubric, or no review memory); *judged*: the judge
    model's verdict as a check's (see :func:`score_case`), supplied the same way, and
    *judge_record* what the case's record keeps of it."""
    scored = score_case(
        suite, case, prediction.answer, output_tokens=prediction.output_tokens, judged=judged
    )
    verdict = judge_case(
        case,
        check_name=suite.check_for(case).name,
        result=scored.result,
        prediction=prediction,
        baseline=baseline,
        human=human,
    )
    return verdict if judge_record is None else replace(verdict, judge=judge_record)


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
    ``failed``. A critical case is never marked, so it passes or fails plainly; a known
    failure whose critical assertion fails, or that could not be judged, fails
    (:attr:`CaseVerdict.fails_plainly`: its test raises what the mark does not accept)."""
    if verdict.known_failure and not verdict.fails_plainly:
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
    """The message of a failing case test: what was asked, expected, answered, and why not.

    A case with assertions gets one line per assertion that failed or could not be evaluated
    (name, type, critical, outcome and reason; those that passed on the baseline say so), the
    passed ones counted; the headline names the assertions that passed on the baseline and
    fail now."""
    case = verdict.case
    lines = [
        f"{case.key} {_headline(verdict)}",
        f"  check:    {verdict.check_name}: {verdict.result.reason}",
        f"  expected: {_indent(_expected_text(verdict))}",
        f"  answer:   {_indent(verdict.prediction.answer or '(empty answer)')}",
    ]
    if verdict.human is not None and not verdict.human.passed:
        # The reviewers' verdict first: it is why the case fails, the check may have passed.
        lines.insert(1, f"  review:   {verdict.human.message}")
        if verdict.result.passed:
            lines[2] = f"  check:    {verdict.check_name} passed ({verdict.result.reason})"
    if verdict.result.assertions:
        at = 3 if lines[1].startswith("  review:") else 2
        lines[at:at] = _assertion_lines(verdict)
    if verdict.baseline is not None and verdict.baseline.answer:
        lines.append(f"  baseline answer: {_indent(verdict.baseline.answer)}")
    lines.append(f"  prompt:   {_indent(_elide(verdict.prediction.prompt, prompt_limit))}")
    lines.append(f"  case:     {case.source}")
    return "\n".join(lines)


def _headline(verdict: CaseVerdict) -> str:
    """The first line's verdict: which assertions passed on the baseline and fail now, where
    the baseline says; an unscored case's own words."""
    if verdict.result.unscored:
        headline = "unscored: could not be judged, so it fails whatever the baseline says"
    elif verdict.critical_regressions:
        names = ", ".join(a.name for a in verdict.critical_regressions)
        headline = f"regression: critical {names} passed on the baseline, fails now"
        if verdict.known_failure:
            headline += " (the case failed on the baseline for other reasons)"
    elif verdict.status == "regression" and verdict.newly_failing:
        names = ", ".join(a.name for a in verdict.newly_failing)
        headline = f"regression: {names} passed on the baseline, fails now"
    else:
        headline = _HEADLINES.get(verdict.status, verdict.status)
        if verdict.status == "known failure" and verdict.newly_failing:
            names = ", ".join(a.name for a in verdict.newly_failing)
            headline += f"; newly failing: {names}"
    if verdict.case.critical:
        headline += " (critical: must pass whatever the baseline says)"
    return headline


def _assertion_lines(verdict: CaseVerdict) -> list[str]:
    """One line per assertion that failed or is unscored, the passed ones counted."""
    outcomes = verdict.result.assertions
    passed = sum(1 for a in outcomes if a.outcome == "pass")
    before = verdict.baseline.assertions if verdict.baseline is not None else {}
    lines = [f"  assertions: {passed} of {len(outcomes)} passed"]
    for a in outcomes:
        if a.outcome == "pass":
            continue
        flags = [a.type]
        if a.critical:
            flags.append("critical")
        if a.weight == 0:
            flags.append("weight 0: reported only")
        note = " [passed on the baseline]" if before.get(a.name) == "pass" else ""
        lines.append(f"    - {a.name} ({', '.join(flags)}): {a.outcome}: {a.reason}{note}")
    return lines


def _expected_text(verdict: CaseVerdict) -> str:
    expected = verdict.case.expected
    if expected == "" and verdict.result.assertions:
        return "(no expected answer: judged by its assertions)"
    return show_expected(expected)


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
