"""What a judge metric is handed to gate itself: the :class:`JudgeContext`.

A judge metric (:mod:`.metrics`) scores answers with the suite's judge, but builds no judge of
its own: the session owns one per suite (``releasegate.engine.judges.JudgeService``, which
reuses the session's backend, refuses a self-judge and counts the calls for the report) and
hands it to the metric gate as the request's opaque ``context``
(:class:`releasegate.gate.verdicts.SelfGateRequest`). The metric checks that what it got is a
:class:`JudgeContext` and asks it three things, so that the judge package never imports the
engine above it, and a test can hand it a small context over a real judge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .types import CalibrationStatus, JudgeRunner

if TYPE_CHECKING:
    from ..golden.suites import Suite

__all__ = ["JudgeContext"]


@runtime_checkable
class JudgeContext(Protocol):
    """The session's judges, one per suite that declares one."""

    def runner_for(self, suite: Suite) -> JudgeRunner:
        """The judge of *suite* (built once, then reused); raises
        :class:`~releasegate.exceptions.JudgeError` when the suite has no judge (no ``judge:``
        in its manifest nor ``[tool.releasegate.judge]``), saying to add one."""
        ...

    def status_for(self, suite: Suite) -> CalibrationStatus:
        """Whether *suite*'s judge gates (calibrated against the reviewers) or is advisory,
        and why (``releasegate.judge.calibration.calibration_status``)."""
        ...

    def notes_for(self, suite: Suite) -> tuple[str, ...]:
        """Lines every report of *suite*'s judge carries (the judge judging its own model
        under ``allow_self_judge: true``); () when there is nothing to say."""
        ...
