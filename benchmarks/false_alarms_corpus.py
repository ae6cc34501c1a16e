"""False-alarm rate of the paired tests of corpus metrics (macro-F1, BLEU, chrF) on small suites.

As ``false_alarms.py`` does for accuracy: nothing changes between baseline and re-run but noise
(each item's answer redrawn, with some probability, from the same distribution), so every
significant drop is a false alarm and the rate must stay at or below alpha. Labels are
imbalanced (60/25/10/5 %); texts are drawn from a pool of reference sentences with four answers
each, whose sacrebleu statistics are extracted once. Each row gives the rate of the paired
bootstrap (percentile interval, shifted-null p-value) and of the paired permutation test, with
their simulation error.

    .venv/bin/python benchmarks/false_alarms_corpus.py [--trials 1000] [--samples 1000]
"""

from __future__ import annotations

import argparse
import math
import random
import time
from pathlib import Path

import numpy as np

from releasegate.core.stats import SummedStatistic, paired_bootstrap, paired_permutation
from releasegate.golden.checks import CheckResult
from releasegate.golden.metrics import MetricContext, ScoredCase, build_metric
from releasegate.golden.textsim import (
    bleu_from_statistics,
    bleu_statistics,
    chrf_from_statistics,
    chrf_statistics,
)

LABELS = ("refund", "tracking", "return", "greeting")
SHARES = (0.6, 0.25, 0.1, 0.05)
WORDS = ("the parcel ships in three to five days and your refund reaches you soon " * 2).split()
VARIANTS = 4


def label_runs(
    rng: random.Random, items: int, flip_rate: float
) -> tuple[list[ScoredCase], list[ScoredCase]]:
    def guess(truth: str) -> str:
        return truth if rng.random() < 0.6 else rng.choices(LABELS, SHARES)[0]

    before, now = [], []
    for i in range(items):
        truth = rng.choices(LABELS, SHARES)[0]
        old = guess(truth)
        new = guess(truth) if rng.random() < flip_rate else old
        for out, said in ((before, old), (now, new)):
            out.append(ScoredCase(f"c{i}", said, truth, CheckResult(False, "", None, said)))
    return before, now


class TextPool:
    """Reference sentences with several answers each, their statistics extracted once."""

    def __init__(self, size: int, seed: int = 0) -> None:
        rng = random.Random(seed)
        refs, answers = [], []
        for _ in range(size):
            ref = " ".join(rng.choices(WORDS, k=rng.randint(5, 14)))
            for _ in range(VARIANTS):
                kept = [w if rng.random() < 0.55 else rng.choice(WORDS) for w in ref.split()]
                answers.append(" ".join(kept[: rng.randint(3, len(kept))]))
                refs.append(ref)
        self.size = size
        self.bleu = bleu_statistics(answers, refs, language="en")
        self.chrf = chrf_statistics(answers, refs)
        # A worse answer of each (its first two words), for simulated real drops.
        shorts = [" ".join(answer.split()[:2]) for answer in answers]
        self.bleu_short = bleu_statistics(shorts, refs, language="en")
        self.chrf_short = chrf_statistics(shorts, refs)

    def runs(
        self, rng: np.random.Generator, metric: str, items: int, flip_rate: float
    ) -> tuple[SummedStatistic, SummedStatistic]:
        sentence = rng.integers(0, self.size, items)
        old = rng.integers(0, VARIANTS, items)
        redrawn = rng.random(items) < flip_rate
        new = np.where(redrawn, rng.integers(0, VARIANTS, items), old)
        table = self.bleu if metric == "bleu" else self.chrf

        def score(totals: np.ndarray) -> np.ndarray:
            if metric == "bleu":
                return bleu_from_statistics(totals, language="en")
            return chrf_from_statistics(totals)

        return (
            SummedStatistic(table[sentence * VARIANTS + old], score),
            SummedStatistic(table[sentence * VARIANTS + new], score),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--flip-rate", type=float, default=0.3)
    args = parser.parse_args()
    pool = TextPool(400)
    f1 = build_metric("f1", MetricContext("en", Path("."), LABELS), where="f1")
    print(
        f"alpha {args.alpha}, {args.trials} trials per row, {args.samples} resamples, "
        f"flip rate {args.flip_rate}"
    )
    for metric in ("f1_macro", "bleu", "chrf"):
        for items in (30, 50, 100):
            started = time.perf_counter()
            rng = np.random.default_rng(items)
            labels_rng = random.Random(items)
            alarms = {"bootstrap": 0, "permutation": 0}
            for trial in range(args.trials):
                if metric == "f1_macro":
                    before, now = label_runs(labels_rng, items, args.flip_rate)
                    stats = f1.paired_statistics(before, now)  # type: ignore[attr-defined]
                else:
                    stats = pool.runs(rng, metric, items, args.flip_rate)
                boot = paired_bootstrap(*stats, items, samples=args.samples, seed=trial)
                perm = paired_permutation(*stats, samples=args.samples, seed=trial)
                alarms["bootstrap"] += boot.p_value < args.alpha
                alarms["permutation"] += perm.p_value < args.alpha
            cells = []
            for test, count in alarms.items():
                rate = count / args.trials
                error = math.sqrt(max(rate * (1 - rate), 1e-12) / args.trials)
                cells.append(f"{test} {rate:.3f} ± {error:.3f}")
            print(
                f"{metric:8} items {items:4}: "
                + "   ".join(cells)
                + f"   [{time.perf_counter() - started:.0f} s]",
                flush=True,
            )


if __name__ == "__main__":
    main()
