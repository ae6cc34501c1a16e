"""What the run history keeps, as typed records: a run (:class:`RunRecord`) with its metrics
(:class:`MetricPoint`, per-item values included, for paired comparisons) and its cases
(:class:`CaseOutcome`), and a metric's value in one recorded run as it is read back
(:class:`SeriesPoint`). :mod:`.store` writes and reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..core.records import HistoryPoint

__all__ = ["CaseOutcome", "MetricPoint", "RunRecord", "SeriesPoint"]


@dataclass(frozen=True)
class MetricPoint:
    """One metric of one run, with the facts the trend rules need."""

    suite: str
    """A golden suite, or ``general/<task>`` for a benchmark."""
    metric: str
    value: float
    higher_is_better: bool = True
    max_drop: float | None = None
    """The tolerated drop (the suite's or benchmark's ``max_drop``); None: only a significant
    drop counts."""
    chance: float | None = None
    """The score of a model that knows nothing: 1/choices for a multiple-choice benchmark, the
    majority label's share for a classifier; None where there is no such floor."""
    stderr: float | None = None
    """Standard error of the value, where the benchmark reports one."""
    items: Mapping[str, float] = field(default_factory=dict)
    """Item id -> its contribution (1/0 for an accuracy), for paired comparisons."""


@dataclass(frozen=True)
class CaseOutcome:
    """One golden case of one run."""

    suite: str
    case_id: str
    passed: bool
    outcome: str
    """As pytest counted it: ``passed``, ``failed``, ``xfailed``, ``xpassed``."""
    answer: str


@dataclass(frozen=True)
class RunRecord:
    """Everything the history keeps of one run."""

    run_id: str
    time: str
    """When the run finished, ISO 8601 with its UTC offset."""
    model: str
    """The model as the user named it (a folder, a hub id, the default model's alias)."""
    model_path: str | None
    fingerprint: str | None
    """The weights' identity: a checkpoint already scored is recognised by it."""
    step: int | None
    """The training step of the checkpoint (None: not a checkpoint)."""
    git_commit: str | None = None
    source: str = "pytest"
    """``pytest``, ``checkpoints`` or ``callback``: what recorded the run."""
    metrics: tuple[MetricPoint, ...] = ()
    cases: tuple[CaseOutcome, ...] = ()


@dataclass(frozen=True)
class SeriesPoint:
    """A metric's value in one recorded run: a row of ``releasegate history``."""

    run_id: str
    step: int | None
    time: str
    model: str
    fingerprint: str | None
    suite: str
    metric: str
    value: float
    higher_is_better: bool
    max_drop: float | None
    chance: float | None
    stderr: float | None
    item_count: int

    def point(self) -> HistoryPoint:
        """The entry of results.json's ``history.metrics``."""
        return HistoryPoint(
            run_id=self.run_id,
            step=self.step,
            time=self.time,
            model=self.model,
            suite=self.suite,
            metric=self.metric,
            value=self.value,
        )
