"""Text normalisation and CJK-aware tokenisation."""

# Full-width letters, digits and Chinese punctuation are the very data these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from releasegate.golden import normalize as normalize_mod
from releasegate.golden.normalize import cjk_tokens, is_cjk, normalize_text, normalized_equal

# Text that mixes ASCII, Chinese, Japanese, Korean, full-width forms and punctuation.
mixed_text = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from("退款需要七天。，！？、：；“”（）３０ＡＢａｂ　アイスー한국어 .,!?-_'\"$%"),
    ),
    max_size=40,
)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("３０天", "30天"),
        ("30天", "30天"),
        ("  Paris.  ", "paris"),
        ("退款，7天！", "退款7天"),
        ("Hello,\t\n  World?", "hello world"),
        ("ＡＢＣ　ｄｅｆ", "abc def"),  # full-width letters and ideographic space
        ("“退款”（七天）", "退款七天"),
        ("Costs $5 + 10%", "costs $5 + 10%"),  # symbols carry meaning and stay
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),  # casefold, not lower
        ("", ""),
        ("。，！？", ""),
    ],
)
def test_normalize_text(raw: str, normalized: str) -> None:
    assert normalize_text(raw) == normalized


def test_full_width_and_half_width_digits_are_equal() -> None:
    assert normalize_text("退款需要７天。") == normalize_text("退款需要7天")


@settings(max_examples=100, deadline=None)
@given(mixed_text)
def test_normalize_text_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(max_examples=100, deadline=None)
@given(mixed_text)
def test_normalized_text_has_no_edge_or_double_spaces(text: str) -> None:
    normalized = normalize_text(text)
    assert normalized == normalized.strip()
    assert "  " not in normalized


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("退款需要7天", ["退", "款", "需", "要", "7", "天"]),
        ("退款需要７天，OK?", ["退", "款", "需", "要", "7", "天", "ok"]),
        ("The cat sat.", ["the", "cat", "sat"]),
        ("order_status v2", ["order", "status", "v2"]),
        ("café naïve", ["café", "naïve"]),
        ("アイス・クリーム", ["ア", "イ", "ス", "ク", "リ", "ー", "ム"]),
        ("한국어 test", ["한", "국", "어", "test"]),
        ("iPhone15很好", ["iphone15", "很", "好"]),
        ("", []),
        ("。，！", []),
    ],
)
def test_cjk_tokens(text: str, tokens: list[str]) -> None:
    assert cjk_tokens(text) == tokens


def test_is_cjk() -> None:
    assert all(is_cjk(ch) for ch in "退ア한々")
    assert not any(is_cjk(ch) for ch in "a1，。・ ")


@settings(max_examples=100, deadline=None)
@given(mixed_text)
def test_cjk_tokens_are_non_empty_and_lower_case(text: str) -> None:
    for token in cjk_tokens(text):
        assert token
        assert token == token.casefold()
        assert not any(ch.isspace() for ch in token)


@pytest.mark.parametrize(
    ("predicted", "expected", "equal"),
    [
        ("Paris.", "paris", True),
        ("３０天", "30天", True),
        (30, 30.0, True),
        (True, 1, False),
        (1, True, False),
        ("30", 30, False),
        (None, None, True),
        (None, "x", False),
        ({"city": "Paris!", "zip": 75001}, {"city": "paris", "zip": 75001}, True),
        ({"city": "Paris"}, {"city": "Paris", "zip": 1}, False),
        (["A", "b"], ["a", "B."], True),
        (["a"], ["a", "b"], False),
        (["a"], "a", False),
    ],
)
def test_normalized_equal(predicted: object, expected: object, equal: bool) -> None:
    assert normalized_equal(predicted, expected) is equal


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_the_ascii_short_way_gives_what_the_full_steps_give(text: str) -> None:
    # normalize_text reads ASCII text without NFKC and casefold (which change nothing there but
    # case): the result must be the full steps', repeated to a fixed point.
    full = text
    for _ in range(8):
        step = normalize_mod._normalize_once(full)
        if step == full:
            break
        full = step
    assert normalize_text(text) == full
