"""Runs and checkpoints over time: the run history (SQLite), the trend rules that catch a bad
curve, ``releasegate checkpoints`` and the training-loop callback
(:mod:`releasegate.integrations.transformers`)."""

from .reporting import HistoryOutcome, record_finished_run
from .steps import step_of
from .store import SCHEMA_VERSION, CaseOutcome, HistoryStore, MetricPoint, RunRecord, SeriesPoint

__all__ = [
    "SCHEMA_VERSION",
    "CaseOutcome",
    "HistoryOutcome",
    "HistoryStore",
    "MetricPoint",
    "RunRecord",
    "SeriesPoint",
    "record_finished_run",
    "step_of",
]
