"""Collection time of a 10,000-case suite, and releasegate's overhead per case.

Builds a throw-away project with one suite of N cases (JSONL), then times, in fresh processes:

1. ``pytest --collect-only`` on it (pytest's own "collected in" figure and the wall time);
2. a full run with the instant backend (``benchmarks/instant_backend.py``: no model), with the
   prediction cache on a fresh file, so every case is "generated", cached, judged and reported.

Overhead per case = (full run wall time - collect-only wall time) / N: everything releasegate
does per case beyond collecting it. Targets: collection <= 3 s, overhead <= 2 ms per case.

    python benchmarks/overhead.py [--cases 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TEST_FILE = """
def test_case(golden_case):
    golden_case.assert_passes()

def test_metric(suite_metric):
    suite_metric.assert_meets_bar()
"""


def build_project(folder: Path, cases: int) -> None:
    golden = folder / "fixtures" / "golden"
    golden.mkdir(parents=True)
    with (golden / "big.jsonl").open("w", encoding="utf-8") as out:
        for i in range(cases):
            expected = "no" if i % 100 == 7 else "yes"  # 1% failing, as in a healthy suite
            out.write(
                json.dumps(
                    {
                        "id": f"c{i:05d}",
                        "input": f"Question {i}?",
                        "expected": expected,
                        "tags": ["critical"] if i % 100 == 0 else [],
                    }
                )
                + "\n"
            )
    (golden / "big.yaml").write_text(
        "cases: big.jsonl\ncheck: normalized\nmetrics:\n  - {name: accuracy, min: 0.5}\n"
        "  - {name: rougeL}\n",
        encoding="utf-8",
    )
    (folder / "model_tests").mkdir()
    (folder / "model_tests" / "test_big.py").write_text(TEST_FILE, encoding="utf-8")
    (folder / "pyproject.toml").write_text(
        "[tool.releasegate]\n"
        'backend = "instant_backend:InstantBackend"\n'
        f'cache_dir = "{folder / "cache"}"\n'
        "batch_size = 64\n",
        encoding="utf-8",
    )


def timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    # this checkout's engine, whatever the environment has installed
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT / "src")]),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # let pytest cache its rewritten plugin modules
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(
            f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return wall, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    pytest = [sys.executable, "-m", "pytest", "model_tests", "-p", "no:cacheprovider", "-q"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build_project(folder, args.cases)
        timed([*pytest, "--collect-only"], folder)  # warm-up: bytecode caches
        collect_wall, out = timed([*pytest, "--collect-only"], folder)
        match = re.search(r"in ([\d.]+)s", out)
        collect_reported = float(match.group(1)) if match else None
        run_wall, out = timed(pytest, folder)
        summary = out.strip().splitlines()[-1] if out.strip() else ""
    per_case_ms = (run_wall - collect_wall) / args.cases * 1000
    print(
        json.dumps(
            {
                "cases": args.cases,
                "collect_wall_seconds": round(collect_wall, 3),
                "collect_reported_seconds": collect_reported,
                "run_wall_seconds": round(run_wall, 3),
                "overhead_ms_per_case": round(per_case_ms, 3),
                "pytest_summary": summary,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
