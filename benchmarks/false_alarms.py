"""False-alarm rate and power of the no-drop **verdict**, by simulation, for every metric kind.

Each trial draws a baseline run and a candidate on the same items; a share of the candidate's
answers (30 % or 100 %) is re-drawn, from a distribution whose quality is lower by a true drop
of 0 (equal quality: every failure is a false alarm), of exactly ``max_drop`` (still allowed:
failures are false alarms too) or of 2 x ``max_drop`` (power: how often the gate sees it). The
verdict is the gate's own: the metric's paired comparison (:mod:`releasegate.core.stats`, as the
gate calls it) judged by :func:`releasegate.gate.comparisons.judge_comparison`, whose rule is
:func:`releasegate.gate.rule.judge_drop`. Each cell prints the failure rate and its simulation
standard error; a false-alarm cell must be at most alpha + 2 s.e.

Kinds: accuracy and benchmark accuracy (exact McNemar), mean score in [0, 1] and human score
(1-5; the sign-flip permutation test with a bootstrap interval), corpus BLEU and chrF and
macro-F1 and field F1 (permutation test through per-item counts, bootstrap interval).

    .venv/bin/python benchmarks/false_alarms.py [--trials 1000] [--samples 500] [--kinds ...]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from false_alarms_corpus import VARIANTS, TextPool

from releasegate.core.stats import (
    PairedComparison,
    SummedStatistic,
    compare_per_item,
    compare_summed,
)
from releasegate.gate.comparisons import judge_comparison
from releasegate.golden.checks import CheckResult
from releasegate.golden.metrics import MetricContext, ScoredCase, build_metric
from releasegate.golden.textsim import bleu_from_statistics, chrf_from_statistics

SIZES = (10, 20, 36, 51, 100, 300)
SHARES = (0.3, 1.0)
MAX_DROP = {
    "accuracy": 0.05,
    "benchmark_acc": 0.05,
    "mean_score": 0.05,
    "human_score": 0.2,
    "bleu": 2.0,
    "chrf": 2.0,
    "f1_macro": 0.05,
    "field_f1": 0.05,
}
Trial = Callable[[np.random.Generator, int, float, float, int], PairedComparison]
"""(rng, items, share re-drawn, true drop, seed) -> the gate's paired comparison."""


def _per_item(before: np.ndarray, after: np.ndarray, samples: int, alpha: float, seed: int):
    return compare_per_item(
        before.tolist(),
        after.tolist(),
        higher_is_better=True,
        samples=samples,
        confidence=1 - 2 * alpha,
        seed=seed,
    )


def accuracy_trial(accuracy: float, samples: int, alpha: float) -> Trial:
    def trial(rng: np.random.Generator, n: int, share: float, drop: float, seed: int):
        before = (rng.random(n) < accuracy).astype(float)
        redraw = rng.random(n) < share
        fresh = (rng.random(n) < accuracy - drop / share).astype(float)
        return _per_item(before, np.where(redraw, fresh, before), samples, alpha, seed)

    return trial


def mean_trial(samples: int, alpha: float) -> Trial:
    def trial(rng: np.random.Generator, n: int, share: float, drop: float, seed: int):
        before = rng.beta(2, 2, n)
        redraw = rng.random(n) < share
        fresh = rng.beta(2, 2, n) * (1 - 2 * drop / share)  # mean 0.5 - drop / share
        return _per_item(before, np.where(redraw, fresh, before), samples, alpha, seed)

    return trial


HUMAN = np.array([0.05, 0.1, 0.25, 0.35, 0.25])  # scores 1..5, mean 3.65


def human_trial(samples: int, alpha: float) -> Trial:
    mean = float(HUMAN @ np.arange(1, 6))

    def trial(rng: np.random.Generator, n: int, share: float, drop: float, seed: int):
        before = rng.choice(np.arange(1.0, 6.0), n, p=HUMAN)
        redraw = rng.random(n) < share
        # a re-drawn answer is scored 1 with probability r, else as before: mean lower by drop/share
        r = (drop / share) / (mean - 1)
        fresh = np.where(rng.random(n) < r, 1.0, rng.choice(np.arange(1.0, 6.0), n, p=HUMAN))
        return _per_item(before, np.where(redraw, fresh, before), samples, alpha, seed)

    return trial


def _bisect(gap: Callable[[float], float], target: float) -> float:
    """The r in [0, 1] where the decreasing-in-quality *gap* (drop of the metric) is *target*."""
    low, high = 0.0, 1.0
    for _ in range(16):
        middle = (low + high) / 2
        if gap(middle) < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def corpus_trial(metric: str, samples: int, alpha: float) -> Trial:
    """BLEU/chrF on a pool of reference sentences with several answers each; a worse answer is
    the answer cut to its first two words. The mix r of worse answers that gives a true drop is
    found from the expected (population) statistics, which are linear in r."""
    pool = TextPool(400)
    table = pool.bleu if metric == "bleu" else pool.chrf
    worse_table = pool.bleu_short if metric == "bleu" else pool.chrf_short

    def score(totals: np.ndarray) -> np.ndarray:
        if metric == "bleu":
            return bleu_from_statistics(totals, language="en")
        return chrf_from_statistics(totals)

    good, bad = table.mean(axis=0), worse_table.mean(axis=0)
    cache: dict[tuple[float, float], float] = {}

    def mix(share: float, drop: float) -> float:
        if drop == 0:
            return 0.0
        if (share, drop) not in cache:
            base = float(score(good[None])[0])

            def gap(r: float) -> float:
                return base - float(score((good + share * r * (bad - good))[None])[0])

            cache[share, drop] = _bisect(gap, drop)
        return cache[share, drop]

    def trial(rng: np.random.Generator, n: int, share: float, drop: float, seed: int):
        sentence = rng.integers(0, pool.size, n)
        old = sentence * VARIANTS + rng.integers(0, VARIANTS, n)
        redraw = rng.random(n) < share
        new = np.where(redraw, sentence * VARIANTS + rng.integers(0, VARIANTS, n), old)
        short = redraw & (rng.random(n) < mix(share, drop))
        rows = np.where(short[:, None], worse_table[new], table[new])
        return compare_summed(
            SummedStatistic(table[old], score),
            SummedStatistic(rows, score),
            higher_is_better=True,
            samples=samples,
            confidence=1 - 2 * alpha,
            seed=seed,
        )

    return trial


LABELS = ("refund", "tracking", "return", "greeting")
LABEL_SHARES = (0.6, 0.25, 0.1, 0.05)


def f1_trial(samples: int, alpha: float) -> Trial:
    """Macro-F1 over imbalanced labels; a re-drawn guess is right with probability 0.6 - r."""
    f1 = build_metric("f1", MetricContext("en", Path("."), LABELS), where="f1")
    cache: dict[tuple[float, float], float] = {}

    def runs(rng: random.Random, n: int, share: float, worse: float):
        def guess(truth: str, right: float) -> str:
            return truth if rng.random() < right else rng.choices(LABELS, LABEL_SHARES)[0]

        before, now = [], []
        for i in range(n):
            truth = rng.choices(LABELS, LABEL_SHARES)[0]
            old = guess(truth, 0.6)
            new = guess(truth, 0.6 - worse) if rng.random() < share else old
            for out, said in ((before, old), (now, new)):
                out.append(ScoredCase(f"c{i}", said, truth, CheckResult(False, "", None, said)))
        return f1.paired_statistics(before, now)  # type: ignore[attr-defined]

    def mix(share: float, drop: float) -> float:
        if drop == 0:
            return 0.0
        if (share, drop) not in cache:

            def gap(r: float) -> float:
                b, a = runs(random.Random(2), 20000, share, r * 0.6)
                everything = np.arange(20000)
                return float(b(everything) - a(everything))

            cache[share, drop] = _bisect(gap, drop) * 0.6
        return cache[share, drop]

    def trial(rng: np.random.Generator, n: int, share: float, drop: float, seed: int):
        before, now = runs(random.Random(seed), n, share, mix(share, drop))
        return compare_summed(
            before,
            now,
            higher_is_better=True,
            samples=samples,
            confidence=1 - 2 * alpha,
            seed=seed,
        )

    return trial


FIELDS = ("order", "date", "amount", "reason")


def field_trial(samples: int, alpha: float) -> Trial:
    """Field F1 (micro, over four JSON fields per case) through the metric's own counts: each
    field is right with probability 0.7 (0.7 - r for a re-drawn answer of lower quality), else
    a wrong value (0.2) or missing (0.1)."""
    metric = build_metric("field_f1", MetricContext("en", Path("."), ()), where="field_f1")
    expected = {name: f"v-{name}" for name in FIELDS}
    cache: dict[tuple[float, float], float] = {}

    def answer(rng: np.random.Generator, right: float) -> dict[str, str]:
        said = {}
        for name in FIELDS:
            draw = rng.random()
            if draw < right:
                said[name] = expected[name]
            elif draw < right + 0.2 + (0.7 - right) * 2 / 3:
                said[name] = "wrong"
        return said

    def runs(rng: np.random.Generator, n: int, share: float, worse: float):
        before, now = [], []
        for i in range(n):
            old = answer(rng, 0.7)
            new = answer(rng, 0.7 - worse) if rng.random() < share else old
            for out, said in ((before, old), (now, new)):
                out.append(ScoredCase(f"c{i}", "", expected, CheckResult(False, "", None, said)))
        return metric.paired_statistics(before, now)  # type: ignore[attr-defined]

    def mix(share: float, drop: float) -> float:
        if drop == 0:
            return 0.0
        if (share, drop) not in cache:

            def gap(r: float) -> float:
                b, a = runs(np.random.default_rng(2), 5000, share, r * 0.7)
                everything = np.arange(5000)
                return float(b(everything) - a(everything))

            cache[share, drop] = _bisect(gap, drop) * 0.7
        return cache[share, drop]

    def trial(rng: np.random.Generator, n: int, share: float, drop: float, seed: int):
        before, now = runs(rng, n, share, mix(share, drop))
        return compare_summed(
            before,
            now,
            higher_is_better=True,
            samples=samples,
            confidence=1 - 2 * alpha,
            seed=seed,
        )

    return trial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--kinds", nargs="*", default=list(MAX_DROP))
    parser.add_argument("--sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--drops", nargs="*", type=float, default=[0.0, 1.0, 2.0])
    args = parser.parse_args()
    alpha, samples = args.alpha, args.samples
    makers: dict[str, Callable[[], Trial]] = {
        "accuracy": lambda: accuracy_trial(0.7, samples, alpha),
        "benchmark_acc": lambda: accuracy_trial(0.4, samples, alpha),
        "mean_score": lambda: mean_trial(samples, alpha),
        "human_score": lambda: human_trial(samples, alpha),
        "bleu": lambda: corpus_trial("bleu", samples, alpha),
        "chrf": lambda: corpus_trial("chrf", samples, alpha),
        "f1_macro": lambda: f1_trial(samples, alpha),
        "field_f1": lambda: field_trial(samples, alpha),
    }
    print(
        f"alpha {alpha}, {args.trials} trials per cell, {samples} resamples; rate of FAILED "
        "verdicts ± 1 s.e.; drop in multiples of max_drop (0 and 1: false alarms; 2: power)",
        flush=True,
    )
    for kind in args.kinds:
        max_drop = MAX_DROP[kind]
        trial = makers[kind]()
        for share in SHARES:
            for multiple in args.drops:
                cells = []
                started = time.perf_counter()
                for n in args.sizes:
                    rng = np.random.default_rng([n, int(share * 100), int(multiple * 10)])
                    failed = 0
                    for t in range(args.trials):
                        comparison = trial(rng, n, share, multiple * max_drop, t)
                        outcome = judge_comparison(
                            kind,
                            comparison,
                            max_drop=max_drop,
                            alpha=alpha,
                            higher_is_better=True,
                        )
                        failed += not outcome.passed
                    rate = failed / args.trials
                    error = math.sqrt(max(rate * (1 - rate), 1e-12) / args.trials)
                    flag = " !" if multiple <= 1 and rate > alpha + 2 * error + 1e-12 else ""
                    cells.append(f"n={n}: {rate:.3f}±{error:.3f}{flag}")
                print(
                    f"{kind:13} max_drop {max_drop:g} re-drawn {share:.0%} drop {multiple:g}x: "
                    + "  ".join(cells)
                    + f"  [{time.perf_counter() - started:.0f} s]",
                    flush=True,
                )


if __name__ == "__main__":
    main()
