"""Delimited text case files: ``.csv``, and ``.tsv``/``.txt`` as Excel's "Text" and "Unicode
Text" exports write them. The delimiter is the one a first line ``sep=;`` names (Excel's
convention; the line is skipped but still counted), else the one (comma, semicolon or tab) that
splits the header into the most known column names; on a tie, a tab for ``.tsv``/``.txt`` and
UTF-16/UTF-32 text, else a comma. A cell may be as long as the file.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from pathlib import Path

from ...exceptions import GoldenFileError
from .rows import KNOWN_FIELDS, CaseRow
from .table import TITLE_ROWS, header_name, table_rows
from .text import LINE_BREAK, bom_encoding, decode

__all__ = ["TAB_SUFFIXES", "read_csv"]

TAB_SUFFIXES = (".tsv", ".txt")
"""Text tables that are tab-separated unless their header says otherwise."""

_DELIMITERS = (",", ";", "\t")
_SNIFF_LINES = 64
"""Lines split off the top of the text to look for the header in (blank ones included)."""

_SEP_LINE = re.compile(r"sep=(.)(?:\r\n|\r|\n|$)", re.IGNORECASE | re.DOTALL)
"""Excel's first line ``sep=;`` naming the delimiter (it writes one where the locale's list
separator is not a comma, and reads one to know it)."""


def _sniff_delimiter(text: str, *, prefer: str = ",") -> str:
    """*prefer*, unless the header names more known columns when split on another of comma,
    semicolon and tab. The header may sit below a title block (:data:`~.table.TITLE_ROWS`), so
    each of the first non-blank lines is tried and the line that names the most decides."""
    top = LINE_BREAK.split(text, maxsplit=_SNIFF_LINES)[:_SNIFF_LINES]  # not the rest of the file
    lines = (line for line in top if line.strip())
    candidates = list(itertools.islice(lines, TITLE_ROWS + 1))
    best, best_score = prefer, -1
    for delimiter in (prefer, *(d for d in _DELIMITERS if d != prefer)):
        score = max((_known_columns(line, delimiter) for line in candidates), default=0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _known_columns(line: str, delimiter: str) -> int:
    """How many known column names *line* holds when split on *delimiter*."""
    try:
        cells = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return 0
    return sum(1 for cell in cells if header_name(cell) in KNOWN_FIELDS)


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
    return f"not valid CSV ({message}): save the file from Excel as 'CSV UTF-8'"


def read_csv(path: Path, data: bytes, encoding: str) -> list[CaseRow]:
    """A delimited text table: ``.csv``, or ``.tsv``/``.txt`` (tab-separated, as Excel's "Text"
    and "Unicode Text" exports write them)."""
    text = decode(data, encoding, path, detect=True)
    consumed = 0  # lines before the reader's first
    sep_line = _SEP_LINE.match(text)
    if sep_line is not None:
        delimiter = sep_line.group(1)
        if delimiter in '\r\n"' or delimiter.isalnum():
            raise GoldenFileError(
                f"the first line names the delimiter {delimiter!r} ('sep=' as Excel writes it), "
                "which cannot separate cells: write 'sep=,', 'sep=;' or 'sep=' and a tab, or "
                "remove the line",
                path=path,
                line=1,
            )
        text = text[sep_line.end() :]
        consumed = 1
    else:
        tab_first = path.suffix.lower() in TAB_SUFFIXES or bom_encoding(data) in (
            "utf-16",
            "utf-32",
        )
        delimiter = _sniff_delimiter(text, prefer="\t" if tab_first else ",")
    # a cell may be as long as the file (a long document to summarise is a normal case)
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    while True:
        start = consumed + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise GoldenFileError(_csv_problem(exc), path=path, line=start) from None
        consumed = reader.line_num + (sep_line is not None)
        records.append((start, cells))
    return table_rows(records, path=path, column=lambda index: f"column {index + 1}")
