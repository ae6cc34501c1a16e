"""Perturbations of Latin letters as a keyboard makes them: typos (``typo``) and letter case
(``case``).

Only words of Latin letters are touched: not digits (an order number mistyped is another
order), not a web or e-mail address (another address), and not a Chinese character.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from .edits import Edit, address_spans, pick_disjoint

__all__ = ["Case", "Typo"]

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _row in _ROWS:
    for _i, _key in enumerate(_row):
        _NEIGHBOURS[_key] = _row[max(0, _i - 1) : _i] + _row[_i + 1 : _i + 2]
"""Each letter's left and right neighbours on a QWERTY keyboard: the key a finger most often
hits instead (a slip across rows is rarer, and would triple the edits to search)."""

_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")
"""A word of two or more Latin letters, not part of a code mixing letters and digits."""
_LATIN = re.compile(r"[A-Za-z]")


def _words(text: str) -> list[tuple[int, int]]:
    """The spans of the Latin words of *text* outside any web or e-mail address."""
    addresses = address_spans(text)
    return [
        match.span()
        for match in _WORD.finditer(text)
        if not any(a <= match.start() < b for a, b in addresses)
    ]


def _same_case(letter: str, like: str) -> str:
    return letter.upper() if like.isupper() else letter


class Typo:
    """QWERTY typos inside Latin words: a neighbouring key, a letter dropped, doubled, or two
    letters swapped; one or two per variant."""

    name = "typo"
    summary = (
        "keyboard typos in Latin words: a neighbouring key, a letter dropped, doubled, swapped"
    )

    def edits(self, text: str, language: str) -> tuple[Edit, ...]:
        found: list[Edit] = []
        for start, end in _words(text):
            for at in range(start, end):
                char = text[at]
                for key in _NEIGHBOURS[char.lower()]:
                    found.append(Edit(at, at + 1, _same_case(key, char)))
                if end - start >= 3:  # a two-letter word without one letter is another word
                    found.append(Edit(at, at + 1, ""))
                found.append(Edit(at, at + 1, char + char))
                if at + 1 < end and text[at + 1] != char:
                    found.append(Edit(at, at + 2, text[at + 1] + char))
        return tuple(found)

    def choose(self, edits: Sequence[Edit], rng: random.Random) -> list[Edit]:
        return pick_disjoint(edits, rng, 1 if rng.random() < 0.6 else 2)

    def no_change(self, text: str, language: str) -> str:
        if not _LATIN.search(text):
            return "it has no Latin letters to mistype"
        return (
            "its Latin letters are single letters, codes mixing letters and digits, or web "
            "and e-mail addresses, none of them a word to mistype"
        )


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class Case:
    """Letter case (Latin only): all lower, all upper, or a few letters toggled (the first
    letter lowered is one of them): what a phone's keyboard or a held shift key does."""

    name = "case"
    summary = "letter case of Latin letters: all lower, all upper, some letters toggled"

    def edits(self, text: str, language: str) -> tuple[Edit, ...]:
        letters = [match.start() for match in _LATIN.finditer(text)]
        if not letters:
            return ()
        first, last = letters[0], letters[-1] + 1
        span = text[first:last]
        found: list[Edit] = []
        for whole in (span.translate(_ASCII_LOWER), span.translate(_ASCII_UPPER)):
            if whole != span and last - first > 1:  # one letter: its toggle below
                found.append(Edit(first, last, whole))
        for at in letters:
            found.append(Edit(at, at + 1, text[at].swapcase()))
        return tuple(found)

    def choose(self, edits: Sequence[Edit], rng: random.Random) -> list[Edit]:
        wholes = [edit for edit in edits if edit.end - edit.start > 1]
        toggles = [edit for edit in edits if edit.end - edit.start == 1]
        mode = rng.random()
        if wholes and (mode < 0.5 or not toggles):
            return [wholes[rng.randrange(len(wholes))]]
        if mode < 0.75 and toggles[0].text.islower():  # the first letter lowered
            return [toggles[0]]
        return pick_disjoint(toggles, rng, rng.randint(1, 3))

    def no_change(self, text: str, language: str) -> str:
        return "it has no Latin letters whose case could change"
