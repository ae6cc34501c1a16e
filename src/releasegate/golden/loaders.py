"""Reading golden case files: JSONL, CSV and tab-separated text as Excel writes them, and XLSX.

:func:`read_rows` turns a file into rows (line number + the row as parsed); :func:`load_cases`
checks every row against ``schemas/case.schema.json`` and turns it into a
:class:`~releasegate.golden.cases.GoldenCase`.

Whatever the file holds, both raise nothing but
:class:`~releasegate.exceptions.GoldenFileError`, whose message names the file, the line (the Excel
row number for workbooks) and the field, and says what to do. Neither returns part of a file:
either every case is read, or an error is raised.

Text tables (``.csv``, ``.tsv``, ``.txt``) are decoded by their byte order mark when they have
one (UTF-8, UTF-16 or UTF-32: Excel's "Unicode Text" export is UTF-16 with a BOM, tab-separated,
and is often renamed ``.csv``), else as UTF-8 or GB18030. The delimiter is the one (comma,
semicolon or tab) that splits the header into the most known column names; on a tie, a tab for
``.tsv``/``.txt`` files and for UTF-16/UTF-32 text, else a comma.

Spreadsheet (CSV/TSV/XLSX) cell conventions:

* the first non-blank row is the header; column names are stripped and ``id``, ``input``,
  ``expected``, ``tags`` and ``check`` are matched case-insensitively; other columns go to
  ``extra``;
* blank rows are skipped, empty cells are missing values, and cell text is stripped (leading or
  trailing white space is invisible in a spreadsheet and almost never meant);
* an ``input``, ``expected`` or ``check`` cell that starts with ``[`` or ``{`` and parses as JSON is
  taken as JSON (chat messages, a list of answers, a JSON object, a check with parameters);
* ``tags`` are split on commas, semicolons (ASCII or full-width) and white space (or given as a JSON
  list of strings);
* in workbooks, whole numbers stored as floats become integers (id ``7.0`` -> ``"7"``) and dates
  become ISO strings.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import datetime as dt
import io
import json
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..exceptions import GoldenFileError
from ..reports.display import shorten
from .cases import ChatMessage, Expected, GoldenCase, unique_test_ids

__all__ = ["KNOWN_FIELDS", "SUPPORTED_SUFFIXES", "CaseRow", "load_cases", "read_rows"]

SUPPORTED_SUFFIXES = (".jsonl", ".csv", ".tsv", ".txt", ".xlsx")
"""The case file types :func:`read_rows` understands (matched case-insensitively)."""

KNOWN_FIELDS = ("id", "input", "expected", "tags", "check")
"""The fields the engine interprets; every other field or column is kept as ``extra``."""

_REQUIRED_FIELDS = ("id", "input", "expected")
_JSON_CELL_FIELDS = ("input", "expected", "check")
_CHAT_ROLES = ("system", "user", "assistant")
_TAG_SEPARATORS = re.compile(r"[,;\uff0c\uff1b\u3001\s]+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DELIMITERS = (",", ";", "\t")
_TAB_SUFFIXES = (".tsv", ".txt")
_BOMS = (  # UTF-32 first: its little-endian BOM begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_EXAMPLE_ROW = '{"id": "q1", "input": "...", "expected": "..."}'
_EXAMPLE_MESSAGE = '{"role": "user", "content": "..."}'


@dataclass(frozen=True)
class CaseRow:
    """One row of a case file, before validation."""

    line: int
    """1-based: for JSONL/CSV the physical line the record starts on; for XLSX the row number."""
    data: Mapping[str, Any]
    """The row as parsed (JSONL: the JSON object; CSV/XLSX: the cells by the cell conventions)."""


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


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
    data = _read_bytes(path)
    if suffix == ".jsonl":
        return _read_jsonl(path, data, encoding)
    if suffix in (".csv", *_TAB_SUFFIXES):
        return _read_csv(path, data, encoding)
    return _read_xlsx(path, data, None if sheet is None else str(sheet))


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
    cases = [_to_case(row, path=path, suite=suite, from_cells=from_cells) for row in rows]
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


# --------------------------------------------------------------------------------------------
# Bytes and text
# --------------------------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise GoldenFileError(
            f"cannot read the case file ({reason}): check the 'cases:' path in the manifest",
            path=path,
        ) from exc


def _resolve_encoding(encoding: object, path: Path) -> str | None:
    """The codec to use strictly, or None for ``auto``."""
    if not isinstance(encoding, str):
        raise GoldenFileError(
            f"encoding must be text, like 'auto' or 'utf-8', not {encoding!r}", path=path
        )
    name = encoding.strip()
    if name.lower() == "auto":
        return None
    try:
        info = codecs.lookup(name)
        if not getattr(info, "_is_text_encoding", True):  # rot13, base64, zlib, ...
            raise LookupError(name)
        b"".decode(info.name)  # empty: "a" is not whole UTF-16 or UTF-32
    except Exception:  # LookupError, and whatever an odd codec or name raises
        raise GoldenFileError(
            f"unknown encoding '{encoding}': use auto, utf-8, utf-8-sig, gb18030 or gbk",
            path=path,
        ) from None
    return info.name


def _count_lines(text: str) -> int:
    return len(_LINE_BREAK.findall(text))


def _decode_failure(data: bytes, encoding: str, exc: Exception) -> tuple[int | None, str]:
    """Line and description of a decode failure."""
    if isinstance(exc, UnicodeDecodeError):
        try:
            before = data[: exc.start].decode(encoding, errors="replace")
        except Exception:
            before = data[: exc.start].decode("latin-1")  # only line breaks are counted
        bad = data[exc.start : max(exc.end, exc.start + 1)][:4]
        what = f"byte 0x{bad.hex()} is" if len(bad) == 1 else f"bytes {bad.hex(' ')} are"
        return _count_lines(before) + 1, f"{what} not valid {encoding}"
    return None, str(exc) or type(exc).__name__


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except Exception:  # UnicodeError, and whatever an exotic codec raises
        return None


def _bom_encoding(data: bytes) -> str | None:
    """The codec the file's byte order mark names (it decodes and drops the mark), or None."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _guess_encoding(data: bytes) -> str | None:
    """What ``auto`` would read the bytes as, or None."""
    named = _bom_encoding(data)
    if named is not None:
        return named if _try_decode(data, named) is not None else None
    for candidate in ("utf-8", "gb18030"):
        if _try_decode(data, candidate) is not None:
            return candidate
    return None


def _describe_encoding(name: str) -> str:
    if name == "gb18030":
        return "gb18030 (GBK, as Chinese-locale Excel saves CSV)"
    if name == "utf-16":
        return "utf-16 (it starts with a UTF-16 byte order mark, as Excel's 'Unicode Text' does)"
    return name


def _decode(data: bytes, encoding: str, path: Path, *, gb18030_fallback: bool) -> str:
    """Decode a text case file; the returned text has no byte order mark."""
    declared = _resolve_encoding(encoding, path)
    if declared is not None:
        try:
            text = data.decode(declared)
        except Exception as exc:
            line, what = _decode_failure(data, declared, exc)
            guess = _guess_encoding(data)
            if guess is not None and guess != declared:
                todo = (
                    f"the file looks like {_describe_encoding(guess)}: set 'encoding: {guess}' "
                    "(or 'encoding: auto') in the manifest"
                )
            else:
                todo = "check the file's encoding and set 'encoding:' in the manifest to it"
            raise GoldenFileError(
                f"cannot be read as {declared} ({what}): {todo}", path=path, line=line
            ) from None
        return text.removeprefix("\ufeff")

    named = _bom_encoding(data)
    if named is not None:
        try:
            return data.decode(named).removeprefix("\ufeff")
        except Exception as exc:
            line, what = _decode_failure(data, named, exc)
            raise GoldenFileError(
                f"cannot be decoded ({what}): the file starts with a {named.removesuffix('-sig')} "
                "byte order mark but is not valid text in that encoding (is it cut short or "
                "damaged?): save it again from its program, e.g. from Excel as 'CSV UTF-8' or "
                "'Unicode Text', or set 'encoding:' in the manifest to its encoding",
                path=path,
                line=line,
            ) from None
    candidates = ["utf-8", "gb18030"] if gb18030_fallback else ["utf-8"]
    first_failure: tuple[int | None, str] | None = None
    for candidate in candidates:
        try:
            return data.decode(candidate).removeprefix("\ufeff")
        except Exception as exc:
            if first_failure is None:
                first_failure = _decode_failure(data, candidate, exc)
    assert first_failure is not None
    line, what = first_failure
    if gb18030_fallback and len(candidates) > 1:
        todo = (
            "it is neither UTF-8 nor GB18030/GBK: save it from Excel as 'CSV UTF-8', or set "
            "'encoding:' in the manifest to its encoding"
        )
    else:
        todo = "save the file as UTF-8, or set 'encoding:' in the manifest to its encoding"
    raise GoldenFileError(f"cannot be decoded ({what}): {todo}", path=path, line=line)


# --------------------------------------------------------------------------------------------
# JSONL
# --------------------------------------------------------------------------------------------


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _parse_json(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_object_without_duplicates)


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _read_jsonl(path: Path, data: bytes, encoding: str) -> list[CaseRow]:
    text = _decode(data, encoding, path, gb18030_fallback=False)
    rows: list[CaseRow] = []
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if not line.strip():
            continue
        try:
            value = _parse_json(line)
        except _DuplicateKeyError as exc:
            raise GoldenFileError(
                f"key '{exc.key}' appears twice in the same object: keep only one of them",
                path=path,
                line=number,
            ) from None
        except json.JSONDecodeError as exc:
            raise GoldenFileError(
                f"not valid JSON: {exc.msg} (column {exc.colno}): each line must be one JSON "
                f"object, like {_EXAMPLE_ROW}",
                path=path,
                line=number,
            ) from None
        except RecursionError:
            raise GoldenFileError(
                "not valid JSON: nested too deeply", path=path, line=number
            ) from None
        except ValueError as exc:  # e.g. an integer with more digits than Python converts
            raise GoldenFileError(f"not valid JSON: {exc}", path=path, line=number) from None
        if not isinstance(value, dict):
            raise GoldenFileError(
                f"the line holds {_json_kind(value)}, not a JSON object: each line must be one "
                f"case object, like {_EXAMPLE_ROW}",
                path=path,
                line=number,
            )
        rows.append(CaseRow(line=number, data=value))
    return rows


# --------------------------------------------------------------------------------------------
# Tables (CSV and XLSX share the header and cell conventions)
# --------------------------------------------------------------------------------------------


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
    for required in _REQUIRED_FIELDS:
        if required not in seen:
            found = ", ".join(f"'{shorten(n, 40)}'" for n in names if n is not None)
            message = (
                f"the header row has no '{required}' column (it has {found}): the first row "
                "must name the columns id, input and expected (tags, check and others are "
                "optional)"
            )
            if other_sheets and not any(name in seen for name in _REQUIRED_FIELDS):
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
        return _parse_json(text)
    except (_DuplicateKeyError, ValueError, RecursionError):
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
    if name in _JSON_CELL_FIELDS and text[0] in "[{":
        parsed = _parse_json_cell(text)
        if isinstance(parsed, list | dict):
            return parsed
    return text


def _table_rows(
    records: Iterable[tuple[int, Sequence[str | None]]],
    *,
    path: Path,
    column: Callable[[int], str],
    unsaved: Mapping[int, _UnsavedFormula] | None = None,
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
    found: _UnsavedFormula, header: _Header | None, *, path: Path, line: int
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


def _sniff_delimiter(text: str, *, prefer: str = ",") -> str:
    """*prefer*, unless the header line names more known columns when split on another of
    comma, semicolon and tab."""
    header_line = next((line for line in _LINE_BREAK.split(text) if line.strip()), "")
    best, best_score = prefer, -1
    for delimiter in (prefer, *(d for d in _DELIMITERS if d != prefer)):
        try:
            cells = next(csv.reader([header_line], delimiter=delimiter), [])
        except csv.Error:
            continue
        score = sum(1 for cell in cells if cell.strip().lstrip("\ufeff").lower() in KNOWN_FIELDS)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_problem(exc: csv.Error) -> str:
    message = str(exc)
    if "unexpected end of data" in message:
        return (
            "a quoted cell that starts on this line is never closed: add the closing '\"' "
            '(a quote inside a quoted cell is written as two quotes, "")'
        )
    if "expected after" in message:
        return (
            "text follows the closing quote of a quoted cell: a quote inside a quoted cell is "
            'written as two quotes ("")'
        )
    if "field larger than field limit" in message:
        return f"a cell is too large ({message}): keep cells under 128 KiB"
    return f"not valid CSV ({message}): save the file from Excel as 'CSV UTF-8'"


def _read_csv(path: Path, data: bytes, encoding: str) -> list[CaseRow]:
    """A delimited text table: ``.csv``, or ``.tsv``/``.txt`` (tab-separated, as Excel's "Text"
    and "Unicode Text" exports write them)."""
    text = _decode(data, encoding, path, gb18030_fallback=True)
    tab_first = path.suffix.lower() in _TAB_SUFFIXES or _bom_encoding(data) in ("utf-16", "utf-32")
    delimiter = _sniff_delimiter(text, prefer="\t" if tab_first else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    consumed = 0
    while True:
        start = consumed + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise GoldenFileError(_csv_problem(exc), path=path, line=start) from None
        consumed = reader.line_num
        records.append((start, cells))
    return _table_rows(records, path=path, column=lambda index: f"column {index + 1}")


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class _UnsavedFormula:
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
            return _Sheet(title, raw_rows, others)
        finally:
            with contextlib.suppress(Exception):
                workbook.close()


def _read_xlsx(path: Path, data: bytes, sheet: str | None) -> list[CaseRow]:
    # Read once with formulas visible; only a sheet that has formulas is read a second time for
    # the results Excel saved with them (most case sheets have none, so this costs nothing).
    loaded = _load_sheet(path, data, sheet, data_only=False)
    title, raw_rows = loaded.title, loaded.rows
    formulas = _formulas(raw_rows)
    unsaved: dict[int, _UnsavedFormula] = {}
    if formulas:
        raw_rows = _load_sheet(path, data, title, data_only=True).rows
        from openpyxl.utils import get_column_letter

        for (number, index), text in sorted(formulas.items()):
            row = raw_rows[number - 1] if number <= len(raw_rows) else []
            saved = row[index] if index < len(row) else None
            if saved is None and number not in unsaved:
                cell = f"{get_column_letter(index + 1)}{number}"
                unsaved[number] = _UnsavedFormula(title, cell, index, text)
    records = [
        (number, [_cell_text(value) for value in row])
        for number, row in enumerate(raw_rows, start=1)
    ]
    other_sheets = ""
    if sheet is None and loaded.others:
        # the first sheet is read by default; the cases may well be on another one
        listed = ", ".join(f"'{name}'" for name in loaded.others)
        example = loaded.others[0].replace("'", "''")
        other_sheets = (
            f"the workbook's first sheet, '{title}', is read unless the manifest names another; "
            f"its other sheets are {listed}: if the cases are on one of them, set it in the "
            f"manifest, like sheet: '{example}'"
        )
    rows = _table_rows(
        records, path=path, column=_column_letter, unsaved=unsaved, other_sheets=other_sheets
    )
    if not rows and other_sheets:
        raise GoldenFileError(f"no cases on the first sheet: {other_sheets}", path=path)
    return rows


def _pick_sheet(workbook: Any, sheet: str | None, path: Path) -> Any:
    names = [str(name) for name in workbook.sheetnames]
    if sheet is None:
        worksheets = list(workbook.worksheets)
        if not worksheets:
            raise GoldenFileError("the workbook has no worksheets", path=path)
        return worksheets[0]
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


# --------------------------------------------------------------------------------------------
# Validation and conversion
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    text = resources.files("releasegate").joinpath("schemas/case.schema.json").read_text("utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


_NEEDS = {
    "id": 'an id that is unique in the suite, like "refund-1" or 7',
    "input": "the input sent to the model",
    "expected": "the answer it expects",
}


def _show(value: object) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return shorten(text, 60)


def _id_problem(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return f'id must be text or a whole number, not {_show(value)}: use a name like "refund-1"'
    if isinstance(value, float) and not value.is_integer():
        return f'id must be text or a whole number, not {_show(value)}: use a name like "refund-1"'
    text = _id_text(value)
    if not text.strip():
        return 'id is empty: give every case a short unique id, like "refund-1"'
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc" and char not in "\t\n\r":
            return (
                f"id {_show(text)} contains the control character U+{ord(char):04X}: remove it "
                "(ids are shown in reports and terminals)"
            )
        if category == "Cs":
            return (
                f"id {shorten(json.dumps(text), 60)} contains U+{ord(char):04X}, half of a "
                "UTF-16 surrogate pair and not a character: fix the id"
            )
    return None


def _id_text(value: object) -> str:
    if isinstance(value, float):
        return str(int(value))
    return str(value)


def _input_problem(value: object) -> str | None:
    if isinstance(value, str):
        if not value.strip():
            return "input is empty: write the text sent to the model"
        return None
    if not isinstance(value, list):
        return (
            f"input must be text or a non-empty list of chat messages like [{_EXAMPLE_MESSAGE}], "
            f"not {_json_kind(value)}"
        )
    if not value:
        return f"input is an empty list of chat messages: add at least one, like {_EXAMPLE_MESSAGE}"
    count = len(value)
    for number, message in enumerate(value, start=1):
        where = f"input message {number} of {count}"
        if not isinstance(message, dict):
            return f"{where} is {_json_kind(message)}, not an object like {_EXAMPLE_MESSAGE}"
        for key in ("role", "content"):
            if key not in message:
                return f"{where} has no '{key}': write it like {_EXAMPLE_MESSAGE}"
        if message["role"] not in _CHAT_ROLES:
            return (
                f"{where} has role {_show(message['role'])}: the role must be system, user or "
                "assistant"
            )
        if not isinstance(message["content"], str):
            return f"{where} has content {_show(message['content'])}: the content must be text"
        unknown = sorted(set(message) - {"role", "content"})
        if unknown:
            return (
                f"{where} has the key '{unknown[0]}': a chat message has only 'role' and 'content'"
            )
    return None


def _expected_problem(value: object) -> str | None:
    if isinstance(value, str | dict):
        return None
    if isinstance(value, list):
        if not value:
            return "expected is an empty list: list at least one acceptable answer"
        for number, item in enumerate(value, start=1):
            if not isinstance(item, str):
                return (
                    f"expected answer {number} is {_show(item)}, not text: a list of expected "
                    'answers holds only strings (write numbers in quotes, like "42")'
                )
        return None
    return (
        f"expected must be text, a non-empty list of strings or a JSON object, not {_show(value)}"
    )


def _tags_problem(value: object) -> str | None:
    if not isinstance(value, list):
        return f'tags must be a list of strings, like ["critical", "refund"], not {_show(value)}'
    for number, item in enumerate(value, start=1):
        if not isinstance(item, str) or not item:
            return f"tag {number} is {_show(item)}: every tag must be non-empty text"
    return None


def _check_problem(value: object) -> str | None:
    example = '{"name": "regex", "pattern": "..."}'
    if isinstance(value, str):
        if not value.strip():
            return (
                'check is empty: name a check, like "contains", or leave it out to use the '
                "suite's check"
            )
        return None
    if isinstance(value, dict):
        if "name" not in value:
            return f"check has no 'name': write it like {example}"
        name = value["name"]
        if not isinstance(name, str) or not name.strip():
            return f"check name must be non-empty text, not {_show(name)}"
        return None
    return f'check must be a check name like "contains" or an object like {example}'


_PROBLEMS: dict[str, Callable[[object], str | None]] = {
    "id": _id_problem,
    "input": _input_problem,
    "expected": _expected_problem,
    "tags": _tags_problem,
    "check": _check_problem,
}


def _validation_error(
    errors: list[Any], data: Mapping[str, Any], *, path: Path, line: int, from_cells: bool
) -> GoldenFileError:
    """One error, for the first field (in KNOWN_FIELDS order) that the schema rejects."""
    fields: set[str] = set()
    for error in errors:
        if error.path:
            fields.add(str(error.path[0]))
        elif error.validator == "required":
            fields.update(f for f in _REQUIRED_FIELDS if f not in data)
    order = {name: index for index, name in enumerate(KNOWN_FIELDS)}
    for field in sorted(fields, key=lambda f: (order.get(f, len(order)), f)):
        if field not in data:
            message = f"required field missing: every case needs {_NEEDS.get(field, field)}"
            near = [key for key in data if key.lower().strip() == field and key != field]
            if near:
                message += f" (found '{near[0]}': field names are lowercase)"
            return GoldenFileError(message, path=path, line=line, field=field)
        describe = _PROBLEMS.get(field)
        problem = describe(data[field]) if describe is not None else None
        if problem is not None:
            if from_cells and field in _JSON_CELL_FIELDS and isinstance(data[field], list | dict):
                problem += (
                    " (the cell starts with '[' or '{' and is valid JSON, so it is read as JSON)"
                )
            return GoldenFileError(problem, path=path, line=line, field=field)
    from jsonschema.exceptions import best_match

    best = best_match(errors)
    best_field = str(best.path[0]) if best.path else None
    return GoldenFileError(
        f"{best.message}: see schemas/case.schema.json", path=path, line=line, field=best_field
    )


_ROLES = frozenset({"system", "user", "assistant"})


def _plainly_valid(data: Mapping[str, Any]) -> bool:
    """True for rows of the common shapes that case.schema.json certainly accepts.

    Validating 10,000 rows with jsonschema costs seconds; this check costs microseconds. It is
    conservative: False only means "ask jsonschema", which then also words the error.
    """
    case_id = data.get("id")
    if type(case_id) is int:
        pass
    elif not (isinstance(case_id, str) and case_id.isprintable() and case_id.strip()):
        return False
    value = data.get("input")
    if isinstance(value, str):
        if not value.strip():
            return False
    elif isinstance(value, list) and value:
        for message in value:
            if not (
                isinstance(message, dict)
                and message.keys() == {"role", "content"}
                and message["role"] in _ROLES
                and isinstance(message["content"], str)
            ):
                return False
    else:
        return False
    expected = data.get("expected", _MISSING)
    if isinstance(expected, list):
        if not expected or not all(isinstance(item, str) for item in expected):
            return False
    elif not isinstance(expected, str | dict):
        return False
    tags = data.get("tags", [])
    if not (isinstance(tags, list) and all(isinstance(t, str) and t for t in tags)):
        return False
    check = data.get("check")
    if check is None:
        return "check" not in data
    name = check.get("name") if isinstance(check, dict) else check
    return isinstance(name, str) and bool(name.strip())


_MISSING = object()


def _to_case(row: CaseRow, *, path: Path, suite: str, from_cells: bool) -> GoldenCase:
    data = dict(row.data)
    if not _plainly_valid(data):
        errors = list(_validator().iter_errors(data))
        if errors:
            raise _validation_error(errors, data, path=path, line=row.line, from_cells=from_cells)
    id_problem = _id_problem(data["id"])  # the schema cannot see control characters
    if id_problem is not None:
        raise GoldenFileError(id_problem, path=path, line=row.line, field="id")

    raw_input = data["input"]
    case_input: str | tuple[ChatMessage, ...]
    if isinstance(raw_input, str):
        case_input = raw_input
    else:
        case_input = tuple({"role": m["role"], "content": m["content"]} for m in raw_input)

    raw_expected = data["expected"]
    expected: Expected
    if isinstance(raw_expected, list):
        expected = tuple(raw_expected)
    elif isinstance(raw_expected, dict):
        expected = dict(raw_expected)
    else:
        expected = raw_expected

    raw_check = data.get("check")
    check: dict[str, Any] | None
    if raw_check is None:
        check = None
    elif isinstance(raw_check, str):
        check = {"name": raw_check.strip()}
    else:
        check = dict(raw_check)

    return GoldenCase(
        suite=suite,
        id=_id_text(data["id"]),
        input=case_input,
        expected=expected,
        tags=tuple(dict.fromkeys(data.get("tags", ()))),
        check=check,
        source=f"{path}:{row.line}",
        extra={key: value for key, value in data.items() if key not in KNOWN_FIELDS},
    )
