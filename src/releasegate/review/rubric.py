"""What reviewers score: a suite's ``review:`` rubric (scale, criteria, pass mark, pending rule).

A rubric's hash binds every review to the exact questions asked of the reviewers: the scale and
the criteria names. Wording (labels, descriptions, instructions) is not part of it, so a
clarified instruction keeps the reviews already made; a new criterion or another scale does not.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..exceptions import ConfigError
from .texts import TEXTS

__all__ = ["DEFAULT_RUBRIC", "Criterion", "Rubric", "Scale", "parse_rubric"]

_RANGE = re.compile(r"(\d+)\s*-\s*(\d+)")

PASS_WORDS = {
    word.lower(): score
    for texts in TEXTS.values()
    for word, score in ((texts["pass"], 1.0), (texts["fail"], 0.0))
}
"""The words a pass/fail cell accepts (in any case), and the score each stands for: the words
the sheet's drop-down offers, in every language it is written in."""


@dataclass(frozen=True)
class Scale:
    """The scores a reviewer may give: whole numbers ``low``..``high``, or pass/fail (1/0)."""

    low: int
    high: int
    pass_fail: bool = False

    @property
    def text(self) -> str:
        return "pass/fail" if self.pass_fail else f"{self.low}-{self.high}"

    def parse(self, raw: object) -> float | None:
        """The score a cell holds, or None when it is not one on this scale (a blank cell is
        the caller's business)."""
        if self.pass_fail:
            if isinstance(raw, str) and raw.strip().lower() in PASS_WORDS:
                return PASS_WORDS[raw.strip().lower()]
            if isinstance(raw, bool):
                return 1.0 if raw else 0.0
            return None
        value: float
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int | float) or (
            isinstance(raw, str) and re.fullmatch(r"\s*\d+(\.0+)?\s*", raw)
        ):
            value = float(raw)
        else:
            return None
        if not value.is_integer() or not self.low <= value <= self.high:
            return None
        return value


@dataclass(frozen=True)
class Criterion:
    """One thing reviewers score, e.g. correctness."""

    name: str
    """Stable key (in review files and metric names)."""
    label: str = ""
    """Column header shown to reviewers (defaults to the name)."""
    description: str = ""
    """What to look at, for the instructions sheet."""

    @property
    def header(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Rubric:
    """A suite's review rubric."""

    criteria: tuple[Criterion, ...]
    scale: Scale = field(default_factory=lambda: Scale(1, 5))
    pass_mark: float = 4.0
    """An answer passes review when its overall score (mean over criteria and reviewers) is at
    least this."""
    pending: str = "fail"
    """``fail``: an answer without a review fails the gate; ``skip``: human tests are skipped."""
    instructions: str = ""
    contact: str = ""
    """Who the filled sheet goes back to."""

    @cached_property
    def hash(self) -> str:
        """Names the scale and criteria a review was given under (a review under another
        rubric is not counted)."""
        key = {"scale": self.scale.text, "criteria": [c.name for c in self.criteria]}
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        return digest[:12]


DEFAULT_RUBRIC = Rubric(criteria=(Criterion("overall"),))
"""A suite without ``review:`` is reviewed with one overall score from 1 to 5."""


def parse_rubric(document: Mapping[str, Any] | None, *, where: str) -> Rubric | None:
    """The rubric of a manifest's ``review:`` (already schema-checked), or None without one."""
    if document is None:
        return None
    scale_text = str(document.get("scale", "1-5")).strip()
    if scale_text == "pass/fail":
        scale = Scale(0, 1, pass_fail=True)
    else:
        match = _RANGE.fullmatch(scale_text)
        if match is None or int(match[1]) >= int(match[2]):
            raise ConfigError(
                f"{where}: review scale '{scale_text}' must be 'pass/fail' or a range of whole "
                "numbers such as '1-5'"
            )
        scale = Scale(int(match[1]), int(match[2]))
    criteria = []
    for item in document.get("criteria", ["overall"]):
        if isinstance(item, str):
            criteria.append(Criterion(item))
        else:
            criteria.append(
                Criterion(item["name"], item.get("label", ""), item.get("description", ""))
            )
    names = [c.name for c in criteria]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: review criteria must have distinct names ({names})")
    default_mark = 1.0 if scale.pass_fail else float(scale.high - 1)
    pass_mark = float(document.get("pass_mark", default_mark))
    if not scale.low <= pass_mark <= scale.high:
        raise ConfigError(
            f"{where}: review pass_mark {pass_mark:g} is outside the scale {scale.text}"
        )
    return Rubric(
        criteria=tuple(criteria),
        scale=scale,
        pass_mark=pass_mark,
        pending=document.get("pending", "fail"),
        instructions=document.get("instructions", ""),
        contact=document.get("contact", ""),
    )
