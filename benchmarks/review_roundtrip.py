"""Human review round trip at scale, and agreement on a scripted two-reviewer example.

1. Export and import of 1,000 answers: a project with one suite of N cases (three criteria,
   scale 1-5) and a run's results.json holding an answer of about 300 characters per case;
   ``releasegate review export`` writes the workbook, a scripted reviewer (openpyxl, as a
   person in Excel) scores every row, ``releasegate review import`` validates and stores it.
   Reported: export seconds, workbook size, import seconds (validation and the atomic write of
   fixtures/reviews/<suite>.jsonl), review file size. The scripted filling is not timed.
2. Agreement: two scripted reviewers on 10 answers whose quadratic-weighted Cohen's kappa is
   worked out by hand below (scikit-learn computes it in the tool); printed beside it.

    .venv/bin/python benchmarks/review_roundtrip.py [--answers 1000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from releasegate.cli import main
from releasegate.review.agreement import agreement
from releasegate.review.records import ReviewRecord
from releasegate.review.rubric import Criterion, Rubric

# The tests' tiny-project writers: a suite on disk and a run's results.json without a model.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from tiny_project import write_project, write_run

MANIFEST = """\
name: bulk
cases: bulk.jsonl
check: {name: regex, pattern: "\\\\S"}
review:
  scale: 1-5
  criteria: [correctness, helpfulness, tone]
"""

WORDS = ("your", "parcel", "ships", "within", "two", "days", "and", "a", "refund", "in", "five")


def project(root: Path, answers: int) -> None:
    rng = random.Random(0)
    cases = [
        {"id": f"q{i:05d}", "input": f"Question {i}: where is my order?", "expected": "ships"}
        for i in range(answers)
    ]
    config = '[project]\nname = "bench"\n\n[tool.releasegate]\n'
    write_project(root, config=config, manifest=MANIFEST, cases=cases, suite="bulk")
    written = {c["id"]: " ".join(rng.choices(WORDS, k=60)) for c in cases}
    write_run(root, "run-1", written, cases=cases, fingerprint="bench", suite="bulk")


def scripted_reviewer(path: Path) -> None:
    """Scores every row as a person would type them (not timed)."""
    rng = random.Random(1)
    book = openpyxl.load_workbook(path)
    sheet = book["bulk"]
    for row in range(2, sheet.max_row + 1):
        for column in (8, 9, 10):
            sheet.cell(row=row, column=column, value=rng.randint(3, 5))
        sheet.cell(row=row, column=12, value="Scripted reviewer")
    book.save(path)


def roundtrip(answers: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        project(root, answers)
        sheet = root / "review.xlsx"
        start = time.perf_counter()
        assert main(["--root", str(root), "review", "export", "--out", str(sheet)]) == 0
        exported = time.perf_counter() - start
        scripted_reviewer(sheet)
        start = time.perf_counter()
        assert main(["--root", str(root), "review", "import", str(sheet)]) == 0
        imported = time.perf_counter() - start
        store = root / "fixtures" / "reviews" / "bulk.jsonl"
        lines = len(store.read_text().splitlines())
        print(
            f"\n{answers} answers: export {exported:.2f} s, workbook "
            f"{sheet.stat().st_size / 1024:.0f} KiB; import {imported:.2f} s, {lines} reviews, "
            f"{store.stat().st_size / 1024:.0f} KiB in {store.name}"
        )


def known_kappa() -> None:
    """Two reviewers, 10 answers, scale 1-5. The hand computation:
    A = 5 5 4 4 3 3 2 2 1 1, B = 5 4 4 3 3 3 2 1 1 2; quadratic weights (i-j)^2/16.
    Observed weighted disagreement: four answers one point apart -> 4 * 1/16 / 10 = 0.025.
    Expected, from the margins (A: two of each score; B: 1 five, 2 fours, 3 threes, 2 twos,
    2 ones): sum_ij pA(i) pB(j) (i-j)^2 / 16 = E[(a-b)^2] / 16 with a, b independent,
    = (Var a + Var b + (mean a - mean b)^2) / 16 = (2 + 1.56 + 0.04) / 16 = 0.225.
    kappa = 1 - 0.025 / 0.225 = 0.888889...; exact agreement 6/10."""
    rubric = Rubric(criteria=(Criterion("overall"),))
    a = [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    b = [5, 4, 4, 3, 3, 3, 2, 1, 1, 2]
    records = [
        ReviewRecord("s", f"c{i}", f"h{i}", rubric.hash, {"overall": score}, who)
        for who, scores in (("A", a), ("B", b))
        for i, score in enumerate(scores)
    ]
    (pair,) = agreement("s", records, rubric)
    print(
        f"two scripted reviewers, 10 answers: kappa (quadratic) {pair.kappa:.6f} "
        f"(by hand: {1 - 0.025 / 0.225:.6f}), exact agreement {pair.exact:.0%} (by hand: 60%)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1000)
    args = parser.parse_args()
    roundtrip(args.answers)
    known_kappa()
