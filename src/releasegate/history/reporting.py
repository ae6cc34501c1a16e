"""The pytest controller's part: record the finished run in the history and give results.json
its ``history`` (this run's metrics in every recorded run, this one included)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..config import Settings
from ..core.records import BenchmarkRecord, CaseRecord, HistoryBlock, MetricRecord, ModelDescription
from ..exceptions import ReleasegateError
from ..golden.suites import Suite
from .recording import run_record
from .steps import step_of
from .store import HistoryStore, RunRecord

__all__ = ["HistoryOutcome", "history_block", "record_finished_run"]


@dataclass(frozen=True)
class HistoryOutcome:
    """What became of the history at the end of a run."""

    block: HistoryBlock | None
    """results.json's ``history``, or None when nothing was recorded."""
    note: str
    """One line for the terminal summary."""
    failed: bool = False


def history_block(store: HistoryStore, run: RunRecord) -> HistoryBlock:
    """``{"metrics": [...]}``: every recorded value of *run*'s metrics, oldest run first."""
    points = store.series(
        suites=sorted({m.suite for m in run.metrics}),
        metrics=sorted({m.metric for m in run.metrics}),
    )
    wanted = {(m.suite, m.metric) for m in run.metrics}
    return HistoryBlock(metrics=tuple(p.point() for p in points if (p.suite, p.metric) in wanted))


def record_finished_run(
    *,
    settings: Settings,
    run_id: str,
    step: int | None,
    models: Mapping[str, ModelDescription],
    metric_records: Iterable[MetricRecord | BenchmarkRecord],
    case_records: Iterable[CaseRecord],
    suites: Mapping[str, Suite],
    git_commit: str | None,
    incomplete: list[str],
) -> HistoryOutcome:
    """Record a run that ended; a run cut short is not recorded (half a run on the curve would
    read as a fall), and a history that cannot be written costs the run nothing else: the
    reports are written all the same and the line says why."""
    store = HistoryStore(settings.effective_history_path)
    if incomplete:
        return HistoryOutcome(None, f"history: run not recorded ({'; '.join(incomplete)})")
    model = next(iter(models.values()), ModelDescription(model=settings.model))
    try:
        run = run_record(
            run_id=run_id,
            model=model,
            step=step_of(settings.model, explicit=step),
            metric_records=metric_records,
            case_records=case_records,
            suites=suites,
            git_commit=git_commit,
        )
        if not run.metrics and not run.cases:
            return HistoryOutcome(None, "history: nothing measured, nothing recorded")
        store.record(run)
        block = history_block(store, run)
    except ReleasegateError as exc:
        return HistoryOutcome(None, f"history: run not recorded: {exc}", failed=True)
    at = f" at step {run.step}" if run.step is not None else ""
    return HistoryOutcome(block, f"history: run {run_id}{at} recorded in {store.path}")
