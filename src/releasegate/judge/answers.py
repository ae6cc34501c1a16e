"""The text of each reviewed answer, for the judge to score it.

The review memory keeps only an answer's hash (a review belongs to those exact characters), so
the text is looked up in the runs that produced it: ``reports/<run>/results.json``, the
review's own run first, then every other run, newest first. An answer found nowhere (its run
was deleted) is counted and named by the caller, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import ReviewError
from ..review.records import ReviewRecord, answer_hash
from ..review.runs import read_run
from .figures import AnswerKey
from .types import PointwiseItem

__all__ = ["FoundAnswers", "find_answers"]


@dataclass(frozen=True)
class FoundAnswers:
    """Reviewed answers of one suite, with their text where a run still holds it."""

    items: dict[AnswerKey, PointwiseItem]
    missing: tuple[AnswerKey, ...]
    """Reviewed answers no run under the reports folder holds, in case order."""

    def named_missing(self, first: int = 5) -> str:
        """The first few missing answers, for a message (``refund (answer 1a2b...), ...``)."""
        names = [f"{case} (answer {digest})" for case, digest in self.missing[:first]]
        more = len(self.missing) - first
        return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def find_answers(reports_dir: Path, suite: str, records: Sequence[ReviewRecord]) -> FoundAnswers:
    """The question, expected answer and answer of every answer *records* review."""
    wanted = {(r.case_id, r.answer_hash) for r in records}
    items: dict[AnswerKey, PointwiseItem] = {}
    own = list(dict.fromkeys(r.run_id for r in records if r.run_id))
    for run_id in [*own, *_other_runs(reports_dir, own)]:
        if not wanted:
            break
        try:
            run = read_run(reports_dir, run_id)
        except ReviewError:
            continue  # that run's folder is gone or unreadable: look in the others
        for answer in run.of_suite(suite):
            key = (answer.case_id, answer_hash(answer.answer))
            if key in wanted:
                wanted.discard(key)
                items[key] = PointwiseItem(
                    answer.case_id, answer.question, answer.expected, answer.answer
                )
    return FoundAnswers(items, tuple(sorted(wanted)))


def _other_runs(reports_dir: Path, seen: Iterable[str]) -> list[str]:
    """Run folders under *reports_dir* other than *seen*, newest first (``latest`` is a pointer,
    not a run)."""
    skip = {*seen, "latest"}
    found = [
        path.parent
        for path in reports_dir.glob("*/results.json")
        if path.parent.name not in skip and not path.parent.is_symlink()
    ]
    found.sort(key=lambda folder: (folder / "results.json").stat().st_mtime, reverse=True)
    return [folder.name for folder in found]
