"""Reading a judge's output strictly: the last complete verdict wins, anything else is unscored
with the reason, and no text ever raises."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from releasegate.judge.parsing import parse_pairwise, parse_pointwise
from releasegate.review.rubric import Rubric, parse_rubric


def rubric(scale: str = "1-5", criteria: tuple[str, ...] = ("overall",)) -> Rubric:
    parsed = parse_rubric({"scale": scale, "criteria": list(criteria)}, where="test")
    assert parsed is not None
    return parsed


ONE = rubric()
TWO = rubric(criteria=("correctness", "tone"))
PASS_FAIL = rubric("pass/fail")


def test_a_json_object_gives_the_scores_and_the_reason() -> None:
    text = 'Let me think.\n{"scores": {"correctness": 4, "tone": 5}, "reason": "Right policy."}'
    judgment = parse_pointwise(text, TWO)
    assert judgment.scores == {"correctness": 4.0, "tone": 5.0}
    assert judgment.reason == "Right policy."
    assert judgment.raw == text


def test_the_last_json_object_with_scores_wins() -> None:
    text = (
        '{"scores": {"overall": 2}, "reason": "draft"} On reflection: '
        '{"scores": {"overall": 4}, "reason": "final"} {"note": "not a verdict"}'
    )
    judgment = parse_pointwise(text, ONE)
    assert (judgment.scores, judgment.reason) == ({"overall": 4.0}, "final")


def test_a_final_score_line_gives_the_score_and_the_prose_before_it_as_reason() -> None:
    judgment = parse_pointwise("The answer gives the right window.\nScore: 4", ONE)
    assert judgment.scores == {"overall": 4.0}
    assert judgment.reason == "The answer gives the right window."


def test_a_score_line_after_a_json_object_wins_and_the_reverse() -> None:
    assert parse_pointwise('{"scores": {"overall": 2}}\nScore: 5', ONE).scores == {"overall": 5}
    assert parse_pointwise('Score: 5\n{"scores": {"overall": 2}}', ONE).scores == {"overall": 2}


def test_criterion_lines_score_a_rubric_of_several_criteria() -> None:
    judgment = parse_pointwise("**Correctness:** 3\n- tone: 5", TWO)
    assert judgment.scores == {"correctness": 3.0, "tone": 5.0}


def test_a_missing_criterion_is_unscored_naming_it() -> None:
    judgment = parse_pointwise('{"scores": {"correctness": 4}, "reason": "x"}', TWO)
    assert judgment.unscored and "'tone'" in judgment.reason
    assert parse_pointwise("Score: 4", TWO).unscored  # one score for two criteria


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Score: 7", "off the scale 1-5"),
        ("Score: 0", "off the scale 1-5"),
        ("Score: 3.5", "not a whole number on the scale 1-5"),
        ('{"scores": {"overall": 3.5}}', "not a whole number"),
        ('{"scores": {"overall": "pass"}}', "'pass' is not a score on the scale 1-5"),
        ('{"scores": {"overall": true}}', "not a score on the scale 1-5"),
        ('{"scores": {"overall": NaN}}', "not a whole number"),
        ('{"scores": {"overall": 1e400}}', "not a whole number"),
        ('{"scores": {"overall": 10000000000000000000000}}', "off the scale"),
        ("Score: 4/5", "not a score on the scale 1-5"),
        ("The answer is fine, I would give it a four.", "no verdict"),
        ("", "empty"),
    ],
)
def test_a_score_off_the_scale_or_no_verdict_is_unscored_with_the_reason(
    text: str, words: str
) -> None:
    judgment = parse_pointwise(text, ONE)
    assert judgment.scores is None
    assert judgment.overall is None and judgment.passed(ONE) is None
    assert words in judgment.reason
    assert judgment.raw == text
    assert judgment.as_check_result(ONE).unscored


@pytest.mark.parametrize(
    ("text", "score"),
    [('{"scores": {"overall": "pass"}}', 1.0), ("Score: fail", 0.0), ("Score: 1", 1.0)],
)
def test_a_pass_fail_rubric_reads_pass_fail_and_one_zero(text: str, score: float) -> None:
    assert parse_pointwise(text, PASS_FAIL).scores == {"overall": score}
    assert parse_pointwise("Score: 2", PASS_FAIL).unscored


def test_a_one_criterion_json_may_say_score() -> None:
    assert parse_pointwise('{"score": 5, "reason": "ok"}', ONE).scores == {"overall": 5.0}
    assert parse_pointwise('{"score": 5}', TWO).unscored


@pytest.mark.parametrize(
    ("text", "winner"),
    [
        ('{"winner": "A", "reason": "names the window"}', "A"),
        ('{"winner": "b"}', "B"),
        ('{"winner": "TIE"}', "tie"),
        ("Both are close.\nWinner: B", "B"),
        ('{"winner": "A"}\nWinner: tie', "tie"),
        ('Winner: A\n{"winner": "B"}', "B"),
    ],
)
def test_a_pairwise_verdict_is_the_last_winner(text: str, winner: str) -> None:
    assert parse_pairwise(text).winner == winner


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"winner": "C"}', 'winner "C" is not one of A, B, tie'),
        ('{"winner": 1}', "winner 1 is not one of"),
        ("Answer A is better.", "no verdict"),
        ("Winner: both", "not one of A, B, tie"),
    ],
)
def test_a_pairwise_output_without_a_verdict_is_unscored(text: str, words: str) -> None:
    verdict = parse_pairwise(text)
    assert verdict.winner is None and words in verdict.reason and verdict.raw == text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_no_text_ever_raises(text: str) -> None:
    judgment = parse_pointwise(text, TWO)
    assert judgment.raw == text
    assert judgment.scores is None or set(judgment.scores) == {"correctness", "tone"}
    assert parse_pairwise(text).raw == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80).map(lambda s: s + "{"))
def test_text_full_of_braces_and_colons_never_raises(text: str) -> None:
    parse_pointwise(text.replace("a", '{"scores": {').replace("b", "Score: "), ONE)
    parse_pairwise(text.replace("a", '{"winner": ').replace("b", "Winner: "))


_PROSE = st.text(
    alphabet=st.characters(blacklist_characters="{}:\uff1a", codec="utf-8"), max_size=60
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 5),
    st.integers(1, 5),
    _PROSE,
    st.text(max_size=40),
    st.sampled_from(["json", "lines"]),
)
def test_a_rendered_valid_verdict_is_always_read_back(
    correctness: int, tone: int, before: str, reason: str, form: str
) -> None:
    if form == "json":
        verdict = json.dumps(
            {"scores": {"correctness": correctness, "tone": tone}, "reason": reason},
            ensure_ascii=False,
        )
    else:
        verdict = f"correctness: {correctness}\ntone: {tone}"
    judgment = parse_pointwise(f"{before}\n{verdict}", TWO)
    assert judgment.scores == {"correctness": correctness, "tone": tone}
    if form == "json":
        assert judgment.reason == reason.strip()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["A", "B", "tie"]), _PROSE, st.sampled_from(["json", "line"]))
def test_a_rendered_pairwise_verdict_is_always_read_back(
    winner: str, before: str, form: str
) -> None:
    verdict = (
        json.dumps({"winner": winner, "reason": "r"}) if form == "json" else f"Winner: {winner}"
    )
    assert parse_pairwise(f"{before}\n{verdict}").winner == winner
