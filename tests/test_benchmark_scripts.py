"""The measurement scripts in benchmarks/ still import: they run by hand, not in the suite, so
a rename in the package would otherwise break them unseen until someone re-takes a figure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_benchmark_script_imports() -> None:
    scripts = sorted(p.stem for p in (REPO / "benchmarks").glob("*.py"))
    assert "history_cost" in scripts and "callback_overhead" in scripts
    # One fresh interpreter for all: locust (the perf scripts) patches the standard library
    # with gevent when imported, which must not happen inside this test process.
    code = (
        "import importlib, sys\n"
        f"sys.path.insert(0, {str(REPO / 'benchmarks')!r})\n"
        f"for name in {scripts!r}:\n"
        "    importlib.import_module(name)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
