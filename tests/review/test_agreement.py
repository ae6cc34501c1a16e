"""Agreement between two scripted reviewers whose kappa is known by hand."""

from __future__ import annotations

import pytest

from releasegate.review.agreement import agreement, disagreements
from releasegate.review.records import ReviewRecord
from releasegate.review.rubric import Criterion, Rubric, Scale

ORDINAL = Rubric(criteria=(Criterion("overall"),))
PASS_FAIL = Rubric(criteria=(Criterion("overall"),), scale=Scale(0, 1, pass_fail=True), pass_mark=1)


def reviews(rubric: Rubric, reviewer: str, scores: list[float]) -> list[ReviewRecord]:
    return [
        ReviewRecord("s", f"c{i}", f"h{i}", rubric.hash, {"overall": score}, reviewer)
        for i, score in enumerate(scores)
    ]


def kappa(rubric: Rubric, a: list[float], b: list[float]) -> tuple[float | None, float]:
    (pair,) = agreement("s", reviews(rubric, "A", a) + reviews(rubric, "B", b), rubric)
    return pair.kappa, pair.exact


def test_quadratic_kappa_on_known_answers() -> None:
    # Same scores: 1. Scores independent of each other (every pair of 1 and 5 once): the
    # observed table equals the product of the margins, so 0. Fully reversed on 1 and 5:
    # observed weighted disagreement 1, expected 0.5, so 1 - 1/0.5 = -1.
    assert kappa(ORDINAL, [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]) == (pytest.approx(1.0), 1.0)
    assert kappa(ORDINAL, [1, 1, 5, 5], [1, 5, 1, 5]) == (pytest.approx(0.0), 0.5)
    assert kappa(ORDINAL, [1, 5], [5, 1]) == (pytest.approx(-1.0), 0.0)


def test_quadratic_weights_count_near_misses_as_near() -> None:
    close, _ = kappa(ORDINAL, [1, 2, 3, 4, 5], [2, 2, 3, 4, 4])
    far, _ = kappa(ORDINAL, [1, 2, 3, 4, 5], [5, 2, 3, 4, 1])
    assert close is not None and far is not None and close > 0.8 > far


def test_pass_fail_kappa_is_unweighted() -> None:
    # Agreement 3 of 4; chance agreement 0.5 * 0.25 + 0.5 * 0.75 = 0.5; (0.75 - 0.5) / 0.5.
    value, exact = kappa(PASS_FAIL, [1, 1, 0, 0], [1, 0, 0, 0])
    assert value == pytest.approx(0.5) and exact == 0.75


def test_kappa_is_undefined_when_one_score_is_given_throughout() -> None:
    assert kappa(ORDINAL, [4, 4, 4], [4, 4, 4]) == (None, 1.0)


def test_disagreements_list_rows_two_points_apart() -> None:
    records = reviews(ORDINAL, "A", [5, 4, 1]) + reviews(ORDINAL, "B", [4, 2, 1])
    (row,) = disagreements("s", records, ORDINAL)
    assert (row.case_id, row.scores) == ("c1", (("A", 4.0), ("B", 2.0)))
    records = reviews(PASS_FAIL, "A", [1, 0]) + reviews(PASS_FAIL, "B", [0, 0])
    assert [r.case_id for r in disagreements("s", records, PASS_FAIL)] == ["c0"]
