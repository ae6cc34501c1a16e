"""The prediction cache: answers on disk, keyed by everything that could change them.

The key is a digest of the model fingerprint (which changes when the weights change), the
backend, the generation settings and the exact rendered prompt. Re-runs and ``--lf`` reuse
answers; a killed run resumes because each chunk is written as soon as it is generated; a
retrained checkpoint at the same path has a new fingerprint and so never meets its old answers.

pytest-xdist workers share the file (SQLite in WAL mode); they open it one at a time, under the
cache folder's file lock, so workers starting together on a fresh machine do not collide. A
worker about to generate a chunk first *claims* it; another worker that needs the same answers
waits for them instead of generating them twice, unless the claimant's process has died.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .locks import exclusive_lock

__all__ = ["OPEN_WAIT", "CachedAnswer", "PredictionCache", "prediction_key"]

OPEN_WAIT = 60.0
"""Seconds to wait for another process that is opening the cache or writing to it."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    key TEXT PRIMARY KEY,
    answer TEXT NOT NULL,
    output_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL,
    run_id TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    run_id TEXT NOT NULL,
    created REAL NOT NULL
);
"""


def prediction_key(
    *, fingerprint: str, backend: str, settings: Mapping[str, Any], prompt: str
) -> str:
    """The cache key of one answer."""
    payload = json.dumps(
        {"fingerprint": fingerprint, "backend": backend, "settings": settings, "prompt": prompt},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    """One answer as stored."""

    answer: str
    """The model's answer."""
    output_tokens: int
    """Tokens generated."""
    seconds: float
    """Share of its batch's generation time."""
    run_id: str
    """The run that generated it."""


class PredictionCache:
    """Answers by key in one SQLite file, safe to share between processes of one machine."""

    def __init__(self, path: Path, *, run_id: str, reuse: bool = True) -> None:
        """*reuse* False bypasses earlier runs' answers (they are regenerated and overwritten);
        answers generated in this run (*run_id*) are always shared between workers."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.run_id = run_id
        self.reuse = reuse
        self._host = os.uname().nodename
        # SQLite's busy timeout does not cover the switch of a new file to WAL: a second process
        # doing it at the same moment gets "database is locked" at once. So opening, the switch
        # and the schema run under a cross-process lock; later reads and writes need none.
        with exclusive_lock(path, what=f"opening the prediction cache {path}", timeout=OPEN_WAIT):
            self._db = sqlite3.connect(path, timeout=OPEN_WAIT, isolation_level=None)
            try:
                (mode,) = self._db.execute("PRAGMA journal_mode").fetchone()
                if str(mode).lower() != "wal":
                    self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
            except BaseException:
                self._db.close()
                raise

    def close(self) -> None:
        self._db.close()

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedAnswer]:
        """The usable stored answers among *keys*."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, CachedAnswer] = {}
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                "SELECT key, answer, output_tokens, seconds, run_id FROM predictions"
                f" WHERE key IN ({marks})",
                batch,
            )
            for key, answer, tokens, seconds, run_id in rows:
                if self.reuse or run_id == self.run_id:
                    found[key] = CachedAnswer(answer, tokens, seconds, run_id)
        return found

    def put_many(self, answers: Mapping[str, CachedAnswer]) -> None:
        now = time.time()
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (key, a.answer, a.output_tokens, a.seconds, a.run_id, now)
                    for key, a in answers.items()
                ],
            )

    def claim(self, claim_key: str) -> bool:
        """Try to become the one process that generates *claim_key*; True if this one is."""
        with self._transaction():
            row = self._db.execute(
                "SELECT pid, host, run_id FROM claims WHERE key = ?", (claim_key,)
            ).fetchone()
            if row is not None and self._claim_alive(*row):
                return bool(row[0] == os.getpid() and row[1] == self._host)
            self._db.execute(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                (claim_key, os.getpid(), self._host, self.run_id, time.time()),
            )
            return True

    def release(self, claim_key: str) -> None:
        with self._transaction():
            self._db.execute(
                "DELETE FROM claims WHERE key = ? AND pid = ? AND host = ?",
                (claim_key, os.getpid(), self._host),
            )

    def claimed_elsewhere(self, claim_key: str) -> bool:
        row = self._db.execute(
            "SELECT pid, host, run_id FROM claims WHERE key = ?", (claim_key,)
        ).fetchone()
        if row is None or not self._claim_alive(*row):
            return False
        return not (row[0] == os.getpid() and row[1] == self._host)

    def wait_for(
        self, keys: Sequence[str], claim_key: str, *, poll: float = 0.2, timeout: float = 3600
    ) -> dict[str, CachedAnswer]:
        """Wait while another live process holds *claim_key*; return what it stored of *keys*."""
        deadline = time.monotonic() + timeout
        while self.claimed_elsewhere(claim_key) and time.monotonic() < deadline:
            found = self.get_many(keys)
            if len(found) == len(set(keys)):
                return found
            time.sleep(poll)
        return self.get_many(keys)

    def _claim_alive(self, pid: int, host: str, run_id: str) -> bool:
        if run_id != self.run_id or host != self._host:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not _is_zombie(pid)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


def _is_zombie(pid: int) -> bool:
    """A crashed worker stays a zombie until its parent reaps it; it holds nothing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state: list[str] = stat.rpartition(")")[2].split()[:1]
    return state == ["Z"]


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: takes the write lock up front, so two workers'
    claim checks cannot interleave."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
