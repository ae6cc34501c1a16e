"""One cross-process lock for everything releasegate creates on first use in its cache folder.

pytest-xdist starts its workers at the same moment, so on a fresh machine every worker reaches
the same first-use step at once: opening the new prediction cache (SQLite refuses a second
process's switch to WAL with "database is locked" at once, without waiting), converting the
default model, converting MMLU, writing the fingerprint memo. Each such step runs under
:func:`exclusive_lock`: the first process does the work, the others wait and then find it done.

The lock is ``filelock``'s (``flock`` on POSIX): the kernel drops it when its process dies, so a
crashed worker never leaves a lock behind, and the lock file itself may stay (it is empty).
:func:`try_exclusive_lock` is the same lock taken without waiting, for work that one process
claims while the others do something else (the prediction cache's chunk claims).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..exceptions import LockTimeoutError

__all__ = ["exclusive_lock", "lock_path", "try_exclusive_lock"]


def lock_path(path: Path) -> Path:
    """The lock file that guards *path* (a file or folder): beside it, hidden, ``.lock`` added."""
    return path.parent / f".{path.name}.lock"


@contextmanager
def exclusive_lock(guarded: Path, *, what: str, timeout: float | None = None) -> Iterator[None]:
    """Hold the cross-process lock of *guarded* (see :func:`lock_path`) for the block.

    *what* says what the lock protects, for the message when *timeout* seconds pass (None: wait
    as long as it takes, for work such as a model conversion whose length depends on the
    machine). Threads of one process exclude each other too. Raises :class:`OSError` when the
    lock file cannot be created (a read-only folder); callers decide whether that matters.
    """
    lock = _file_lock(guarded)
    path = Path(lock.lock_file)
    try:
        lock.acquire(timeout=-1 if timeout is None else timeout)
    except Timeout:
        raise LockTimeoutError(
            f"waited {timeout:g} s for {what}: another process holds its lock {path}. "
            "Another releasegate run (or pytest worker) on this machine is using the same cache "
            "folder; let it finish, or stop it, or give this run its own RELEASEGATE_CACHE_DIR"
        ) from None
    try:
        yield
    finally:
        lock.release()


def try_exclusive_lock(guarded: Path) -> FileLock | None:
    """The lock of *guarded*, taken now if nobody holds it; None at once if somebody does.

    The caller releases it (``.release()``) or its process ends. "Somebody" includes another
    lock object of this same process (``flock`` belongs to an open file, not to a process), so a
    caller that may ask twice keeps what it holds. Raises :class:`OSError` when the lock file
    cannot be created, as :func:`exclusive_lock` does.
    """
    lock = _file_lock(guarded)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return None
    return lock


def _file_lock(guarded: Path) -> FileLock:
    path = lock_path(guarded)
    path.parent.mkdir(parents=True, exist_ok=True)
    # filelock polls for a held lock; its default of 50 ms per try made eight workers opening
    # one cache at once wait up to 0.4 s each for opens that take a millisecond.
    return FileLock(path, thread_local=False, poll_interval=0.005)
