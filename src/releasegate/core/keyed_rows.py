"""Rows of a SQLite table looked up by many keys at once: the prediction cache's and the judge's
verdict cache's one way to read what a chunk of cases already has."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["rows_for_keys"]

_BATCH = 500
"""Keys per statement: below SQLite's bound on host parameters (999 before 3.32)."""


def rows_for_keys(db: sqlite3.Connection, select: str, keys: Iterable[str]) -> Iterator[Any]:
    """The rows of ``select + " WHERE key IN (...)"`` for *keys* (each asked once), a few
    hundred keys a statement."""
    wanted = list(dict.fromkeys(keys))
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start : start + _BATCH]
        yield from db.execute(f"{select} WHERE key IN ({','.join('?' * len(batch))})", batch)
