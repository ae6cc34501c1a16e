"""What a perf run leaves behind: ``reports/perf-<run>/``.

| file | what |
|---|---|
| ``samples.jsonl`` | every request as measured (warm-up ones marked), one JSON object a line |
| ``summary.json`` | the figures, the objectives' verdicts, the load and the settings |
| ``summary.md`` | the same as Markdown (what the terminal shows at the end of a run) |
| ``latency.png`` | the distribution of TTFT, TPOT, ITL and end-to-end latency |

Only one process writes: the locust master, or the single local process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import LATENCY_METRICS, PERCENTILES
from .objectives import ObjectiveResult
from .plot import plot_latencies
from .samples import RequestSample, write_samples
from .summary import PerfSummary

__all__ = ["DEFINITIONS", "PerfReport", "format_summary", "new_run_dir", "write_report"]

DEFINITIONS = (
    "TTFT: request sent -> first chunk with content. ITL: each gap between content chunks. "
    "E2E: request sent -> end of stream. TPOT: (E2E - TTFT) / (output tokens - 1). "
    "Percentiles: exact, over every measured request (numpy, linear interpolation); "
    "warm-up requests excluded."
)

_NAMES = {"ttft": "TTFT", "tpot": "TPOT", "itl": "ITL", "e2e": "E2E"}


def new_run_dir(reports_dir: Path) -> Path:
    """``<reports_dir>/perf-YYYYmmdd-HHMMSS-<pid>`` (not created)."""
    import os

    return reports_dir / f"perf-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"


@dataclass(frozen=True)
class PerfReport:
    """A finished run: where it was written and what it measured."""

    directory: Path
    summary: PerfSummary
    results: tuple[ObjectiveResult, ...]

    @property
    def all_met(self) -> bool:
        return all(result.met for result in self.results)


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def format_summary(
    summary: PerfSummary,
    results: Sequence[ObjectiveResult],
    *,
    title: str,
    context: Mapping[str, Any],
) -> str:
    """The Markdown summary: the load, throughput, latency percentiles, objectives, failures."""
    lines = [f"# {title}", ""]
    for key, value in context.items():
        if value not in (None, "", [], ()):
            lines.append(f"- {key}: {value}")
    lines.append(f"- load: {summary.load}; measured window {summary.window_s:.1f} s")
    lines += [
        "",
        "| requests | failures | error rate | requests/s | output tokens/s | input tokens/s "
        "| goodput (req/s) | pass rate (checked) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {summary.requests} | {summary.failures} | {_pct(summary.error_rate)} "
        f"| {_num(summary.requests_per_s, 2)} | {_num(summary.output_tokens_per_s)} "
        f"| {_num(summary.input_tokens_per_s)} | {_num(summary.goodput, 2)} "
        f"| {_pct(summary.pass_rate)} ({summary.passed}/{summary.checked}) |",
        "",
        "| latency (ms) | " + " | ".join(f"p{p}" for p in PERCENTILES) + " | mean | max | n |",
        "|---|" + "---:|" * (len(PERCENTILES) + 3),
    ]
    for metric in LATENCY_METRICS:
        stats = summary.latencies.get(metric)
        if stats is None:
            lines.append(
                f"| {_NAMES[metric]} | "
                + " | ".join("-" * 1 for _ in PERCENTILES)
                + " | - | - | 0 |"
            )
            continue
        cells = " | ".join(_num(stats.percentile(p)) for p in PERCENTILES)
        lines.append(
            f"| {_NAMES[metric]} | {cells} | {_num(stats.mean)} | {_num(stats.max)} "
            f"| {stats.count} |"
        )
    tokens = []
    if summary.mean_input_tokens is not None:
        tokens.append(f"mean input tokens {summary.mean_input_tokens:.1f}")
    if summary.mean_output_tokens is not None:
        tokens.append(f"mean output tokens {summary.mean_output_tokens:.1f}")
    if summary.token_sources:
        sources = ", ".join(f"{k} {v}" for k, v in sorted(summary.token_sources.items()))
        tokens.append(f"tokens counted from: {sources}")
    tokens.append(f"warm-up requests left out: {summary.warmup_requests}")
    if summary.arrival_lateness_p99_ms is not None:
        tokens.append(f"p99 lateness of arrivals: {summary.arrival_lateness_p99_ms:.1f} ms")
    lines += ["", "; ".join(tokens) + "."]
    if results:
        lines += ["", "| objective | measured | bar | verdict |", "|---|---:|---|---|"]
        for result in results:
            unit = f" {result.objective.unit}" if result.objective.unit else ""
            value = "-" if result.value is None else f"{result.value:.4g}{unit}"
            verdict = "met" if result.met else "**missed**"
            lines.append(
                f"| {result.objective.key} | {value} | {result.objective.describe_bar()} "
                f"| {verdict} |"
            )
    if summary.failure_reasons:
        lines += ["", "Failures:"]
        lines += [f"- {count} x {reason}" for reason, count in summary.failure_reasons.items()]
    lines += ["", DEFINITIONS, ""]
    return "\n".join(lines)


def write_report(
    directory: Path,
    samples: Sequence[RequestSample],
    summary: PerfSummary,
    results: Sequence[ObjectiveResult],
    *,
    context: Mapping[str, Any],
    settings: Mapping[str, Any],
) -> PerfReport:
    """Write the four files of a run into *directory* (created) and return the report."""
    directory.mkdir(parents=True, exist_ok=True)
    ordered = sorted(samples, key=lambda s: (s.worker, s.start_s))
    write_samples(directory / "samples.jsonl", ordered)
    document = {
        "run": directory.name,
        "context": dict(context),
        "summary": summary.as_dict(),
        "objectives": [result.as_dict() for result in results],
        "goodput_definition": "successful requests per second that met every TTFT, TPOT and "
        "end-to-end objective and, when answers are checked, passed their check",
        "definitions": DEFINITIONS,
        "settings": dict(settings),
    }
    (directory / "summary.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    markdown = format_summary(
        summary, results, title=f"releasegate perf run {directory.name}", context=context
    )
    (directory / "summary.md").write_text(markdown, encoding="utf-8")
    plot_latencies(directory / "latency.png", ordered, summary)
    return PerfReport(directory=directory, summary=summary, results=tuple(results))
