# ruff: noqa: RUF001  (Chinese text and its full-width punctuation are the subject here)
"""The question wrapped in what customers say around it (``paraphrase``): a greeting, a thanks,
"quick question:". A template list per language; a variant takes one template.

The question's words stay as written: a template changes its frame, never its meaning, so the
expected answer still holds (a rewording model would need its own check of that).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from .edits import Edit, has_cjk

__all__ = ["TEMPLATES", "Paraphrase"]

TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "Quick question: {q}",
        "{q} Thanks!",
        "Hi, {q}",
        "Hello! {q}",
        "Sorry to bother you. {q}",
        "{q} Please help.",
        "Can you help me? {q}",
        "{q} Thanks in advance.",
        "Hi there, I have a question. {q}",
        "{q} I need an answer soon.",
    ),
    "zh": (
        "请问{q}",
        "{q}谢谢！",
        "你好，我想问一下：{q}",
        "在吗？{q}",
        "您好，{q}",
        "打扰一下，{q}",
        "{q}麻烦帮我看看。",
        "亲，{q}",
        "想咨询一下，{q}",
        "{q}急，谢谢",
    ),
}
"""The templates of each language; ``{q}`` is the question. A Chinese question (one with a
Chinese character) takes the ``zh`` list, any other the ``en`` list."""


def _continued(question: str, before: str) -> str:
    """*question* as it reads after *before*: after "Hi, " its first letter is lowered ("Hi,
    how do I ..."), unless its first word is "I" or written in capitals (a name, "APP")."""
    first = question.split(maxsplit=1)[0]
    if before.endswith(", ") and first[0].isupper() and first != "I" and not first.isupper():
        return question[0].lower() + question[1:]
    return question


def _frame(template: str) -> tuple[str, str]:
    before, _, after = template.partition("{q}")
    return before, after


class Paraphrase:
    """The question inside one of :data:`TEMPLATES` (its words unchanged)."""

    name = "paraphrase"
    summary = "the question inside a template: 'Hi, {q}', '{q} Thanks!', '请问{q}', '在吗？{q}'"

    def edits(self, text: str, language: str) -> tuple[Edit, ...]:
        question = text.strip()
        if not question:
            return ()
        found: list[Edit] = []
        for template in TEMPLATES["zh" if has_cjk(question) else "en"]:
            before, after = _frame(template)
            # a frame the question already has ("请问" before "请问...") would only repeat it
            if (before and question.startswith(before.strip())) or (
                after and question.endswith(after.strip())
            ):
                continue
            found.append(Edit(0, len(text), f"{before}{_continued(question, before)}{after}"))
        return tuple(found)

    def choose(self, edits: Sequence[Edit], rng: random.Random) -> list[Edit]:
        return [edits[rng.randrange(len(edits))]]

    def no_change(self, text: str, language: str) -> str:
        return "it is empty"
