"""The run history: one SQLite file (``reports/history.sqlite`` by default) that every run appends
to, so a metric can be followed across runs and across the checkpoints of a training run.

A run is written whole, in one transaction, by the one process that writes reports (the pytest
controller, ``releasegate checkpoints``' runs, or the training-loop callback), under the
project's cross-process lock, so two runs finishing at once are both kept and neither is half
there. The file carries its schema version: a file from a newer releasegate is refused with a
message rather than misread.

A history that cannot be used is told apart by what is wrong, because the advice differs and the
wrong advice costs the history: *locked* by another process (wait, or point ``history_path``
elsewhere for this run), *read-only* (fix the permissions of the file and its folder), *damaged*
or not a history at all (only then: move it aside). A lock is waited for at most
``lock_timeout`` seconds in all, and the wait is announced once when it starts, so a run's end
never stalls for a minute in silence.

Per-item outcomes are kept (each case's pass/fail and answer, each metric's per-case values, each
benchmark question's score), so any two runs can be compared with the same paired tests as the
no-drop gate, on the items both share.

The records it keeps and gives back live in :mod:`.entries`.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

from ..core.locks import exclusive_lock, lock_path, try_exclusive_lock
from ..exceptions import HistoryError, LockTimeoutError
from .entries import CaseOutcome, MetricPoint, RunRecord, SeriesPoint

__all__ = [
    "SCHEMA_VERSION",
    "CaseOutcome",
    "HistoryStore",
    "MetricPoint",
    "RunRecord",
    "SeriesPoint",
]

SCHEMA_VERSION = 1
"""The layout this releasegate writes and reads; a file with a higher one is refused."""

FIRST_TRY_S = 0.2
"""How long a lock is waited for before the wait is announced: a reader's brief shared lock
passes unnoticed, a lock held longer is said."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    time TEXT NOT NULL,
    git_commit TEXT,
    model TEXT NOT NULL,
    model_path TEXT,
    fingerprint TEXT,
    step INTEGER,
    source TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    suite TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    higher_is_better INTEGER NOT NULL,
    max_drop REAL,
    chance REAL,
    stderr REAL,
    item_count INTEGER NOT NULL,
    PRIMARY KEY (run_id, suite, metric)
);
CREATE TABLE IF NOT EXISTS items (
    run_id TEXT NOT NULL,
    suite TEXT NOT NULL,
    metric TEXT NOT NULL,
    item TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run_id, suite, metric, item)
);
CREATE TABLE IF NOT EXISTS cases (
    run_id TEXT NOT NULL,
    suite TEXT NOT NULL,
    case_id TEXT NOT NULL,
    passed INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (run_id, suite, case_id)
);
CREATE INDEX IF NOT EXISTS runs_by_fingerprint ON runs (fingerprint);
"""


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _error_name(exc: BaseException) -> str:
    """SQLite's name of the error (``SQLITE_BUSY_SNAPSHOT``); empty for any other exception."""
    return getattr(exc, "sqlite_errorname", "") or ""


def _is_busy(exc: BaseException) -> bool:
    """Whether *exc* is SQLite's "another connection holds the lock" (busy or locked, in all
    their extended codes): a wait, not a broken or read-only history."""
    return _error_name(exc).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


class _LockWait:
    """One operation's wait for the history's locks: one deadline for all of them, announced
    once (when the first lock is found held)."""

    def __init__(self, path: Path, timeout: float, say: Callable[[str], None]) -> None:
        self._path = path
        self.timeout = timeout
        self._deadline = time.monotonic() + timeout
        self._say = say
        self._announced = False

    def announce(self, holder: str) -> None:
        if not self._announced:
            self._announced = True
            self._say(
                f"releasegate: run history {self._path} is locked by {holder}; waiting up to "
                f"{self.timeout:g} s for it"
            )

    def remaining(self) -> float:
        return max(self._deadline - time.monotonic(), 0.0)


class HistoryStore:
    """The history file at *path*; opened per operation, so no connection outlives its use.

    *lock_timeout* bounds the wait for a lock another process holds (all locks of one operation
    together); *say* receives the one line announcing such a wait (standard error by default).
    """

    def __init__(
        self,
        path: Path,
        *,
        lock_timeout: float = 60.0,
        say: Callable[[str], None] = _to_stderr,
    ) -> None:
        self.path = path
        self._lock_timeout = lock_timeout
        self._say = say

    def _wait(self) -> _LockWait:
        return _LockWait(self.path, self._lock_timeout, self._say)

    @contextmanager
    def _connect(
        self, *, write: bool, wait: _LockWait | None = None
    ) -> Iterator[sqlite3.Connection]:
        if not write and not self.path.is_file():
            raise HistoryError(
                f"no run history at {self.path} yet: a run records into it when it ends "
                "(history_path in [tool.releasegate], or --history-path)"
            )
        wait = wait or self._wait()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=FIRST_TRY_S)
        except (OSError, sqlite3.Error) as exc:
            raise self._error(exc, write=write, wait=wait) from exc
        with closing(connection):
            try:
                self._check_schema(connection, write=write, wait=wait)
                yield connection
            except sqlite3.DatabaseError as exc:
                raise self._error(exc, write=write, wait=wait) from exc

    def _error(self, exc: BaseException, *, write: bool, wait: _LockWait) -> HistoryError:
        """*exc* in words that say what is really wrong with the history, and what to do."""
        name = _error_name(exc)
        if _is_busy(exc):
            return HistoryError(
                f"run history {self.path} is locked by another process (another releasegate "
                "run recording, or a program holding it open in a transaction, such as the "
                f"sqlite3 shell) and stayed locked for {wait.timeout:g} s. It is not damaged: do "
                "not move it aside. Let that process finish and run again, or point history_path "
                "([tool.releasegate]) or --history-path at another file for this run"
            )
        unwritable = name.startswith("SQLITE_READONLY") or (
            write and (name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM")) or not name)
        )
        if unwritable:
            return HistoryError(
                f"run history {self.path} cannot be written ({exc}): the file or its folder "
                f"{self.path.parent} is read-only for this user (SQLite also writes a journal "
                "beside the file). It is not damaged: give write permission on both, or point "
                "history_path ([tool.releasegate]) or --history-path at a writable place"
            )
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            return HistoryError(
                f"run history {self.path} cannot be read ({exc}); it is not a releasegate "
                "history or it is damaged: move it aside (a new one is started) or point "
                "history_path elsewhere"
            )
        return HistoryError(f"run history {self.path} cannot be used: {exc}")

    def _execute(
        self, db: sqlite3.Connection, sql: str, wait: _LockWait
    ) -> list[tuple[object, ...]]:
        """Run *sql*, which takes a lock: at once when it is free; else the wait is announced
        and bounded by what is left of the operation's deadline."""
        try:
            return db.execute(sql).fetchall()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
        wait.announce("another process")
        db.execute(f"PRAGMA busy_timeout = {int(wait.remaining() * 1000)}")
        return db.execute(sql).fetchall()

    def _check_schema(
        self, connection: sqlite3.Connection, *, write: bool, wait: _LockWait
    ) -> None:
        tables = {
            str(row[0]) for row in self._execute(connection, "SELECT name FROM sqlite_master", wait)
        }
        if "meta" not in tables:
            if tables:
                raise HistoryError(
                    f"{self.path} is an SQLite file but not a releasegate run history (tables: "
                    + ", ".join(sorted(tables))
                    + "); point history_path at another file"
                )
            if write:
                with connection:
                    connection.executescript(_SCHEMA)
                    connection.execute(
                        "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                    )
            return
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row and str(row[0]).isdigit() else None
        if version is None:
            raise HistoryError(f"run history {self.path} has no schema version; move it aside")
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"run history {self.path} was written by a newer releasegate (schema "
                f"{version}; this one reads up to {SCHEMA_VERSION}): upgrade releasegate, or "
                "point history_path at another file; nothing was written to it"
            )

    # -- writing -----------------------------------------------------------------------------

    def record(self, run: RunRecord) -> None:
        """Append *run*, whole or not at all."""
        wait = self._wait()
        try:
            with (
                self._writers_lock(wait),
                self._connect(write=True, wait=wait) as db,
                db,
            ):
                self._execute(db, "BEGIN IMMEDIATE", wait)
                self._insert(db, run)
        except LockTimeoutError:
            raise HistoryError(
                f"run {run.run_id} not recorded: run history {self.path} is locked by another "
                f"releasegate run recording into it (its lock {lock_path(self.path)}), held for "
                f"{wait.timeout:g} s. It is not damaged: do not move it aside. Let that run "
                "finish and run again, or point history_path ([tool.releasegate]) or "
                "--history-path at another file for this run"
            ) from None
        except OSError as exc:
            raise HistoryError(
                f"run {run.run_id} not recorded: run history {self.path} cannot be written "
                f"({exc}): its folder {self.path.parent} is read-only for this user. It is not "
                "damaged: give write permission, or point history_path ([tool.releasegate]) or "
                "--history-path at a writable place"
            ) from exc

    @contextmanager
    def _writers_lock(self, wait: _LockWait) -> Iterator[None]:
        """The project's cross-process lock of the history, which releasegate's own writers
        take; a wait for it is announced and bounded like SQLite's."""
        held = try_exclusive_lock(self.path)
        if held is not None:
            try:
                yield
            finally:
                held.release()
            return
        wait.announce("another releasegate run recording into it")
        with exclusive_lock(self.path, what="the run history", timeout=wait.remaining()):
            yield

    @staticmethod
    def _insert(db: sqlite3.Connection, run: RunRecord) -> None:
        try:
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.time,
                    run.git_commit,
                    run.model,
                    run.model_path,
                    run.fingerprint,
                    run.step,
                    run.source,
                ),
            )
        except sqlite3.IntegrityError:
            raise HistoryError(
                f"run '{run.run_id}' is already in the history; give the run another --run-id"
            ) from None
        db.executemany(
            "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run.run_id,
                    m.suite,
                    m.metric,
                    m.value,
                    int(m.higher_is_better),
                    m.max_drop,
                    m.chance,
                    m.stderr,
                    len(m.items),
                )
                for m in run.metrics
            ],
        )
        db.executemany(
            "INSERT INTO items VALUES (?, ?, ?, ?, ?)",
            [
                (run.run_id, m.suite, m.metric, item, value)
                for m in run.metrics
                for item, value in m.items.items()
            ],
        )
        db.executemany(
            "INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?)",
            [
                (run.run_id, c.suite, c.case_id, int(c.passed), c.outcome, c.answer)
                for c in run.cases
            ],
        )

    # -- reading -----------------------------------------------------------------------------

    def series(
        self,
        *,
        suites: Sequence[str] = (),
        metrics: Sequence[str] = (),
        run_ids: Sequence[str] = (),
    ) -> list[SeriesPoint]:
        """Metric values by run, oldest run first (by time, then step), filtered when asked."""
        query = (
            "SELECT r.run_id, r.step, r.time, r.model, r.fingerprint, m.suite, m.metric, "
            "m.value, m.higher_is_better, m.max_drop, m.chance, m.stderr, m.item_count "
            "FROM metrics m JOIN runs r ON r.run_id = m.run_id"
        )
        where: list[str] = []
        args: list[str] = []
        for column, values in (("m.suite", suites), ("m.metric", metrics), ("r.run_id", run_ids)):
            if values:
                where.append(f"{column} IN ({', '.join('?' * len(values))})")
                args.extend(values)
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY r.time, r.step, r.run_id, m.suite, m.metric"
        with self._connect(write=False) as db:
            rows = db.execute(query, args).fetchall()
        return [
            SeriesPoint(
                run_id=row[0],
                step=row[1],
                time=row[2],
                model=row[3],
                fingerprint=row[4],
                suite=row[5],
                metric=row[6],
                value=row[7],
                higher_is_better=bool(row[8]),
                max_drop=row[9],
                chance=row[10],
                stderr=row[11],
                item_count=row[12],
            )
            for row in rows
        ]

    def runs_with_fingerprint(self, fingerprint: str) -> list[str]:
        """Run ids that scored these exact weights ([] when the history does not exist yet)."""
        if not self.path.is_file():
            return []
        with self._connect(write=False) as db:
            rows = db.execute(
                "SELECT run_id FROM runs WHERE fingerprint = ? ORDER BY time", (fingerprint,)
            ).fetchall()
        return [str(row[0]) for row in rows]

    def suites_of(self, run_id: str) -> frozenset[str]:
        """The golden suites and benchmarks (``general/<task>``) *run_id* scored: those it
        holds a metric value or a case of. A run of one suite (``--suite intents``) has only
        that one, so it cannot stand for a run of them all."""
        with self._connect(write=False) as db:
            rows = db.execute(
                "SELECT suite FROM metrics WHERE run_id = ? UNION "
                "SELECT suite FROM cases WHERE run_id = ?",
                (run_id, run_id),
            ).fetchall()
        return frozenset(str(row[0]) for row in rows)

    def items(self, run_id: str, suite: str, metric: str) -> dict[str, float]:
        """Item id -> value of one metric of one run."""
        with self._connect(write=False) as db:
            rows = db.execute(
                "SELECT item, value FROM items WHERE run_id = ? AND suite = ? AND metric = ?",
                (run_id, suite, metric),
            ).fetchall()
        return {str(item): float(value) for item, value in rows}

    def cases(self, run_id: str, suite: str | None = None) -> list[CaseOutcome]:
        """The golden cases of one run (of one suite, when given), in suite and id order."""
        query = "SELECT suite, case_id, passed, outcome, answer FROM cases WHERE run_id = ?"
        args: list[str] = [run_id]
        if suite is not None:
            query += " AND suite = ?"
            args.append(suite)
        with self._connect(write=False) as db:
            rows = db.execute(query + " ORDER BY suite, case_id", args).fetchall()
        return [CaseOutcome(r[0], r[1], bool(r[2]), r[3], r[4]) for r in rows]
