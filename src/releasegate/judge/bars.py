"""What every judge metric's test shares: the judge it is handed, the unscored-share bar, the
"read nothing" rule, and the advisory verdict of a judge not calibrated against the reviewers.

- **Unscored.** A judge output that cannot be parsed is unscored: never a pass, never a fail. A
  few are left out of the value and counted in its details; more than the judge's
  ``max_unscored`` share (2 % unless configured) fails the test, listing the first raw outputs,
  since a value computed from what is left would speak for answers the judge could not read.
- **Read nothing.** A test whose judge scored nothing has not passed: it fails saying so.
- **Advisory.** A judge gates only when calibrated (:meth:`.context.JudgeContext.status_for`);
  otherwise the test's verdict is computed as usual and carried as advisory
  (:attr:`releasegate.gate.comparisons.MetricOutcome.advisory`): reported, then skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple

from ..core.display import shorten
from ..exceptions import JudgeError
from ..gate.comparisons import MetricOutcome
from ..golden.cases import GoldenCase
from ..review.runs import render_input
from .context import JudgeContext
from .types import CalibrationStatus, JudgeRunner

if TYPE_CHECKING:
    from ..gate.verdicts import SelfGateRequest

__all__ = [
    "DEFAULT_MARGIN",
    "DEFAULT_MAX_UNSCORED",
    "JudgeAtHand",
    "Unscored",
    "advisory_outcome",
    "judge_at_hand",
    "question_of",
    "read_nothing",
    "unscored_bar",
]

DEFAULT_MAX_UNSCORED = 0.02
"""The unscored share above which a judge metric fails, for a judge that does not set one."""

DEFAULT_MARGIN = 0.05
"""How far below 0.5 a win rate may be, for a judge (and a metric) that does not set one."""

SHOWN_OUTPUTS = 5
"""Raw outputs listed when the unscored share is too high."""


class Unscored(NamedTuple):
    """One judge output that could not be parsed."""

    case_id: str
    raw: str
    reason: str


@dataclass(frozen=True)
class JudgeAtHand:
    """What a judge metric's test has of the suite's judge."""

    runner: JudgeRunner
    status: CalibrationStatus
    notes: tuple[str, ...]
    max_unscored: float
    margin: float


def judge_at_hand(request: SelfGateRequest) -> JudgeAtHand:
    """The suite's judge from the request's context (the session's judges), its calibration
    status and notes, and the bars it sets (from its spec where the runner has one:
    :class:`releasegate.judge.runner.Judge`; a runner without one gets the defaults).

    Raises :class:`~releasegate.exceptions.JudgeError` when the context is not the session's
    judges or the suite has no judge."""
    context = request.context
    label = f"{request.suite.name}::{request.spec.name}"
    if not isinstance(context, JudgeContext):
        raise JudgeError(
            f"{label}: a judge metric is scored by the suite's judge, and this run has none "
            f"(its context is {type(context).__name__}); add judge: to the manifest or "
            "[tool.releasegate.judge] to pyproject.toml"
        )
    runner = context.runner_for(request.suite)
    spec = getattr(runner, "spec", None)
    return JudgeAtHand(
        runner=runner,
        status=context.status_for(request.suite),
        notes=tuple(context.notes_for(request.suite)),
        max_unscored=float(getattr(spec, "max_unscored", DEFAULT_MAX_UNSCORED)),
        margin=float(getattr(spec, "margin", DEFAULT_MARGIN)),
    )


def question_of(case: GoldenCase) -> str:
    """A case's input as the judge reads it (:func:`releasegate.review.runs.render_input`, as
    :mod:`.items` shows it to the judge)."""
    return render_input(case.input)


def unscored_bar(
    label: str, unscored: Sequence[Unscored], judged: int, max_unscored: float
) -> MetricOutcome | None:
    """The failed outcome when more than *max_unscored* of the *judged* outputs are unscored
    (the first raw outputs listed, shortened); None when the share is within the bar."""
    if not judged or len(unscored) / judged <= max_unscored + 1e-12:
        return None
    lines = [
        f"{label}: {len(unscored)} of {judged} judge output(s) could not be parsed "
        f"({len(unscored) / judged:.1%}, above the bar {max_unscored:.1%}); the judge must end "
        "with a JSON object or a 'Score: N' (pairwise: 'Winner: A') line: check its template "
        "and its max_new_tokens, or raise max_unscored",
        "  unparseable outputs (first shown):",
    ]
    for item in unscored[:SHOWN_OUTPUTS]:
        lines.append(f"    {item.case_id:<28} {shorten(item.raw, 160)!r}")
    if len(unscored) > SHOWN_OUTPUTS:
        lines.append(f"    ... and {len(unscored) - SHOWN_OUTPUTS} more")
    return MetricOutcome(False, "\n".join(lines))


def read_nothing(label: str, judged: int, what: str) -> MetricOutcome:
    """The failed outcome of a test whose judge scored nothing."""
    return MetricOutcome(
        False,
        f"{label}: the judge scored none of {judged} {what}, so this test has not passed (it "
        "read nothing); run the suite's cases (check -k / --suite filters), and make the "
        "judge's output parseable if it was all unscored",
    )


def advisory_outcome(
    outcome: MetricOutcome, status: CalibrationStatus, notes: Sequence[str]
) -> MetricOutcome:
    """*outcome* with the judge's *notes* added to its message, and, for a judge that does not
    gate, carried as advisory: ``advisory: kappa 0.31 ..., below 0.6; would fail:
    shop::judge_score = 3.2 (bar >= 3.5): below its minimum 3.5``."""
    message = "\n".join([outcome.message, *(f"  note: {note}" for note in notes)])
    if status.gating:
        return replace(outcome, message=message)
    reason = status.reason if status.reason.startswith("advisory") else f"advisory: {status.reason}"
    verdict = "pass" if outcome.passed else "fail"
    first = shorten(outcome.message.splitlines()[0] if outcome.message else "", 300)
    return MetricOutcome(outcome.passed, message, f"{reason}; would {verdict}: {first}")
