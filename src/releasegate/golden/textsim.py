"""Similarity of an answer to its references: ROUGE, BLEU and chrF, by the libraries made for them.

ROUGE is rouge-score's algorithm (n-gram counts, the longest common subsequence, its F-measure and
its best-of-references rule) written out here, with
:func:`~releasegate.golden.normalize.cjk_tokens` as the tokenizer for every language (rouge-score's
own tokenizer drops CJK characters and scores Chinese 0): importing rouge-score imports nltk, which
imports scipy and scikit-learn, 1.5-2 s of CPU in every run with a ``rouge*`` metric, for about 40
lines of arithmetic. ``tests/golden/test_textsim.py`` holds it to rouge-score's own figures, float
for float. BLEU and chrF come from sacrebleu; BLEU uses sacrebleu's ``zh`` tokenizer for Chinese
and ``13a`` otherwise.

Scales are the libraries' own: ROUGE in [0, 1], BLEU and chrF in [0, 100]. Sentence-level scores
take the best reference (each reference is one acceptable answer); corpus-level scores are
sacrebleu's multi-reference corpus statistics. The libraries are imported on first use: importing
this module stays cheap.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from .normalize import cjk_tokens

if TYPE_CHECKING:
    from sacrebleu.metrics.bleu import BLEU
    from sacrebleu.metrics.chrf import CHRF

__all__ = [
    "ROUGE_TYPES",
    "bleu_from_statistics",
    "bleu_statistics",
    "bleu_tokenizer",
    "chrf_from_statistics",
    "chrf_statistics",
    "cjk_tokens",
    "corpus_bleu",
    "corpus_chrf",
    "rouge_scores",
    "sentence_bleu",
    "sentence_chrf",
]

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")

References = str | Sequence[str]
"""One reference, or several acceptable ones."""


@cache
def _bleu(tokenize: str, *, sentence: bool) -> BLEU:
    from sacrebleu.metrics.bleu import BLEU

    # effective_order: a short sentence without 4-grams must not score 0 for that alone.
    return BLEU(tokenize=tokenize, effective_order=sentence)


@cache
def _chrf() -> CHRF:
    from sacrebleu.metrics.chrf import CHRF

    return CHRF()


def bleu_tokenizer(language: str) -> str:
    """sacrebleu's tokenizer for *language*: ``zh`` for any Chinese (``zh-CN``...), else ``13a``."""
    return "zh" if language.lower().startswith("zh") else "13a"


def _as_list(references: References) -> list[str]:
    refs = [references] if isinstance(references, str) else list(references)
    if not refs:
        raise ValueError("at least one reference is needed")
    return refs


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _fmeasure(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def _rouge_n(target: Sequence[str], prediction: Sequence[str], n: int) -> float:
    """ROUGE-N F-measure: clipped n-gram overlap, as rouge-score's ``_score_ngrams``."""
    target_ngrams, prediction_ngrams = _ngrams(target, n), _ngrams(prediction, n)
    overlap = 0
    for ngram, count in target_ngrams.items():
        overlap += min(count, prediction_ngrams[ngram])
    precision = overlap / max(sum(prediction_ngrams.values()), 1)
    recall = overlap / max(sum(target_ngrams.values()), 1)
    return _fmeasure(precision, recall)


def _rouge_l(target: Sequence[str], prediction: Sequence[str]) -> float:
    """ROUGE-L F-measure from the longest common subsequence, as rouge-score's ``_score_lcs``
    (one row of its table at a time: the same lengths, less memory)."""
    if not target or not prediction:
        return 0.0
    previous = [0] * (len(prediction) + 1)
    for token in target:
        current = [0]
        for j, other in enumerate(prediction, start=1):
            current.append(
                previous[j - 1] + 1 if token == other else max(previous[j], current[j - 1])
            )
        previous = current
    lcs = previous[-1]
    return _fmeasure(lcs / len(prediction), lcs / len(target))


def rouge_scores(prediction: str, references: References, *, language: str) -> dict[str, float]:
    """ROUGE-1, ROUGE-2 and ROUGE-L F-measure of *prediction*, each the best over *references*
    (the first best, as rouge-score's ``score_multi``).

    *language* is accepted for symmetry with BLEU: the CJK-aware tokenizer suits every language.
    """
    del language
    predicted = cjk_tokens(prediction)
    per_reference = []
    for reference in _as_list(references):
        target = cjk_tokens(reference)
        per_reference.append(
            {
                "rouge1": _rouge_n(target, predicted, 1),
                "rouge2": _rouge_n(target, predicted, 2),
                "rougeL": _rouge_l(target, predicted),
            }
        )
    return {name: max(scores[name] for scores in per_reference) for name in ROUGE_TYPES}


def sentence_bleu(prediction: str, references: References, *, language: str) -> float:
    """Sentence BLEU (0-100, effective order) of *prediction* against its best reference."""
    bleu = _bleu(bleu_tokenizer(language), sentence=True)
    return max(float(bleu.sentence_score(prediction, [ref]).score) for ref in _as_list(references))


def sentence_chrf(prediction: str, references: References) -> float:
    """Sentence chrF (0-100) of *prediction* against its best reference."""
    chrf = _chrf()
    return max(float(chrf.sentence_score(prediction, [ref]).score) for ref in _as_list(references))


def _reference_streams(
    predictions: Sequence[str], references: Sequence[References]
) -> list[list[str]]:
    """sacrebleu wants one stream per reference position, all as long as *predictions*.

    Items with fewer references are padded with their first one, which changes nothing: BLEU clips
    n-gram counts by the maximum over references and chrF keeps the best reference.
    """
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} reference lists")
    per_item = [_as_list(refs) for refs in references]
    width = max((len(refs) for refs in per_item), default=1)
    padded = [refs + [refs[0]] * (width - len(refs)) for refs in per_item]
    return [[refs[i] for refs in padded] for i in range(width)]


def corpus_bleu(
    predictions: Sequence[str], references: Sequence[References], *, language: str
) -> float:
    """Corpus BLEU (0-100) of *predictions*, one reference list per item; 0.0 for no items."""
    if not predictions:
        return 0.0
    streams = _reference_streams(predictions, references)
    bleu = _bleu(bleu_tokenizer(language), sentence=False)
    return float(bleu.corpus_score(list(predictions), streams).score)


def corpus_chrf(predictions: Sequence[str], references: Sequence[References]) -> float:
    """Corpus chrF (0-100) of *predictions*, one reference list per item; 0.0 for no items."""
    if not predictions:
        return 0.0
    streams = _reference_streams(predictions, references)
    return float(_chrf().corpus_score(list(predictions), streams).score)


# Sufficient statistics: a corpus score is a function of per-sentence counts summed over the
# corpus (n-gram matches and totals, lengths), so a resample of sentences is a weighted sum of
# rows and a score from it; this is how sacrebleu's own paired bootstrap resamples.


def bleu_statistics(
    predictions: Sequence[str], references: Sequence[References], *, language: str
) -> np.ndarray:
    """sacrebleu's per-sentence BLEU statistics (hypothesis and reference length, then matches
    and totals per n-gram order): one row per item, summing to the corpus's."""
    streams = _reference_streams(predictions, references)
    bleu = _bleu(bleu_tokenizer(language), sentence=False)
    rows = bleu._extract_corpus_statistics(list(predictions), streams) if predictions else []
    return np.asarray(rows, dtype=float).reshape(len(predictions), -1)


def bleu_from_statistics(totals: np.ndarray, *, language: str) -> np.ndarray:
    """Corpus BLEU of each row of summed :func:`bleu_statistics`: sacrebleu's corpus formula
    (``exp`` smoothing, order 4, no effective order), one array operation per n-gram order over
    every row at once. Scoring resampled rows through sacrebleu one at a time cost seconds at
    100,000 cases; this equals its ``_compute_score_from_stats`` to 1e-9
    (``tests/golden/test_textsim_vectorised.py``)."""
    bleu = _bleu(bleu_tokenizer(language), sentence=False)
    order = bleu.max_ngram_order
    if bleu.smooth_method != "exp" or bleu.effective_order:
        raise ValueError("the vectorised BLEU follows sacrebleu's corpus settings only")
    totals = np.asarray(totals, dtype=np.float64).reshape(-1, 2 + 2 * order)
    hyp_len, ref_len = totals[:, 0], totals[:, 1]
    correct, total = totals[:, 2 : 2 + order], totals[:, 2 + order :]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        penalty = np.where(
            hyp_len < ref_len,
            np.where(hyp_len > 0, np.exp(1 - ref_len / np.where(hyp_len > 0, hyp_len, 1)), 0.0),
            1.0,
        )
        logs = np.zeros(len(totals))
        halvings = np.ones(len(totals))  # sacrebleu's smooth_mteval
        counted = np.ones(len(totals), dtype=bool)  # no order with 0 n-grams yet (its "break")
        for n in range(order):
            c, t = correct[:, n], total[:, n]
            counted &= t != 0
            halvings = np.where(counted & (c == 0), halvings * 2, halvings)
            safe_t = np.where(t != 0, t, 1.0)
            precision = np.where(c == 0, 100.0 / (halvings * safe_t), 100.0 * c / safe_t)
            # Orders after a "break" keep precision 0, which sacrebleu's my_log floors.
            logs = logs + np.where(counted, np.log(np.where(counted, precision, 1.0)), -9999999999)
        scores = penalty * np.exp(logs / order)
    return np.where(correct.any(axis=1), scores, 0.0)


def chrf_statistics(predictions: Sequence[str], references: Sequence[References]) -> np.ndarray:
    """sacrebleu's per-sentence chrF statistics (hypothesis, reference and matching n-grams per
    order; the best reference per sentence): one row per item, summing to the corpus's."""
    streams = _reference_streams(predictions, references)
    rows = _chrf()._extract_corpus_statistics(list(predictions), streams) if predictions else []
    return np.asarray(rows, dtype=float).reshape(len(predictions), -1)


def chrf_from_statistics(totals: np.ndarray) -> np.ndarray:
    """Corpus chrF of each row of summed :func:`chrf_statistics`: sacrebleu's formula (average
    precision and recall over the orders both sides have, then F-beta), one array operation per
    order over every row at once; equals its ``_compute_score_from_stats`` to 1e-9."""
    chrf = _chrf()
    if chrf.eps_smoothing:
        raise ValueError("the vectorised chrF follows sacrebleu's default (no eps smoothing)")
    orders = chrf.order
    factor = chrf.beta**2
    totals = np.asarray(totals, dtype=np.float64).reshape(-1, 3 * orders)
    sum_precision = np.zeros(len(totals))
    sum_recall = np.zeros(len(totals))
    effective = np.zeros(len(totals))
    for i in range(orders):
        hyp, ref, match = totals[:, 3 * i], totals[:, 3 * i + 1], totals[:, 3 * i + 2]
        both = (hyp > 0) & (ref > 0)
        sum_precision = sum_precision + np.where(both, match / np.where(both, hyp, 1.0), 0.0)
        sum_recall = sum_recall + np.where(both, match / np.where(both, ref, 1.0), 0.0)
        effective = effective + both
    some = effective > 0
    precision = np.where(some, sum_precision / np.where(some, effective, 1.0), 0.0)
    recall = np.where(some, sum_recall / np.where(some, effective, 1.0), 0.0)
    either = (precision + recall) != 0
    denominator = np.where(either, factor * precision + recall, 1.0)
    return np.where(either, 100 * ((1 + factor) * precision * recall / denominator), 0.0)
