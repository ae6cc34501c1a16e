"""How far a judge agrees with the reviewers, per criterion: the figures of a calibration.

Every figure is computed on plain data (review records and one judgment per reviewed answer),
so it can be checked by hand. Per criterion:

- Cohen's kappa, judge against reviewers: quadratic-weighted on an ordinal scale (a 4 against
  a 5 is a small disagreement, a 1 against a 5 a large one), unweighted on pass/fail, over the
  scale's full set of labels, as :mod:`releasegate.review.agreement` computes it between
  reviewers. The pairs are pooled: every (judge score, reviewer score) of an answer is one pair,
  so an answer two people reviewed gives two pairs (the judge is held to each of them).
- exact agreement: the share of those pairs with the same score;
- bias: the mean of judge minus reviewer over the pairs (positive: the judge is more lenient);
- 95 % intervals of kappa and bias by the bootstrap over ANSWERS (not pairs: the two pairs of
  one answer share its judge score, so they are not independent), seeded, so a calibration
  is repeatable;
- the human ceiling: the same kappa and exact agreement between reviewers, pooled over every
  two reviewers who scored the same answer (each pair ordered by reviewer name). None where no
  answer has two reviewers: then there is no ceiling to compare with.

A kappa is None when it is undefined: both sides gave one and the same label throughout, so
chance agreement is total and kappa is 0/0. A judgment the judge's output could not be parsed
into (unscored), or one that misses a criterion or scores off the scale, is left out and
counted; so are the reviews given while the reviewer saw the judge's scores (``saw_judge``:
anchoring would inflate the agreement being measured).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..review.records import ReviewRecord
from ..review.rubric import Rubric, Scale
from .types import Judgment

__all__ = [
    "DEFAULT_SAMPLES",
    "Agreement",
    "Calibration",
    "CriterionFigures",
    "calibrate",
    "kappa_from_confusion",
    "saw_judge",
]

DEFAULT_SAMPLES = 1000
"""Bootstrap resamples of the answers for each interval."""

_CONFIDENCE = 0.95

AnswerKey = tuple[str, str]
"""(case id, answer hash): one reviewed answer. The case is part of it: the same words answering
another question are another answer to judge."""


def saw_judge(record: ReviewRecord) -> bool:
    """Whether the reviewer scored with the judge's scores in view (an ``--show-judge`` sheet)."""
    return bool(record.extra.get("saw_judge", False))


@dataclass(frozen=True)
class Agreement:
    """Two sides' scores of one criterion: kappa, its interval, exact agreement."""

    kappa: float | None
    """None where undefined (one label throughout)."""
    kappa_interval: tuple[float, float] | None
    """95 % bootstrap interval over answers; None with fewer than two answers or no resample
    where kappa is defined."""
    exact: float
    pairs: int
    answers: int

    def to_json(self) -> dict[str, Any]:
        return {
            "kappa": self.kappa,
            "kappa_interval": list(self.kappa_interval) if self.kappa_interval else None,
            "exact": self.exact,
            "pairs": self.pairs,
            "answers": self.answers,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Agreement:
        interval = data.get("kappa_interval")
        kappa = data.get("kappa")
        return cls(
            kappa=None if kappa is None else float(kappa),
            kappa_interval=None if interval is None else (float(interval[0]), float(interval[1])),
            exact=float(data["exact"]),
            pairs=int(data["pairs"]),
            answers=int(data["answers"]),
        )


@dataclass(frozen=True)
class CriterionFigures:
    """One criterion: the judge against the reviewers, and the reviewers among themselves."""

    criterion: str
    judge: Agreement
    bias: float
    """Mean of judge minus reviewer over the pairs."""
    bias_interval: tuple[float, float] | None
    reviewers: Agreement | None
    """The human ceiling; None where no answer has two reviewers."""


@dataclass(frozen=True)
class Calibration:
    """A judge's figures on a suite's reviewed answers, under one rubric."""

    suite: str
    rubric_hash: str
    weights: str
    """``quadratic`` (ordinal scale) or ``none`` (pass/fail)."""
    answers: int
    """Reviewed answers the judge scored (the figures' sample)."""
    unscored: int
    """Reviewed answers whose judge output was unscored or off the scale: left out."""
    missing: int
    """Reviewed answers with no judgment given (their text was not found): left out."""
    saw_judge: int
    """Reviews left out because the reviewer saw the judge's scores."""
    samples: int
    seed: int
    criteria: tuple[CriterionFigures, ...]

    def criteria_json(self) -> dict[str, Any]:
        """Per criterion, the judge's figures (as the calibration file keeps them)."""
        return {
            c.criterion: {
                **c.judge.to_json(),
                "bias": c.bias,
                "bias_interval": list(c.bias_interval) if c.bias_interval else None,
                "weights": self.weights,
            }
            for c in self.criteria
        }

    def reviewers_json(self) -> dict[str, Any]:
        """Per criterion, the reviewers' own agreement (null where none is measurable)."""
        return {
            c.criterion: None if c.reviewers is None else c.reviewers.to_json()
            for c in self.criteria
        }


def calibrate(
    suite: str,
    records: Sequence[ReviewRecord],
    rubric: Rubric,
    judgments: Mapping[AnswerKey, Judgment],
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> Calibration:
    """The figures of the judge whose *judgments* (by case id and answer hash) scored the
    answers of *records* (reviews under *rubric*; others are not counted)."""
    usable = [r for r in records if r.rubric_hash == rubric.hash]
    seen = sum(1 for r in usable if saw_judge(r))
    reviews: dict[AnswerKey, dict[str, ReviewRecord]] = {}
    for record in usable:
        if not saw_judge(record):
            reviews.setdefault((record.case_id, record.answer_hash), {})[record.reviewer] = record
    unscored = missing = 0
    scored: list[tuple[Mapping[str, float], dict[str, ReviewRecord]]] = []
    for key in sorted(reviews):
        judgment = judgments.get(key)
        if judgment is None:
            missing += 1
        elif not _on_scale(judgment, rubric):
            unscored += 1
        else:
            assert judgment.scores is not None
            scored.append((judgment.scores, reviews[key]))
    figures = tuple(
        _criterion(name, scored, rubric.scale, samples=samples, seed=seed)
        for name in (c.name for c in rubric.criteria)
    )
    return Calibration(
        suite=suite,
        rubric_hash=rubric.hash,
        weights="none" if rubric.scale.pass_fail else "quadratic",
        answers=len(scored),
        unscored=unscored,
        missing=missing,
        saw_judge=seen,
        samples=samples,
        seed=seed,
        criteria=figures,
    )


def _on_scale(judgment: Judgment, rubric: Rubric) -> bool:
    if judgment.scores is None:
        return False
    return all(
        _label(judgment.scores.get(c.name), rubric.scale) is not None for c in rubric.criteria
    )


def _label(score: float | None, scale: Scale) -> int | None:
    """The score's index among the scale's labels, or None when it is not one of them."""
    if score is None or not float(score).is_integer() or not scale.low <= score <= scale.high:
        return None
    return int(score) - scale.low


def _weights(scale: Scale) -> np.ndarray:
    """Disagreement weights: quadratic on an ordinal scale, 0/1 on pass/fail."""
    size = scale.high - scale.low + 1
    index = np.arange(size)
    gap = index[:, None] - index[None, :]
    weights: np.ndarray = (gap != 0) if scale.pass_fail else gap**2
    return weights.astype(float)


def kappa_from_confusion(confusion: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Cohen's kappa of confusion matrices (``[..., first, second]`` counts): 1 - observed
    weighted disagreement / the disagreement expected from the two marginals. NaN where the
    expected disagreement is 0 (one label throughout). The same figure as scikit-learn's
    ``cohen_kappa_score`` on the pairs, for every resample at once."""
    total = confusion.sum(axis=(-2, -1))
    first = confusion.sum(axis=-1)
    second = confusion.sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = first[..., :, None] * second[..., None, :] / total[..., None, None]
        observed_cost = (weights * confusion).sum(axis=(-2, -1))
        expected_cost = (weights * expected).sum(axis=(-2, -1))
        kappa = 1.0 - observed_cost / expected_cost
    result: np.ndarray = np.where(expected_cost > 0, kappa, np.nan)
    return result


def _criterion(
    name: str,
    scored: Sequence[tuple[Mapping[str, float], Mapping[str, ReviewRecord]]],
    scale: Scale,
    *,
    samples: int,
    seed: int,
) -> CriterionFigures:
    judge_pairs = [
        [(judged[name], review.scores[name]) for review in by.values()] for judged, by in scored
    ]
    human_pairs = [
        [
            (by[a].scores[name], by[b].scores[name])
            for i, a in enumerate(sorted(by))
            for b in sorted(by)[i + 1 :]
        ]
        for _, by in scored
    ]
    human_pairs = [pairs for pairs in human_pairs if pairs]
    judge, resampled = _agreement(judge_pairs, scale, samples=samples, seed=seed)
    bias, bias_interval = _bias(judge_pairs, resampled)
    reviewers = None
    if human_pairs:
        reviewers, _ = _agreement(human_pairs, scale, samples=samples, seed=seed)
    return CriterionFigures(name, judge, bias, bias_interval, reviewers)


def _agreement(
    by_answer: Sequence[Sequence[tuple[float, float]]],
    scale: Scale,
    *,
    samples: int,
    seed: int,
) -> tuple[Agreement, np.ndarray | None]:
    """The agreement of the pooled pairs, and the answers' resample counts (samples x answers)
    it was bootstrapped on (None with fewer than two answers)."""
    from sklearn.metrics import cohen_kappa_score

    pairs = [pair for answer in by_answer for pair in answer]
    if not pairs:
        return Agreement(None, None, math.nan, 0, 0), None
    first = [a for a, _ in pairs]
    second = [b for _, b in pairs]
    kappa: float | None = None
    if len(set(first) | set(second)) >= 2:
        labels = [float(v) for v in range(scale.low, scale.high + 1)]
        weights = None if scale.pass_fail else "quadratic"
        value = float(cohen_kappa_score(first, second, labels=labels, weights=weights))
        kappa = None if math.isnan(value) else value
    exact = sum(a == b for a, b in pairs) / len(pairs)
    counts = None
    interval = None
    if len(by_answer) >= 2:
        counts = _resample_counts(len(by_answer), samples=samples, seed=seed)
        if kappa is not None:
            interval = _kappa_interval(by_answer, scale, counts)
    return Agreement(kappa, interval, exact, len(pairs), len(by_answer)), counts


def _resample_counts(answers: int, *, samples: int, seed: int) -> np.ndarray:
    """How often each answer is drawn in each resample (answers drawn with replacement)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(answers, np.full(answers, 1.0 / answers), size=samples)


def _kappa_interval(
    by_answer: Sequence[Sequence[tuple[float, float]]], scale: Scale, counts: np.ndarray
) -> tuple[float, float] | None:
    size = scale.high - scale.low + 1
    per_answer = np.zeros((len(by_answer), size, size))
    for i, answer in enumerate(by_answer):
        for a, b in answer:
            per_answer[i, int(a) - scale.low, int(b) - scale.low] += 1
    confusion = np.einsum("sa,akl->skl", counts, per_answer)
    kappas = kappa_from_confusion(confusion, _weights(scale))
    kappas = kappas[~np.isnan(kappas)]
    if kappas.size == 0:
        return None
    return _percentiles(kappas)


def _bias(
    by_answer: Sequence[Sequence[tuple[float, float]]], counts: np.ndarray | None
) -> tuple[float, tuple[float, float] | None]:
    sums = np.array([sum(a - b for a, b in answer) for answer in by_answer], dtype=float)
    sizes = np.array([len(answer) for answer in by_answer], dtype=float)
    if not sizes.sum():
        return math.nan, None
    bias = float(sums.sum() / sizes.sum())
    if counts is None:
        return bias, None
    return bias, _percentiles((counts @ sums) / (counts @ sizes))


def _percentiles(values: np.ndarray) -> tuple[float, float]:
    tail = (1 - _CONFIDENCE) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
