"""In-process cost of ten assertions per case, part by part (issue 23): what
``benchmarks/overhead.py --assertions 10 --compare`` measures whole, split into loading the
suite, parsing one distinct spec, joining it to the manifest's, and scoring one answer.

Builds the same two suites as ``overhead.py --compare`` (``overhead_assertions.py``: one check;
the same with ten assertions per case) and times, with ``time.process_time`` (CPU, best of
``--repeat``): loading each suite (``discover_suites``), scoring every case once with
``score_case`` (the engine scores each case twice: its verdict, then the metrics), and, on
``--cases`` distinct case-level specs like the suite's odd cases, ``parse_assertions`` and
``join`` with the manifest's list. Run it with another checkout's ``src`` first on
``PYTHONPATH`` to compare (``PYTHONPATH=/other/src python benchmarks/assertion_paths.py``):
the suites are built by this file's folder, the engine is whatever ``releasegate`` imports.

    python benchmarks/assertion_paths.py [--cases 10000] [--repeat 3] [--gc on|freeze|off]
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from overhead import build_project
from overhead_assertions import ANSWER, ENTITIES, SUITE_ASSERTIONS, case_assertions

import releasegate
from releasegate.gate.judging import score_case
from releasegate.golden.assertion_leaves import AssertionContext
from releasegate.golden.assertion_tree import AssertedCheck, join, parse_assertions
from releasegate.golden.check_protocol import CheckContext
from releasegate.golden.suites import discover_suites


def best(repeat: int, work: Callable[[], object]) -> float:
    """The least CPU time of *repeat* runs of *work*, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return min(times)


def suite_costs(
    folder: Path, n: int, count: int, repeat: int, collector: str = "on"
) -> tuple[float, float]:
    """CPU seconds to load a suite of *n* cases with *count* assertions each, and to score
    every case of it once (the results kept, as a run keeps them), with the garbage collector
    *collector* while scoring: ``on``, ``freeze`` (the loaded suite frozen) or ``off``."""
    build_project(folder, n, count, ANSWER)
    golden = folder / "fixtures" / "golden"
    load = best(repeat, lambda: discover_suites(golden, schemas_dir=folder))
    suite = discover_suites(golden, schemas_dir=folder)[0]
    if collector == "freeze":
        gc.freeze()
    elif collector == "off":
        gc.disable()
    try:
        score = best(repeat, lambda: [score_case(suite, case, ANSWER) for case in suite.cases])
    finally:
        gc.enable()
        gc.unfreeze()
    return load, score


CSV_COLUMNS = ("must_contain", "must_not_contain", "must_match", "must_not_match", "max_chars")


def build_csv(folder: Path, n: int, columns: bool) -> Path:
    """A CSV suite of *n* cases answered :data:`overhead_assertions.ANSWER`; with *columns*,
    each row fills the spreadsheet assertion columns (two values in a cell, half the rows
    with values of their own, ``critical`` on the must-not column); returns the golden folder."""
    golden = folder / "fixtures" / "golden"
    golden.mkdir(parents=True)
    header = ["id", "input", "expected", *((*CSV_COLUMNS, "critical") if columns else ())]
    with (golden / "big.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for i in range(n):
            row = [f"c{i:05d}", f"Question {i}?", ANSWER]
            if columns:
                own = i % 2 == 1
                row += [
                    f"30 days|{f'ticket {i}' if own else 'email'}",
                    f"cash on delivery|{f'voucher {i}' if own else 'voucher'}",
                    rf"within (\d+|{i}) days" if own else r"within \d+ days",
                    r"\+?\d[\d -]{7,}\d",
                    "400",
                    "must_not_contain",
                ]
            writer.writerow(row)
    (golden / "big.yaml").write_text(
        "cases: big.csv\ncheck: normalized\nmetrics:\n  - {name: accuracy, min: 0.5}\n",
        encoding="utf-8",
    )
    (folder / "pyproject.toml").write_text("", encoding="utf-8")
    return golden


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--gc",
        choices=("on", "freeze", "off"),
        default="on",
        help="the garbage collector while scoring (freeze: the loaded suite frozen; default on)",
    )
    args = parser.parse_args()
    n, repeat = args.cases, args.repeat
    figures: dict[str, object] = {
        "engine": releasegate.__file__,
        "cases": n,
        "repeat": repeat,
        "gc_while_scoring": args.gc,
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, count in (("one_check", 0), ("assertions", 10)):
            load, score = suite_costs(Path(tmp) / name, n, count, repeat, args.gc)
            figures[f"{name}_load_us_per_case"] = round(load / n * 1e6, 1)
            figures[f"{name}_score_us_per_case"] = round(score / n * 1e6, 1)
        for name, columns in (("csv_one_check", False), ("csv_columns", True)):
            folder = Path(tmp) / name
            golden = build_csv(folder, n, columns)
            load = best(repeat, lambda: discover_suites(golden, schemas_dir=folder))  # noqa: B023
            figures[f"{name}_load_us_per_case"] = round(load / n * 1e6, 1)
    check_context = CheckContext("en", Path.cwd(), Path.cwd())
    entities = {k: {e: tuple(a) for e, a in v.items()} for k, v in ENTITIES.items()}
    context = AssertionContext(check_context, entities)
    manifest = parse_assertions(SUITE_ASSERTIONS, context)
    # odd numbers far above the suite's: values no earlier parse has seen (and memoised)
    specs = [case_assertions(i) for i in range(10**6 + 1, 10**6 + 1 + 2 * n, 2)]
    started = time.process_time()
    roots = [parse_assertions(spec, context) for spec in specs]
    parsed = time.process_time() - started
    started = time.process_time()
    for root in roots:
        AssertedCheck(None, join(manifest, root))
    joined = time.process_time() - started
    figures["parse_us_per_distinct_spec"] = round(parsed / n * 1e6, 1)
    figures["join_us_per_distinct_spec"] = round(joined / n * 1e6, 1)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
