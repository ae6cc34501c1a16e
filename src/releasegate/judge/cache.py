"""The judge's verdict cache: the judge's raw output per exact prompt, in one SQLite file.

The key is the judge's identity (:attr:`~releasegate.judge.types.JudgeIdentity.key`: model
fingerprint, templates, settings, rubric) and the sha256 of the exact prompt the judge model
saw, chat template applied. The prompt holds the answer and, for a pair, which answer is shown
first, so a re-run judges only the answers that changed and the two orders of a pair are two
entries. The raw output is kept, not the parsed verdict, so a verdict is always read by the
parser of the release reading it.

pytest-xdist workers share the file the way they share the prediction cache
(:mod:`releasegate.engine.cache`): SQLite in WAL mode, opened under the cache folder's file
lock, each write one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..core.shared_sqlite import open_shared, rows_for_keys

__all__ = ["OPEN_WAIT", "VerdictCache", "verdict_key"]

OPEN_WAIT = 60.0
"""Seconds to wait for another process that is opening the cache or writing to it."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS verdicts (
    key TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    output TEXT NOT NULL,
    created REAL NOT NULL
);
"""


def verdict_key(identity_key: str, prompt: str) -> str:
    """The cache key of the judge *identity_key*'s verdict on the exact *prompt*."""
    digest = hashlib.sha256(prompt.encode("utf-8")).hexdigest()
    return hashlib.sha256(f"{identity_key}\n{digest}".encode()).hexdigest()


class VerdictCache:
    """Judge outputs by key, safe to share between processes of one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_shared(
            path,
            _SCHEMA,
            what=f"opening the judge's verdict cache {path}",
            timeout=OPEN_WAIT,
            check_same_thread=False,
        )

    def close(self) -> None:
        self._db.close()

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """The stored outputs among *keys*."""
        return dict(rows_for_keys(self._db, "SELECT key, output FROM verdicts", keys))

    def put_many(self, identity_key: str, outputs: Mapping[str, str]) -> None:
        """Store *outputs* (key -> the judge's raw output) in one transaction."""
        if not outputs:
            return
        now = time.time()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?)",
                [(key, identity_key, output, now) for key, output in outputs.items()],
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
