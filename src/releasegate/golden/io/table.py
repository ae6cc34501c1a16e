"""What CSV, TSV and XLSX share: the header row and the cell conventions that turn a table's
cells into case rows (see :mod:`releasegate.golden.io` for the conventions themselves).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...exceptions import GoldenFileError
from ...reports.display import shorten
from .jsonl import DuplicateKeyError, parse_json
from .rows import JSON_CELL_FIELDS, KNOWN_FIELDS, REQUIRED_FIELDS, CaseRow

__all__ = ["UnsavedFormula", "table_rows"]

_TAG_SEPARATORS = re.compile(r"[,;\uff0c\uff1b\u3001\s]+")


@dataclass(frozen=True)
class UnsavedFormula:
    """A workbook cell that holds a formula but no saved result.

    Excel and LibreOffice store each formula's result beside it when they save; a workbook
    written by a script (openpyxl, pandas) stores only the formula, and a reader that does not
    calculate sees an empty cell. Reading it as empty would lose data silently, so it is an error
    of its own.
    """

    sheet: str
    cell: str
    """The cell's reference, like ``B7``."""
    column: int
    """0-based column index."""
    formula: str


def _is_blank(cells: Sequence[str | None]) -> bool:
    return all(cell is None or not cell.strip() for cell in cells)


@dataclass(frozen=True)
class _Header:
    names: tuple[str | None, ...]
    line: int


def _parse_header(
    cells: Sequence[str | None],
    *,
    path: Path,
    line: int,
    column: Callable[[int], str],
    other_sheets: str = "",
) -> _Header:
    names: list[str | None] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(cells):
        name = (raw or "").strip().lstrip("\ufeff").strip()
        if not name:
            names.append(None)
            continue
        if name.lower() in KNOWN_FIELDS:
            name = name.lower()
        if name in seen:
            raise GoldenFileError(
                f"the header row names the column '{name}' twice ({column(seen[name])} and "
                f"{column(index)}): rename or remove one of them",
                path=path,
                line=line,
                field=name,
            )
        seen[name] = index
        names.append(name)
    for required in REQUIRED_FIELDS:
        if required not in seen:
            found = ", ".join(f"'{shorten(n, 40)}'" for n in names if n is not None)
            message = (
                f"the header row has no '{required}' column (it has {found}): the first row "
                "must name the columns id, input and expected (tags, check and others are "
                "optional)"
            )
            if other_sheets and not any(name in seen for name in REQUIRED_FIELDS):
                message += f"; {other_sheets}"
            raise GoldenFileError(
                message,
                path=path,
                line=line,
                field=required,
            )
    return _Header(names=tuple(names), line=line)


def _split_tags(text: str) -> list[str] | None:
    if text.startswith("["):
        parsed = _parse_json_cell(text)
        if isinstance(parsed, list):
            return parsed
    tags = [tag for tag in _TAG_SEPARATORS.split(text) if tag]
    return tags or None


def _parse_json_cell(text: str) -> Any:
    """The JSON a cell holds, or None if it is not JSON."""
    try:
        return parse_json(text)
    except (DuplicateKeyError, ValueError, RecursionError):
        return None


def _convert_cell(name: str, raw: str | None) -> Any:
    """A cell's value by the spreadsheet conventions; None for an empty cell."""
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    if name == "tags":
        return _split_tags(text)
    if name in JSON_CELL_FIELDS and text[0] in "[{":
        parsed = _parse_json_cell(text)
        if isinstance(parsed, list | dict):
            return parsed
    return text


def table_rows(
    records: Iterable[tuple[int, Sequence[str | None]]],
    *,
    path: Path,
    column: Callable[[int], str],
    unsaved: Mapping[int, UnsavedFormula] | None = None,
    other_sheets: str = "",
) -> list[CaseRow]:
    """Rows by the header and cell conventions; *unsaved* (workbooks) holds, by row number, the
    first cell of a row that has a formula without a saved result; *other_sheets* (workbooks)
    is added to a header that names no case columns."""
    header: _Header | None = None
    rows: list[CaseRow] = []
    for line, cells in records:
        if unsaved and line in unsaved:
            raise _unsaved_formula_error(unsaved[line], header, path=path, line=line)
        if _is_blank(cells):
            continue
        if header is None:
            header = _parse_header(
                cells, path=path, line=line, column=column, other_sheets=other_sheets
            )
            continue
        data: dict[str, Any] = {}
        for index, raw in enumerate(cells):
            name = header.names[index] if index < len(header.names) else None
            if name is None:
                if raw is not None and raw.strip():
                    raise GoldenFileError(
                        f"{column(index)} has a value ('{shorten(raw, 40)}') but no name in "
                        f"the header row (line {header.line}): name the column or clear the cell",
                        path=path,
                        line=line,
                    )
                continue
            value = _convert_cell(name, raw)
            if value is not None:
                data[name] = value
        rows.append(CaseRow(line=line, data=data))
    return rows


def _unsaved_formula_error(
    found: UnsavedFormula, header: _Header | None, *, path: Path, line: int
) -> GoldenFileError:
    field = None
    if header is not None and found.column < len(header.names):
        field = header.names[found.column]
    return GoldenFileError(
        f"sheet '{found.sheet}', cell {found.cell} holds a formula ({shorten(found.formula, 60)}) "
        "without a saved result: the workbook was saved by a program that does not calculate "
        "formulas (a script, e.g. openpyxl or pandas). Open it in Excel or LibreOffice and save "
        "it, or replace the formulas by their values (copy, then paste values only)",
        path=path,
        line=line,
        field=field,
    )
