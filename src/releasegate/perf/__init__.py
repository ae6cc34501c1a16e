"""perf: load-testing the serving endpoint with locust, measured request by request.

The measuring, the samples, the summary and the objectives live here, importable without
locust (which patches the standard library when imported); :mod:`releasegate.perf.locust_users`
holds the locust user and is imported only by locustfiles (``perf/locustfile.py``).
"""

from __future__ import annotations

from .config import LATENCY_METRICS, PERCENTILES, LoadSpec, Objective, PerfConfig, load_perf_config
from .objectives import ObjectiveResult, judge_objectives
from .report import PerfReport, format_summary, write_report
from .samples import RequestSample, read_samples, write_samples
from .stream import StreamAccumulator, measure_chat_stream
from .summary import LatencyStats, PerfSummary, summarize

__all__ = [
    "LATENCY_METRICS",
    "PERCENTILES",
    "LatencyStats",
    "LoadSpec",
    "Objective",
    "ObjectiveResult",
    "PerfConfig",
    "PerfReport",
    "PerfSummary",
    "RequestSample",
    "StreamAccumulator",
    "format_summary",
    "judge_objectives",
    "load_perf_config",
    "measure_chat_stream",
    "read_samples",
    "summarize",
    "write_report",
    "write_samples",
]
