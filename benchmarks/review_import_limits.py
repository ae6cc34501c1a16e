"""How fast, and in how much memory, ``releasegate review import`` refuses oversized workbooks.

A project of one suite of 3 answers is exported; a scripted reviewer scores one row; then the
workbook is grown (tests/review/oversized.py streams the XML into the zip):

1. a million rows: 1,000,000 numbered rows appended to the suite sheet, its dimension saying so;
2. a zip bomb: 5,000,000 identical cells (500,000 rows of 10) appended to the suite sheet, a
   sheet XML that compresses about 200 to 1;
3. for scale, the same workbook unchanged (it imports).

Each import runs in its own process (``python -c 'releasegate.cli.main'``); reported: exit
status, wall seconds, the process's peak resident memory (``wait4``'s ``ru_maxrss``) and the
length of what it printed to stderr (one message, not a line per row).

    .venv/bin/python benchmarks/review_import_limits.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from releasegate.cli import main

# The review tests' writers: the project, a run's results.json, a scripted reviewer, the growth.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "review"))
from oversized import bomb_rows, grow_sheet, numbered_rows
from review_project import FIRST_ANSWERS, static_project, write_run
from reviewers import fill

CLI = "import sys; from releasegate.cli import main; sys.exit(main(sys.argv[1:]))"


def timed_import(root: Path, workbook: Path) -> tuple[int, float, float, int]:
    """Exit status, seconds, peak RSS in MiB and stderr length of one import process."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CLI, "--root", str(root), "review", "import", str(workbook)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, seconds, usage.ru_maxrss / 1024, len(err)


def main_() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = static_project(Path(tmp) / "shop")
        write_run(root, "run-1", FIRST_ANSWERS)
        sheet = root / "review.xlsx"
        assert main(["--root", str(root), "review", "export", "--out", str(sheet)]) == 0
        fill(sheet, {"hello": [5, 5]}, reviewer="Ann")
        million = grow_sheet(
            sheet,
            root / "million.xlsx",
            "tiny",
            numbered_rows(5, 1_000_000),
            dimension="A1:K1000004",
        )
        bomb = grow_sheet(sheet, root / "bomb.xlsx", "tiny", bomb_rows(5_000_000))
        columns = ("file KiB", "exit", "seconds", "peak MiB", "stderr B")
        print(f"{'workbook':<10} " + " ".join(f"{c:>9}" for c in columns))
        for name, path in (("million", million), ("bomb", bomb), ("unchanged", sheet)):
            status, seconds, peak, err = timed_import(root, path)
            size = path.stat().st_size / 1024
            print(f"{name:<10} {size:>9.0f} {status:>5} {seconds:>8.2f} {peak:>9.0f} {err:>9}")


if __name__ == "__main__":
    main_()
