"""Time and memory of the isolation check: 1,000,000 training rows against 1,000 golden cases.

Target: at most 60 s on a 2-core machine. The data is generated (deterministic): a JSONL file
of chat rows in the ``messages`` layout, half Chinese (random ideographs) and half English
(Zipf-like draws from a 20,000-word made-up vocabulary), question and answer, and a golden
suite of 1,000 cases of the same kind, five of which are planted in the training file
(three exactly, two reworded) so the check must find them. The figure is the whole check,
as ``<suite>::isolation`` runs it with an empty cache: reading and parsing the file, normalising,
exact matching, prefix-filter candidates and their
exact similarity. Generation is not timed. Peak memory is the process's maximum resident set.
At a million rows the Zipf-like English draws also repeat a few golden texts by chance (a pair
of short texts of the same frequent words): every reported leak beyond the planted ones is
checked here with plain Python sets of 3-grams, so a wrong similarity still fails the run.
``--stages`` then times the stages on their own (reading, normalising, matching). ``--lsh``
measures what MinHash LSH (datasketch) would cost and miss: CPU per MinHash of a text, and the
share of pairs just above the bar (similarity in [bar, bar + 0.1)) its LSH proposes.

    .venv/bin/python benchmarks/isolation_scale.py [--rows 1000000] [--cases 1000] [--stages]
    .venv/bin/python benchmarks/isolation_scale.py --lsh
"""

# ruff: noqa: RUF001

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from releasegate.golden.normalize import normalize_text
from releasegate.golden.suites import discover_suites
from releasegate.isolation import IsolationReport, check_isolation
from releasegate.isolation.check import golden_texts
from releasegate.isolation.matching import find_matches, normalize_many
from releasegate.isolation.readers import read_training_file

CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
"""Chinese text is drawn from 3,000 ideographs (about the characters in daily use)."""


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [12, 9, 8, 8, 7, 7, 6, 6, 6, 4, 4, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1]
    return ["".join(rng.choices(letters, weights, k=rng.randint(2, 9))) for _ in range(size)]


def sentence(rng: random.Random, words: list[str], zh: bool) -> str:
    """A Chinese text of 8-30 characters, or an English one of 5-14 words (Zipf-like)."""
    if zh:
        return "".join(rng.choices(CJK, k=rng.randint(8, 30))) + "？"
    picks = [words[min(int(rng.paretovariate(1.0)) - 1, len(words) - 1)] for _ in range(3)]
    picks += rng.choices(words, k=rng.randint(2, 11))
    rng.shuffle(picks)
    return " ".join(picks).capitalize() + "."


def generate(folder: Path, rows: int, cases: int) -> tuple[Path, Path, list[str]]:
    """The training file, the golden folder, and the ids of the cases planted in the file."""
    rng = random.Random(0)
    words = vocabulary(rng)
    golden = folder / "golden"
    golden.mkdir()
    case_rows = []
    for i in range(cases):
        zh = i % 2 == 0
        q, a = sentence(rng, words, zh), sentence(rng, words, zh)
        case_rows.append({"id": f"c{i}", "input": q, "expected": a})
    (golden / "bench.yaml").write_text("name: bench\ncases: bench.jsonl\n", encoding="utf-8")
    (golden / "bench.jsonl").write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in case_rows), encoding="utf-8"
    )
    planted = {rows // 7: 3, rows // 3: 10, rows // 2: 500, rows - 5: 777, 2 * rows // 3: 901}
    train = folder / "train.jsonl"
    with train.open("w", encoding="utf-8") as handle:
        for row in range(rows):
            if row in planted:
                case = case_rows[planted[row]]
                q = case["input"] if row % 2 else case["input"][:-1] + "谢谢"  # exact, or reworded
                a = "好的。"
            else:
                zh = row % 2 == 0
                q, a = sentence(rng, words, zh), sentence(rng, words, zh)
            messages = [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
            handle.write(json.dumps({"messages": messages}, ensure_ascii=False) + "\n")
    return train, golden, [f"c{i}" for i in sorted(planted.values())]


def trigrams(text: str) -> set[str]:
    """The 3-gram set of a text as plainly as it can be said (the check's own definition)."""
    text = normalize_text(text)
    if len(text) < 3:
        return {text} if text else set()
    return {text[i : i + 3] for i in range(len(text) - 2)}


def verify(report: IsolationReport, threshold: float) -> list[str]:
    """Each reported leak whose similarity plain sets do not confirm (none when all is well)."""
    wrong = []
    for leak in report.leaks:
        a, b = trigrams(leak.golden_text), trigrams(leak.train_text)
        similarity = len(a & b) / len(a | b) if a | b else 1.0
        if leak.exact:
            confirmed = normalize_text(leak.golden_text) == normalize_text(leak.train_text)
        else:  # reported rounded to four places
            confirmed = similarity >= threshold and abs(similarity - leak.similarity) < 1e-4
        if not confirmed:
            wrong.append(f"{leak.case_id} row {leak.row}: {leak.similarity} is {similarity}")
    return wrong


def stages(train: Path, golden: Path, threshold: float) -> None:
    """Reading, normalising and matching timed on their own (CPU seconds)."""
    suites = discover_suites(golden, schemas_dir=golden.parent)
    cases = [g.text for g in golden_texts(suites)]
    cpu = time.process_time()
    texts = read_training_file(train).texts
    read = time.process_time() - cpu
    cpu = time.process_time()
    normalize_many(texts)
    normalise = time.process_time() - cpu
    cpu = time.process_time()
    find_matches(cases, texts, threshold=threshold)
    matching = time.process_time() - cpu
    print(
        f"stages (CPU): reading {read:.1f} s; normalising {normalise:.1f} s; "
        f"find_matches (normalising included) {matching:.1f} s"
    )


def lsh_figures(threshold: float) -> None:
    """MinHash cost per text and LSH's recall just above the bar (128 permutations)."""
    from datasketch import MinHash, MinHashLSH

    from releasegate.isolation.matching import jaccard, shingle_sets

    rng = random.Random(3)
    words = vocabulary(rng)
    texts = normalize_many([sentence(rng, words, i % 2 == 0) for i in range(5000)])

    def sketch(text: str) -> MinHash:
        minhash = MinHash(num_perm=128, seed=1)
        minhash.update_batch([g.encode("utf-8") for g in trigrams(text)])
        return minhash

    cpu = time.process_time()
    for text in texts:
        sketch(text)
    per_text = (time.process_time() - cpu) / len(texts)
    print(f"MinHash (128 permutations, update_batch): {per_text * 1000:.2f} ms CPU a text", end="")
    print(f"; 2,000,000 texts: {per_text * 2e6:.0f} s")
    letters = "abcdefghijklmnopqrstuvwxyz "
    for bar in (0.5, threshold, 0.85):
        lsh = MinHashLSH(threshold=bar, num_perm=128)
        bases = ["".join(rng.choices(letters, k=60)) for _ in range(300)]
        for i, base in enumerate(bases):
            lsh.insert(i, sketch(base))
        near = proposed = 0
        for i, base in enumerate(bases):
            for edits in range(1, 12):
                chars = list(base)
                for _ in range(edits):
                    chars[rng.randrange(len(chars))] = rng.choice(letters)
                text = "".join(chars)
                if bar <= jaccard(*shingle_sets(normalize_many([base, text]))) < bar + 0.1:
                    near += 1
                    proposed += i in lsh.query(sketch(text))
        print(f"bar {bar}: LSH proposes {proposed / near:.0%} of {near} pairs in [bar, bar + 0.1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--stages", action="store_true", help="also time each stage alone")
    parser.add_argument("--lsh", action="store_true", help="MinHash LSH's cost and recall only")
    args = parser.parse_args()
    if args.lsh:
        lsh_figures(args.threshold)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train, golden, planted = generate(folder, args.rows, args.cases)
        size = train.stat().st_size / 1e6
        suites = discover_suites(golden, schemas_dir=folder)
        load = os.getloadavg()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        cpu = time.process_time()
        report = check_isolation(
            suites, [train], threshold=args.threshold, cache_dir=folder / "cache"
        )
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        again = time.perf_counter()
        cached = check_isolation(
            suites, [train], threshold=args.threshold, cache_dir=folder / "cache"
        )
        cached_s = time.perf_counter() - again
        if args.stages:
            stages(train, golden, args.threshold)
    found = report.leaked_cases("bench")
    print(f"training file: {args.rows} rows, {size:.0f} MB JSONL; golden: {args.cases} cases")
    print(f"load average before the run (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"isolation check: {wall:.1f} s wall, {cpu:.1f} s CPU, target 60 s")
    print(f"peak resident memory: {peak:.0f} MB (before the check: {before:.0f} MB)")
    print(f"re-run on the same data (cache): {cached_s * 1000:.0f} ms, cached={cached.cached}")
    wrong = verify(report, args.threshold)
    verdict = "ok" if set(planted) <= set(found) and not wrong else "MISMATCH"
    extra = sorted(set(found) - set(planted))
    print(f"planted cases {planted}: {'all found' if set(planted) <= set(found) else 'MISSED'}")
    print(f"also found (chance repeats, similarity checked with plain sets): {extra[:20]}")
    print(f"{len(report.leaks)} leaks reported, {len(wrong)} not confirmed {wrong[:5]}: {verdict}")


if __name__ == "__main__":
    main()
