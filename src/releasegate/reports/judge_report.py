"""The judge model in the reports: each judged case's score and reason, and each suite's judge
(its model, the self-judge warning, its calibration status, what it cost) for ``summary.md``,
``report.html`` (:mod:`.page`), ``junit.xml`` and the terminal.

Every report says the same words, worked out here once from the records
(:class:`~releasegate.core.records.JudgeRecord`,
:class:`~releasegate.core.records.JudgeSummary`): a judge that is the model under test is said
in every report (``allow_self_judge``), and an advisory judge says why its verdicts did not
count wherever they are shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..core.display import for_markdown, for_markdown_code
from ..core.records import CaseRecord, JudgeRecord, JudgeSummary

__all__ = [
    "JUDGED_LISTED",
    "judge_counts",
    "judge_lines",
    "judge_markdown",
    "judge_model",
    "judge_text",
]

JUDGED_LISTED = 200
"""Judged cases listed in summary.md (those the judge put below the pass mark or left unscored
first); the rest are counted, and every one is in results.json and report.html."""


def judge_text(record: JudgeRecord) -> str:
    """A case's judge verdict in one line: ``4.5 (correctness 5, tone 4), meets the pass mark:
    <reason>``, ``unscored: <why>``; an advisory verdict says so after it."""
    if record.unscored or record.scores is None or record.overall is None:
        text = f"unscored: {record.reason}"
    else:
        parts = ", ".join(f"{name} {score:g}" for name, score in record.scores.items())
        verdict = "meets the pass mark" if record.passed else "below the pass mark"
        text = f"{record.overall:.3g} ({parts}), {verdict}: {record.reason}"
    if record.advisory:
        text += f" [{record.advisory}]"
    return text


def judge_model(summary: JudgeSummary) -> str:
    """``judge-7b (openai)``: the judge's model and backend as its identity names them."""
    identity = summary.identity
    model, backend = identity.get("model", "?"), identity.get("backend", "?")
    return f"{model} ({backend})"


def judge_counts(judge: Mapping[str, JudgeSummary]) -> tuple[int, int]:
    """(judge calls made, verdicts read from the cache) over every suite of a run."""
    return (
        sum(s.calls for s in judge.values()),
        sum(s.cache_hits for s in judge.values()),
    )


def judge_lines(judge: Mapping[str, JudgeSummary]) -> list[tuple[str, bool]]:
    """The terminal's lines, each with whether it is a warning: ``judge: N calls, M cached``
    for the run, then per suite its judge, its status and its notes (the self-judge warning)."""
    if not judge:
        return []
    calls, cached = judge_counts(judge)
    lines = [(f"judge: {calls} calls, {cached} cached", False)]
    for suite, summary in sorted(judge.items()):
        lines.append((f"{suite}: judge {judge_model(summary)}, {summary.status}", False))
        lines += [(f"    {note}", True) for note in summary.notes]
    return lines


def _worst_first(case: CaseRecord) -> tuple[int, str]:
    judged = case.judge
    assert judged is not None
    rank = 0 if judged.unscored else 1 if judged.passed is False else 2
    return rank, case.key


def judge_markdown(judge: Mapping[str, JudgeSummary], cases: Iterable[CaseRecord]) -> list[str]:
    """summary.md's judge section: per suite its judge, status, counts and notes, then each
    judged case's score and reason (nothing when no suite has a judge)."""
    if not judge:
        return []
    calls, cached = judge_counts(judge)
    lines = [
        "## Judge model",
        "",
        f"judge: {calls} calls, {cached} cached",
        "",
        "| suite | judge | fingerprint | status | calls | cached |",
        "|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for suite, s in sorted(judge.items()):
        fingerprint = str(s.identity.get("fingerprint", "-"))[:16]
        lines.append(
            f"| {for_markdown(suite)} | {for_markdown(judge_model(s))} "
            f"| {for_markdown_code(fingerprint)} | {for_markdown(s.status, 200)} "
            f"| {s.calls} | {s.cache_hits} |"
        )
        notes += [f"**{for_markdown(suite)}: {for_markdown(note, 300)}**" for note in s.notes]
    lines.append("")
    if notes:
        lines += [*notes, ""]
    judged = sorted((c for c in cases if c.judge is not None), key=_worst_first)
    if judged:
        lines += ["| case | judge | reason |", "|---|---|---|"]
        for case in judged[:JUDGED_LISTED]:
            assert case.judge is not None
            record = case.judge
            score = "unscored" if record.overall is None else f"{record.overall:.3g}"
            if record.passed is False:
                score += " (below the pass mark)"
            lines.append(
                f"| {for_markdown_code(case.key)} | {score} "
                f"| {for_markdown(judge_text(record), 300)} |"
            )
        if len(judged) > JUDGED_LISTED:
            lines += ["", f"... and {len(judged) - JUDGED_LISTED} more in results.json"]
        lines.append("")
    return lines
