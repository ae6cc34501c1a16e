"""One cross-process lock for everything releasegate creates on first use in its cache folder.

pytest-xdist starts its workers at the same moment, so on a fresh machine every worker reaches
the same first-use step at once: opening the new prediction cache (SQLite refuses a second
process's switch to WAL with "database is locked" at once, without waiting), converting the
default model, converting MMLU, writing the fingerprint memo. Each such step runs under
:func:`exclusive_lock`: the first process does the work, the others wait and then find it done.

The lock is ``filelock``'s (``flock`` on POSIX): the kernel drops it when its process dies, so a
crashed worker never leaves a lock behind, and the lock file itself may stay (it is empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..exceptions import LockTimeoutError

__all__ = ["exclusive_lock", "lock_path"]


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
    path = lock_path(guarded)
    path.parent.mkdir(parents=True, exist_ok=True)
    # filelock polls for a held lock; its default of 50 ms per try made eight workers opening
    # one cache at once wait up to 0.4 s each for opens that take a millisecond.
    lock = FileLock(
        path, timeout=-1 if timeout is None else timeout, thread_local=False, poll_interval=0.005
    )
    try:
        lock.acquire()
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
