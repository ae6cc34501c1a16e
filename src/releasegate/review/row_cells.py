"""The reviewer's cells of one row of a returned sheet: a score per criterion (on the rubric's
scale), the comment and the reviewer's name. A cell that cannot be read (a formula with no saved
value, a score off the scale) is a problem of that cell, named by its column; the row is then
not imported (review/importing.py gathers every problem of a workbook before refusing it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .bindings import cell_text, column_letter
from .rubric import Rubric
from .sheet import FIXED_COLUMNS
from .workbook import Unsaved

__all__ = ["read_scores", "read_texts"]

Problem = Callable[[str, str], None]
"""Reports a problem: its message, and the column it is in (``C 'Relevance'``)."""


def read_scores(
    values: Sequence[Any], rubric: Rubric, problem: Problem
) -> tuple[dict[str, float], list[str]]:
    """The row's score per criterion, and the columns left blank."""
    first = len(FIXED_COLUMNS)
    scores: dict[str, float] = {}
    blank = []
    for offset, criterion in enumerate(rubric.criteria):
        raw = values[first + offset]
        column = f"{column_letter(first + offset + 1)} '{criterion.header}'"
        if isinstance(raw, Unsaved):
            problem(
                f"holds the formula {raw.formula} with no saved value (the program that "
                "saved the file did not calculate it); type the score itself, or open and "
                "save the file in Excel or LibreOffice",
                column,
            )
            continue
        if cell_text(raw) == "":
            blank.append(column)
            continue
        score = rubric.scale.parse(raw)
        if score is None:
            problem(
                f"'{cell_text(raw)}' is not a score on the scale {rubric.scale.text}; "
                + _how_to_score(rubric),
                column,
            )
            continue
        scores[criterion.name] = score
    return scores, blank


def read_texts(
    values: Sequence[Any], rubric: Rubric, headers: Sequence[str], problem: Problem
) -> tuple[str, str]:
    """The row's comment and reviewer's name."""
    first = len(FIXED_COLUMNS)
    comment = cell_text(values[first + len(rubric.criteria)])
    reviewer = cell_text(values[first + len(rubric.criteria) + 1])
    for offset in (len(rubric.criteria), len(rubric.criteria) + 1):
        cell = values[first + offset]
        if isinstance(cell, Unsaved):
            problem(
                f"holds the formula {cell.formula} with no saved value; type the text itself",
                f"{column_letter(first + offset + 1)} '{headers[first + offset]}'",
            )
    return comment, reviewer


def _how_to_score(rubric: Rubric) -> str:
    scale = rubric.scale
    if scale.pass_fail:
        return "choose pass or fail (通过 / 不通过)"
    return f"type a whole number from {scale.low} to {scale.high}, nothing else"
