"""Chinese homophone and near-form swaps (``homophone``): the character a pinyin input method
offers beside the one meant (``退货`` typed ``退或``), or one a reader confuses with it
(``已``/``己``), from the table shipped in ``data/homophones.txt``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

from .edits import Edit, has_cjk, pick_disjoint

__all__ = ["Homophone", "homophone_table"]

TABLE = "homophones.txt"


def parse_table(text: str, *, where: str) -> dict[str, tuple[str, ...]]:
    """The table's lines as ``{character: the characters it may be mistyped as}``; raises
    :class:`ValueError` naming *where* and the line for a line that is not one character
    followed by other single characters, or a character given twice."""
    table: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        char, *others = line.split()
        if len(char) != 1 or not others or any(len(o) != 1 or o == char for o in others):
            raise ValueError(
                f"{where}, line {number}: {line!r} is not a character followed by the other "
                "single characters it may be mistyped as"
            )
        if char in table:
            raise ValueError(f"{where}, line {number}: '{char}' is given twice")
        table[char] = tuple(dict.fromkeys(others))
    return table


@cache
def homophone_table() -> Mapping[str, tuple[str, ...]]:
    """The shipped table, read once per process."""
    source = resources.files("releasegate.robustness").joinpath("data", TABLE)
    return parse_table(source.read_text(encoding="utf-8"), where=str(source))


class Homophone:
    """A Chinese character swapped for a homophone or near-form from the shipped table; one or
    two per variant."""

    name = "homophone"
    summary = "Chinese characters swapped for homophones or near-forms (退货 -> 退或, 已 -> 己)"

    def edits(self, text: str, language: str) -> tuple[Edit, ...]:
        table = homophone_table()
        return tuple(
            Edit(at, at + 1, other)
            for at, char in enumerate(text)
            if char in table
            for other in table[char]
        )

    def choose(self, edits: Sequence[Edit], rng: random.Random) -> list[Edit]:
        return pick_disjoint(edits, rng, 1 if rng.random() < 0.6 else 2)

    def no_change(self, text: str, language: str) -> str:
        if not has_cjk(text):
            return "it has no Chinese characters"
        return (
            f"none of its Chinese characters is in the homophone table "
            f"({len(homophone_table())} characters common in shop questions)"
        )
