"""A case's human verdict: what reviewers said of its exact answer.

The engine looks it up (:func:`suite_human_verdict`) and hands it to
:func:`releasegate.gate.judging.judge`, which joins it to the check's verdict, so a case test fails
when reviewers scored its answer below the pass mark (a regression when the baseline's answer
passed review). Looked up by case id + answer hash + rubric hash: a re-run from cached answers
judges newly imported scores without the model, and a changed answer is pending again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..core.records import HumanRecord
from ..gate.baselines import CaseBaseline
from ..golden.suites import Suite
from .records import ReviewRecord
from .rubric import Rubric
from .store import ReviewStore

__all__ = [
    "baseline_reviewed",
    "case_score",
    "export_command",
    "human_verdict",
    "review_passed",
    "suite_human_verdict",
]


def export_command(suite: str) -> str:
    return f"releasegate review export --suite {suite}"


def case_score(reviews: Sequence[ReviewRecord], criterion: str | None = None) -> float:
    """Mean over reviewers of their overall score (or of one criterion)."""
    values = [r.scores[criterion] if criterion else r.overall for r in reviews]
    return math.fsum(values) / len(values)


def review_passed(
    suite: str, rubric: Rubric, case_id: str, answer: str, store: ReviewStore
) -> bool | None:
    """Whether reviewers passed this exact *answer* (None: no review of it)."""
    reviews = store.reviews_of(suite, case_id, answer, rubric.hash)
    return case_score(reviews) >= rubric.pass_mark if reviews else None


def baseline_reviewed(
    suite: Suite, case_id: str, before: CaseBaseline | None, store: ReviewStore
) -> bool | None:
    """Whether reviewers passed the baseline's answer to case *case_id* (None: no baseline, no
    ``review:`` rubric, or no review of that answer): what the known-failure rule
    (:func:`releasegate.gate.judging.known_failure`) needs of the review memory."""
    if before is None or suite.review is None:
        return None
    return review_passed(suite.name, suite.review, case_id, before.answer, store)


def suite_human_verdict(
    suite: Suite, case_id: str, answer: str, store: ReviewStore, before: CaseBaseline | None
) -> HumanRecord | None:
    """The reviewers' verdict on *answer* where *suite* has a ``review:`` rubric (None
    otherwise): what :func:`releasegate.gate.judging.judge` is handed as ``human``."""
    if suite.review is None:
        return None
    return human_verdict(suite.name, suite.review, case_id, answer, store, before)


def human_verdict(
    suite: str,
    rubric: Rubric,
    case_id: str,
    answer: str,
    store: ReviewStore,
    before: CaseBaseline | None,
) -> HumanRecord:
    """The reviewers' verdict on *answer* to case *case_id* under *rubric* (pending when no
    review of these exact characters exists); *before*: the case in the baseline, whose answer's
    review (if any) makes a failure here a regression or a known failure."""
    baseline_passed = None
    if before is not None:
        baseline_passed = review_passed(suite, rubric, case_id, before.answer, store)
    reviews = store.reviews_of(suite, case_id, answer, rubric.hash)
    if not reviews:
        message = (
            f"awaiting human review (review: pending: {rubric.pending}); export it with: "
            + export_command(suite)
        )
        return HumanRecord(
            passed=rubric.pending == "skip",
            pending=True,
            score=None,
            reviewers=(),
            message=message,
            baseline_passed=baseline_passed,
        )
    score = case_score(reviews)
    reviewers = tuple(sorted({r.reviewer for r in reviews}))
    passed = score >= rubric.pass_mark
    each = ", ".join(f"{r.reviewer} {r.overall:.3g}" for r in reviews)
    comments = "; ".join(f"{r.reviewer}: {r.comment}" for r in reviews if r.comment)
    message = (
        f"reviewers scored {score:.3g} on {rubric.scale.text} ({each}), "
        + ("at or above" if passed else "below")
        + f" the pass mark {rubric.pass_mark:g}"
        + (f"; {comments}" if comments else "")
    )
    if not passed and baseline_passed:
        message += " (the baseline's answer passed review)"
    elif not passed and baseline_passed is False:
        message += " (the baseline's answer failed review too)"
    return HumanRecord(
        passed=passed,
        pending=False,
        score=score,
        reviewers=reviewers,
        message=message,
        baseline_passed=baseline_passed,
    )
