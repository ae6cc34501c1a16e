"""JSON memos in the cache folder: read one, add entries to one, or compute one once.

Several things are remembered between runs as JSON files in the cache folder: file digests
(the fingerprint memo), rendered prompts and model descriptions (the lazy backend's memos),
references' log-likelihoods, an isolation check's report. pytest-xdist starts its workers
together, so on a fresh machine they all reach the same memo at once. Every memo therefore goes
through this one module: the cross-process lock of :mod:`releasegate.core.locks` around each
change, the atomic replacement of :mod:`releasegate.core.atomic` for each write, so that a reader
sees one writer's whole file and no writer drops another's entries.

A memo only saves time: an absent or unreadable file reads as nothing (the work is done again),
and a memo that cannot be written (a read-only cache folder, a lock held past the wait) is
skipped by :func:`merge_json_object` rather than failing the run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from ..exceptions import LockTimeoutError
from .atomic import write_text_atomic
from .locks import exclusive_lock

__all__ = [
    "MemoFile",
    "compute_json_once",
    "merge_json_object",
    "read_json",
    "read_json_object",
    "write_json",
]

T = TypeVar("T")


def read_json(path: Path) -> Any | None:
    """The JSON document in *path*; None when it is absent or not JSON (a memo to redo)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, document: Any, *, what: str, timeout: float | None = None) -> None:
    """Write the memo *path* whole (a reader sees the old file or this one), under its lock."""
    with exclusive_lock(path, what=what, timeout=timeout):
        write_text_atomic(path, json.dumps(document, ensure_ascii=False))


def read_json_object(path: Path) -> dict[str, Any]:
    """The JSON object in *path*; empty when it is absent, unreadable or not an object."""
    data = read_json(path)
    return data if isinstance(data, dict) else {}


def merge_json_object(
    path: Path,
    added: Mapping[str, Any],
    *,
    what: str,
    timeout: float | None = None,
    keep_last: int | None = None,
    indent: int | None = None,
) -> bool:
    """Add *added* to the JSON object in *path*, keeping what other processes added meanwhile.

    Under the lock of *path*, the file is read again, *added* merged over it (its keys win),
    the oldest entries dropped beyond *keep_last*, and the whole replaced atomically. *what*
    names the memo for the lock's timeout message. Returns False, having written nothing, when
    the folder is read-only or the lock is not had within *timeout* seconds: the memo only
    saves time, so that costs the work again next time, not a failure.
    """
    if not added:
        return True
    try:
        with exclusive_lock(path, what=what, timeout=timeout):
            merged = {**read_json_object(path), **added}
            entries = list(merged.items())
            if keep_last is not None:
                entries = entries[-keep_last:]
            write_text_atomic(path, json.dumps(dict(entries), ensure_ascii=False, indent=indent))
    except (OSError, LockTimeoutError):
        return False
    return True


class MemoFile:
    """A JSON object in one file, read once and merged back on :meth:`save` with
    :func:`merge_json_object`: any number of processes may add entries at once (the lazy
    backend's rendered prompts and descriptions, the likelihood cache)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, Any] = read_json_object(path)
        self._added: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.entries.get(key)

    def put(self, key: str, value: Any) -> None:
        self.entries[key] = value
        self._added[key] = value

    def save(self) -> None:
        """Merge what this process added into the file (others may have added meanwhile). A
        memo that cannot be written (a read-only cache) costs the work again next time."""
        merge_json_object(self.path, self._added, what=f"the memo {self.path}")
        self._added.clear()


def compute_json_once(
    path: Path,
    compute: Callable[[], T],
    *,
    load: Callable[[Any], T | None],
    dump: Callable[[T], Any],
    what: str,
    timeout: float | None = None,
) -> T:
    """The value memoised in *path*, computed by *compute* (and written) if there is none.

    *load* turns the file's JSON into the value, or None when the document is not a usable one
    (another version's, a damaged one): then the value is computed again. *dump* turns the value
    into JSON. When several processes ask at once, one computes under the lock of *path* and
    the others wait and read its file: the work is done once and one file results. Errors of
    *compute* and of writing propagate (the caller computes without a memo when it has none).
    """
    found = _load(path, load)
    if found is not None:
        return found
    with exclusive_lock(path, what=what, timeout=timeout):
        found = _load(path, load)  # another process may have computed it while this one waited
        if found is not None:
            return found
        value = compute()
        write_text_atomic(path, json.dumps(dump(value), ensure_ascii=False))
    return value


def _load(path: Path, load: Callable[[Any], T | None]) -> T | None:
    data = read_json(path)
    return None if data is None else load(data)
