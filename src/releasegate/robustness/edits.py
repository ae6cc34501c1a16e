"""What every perturbation is made of: an :class:`Edit` of the text, the rule that applies a set
of them (:func:`apply_edits`), and the :class:`Perturbation` contract.

A perturbation lists every single edit it can make on a text, in a fixed order, and a variant
applies a few of them that do not overlap. Listing them (instead of rewriting the text in one
go) is what lets ``releasegate fuzz`` search the space edit by edit and shrink a breaking
variant to its smallest change, and lets a test check that every edit stays inside the text.
"""

from __future__ import annotations

import itertools
import operator
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "CJK",
    "Edit",
    "Perturbation",
    "address_spans",
    "apply_edits",
    "disjoint",
    "has_cjk",
    "pick_disjoint",
]

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
"""A Chinese character (CJK unified ideographs, extension A, compatibility ideographs)."""


_ADDRESS = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)


def address_spans(text: str) -> list[tuple[int, int]]:
    """Where *text* holds a web or e-mail address: a typo or a dropped dot there makes another
    address, not the same question asked differently."""
    if "@" not in text and "www." not in text and "://" not in text:
        return []  # the common case, without running the pattern
    return [match.span() for match in _ADDRESS.finditer(text)]


def has_cjk(text: str) -> bool:
    """Whether *text* holds a Chinese character (the question is then treated as Chinese,
    whatever the suite's ``language``: a suite may mix questions in both)."""
    return CJK.search(text) is not None


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]`` with :attr:`text` (``start == end``: insert it there)."""

    start: int
    end: int
    text: str


def _conflict(first: Edit, second: Edit) -> bool:
    """Whether two edits, *first* sorted before *second*, touch the same characters: their
    spans overlap, or they start at the same place (two insertions there, or an insertion and
    a replacement, have no one order)."""
    return second.start < first.end or second.start == first.start


_SPAN = operator.attrgetter("start", "end")


def disjoint(edits: Sequence[Edit]) -> bool:
    """Whether no two of *edits* overlap (see :func:`apply_edits`)."""
    ordered = sorted(edits, key=_SPAN)
    return not any(_conflict(a, b) for a, b in itertools.pairwise(ordered))


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """*text* with every one of *edits* made, in any order given. Raises :class:`ValueError`
    for an edit outside the text or two that overlap (their result would depend on order)."""
    ordered = sorted(edits, key=_SPAN) if len(edits) > 1 else edits
    parts: list[str] = []
    at = 0
    previous_start = -1
    size = len(text)
    for index, edit in enumerate(ordered):
        start, end = edit.start, edit.end
        if not 0 <= start <= end <= size:
            raise ValueError(f"{edit} is outside a text of {size} characters")
        if start < at or start == previous_start:  # _conflict with the one before, inlined
            raise ValueError(f"{ordered[index - 1]} and {edit} overlap")
        parts.append(text[at:start])
        parts.append(edit.text)
        at = end
        previous_start = start
    parts.append(text[at:])
    return "".join(parts)


def pick_disjoint(edits: Sequence[Edit], rng: random.Random, count: int) -> list[Edit]:
    """Up to *count* edits of *edits* drawn at random, none overlapping another (at least one
    when there is any): the usual "one or two slips" of a variant."""
    chosen: list[Edit] = []
    if not edits:
        return chosen
    for _ in range(count * 4):  # a few tries: a drawn edit may overlap one already chosen
        edit = edits[rng.randrange(len(edits))]
        if disjoint([*chosen, edit]):
            chosen.append(edit)
            if len(chosen) == count:
                break
    return chosen


@runtime_checkable
class Perturbation(Protocol):
    """One way a customer asks the same question differently (``typo``, ``script``, ...)."""

    name: str
    """Its name in the manifest's ``robustness.perturbations`` and in variant ids."""
    summary: str
    """What it does, in one line (the docs and error messages list it)."""

    def edits(self, text: str, language: str) -> tuple[Edit, ...]:
        """Every single edit it can make on *text*, in a fixed order; ``()`` when none.
        *language* is the suite's; a perturbation that cares reads the text's own script."""
        ...

    def choose(self, edits: Sequence[Edit], rng: random.Random) -> list[Edit]:
        """The edits one variant makes, drawn with *rng* from *edits* (non-empty): none
        overlapping, at least one."""
        ...

    def no_change(self, text: str, language: str) -> str:
        """Why it has no edit to make on *text*, to end the sentence "the perturbation 'typo'
        makes no change to this question: ..." (``it has no Latin letters to mistype``)."""
        ...
