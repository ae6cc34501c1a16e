"""Files replaced whole: the old content or the new, never a part of either."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from releasegate.core.atomic import write_text_atomic


def test_creates_folder_and_file_with_ordinary_permissions(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b.json"
    write_text_atomic(path, "{}\n")
    assert path.read_text(encoding="utf-8") == "{}\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    assert [p.name for p in path.parent.iterdir()] == ["b.json"]


def test_replacement_keeps_the_old_files_permissions(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o640)
    write_text_atomic(path, "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_an_unencodable_text_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('{"old": true}\n', encoding="utf-8")
    # A lone surrogate cannot be encoded: the write fails.
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(path, '{"new": "' + "x" * 100_000 + "\udcff" + '"}\n')
    assert path.read_text(encoding="utf-8") == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["b.json"]


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk cannot be made on demand: the flush to disk is made to fail instead (a fake),
    after the temporary file holds the new content."""
    path = tmp_path / "b.json"
    path.write_text('{"old": true}\n', encoding="utf-8")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("releasegate.core.atomic.os.fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_text_atomic(path, '{"new": true}\n')
    assert path.read_text(encoding="utf-8") == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["b.json"]
