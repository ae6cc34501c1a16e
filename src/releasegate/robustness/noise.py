# ruff: noqa: RUF001, RUF002  (Chinese text and its full-width punctuation are the subject here)
"""Noise around the words: punctuation (``punctuation``), white space (``whitespace``) and
invisible characters (``zero_width``, pasted from a web page or a chat app).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from .edits import CJK, Edit, address_spans, has_cjk, pick_disjoint

__all__ = ["Punctuation", "Whitespace", "ZeroWidth"]

_OTHER_FORM = {
    "?": "？",
    "!": "！",
    ",": "，",
    ".": "。",
    ":": "：",
    ";": "；",
    "？": "?",
    "！": "!",
    "，": ",",
    "。": ".",
    "：": ":",
    "；": ";",
    "、": ",",
}
"""A punctuation mark and the form of the other keyboard (ASCII <-> Chinese)."""

_PUNCTUATION = frozenset(_OTHER_FORM) | frozenset("\"'()~…（）“”‘’-")
_NOISE = {False: ("...", "!!", "~", "??"), True: ("。。。", "！！", "~", "？？")}
"""What a customer adds at the end of a question (Latin / Chinese)."""


def _in_number(text: str, at: int) -> bool:
    """Whether the mark at *at* sits between two digits (``9.99``, ``1,000``, ``138-0000``):
    dropping or doubling it makes another number."""
    return 0 < at < len(text) - 1 and text[at - 1].isdigit() and text[at + 1].isdigit()


def _end_of_words(text: str) -> int:
    """Where trailing noise goes: after the last character that is not white space."""
    return len(text.rstrip())


class Punctuation:
    """A punctuation mark dropped, doubled or typed with the other keyboard's form, or noise
    added at the end (``...``, ``!!``, ``~``, ``？？``); one or two per variant."""

    name = "punctuation"
    summary = "punctuation dropped, doubled, swapped ASCII <-> Chinese, or noise added at the end"

    def edits(self, text: str, language: str) -> tuple[Edit, ...]:
        if not text.strip():
            return ()
        found: list[Edit] = []
        addresses = address_spans(text)
        for at, char in enumerate(text):
            if char not in _PUNCTUATION or _in_number(text, at):
                continue
            if any(a <= at < b for a, b in addresses):
                continue
            found.append(Edit(at, at + 1, ""))
            found.append(Edit(at, at + 1, char + char))
            other = _OTHER_FORM.get(char)
            if other is not None:
                found.append(Edit(at, at + 1, other))
        end = _end_of_words(text)
        found.extend(Edit(end, end, noise) for noise in _NOISE[has_cjk(text)])
        return tuple(found)

    def choose(self, edits: Sequence[Edit], rng: random.Random) -> list[Edit]:
        return pick_disjoint(edits, rng, 1 if rng.random() < 0.6 else 2)

    def no_change(self, text: str, language: str) -> str:
        return "it is empty"


def _is_cjk(char: str) -> bool:
    return CJK.match(char) is not None


class Whitespace:
    """White-space noise: a space doubled or typed as a tab, a space or a line break before or
    after the question, a space between Chinese characters; one or two per variant."""

    name = "whitespace"
    summary = "extra spaces, tabs, a leading or trailing space or line break, spaces inside Chinese"

    def edits(self, text: str, language: str) -> tuple[Edit, ...]:
        if not text.strip():
            return ()
        found = [Edit(0, 0, " "), Edit(0, 0, "\n")]
        for at in range(1, len(text)):
            char = text[at]
            if char == " ":
                found.append(Edit(at, at + 1, "  "))
                found.append(Edit(at, at + 1, "\t"))
            elif _is_cjk(char) and _is_cjk(text[at - 1]):
                found.append(Edit(at, at, " "))
        end = len(text)
        found.extend((Edit(end, end, " "), Edit(end, end, "\n")))
        return tuple(found)

    def choose(self, edits: Sequence[Edit], rng: random.Random) -> list[Edit]:
        return pick_disjoint(edits, rng, 1 if rng.random() < 0.6 else 2)

    def no_change(self, text: str, language: str) -> str:
        return "it is empty"


ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\ufeff", "\u2060")
"""Zero-width space, non-joiner, joiner, no-break space (byte order mark), word joiner."""


_made: tuple[Edit, ...] = ()


def _insertions(sites: int) -> tuple[Edit, ...]:
    """Every insertion of :data:`ZERO_WIDTH` at the *sites* places 1, 2, ... in order. They
    are the same edits for every text of a length, so they are made once and shared (edits are
    immutable): five per character, made anew for each question, were most of this
    perturbation's cost (``benchmarks/perturbations.py``)."""
    global _made
    need = max(0, sites) * len(ZERO_WIDTH)
    if len(_made) < need:  # another thread may build the same tuple; either one will do
        upto = max(sites, 2 * len(_made) // len(ZERO_WIDTH), 64)
        _made = tuple(Edit(at, at, char) for at in range(1, upto + 1) for char in ZERO_WIDTH)
    return _made[:need]


class ZeroWidth:
    """An invisible character (:data:`ZERO_WIDTH`) inserted between two characters; one to
    three per variant."""

    name = "zero_width"
    summary = "zero-width characters (U+200B, U+200C, U+200D, U+FEFF, U+2060) between characters"

    def edits(self, text: str, language: str) -> tuple[Edit, ...]:
        return _insertions(len(text) - 1)

    def choose(self, edits: Sequence[Edit], rng: random.Random) -> list[Edit]:
        return pick_disjoint(edits, rng, rng.randint(1, 3))

    def no_change(self, text: str, language: str) -> str:
        return "it has fewer than two characters to put an invisible one between"
