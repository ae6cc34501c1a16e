"""Loading a case workbook whose sheet is formatted down to Excel's last row (target: under 2 s).

A sheet with a header and 4 cases whose rows were formatted down to row 1,048,576 (a fill on
whole rows) stores a million styled, empty rows. The script writes one (the tests' writer,
``tests/golden/io/case_file_helpers.py``), then times ``load_cases`` on it, best and median of
``--repeat`` runs, and prints the workbook's size on disk and its sheet's size unpacked.

    .venv/bin/python benchmarks/big_sheet.py [--rows 1048576] [--repeat 5]

Run it with ``PYTHONPATH`` pointing at another checkout's ``src`` to time that version.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from releasegate.golden.io import load_cases

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "golden" / "io"))
from case_file_helpers import make_formatted_down_workbook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_048_576, help="the last formatted row")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = make_formatted_down_workbook(Path(folder) / "big.xlsx", last_row=args.rows)
        with zipfile.ZipFile(path) as archive:
            unpacked = archive.getinfo("xl/worksheets/sheet1.xml").file_size
        seconds = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            cases = load_cases(path, suite="big")
            seconds.append(time.perf_counter() - start)
        print(f"sheet formatted down to row {args.rows:,}: {len(cases)} cases")
        print(
            f"workbook {path.stat().st_size / 2**20:.1f} MiB, sheet XML {unpacked / 2**20:.0f} MiB"
        )
        print(f"load_cases: best {min(seconds):.2f} s, median {statistics.median(seconds):.2f} s")


if __name__ == "__main__":
    main()
