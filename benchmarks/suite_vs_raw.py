"""Whole release suite against raw batched ``generate`` for the same prompts.

1. ``pytest model_tests -n 0 --no-prediction-cache`` (one process, every answer generated): wall
   time of the whole command, start-up, collection, model load, judging and reports included.
2. ``benchmarks/raw_generate.py`` on exactly the prompts that run sent (read from its
   results.json), suite by suite with the suite's max_new_tokens, in batches of the same size:
   the time of plain left-padded ``model.generate`` alone.

The issue's bar is suite wall time / raw generate time <= 1.10. releasegate computes a batch's
shared system prompt once, which plain ``generate`` does not, so the ratio can fall below 1.

    python benchmarks/suite_vs_raw.py [--batch-size 16]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    run_id = f"bench-suite-{int(time.time())}"
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "model_tests",
            "-n",
            "0",
            "-q",
            "-p",
            "no:cacheprovider",
            "--no-prediction-cache",
            f"--batch-size={args.batch_size}",
            f"--run-id={run_id}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    suite_wall = time.perf_counter() - started
    results = json.loads((ROOT / "reports" / run_id / "results.json").read_text(encoding="utf-8"))
    raw_total = 0.0
    per_suite = {}
    for manifest in sorted((ROOT / "fixtures" / "golden").glob("*.yaml")):
        document = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        name = document.get("name", manifest.stem)
        prompts = [c["prompt"] for c in results["cases"] if c["suite"] == name]
        if not prompts:
            continue
        max_new = document.get("generation", {}).get(
            "max_new_tokens", results["settings"]["max_new_tokens"]
        )
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(prompts, handle)
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "raw_generate.py"),
                handle.name,
                f"--batch-size={args.batch_size}",
                f"--max-new-tokens={max_new}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        per_suite[name] = figures["generate_seconds"]
        raw_total += figures["generate_seconds"]
    print(
        json.dumps(
            {
                "suite_wall_seconds": round(suite_wall, 2),
                "raw_generate_seconds": round(raw_total, 2),
                "raw_per_suite": per_suite,
                "ratio": round(suite_wall / raw_total, 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
