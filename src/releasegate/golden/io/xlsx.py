"""Excel workbooks (``.xlsx``): one sheet (the first unless the manifest names one) read by the
spreadsheet cell conventions, with cells as Excel shows them (whole numbers stored as floats as
integers, dates as ISO text) and a formula without a saved result refused rather than read as
empty.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...exceptions import GoldenFileError
from ...reports.display import shorten
from .rows import CaseRow
from .table import UnsavedFormula, table_rows

__all__ = ["read_xlsx"]


def _cell_text(value: object) -> str | None:
    """A workbook cell as text (numbers, booleans and dates as Excel shows them)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"column {get_column_letter(index + 1)}"


def _formulas(rows: list[list[Any]]) -> dict[tuple[int, int], str]:
    """The formulas of a sheet read without ``data_only``, by (row number, column index).

    A text cell that starts with ``=`` looks the same here; the caller tells the two apart by
    the saved results (a text cell always has one).
    """
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    found: dict[tuple[int, int], str] = {}
    for number, row in enumerate(rows, start=1):
        for index, value in enumerate(row):
            if value is None or type(value) in (int, float, bool):
                continue
            if isinstance(value, str):
                if value.startswith("="):
                    found[number, index] = value
            elif isinstance(value, ArrayFormula):
                found[number, index] = str(value.text)
            elif isinstance(value, DataTableFormula):
                found[number, index] = "a data table formula"
    return found


def _saved_results(cells: Sequence[Any]) -> list[Any]:
    """Cell values as saved, with an empty text result (``=IF(A2="", "", ...)``, stored by Excel
    and LibreOffice as an empty value of type ``str``) as ``""`` rather than None, which is left
    for a formula that has no saved result at all."""
    return [
        "" if cell.value is None and getattr(cell, "data_type", None) == "str" else cell.value
        for cell in cells
    ]


@dataclass(frozen=True)
class _Sheet:
    """One worksheet as read, and the names of the workbook's other worksheets."""

    title: str
    rows: list[list[Any]]
    """Cell values, every row (formulas as their text, or the results saved with them)."""
    others: tuple[str, ...]
    """The workbook's other worksheets, in tab order."""
    hidden: frozenset[str]
    """The workbook's hidden worksheets."""


def _load_sheet(path: Path, data: bytes, sheet: str | None, *, data_only: bool) -> _Sheet:
    """The chosen sheet (formulas as their text unless *data_only*, which gives the results
    Excel saved)."""
    import openpyxl  # imported here: only workbooks need it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
        except Exception as exc:
            raise GoldenFileError(
                f"not a valid .xlsx workbook ({type(exc).__name__}: {shorten(str(exc), 80)}): "
                "save it from Excel as 'Excel Workbook (.xlsx)'",
                path=path,
            ) from None
        try:
            worksheet = _pick_sheet(workbook, sheet, path)
            try:
                worksheet.reset_dimensions()  # the stored size can be wrong: read every row
                if data_only:
                    raw_rows = [_saved_results(row) for row in worksheet.iter_rows()]
                else:
                    raw_rows = [list(row) for row in worksheet.iter_rows(values_only=True)]
            except Exception as exc:
                raise GoldenFileError(
                    f"cannot read sheet '{worksheet.title}' ({type(exc).__name__}: "
                    f"{shorten(str(exc), 80)}): the workbook looks damaged; open it in Excel and "
                    "save it again",
                    path=path,
                ) from None
            title = str(worksheet.title)
            others = tuple(str(w.title) for w in workbook.worksheets if str(w.title) != title)
            hidden = frozenset(
                str(w.title)
                for w in workbook.worksheets
                if getattr(w, "sheet_state", "visible") != "visible"
            )
            return _Sheet(title, raw_rows, others, hidden)
        finally:
            with contextlib.suppress(Exception):
                workbook.close()


def read_xlsx(path: Path, data: bytes, sheet: str | None) -> list[CaseRow]:
    # Read once with formulas visible; only a sheet that has formulas is read a second time for
    # the results Excel saved with them (most case sheets have none, so this costs nothing).
    loaded = _load_sheet(path, data, sheet, data_only=False)
    title, raw_rows = loaded.title, loaded.rows
    formulas = _formulas(raw_rows)
    unsaved: dict[int, UnsavedFormula] = {}
    if formulas:
        raw_rows = _load_sheet(path, data, title, data_only=True).rows
        from openpyxl.utils import get_column_letter

        for (number, index), text in sorted(formulas.items()):
            row = raw_rows[number - 1] if number <= len(raw_rows) else []
            saved = row[index] if index < len(row) else None
            if saved is None and number not in unsaved:
                cell = f"{get_column_letter(index + 1)}{number}"
                unsaved[number] = UnsavedFormula(title, cell, index, text)
    records = [
        (number, [_cell_text(value) for value in row])
        for number, row in enumerate(raw_rows, start=1)
    ]
    other_sheets = ""
    if sheet is None and loaded.others:
        # the first visible sheet is read by default; the cases may well be on another one
        listed = ", ".join(
            f"'{name}'" + (" (hidden)" if name in loaded.hidden else "") for name in loaded.others
        )
        example = next(
            (name for name in loaded.others if name not in loaded.hidden), loaded.others[0]
        ).replace("'", "''")
        first = "first visible sheet" if loaded.hidden else "first sheet"
        other_sheets = (
            f"the workbook's {first}, '{title}', is read unless the manifest names another; "
            f"its other sheets are {listed}: if the cases are on one of them, set it in the "
            f"manifest, like sheet: '{example}'"
        )
    rows = table_rows(
        records, path=path, column=_column_letter, unsaved=unsaved, other_sheets=other_sheets
    )
    if not rows and other_sheets:
        raise GoldenFileError(f"no cases on the {first}: {other_sheets}", path=path)
    return rows


def _pick_sheet(workbook: Any, sheet: str | None, path: Path) -> Any:
    names = [str(name) for name in workbook.sheetnames]
    if sheet is None:
        worksheets = list(workbook.worksheets)
        if not worksheets:
            raise GoldenFileError("the workbook has no worksheets", path=path)
        # a hidden sheet in front (the lists behind drop-downs) is not what its author sees first
        visible = [w for w in worksheets if getattr(w, "sheet_state", "visible") == "visible"]
        return (visible or worksheets)[0]
    if sheet not in names:
        listed = ", ".join(f"'{name}'" for name in names) or "none"
        close = [name for name in names if name.casefold() == str(sheet).casefold()]
        hint = f" (names are case-sensitive: did you mean '{close[0]}'?)" if close else ""
        raise GoldenFileError(
            f"no sheet named '{sheet}' in the workbook (its sheets: {listed}): set 'sheet:' in "
            f"the manifest to one of them{hint}",
            path=path,
        )
    worksheet = workbook[sheet]
    if not hasattr(worksheet, "iter_rows"):
        raise GoldenFileError(
            f"sheet '{sheet}' is a chart sheet, not a worksheet: point 'sheet:' at the sheet "
            "that holds the cases",
            path=path,
        )
    return worksheet
