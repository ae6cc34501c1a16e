"""Collection time of a 10,000-case suite, and releasegate's cost per case beside pytest's own.

Builds two throw-away projects and times each, in fresh processes, in the same sitting:

- the floor: N trivial parametrised tests (``assert i >= 0``), run with the releasegate plugin
  and every other installed pytest plugin off: what pytest itself costs per test;
- releasegate: one suite of N cases (JSONL) on the instant backend
  (``benchmarks/instant_backend.py``: no model), with a fresh prediction cache and reports
  folder each time, so every case is "generated", cached, judged and reported. The other
  plugins are off here too, so the difference is releasegate's alone.

For each, ``pytest --collect-only`` (pytest's own "collected in" figure and the wall time) and
a full run. Per case = (full run wall time - collect-only wall time) / N. The two projects are
measured in turn, ``--repeat`` times, so a load that comes and goes on a shared machine falls on
both; the figures printed are the median of the repeats (the best and every repeat beside it),
and the ratios releasegate / floor are of the medians. An absolute time changes with the
machine's load; the ratio much less; the CPU time (user + system, printed beside the wall
time with its own ratios) least of all. Targets: per case at most 1.5x the floor, collection at
most 2 s for 10,000 cases.

With ``--assertions N`` every case of the releasegate suite also carries N of ten realistic
assertions (``benchmarks/overhead_assertions.py``; the answer is then a two-sentence one that
they all pass). ``--compare`` measures, in turn and without the floor, the one-check suite
against the same suite with N assertions per case, both answering the same, and prints both
per-case figures, both collection figures and the ratios assertions / one check (issue 23's
targets: per case at most 1.3x, collection at most 1.5x).

    python benchmarks/overhead.py [--cases 10000] [--repeat 3]
    python benchmarks/overhead.py --cases 10000 --repeat 3 --assertions 10 --compare
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from overhead_assertions import ANSWER, ENTITIES, SUITE_ASSERTIONS, case_assertions, split

ROOT = Path(__file__).resolve().parents[1]

TEST_FILE = """
def test_case(golden_case):
    golden_case.assert_passes()

def test_metric(suite_metric):
    suite_metric.assert_meets_bar()
"""


FLOOR_FILE = """
import pytest

@pytest.mark.parametrize("i", range({cases}))
def test_floor(i):
    assert i >= 0
"""


def build_floor(folder: Path, cases: int) -> None:
    (folder / "floor_tests").mkdir(parents=True)
    (folder / "floor_tests" / "test_floor.py").write_text(
        FLOOR_FILE.format(cases=cases), encoding="utf-8"
    )
    (folder / "pyproject.toml").write_text("", encoding="utf-8")


def other_plugins() -> list[str]:
    """``-p no:<name>`` for every installed pytest plugin but releasegate (xdist, hypothesis,
    anyio, ...) and pytest's cache (and pytest-randomly's shuffle, should it be installed)."""
    names = {ep.name for ep in entry_points(group="pytest11")} - {"releasegate"}
    names |= {"cacheprovider", "randomly"}
    return [arg for name in sorted(names) for arg in ("-p", f"no:{name}")]


def build_project(folder: Path, cases: int, assertions: int = 0, answer: str = "yes") -> None:
    """One suite of *cases* on the instant backend, which answers *answer* to every case (1 %
    expect something else and fail); with *assertions*, each case also carries that many
    (``overhead_assertions.py``: the manifest's share first, then the case's own)."""
    on_suite, on_case = split(assertions)
    golden = folder / "fixtures" / "golden"
    golden.mkdir(parents=True)
    with (golden / "big.jsonl").open("w", encoding="utf-8") as out:
        for i in range(cases):
            row: dict[str, Any] = {
                "id": f"c{i:05d}",
                "input": f"Question {i}?",
                "expected": "no" if i % 100 == 7 else answer,  # 1% failing, as in a healthy suite
                "tags": ["critical"] if i % 100 == 0 else [],
            }
            if on_case:
                row["assert"] = case_assertions(i)[:on_case]
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    manifest = (
        "cases: big.jsonl\ncheck: normalized\nmetrics:\n  - {name: accuracy, min: 0.5}\n"
        "  - {name: rougeL}\n"
    )
    if on_suite:  # JSON is YAML
        manifest += f"entities: {json.dumps(ENTITIES, ensure_ascii=False)}\n"
        manifest += f"assert: {json.dumps(SUITE_ASSERTIONS[:on_suite], ensure_ascii=False)}\n"
    (golden / "big.yaml").write_text(manifest, encoding="utf-8")
    (folder / "model_tests").mkdir()
    (folder / "model_tests" / "test_big.py").write_text(TEST_FILE, encoding="utf-8")
    model = folder / "model"
    model.mkdir()
    (model / "config.json").write_text(
        json.dumps({"answers": {}, "default": answer}), encoding="utf-8"
    )
    (folder / "pyproject.toml").write_text(
        "[tool.releasegate]\n"
        'backend = "instant_backend:InstantBackend"\n'
        f'model = "{model}"\n'
        f'cache_dir = "{folder / "cache"}"\n'
        "batch_size = 64\n",
        encoding="utf-8",
    )


def timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    wall, _, out = timed_cpu(cmd, cwd)
    return wall, out


def timed_cpu(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system) and stdout of *cmd*."""
    # this checkout's engine, whatever the environment has installed
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT / "src")]),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # let pytest cache its rewritten plugin modules
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        sys.exit(
            f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return wall, cpu, done.stdout


@dataclass(frozen=True)
class Measure:
    """One collect-only run and one full run of a project."""

    collect_wall: float
    collect_cpu: float
    collect_reported: float | None  # pytest's own "collected ... in X s"
    run_wall: float
    run_cpu: float
    summary: str  # the run's last line (pytest's summary)

    def per_case_ms(self, cases: int) -> float:
        return (self.run_wall - self.collect_wall) / cases * 1000

    def per_case_cpu_ms(self, cases: int) -> float:
        return (self.run_cpu - self.collect_cpu) / cases * 1000


def measure(cmd: list[str], folder: Path, fresh: tuple[Path, ...] = ()) -> Measure:
    """One collect-only and one full run of *cmd* in *folder*; the *fresh* folders are removed
    before each (the prediction cache and the reports: no run reuses another's)."""
    for path in fresh:
        shutil.rmtree(path, ignore_errors=True)
    collect_wall, collect_cpu, out = timed_cpu([*cmd, "--collect-only"], folder)
    match = re.search(r"in ([\d.]+)s", out)
    for path in fresh:
        shutil.rmtree(path, ignore_errors=True)
    run_wall, run_cpu, out = timed_cpu(cmd, folder)
    return Measure(
        collect_wall=collect_wall,
        collect_cpu=collect_cpu,
        collect_reported=float(match.group(1)) if match else None,
        run_wall=run_wall,
        run_cpu=run_cpu,
        summary=out.strip().splitlines()[-1] if out.strip() else "",
    )


def figures(done: list[Measure], cases: int) -> dict[str, Any]:
    """Median, best and each repeat's per-case cost and collection wall time."""
    per_case = [m.per_case_ms(cases) for m in done]
    collect = [m.collect_wall for m in done]
    reported = [m.collect_reported for m in done if m.collect_reported is not None]
    return {
        "per_case_ms": round(statistics.median(per_case), 3),
        "per_case_ms_best": round(min(per_case), 3),
        "per_case_ms_each": [round(x, 3) for x in per_case],
        "collect_wall_seconds": round(statistics.median(collect), 3),
        "collect_wall_seconds_best": round(min(collect), 3),
        "collect_wall_seconds_each": [round(x, 3) for x in collect],
        "collect_reported_seconds": statistics.median(reported) if reported else None,
        "run_wall_seconds": round(statistics.median(m.run_wall for m in done), 3),
        "per_case_cpu_ms": round(statistics.median(m.per_case_cpu_ms(cases) for m in done), 3),
        "collect_cpu_seconds": round(statistics.median(m.collect_cpu for m in done), 3),
        "pytest_summary": done[-1].summary,
    }


def compare(args: argparse.Namespace, options: list[str]) -> dict[str, Any]:
    """The one-check suite against the same suite with ``--assertions`` per case, measured in
    turn in one sitting; both answer :data:`overhead_assertions.ANSWER`."""
    cases = args.cases
    releasegate = [sys.executable, "-m", "pytest", "model_tests", *options]
    one: list[Measure] = []
    many: list[Measure] = []
    with tempfile.TemporaryDirectory() as tmp:
        one_folder, many_folder = Path(tmp) / "one_check", Path(tmp) / "assertions"
        build_project(one_folder, cases, 0, ANSWER)
        build_project(many_folder, cases, args.assertions, ANSWER)
        for folder in (one_folder, many_folder):  # warm-up: bytecode caches
            timed([*releasegate, "--collect-only"], folder)
        for _ in range(args.repeat):  # in turn: a passing load falls on both
            one.append(
                measure(releasegate, one_folder, (one_folder / "cache", one_folder / "reports"))
            )
            many.append(
                measure(releasegate, many_folder, (many_folder / "cache", many_folder / "reports"))
            )
    base, mine = figures(one, cases), figures(many, cases)
    return {
        "cases": cases,
        "assertions_per_case": args.assertions,
        "repeat": args.repeat,
        "statistic": "median of the repeats",
        "plugins": args.plugin,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "one_check_ms_per_case": base["per_case_ms"],
        "assertions_ms_per_case": mine["per_case_ms"],
        "per_case_ratio": round(mine["per_case_ms"] / base["per_case_ms"], 2),
        "one_check_collect_wall_seconds": base["collect_wall_seconds"],
        "assertions_collect_wall_seconds": mine["collect_wall_seconds"],
        "collect_ratio": round(mine["collect_wall_seconds"] / base["collect_wall_seconds"], 2),
        "per_case_cpu_ratio": round(mine["per_case_cpu_ms"] / base["per_case_cpu_ms"], 2),
        "collect_cpu_ratio": round(mine["collect_cpu_seconds"] / base["collect_cpu_seconds"], 2),
        "one_check": base,
        "assertions": mine,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="measures of each (the median is printed; 3)"
    )
    parser.add_argument(
        "--assertions",
        type=int,
        default=0,
        help="assertions per case (0 to 10, benchmarks/overhead_assertions.py; default 0: the "
        "case's check alone)",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="measure the one-check suite against the same with --assertions per case (in "
        "turn, no floor) and print both and their ratios",
    )
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        help="a module under benchmarks/ the releasegate runs load with -p (a probe such as "
        "gc_freeze_probe); repeatable",
    )
    args = parser.parse_args()
    split(args.assertions)  # refuses a count out of range before anything is built
    options = ["-p", "no:cacheprovider", "-q", *other_plugins()]
    probes = [arg for name in args.plugin for arg in ("-p", name)]
    if args.compare:
        if not args.assertions:
            parser.error("--compare needs --assertions N (N above 0)")
        print(json.dumps(compare(args, [*options, *probes]), indent=2))
        return
    cases = args.cases
    releasegate = [sys.executable, "-m", "pytest", "model_tests", *options, *probes]
    floor = [sys.executable, "-m", "pytest", "floor_tests", "-p", "no:releasegate", *options]
    ours: list[Measure] = []
    base: list[Measure] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "releasegate"
        build_project(folder, cases, args.assertions, ANSWER if args.assertions else "yes")
        floor_folder = Path(tmp) / "floor"
        build_floor(floor_folder, cases)
        fresh = (folder / "cache", folder / "reports")
        timed([*releasegate, "--collect-only"], folder)  # warm-up: bytecode caches
        timed([*floor, "--collect-only"], floor_folder)
        for _ in range(args.repeat):  # in turn: a passing load falls on both
            base.append(measure(floor, floor_folder))
            ours.append(measure(releasegate, folder, fresh))
    mine, floors = figures(ours, cases), figures(base, cases)
    print(
        json.dumps(
            {
                "cases": cases,
                "assertions_per_case": args.assertions,
                "repeat": args.repeat,
                "statistic": "median of the repeats",
                "load_average": [round(x, 2) for x in os.getloadavg()],
                # releasegate's figures, under the keys they had before the floor was measured
                "collect_wall_seconds": mine["collect_wall_seconds"],
                "collect_reported_seconds": mine["collect_reported_seconds"],
                "run_wall_seconds": mine["run_wall_seconds"],
                "overhead_ms_per_case": mine["per_case_ms"],
                "floor_ms_per_case": floors["per_case_ms"],
                "per_case_ratio": round(mine["per_case_ms"] / floors["per_case_ms"], 2),
                "floor_collect_wall_seconds": floors["collect_wall_seconds"],
                "collect_ratio": round(
                    mine["collect_wall_seconds"] / floors["collect_wall_seconds"], 2
                ),
                # CPU time (user + system): what a loaded machine disturbs least
                "per_case_cpu_ratio": round(mine["per_case_cpu_ms"] / floors["per_case_cpu_ms"], 2),
                "collect_cpu_ratio": round(
                    mine["collect_cpu_seconds"] / floors["collect_cpu_seconds"], 2
                ),
                "releasegate": mine,
                "floor": floors,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
