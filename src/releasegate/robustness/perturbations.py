"""The perturbations by name (:data:`PERTURBATIONS`) and the text of a case's variants
(:func:`variant_texts`, :func:`variant_text`).

A variant's text depends only on (seed, case id, perturbation, n, the text, the language): its
random draws come from a generator seeded with the SHA-256 of those, never from ``hash()`` (salted
per process) or the global generator, so a variant is the same on every run, process and machine
(of one Python version), and can be cached and paired with the baseline like any case.

Variant *n* is the first of a few draws that differs from the question and from variants 1 to
n-1: a perturbation with few ways to change a question (a script conversion of one phrase)
makes fewer variants than asked, and the rest are reported as not made, never run twice.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping

from .edits import Edit, Perturbation, apply_edits, disjoint
from .forms import Script, Width
from .homophones import Homophone
from .keyboard import Case, Typo
from .noise import Punctuation, Whitespace, ZeroWidth
from .paraphrase import Paraphrase

__all__ = [
    "PERTURBATIONS",
    "Edit",
    "Perturbation",
    "apply_edits",
    "disjoint",
    "not_made_reason",
    "variant_rng",
    "variant_text",
    "variant_texts",
]

PERTURBATIONS: Mapping[str, Perturbation] = {
    p.name: p
    for p in (
        Width(),
        Script(),
        Typo(),
        Homophone(),
        Punctuation(),
        Whitespace(),
        ZeroWidth(),
        Case(),
        Paraphrase(),
    )
}
"""Every perturbation by its manifest name, in the order the docs list them."""

DRAWS = 10
"""Draws per variant before it is given up as a repeat of the question or an earlier variant."""


def variant_rng(
    *, seed: int, case_id: str, name: str, n: int, draw: int, text: str, language: str
) -> random.Random:
    """The generator of draw *draw* of variant *n*: seeded with the SHA-256 of everything the
    variant may depend on, so nothing else (the process, the order cases are expanded in)
    can change it."""
    key = json.dumps([seed, case_id, name, n, draw, text, language], ensure_ascii=False)
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def variant_texts(
    text: str, name: str, *, seed: int, case_id: str, count: int, language: str
) -> tuple[str, ...]:
    """The texts of variants 1, 2, ... of *text* under perturbation *name*, at most *count*;
    fewer when the perturbation has nothing to change (none) or cannot find another different
    text in :data:`DRAWS` draws (the rest would repeat one)."""
    perturbation = PERTURBATIONS[name]
    edits = perturbation.edits(text, language)
    made: list[str] = []
    if not edits:
        return ()
    seen = {text}
    for n in range(1, count + 1):
        for draw in range(DRAWS):
            rng = variant_rng(
                seed=seed, case_id=case_id, name=name, n=n, draw=draw, text=text, language=language
            )
            candidate = apply_edits(text, perturbation.choose(edits, rng))
            if candidate not in seen:
                seen.add(candidate)
                made.append(candidate)
                break
        else:
            break
    return tuple(made)


def variant_text(text: str, name: str, *, seed: int, case_id: str, n: int, language: str) -> str:
    """The text of variant *n* (from 1) of *text* under perturbation *name*; *text* itself when
    the perturbation cannot make that variant (see :func:`variant_texts`)."""
    made = variant_texts(text, name, seed=seed, case_id=case_id, count=n, language=language)
    return made[n - 1] if len(made) >= n else text


def not_made_reason(text: str, name: str, *, language: str, made: int) -> str:
    """Why variant ``made + 1`` of *text* under *name* was not made, in a user's words."""
    perturbation = PERTURBATIONS[name]
    if made == 0 and not perturbation.edits(text, language):
        return (
            f"the perturbation '{name}' makes no change to this question: "
            f"{perturbation.no_change(text, language)}"
        )
    if made == 0:
        return (
            f"the perturbation '{name}' found no change to this question that differs from it "
            f"in {DRAWS} draws"
        )
    some = "1 different variant" if made == 1 else f"{made} different variants"
    return (
        f"the perturbation '{name}' makes only {some} of this question; this one would repeat "
        "one of them"
    )
