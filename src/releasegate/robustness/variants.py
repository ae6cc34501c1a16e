"""A suite's robustness variants: each case the ``robustness:`` section selects, asked
differently by each of its perturbations, ``variants`` times.

A variant is an ordinary :class:`~releasegate.golden.cases.GoldenCase`: id
``faq-refund~typo-1`` (test id the original's test id with the same tail), the question
perturbed (a text question, or the last ``user`` message of a conversation; the other messages
as written), and everything else its original's: expected answer, check, assertions, source,
extra columns, tags plus ``variant`` (so ``-m "not variant"`` runs without them). A variant the
perturbation cannot make (nothing to change, or only repeats of earlier variants) is an
:class:`~releasegate.golden.variants.UnchangedVariant` whose reason says so: reported as a
skipped test, never run as a copy of its original and counted as a pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..exceptions import GoldenFileError
from ..golden.answer_text import in_script
from ..golden.cases import ChatMessage, GoldenCase
from ..golden.variants import UnchangedVariant
from .perturbations import not_made_reason, variant_texts

if TYPE_CHECKING:
    from .config import RobustnessSection

__all__ = ["VARIANT_TAG", "expand", "variant_id"]

VARIANT_TAG = "variant"
"""The tag (and pytest marker) every variant carries."""


def variant_id(case_id: str, perturbation: str, n: int) -> str:
    """``<case id>~<perturbation>-<n>``: variant *n* (from 1) of the case by *perturbation*."""
    return f"{case_id}~{perturbation}-{n}"


Rebuild = Callable[[str], str | tuple[ChatMessage, ...]]

NO_USER_MESSAGE = "it is a conversation without a user message to perturb"


def _question(case: GoldenCase) -> tuple[str, Rebuild] | None:
    """The text a perturbation changes in *case*'s input, and how to put a changed one back;
    a conversation's text is its last ``user`` message (None: it has none)."""
    if isinstance(case.input, str):
        return case.input, lambda text: text
    messages = case.input
    last = max(
        (at for at, message in enumerate(messages) if message.get("role") == "user"),
        default=None,
    )
    if last is None:
        return None

    def rebuild(text: str) -> tuple[ChatMessage, ...]:
        changed = {**messages[last], "content": text}
        return (*messages[:last], changed, *messages[last + 1 :])

    return messages[last].get("content", ""), rebuild


def _selected(section: RobustnessSection, cases: Sequence[GoldenCase]) -> list[GoldenCase]:
    """The cases the section's ``tags`` pick (every case without ``tags``); a filter that picks
    none is refused: the author asked for variants and would get none."""
    if not section.tags:
        return list(cases)
    wanted = set(section.tags)
    selected = [case for case in cases if wanted.intersection(case.tags)]
    if not selected:
        raise GoldenFileError(
            f"no case carries any of the tags {', '.join(section.tags)}, so there is nothing to "
            "perturb; tag the cases to perturb (tags: [...] in the case file), change the list, "
            "or remove tags: to perturb every case",
            path=section.manifest,
            field="robustness.tags",
        )
    return selected


def _script_of(question: str) -> str:
    """The script a script variant's answer is read in: its original question's (one that has
    simplified characters is simplified; else traditional)."""
    return "simplified" if in_script(question, "traditional") != question else "traditional"


def expand(
    section: RobustnessSection, cases: Sequence[GoldenCase], *, language: str
) -> tuple[tuple[GoldenCase, ...], tuple[UnchangedVariant, ...]]:
    """Every variant of *cases* (each original's in turn, perturbations in the section's
    order, then by number) and those that could not be made; the same on every run, process
    and machine (see :mod:`.perturbations`)."""
    made: list[GoldenCase] = []
    unchanged: list[UnchangedVariant] = []
    k = section.variants
    for case in _selected(section, cases):
        # "critical" is the question as written: a variant is held by its baseline (and by its
        # critical assertions), so one that fails from the start does not block a release.
        tags = (*(t for t in case.tags if t not in (VARIANT_TAG, "critical")), VARIANT_TAG)
        question = _question(case)
        text, rebuild = question if question is not None else ("", None)
        for name in section.perturbations:
            texts: tuple[str, ...] = ()
            if rebuild is not None:
                texts = variant_texts(
                    text, name, seed=section.seed, case_id=case.id, count=k, language=language
                )
            for n, changed in enumerate(texts, 1):
                assert rebuild is not None  # texts are made only from a question
                made.append(
                    dataclasses.replace(
                        case,
                        id=variant_id(case.id, name, n),
                        test_id=variant_id(case.test_id, name, n),
                        input=rebuild(changed),
                        tags=tags,
                        variant_of=case.id,
                        perturbation=name,
                        answer_script=_script_of(text) if name == "script" else "",
                    )
                )
            if len(texts) == k:
                continue
            if rebuild is None:
                reason = (
                    f"the perturbation '{name}' makes no change to this case: {NO_USER_MESSAGE}"
                )
            else:
                reason = not_made_reason(text, name, language=language, made=len(texts))
            unchanged.extend(
                UnchangedVariant(
                    suite=case.suite,
                    id=variant_id(case.id, name, n),
                    test_id=variant_id(case.test_id, name, n),
                    variant_of=case.id,
                    perturbation=name,
                    reason=reason,
                )
                for n in range(len(texts) + 1, k + 1)
            )
    _refuse_idle(section, made, unchanged)
    return tuple(made), tuple(unchanged)


def _refuse_idle(
    section: RobustnessSection, made: Sequence[GoldenCase], unchanged: Sequence[UnchangedVariant]
) -> None:
    """Refuse a perturbation that makes no variant of any case of the suite (``script`` on
    English questions): it would test nothing, each of its variants a skipped test, and a
    ``perturbation_accuracy`` of it read nothing."""
    acting = {variant.perturbation for variant in made}
    for index, name in enumerate(section.perturbations):
        if name in acting:
            continue
        first = next((u for u in unchanged if u.perturbation == name), None)
        why = first.reason.split(": ", 1)[-1] if first else ""
        example = f" (case '{first.variant_of}': {why})" if first else ""
        raise GoldenFileError(
            f"the perturbation '{name}' makes no variant of any case of this suite{example}; "
            "remove it from the list, or tag cases it can change",
            path=section.manifest,
            field=f"robustness.perturbations[{index}]",
        )
