"""A calibration's figures on review records and judgments written here, checked against the
formulas written out by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from releasegate.judge.figures import calibrate, kappa_from_confusion
from releasegate.judge.types import Judgment
from releasegate.review.records import ReviewRecord
from releasegate.review.rubric import Criterion, Rubric, Scale

ORDINAL = Rubric(criteria=(Criterion("correct"), Criterion("tone")))
PASS_FAIL = Rubric(criteria=(Criterion("overall"),), scale=Scale(0, 1, pass_fail=True), pass_mark=1)


def hand_kappa(pairs: list[tuple[float, float]], low: int, high: int, *, quadratic: bool) -> float:
    """Cohen's kappa written out: with K labels, O[i][j] the share of pairs scored (i, j),
    E[i][j] = (share of first scores i) * (share of second scores j), and the disagreement
    weight w[i][j] = (i - j)^2 / (K - 1)^2 (quadratic) or 1 where i != j (unweighted),
    kappa = 1 - sum(w * O) / sum(w * E)."""
    labels = list(range(low, high + 1))
    n = len(pairs)
    observed = (
        sum(
            _w(a - low, b - low, len(labels), quadratic)
            for a, b in ((int(x), int(y)) for x, y in pairs)
        )
        / n
    )
    first = {label: sum(1 for a, _ in pairs if a == label) / n for label in labels}
    second = {label: sum(1 for _, b in pairs if b == label) / n for label in labels}
    expected = sum(
        _w(i - low, j - low, len(labels), quadratic) * first[i] * second[j]
        for i, j in itertools.product(labels, labels)
    )
    return 1 - observed / expected


def _w(i: int, j: int, k: int, quadratic: bool) -> float:
    return (i - j) ** 2 / (k - 1) ** 2 if quadratic else float(i != j)


def review(
    rubric: Rubric, case: int, reviewer: str, scores: dict[str, float], **extra: object
) -> ReviewRecord:
    return ReviewRecord(
        "shop", f"c{case}", f"h{case}", rubric.hash, scores, reviewer, extra=dict(extra)
    )


def judged(scores: dict[str, float] | None) -> Judgment:
    return Judgment(scores, "because", "raw output")


def test_quadratic_kappa_exact_and_bias_match_the_hand_computation() -> None:
    judge = [5, 4, 3, 2, 1, 4, 5, 2]
    human = [5, 5, 3, 1, 1, 3, 4, 2]
    records = [review(ORDINAL, i, "ann", {"correct": h, "tone": 3}) for i, h in enumerate(human)]
    judgments = {(f"c{i}", f"h{i}"): judged({"correct": j, "tone": 3}) for i, j in enumerate(judge)}
    result = calibrate("shop", records, ORDINAL, judgments)
    correct, tone = result.criteria
    pairs = list(zip(judge, human, strict=True))
    assert correct.judge.kappa == pytest.approx(hand_kappa(pairs, 1, 5, quadratic=True))
    assert correct.judge.exact == pytest.approx(4 / 8)
    assert correct.bias == pytest.approx((0 - 1 + 0 + 1 + 0 + 1 + 1 + 0) / 8)
    assert (correct.judge.pairs, correct.judge.answers, result.answers) == (8, 8, 8)
    assert result.weights == "quadratic"
    # Both sides said 3 throughout on tone: kappa is 0/0, said as None (not 1, not 0).
    assert tone.judge.kappa is None and tone.judge.kappa_interval is None
    assert tone.judge.exact == 1.0
    # One reviewer per answer: no human ceiling.
    assert correct.reviewers is None


def test_the_intervals_hold_the_estimate_and_repeat_with_the_seed() -> None:
    rng = np.random.default_rng(7)
    human = rng.integers(1, 6, size=60)
    judge = np.clip(human + rng.integers(-1, 2, size=60), 1, 5)
    records = [review(ORDINAL, i, "ann", {"correct": h, "tone": h}) for i, h in enumerate(human)]
    judgments = {
        (f"c{i}", f"h{i}"): judged({"correct": float(j), "tone": float(j)})
        for i, j in enumerate(judge)
    }
    first = calibrate("shop", records, ORDINAL, judgments, samples=500, seed=3)
    again = calibrate("shop", records, ORDINAL, judgments, samples=500, seed=3)
    other = calibrate("shop", records, ORDINAL, judgments, samples=500, seed=4)
    figures = first.criteria[0]
    assert figures.judge.kappa is not None and figures.judge.kappa_interval is not None
    low, high = figures.judge.kappa_interval
    assert low < figures.judge.kappa < high < 1.0
    assert figures.bias_interval is not None
    assert figures.bias_interval[0] < figures.bias < figures.bias_interval[1]
    assert first == again
    assert other.criteria[0].judge.kappa_interval != figures.judge.kappa_interval


def test_the_resampled_kappa_is_scikit_learns_kappa() -> None:
    rng = np.random.default_rng(0)
    for quadratic in (True, False):
        first = rng.integers(0, 5, size=40)
        second = rng.integers(0, 5, size=40)
        confusion = np.zeros((5, 5))
        np.add.at(confusion, (first, second), 1)
        index = np.arange(5)
        gap = index[:, None] - index[None, :]
        weights = (gap**2).astype(float) if quadratic else (gap != 0).astype(float)
        expected = cohen_kappa_score(
            first, second, labels=list(range(5)), weights="quadratic" if quadratic else None
        )
        assert float(kappa_from_confusion(confusion, weights)) == pytest.approx(expected)
    assert np.isnan(kappa_from_confusion(np.diag([0.0, 3.0, 0.0]), 1 - np.eye(3)))


def test_pass_fail_kappa_is_unweighted() -> None:
    judge, human = [1, 1, 0, 0], [1, 0, 0, 0]
    records = [review(PASS_FAIL, i, "ann", {"overall": h}) for i, h in enumerate(human)]
    judgments = {(f"c{i}", f"h{i}"): judged({"overall": j}) for i, j in enumerate(judge)}
    result = calibrate("shop", records, PASS_FAIL, judgments)
    (figures,) = result.criteria
    # Agreement 3 of 4; chance 0.5 * 0.75 + 0.5 * 0.25 = 0.5; (0.75 - 0.5) / 0.5 = 0.5.
    assert figures.judge.kappa == pytest.approx(0.5)
    assert figures.judge.kappa == pytest.approx(
        hand_kappa(list(zip(judge, human, strict=True)), 0, 1, quadratic=False)
    )
    assert figures.judge.exact == 0.75 and figures.bias == pytest.approx(0.25)
    assert result.weights == "none"


def test_two_reviewers_give_two_pairs_and_the_human_ceiling() -> None:
    ann = [5, 4, 2, 1, 3]
    bob = [4, 4, 1, 1, 5]
    judge = [5, 3, 2, 2, 4]
    records = [
        review(ORDINAL, i, name, {"correct": s, "tone": s})
        for name, scores in (("ann", ann), ("bob", bob))
        for i, s in enumerate(scores)
    ]
    # A sixth answer only ann reviewed: one pair for the judge, none for the ceiling.
    records.append(review(ORDINAL, 5, "ann", {"correct": 4, "tone": 4}))
    judgments = {(f"c{i}", f"h{i}"): judged({"correct": j, "tone": j}) for i, j in enumerate(judge)}
    judgments[("c5", "h5")] = judged({"correct": 4, "tone": 4})
    figures = calibrate("shop", records, ORDINAL, judgments).criteria[0]
    pairs = (
        [(j, a) for j, a in zip(judge, ann, strict=True)]
        + [(j, b) for j, b in zip(judge, bob, strict=True)]
        + [(4, 4)]
    )
    assert (figures.judge.pairs, figures.judge.answers) == (11, 6)
    assert figures.judge.kappa == pytest.approx(hand_kappa(pairs, 1, 5, quadratic=True))
    assert figures.judge.exact == pytest.approx(sum(a == b for a, b in pairs) / 11)
    assert figures.bias == pytest.approx(sum(a - b for a, b in pairs) / 11)
    assert figures.reviewers is not None
    human = list(zip(ann, bob, strict=True))
    assert (figures.reviewers.pairs, figures.reviewers.answers) == (5, 5)
    assert figures.reviewers.kappa == pytest.approx(hand_kappa(human, 1, 5, quadratic=True))
    assert figures.reviewers.exact == pytest.approx(2 / 5)


def test_unscored_missing_anchored_and_other_rubric_reviews_are_left_out_and_counted() -> None:
    other = Rubric(criteria=(Criterion("overall"),))
    records = [
        review(ORDINAL, 0, "ann", {"correct": 5, "tone": 5}),
        review(ORDINAL, 1, "ann", {"correct": 1, "tone": 1}),
        review(ORDINAL, 2, "ann", {"correct": 3, "tone": 3}),  # unscored judge output
        review(ORDINAL, 3, "ann", {"correct": 3, "tone": 3}),  # judge scored off the scale
        review(ORDINAL, 4, "ann", {"correct": 3, "tone": 3}),  # no judgment (text not found)
        review(ORDINAL, 5, "ann", {"correct": 1, "tone": 1}, saw_judge=True),
        review(other, 6, "ann", {"overall": 1}),
    ]
    judgments = {
        ("c0", "h0"): judged({"correct": 5, "tone": 5}),
        ("c1", "h1"): judged({"correct": 1, "tone": 1}),
        ("c2", "h2"): judged(None),
        ("c3", "h3"): judged({"correct": 3.5, "tone": 3}),
        ("c5", "h5"): judged({"correct": 5, "tone": 5}),
        ("c6", "h6"): judged({"correct": 5, "tone": 5}),
    }
    result = calibrate("shop", records, ORDINAL, judgments)
    assert (result.answers, result.unscored, result.missing, result.saw_judge) == (2, 2, 1, 1)
    # Only the two clean answers count, and they agree perfectly.
    assert result.criteria[0].judge.kappa == pytest.approx(1.0)
    assert result.criteria[0].judge.pairs == 2


def test_no_usable_answer_gives_no_figures_rather_than_perfect_ones() -> None:
    records = [review(ORDINAL, 0, "ann", {"correct": 5, "tone": 5})]
    result = calibrate("shop", records, ORDINAL, {("c0", "h0"): judged(None)})
    assert result.answers == 0 and result.unscored == 1
    assert all(c.judge.kappa is None and c.judge.pairs == 0 for c in result.criteria)
