"""The latency distribution plot of a perf report (PNG, matplotlib's Agg backend, no display)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .config import LATENCY_METRICS
from .samples import RequestSample
from .summary import PerfSummary, latency_values

__all__ = ["plot_latencies"]

_TITLES = {
    "ttft": "time to first token",
    "tpot": "time per output token",
    "itl": "inter-token latency (every gap)",
    "e2e": "end-to-end latency",
}


def plot_latencies(path: Path, samples: Sequence[RequestSample], summary: PerfSummary) -> None:
    """Write a histogram of each latency, with its p50, p95 and p99 marked, to *path*."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measured = [s for s in samples if not s.warmup]
    figure, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    for axis, metric in zip(axes.flat, LATENCY_METRICS, strict=True):
        values = latency_values(measured, metric)
        stats = summary.latencies.get(metric)
        axis.set_title(_TITLES[metric])
        axis.set_xlabel("ms")
        if not values or stats is None:
            axis.text(
                0.5, 0.5, "no measured values", ha="center", va="center", transform=axis.transAxes
            )
            continue
        axis.hist(values, bins=min(50, max(5, len(values) // 4)), color="#4c72b0", alpha=0.8)
        for p, style in ((50, "-"), (95, "--"), (99, ":")):
            value = stats.percentile(p)
            axis.axvline(value, color="#c44e52", linestyle=style, label=f"p{p} {value:.1f} ms")
        axis.set_ylabel("requests" if metric != "itl" else "gaps")
        axis.legend(fontsize=8)
    figure.suptitle(f"{summary.load}: {summary.requests} requests, {summary.failures} failed")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
