"""Untrusted text shown on a terminal and in Markdown reads as what it is and does nothing."""

# Chinese (full-width) punctuation is the very data these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from releasegate.core.display import (
    for_markdown,
    for_terminal,
    shorten,
    with_invisibles_shown,
)

CRAFTED = "<script>alert(1)</script><img src=x onerror=alert(2)>\x00\x1b[2J\x07 a|b\nc\u202e"


def test_for_terminal_writes_control_characters_as_escapes_and_keeps_lines() -> None:
    shown = for_terminal("red \x1b[31m bell \x07 nul \x00 del \x7f rtl \u202e\nnext\tcell")
    assert shown == ("red \\x1b[31m bell \\x07 nul \\x00 del \\x7f rtl \\u202e\nnext\tcell")


def test_for_markdown_escapes_html_pipes_newlines_and_controls() -> None:
    shown = for_markdown(CRAFTED)
    assert "<" not in shown and ">" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in shown
    assert "\\x00\\x1b[2J\\x07 a\\|b c\\u202e" in shown
    assert "\n" not in shown


def test_for_markdown_shortens_after_flattening() -> None:
    assert for_markdown("a\n\nb " * 40, 20) == "a b a b a b a b a..."
    assert shorten("one\ntwo   three", 80) == "one two three"
    assert shorten("x" * 10, 5) == "xx..."


@given(st.text())
def test_nothing_shown_carries_a_control_character_or_markup(text: str) -> None:
    terminal = for_terminal(text)
    markdown = for_markdown(text)
    for shown in (terminal, markdown):
        assert not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert "<" not in markdown and "\n" not in markdown
    assert "|" not in markdown.replace("\\|", "")


def test_shorten_with_another_ellipsis_keeps_the_width() -> None:
    """Check reasons cut with ``…``: the one helper takes the mark and still ends at *width*."""
    cut = shorten("word " * 30, 20, ellipsis="…")
    assert len(cut) == 20 and cut.endswith("…") and "\n" not in cut
    assert shorten("short", 20, ellipsis="…") == "short"


def test_with_invisibles_shown_writes_what_a_reader_cannot_see_as_escapes() -> None:
    """A robustness variant's text beside its original: the difference must be seen."""
    assert with_invisibles_shown("re\u200bfund\u200d") == "re\\u200bfund\\u200d"
    assert with_invisibles_shown("怎么\u3000退货\ufeff？") == "怎么\\u3000退货\\ufeff？"
    assert with_invisibles_shown("a\u00a0b\tc\nd") == "a\\xa0b\\tc\\nd"
    # a leading, trailing or doubled space (a flattened line or a table cell shows none)
    assert with_invisibles_shown(" a  b   c ") == "\\x20a \\x20b \\x20\\x20c\\x20"
    assert with_invisibles_shown("plain text, 普通文本。") == "plain text, 普通文本。"
    assert with_invisibles_shown("\x1b[2J") == "\\x1b[2J"  # controls as for_terminal's
    assert for_markdown(with_invisibles_shown("a\u200b<b>")) == "a\\u200b&lt;b&gt;"


@given(st.text())
def test_with_invisibles_shown_leaves_no_invisible_character(text: str) -> None:
    shown = with_invisibles_shown(text)
    assert not any(
        c in "\u200b\u200c\u200d\u2060\ufeff\u3000\u00a0\t\n\r" or ord(c) < 32 for c in shown
    )
    assert "  " not in shown and not shown.startswith(" ") and not shown.endswith(" ")


@given(st.text())
def test_with_invisibles_shown_leaves_no_format_character_or_unusual_space(text: str) -> None:
    """Every format character (zero-width ones, joiners, U+2060, the BOM, direction marks) and
    every space but the ASCII one, not only those a shop's customers type."""
    import unicodedata

    shown = with_invisibles_shown(text)
    assert not any(
        unicodedata.category(char) == "Cf" or (unicodedata.category(char) == "Zs" and char != " ")
        for char in shown
    )
