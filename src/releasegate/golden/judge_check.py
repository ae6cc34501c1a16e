"""The case check ``judge``: a case passes when the judge model says its answer meets the
rubric's pass mark.

A check is a function of the answer; a judge's verdict needs a model call, which golden cannot
make (the judge package sits above it). So :class:`JudgeCheck` is a marker: called alone it
returns an unscored result, "needs its judge's verdict", never a pass and never a fail. The
caller that holds the judge (the engine's judge service) gets the verdict, batched per chunk,
and hands it to :func:`releasegate.gate.judging.judge` as ``judged=``, which puts it in the
check's place with :func:`with_judgment` (inside a case's assertions too). A suite that uses
the check without a judge configured is refused when it is loaded (:func:`refuse_unjudged`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..exceptions import GoldenFileError
from .assertion_tree import AssertedCheck
from .cases import Expected
from .check_protocol import Check, CheckContext, CheckResult
from .params import params_of, read_params

if TYPE_CHECKING:
    from .suites import Suite

__all__ = [
    "JudgeCheck",
    "JudgedCheck",
    "judge_check",
    "refuse_unjudged",
    "uses_judge",
    "with_judgment",
]

NEEDS_VERDICT = "needs its judge's verdict (the judge model scores this answer)"


@dataclass(frozen=True)
class JudgeCheck:
    """``check: judge``: the judge model's verdict on the suite's rubric decides the case."""

    name: str = "judge"

    def __call__(self, answer: str, expected: Expected) -> CheckResult:
        return CheckResult(False, NEEDS_VERDICT, unscored=True)

    def validate_expected(self, expected: Expected) -> str | None:
        return None  # the judge reads the expected answer as a reference, when there is one


@dataclass(frozen=True)
class JudgedCheck:
    """A :class:`JudgeCheck` with the judge's verdict on one answer in hand."""

    result: CheckResult
    name: str = "judge"

    def __call__(self, answer: str, expected: Expected) -> CheckResult:
        return self.result

    def validate_expected(self, expected: Expected) -> str | None:
        return None


def judge_check(params: Mapping[str, Any], context: CheckContext) -> Check:
    """The registry's factory of ``judge`` (no parameters: the rubric's pass mark decides)."""
    read_params("check", "judge", params, params_of(JudgeCheck))
    return JudgeCheck()


def uses_judge(check: Check) -> bool:
    """Whether *check* is the judge, alone or as the check of a case with assertions."""
    if isinstance(check, AssertedCheck):
        return isinstance(check.base, JudgeCheck)
    return isinstance(check, JudgeCheck)


def with_judgment(check: Check, result: CheckResult) -> Check:
    """*check* with the judge's verdict *result* in the judge's place; a check that is not the
    judge is returned as it is (the verdict is then recorded beside it, not deciding)."""
    if isinstance(check, JudgeCheck):
        return JudgedCheck(result)
    if isinstance(check, AssertedCheck) and isinstance(check.base, JudgeCheck):
        return dataclasses.replace(check, base=JudgedCheck(result))
    return check


def refuse_unjudged(suites: Iterable[Suite], *, project_judge: bool) -> None:
    """Raise :class:`GoldenFileError` naming the manifest of the first suite whose cases are
    judged by the judge model while no judge is configured for it (neither its manifest's
    ``judge:`` nor the project's ``[tool.releasegate.judge]``, *project_judge*)."""
    if project_judge:
        return
    for suite in suites:
        if suite.judge is not None:
            continue
        judged = [c.id for c in suite.cases if uses_judge(suite.check_for(c))]
        if judged:
            field = "check" if uses_judge(suite.check) else None
            raise GoldenFileError(
                f"{len(judged)} case(s) of suite '{suite.name}' use check 'judge' (first: "
                f"{judged[0]}), but no judge model is configured; add a judge: section "
                "(backend, model) to this manifest or a [tool.releasegate.judge] table to the "
                "project, or choose another check",
                path=suite.manifest_path,
                field=field,
            )
