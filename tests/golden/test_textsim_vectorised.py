"""The vectorised corpus BLEU and chrF (scores of many rows of summed sentence statistics at
once) against sacrebleu itself, on generated English and Chinese sentence pairs: single
sentences (short ones without 4-grams, ones sharing nothing with their reference), resampled
sums of them, and the whole corpus."""

from __future__ import annotations

import random

import numpy as np
import pytest

from releasegate.golden.textsim import (
    _bleu,
    _chrf,
    bleu_from_statistics,
    bleu_statistics,
    bleu_tokenizer,
    chrf_from_statistics,
    chrf_statistics,
    corpus_bleu,
    corpus_chrf,
)

SENTENCE = (
    "the parcel ships in three to five days and your refund reaches you soon after we "
    "receive the returned item , please keep the receipt !"
)
ENGLISH = SENTENCE.split()
CHINESE = list("您的包裹将在三到五天内发货退款会在我们收到退回商品后尽快到账请保留收据谢谢")


def pairs(words: list[str], joiner: str, count: int, seed: int) -> tuple[list[str], list[str]]:
    """*count* (answer, reference) pairs: references of 1-15 units; answers that copy, edit,
    shorten, lengthen or replace them (some share nothing, some are a single unit)."""
    rng = random.Random(seed)
    answers, references = [], []
    for _ in range(count):
        ref = rng.choices(words, k=rng.randint(1, 15))
        kind = rng.random()
        if kind < 0.1:
            answer = ["zzz"] if joiner == " " else ["鑫"]
        elif kind < 0.2:
            answer = ref[: rng.randint(1, 3)]
        elif kind < 0.3:
            answer = ref + rng.choices(words, k=rng.randint(1, 6))
        else:
            answer = [w if rng.random() < 0.7 else rng.choice(words) for w in ref]
        answers.append(joiner.join(answer))
        references.append(joiner.join(ref))
    return answers, references


def sacrebleu_bleu(rows: np.ndarray, language: str) -> np.ndarray:
    bleu = _bleu(bleu_tokenizer(language), sentence=False)
    return np.array([bleu._compute_score_from_stats(row).score for row in rows.tolist()])


def sacrebleu_chrf(rows: np.ndarray) -> np.ndarray:
    return np.array([_chrf()._compute_score_from_stats(row).score for row in rows.tolist()])


def resampled_sums(counts: np.ndarray, seed: int) -> np.ndarray:
    """Single rows, 200 bootstrap resamples and 50 small subsets (2-4 sentences) of *counts*."""
    rng = np.random.default_rng(seed)
    n = len(counts)
    weights = [np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(200)]
    for _ in range(50):
        subset = np.zeros(n)
        subset[rng.choice(n, size=rng.integers(2, 5), replace=False)] = 1
        weights.append(subset)
    return np.vstack([counts, np.array(weights, dtype=float) @ counts])


@pytest.mark.parametrize(
    ("words", "joiner", "language"),
    [(ENGLISH, " ", "en"), (CHINESE, "", "zh"), (CHINESE, " ", "zh-CN")],
    ids=["english", "chinese", "chinese-spaced"],
)
def test_vectorised_bleu_and_chrf_equal_sacrebleu(
    words: list[str], joiner: str, language: str
) -> None:
    answers, references = pairs(words, joiner, 300, seed=len(joiner) + len(language))
    assert bleu_tokenizer(language) == ("zh" if language.startswith("zh") else "13a")
    bleu_counts = bleu_statistics(answers, references, language=language)
    bleu_rows = resampled_sums(bleu_counts, seed=1)
    expected_bleu = sacrebleu_bleu(bleu_rows, language)
    # The rows cover sacrebleu's branches: no match at all, a missing n-gram order, smoothing.
    assert (expected_bleu == 0).any() and (expected_bleu > 0).any()
    assert (bleu_rows[:, 2:6] == 0).any() and (bleu_rows[:, 6:10] == 0).any()
    np.testing.assert_allclose(
        bleu_from_statistics(bleu_rows, language=language), expected_bleu, rtol=0, atol=1e-9
    )
    chrf_counts = chrf_statistics(answers, references)
    chrf_rows = resampled_sums(chrf_counts, seed=2)
    expected_chrf = sacrebleu_chrf(chrf_rows)
    assert (expected_chrf == 0).any() and (expected_chrf > 0).any()
    np.testing.assert_allclose(chrf_from_statistics(chrf_rows), expected_chrf, rtol=0, atol=1e-9)
    # The whole corpus, summed, is sacrebleu's corpus score.
    whole_bleu = bleu_from_statistics(bleu_counts.sum(axis=0, keepdims=True), language=language)
    assert whole_bleu[0] == pytest.approx(
        corpus_bleu(answers, references, language=language), abs=1e-9
    )
    whole_chrf = chrf_from_statistics(chrf_counts.sum(axis=0, keepdims=True))
    assert whole_chrf[0] == pytest.approx(corpus_chrf(answers, references), abs=1e-9)
