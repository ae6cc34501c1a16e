"""Excel workbooks (``.xlsx``): one sheet (the first visible one unless the manifest names one)
read by the spreadsheet cell conventions, with every cell as the sheet shows it
(:mod:`.cells`: ``15%``, ``10:30``, ``12.3``), a merged cell's value in every row it spans, and
a formula without a saved result, an error value (``#N/A``) or a number format that cannot be
shown refused rather than read as something its author never saw.

Only the rows up to the last one holding a value are parsed: a sheet formatted down to row
1,048,576 has a million empty rows that a row-by-row reader would otherwise walk through.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core.display import shorten
from ...exceptions import GoldenFileError
from .cells import UnshownFormat, shown_text
from .rows import CaseRow
from .table import BadCell, table_rows

__all__ = ["OLE2_MAGIC", "ZIP_MAGIC", "read_xlsx", "zip_names"]

_VALUE_TAGS = (b"<v", b"<is", b"<f")
"""The starts of a cell's value, inline text and formula (no other element of a sheet's rows
starts so)."""
_ROW_START = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_ERRORS = "#N/A, #REF!, #VALUE!, #DIV/0!, #NAME?, #NUM!, #NULL!"


@dataclass(frozen=True)
class _Cell:
    """One cell as read: its value (formulas as their text, or the result saved with them),
    openpyxl's data type, and its number format (code and id)."""

    value: Any
    data_type: str
    number_format: str | None
    format_id: int | None


_EMPTY = _Cell(None, "n", None, None)


@dataclass(frozen=True)
class _Layout:
    """What the sheet's XML says beyond its cells' values."""

    last_row: int | None
    """The last row that holds a value (None: unknown, read every row)."""
    merges: tuple[tuple[int, int, int, int], ...]
    """Merged ranges spanning several rows: (first row, last row, first column, last column),
    columns 0-based."""


def _layout(xml: bytes) -> _Layout:
    """The last row holding a value, found from the end of the sheet's XML, and its merged
    ranges. Anything this cannot tell (a writer that omits row numbers) means: read every row."""
    from openpyxl.utils import column_index_from_string

    opening = xml.find(b"sheetData")
    if opening > 0 and xml[opening - 1 : opening] == b":":
        return _Layout(None, ())  # a writer that prefixes the elements: read as openpyxl does
    merges: list[tuple[int, int, int, int]] = []
    end = xml.rfind(b"sheetData>")
    for match in _MERGE.finditer(xml, max(end, 0)):
        first, last = int(match[2]), int(match[4])
        if last > first:
            left = column_index_from_string(match[1].decode()) - 1
            right = column_index_from_string(match[3].decode()) - 1
            merges.append((first, last, left, right))
    position = max(xml.rfind(tag, 0, end if end >= 0 else len(xml)) for tag in _VALUE_TAGS)
    last_row: int | None = None
    if position >= 0:
        start = max(xml.rfind(b"<row", 0, position), xml.rfind(b":row", 0, position) - 2)
        found = _ROW_START.match(xml, start) if start >= 0 else None
        if found is not None:
            last_row = max([int(found[1]), *(merge[1] for merge in merges)])
    else:
        last_row = max((merge[1] for merge in merges), default=0)
    return _Layout(last_row, tuple(merges))


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"column {get_column_letter(index + 1)}"


def _read_cell(cell: Any) -> _Cell:
    if cell.value is None and getattr(cell, "data_type", None) != "str":
        return _EMPTY
    style = getattr(cell, "style_array", None)
    return _Cell(
        cell.value,
        str(cell.data_type),
        getattr(cell, "number_format", None),
        None if style is None else int(style.numFmtId),
    )


@dataclass(frozen=True)
class _Sheet:
    """One worksheet as read, and the names of the workbook's other worksheets."""

    title: str
    rows: list[list[_Cell]]
    """Every row up to the last that holds a value (formulas as their text, or the results
    saved with them)."""
    layout: _Layout
    others: tuple[str, ...]
    """The workbook's other worksheets, in tab order."""
    hidden: frozenset[str]
    """The workbook's hidden worksheets."""


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""How an Excel 97-2003 workbook (.xls) and a password-protected workbook start."""
ZIP_MAGIC = b"PK\x03\x04"
"""How an .xlsx (a zip archive) starts."""


def _not_a_workbook(path: Path, data: bytes) -> str | None:
    """What the file is, if it is plainly not an .xlsx workbook (a reason and what to do), so
    the message says that rather than openpyxl's "File is not a zip file"; None otherwise."""
    if data.startswith(OLE2_MAGIC):
        return (
            f"this is an Excel 97-2003 workbook (.xls) or a password-protected workbook (an OLE2 "
            f"file), not an .xlsx, though named {path.suffix}: open it in Excel, remove any "
            "password, and save it as 'Excel Workbook (.xlsx)'"
        )
    if not data.strip():
        return "the file is empty: save the workbook again from Excel as 'Excel Workbook (.xlsx)'"
    if not data.startswith(ZIP_MAGIC):
        head = data[:4096]
        if b"\x00" not in head and _looks_like_text(head):
            return (
                f"this is a text file (a CSV?), not an .xlsx workbook, though named "
                f"{path.suffix}: rename it to .csv (or .tsv, .txt) and point 'cases:' in the "
                "manifest at it, or open it in Excel and save it as 'Excel Workbook (.xlsx)'"
            )
        return (
            "this is not an .xlsx workbook (an .xlsx is a zip archive, and this file does not "
            "start like one): save it from its program as 'Excel Workbook (.xlsx)'"
        )
    names = zip_names(data)
    if names is None:
        return (
            "the workbook is damaged or cut short (it starts like a zip archive, as an .xlsx "
            "does, but is not a whole one): download or copy it again, or save it again from Excel"
        )
    if "content.xml" in names:
        return (
            f"this is an OpenDocument spreadsheet (.ods), not an .xlsx, though named "
            f"{path.suffix}: save it from LibreOffice as 'Excel 2007-365 (.xlsx)'"
        )
    if not any(name.startswith("xl/") for name in names):
        return (
            "this is a zip archive but not an Excel workbook (it has no xl/ folder): save the "
            "cases from Excel as 'Excel Workbook (.xlsx)'"
        )
    return None


def zip_names(data: bytes) -> list[str] | None:
    """The member names of the zip archive *data* (an .xlsx is one); None if it is no whole
    archive."""
    try:
        return zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _looks_like_text(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030", "cp1252"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return all(char.isprintable() or char in "\r\n\t" for char in text.lstrip("\ufeff"))
    return False


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
                layout = _Layout(None, ())
                # openpyxl keeps the sheet's place in the archive private; without it, every
                # row is read and merged cells are left as openpyxl reads them
                member = getattr(worksheet, "_worksheet_path", None)
                if isinstance(member, str):
                    with zipfile.ZipFile(io.BytesIO(data)) as archive:
                        layout = _layout(archive.read(member))
                worksheet.reset_dimensions()  # the stored size can be wrong: read every row
                rows = [
                    [_read_cell(cell) for cell in row]
                    for row in worksheet.iter_rows(max_row=layout.last_row or None)
                ]
                if layout.last_row == 0:
                    rows = []
            except Exception as exc:
                raise GoldenFileError(
                    f"cannot read sheet '{worksheet.title}' ({type(exc).__name__}: "
                    f"{shorten(str(exc), 80)}): the workbook looks damaged; open it in Excel and "
                    "save it again",
                    path=path,
                ) from None
            title = str(worksheet.title)
            others = tuple(str(w.title) for w in workbook.worksheets if str(w.title) != title)
            hidden = frozenset(str(w.title) for w in workbook.worksheets if not _visible(w))
            return _Sheet(title, rows, layout, others, hidden)
        finally:
            with contextlib.suppress(Exception):
                workbook.close()


def _visible(worksheet: Any) -> bool:
    """Whether the sheet's tab shows (neither ``hidden`` nor ``veryHidden``)."""
    return getattr(worksheet, "sheet_state", "visible") == "visible"


def _formula_text(value: Any) -> str:
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    if isinstance(value, ArrayFormula):
        return str(value.text)
    if isinstance(value, DataTableFormula):
        return "a data table formula"
    return str(value)


def _problem(cell: _Cell, formula: str | None) -> str | None:
    """What keeps *cell* (its saved result, for a formula) from being read as shown."""
    if formula is not None and cell.value is None and cell.data_type != "str":
        return (
            f"holds a formula ({shorten(formula, 60)}) without a saved result: the workbook was "
            "saved by a program that does not calculate formulas (a script, e.g. openpyxl or "
            "pandas). Open it in Excel or LibreOffice and save it, or replace the formulas by "
            "their values (copy, then paste values only)"
        )
    if cell.data_type == "e":
        source = f"its formula {shorten(formula, 60)} gives" if formula else "it holds"
        return (
            f"shows the error {cell.value} ({source} an error value, not text): fix the formula "
            "or the data it refers to, or type the expected text; error values "
            f"({_ERRORS}) are never read as case text"
        )
    return None


def read_xlsx(path: Path, data: bytes, sheet: str | None) -> list[CaseRow]:
    # Read once with formulas visible; only a sheet that has formulas is read a second time for
    # the results Excel saved with them (most case sheets have none, so this costs nothing).
    from openpyxl.utils import get_column_letter

    reason = _not_a_workbook(path, data)  # the file, checked once before either load
    if reason is not None:
        raise GoldenFileError(reason, path=path)
    loaded = _load_sheet(path, data, sheet, data_only=False)
    title, rows = loaded.title, loaded.rows
    formulas = {
        (number, index): _formula_text(cell.value)
        for number, row in enumerate(rows, start=1)
        for index, cell in enumerate(row)
        if cell.data_type == "f"
    }
    if formulas:
        rows = _load_sheet(path, data, title, data_only=True).rows
    bad_cells: dict[int, BadCell] = {}
    texts: list[list[str | None]] = []
    for number, row in enumerate(rows, start=1):
        shown: list[str | None] = []
        for index, cell in enumerate(row):
            problem = _problem(cell, formulas.get((number, index)))
            text: str | None = None
            if problem is None and cell.value is not None:
                try:
                    text = shown_text(cell.value, cell.number_format, cell.format_id)
                except UnshownFormat as exc:
                    problem = (
                        f"cannot be shown as the sheet shows it: {exc}. Give the column a "
                        "simpler number format (General, 0.00, 0%, a date like yyyy-mm-dd) or "
                        "type the values as text"
                    )
            elif cell.data_type == "str":
                text = ""  # a formula's saved result: empty text
            if problem is not None and number not in bad_cells:
                reference = f"{get_column_letter(index + 1)}{number}"
                bad_cells[number] = BadCell(title, reference, index, problem)
            shown.append(text)
        texts.append(shown)
    _spread_merges(texts, loaded.layout.merges)
    records = list(enumerate(texts, start=1))
    other_sheets = ""
    first = "first sheet"
    if sheet is None and loaded.others:
        # the first visible sheet is read by default; the cases may well be on another one
        listed = ", ".join(
            f"'{name}'" + (" (hidden)" if name in loaded.hidden else "") for name in loaded.others
        )
        example = next(
            (name for name in loaded.others if name not in loaded.hidden), loaded.others[0]
        ).replace("'", "''")
        if loaded.hidden:
            first = "first visible sheet"
        other_sheets = (
            f"the workbook's {first}, '{title}', is read unless the manifest names another; "
            f"its other sheets are {listed}: if the cases are on one of them, set it in the "
            f"manifest, like sheet: '{example}'"
        )
    case_rows = table_rows(
        records, path=path, column=_column_letter, bad_cells=bad_cells, other_sheets=other_sheets
    )
    if not case_rows and other_sheets:
        raise GoldenFileError(f"no cases on the {first}: {other_sheets}", path=path)
    return case_rows


def _spread_merges(
    texts: list[list[str | None]], merges: tuple[tuple[int, int, int, int], ...]
) -> None:
    """A cell merged over several rows shows its value beside each of them: every row of the
    merge gets it, in the merge's first column (the other columns of a merge are empty, as
    Excel keeps them)."""
    for first, last, left, _right in merges:
        if first > len(texts) or left >= len(texts[first - 1]):
            continue
        value = texts[first - 1][left]
        for number in range(first + 1, min(last, len(texts)) + 1):
            row = texts[number - 1]
            row.extend([None] * (left + 1 - len(row)))
            row[left] = value


def _pick_sheet(workbook: Any, sheet: str | None, path: Path) -> Any:
    names = [str(name) for name in workbook.sheetnames]
    if sheet is None:
        worksheets = list(workbook.worksheets)
        if not worksheets:
            raise GoldenFileError("the workbook has no worksheets", path=path)
        # a hidden sheet in front (the lists behind drop-downs) is not what its author sees first
        visible = [w for w in worksheets if _visible(w)]
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
