"""Time and peak memory of one no-drop test per metric kind at 100,000 cases (issue 21: at
most 1 s and 300 MB each).

Each kind runs in a fresh subprocess, so that one kind's memory does not hide another's: the
two runs' per-case values (or per-case counts) are made first, then the gate's paired test
(the one :func:`releasegate.gate.comparisons.compare_suite_metric` calls, with the default
1,000 resamples and the 90 % interval of alpha 0.05) and its verdict
(:func:`releasegate.gate.comparisons.judge_comparison`) are timed. Memory is the tracemalloc
peak of the test (numpy's arrays included) and the growth of the process's maximum resident
size (``resource.getrusage``) across it. scipy is imported before the clock starts (0.7 s once
per process, whatever the suite's size).

Kinds: accuracy (exact McNemar), mean (sign-flip permutation + bootstrap interval), macro-F1,
corpus BLEU and chrF (permutation + interval through per-case counts). BLEU and chrF counts
come from sacrebleu on 2,000 generated sentence pairs, repeated to the suite's size (counting
n-grams of 100,000 sentences is the metric's own cost, paid once per run, not the test's);
about 30 % of the candidate's answers are re-drawn at equal quality.

    .venv/bin/python benchmarks/bootstrap_speed.py [--items 100000] [--samples 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

KINDS = ("accuracy", "mean", "f1_macro", "bleu", "chrf")
WORDS = ("the parcel ships in three to five days " + "and your refund reaches you soon").split()
LABELS = ("refund", "tracking", "return", "delivery", "greeting")


def _texts(pairs: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    """References, baseline answers and candidate answers (30 % of them re-drawn)."""
    rng = random.Random(seed)
    refs, before, now = [], [], []
    for _ in range(pairs):
        ref = rng.choices(WORDS, k=rng.randint(6, 14))
        old = " ".join(w if rng.random() < 0.6 else rng.choice(WORDS) for w in ref)
        refs.append(" ".join(ref))
        before.append(old)
        again = " ".join(w if rng.random() < 0.6 else rng.choice(WORDS) for w in ref)
        now.append(old if rng.random() < 0.7 else again)
    return refs, before, now


def _prepare(kind: str, items: int) -> tuple[object, object]:
    """The two runs as the test takes them: per-case values, or per-case count statistics."""
    from releasegate.core.stats import SummedStatistic
    from releasegate.golden.checks import CheckResult
    from releasegate.golden.metrics import Classification, ScoredCase
    from releasegate.golden.textsim import (
        bleu_from_statistics,
        bleu_statistics,
        chrf_from_statistics,
        chrf_statistics,
    )

    rng = np.random.default_rng(0)
    if kind == "accuracy":
        before = (rng.random(items) < 0.7).astype(float)
        redraw = rng.random(items) < 0.3
        return before.tolist(), np.where(redraw, rng.random(items) < 0.7, before).tolist()
    if kind == "mean":
        before = rng.beta(2, 2, items)
        redraw = rng.random(items) < 0.3
        # Re-drawn 0.005 lower: a drop, so that the permutation test runs (none runs at p = 1).
        fresh = np.clip(rng.beta(2, 2, items) - 0.005, 0.0, 1.0)
        return before.tolist(), np.where(redraw, fresh, before).tolist()
    if kind == "f1_macro":
        truth = rng.choice(len(LABELS), size=items, p=[0.5, 0.2, 0.15, 0.1, 0.05])
        old = np.where(rng.random(items) < 0.6, truth, rng.integers(0, len(LABELS), items))
        again = np.where(rng.random(items) < 0.6, truth, rng.integers(0, len(LABELS), items))
        new = np.where(rng.random(items) < 0.3, again, old)
        runs = [
            [
                ScoredCase(f"c{i}", "", LABELS[t], CheckResult(False, "", None, LABELS[g]))
                for i, (t, g) in enumerate(zip(truth, guesses, strict=True))
            ]
            for guesses in (old, new)
        ]
        metric = Classification("f1_macro", "f1", "macro", labels=LABELS)
        return metric.paired_statistics(*runs)
    refs, before, now = _texts(2000, seed=1)
    tile = -(-items // 2000)
    if kind == "bleu":
        counts = [bleu_statistics(run, refs, language="en") for run in (before, now)]
        score = lambda totals: bleu_from_statistics(totals, language="en")  # noqa: E731
    else:
        counts = [chrf_statistics(run, refs) for run in (before, now)]
        score = chrf_from_statistics
    # Each copy of a pair gains 0-19 matching words or characters (a: every count; BLEU's
    # lengths, n-gram matches and totals, chrF's hypothesis, reference and match counts) and
    # its reference 0-19 more (b), so that rows are about as distinct as a real corpus's:
    # repeated rows would be resampled per group, far faster.
    rng = np.random.default_rng(2)
    a = rng.integers(0, 20, size=(tile * 2000, 1)).astype(float)
    b = rng.integers(0, 20, size=(tile * 2000, 1)).astype(float)
    width = counts[0].shape[1]
    to_ref = np.zeros(width)
    to_ref[[1] if kind == "bleu" else list(range(1, width, 3))] = 1.0
    old_counts, new_counts = ((np.tile(c, (tile, 1)) + a + b * to_ref)[:items] for c in counts)
    # A changed answer's counts are its own: its extra words are drawn again (else the
    # differences of the copies would repeat and be swapped per group, far faster).
    moved = np.any(old_counts != new_counts, axis=1)
    again = rng.integers(0, 20, size=(items, 1)).astype(float)
    new_counts[moved] += (again - a[:items])[moved]
    return SummedStatistic(old_counts, score), SummedStatistic(new_counts, score)


def measure(kind: str, items: int, samples: int) -> dict[str, float | str]:
    """One no-drop test of *kind* at *items* cases, in this process."""
    import scipy.stats  # noqa: F401  # imported once per process, not the test's cost

    from releasegate.core.stats import compare_per_item, compare_summed
    from releasegate.gate.comparisons import judge_comparison

    before, now = _prepare(kind, items)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    if kind in ("accuracy", "mean"):
        comparison = compare_per_item(
            before,
            now,
            higher_is_better=True,
            samples=samples,
            confidence=0.9,  # type: ignore[arg-type]
        )
    else:
        comparison = compare_summed(
            before,
            now,
            higher_is_better=True,
            samples=samples,
            confidence=0.9,  # type: ignore[arg-type]
        )
    outcome = judge_comparison(kind, comparison, max_drop=0.01, alpha=0.05, higher_is_better=True)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "kind": kind,
        "test": comparison.test,
        "seconds": seconds,
        "traced_mb": peak / 2**20,
        "rss_growth_mb": (rss_after - rss_before) / 1024,
        "verdict": "passed" if outcome.passed else "FAILED",
        "p": comparison.p_value,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--kinds", nargs="*", default=list(KINDS))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.items, args.samples)))
        return
    print(f"{args.items} cases, {args.samples} resamples, one fresh process per kind")
    print(f"{'kind':9} {'test':12} {'time s':>7} {'tracemalloc MB':>15} {'maxrss +MB':>11}")
    for kind in args.kinds:
        out = subprocess.run(
            [sys.executable, __file__, "--one", kind, "--items", str(args.items),
             "--samples", str(args.samples)],
            check=True, capture_output=True, text=True, cwd=Path(__file__).parent,
        ).stdout  # fmt: skip
        row = json.loads(out.splitlines()[-1])
        print(
            f"{row['kind']:9} {row['test']:12} {row['seconds']:7.3f} {row['traced_mb']:15.1f} "
            f"{row['rss_growth_mb']:11.1f}  ({row['verdict']}, p={row['p']:.3g})"
        )


if __name__ == "__main__":
    main()
