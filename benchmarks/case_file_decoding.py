"""What deciding a case file's encoding costs: loading a CSV of N cases in UTF-8 (no detector),
in GBK (charset-normalizer's evidence, then GB18030) and in Windows-1252 (the detector, then the
refusal), and a 200,000-character cell. Files are generated (Chinese questions and answers of
about 30 characters each) into a temporary folder; each figure is the best of --repeat runs.

    .venv/bin/python benchmarks/case_file_decoding.py [--cases 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from releasegate.exceptions import GoldenFileError
from releasegate.golden.io import load_cases

ZH = "营业时间是几点？每天上午九点到晚上六点，节假日照常营业。"  # noqa: RUF001
FR = "Où est le café ? À côté de la gare; déjà ouvert l'été."


def table(text: str, cases: int) -> str:
    buffer = io.StringIO()
    rows = [["id", "input", "expected"]] + [[f"q{n}", f"{n} {text}", text] for n in range(cases)]
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with contextlib.suppress(GoldenFileError):  # a refusal is timed like a load
            run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = {
            "utf-8 (Chinese)": table(ZH, args.cases).encode("utf-8"),
            "gbk (Chinese, detected)": table(ZH, args.cases).encode("gbk"),
            "cp1252 (French, refused)": table(FR, args.cases).encode("cp1252"),
            "utf-8, one 200,000-character cell": table("长" * 200_000, 1).encode("utf-8"),
        }
        for name, data in files.items():
            path = Path(folder) / "cases.csv"
            path.write_bytes(data)
            seconds = best(args.repeat, lambda path=path: load_cases(path, suite="bench"))
            print(f"{name:38} {len(data) / 1e6:6.2f} MB  {seconds:6.3f} s")


if __name__ == "__main__":
    main()
