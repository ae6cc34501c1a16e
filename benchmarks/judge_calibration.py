"""Calibration against a judge whose disagreement with the reviewers is known in advance.

A project with one suite of N answered cases (scale 1-5, one criterion), reviewer ann's score of
every answer drawn at random (seeded), reviewer bob's on the first quarter (ann's, moved by one
point on every fifth), and the scripted ``noisy`` judge on loopback (tests/judge/scripted_judge.py):
ann's score plus a known offset per answer (-1, 0, 0 or +1, fixed by a seed), clipped to the
scale. ``releasegate judge calibrate`` runs through the command line (the real path: answers
looked up in the run, judged over HTTP, figures written); the kappa it wrote is compared with
the kappa computed here by hand from the same pairs, with the quadratic-kappa formula written
out (no scikit-learn), and must lie within the bootstrap interval the calibration wrote. A
second calibration is timed too: every verdict from the cache, no judge call.

    .venv/bin/python benchmarks/judge_calibration.py [--answers 200] [--seed 0]

:func:`noisy_judge_calibration` returns the figures, for benchmarks/judge.py to report.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from releasegate.cli import main
from releasegate.judge.kinds import register
from releasegate.review.records import ReviewRecord, answer_hash
from releasegate.review.rubric import Criterion, Rubric

# The tests' helpers: a suite on disk, a run's results.json without a model, the scripted judge.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "judge"))
from scripted_judge import ScriptedJudge

from tiny_project import write_project, write_run

MANIFEST = """\
name: shop
cases: shop.jsonl
check: contains
review:
  scale: 1-5
  criteria: [overall]
judge:
  backend: openai
  base_url: URL
  model: noisy-judge
  max_retries: 0
"""
RUBRIC = Rubric(criteria=(Criterion("overall"),))


def quadratic_kappa(pairs: list[tuple[int, int]], low: int = 1, high: int = 5) -> float:
    """Cohen's kappa with quadratic weights, by its definition: with K labels, O[i][j] the share
    of pairs scored (i, j), E[i][j] the product of the two sides' shares of i and of j, and
    w[i][j] = (i - j)^2 / (K - 1)^2, kappa = 1 - sum(w O) / sum(w E)."""
    labels = range(low, high + 1)
    k, n = high - low + 1, len(pairs)

    def w(i: int, j: int) -> float:
        return (i - j) ** 2 / (k - 1) ** 2

    observed = sum(w(a, b) for a, b in pairs) / n
    first = {x: sum(1 for a, _ in pairs if a == x) / n for x in labels}
    second = {x: sum(1 for _, b in pairs if b == x) / n for x in labels}
    expected = sum(w(i, j) * first[i] * second[j] for i, j in itertools.product(labels, labels))
    return 1 - observed / expected


def noisy_judge_calibration(
    answers: int = 200, *, seed: int = 0, judge_seed: int = 1
) -> dict[str, Any]:
    """Calibrate the noisy scripted judge on *answers* reviewed answers; the figures written,
    the kappa by hand, and the seconds of a first and a cached calibration."""
    register()
    rng = random.Random(seed)
    ids = [f"c{i:04d}" for i in range(answers)]
    cases = [{"id": c, "input": f"Question {c}?", "expected": f"fact {c}"} for c in ids]
    texts = {c: f"Answer to {c}: fact {c}." for c in ids}
    ann = {c: rng.randint(1, 5) for c in ids}
    bob = {
        c: min(5, max(1, ann[c] + (1 if i % 5 == 0 else 0)))
        for i, c in enumerate(ids[: answers // 4])
    }
    judge = ScriptedJudge("noisy", {texts[c]: ann[c] for c in ids}, seed=judge_seed)
    with tempfile.TemporaryDirectory() as folder, judge.running() as url:
        root = Path(folder) / "shop"
        config = f'[project]\nname = "shop"\n\n[tool.releasegate]\ncache_dir = "{root / "cache"}"\n'
        write_project(
            root, config=config, manifest=MANIFEST.replace("URL", url), cases=cases, suite="shop"
        )
        write_run(root, "run-1", texts, cases=cases, suite="shop")
        reviews = [_review(c, texts[c], "ann", s) for c, s in ann.items()]
        reviews += [_review(c, texts[c], "bob", s) for c, s in bob.items()]
        (root / "fixtures" / "reviews").mkdir(parents=True)
        (root / "fixtures" / "reviews" / "shop.jsonl").write_text(
            "".join(r.to_json() + "\n" for r in reviews), encoding="utf-8"
        )
        seconds = []
        for _ in range(2):
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()) as said:
                code = main(["--root", str(root), "judge", "calibrate", "--suite", "shop"])
            seconds.append(time.perf_counter() - start)
            if code != 0:
                raise SystemExit(f"judge calibrate failed ({code}):\n{said.getvalue()}")
        document = json.loads((root / "fixtures" / "judges" / "shop.json").read_text("utf-8"))
        calls_line = said.getvalue().strip().splitlines()[-1]
    (entry,) = document["judges"].values()
    figures = entry["criteria"]["overall"]
    pairs = [(judge.score_for(texts[c]), s) for c, s in ann.items()]
    pairs += [(judge.score_for(texts[c]), s) for c, s in bob.items()]
    by_hand = quadratic_kappa(pairs)
    low, high = figures["kappa_interval"]
    return {
        "answers": entry["answers"],
        "pairs": figures["pairs"],
        "kappa": figures["kappa"],
        "kappa_interval": (low, high),
        "kappa_by_hand": by_hand,
        "within_interval": low <= by_hand <= high,
        "exact": figures["exact"],
        "bias": figures["bias"],
        "bias_by_hand": sum(a - b for a, b in pairs) / len(pairs),
        "reviewers_kappa": entry["reviewers"]["overall"]["kappa"],
        "first_seconds": seconds[0],
        "cached_seconds": seconds[1],
        "cached_run": calls_line,
    }


def _review(case_id: str, text: str, reviewer: str, score: int) -> ReviewRecord:
    return ReviewRecord(
        "shop",
        case_id,
        answer_hash(text),
        RUBRIC.hash,
        {"overall": float(score)},
        reviewer,
        run_id="run-1",
    )


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = noisy_judge_calibration(args.answers, seed=args.seed)
    low, high = result["kappa_interval"]
    print(
        f"{result['answers']} answers, {result['pairs']} pairs: kappa {result['kappa']:.6f} "
        f"[{low:.4f}, {high:.4f}], by hand {result['kappa_by_hand']:.6f} "
        f"({'within' if result['within_interval'] else 'OUTSIDE'} the interval)"
    )
    print(
        f"exact {result['exact']:.3f}, bias {result['bias']:+.4f} (by hand "
        f"{result['bias_by_hand']:+.4f}), reviewers' kappa {result['reviewers_kappa']:.4f}"
    )
    print(
        f"calibrate: {result['first_seconds']:.2f} s first, {result['cached_seconds']:.2f} s "
        f"again ({result['cached_run']})"
    )


if __name__ == "__main__":
    _main()
