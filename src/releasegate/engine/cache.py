"""The prediction cache: answers on disk, keyed by everything that could change them.

The key is a digest of the model fingerprint (which changes when the weights change), the
backend, the generation settings and the exact rendered prompt. Re-runs and ``--lf`` reuse
answers; a killed run resumes because each chunk is written as soon as it is generated; a
retrained checkpoint at the same path has a new fingerprint and so never meets its old answers.

pytest-xdist workers share the file (SQLite in WAL mode); they open it one at a time, under the
cache folder's file lock, so workers starting together on a fresh machine do not collide. A
worker about to generate a chunk first *claims* it; another worker that needs the same answers
waits for them instead of generating them twice. A claim is the same cross-process file lock,
one per chunk and run (``.predictions.sqlite.claims/<run>/``), taken without waiting: the kernel
frees it when its process dies, however it dies, so a crashed worker's chunk is taken over at
once and no process id or process table is ever consulted.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..core.locks import try_exclusive_lock
from ..core.shared_sqlite import open_shared, rows_for_keys

__all__ = ["OPEN_WAIT", "CachedAnswer", "PredictionCache", "prediction_key"]

OPEN_WAIT = 60.0
"""Seconds to wait for another process that is opening the cache or writing to it."""
CLAIMS_KEPT = 7 * 86_400.0
"""Seconds after its last claim that a run's folder of (empty) claim lock files is removed."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    key TEXT PRIMARY KEY,
    answer TEXT NOT NULL,
    output_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL,
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
        self.path = path
        self.run_id = run_id
        self.reuse = reuse
        self._claims = path.parent / f".{path.name}.claims" / run_id
        self._db = open_shared(
            path, _SCHEMA, what=f"opening the prediction cache {path}", timeout=OPEN_WAIT
        )
        _remove_old_claims(self._claims.parent, keep=run_id)

    def close(self) -> None:
        self._db.close()

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedAnswer]:
        """The usable stored answers among *keys*."""
        found: dict[str, CachedAnswer] = {}
        select = "SELECT key, answer, output_tokens, seconds, run_id FROM predictions"
        for key, answer, tokens, seconds, run_id in rows_for_keys(self._db, select, keys):
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
        """Try to become the one process that generates *claim_key*; True if this one is
        (also when it already was: claims belong to the process, not to this object)."""
        path = self._claim_path(claim_key)
        if path in _HELD:
            return True
        lock = try_exclusive_lock(path)
        if lock is None:
            return False
        _HELD[path] = lock
        return True

    def release(self, claim_key: str) -> None:
        """Give up this process's claim on *claim_key*; another process's claim is left alone."""
        lock = _HELD.pop(self._claim_path(claim_key), None)
        if lock is not None:
            lock.release()

    def claimed_elsewhere(self, claim_key: str) -> bool:
        """Whether another living process of this run holds *claim_key*."""
        path = self._claim_path(claim_key)
        if path in _HELD:
            return False
        lock = try_exclusive_lock(path)
        if lock is None:
            return True
        lock.release()
        return False

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

    def _claim_path(self, claim_key: str) -> Path:
        """What a claim's lock guards: a name per chunk (readable, made safe for a file name,
        with a digest so that two keys never share one) in this run's folder."""
        digest = hashlib.sha256(claim_key.encode("utf-8")).hexdigest()[:12]
        return self._claims / f"{re.sub(r'[^A-Za-z0-9_-]', '_', claim_key)[:60]}-{digest}"

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


_HELD: dict[Path, FileLock] = {}
"""The claims this process holds, by guarded path: a second lock object on the same file would
see the first as "somebody else" (``flock`` belongs to an open file), so the process keeps one."""


def _remove_old_claims(folder: Path, *, keep: str) -> None:
    """Remove other runs' claim folders untouched for :data:`CLAIMS_KEPT` seconds: their lock
    files are empty and free, one per chunk, and would otherwise pile up run after run."""
    if not folder.is_dir():
        return
    cutoff = time.time() - CLAIMS_KEPT
    for run in folder.iterdir():
        try:
            stale = run.name != keep and run.stat().st_mtime < cutoff
        except OSError:
            continue
        if stale:
            shutil.rmtree(run, ignore_errors=True)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: takes the write lock up front, so two workers'
    claim checks cannot interleave."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
