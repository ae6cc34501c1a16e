"""Reading a returned review workbook within bounds: the limits that refuse a workbook far larger
than what was exported (before it is parsed, or after a capped number of rows), and the cells as
saved (a formula's saved value) and as written (a formula without one).

:mod:`releasegate.review.importing` applies them; the figures are in docs/review.md.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "EXTRA_ROWS",
    "MAX_ANSWERS",
    "PART_BYTES",
    "ROW_BYTES",
    "SHEET_BYTES",
    "Unsaved",
    "read_formulas",
    "read_table",
    "saved_values",
]

PART_BYTES = 64 * 2**20
"""No part of a review workbook unpacks to more (a workbook of 1,000 answers is 154 KiB packed)."""
SHEET_BYTES = 2**20
ROW_BYTES = 64 * 2**10
"""A suite sheet's XML may hold 1 MiB plus 64 KiB per exported row (texts are in the shared
strings part; a program that writes them inline gets two 32,000-character cells a row)."""
EXTRA_ROWS = 1000
"""Rows read past the last exported one (blank or formatted rows a spreadsheet program adds);
a sheet with more is refused without reading further."""
MAX_ANSWERS = 100_000
"""Rows the hidden binding sheet may hold."""


@dataclass(frozen=True)
class Unsaved:
    """A cell holding a formula whose value was never saved (openpyxl and some converters
    write formulas without calculating them): neither a blank nor a score."""

    formula: str


def read_table(sheet: Any, width: int, last: int) -> list[list[Any]]:
    """The sheet's first *width* columns, row by row, reading at most *last* rows (the
    declared dimension is ignored: a sheet could declare fewer rows than it holds)."""
    sheet.reset_dimensions()
    return [
        list(values) + [None] * (width - len(values))
        for values in sheet.iter_rows(max_col=width, max_row=last, values_only=True)
    ]


def read_formulas(path: Path, sheet: Any, width: int, last: int) -> list[list[Any]]:
    """The sheet's cells as written (a formula as ``=...``), read only when its XML holds a
    formula at all (most sheets do not: one parse instead of two)."""
    import openpyxl

    with sheet.parent._archive.open(sheet._worksheet_path) as part:
        if not any(_FORMULA.search(chunk) for chunk in _overlapping(part)):
            return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        return read_table(book[sheet.title], width, last)
    finally:
        book.close()


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _overlapping(part: Any, size: int = 2**20) -> Iterator[bytes]:
    """*part* in chunks that overlap by a few bytes, so no tag is split unseen."""
    tail = b""
    while chunk := part.read(size):
        yield tail + chunk
        tail = chunk[-8:]


def saved_values(values: Sequence[Any], written: Sequence[Any]) -> list[Any]:
    """*values* (saved values), with :class:`Unsaved` where the cell holds a formula and no
    saved value."""
    return [
        Unsaved(str(typed))
        if value is None and isinstance(typed, str) and typed.startswith("=")
        else value
        for value, typed in zip(values, [*written, *[None] * len(values)], strict=False)
    ]
