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
