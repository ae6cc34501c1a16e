"""What the check for a repeated header row costs per data row: reading the rows of a generated
N-row table (``table_rows``, the header and cell conventions every CSV and workbook goes
through) with the check as it is, against the same rows with the check switched off; each
figure is the best of --repeat runs.

    .venv/bin/python benchmarks/header_repeat_check.py [--rows 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from releasegate.golden.io import table

ZH = "营业时间是几点？每天上午九点到晚上六点，节假日照常营业。"  # noqa: RUF001


def records(rows: int) -> list[tuple[int, list[str | None]]]:
    header: list[str | None] = ["id", "input", "expected", "tags", "notes"]
    body: list[tuple[int, list[str | None]]] = [
        (n + 2, [f"q{n}", f"{n} {ZH} what is the input expected?", ZH, "faq, hours", None])
        for n in range(rows)
    ]
    return [(1, header), *body]


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = records(args.rows)
    path = Path("cases.csv")

    def read() -> object:
        return table.table_rows(data, path=path, column=str)

    with_check = best(args.repeat, read)
    original = table._repeats_header
    table._repeats_header = lambda *_args, **_kwargs: False
    try:
        without = best(args.repeat, read)
    finally:
        table._repeats_header = original
    print(
        f"{args.rows} rows: table_rows {with_check * 1000:.1f} ms with the check, "
        f"{without * 1000:.1f} ms without: the check costs {(with_check - without) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
