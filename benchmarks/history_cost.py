"""What the run history costs a run: one run's write, and the queries that follow it.

A run the size of this repository's release suite (14 metrics; 178 golden cases; 300 MMLU
questions as per-item outcomes) is appended to a history already holding N runs, and then read
the way a run and ``releasegate history`` / ``checkpoints`` read it: the metrics' history for
results.json, one metric's per-item outcomes for a paired test, and the rules over the last 5.

    .venv/bin/python benchmarks/history_cost.py [--runs 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from releasegate.history import CaseOutcome, HistoryStore, MetricPoint, RunRecord
from releasegate.history.reporting import history_block
from releasegate.history.trends import check_curve


def make_run(n: int) -> RunRecord:
    metrics = [
        MetricPoint(
            f"suite{s}", f"metric{m}", 0.5, max_drop=0.1, items={f"c{i}": i % 2 for i in range(45)}
        )
        for s in range(4)
        for m in range(3)
    ]
    metrics += [
        MetricPoint(
            f"general/mmlu_{t}", "acc", 0.3, chance=0.25, items={f"q{i}": i % 2 for i in range(100)}
        )
        for t in range(3)
    ]
    cases = [
        CaseOutcome(f"suite{i % 4}", f"c{i}", bool(i % 2), "passed", "an answer " * 5)
        for i in range(178)
    ]
    return RunRecord(
        run_id=f"run{n:05d}",
        time="2026-01-01T00:00:00+0000",
        model="m",
        model_path=None,
        fingerprint=f"fp{n}",
        step=n,
        metrics=tuple(metrics),
        cases=tuple(cases),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = HistoryStore(Path(folder) / "history.sqlite")
        writes, documents = [], []
        for n in range(args.runs):
            run = make_run(n)
            started = time.perf_counter()
            store.record(run)
            writes.append(time.perf_counter() - started)
            started = time.perf_counter()
            history_block(store, run)
            documents.append(time.perf_counter() - started)
        started = time.perf_counter()
        store.items(run.run_id, "suite0", "metric0")
        items = time.perf_counter() - started
        started = time.perf_counter()
        findings = check_curve(store, [f"run{n:05d}" for n in range(args.runs - 5, args.runs)])
        rules = time.perf_counter() - started
        size = (Path(folder) / "history.sqlite").stat().st_size
    print(f"history of {args.runs} runs ({size / 1e6:.1f} MB):")
    print(
        f"  write one run: median {statistics.median(writes) * 1e3:.1f} ms, "
        f"last 10 median {statistics.median(writes[-10:]) * 1e3:.1f} ms"
    )
    print(
        f"  results.json history: median {statistics.median(documents) * 1e3:.1f} ms, "
        f"last {documents[-1] * 1e3:.1f} ms"
    )
    print(f"  one metric's items: {items * 1e3:.1f} ms")
    print(f"  rules over the last 5 runs (15 metrics): {rules * 1e3:.1f} ms, {len(findings)} fired")


if __name__ == "__main__":
    main()
