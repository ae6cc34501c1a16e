"""The trend plot: one panel per suite, each metric against the training step (the base model
at step 0), drawn with matplotlib's Agg backend (no display needed) into a PNG.

Each panel reads on its own: its steps are labelled under it, and metrics of different scales
do not share an axis. Metrics within 0..1 (accuracy, F1, ROUGE, a benchmark's acc) are drawn on
a fixed 0..1 axis, so one question more or less on a benchmark looks its size; metrics beyond
it (BLEU and chrF on 0..100, perplexity) get a dashed line on a right-hand axis of their own.
A metric where lower is better is marked ``(lower is better)`` in the legend; a benchmark's
chance level (1/choices) is a dotted line."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from .store import SeriesPoint

__all__ = ["plot_trends"]

MAX_TICKS = 12
"""Up to this many checkpoints every step is a tick; with more, matplotlib picks them."""


def plot_trends(points: Sequence[SeriesPoint], path: Path, *, title: str = "") -> Path:
    """Write the plot of *points* (those with a step) to *path*; return it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    stepped = [p for p in points if p.step is not None]
    suites = sorted({p.suite for p in stepped})
    if not suites:
        raise ValueError("no run with a step to plot")
    steps = sorted({int(p.step or 0) for p in stepped})
    columns = min(3, len(suites))
    rows = math.ceil(len(suites) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.8 * columns, 4.0 * rows), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, suite in enumerate(suites):
        ax = axes[index // columns][index % columns]
        of_suite = [p for p in stepped if p.suite == suite]
        series = {
            metric: sorted((int(p.step or 0), p) for p in of_suite if p.metric == metric)
            for metric in sorted({p.metric for p in of_suite})
        }
        unit = [m for m, s in series.items() if all(0 <= p.value <= 1 for _, p in s)]
        wide = [m for m in series if m not in unit]
        other = ax.twinx() if unit and wide else ax
        handles = []
        for number, (metric, line) in enumerate(series.items()):
            axis = ax if metric in unit else other
            lower = not line[0][1].higher_is_better
            (handle,) = axis.plot(
                [s for s, _ in line],
                [p.value for _, p in line],
                marker="o" if axis is ax else "s",
                linestyle="-" if axis is ax else "--",
                color=colours[number % len(colours)],
                label=metric + (" (lower is better)" if lower else ""),
            )
            handles.append(handle)
        chances = {p.chance for p in of_suite if p.metric in unit and p.chance is not None}
        if len(chances) == 1:  # one chance level for the panel (a benchmark's 1/choices)
            (handle,) = ax.plot(
                steps, [chances.pop()] * len(steps), color="grey", linestyle=":", label="chance"
            )
            handles.append(handle)
        if unit:
            ax.set_ylim(-0.03, 1.03)
        if wide:
            other.set_ylim(bottom=0)
            if other is not ax:
                other.set_ylabel(", ".join(wide) + " (dashed)", fontsize=8)
        ax.set_title(suite, fontsize=10)
        ax.set_xlabel("step (0 = base model)", fontsize=8)
        if len(steps) <= MAX_TICKS:
            ax.set_xticks(steps)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=8)
        other.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        # Under the panel: a legend inside would hide points of one axis or the other.
        ax.legend(
            handles=handles,
            fontsize=7,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.2),
            ncol=min(3, len(handles)),
            frameon=False,
        )
    for index in range(len(suites), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    if title:
        figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
