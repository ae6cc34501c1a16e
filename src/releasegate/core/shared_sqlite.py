"""SQLite files shared by the processes of a run (the prediction cache, the judge's verdict
cache): opened one way, read by many keys at once."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .locks import exclusive_lock

__all__ = ["open_shared", "rows_for_keys"]

_BATCH = 500
"""Keys per statement: below SQLite's bound on host parameters (999 before 3.32)."""


def open_shared(
    path: Path, schema: str, *, what: str, timeout: float, check_same_thread: bool = True
) -> sqlite3.Connection:
    """*path* opened in WAL mode (autocommit; *timeout*: SQLite's busy timeout) with *schema*
    created. SQLite's busy timeout does not cover the switch of a new file to WAL: a second
    process doing it at the same moment gets "database is locked" at once. So opening, the
    switch and the schema run under the cross-process lock (*what* names it in a time-out);
    later reads and writes need none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(path, what=what, timeout=timeout):
        db = sqlite3.connect(
            path, timeout=timeout, isolation_level=None, check_same_thread=check_same_thread
        )
        try:
            (mode,) = db.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(schema)
        except BaseException:
            db.close()
            raise
    return db


def rows_for_keys(db: sqlite3.Connection, select: str, keys: Iterable[str]) -> Iterator[Any]:
    """The rows of ``select + " WHERE key IN (...)"`` for *keys* (each asked once), a few
    hundred keys a statement."""
    wanted = list(dict.fromkeys(keys))
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start : start + _BATCH]
        yield from db.execute(f"{select} WHERE key IN ({','.join('?' * len(batch))})", batch)
