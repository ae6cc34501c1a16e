# ruff: noqa: RUF001, RUF002  (Chinese text and its full-width punctuation are the subject here)
"""Perturbations of a character's form, not of what it says: full-width and half-width forms
(``width``) and traditional and simplified Chinese (``script``).

A customer on a Chinese input method types ``ＡＰＰ怎么退款？`` as easily as ``APP怎么退款?``,
and one in Hong Kong or Taiwan writes ``怎麼退貨`` for ``怎么退货``: the answer must not change.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache
from typing import Any

from .edits import Edit, has_cjk

__all__ = ["Script", "Width"]

_FULL_OFFSET = 0xFEE0
"""Full-width forms U+FF01..U+FF5E are ASCII U+0021..U+007E moved by this much."""

_CJK_PUNCTUATION = {"。": ".", "、": ",", "「": '"', "」": '"'}
"""Chinese punctuation that is no full-width form of ASCII, and its ASCII stand-in (``，？！：；
（）`` are the full-width forms of ``,?!:;()`` themselves)."""


def _counterpart(char: str, chinese: bool) -> str | None:
    """The other-width form of *char*, or None. In a Chinese question ``.`` becomes ``。``
    (what a Chinese keyboard types), elsewhere its full-width form."""
    code = ord(char)
    if char == " ":
        return "\u3000"
    if char == "\u3000":
        return " "
    if char == "." and chinese:
        return "。"
    if 0x21 <= code <= 0x7E:
        return chr(code + _FULL_OFFSET)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - _FULL_OFFSET)
    return _CJK_PUNCTUATION.get(char)


_TABLES = {
    chinese: {
        char: other
        for char in map(chr, (0x20, *range(0x21, 0x7F), 0x3000, *range(0xFF01, 0xFF5F)))
        if (other := _counterpart(char, chinese)) is not None
    }
    | {char: _CJK_PUNCTUATION[char] for char in _CJK_PUNCTUATION}
    for chinese in (False, True)
}
""":func:`_counterpart` of every character that has one, for a Latin and a Chinese question:
one look-up per character instead of a call (most of this perturbation's cost)."""


def _choose_sites(edits: Sequence[Edit], rng: random.Random) -> list[Edit]:
    """The whole text, one stretch of it (a word typed with the other width on), or a
    scattering of sites (at least one): the three ways mixed forms turn up in real text."""
    mode = rng.random()
    if mode < 1 / 3:
        return list(edits)
    if mode < 2 / 3:
        first = rng.randrange(len(edits))
        last = rng.randrange(first, min(len(edits), first + 8))
        return list(edits[first : last + 1])
    chosen = [edit for edit in edits if rng.random() < 0.5]
    return chosen or [edits[rng.randrange(len(edits))]]


class Width:
    """Full-width <-> half-width: letters, digits, ASCII punctuation, the ideographic space,
    and Chinese punctuation <-> its ASCII form."""

    name = "width"
    summary = (
        "full-width <-> half-width letters, digits and punctuation, the ideographic space, "
        "Chinese punctuation <-> ASCII"
    )

    def edits(self, text: str, language: str) -> tuple[Edit, ...]:
        table = _TABLES[has_cjk(text)]
        return tuple(Edit(at, at + 1, table[char]) for at, char in enumerate(text) if char in table)

    def choose(self, edits: Sequence[Edit], rng: random.Random) -> list[Edit]:
        return _choose_sites(edits, rng)

    def no_change(self, text: str, language: str) -> str:
        return "it has no letters, digits, punctuation or spaces that have another width"


@cache
def _converter(config: str) -> Any:
    """One OpenCC converter per configuration and process: building one reads its
    dictionaries (a tenth of a second), converting with it is fast."""
    import opencc

    return opencc.OpenCC(config)


def _convert(text: str) -> str:
    """*text* in the other script: simplified characters to traditional, or, when it has none,
    traditional to simplified."""
    converted: str = _converter("s2t").convert(text)
    if converted != text:
        return converted
    simplified: str = _converter("t2s").convert(text)
    return simplified


class Script:
    """Traditional <-> simplified Chinese (OpenCC): the whole conversion, or a part of it."""

    name = "script"
    summary = "simplified Chinese -> traditional (or traditional -> simplified), all or part"

    def edits(self, text: str, language: str) -> tuple[Edit, ...]:
        if not has_cjk(text):
            return ()
        converted = _convert(text)
        if converted == text:
            return ()
        if len(converted) != len(text):  # a phrase of another length: only the whole
            return (Edit(0, len(text), converted),)
        found: list[Edit] = []
        at = 0
        while at < len(text):  # one edit per run of changed characters (a phrase converts whole)
            if text[at] == converted[at]:
                at += 1
                continue
            end = at
            while end < len(text) and text[end] != converted[end]:
                end += 1
            found.append(Edit(at, end, converted[at:end]))
            at = end
        return tuple(found)

    def choose(self, edits: Sequence[Edit], rng: random.Random) -> list[Edit]:
        if len(edits) == 1 or rng.random() < 0.5:
            return list(edits)
        chosen = [edit for edit in edits if rng.random() < 0.5]
        return chosen or [edits[rng.randrange(len(edits))]]

    def no_change(self, text: str, language: str) -> str:
        if not has_cjk(text):
            return "it has no Chinese characters"
        return "its Chinese characters are written the same in simplified and traditional script"
