"""Importing a review sheet shows its progress: ``releasegate review import`` in a real process,
off a terminal, prints one line for the workbook once its rows are checked (a big sheet takes
a while to open and check), and the import's own report stays on stdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reviewers import fill

from pty_run import plain_env

CLI = "import sys; from releasegate.cli import main; sys.exit(main(sys.argv[1:]))"


def _import(root: Path, sheet: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", CLI, "--root", str(root), "review", "import", str(sheet)]
    return subprocess.run(command, env=plain_env(), capture_output=True, text=True, timeout=120)


def test_import_prints_one_line_with_the_rows_it_checked(exported: Path) -> None:
    sheet = exported / "review.xlsx"
    fill(sheet, {"hello": [5, 5], "refund": [4, 4], "rude": [2, 1]}, reviewer="A")
    done = _import(exported, sheet)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("reading review.xlsx: 3/3 in ")
    assert "reading" not in done.stdout


def test_a_refused_sheet_says_where_reading_stopped_and_then_why(exported: Path) -> None:
    sheet = exported / "review.xlsx"
    fill(sheet, {"hello": [9, 5]}, reviewer="A")  # 9 is off the 1-5 scale
    done = _import(exported, sheet)
    assert done.returncode == 2, done.stdout + done.stderr
    first, *rest = done.stderr.splitlines()
    assert first.startswith("reading review.xlsx: 3/3 in ")  # every row was checked
    assert "releasegate: error:" in "\n".join(rest)
