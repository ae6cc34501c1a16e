"""The robustness variants in the reports: the cases whose verdict flips under a perturbation,
each with the variant's text as the model got it, for ``summary.md`` and ``report.html``
(:mod:`.page`).

A variant that fails while its original passes is what blocks (the model answers the question
as written and not as a customer types it), so those come first; a variant that passes while its
original fails comes after (the original's wording may be what trips the model). A run without
variants says nothing; a run with variants where nothing flips says so ("none"), so that a reader
knows the variants ran.

The texts are untrusted (the case file's, the model's): shown through
:func:`~releasegate.core.display.with_invisibles_shown` first, so that a zero-width character, an
ideographic space or a doubled space a perturbation put there is seen (``\\u200b``), not taken
for the original's text, then through the medium's own helper.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.display import for_markdown, for_markdown_code, with_invisibles_shown
from ..core.records import CaseRecord

__all__ = [
    "FLIPS_LISTED",
    "SECTION_TITLE",
    "RobustnessFlips",
    "VariantFlip",
    "robustness_markdown",
    "variant_flips",
    "variant_text",
]

SECTION_TITLE = "Robustness: cases that flip under a perturbation"
FLIPS_LISTED = 200
"""Flips listed in summary.md and on the page (the blocking ones first); the rest are counted,
and every variant's record is in results.json."""
ANSWER_CHARS = 160
"""A variant's answer is shortened to this many characters in the reports."""


@dataclass(frozen=True)
class VariantFlip:
    """A variant whose verdict differs from its original's."""

    suite: str
    original: str
    """The original case's id."""
    perturbation: str
    variant: str
    """The variant's id (``faq-refund~typo-1``)."""
    text: str
    """The variant's question as the model got it (for chat input, the last user message)."""
    original_passed: bool
    variant_passed: bool
    answer: str
    """The variant's answer, whole (the reports shorten it)."""

    @property
    def blocking(self) -> bool:
        """The original passes and the variant fails: the perturbation broke the answer."""
        return self.original_passed and not self.variant_passed

    @property
    def shown_text(self) -> str:
        """:attr:`text` with its invisible characters written as escapes."""
        return with_invisibles_shown(self.text)

    @property
    def shown_answer(self) -> str:
        """:attr:`answer` with its invisible characters written as escapes."""
        return with_invisibles_shown(self.answer)


@dataclass(frozen=True)
class RobustnessFlips:
    """A run's variants, and those whose verdict flips (blocking ones first)."""

    variants: int
    """Variants judged in the run whose original was judged too."""
    originals: int
    """Originals they were made from."""
    flips: tuple[VariantFlip, ...]

    @property
    def blocking(self) -> int:
        return sum(1 for flip in self.flips if flip.blocking)

    @property
    def summary(self) -> str:
        """One line for the top of the section."""
        head = f"{self.variants} variant(s) of {self.originals} case(s)"
        if not self.flips:
            return f"{head}: none flips (every variant has its original's verdict)"
        unblocking = len(self.flips) - self.blocking
        return (
            f"{head}: {len(self.flips)} flip{'' if len(self.flips) == 1 else 's'}: "
            f"{self.blocking} fail where the original passes, "
            f"{unblocking} pass where the original fails"
        )


def variant_text(value: Any) -> str:
    """The question a case's input (as a record holds it: text, or chat messages) puts to the
    model: the text, or the content of the last ``user`` message (the one a perturbation
    changes); anything else as its JSON-ish text."""
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence):
        for message in reversed(value):
            if isinstance(message, Mapping) and message.get("role") == "user":
                return str(message.get("content", ""))
    return str(value)


_NUMBER = re.compile(r"(\d+)")


def _natural(text: str) -> tuple[Any, ...]:
    """``typo-2`` before ``typo-10``."""
    return tuple(int(part) if part.isdigit() else part for part in _NUMBER.split(text))


def _order(flip: VariantFlip) -> tuple[Any, ...]:
    """Blocking flips first, then by suite, case, perturbation and variant number."""
    return (
        not flip.blocking,
        flip.suite,
        _natural(flip.original),
        flip.perturbation,
        _natural(flip.variant),
    )


def variant_flips(cases: Iterable[CaseRecord]) -> RobustnessFlips | None:
    """The flips among a run's case records; None when the run has no variant whose original
    it judged too (the reports then have no robustness section). A skipped test (a variant its
    perturbation could not make, answers awaiting review) has no verdict to set against
    another's: it is left out."""
    records = [r for r in cases if r.outcome != "skipped"]
    originals = {(r.suite, r.id): r for r in records if not r.variant_of}
    variants = [r for r in records if r.variant_of and (r.suite, r.variant_of) in originals]
    if not variants:
        return None
    flips = []
    for record in variants:
        original = originals[(record.suite, record.variant_of)]
        if original.passed == record.passed:
            continue
        flips.append(
            VariantFlip(
                suite=record.suite,
                original=record.variant_of,
                perturbation=record.perturbation,
                variant=record.id,
                text=variant_text(record.input),
                original_passed=original.passed,
                variant_passed=record.passed,
                answer=record.answer,
            )
        )
    flips.sort(key=_order)
    return RobustnessFlips(
        variants=len(variants),
        originals=len({(r.suite, r.variant_of) for r in variants}),
        flips=tuple(flips),
    )


def _verdict(passed: bool) -> str:
    return "passed" if passed else "failed"


def robustness_markdown(cases: Iterable[CaseRecord]) -> list[str]:
    """summary.md's section: the flips, blocking first, each with the variant's text and
    answer; "none" when the run has variants and nothing flips; nothing without variants."""
    found = variant_flips(cases)
    if found is None:
        return []
    lines = [f"## {SECTION_TITLE}", "", for_markdown(found.summary), ""]
    if not found.flips:
        return lines
    lines += [
        "| suite | case | perturbation | variant | variant's question | original | variant "
        "| variant's answer |",
        "|---" * 8 + "|",
    ]
    for flip in found.flips[:FLIPS_LISTED]:
        cells = [
            for_markdown(flip.suite),
            for_markdown_code(flip.original),
            for_markdown(flip.perturbation),
            for_markdown_code(flip.variant),
            for_markdown(flip.shown_text, 300),
            _verdict(flip.original_passed),
            f"**{_verdict(flip.variant_passed)}**" if flip.blocking else "passed",
            for_markdown(flip.shown_answer, ANSWER_CHARS),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if len(found.flips) > FLIPS_LISTED:
        lines += ["", f"... and {len(found.flips) - FLIPS_LISTED} more in results.json"]
    lines.append("")
    return lines
