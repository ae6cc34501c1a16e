"""The trend plot: one panel per suite, each metric against the training step (the base model
at step 0), drawn with matplotlib's Agg backend (no display needed) into a PNG."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from .store import SeriesPoint

__all__ = ["plot_trends"]


def plot_trends(points: Sequence[SeriesPoint], path: Path, *, title: str = "") -> Path:
    """Write the plot of *points* (those with a step) to *path*; return it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stepped = [p for p in points if p.step is not None]
    suites = sorted({p.suite for p in stepped})
    if not suites:
        raise ValueError("no run with a step to plot")
    columns = min(3, len(suites))
    rows = math.ceil(len(suites) / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(4.6 * columns, 3.4 * rows), squeeze=False, sharex=True
    )
    for index, suite in enumerate(suites):
        ax = axes[index // columns][index % columns]
        of_suite = [p for p in stepped if p.suite == suite]
        for metric in sorted({p.metric for p in of_suite}):
            series = sorted((p.step, p.value) for p in of_suite if p.metric == metric)
            steps = [s for s, _ in series]
            ax.plot(steps, [v for _, v in series], marker="o", label=metric)
        ax.set_title(suite, fontsize=10)
        ax.set_xlabel("step (0 = base model)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for index in range(len(suites), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    if title:
        figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
