"""Agreement between reviewers of the same answers: Cohen's kappa, exact agreement, and the rows
to adjudicate.

Kappa is scikit-learn's ``cohen_kappa_score``, quadratic-weighted on an ordinal scale (a 4 against
a 5 is a small disagreement, a 1 against a 5 a large one) and unweighted on pass/fail. It is
computed for each pair of reviewers on the answers both scored, per criterion, over the scale's
full set of labels (so two reviewers who only used 4 and 5 are still weighed on 1-5).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from .records import ReviewRecord
from .rubric import Rubric

__all__ = ["Disagreement", "PairAgreement", "agreement", "disagreements"]


@dataclass(frozen=True)
class PairAgreement:
    """Two reviewers on one criterion."""

    suite: str
    criterion: str
    reviewers: tuple[str, str]
    items: int
    """Answers both scored."""
    kappa: float | None
    """None where undefined (both gave one and the same score throughout)."""
    exact: float
    """Share of those answers given the same score."""
    weights: str
    """``quadratic`` or ``none``."""


@dataclass(frozen=True)
class Disagreement:
    """An answer whose reviewers differ by the adjudication gap or more on a criterion."""

    suite: str
    case_id: str
    answer_hash: str
    criterion: str
    scores: tuple[tuple[str, float], ...]
    """(reviewer, score), by reviewer."""
    comments: tuple[tuple[str, str], ...]


def _by_answer(
    records: Sequence[ReviewRecord], rubric: Rubric
) -> dict[tuple[str, str], dict[str, ReviewRecord]]:
    grouped: dict[tuple[str, str], dict[str, ReviewRecord]] = {}
    for record in records:
        if record.rubric_hash == rubric.hash:
            grouped.setdefault((record.case_id, record.answer_hash), {})[record.reviewer] = record
    return grouped


def agreement(suite: str, records: Sequence[ReviewRecord], rubric: Rubric) -> list[PairAgreement]:
    """Kappa and exact agreement per criterion and pair of reviewers who share answers."""
    from sklearn.metrics import cohen_kappa_score

    grouped = _by_answer(records, rubric)
    reviewers = sorted({name for by in grouped.values() for name in by})
    scale = rubric.scale
    weights = None if scale.pass_fail else "quadratic"
    labels = [float(v) for v in range(scale.low, scale.high + 1)]
    out = []
    for a, b in itertools.combinations(reviewers, 2):
        shared = [by for by in grouped.values() if a in by and b in by]
        if not shared:
            continue
        for criterion in rubric.criteria:
            first = [by[a].scores[criterion.name] for by in shared]
            second = [by[b].scores[criterion.name] for by in shared]
            exact = sum(x == y for x, y in zip(first, second, strict=True)) / len(shared)
            kappa: float | None
            if len(set(first) | set(second)) < 2:
                kappa = None  # one label throughout: chance agreement is total, kappa is 0/0
            else:
                value = float(cohen_kappa_score(first, second, labels=labels, weights=weights))
                kappa = None if math.isnan(value) else value
            out.append(
                PairAgreement(
                    suite, criterion.name, (a, b), len(shared), kappa, exact, weights or "none"
                )
            )
    return out


def disagreements(
    suite: str, records: Sequence[ReviewRecord], rubric: Rubric, *, gap: float = 2.0
) -> list[Disagreement]:
    """Answers whose reviewers' scores of a criterion span *gap* points or more (any difference
    on pass/fail), in case order."""
    if rubric.scale.pass_fail:
        gap = 1.0
    out = []
    for (case_id, digest), by in sorted(_by_answer(records, rubric).items()):
        if len(by) < 2:
            continue
        for criterion in rubric.criteria:
            scores = sorted((name, r.scores[criterion.name]) for name, r in by.items())
            values = [s for _, s in scores]
            if max(values) - min(values) >= gap:
                comments = tuple(sorted((n, r.comment) for n, r in by.items() if r.comment))
                out.append(
                    Disagreement(suite, case_id, digest, criterion.name, tuple(scores), comments)
                )
    return out
