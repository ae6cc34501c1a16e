"""Reading golden case files: JSONL, CSV and tab-separated text as Excel writes them, and XLSX.

One module per format (:mod:`.jsonl`, :mod:`.csv`, :mod:`.xlsx`), what CSV and XLSX share in
:mod:`.table`, decoding in :mod:`.text`, and the case row (its fields, their one rule each, the
conversion to a :class:`~releasegate.golden.cases.GoldenCase`) in :mod:`.rows`.

:func:`read_rows` turns a file into rows (line number + the row as parsed); :func:`load_cases`
checks every row by the rules of :mod:`.rows` and turns it into a
:class:`~releasegate.golden.cases.GoldenCase`.

Whatever the file holds, both raise nothing but
:class:`~releasegate.exceptions.GoldenFileError`, whose message names the file, the line (the Excel
row number for workbooks) and the field, and says what to do. Neither returns part of a file:
either every case is read, or an error is raised.

Text files are decoded (:mod:`.text`) in the manifest's ``encoding:`` strictly, else by their byte
order mark (UTF-8, UTF-16 or UTF-32: Excel's "Unicode Text" export is UTF-16 with a BOM,
tab-separated, and is often renamed ``.csv``), else as UTF-8. A text table that is none of these
is read as GB18030 only on overwhelming evidence (charset-normalizer ranks it first, with no
rival reading close, and it holds at least 100 Chinese characters, nearly all common ones);
otherwise it is refused at the first byte that is not UTF-8, naming the encodings that read it and
the ``encoding:`` line to write. A file that is UTF-8 but for a few bytes is refused at the first of
them; a file with NUL bytes (UTF-16 without its BOM, or no text at all) is refused too. JSONL is
UTF-8 (or its declared encoding), never guessed.

A workbook under a text file's name (an ``.xls``, OLE2, or an ``.xlsx``, zip, named ``.csv``,
``.tsv``, ``.txt`` or ``.jsonl``) is refused saying what it is. A ``.jsonl`` file that is a JSON
array or pretty-printed JSON is refused saying so. A lone UTF-16 surrogate anywhere in a row (a
JSON escape like ``\\ud83d`` without its pair) is refused naming the field.

The delimiter of a text table is the one a first line ``sep=;`` (Excel's convention) names (the
line is skipped and still counted), else the one (comma, semicolon or tab) that splits the header
into the most known column names; on a tie, a tab for ``.tsv``/``.txt`` files and for
UTF-16/UTF-32 text, else a comma. A cell may be as long as the file.

Spreadsheet (CSV/TSV/XLSX) cell conventions:

* the header is the first non-blank row, or the first row that names ``id``, ``input`` or
  ``expected`` below a title block (at most 5 rows of at most 2 filled cells, none a case
  column); any other row above it is refused; column names lose surrounding white space and
  zero-width characters (U+200B-U+200D, U+2060, U+FEFF), ``id``, ``input``, ``expected``,
  ``tags`` and ``check`` are matched case-insensitively; other columns go to ``extra``; a row
  that repeats the header is skipped, one naming the case columns in another order refused;
* blank rows are skipped, empty cells are missing values, and cell text is stripped (leading or
  trailing white space is invisible in a spreadsheet and almost never meant);
* an ``input``, ``expected`` or ``check`` cell that starts with ``[`` or ``{`` and parses as JSON is
  taken as JSON (chat messages, a list of answers, a JSON object, a check with parameters);
* ``tags`` are split on commas, semicolons (ASCII or full-width) and white space (or given as a JSON
  list of strings);
* workbooks: the first visible sheet unless the manifest names one; every cell as the sheet
  shows it by its number format (:mod:`.cells`: ``15%``, ``10:30``, ``12.3``, ``TRUE``, dates by
  their format, Excel's locale-dependent short date as ISO ``2024-05-01``); a cell merged over
  several rows belongs to each; error values (``#N/A``), formulas without a saved result and
  number formats that cannot be shown are refused naming the cell.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ...exceptions import GoldenFileError
from ..cases import GoldenCase, unique_test_ids
from .csv import TAB_SUFFIXES, read_csv
from .jsonl import read_jsonl
from .rows import KNOWN_FIELDS, CaseRow, to_case
from .text import read_bytes
from .xlsx import OLE2_MAGIC, ZIP_MAGIC, read_xlsx, zip_names

__all__ = ["KNOWN_FIELDS", "SUPPORTED_SUFFIXES", "CaseRow", "load_cases", "read_rows"]

SUPPORTED_SUFFIXES = (".jsonl", ".csv", ".tsv", ".txt", ".xlsx")
"""The case file types :func:`read_rows` understands (matched case-insensitively)."""


def read_rows(
    path: Path | str, *, encoding: str = "auto", sheet: str | None = None
) -> list[CaseRow]:
    """Read a case file into rows, without validating them.

    ``encoding`` applies to text files (CSV, TSV, TXT, JSONL): ``"auto"`` or a codec name used
    strictly.
    ``sheet`` applies to workbooks: the sheet to read (default: the first worksheet).
    Raises :class:`GoldenFileError` for anything that cannot be read.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        hint = ""
        if suffix == ".json":
            hint = " (a .json file? write one case object per line and name it .jsonl)"
        elif suffix in (".xls", ".xlsm", ".ods", ".numbers"):
            hint = " (save the workbook from your spreadsheet program as 'Excel Workbook (.xlsx)')"
        shown = f"'{suffix}'" if suffix else "without an extension"
        raise GoldenFileError(
            f"unsupported case file type {shown}: use one of {', '.join(SUPPORTED_SUFFIXES)}{hint}",
            path=path,
        )
    data = read_bytes(path)
    if suffix != ".xlsx":
        _refuse_a_workbook(path, data)
    if suffix == ".jsonl":
        return read_jsonl(path, data, encoding)
    if suffix in (".csv", *TAB_SUFFIXES):
        return read_csv(path, data, encoding)
    return read_xlsx(path, data, None if sheet is None else str(sheet))


def load_cases(
    path: Path | str, *, suite: str, encoding: str = "auto", sheet: str | None = None
) -> list[GoldenCase]:
    """Read, validate and convert every case of a case file; raise :class:`GoldenFileError` or
    return them all."""
    path = Path(path)
    rows = read_rows(path, encoding=encoding, sheet=sheet)
    if not rows:
        raise GoldenFileError(
            "the case file has no cases: add rows or remove the manifest that points to it",
            path=path,
        )
    from_cells = path.suffix.lower() != ".jsonl"
    cases = [to_case(row, path=path, suite=suite, from_cells=from_cells) for row in rows]
    first_line: dict[str, int] = {}
    for row, case in zip(rows, cases, strict=True):
        if case.id in first_line:
            raise GoldenFileError(
                f"duplicate id '{case.id}': line {first_line[case.id]} has the same id; ids must "
                "be unique in a suite: rename one of the two cases",
                path=path,
                line=row.line,
                field="id",
            )
        first_line[case.id] = row.line
    test_ids = unique_test_ids(case.id for case in cases)
    return [
        case if case.test_id == test_id else dataclasses.replace(case, test_id=test_id)
        for case, test_id in zip(cases, test_ids, strict=True)
    ]


def _refuse_a_workbook(path: Path, data: bytes) -> None:
    """A workbook renamed to a text file's name (``cases.csv`` that is really an ``.xls``) is
    refused saying what it is: decoded as text it is noise, or worse, a few rows of it."""
    todo = (
        "open it in Excel and save it as 'CSV UTF-8', or as 'Excel Workbook (.xlsx)' named .xlsx "
        "and point 'cases:' in the manifest at it"
    )
    if data.startswith(OLE2_MAGIC):
        raise GoldenFileError(
            f"this is not a text file but an Excel 97-2003 workbook (.xls) or a password-"
            f"protected workbook (an OLE2 compound file) named {path.suffix}: {todo}",
            path=path,
        )
    if data.startswith(ZIP_MAGIC):
        names = zip_names(data) or []
        if any(name.startswith("xl/") for name in names):
            message = (
                f"this is not a text file but an Excel workbook (.xlsx, a zip file) named "
                f"{path.suffix}: rename it to .xlsx and point 'cases:' in the manifest at it, or "
                "open it in Excel and save it as 'CSV UTF-8'"
            )
        else:
            message = (
                "this is not a text file but a zip archive: unpack it and point 'cases:' in the "
                "manifest at the case file inside"
            )
        raise GoldenFileError(message, path=path)
