"""The review memory: ``fixtures/reviews/<suite>.jsonl``, one review per line, in git.

Reviews are people's work and the most expensive data a project holds, so the files are plain,
diffable text; each is rewritten whole (atomically) under the cross-process lock, so two imports
at once never lose a line. Several reviewers of one answer are all kept; the same reviewer
scoring the same answer again replaces their earlier line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from ..core.atomic import write_text_atomic
from ..core.locks import exclusive_lock
from ..exceptions import ReviewError
from .records import ReviewRecord, answer_hash

__all__ = ["ReviewStore", "StoreChange"]

_REQUIRED = ("suite", "case_id", "answer_hash", "rubric_hash", "scores", "reviewer")


@dataclass(frozen=True)
class StoreChange:
    """What one import did to one suite's file."""

    suite: str
    path: Path
    added: int
    replaced: int
    unchanged: int


class ReviewStore:
    """Reviews of every suite, read on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._loaded: dict[str, tuple[ReviewRecord, ...]] = {}
        self._indexes: dict[str, dict[tuple[str, str, str], list[ReviewRecord]]] = {}

    def path_for(self, suite: str) -> Path:
        return self.directory / f"{suite}.jsonl"

    def load(self, suite: str) -> tuple[ReviewRecord, ...]:
        """The suite's reviews (none when it has no file); a broken line is one error naming
        the file and line."""
        if suite not in self._loaded:
            self._loaded[suite] = tuple(_read(self.path_for(suite)))
        return self._loaded[suite]

    def reviews_of(
        self, suite: str, case_id: str, answer: str, rubric_hash: str
    ) -> list[ReviewRecord]:
        """Every review of this exact *answer* to the case under the rubric."""
        return self._index(suite).get((case_id, answer_hash(answer), rubric_hash), [])

    def _index(self, suite: str) -> dict[tuple[str, str, str], list[ReviewRecord]]:
        if suite not in self._indexes:
            self._indexes[suite] = _index(self.load(suite))
        return self._indexes[suite]

    def add(self, suite: str, records: Sequence[ReviewRecord]) -> StoreChange:
        """Merge *records* into the suite's file, under its lock, rewriting it whole."""
        return self.add_all({suite: records})[0]

    def add_all(
        self, records: Mapping[str, Sequence[ReviewRecord]], *, timeout: float = 60
    ) -> list[StoreChange]:
        """Merge each suite's *records* into its file: all or nothing across suites.

        Every file's lock is taken first (in name order, so two imports cannot deadlock), then
        every file is read and merged, and only then is any written: a lock that times out or a
        broken review file leaves every file as it was. A write that fails half way (a full
        disk) puts back the files already written.
        """
        suites = sorted(records)
        with ExitStack() as locks:
            for suite in suites:
                path = self.path_for(suite)
                locks.enter_context(
                    exclusive_lock(path, what=f"the review file {path}", timeout=timeout)
                )
            planned = [(suite, *self._merge(suite, records[suite])) for suite in suites]
            written: list[tuple[Path, str | None]] = []
            try:
                for _suite, change, text, before in planned:
                    if text is None:
                        continue
                    write_text_atomic(change.path, text)
                    written.append((change.path, before))
            except BaseException:
                for path, old in reversed(written):
                    if old is None:
                        path.unlink(missing_ok=True)
                    else:
                        write_text_atomic(path, old)
                raise
        for suite in suites:
            self._loaded.pop(suite, None)
            self._indexes.pop(suite, None)
        return [change for _suite, change, _text, _before in planned]

    def _merge(
        self, suite: str, records: Sequence[ReviewRecord]
    ) -> tuple[StoreChange, str | None, str | None]:
        """The change, the file's new text (None: unchanged) and its old text (None: none)."""
        path = self.path_for(suite)
        before = path.read_text(encoding="utf-8") if path.is_file() else None
        added = replaced = unchanged = 0
        current = {record.key: record for record in _read(path)}
        for record in records:
            old = current.get(record.key)
            if old is None:
                added += 1
            elif (old.scores, old.comment) == (record.scores, record.comment):
                unchanged += 1
                continue
            else:
                replaced += 1
            current[record.key] = record
        ordered = sorted(current.values(), key=lambda r: (r.case_id, r.reviewed_at, r.reviewer))
        text = "".join(r.to_json() + "\n" for r in ordered)
        change = StoreChange(suite, path, added, replaced, unchanged)
        return change, (None if text == before else text), before


def _index(records: Iterable[ReviewRecord]) -> dict[tuple[str, str, str], list[ReviewRecord]]:
    index: dict[tuple[str, str, str], list[ReviewRecord]] = {}
    for record in records:
        index.setdefault((record.case_id, record.answer_hash, record.rubric_hash), []).append(
            record
        )
    return index


def _read(path: Path) -> list[ReviewRecord]:
    if not path.is_file():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            missing = [key for key in _REQUIRED if key not in data]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
            records.append(ReviewRecord.from_json(data))
        except (ValueError, TypeError, AttributeError) as exc:
            raise ReviewError(
                f"{path}, line {number}: not a review record ({exc}); fix the line (a merge "
                "conflict?) or restore the file from git"
            ) from None
    return records
