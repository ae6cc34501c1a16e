"""Reading a judge's output, strictly: a verdict is what the judge wrote in the asked-for form,
or nothing.

Two forms are read. A JSON object anywhere in the output (``{"scores": {"correctness": 4},
"reason": "..."}``; ``{"winner": "A", "reason": "..."}``), or lines of their own
(``Score: 4`` for a one-criterion rubric, ``correctness: 4`` per criterion, ``Winner: A``).
Whichever complete verdict comes last in the output wins: a judge that drafts a verdict and then
corrects itself is read at its final word. Everything else is *unscored* with the reason: no
verdict, a criterion missing, a score off the rubric's scale (7 on 1-5, 3.5 on whole numbers,
``pass`` on a numeric scale). An unscored verdict is never a pass and never a fail; the metrics
count them against a bar and list the raw outputs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..review.rubric import PASS_WORDS, Rubric, Scale
from .types import Judgment, PairVerdict, Winner

__all__ = ["parse_pairwise", "parse_pointwise"]

_DECODER = json.JSONDecoder()
_LINE = re.compile(r"^[ \t>*#-]*\**([\w-]+)\**[ \t]*[:\uff1a]\**[ \t]*(.*?)[ \t*]*$", re.M)
"""``name: value`` on a line of its own (a full-width colon too; markdown bullets and bold
around the name allowed)."""
_WINNERS: Mapping[str, Winner] = {"a": "A", "b": "B", "tie": "tie"}
_REASON_LIMIT = 500
"""Characters of prose kept as the reason when the verdict is a line (the JSON form says it)."""


class _Found(NamedTuple):
    end: int
    """Where the verdict ends in the output: the later one wins."""
    values: dict[str, Any]
    reason: str


def _objects(text: str) -> list[tuple[int, dict[str, Any]]]:
    """Every JSON object in *text* (nested ones too) with where it ends."""
    found = []
    for start in (m.start() for m in re.finditer(r"\{", text)):
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append((end, value))
    return found


def _lines(text: str) -> dict[str, tuple[int, str, int]]:
    """Each ``name: value`` line's last occurrence: lowercased name -> (end, value, start)."""
    return {m[1].lower(): (m.end(), m[2], m.start()) for m in _LINE.finditer(text)}


def _prose_before(text: str, start: int) -> str:
    prose = text[:start].strip()
    return prose[-_REASON_LIMIT:]


def _on_scale(value: Any, scale: Scale) -> tuple[float | None, str]:
    """*value* as a score on *scale*, or None and why not."""
    shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    if scale.pass_fail:
        if isinstance(value, str) and value.strip().lower() in PASS_WORDS:
            return PASS_WORDS[value.strip().lower()], ""
        if isinstance(value, bool):
            return float(value), ""
        if isinstance(value, int | float) and value in (0, 1):
            return float(value), ""
        if isinstance(value, str) and value.strip() in ("0", "1"):
            return float(value), ""
        return None, f"{shown} is not a score on the scale pass/fail (1 or 0)"
    number: float
    if isinstance(value, bool):
        return None, f"{shown} is not a score on the scale {scale.text}"
    if isinstance(value, float):
        number = value
    elif isinstance(value, int):
        if abs(value) > 10**9:  # float() of a huge int overflows; no scale reaches it
            return None, f"{shown[:20]} is off the scale {scale.text}"
        number = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
        number = float(value)
    else:
        return None, f"{shown} is not a score on the scale {scale.text}"
    if not math.isfinite(number) or not number.is_integer():
        return None, f"{shown} is not a whole number on the scale {scale.text}"
    if not scale.low <= number <= scale.high:
        return None, f"{shown} is off the scale {scale.text}"
    return number, ""


def _json_pointwise(text: str, rubric: Rubric) -> _Found | None:
    single = len(rubric.criteria) == 1
    for end, obj in reversed(_objects(text)):
        scores = obj.get("scores")
        if isinstance(scores, Mapping):
            values = {str(k).lower(): v for k, v in scores.items()}
        elif single and "score" in obj:
            values = {rubric.criteria[0].name.lower(): obj["score"]}
        else:
            continue
        reason = obj.get("reason")
        return _Found(end, values, reason.strip() if isinstance(reason, str) else "")
    return None


def _line_pointwise(text: str, rubric: Rubric) -> _Found | None:
    lines = _lines(text)
    names = [c.name.lower() for c in rubric.criteria]
    picked = {name: lines[name] for name in names if name in lines}
    single = len(names) == 1 and "score" in lines
    if single and (names[0] not in picked or lines["score"][0] > picked[names[0]][0]):
        picked = {names[0]: lines["score"]}
    if not picked:
        return None
    end = max(found[0] for found in picked.values())
    start = min(found[2] for found in picked.values())
    values = {name: found[1] for name, found in picked.items()}
    return _Found(end, values, _prose_before(text, start))


def parse_pointwise(text: str, rubric: Rubric) -> Judgment:
    """The judge's scores per criterion in *text*, or an unscored judgment saying why."""
    candidates = [c for c in (_json_pointwise(text, rubric), _line_pointwise(text, rubric)) if c]
    if not candidates:
        return Judgment(
            None, _no_verdict(text, "a JSON object with \"scores\", or a 'Score: N' line"), text
        )
    found = max(candidates, key=lambda c: c.end)
    scores: dict[str, float] = {}
    for criterion in rubric.criteria:
        raw = found.values.get(criterion.name.lower())
        if raw is None:
            return Judgment(None, f"no score for the criterion '{criterion.name}'", text)
        score, why = _on_scale(raw, rubric.scale)
        if score is None:
            return Judgment(None, f"criterion '{criterion.name}': {why}", text)
        scores[criterion.name] = score
    return Judgment(scores, found.reason, text)


def parse_pairwise(text: str) -> PairVerdict:
    """The judge's pick in *text* (A, B or tie, as shown), or an unscored verdict saying why."""
    candidates: list[tuple[int, Any, str]] = []
    for end, obj in reversed(_objects(text)):
        if "winner" in obj:
            reason = obj.get("reason")
            candidates.append(
                (end, obj["winner"], reason.strip() if isinstance(reason, str) else "")
            )
            break
    line = _lines(text).get("winner")
    if line is not None:
        candidates.append((line[0], line[1], _prose_before(text, line[2])))
    if not candidates:
        return PairVerdict(
            None, _no_verdict(text, "a JSON object with \"winner\", or a 'Winner: A' line"), text
        )
    _, value, reason = max(candidates, key=lambda c: c[0])
    winner = _WINNERS.get(value.strip().lower()) if isinstance(value, str) else None
    if winner is None:
        shown = json.dumps(value, ensure_ascii=False)
        return PairVerdict(None, f"winner {shown} is not one of A, B, tie", text)
    return PairVerdict(winner, reason, text)


def _no_verdict(text: str, wanted: str) -> str:
    if not text.strip():
        return "the judge's output is empty"
    return f"no verdict in the judge's output (expected {wanted})"
