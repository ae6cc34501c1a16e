"""Speed of the no-drop gates' paired tests on corpus metrics, resampling per-item counts.

A paired bootstrap with 1000 resamples over 1000 items, for corpus BLEU, chrF and macro-F1
(target: each at most 1 s), and the paired permutation test on the same data. The counts are
extracted once (that is part of the figure); the answers are synthetic.

    .venv/bin/python benchmarks/bootstrap_speed.py [--items 1000] [--samples 1000]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from releasegate.gate.stats import compare_summed, paired_bootstrap
from releasegate.golden.checks import CheckResult
from releasegate.golden.metrics import Decomposable, MetricContext, ScoredCase, build_metric

WORDS = ("the parcel ships in three to five days " + "and your refund reaches you soon").split()
LABELS = ("refund", "tracking", "return", "delivery", "greeting")


def runs(items: int, *, labelled: bool, seed: int = 0) -> tuple[list[ScoredCase], list[ScoredCase]]:
    """Two runs on the same items, about a third of the answers changed; *labelled*: each
    case's expected answer is its true label (imbalanced), else a reference sentence."""
    rng = random.Random(seed)
    cases_before, cases_now = [], []
    for i in range(items):
        ref = " ".join(rng.choices(WORDS, k=rng.randint(6, 14)))
        truth = LABELS[min(int(rng.expovariate(1.0)), len(LABELS) - 1)]
        before = " ".join(w if rng.random() < 0.6 else rng.choice(WORDS) for w in ref.split())
        now = before if rng.random() < 0.7 else " ".join(rng.sample(WORDS, 8))
        guess_before = truth if rng.random() < 0.6 else rng.choice(LABELS)
        guess_now = guess_before if rng.random() < 0.8 else rng.choice(LABELS)
        for out, text, guess in ((cases_before, before, guess_before), (cases_now, now, guess_now)):
            expected = truth if labelled else ref
            out.append(ScoredCase(f"c{i}", text, expected, CheckResult(False, "", None, guess)))
    return cases_before, cases_now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    context = MetricContext("en", Path("."), LABELS)
    print(f"{args.items} items, {args.samples} resamples")
    for name in ("bleu", "chrf", "f1"):
        metric = build_metric(name, context, where=name)
        assert isinstance(metric, Decomposable)
        before, now = runs(args.items, labelled=name == "f1")
        started = time.perf_counter()
        stats = metric.paired_statistics(before, now)
        extracted = time.perf_counter() - started
        started = time.perf_counter()
        result = paired_bootstrap(*stats, args.items, samples=args.samples)
        boot = time.perf_counter() - started
        started = time.perf_counter()
        gate = compare_summed(*stats, higher_is_better=True, samples=args.samples, confidence=0.9)
        whole = time.perf_counter() - started
        print(
            f"{name:5} counts {extracted:6.3f} s  bootstrap {boot:6.3f} s  "
            f"gate's test ({gate.test}) {whole:6.3f} s  "
            f"[{result.baseline:.4g} -> {result.now:.4g}, p={result.p_value:.3f}]"
        )


if __name__ == "__main__":
    main()
