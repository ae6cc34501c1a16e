"""What a run keeps of its judge model: a judged case's verdict (:class:`JudgeRecord`) and each
suite's judge (:class:`JudgeSummary`).

Plain records on the ground floor, beside :mod:`.records`, which holds them in a
:class:`~releasegate.core.records.CaseRecord` (``judge``) and a
:class:`~releasegate.core.records.RunRecord` (``results.json``'s ``judge``, by suite): the
judge package (:mod:`releasegate.judge`) builds them, the controller gathers them from the
xdist workers, the reports read them. The judge's identity travels as its JSON
(:meth:`releasegate.judge.types.JudgeIdentity.to_json`), since this floor imports nothing of
the judge's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .serialisation import JsonRecord

__all__ = ["JudgeRecord", "JudgeSummary"]


@dataclass(frozen=True, kw_only=True)
class JudgeRecord(JsonRecord):
    """The judge's verdict on one case's answer (pointwise, on the suite's rubric)."""

    scores: Mapping[str, float] | None
    """Score per rubric criterion; None: the judge's output could not be parsed (unscored)."""
    overall: float | None
    """Mean over the criteria; None when unscored."""
    passed: bool | None
    """Whether the overall score reaches the rubric's pass mark; None when unscored."""
    reason: str
    """The judge's parsed reason; for an unscored output, why it could not be parsed."""
    unscored: bool
    cached: bool
    """Read from the verdict cache (no judge call made for it in this run)."""
    advisory: str = ""
    """Why this verdict did not decide the case (``advisory: not calibrated ...``): the judge
    is not calibrated to gate, so a ``check: judge`` case was skipped with it. Empty where
    the verdict counted."""


@dataclass(frozen=True, kw_only=True)
class JudgeSummary(JsonRecord):
    """One suite's judge in a run: who judged, whether it gates, and what it cost."""

    identity: Mapping[str, Any]
    """The judge's identity as JSON (backend, model, fingerprint, template and rubric hashes,
    settings)."""
    self_judge: bool
    """The judge is the model under test, or the baseline's model (``allow_self_judge``): every
    report says so."""
    gating: bool
    """Calibrated against the reviewers: its verdicts can fail the run."""
    status: str
    """The calibration status in one line (``calibrated: kappa 0.71 on 64 answers``, or why
    advisory)."""
    calls: int = 0
    """Judge model calls made in this run (every process summed)."""
    cache_hits: int = 0
    """Verdicts read from the verdict cache in this run (every process summed)."""
    notes: tuple[str, ...] = ()
    """What every report must say of this judge (the self-judge warning)."""
    figures: Mapping[str, Any] = field(default_factory=dict)
    """The calibration's figures as stored (per criterion kappa, n, ...), for the page."""

    def plus(self, other: JudgeSummary) -> JudgeSummary:
        """This summary with *other*'s counts added (another xdist worker's, same suite): the
        run's figures are every process's calls and cache hits summed."""
        notes = tuple(dict.fromkeys((*self.notes, *other.notes)))
        return replace(
            self,
            calls=self.calls + other.calls,
            cache_hits=self.cache_hits + other.cache_hits,
            notes=notes,
        )
