"""Replacing a file whole: readers see the old content or the new, never half of either.

A baseline, a cached benchmark result or a memo written in place and cut short (Ctrl-C, a full
disk, a killed process) would leave a file that is neither; the next run would then read a
truncated JSON document or, worse, a valid one that mixes two runs. So every such file is written
to a temporary file in the same folder (same file system, so the rename is atomic), flushed to
disk, and renamed over the old one with :func:`os.replace`.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["write_bytes_atomic", "write_text_atomic"]


def write_text_atomic(path: Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write *text* to *path* so that *path* holds either its old content or all of *text*.

    The folder is created if needed. On any failure (an unencodable character, a full disk,
    KeyboardInterrupt) *path* is left as it was and no temporary file remains. The new file
    keeps the permissions of the one it replaces (a new file gets the usual ones, per umask),
    not the owner-only mode of a temporary file.
    """
    write_bytes_atomic(path, text.encode(encoding))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """:func:`write_text_atomic` for bytes (a workbook): *path* holds its old content or all of
    *data*, never part of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); where folders cannot be opened, skip it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
