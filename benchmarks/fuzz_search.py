# ruff: noqa: RUF001  (the Chinese shop question uses full-width punctuation, as Chinese does)
"""What ``releasegate fuzz`` costs beside the model: the search itself (hypothesis drawing,
applying and shrinking candidates, checking each answer), with a model that answers at once.

A model call is what a search spends its time on (70-95 s each for the default model on a busy
2-core CPU, seconds on a GPU or an endpoint); this measures everything else, so that the
budget (``--max-calls``) is what bounds a search's time. For each of an English and a Chinese
shop question it times, in wall seconds, three searches over all nine perturbations (3 steps at
most), each in a fresh cache folder:

- ``found``: the answer breaks when the question has an invisible character or a typo'd word
  (English) or a changed character (Chinese): the search finds a failure and shrinks it;
- ``nothing``: nothing breaks it and the budget is large: the search runs to its end
  (hypothesis' 1,000 examples);
- ``budget``: nothing breaks it and the budget is 20 calls: the search stops when it is spent;

and ``replay``: the ``found`` search again in the same cache folder (the database replays the
saved failure first). Every figure is the best of ``--repeat``.

    python benchmarks/fuzz_search.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import releasegate
from releasegate.golden.cases import GoldenCase
from releasegate.golden.suites import Suite, load_suite
from releasegate.robustness.fuzz import Answer, FuzzResult, fuzz_case
from releasegate.robustness.noise import ZERO_WIDTH

SCHEMAS = Path(releasegate.__file__).resolve().parents[2] / "fixtures" / "schemas"
QUESTIONS = {
    "en": "How do I return the kettle I bought last week?",
    "zh": "我买的电水壶怎么退货？",
}


class InstantModel:
    """Answers "refund" / "退款" unless the question is broken by :attr:`breaks`, and keeps its
    answers as the prediction cache does (a question asked again is ``cached``)."""

    def __init__(self, question: str, breaks: Callable[[str, str], bool]) -> None:
        self.question = question
        self.breaks = breaks
        self.store: dict[str, str] = {}

    def __call__(self, cases: Sequence[GoldenCase]) -> dict[str, Answer]:
        out = {}
        for case in cases:
            text = case.input if isinstance(case.input, str) else ""
            cached = text in self.store
            if not cached:
                self.store[text] = "?" if self.breaks(self.question, text) else "refund 退款"
            out[case.key] = Answer(self.store[text], cached=cached)
        return out


def breaks_when_changed(original: str, text: str) -> bool:
    """An invisible character, a new Latin word, or a changed Chinese character breaks it."""
    if any(char in text for char in ZERO_WIDTH):
        return True
    words = set(re.findall(r"[a-z]+", original.lower()))
    if not set(re.findall(r"[a-z]+", text.lower())) <= words:
        return True
    chinese = re.compile(r"[\u4e00-\u9fff]")
    return chinese.findall(text) != chinese.findall(original)


def suite_of(folder: Path, language: str) -> Suite:
    import json

    (folder / "bench.jsonl").write_text(
        json.dumps({"id": "q", "input": QUESTIONS[language], "expected": "refund"}) + "\n",
        encoding="utf-8",
    )
    (folder / "bench.yaml").write_text(
        f"name: bench\ncases: bench.jsonl\ncheck: contains\nlanguage: {language}\n",
        encoding="utf-8",
    )
    return load_suite(folder / "bench.yaml", schemas_dir=SCHEMAS)


def timed(search: Callable[[], FuzzResult]) -> tuple[float, FuzzResult]:
    started = time.perf_counter()
    result = search()
    return time.perf_counter() - started, result


def measure(language: str, repeat: int) -> dict[str, tuple[float, FuzzResult]]:
    best: dict[str, tuple[float, FuzzResult]] = {}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            suite = suite_of(folder, language)
            case = suite.case("q")
            model = InstantModel(QUESTIONS[language], breaks_when_changed)
            never = InstantModel(QUESTIONS[language], lambda original, text: False)

            def search(
                answerer: InstantModel,
                cache: str,
                max_calls: int,
                suite: Suite = suite,
                case: GoldenCase = case,
                folder: Path = folder,
            ) -> Callable[[], FuzzResult]:
                return lambda: fuzz_case(
                    suite, case, answerer, cache_dir=folder / cache, max_calls=max_calls
                )

            runs = {
                "found": search(model, "a", 1000),
                "replay": search(model, "a", 1000),
                "nothing": search(never, "b", 100_000),
                "budget": search(InstantModel(QUESTIONS[language], lambda o, t: False), "c", 20),
            }
            for name, run in runs.items():
                seconds, result = timed(run)
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, result)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for language in QUESTIONS:
        for name, (seconds, result) in measure(language, args.repeat).items():
            found = "-" if result.found is None else f"{len(result.found.steps)} step(s)"
            print(
                f"{language} {name:8s} {seconds:6.2f} s  found {found:10s} calls {result.calls:5d}"
                f"  cached {result.cached:5d}  variants {result.variants:5d}"
                f"  exhausted {result.exhausted}  replayed {result.replayed}"
            )


if __name__ == "__main__":
    main()
