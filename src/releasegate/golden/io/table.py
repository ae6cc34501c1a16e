"""What CSV, TSV and XLSX share: the header row and the cell conventions that turn a table's
cells into case rows (see :mod:`releasegate.golden.io` for the conventions themselves).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core.display import shorten
from ...exceptions import GoldenFileError
from .assert_columns import assertion_column
from .jsonl import DuplicateKeyError, parse_json
from .rows import JSON_CELL_FIELDS, KNOWN_FIELDS, REQUIRED_FIELDS, CaseRow

__all__ = ["BadCell", "header_name", "table_rows"]

_TAG_SEPARATORS = re.compile(r"[,;\uff0c\uff1b\u3001\s]+")
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff"
"""Zero-width characters (and a BOM) that a header cell may carry unseen, from a copy-paste or
a file joined to another: never part of a column's name."""
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS))
_ANY_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
"""The same characters, to drop from a whole row at C speed (a row's text can be long)."""
TITLE_CELLS = 2
"""A row above the header is a title (``Support FAQ``; ``Owner:`` | ``support team``) when it has
at most this many filled cells and names no case column."""
TITLE_ROWS = 5
"""At most this many title rows are passed over above the header; more is not a title block."""
ERROR_VALUES = ("#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!")
"""Excel's error values: a CSV exported from a sheet where a formula failed holds them as text."""


@dataclass(frozen=True)
class BadCell:
    """A workbook cell whose value cannot be read as its author sees it: a formula without a
    saved result (a script wrote the workbook and nothing calculated it), an error value like
    ``#N/A``, or a number format that cannot be shown faithfully. Reading any of them as empty
    or as its raw value would load text its author never saw, so each is an error of its own.
    """

    sheet: str
    cell: str
    """The cell's reference, like ``B7``."""
    column: int
    """0-based column index."""
    problem: str
    """What is wrong and what to do, following "sheet 'Cases', cell B7 "."""


def _is_blank(cells: Sequence[str | None]) -> bool:
    return all(cell is None or not cell.strip() for cell in cells)


def header_name(raw: str | None) -> str:
    """A header cell as a column name: without surrounding white space or zero-width characters,
    and a known field's name in lowercase (``" ID\u200b"`` -> ``"id"``); ``""`` for no name."""
    name = (raw or "").translate(_INVISIBLE).strip()
    if name.casefold() in KNOWN_FIELDS:
        return name.casefold()
    try:
        column = assertion_column(name)
    except ValueError:
        return name  # refused by the header's own check, naming the column
    if column is None:
        return name
    kind, label = column
    return kind if label is None else f"{kind}:{label}"


def _names(cells: Sequence[str | None]) -> list[str | None]:
    """A row's cells as column names, None for an empty cell, without trailing empty cells."""
    names = [header_name(cell) or None for cell in cells]
    while names and names[-1] is None:
        names.pop()
    return names


def _names_a_case_column(cells: Sequence[str | None]) -> bool:
    return any(name in REQUIRED_FIELDS for name in _names(cells))


def _is_title(cells: Sequence[str | None]) -> bool:
    names = [name for name in _names(cells) if name is not None]
    return len(names) <= TITLE_CELLS and not any(name in KNOWN_FIELDS for name in names)


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
        name = header_name(raw)
        if not name:
            names.append(None)
            continue
        try:
            assertion_column(name)
        except ValueError as err:
            raise GoldenFileError(str(err), path=path, line=line, field=name) from None
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
    asserts = "assert" in seen or any(assertion_column(name) is not None for name in seen)
    for required in REQUIRED_FIELDS:
        if required == "expected" and asserts:
            continue  # a case with assertions may have no expected answer
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
    while names and names[-1] is None:
        names.pop()
    return _Header(names=tuple(names), line=line)


def _find_header(
    records: Sequence[tuple[int, Sequence[str | None]]],
    *,
    path: Path,
    column: Callable[[int], str],
    other_sheets: str,
) -> tuple[_Header, int] | None:
    """The header row and its index in *records*: the first non-blank row, or the first row that
    names a case column below a title block (at most :data:`TITLE_ROWS` rows of at most
    :data:`TITLE_CELLS` filled cells each, none a case column). None for a table with no
    non-blank row. Rows above the header that are not clearly a title are refused: whatever they
    hold would be silently dropped."""
    filled = [index for index, (_, cells) in enumerate(records) if not _is_blank(cells)]
    if not filled:
        return None
    first_line, first_cells = records[filled[0]]
    titles: list[int] = []
    for index in filled:
        line, cells = records[index]
        if _names_a_case_column(cells):
            if titles and (
                len(titles) > TITLE_ROWS or not all(_is_title(records[i][1]) for i in titles)
            ):
                break
            header = _parse_header(
                cells, path=path, line=line, column=column, other_sheets=other_sheets
            )
            return header, index
        titles.append(index)
        if not _is_title(cells):
            break
    later = next((i for i in filled if i > filled[0] and _names_a_case_column(records[i][1])), None)
    if later is not None:
        line = records[later][0]
        if len(titles) > TITLE_ROWS:
            why = f"there are {len(titles)} rows above it (a title block has at most {TITLE_ROWS})"
        else:
            bad_line, bad_cells = next(records[i] for i in titles if not _is_title(records[i][1]))
            shown = ", ".join(
                f"'{shorten(name, 30)}'" for name in _names(bad_cells) if name is not None
            )
            why = f"line {bad_line} above it is not a title: it has {shown}"
        raise GoldenFileError(
            f"line {line} looks like the header row, but {why}; rows above the header are read "
            f"only as a title (at most {TITLE_ROWS} rows of at most {TITLE_CELLS} filled cells, "
            "none named id, input or expected): delete the rows above the header, or move them "
            "below the table",
            path=path,
            line=first_line if len(titles) > TITLE_ROWS else bad_line,
        )
    # no row names a case column: the first row was meant as the header
    _parse_header(first_cells, path=path, line=first_line, column=column, other_sheets=other_sheets)
    raise AssertionError("unreachable: a header without case columns raises")  # pragma: no cover


def _repeats_header(cells: Sequence[str | None], header: _Header, *, path: Path, line: int) -> bool:
    """Whether a row below the header repeats it (two exports pasted one under the other): True
    for the same names in the same columns, which is skipped; a row that names the case columns
    in another order is refused, as its rows' columns would be misread.

    Asked of every data row, so a row is first looked at whole: one that does not hold the
    case columns' names somewhere in its text (nearly every row) cannot be either, and its
    cells are not each made a column name."""
    folded = _ANY_INVISIBLE.sub("", "\n".join(filter(None, cells))).casefold()
    if not all(name in folded for name in REQUIRED_FIELDS):  # the header has them all
        return False
    names = _names(cells)
    if tuple(names) == header.names:
        return True
    if not all(name in names for name in REQUIRED_FIELDS):
        return False
    shown = ", ".join(name or "(empty)" for name in names)
    expected = ", ".join(name or "(empty)" for name in header.names)
    raise GoldenFileError(
        f"this row repeats the header row (line {header.line}) with other columns ({shown} "
        f"instead of {expected}): two tables pasted one under the other? Put the columns of the "
        "rows below in the same order as the header row and delete this row",
        path=path,
        line=line,
    )


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
    bad_cells: Mapping[int, BadCell] | None = None,
    other_sheets: str = "",
) -> list[CaseRow]:
    """Rows by the header and cell conventions; *bad_cells* (workbooks) holds, by row number,
    the first cell of a row that cannot be read as shown (:class:`BadCell`); *other_sheets*
    (workbooks) is added to a header that names no case columns.

    The header is the first non-blank row, or the first row that names a case column below a
    title block (:func:`_find_header`); a row below it that repeats it is skipped."""
    records = list(records)
    found = _find_header(records, path=path, column=column, other_sheets=other_sheets)
    rows: list[CaseRow] = []
    header: _Header | None = None
    for index, (line, cells) in enumerate(records):
        if bad_cells and line in bad_cells:
            raise _bad_cell_error(bad_cells[line], header, path=path, line=line)
        if found is None or _is_blank(cells) or index < found[1]:
            continue
        if index == found[1]:
            header = found[0]
            continue
        assert header is not None
        if _repeats_header(cells, header, path=path, line=line):
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
            if name in REQUIRED_FIELDS and value in ERROR_VALUES:
                raise _error_value(value, name, column(index), path=path, line=line)
            if value is not None:
                data[name] = value
        rows.append(CaseRow(line=line, data=data))
    return rows


def _bad_cell_error(
    found: BadCell, header: _Header | None, *, path: Path, line: int
) -> GoldenFileError:
    field = None
    if header is not None and found.column < len(header.names):
        field = header.names[found.column]
    return GoldenFileError(
        f"sheet '{found.sheet}', cell {found.cell} {found.problem}",
        path=path,
        line=line,
        field=field,
    )


def _error_value(value: str, name: str, where: str, *, path: Path, line: int) -> GoldenFileError:
    """A case cell that holds only an error value (``#N/A``): what a spreadsheet shows for a
    formula that failed, kept as text by its CSV export. Loaded, it would be the case's text,
    which nobody typed."""
    hint = ""
    if name == "expected":
        hint = f'; if the expected answer really is {value}, write it as a JSON list: ["{value}"]'
    return GoldenFileError(
        f"{where} holds {value}, the error value a spreadsheet shows for a formula that failed "
        "(a CSV exported from it keeps it as text): fix the formula or the data it refers to in "
        f"the workbook and export again, or type the {name} text{hint}",
        path=path,
        line=line,
        field=name,
    )
