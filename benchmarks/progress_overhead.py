"""What the progress display (releasegate.core.progress) costs the work it shows.

Two figures, each the best of ``--repeats`` runs, with ``RELEASEGATE_PROGRESS`` set to each mode:

1. one ``Step.advance()`` call, over ``--calls`` calls (a bar is drawn at most every 0.1 s,
   onto a terminal that discards what it is sent, so the figure is releasegate's and rich's
   work, not the terminal's);
2. the isolation check's reading and matching of a generated JSONL training file of ``--rows``
   rows against 100 golden texts (reading advances every 10,000 rows, matching every 50,000
   texts), against the same work with the display off.

    .venv/bin/python benchmarks/progress_overhead.py [--rows 1000000] [--calls 1000000]
        [--repeats 3] [--modes off,lines,bar]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from releasegate.core import progress as progress_module
from releasegate.core.progress import progress, set_terminal
from releasegate.isolation.matching import find_matches
from releasegate.isolation.readers import read_training_file


class _Discard:
    """A terminal that takes a bar's output and drops it (a live bar needs a TTY)."""

    def line(self, text: str) -> None:
        pass

    def write(self, text: str) -> None:
        pass

    def isatty(self) -> bool:
        return True


def _best(repeats: int, work: Callable[[], None]) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _advances(calls: int) -> None:
    with progress("advancing", total=calls) as step:
        for _ in range(calls):
            step.advance()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--modes", default="off,lines,bar", help="in this order (a shared machine's load drifts)"
    )
    args = parser.parse_args()
    set_terminal(_Discard())
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "train.jsonl"
        with data.open("w", encoding="utf-8") as handle:
            for i in range(args.rows):
                row = {
                    "prompt": f"customer {i} asks about order {i * 7} and its parcel",
                    "completion": f"order {i * 7} left the warehouse on day {i % 28}",
                }
                handle.write(json.dumps(row) + "\n")
        golden = [f"what is the refund policy for item {i} bought online" for i in range(100)]

        def isolation() -> None:
            texts = read_training_file(data).texts
            find_matches(golden, texts, threshold=0.8)

        print(f"{'mode':6} {'advance() per call':>20} {f'isolation, {args.rows:,} rows':>26}")
        for mode in args.modes.split(","):
            os.environ[progress_module.MODE_ENV] = mode
            per_call = _best(args.repeats, lambda: _advances(args.calls)) / args.calls
            whole = _best(args.repeats, isolation)
            print(f"{mode:6} {per_call * 1e9:17.0f} ns {whole:24.2f} s")


if __name__ == "__main__":
    main()
