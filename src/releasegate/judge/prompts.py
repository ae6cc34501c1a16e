# ruff: noqa: RUF001  (the Chinese rubric words use full-width punctuation, as Chinese does)
"""The judge's prompt templates: the shipped ones (English and Chinese, picked by the suite's
``language:``) or the project's own, checked, rendered and hashed.

A template is plain text with placeholders ``{question}``, ``{expected}``, ``{answer}``,
``{rubric}`` (pointwise) or ``{question}``, ``{expected}``, ``{answer_a}``, ``{answer_b}``,
``{rubric}`` (pairwise). Only ``{name}`` (a bare identifier in single braces) is a placeholder,
so the JSON a template shows the judge (``{"scores": ...}``) is left alone; ``{{name}}`` writes
``{name}`` itself. Rendering is one pass, so an answer that happens to contain ``{answer}`` is
sent as it is, never filled in again. A template that lacks a placeholder it needs, or names one
it does not know, is refused when the judge is configured (one error naming the file, the
placeholder and what to do), never sent half-filled.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from ..exceptions import JudgeError
from ..review.rubric import Rubric

__all__ = [
    "PLACEHOLDERS",
    "Template",
    "Templates",
    "load_templates",
    "read_template",
    "render_rubric",
    "template_language",
]

Kind = Literal["pointwise", "pairwise"]

PLACEHOLDERS: dict[Kind, tuple[str, ...]] = {
    "pointwise": ("question", "expected", "answer", "rubric"),
    "pairwise": ("question", "expected", "answer_a", "answer_b", "rubric"),
}
"""The placeholders each kind of template must hold, and the only ones it may."""

_TOKEN = re.compile(r"\{\{([A-Za-z_]\w*)\}\}|\{([A-Za-z_]\w*)\}")
"""``{{name}}`` (a literal ``{name}``) or ``{name}`` (a placeholder); any other brace is text."""

_RUBRIC_WORDS = {
    "en": {
        "scale": "Scale: whole numbers from {low} (worst) to {high} (best); {mark:g} or more "
        "meets the bar.",
        "pass_fail": "Scale: 1 (pass) or 0 (fail).",
        "criteria": "Criteria (score each one):",
    },
    "zh": {
        "scale": "量表：{low}（最差）到 {high}（最好）的整数；{mark:g} 分及以上为合格。",
        "pass_fail": "量表：1（合格）或 0（不合格）。",
        "criteria": "评分项（每一项都要打分）：",
    },
}


def template_language(language: str) -> Literal["en", "zh"]:
    """The shipped templates' language for a suite's ``language:`` (``zh``, ``zh-TW``, ... are
    Chinese; every other language gets the English ones)."""
    return "zh" if language.lower().startswith("zh") else "en"


@dataclass(frozen=True)
class Template:
    """One checked template."""

    kind: Kind
    text: str
    source: str
    """The file it came from, or ``releasegate's pointwise_en.txt`` for a shipped one."""

    def render(self, **values: str) -> str:
        """The text with each placeholder replaced by *values* (all of :data:`PLACEHOLDERS`)."""

        def fill(match: re.Match[str]) -> str:
            literal, name = match[1], match[2]
            return "{" + literal + "}" if literal is not None else values[name]

        return _TOKEN.sub(fill, self.text)


@dataclass(frozen=True)
class Templates:
    """The judge's two templates."""

    pointwise: Template
    pairwise: Template

    @property
    def hash(self) -> str:
        """sha256 (16 hex digits) of both templates' text: part of the judge's identity."""
        text = self.pointwise.text + "\0" + self.pairwise.text
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _check(kind: Kind, text: str, source: str) -> Template:
    found = {m[2] for m in _TOKEN.finditer(text) if m[2] is not None}
    needed = PLACEHOLDERS[kind]
    unknown = sorted(found - set(needed))
    if unknown:
        raise JudgeError(
            f"{source}: the {kind} template has the placeholder {{{unknown[0]}}}, which is not "
            f"one of {', '.join('{' + n + '}' for n in needed)}; rename it, or write "
            f"{{{{{unknown[0]}}}}} for the text {{{unknown[0]}}} itself"
        )
    missing = [name for name in needed if name not in found]
    if missing:
        raise JudgeError(
            f"{source}: the {kind} template lacks the placeholder {{{missing[0]}}}; add it where "
            f"the judge should read the {_MEANING[missing[0]]} (a {kind} template needs "
            f"{', '.join('{' + n + '}' for n in needed)})"
        )
    return Template(kind, text, source)


_MEANING = {
    "question": "case's input",
    "expected": "expected answer",
    "answer": "answer to score",
    "answer_a": "answer shown first",
    "answer_b": "answer shown second",
    "rubric": "rubric (criteria and scale)",
}


def read_template(path: Path, kind: Kind) -> Template:
    """The template file *path*, checked (one :class:`JudgeError` naming it and the
    placeholder)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise JudgeError(
            f"{path}: the {kind} template is not UTF-8 text ({err.reason}); save it as UTF-8"
        ) from None
    except OSError as err:
        raise JudgeError(
            f"{path}: the {kind} template cannot be read ({err.strerror}); check the judge's "
            f"'{'template' if kind == 'pointwise' else 'pairwise_template'}' path"
        ) from None
    return _check(kind, text, str(path))


def _shipped(kind: Kind, language: str) -> Template:
    name = f"{kind}_{template_language(language)}.txt"
    text = resources.files("releasegate").joinpath("judge", "templates", name).read_text("utf-8")
    return _check(kind, text, f"releasegate's {name}")


def load_templates(
    language: str, *, pointwise: Path | None = None, pairwise: Path | None = None
) -> Templates:
    """The judge's templates: the files given, else the shipped ones for *language*; each
    checked (:class:`~releasegate.exceptions.JudgeError` naming the file and placeholder)."""
    return Templates(
        pointwise=read_template(pointwise, "pointwise")
        if pointwise
        else _shipped("pointwise", language),
        pairwise=read_template(pairwise, "pairwise")
        if pairwise
        else _shipped("pairwise", language),
    )


def render_rubric(rubric: Rubric, language: str) -> str:
    """What ``{rubric}`` becomes: the scale (and pass mark) and each criterion with its
    description, in the templates' language."""
    words = _RUBRIC_WORDS[template_language(language)]
    scale = rubric.scale
    lines = [
        words["pass_fail"]
        if scale.pass_fail
        else words["scale"].format(low=scale.low, high=scale.high, mark=rubric.pass_mark),
        words["criteria"],
    ]
    for criterion in rubric.criteria:
        about = criterion.description or criterion.label
        lines.append(f"- {criterion.name}: {about}" if about else f"- {criterion.name}")
    return "\n".join(lines)
