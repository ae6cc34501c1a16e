"""The judge metrics' rules on plain values (judgments as a judge returns them): the win rate
with ties, the swap that turns a position-biased judge's verdicts into ties, the
non-inferiority rule at its edges, the unscored-share bar, a test that read nothing, and the
advisory verdict of a judge not calibrated against the reviewers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from releasegate.exceptions import ConfigError
from releasegate.gate.comparisons import MetricOutcome
from releasegate.golden.metric_types import MetricContext
from releasegate.golden.metrics import build_metric, source_of
from releasegate.judge.bars import Unscored, advisory_outcome, read_nothing, unscored_bar
from releasegate.judge.kinds import register
from releasegate.judge.metrics import JudgeScore, JudgeWinRate
from releasegate.judge.pairwise import non_inferiority, tally_pairs
from releasegate.judge.pointwise import pointwise_value
from releasegate.judge.types import CalibrationStatus, Judgment, PairJudgment, PairVerdict, Winner
from releasegate.review.rubric import Criterion, Rubric

RUBRIC = Rubric(criteria=(Criterion("accuracy"), Criterion("tone")), pass_mark=4.0)
CONTEXT = MetricContext(language="en", base_dir=Path("."))


def pair(candidate_first: Winner | None, baseline_first: Winner | None) -> PairJudgment:
    """The judge's verdicts on one pair: with the candidate shown first, then the baseline."""
    return PairJudgment(
        PairVerdict(candidate_first, "r", f"Winner: {candidate_first}"),
        PairVerdict(baseline_first, "r", f"Winner: {baseline_first}"),
    )


def scored(accuracy: float, tone: float) -> Judgment:
    return Judgment({"accuracy": accuracy, "tone": tone}, "ok", "{...}")


UNPARSEABLE = Judgment(None, "no score line", "I think it is fine")


# -------------------------------------------------------------------------------------------
# The win rate, ties and the swap.


def test_win_rate_counts_ties_half_and_identical_answers_as_ties_without_a_verdict() -> None:
    tally = tally_pairs(
        ["win", "loss", "flip", "said-tie", "same"],
        [pair("A", "B"), pair("B", "A"), pair("A", "A"), pair("tie", "tie"), None],
    )
    assert (tally.wins, tally.losses, tally.ties, tally.identical) == (1, 1, 2, 1)
    assert tally.values == {"win": 1.0, "loss": 0.0, "flip": 0.5, "said-tie": 0.5, "same": 0.5}
    assert tally.value == pytest.approx(2.5 / 5)
    details = tally.details()
    assert details["pairs"] == 4  # the identical answers were not sent to the judge
    assert details["position_consistency"] == pytest.approx(3 / 4)  # only "flip" flipped
    # decided verdicts: win (A, B), loss (B, A), flip (A, A); ties decide nothing
    assert details["first_position_rate"] == pytest.approx(4 / 6)


def test_the_swap_turns_an_always_first_judge_into_ties() -> None:
    """A judge that always picks the answer shown first wins nothing: every verdict flips with
    the order, so every pair is a tie, position consistency 0 and win rate 0.5 exactly."""
    ids = [f"c{i}" for i in range(20)]
    tally = tally_pairs(ids, [pair("A", "A")] * 20)
    assert tally.value == 0.5
    assert (tally.wins, tally.losses, tally.ties) == (0, 0, 20)
    details = tally.details()
    assert details["position_consistency"] == 0.0
    assert details["first_position_rate"] == 1.0
    verdict = non_inferiority(list(tally.values.values()), margin=0.05, alpha=0.05, samples=500)
    assert not verdict.failed and verdict.comparison.p_value == 1.0


def test_a_fair_judge_is_consistent_and_picks_first_half_the_time() -> None:
    """A judge that prefers the better answer wherever it is shown: consistency 1, and as many
    first-position picks as second."""
    judgments = [pair("A", "B")] * 6 + [pair("B", "A")] * 4  # 6 candidate wins, 4 losses
    tally = tally_pairs([f"c{i}" for i in range(10)], judgments)
    assert tally.details()["position_consistency"] == 1.0
    assert tally.details()["first_position_rate"] == 0.5
    assert tally.value == pytest.approx(0.6)


def test_an_unparseable_order_makes_the_pair_unscored_and_lists_its_output() -> None:
    tally = tally_pairs(["ok", "bad"], [pair("A", "B"), pair("A", None)])
    assert tally.values == {"ok": 1.0}
    assert tally.unscored == (Unscored("bad", "Winner: None", "r"),)
    assert tally.details()["unscored"] == 1
    assert tally.details()["position_consistency"] == 1.0  # of the one judged pair


# -------------------------------------------------------------------------------------------
# The non-inferiority rule at its edges (100 pairs, 20 ties, margin 0.05, alpha 0.05).


def values(wins: int, losses: int, ties: int) -> list[float]:
    return [1.0] * wins + [0.0] * losses + [0.5] * ties


def test_fails_only_where_the_win_rate_is_shown_below_the_margin() -> None:
    """27 wins and 53 losses (0.37): the one-sided 95 % bound of the win rate is below 0.45,
    and the sign test is significant: it fails. 28 and 52 (0.38): the bound reaches 0.45, so the
    data do not show the candidate worse by more than the margin: it passes, although its
    observed rate is below 0.45 (the project's no-drop rule, not the point estimate)."""
    failed = non_inferiority(values(27, 53, 20), margin=0.05, alpha=0.05, samples=2000)
    assert failed.failed
    assert 0.5 + failed.comparison.ci_high < 0.45 and failed.comparison.p_value < 0.05
    assert "significantly below 0.45" in failed.reason
    passed = non_inferiority(values(28, 52, 20), margin=0.05, alpha=0.05, samples=2000)
    assert not passed.failed and passed.reason == ""
    assert passed.comparison.p_value < 0.05  # significant against 0.5, not beyond the margin
    assert 0.5 + passed.comparison.ci_high >= 0.45


def test_a_wider_margin_forgives_what_a_narrow_one_fails() -> None:
    assert non_inferiority(values(40, 60, 0), margin=0.0, alpha=0.05, samples=2000).failed
    assert not non_inferiority(values(40, 60, 0), margin=0.05, alpha=0.05, samples=2000).failed


def test_a_suite_too_small_to_fail_says_so() -> None:
    verdict = non_inferiority(values(0, 3, 0), margin=0.05, alpha=0.05, samples=500)
    assert not verdict.failed
    assert "too few cases (3)" in verdict.blind


def test_win_rate_margin_is_checked_when_the_suite_loads() -> None:
    register()
    metric = build_metric({"name": "judge_win_rate", "margin": 0.1}, CONTEXT, where="m")
    assert isinstance(metric, JudgeWinRate) and metric.margin == 0.1
    assert source_of(metric) == "judge"
    with pytest.raises(ConfigError, match=r"margin 0.5 is not in \[0, 0.5\)"):
        build_metric({"name": "judge_win_rate", "margin": 0.5}, CONTEXT, where="m")
    score = build_metric({"name": "judge_score", "criterion": "tone"}, CONTEXT, where="m")
    assert isinstance(score, JudgeScore) and score.name == "judge_score[tone]"
    assert build_metric("judge_pass_rate", CONTEXT, where="m").bounds == (0.0, 1.0)


# -------------------------------------------------------------------------------------------
# Pointwise values, the unscored bar, read nothing.


def test_pointwise_value_overall_criterion_and_pass_rate() -> None:
    judgments = [scored(5, 3), scored(4, 4), scored(2, 2)]
    ids = ["a", "b", "c"]
    overall, _ = pointwise_value(ids, judgments, "score", None, RUBRIC)
    assert overall.per_item == (4.0, 4.0, 2.0) and overall.value == pytest.approx(10 / 3)
    assert overall.item_ids is None  # every case scored
    tone, _ = pointwise_value(ids, judgments, "score", "tone", RUBRIC)
    assert tone.per_item == (3.0, 4.0, 2.0)
    passing, _ = pointwise_value(ids, judgments, "pass_rate", None, RUBRIC)
    assert passing.per_item == (1.0, 1.0, 0.0)


def test_unscored_answers_are_left_out_and_counted() -> None:
    value, unscored = pointwise_value(
        ["a", "b", "c"], [scored(5, 5), UNPARSEABLE, scored(3, 3)], "score", None, RUBRIC
    )
    assert value.item_ids == ("a", "c") and value.per_item == (5.0, 3.0)
    assert value.details["unscored"] == 1 and value.details["scored"] == 2
    assert unscored == [Unscored("b", "I think it is fine", "no score line")]


def test_the_unscored_bar_just_under_and_just_over_two_percent() -> None:
    one = [Unscored("c7", "Sure! The answer looks great " + "x" * 400, "no score")]
    assert unscored_bar("shop::judge_score", one, 50, 0.02) is None  # 2.0 %: within
    over = unscored_bar("shop::judge_score", one, 49, 0.02)  # 2.04 %: above
    assert over is not None and not over.passed
    assert "1 of 49 judge output(s) could not be parsed (2.0%, above the bar 2.0%)" in over.message
    assert "c7" in over.message and "Sure! The answer looks great" in over.message
    assert len(over.message) < 600  # the raw output shortened
    many = [Unscored(f"c{i}", f"junk {i}", "") for i in range(9)]
    listed = unscored_bar("s::m", many, 10, 0.02)
    assert listed is not None and "junk 4" in listed.message and "junk 5" not in listed.message
    assert "... and 4 more" in listed.message


def test_a_test_that_read_nothing_fails() -> None:
    value, _ = pointwise_value(["a", "b"], [UNPARSEABLE] * 2, "score", None, RUBRIC)
    assert math.isnan(value.value) and value.item_ids == ()
    outcome = read_nothing("shop::judge_score", 2, "answers")
    assert not outcome.passed and "read nothing" in outcome.message
    empty = tally_pairs([], [])
    assert math.isnan(empty.value) and "position_consistency" not in empty.details()


# -------------------------------------------------------------------------------------------
# Advisory.


def test_an_advisory_judge_keeps_the_verdict_and_says_why_it_does_not_gate() -> None:
    status = CalibrationStatus(False, "advisory: kappa 0.31 on 58 answers, below 0.6")
    failed = MetricOutcome(False, "shop::judge_score = 3.2 (bar >= 3.5): below its minimum 3.5")
    outcome = advisory_outcome(failed, status, ("the judge is the model under test",))
    assert not outcome.passed
    assert outcome.advisory == (
        "advisory: kappa 0.31 on 58 answers, below 0.6; would fail: "
        "shop::judge_score = 3.2 (bar >= 3.5): below its minimum 3.5"
    )
    assert "note: the judge is the model under test" in outcome.message
    gating = CalibrationStatus(True, "calibrated: kappa 0.71 on 64 answers")
    kept = advisory_outcome(failed, gating, ())
    assert kept == failed  # a calibrated judge's verdict gates as it is
    assert advisory_outcome(failed, CalibrationStatus(False, "not calibrated"), ()).advisory
