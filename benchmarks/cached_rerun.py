"""Wall and CPU time of a fully cached ``make check`` (``pytest model_tests -n auto``).

Copies the release suite (pyproject.toml, model_tests/, fixtures/) into a temporary folder with
an empty releasegate cache (the converted default model is linked in, so no conversion is timed),
runs it once to fill the cache (slow: every answer is generated), then times further runs in
which every answer and benchmark result is cached. CPU is user+sys of the pytest process and its
workers: on a busy machine it, divided by the cores, is what an idle machine would take.

    python benchmarks/cached_rerun.py [--runs 2] [--workers auto] [--keep]

Target (issue 9 item 4): a cached run <= 10 s on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def prepare(folder: Path) -> Path:
    """The release suite copied into *folder*; returns the cache folder to use."""
    shutil.copy2(ROOT / "pyproject.toml", folder / "pyproject.toml")
    shutil.copytree(ROOT / "model_tests", folder / "model_tests")
    shutil.copytree(ROOT / "fixtures", folder / "fixtures")
    general = folder / "fixtures" / "general.yaml"
    text = general.read_text(encoding="utf-8")
    match = re.search(r"^mmlu_dir:\s*(\S+)\s*$", text, flags=re.M)
    if match and not Path(match.group(1)).is_absolute():  # keep pointing at the same folder
        absolute = (ROOT / "fixtures" / match.group(1)).resolve()
        text = text.replace(match.group(0), f"mmlu_dir: {absolute}")
        general.write_text(text, encoding="utf-8")
    cache = folder / "cache"
    cache.mkdir()
    home = Path(os.environ.get("RELEASEGATE_CACHE_DIR", Path.home() / ".cache/releasegate"))
    if (home / "models").is_dir():
        (cache / "models").symlink_to((home / "models").resolve())
    return cache


def timed_run(folder: Path, cache: Path, workers: str) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds of the run's processes, exit code, last lines)."""
    env = {**os.environ, "RELEASEGATE_CACHE_DIR": str(cache)}
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "model_tests", "-n", workers, "-q", "-p", "no:randomly"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = done.stdout.splitlines()
    tail = "\n".join([line for line in lines if line.startswith("model weights")] + lines[-1:])
    return wall, cpu, done.returncode, tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="cached runs to time")
    parser.add_argument("--workers", default="auto", help="pytest -n value")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="releasegate-cached-"))
    try:
        cache = prepare(folder)
        wall, cpu, code, tail = timed_run(folder, cache, args.workers)
        print(f"fill run: wall {wall:.1f} s, cpu {cpu:.1f} s, exit {code}\n{tail}", flush=True)
        for number in range(1, args.runs + 1):
            wall, cpu, code, tail = timed_run(folder, cache, args.workers)
            print(
                f"cached run {number} (-n {args.workers}): wall {wall:.1f} s, "
                f"cpu {cpu:.1f} s (user+sys), exit {code}\n{tail}",
                flush=True,
            )
        load = os.getloadavg()[0]
        print(f"cores {os.cpu_count()}, load average {load:.1f}")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
