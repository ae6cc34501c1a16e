"""ROUGE written out in ``golden/textsim.py`` against rouge-score itself (its ``RougeScorer``
with the same CJK-aware tokenizer): the same F-measures, float for float, on generated English
and Chinese pairs with one or several references, and on every expected answer of the demo
suites scored against the other answers of its suite."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from rouge_score.rouge_scorer import RougeScorer

from releasegate.golden.normalize import cjk_tokens
from releasegate.golden.textsim import ROUGE_TYPES, rouge_scores

ROOT = Path(__file__).resolve().parents[2]
SENTENCE = "the parcel ships in three to five days and your refund reaches you soon , ok !"
ENGLISH = SENTENCE.split(" ")
CHINESE = list("您的包裹将在三到五天内发货退款会在我们收到退回商品后尽快到账")


class _CJKTokenizer:
    def tokenize(self, text: str) -> list[str]:
        return cjk_tokens(text)


SCORER = RougeScorer(list(ROUGE_TYPES), tokenizer=_CJKTokenizer())


def reference_scores(prediction: str, references: list[str]) -> dict[str, float]:
    scores = SCORER.score_multi(references, prediction)
    return {name: float(scores[name].fmeasure) for name in ROUGE_TYPES}


def sentence(rng: random.Random, words: list[str], joiner: str) -> str:
    # repeated words and empty texts are where counting and the LCS differ most
    return joiner.join(rng.choice(words) for _ in range(rng.randint(0, 12)))


@pytest.mark.parametrize(
    ("words", "joiner"), [(ENGLISH, " "), (CHINESE, ""), (ENGLISH, "\uff0c")]
)  # a full-width comma
def test_rouge_matches_rouge_score_on_generated_texts(words: list[str], joiner: str) -> None:
    rng = random.Random(7)
    for _ in range(400):
        prediction = sentence(rng, words, joiner)
        references = [sentence(rng, words, joiner) for _ in range(rng.randint(1, 3))]
        assert rouge_scores(prediction, references, language="en") == reference_scores(
            prediction, references
        ), (prediction, references)


def demo_texts(path: Path) -> list[str]:
    """Every input and expected answer of a demo case file, in file order."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows: list[dict[str, object]] = list(csv.DictReader(handle))
    else:
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    texts: list[str] = []
    for row in rows:
        for value in (row.get("input"), row.get("expected")):
            items = value if isinstance(value, list) else [value]
            texts.extend(item for item in items if isinstance(item, str))
    return texts


@pytest.mark.parametrize("name", ["shop_faq.jsonl", "address.jsonl", "cs_zh.csv"])
def test_rouge_matches_rouge_score_on_the_demo_suites(name: str) -> None:
    texts = demo_texts(ROOT / "fixtures" / "golden" / name)
    assert len(texts) > 20
    for i, text in enumerate(texts):
        others = texts[i + 1 : i + 4] or [text]
        assert rouge_scores(text, others, language="zh") == reference_scores(text, others)
