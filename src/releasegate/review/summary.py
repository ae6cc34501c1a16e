"""The human scores of a run beside its automatic metrics, for summary.md and the terminal.

"Human score up, private-task score up" (training healthy) and "private task falling" (a problem)
should be read in one place: each suite's line carries both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..core.records import CaseRecord, GateRecord, MetricRecord, ReviewSummary

__all__ = ["answer_counts", "review_lines", "review_markdown"]


def _num(value: float | None, fmt: str = ".3g") -> str:
    return "-" if value is None else format(value, fmt)


def _automatic(metrics: Iterable[GateRecord], suite: str) -> str:
    parts = [
        f"{m.metric} {m.value:.3g}"
        for m in sorted(metrics, key=lambda m: m.metric)
        if isinstance(m, MetricRecord)
        and m.suite == suite
        and m.test == "value"
        and not m.metric.startswith("human_")
    ]
    return ", ".join(parts) or "-"


def answer_counts(cases: Iterable[CaseRecord]) -> tuple[int, int]:
    """(generated, taken from the cache) over a run's judged cases."""
    generated = cached = 0
    for case in cases:
        if case.cached:
            cached += 1
        else:
            generated += 1
    return generated, cached


def _rate(summary: ReviewSummary) -> str:
    return "-" if summary.pass_rate is None else f"{summary.pass_rate:.0%}"


def review_lines(review: Mapping[str, ReviewSummary], metrics: Iterable[GateRecord]) -> list[str]:
    """Terminal lines: per suite, its human scores, then its automatic metrics."""
    metrics = list(metrics)
    lines = []
    for suite, r in sorted(review.items()):
        reviewed = (
            f"{r.reviewed} reviewed by {', '.join(r.reviewers)}"
            if r.reviewed
            else "no answer reviewed yet"
        )
        line = (
            f"{suite}: human score {_num(r.overall)}, pass rate {_rate(r)} ({reviewed}); "
            f"automatic: {_automatic(metrics, suite)}"
        )
        lines.append(line)
        if r.pending:
            lines.append(f"    {r.pending} answer(s) await review: {r.export_command}")
    return lines


def review_markdown(
    review: Mapping[str, ReviewSummary], metrics: Iterable[GateRecord]
) -> list[str]:
    """summary.md's human review section (nothing when no suite has a rubric)."""
    if not review:
        return []
    from ..core.display import for_markdown, for_markdown_code

    metrics = list(metrics)
    lines = [
        "## Human review beside the automatic metrics",
        "",
        "| suite | human score | pass rate | reviewed | pending | reviewers | automatic metrics |",
        "|---|---|---|---|---|---|---|",
    ]
    for suite, r in sorted(review.items()):
        lines.append(
            f"| {for_markdown(suite)} | {_num(r.overall)} | {_rate(r)} | {r.reviewed} "
            f"| {r.pending} | {for_markdown(', '.join(r.reviewers) or '-')} "
            f"| {for_markdown(_automatic(metrics, suite))} |"
        )
    lines.append("")
    for suite, r in sorted(review.items()):
        if r.pending:
            lines.append(
                f"- {for_markdown(suite)}: {r.pending} answer(s) await review: "
                f"{for_markdown_code(r.export_command)}"
            )
    lines.append("")
    return lines
