"""Workbooks that grew far past what was exported: an exported review workbook whose suite
sheet gets rows (or cells) appended in its XML, streamed into the zip so that even a sheet of
millions of cells is written in bounded memory. Real files, as a spreadsheet program or a
hostile sender could make them; used by the import tests and benchmarks/review_import_limits.py.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import openpyxl


def sheet_part(path: Path, title: str) -> str:
    """The zip member holding sheet *title*."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return str(book[title]._worksheet_path)
    finally:
        book.close()


def grow_sheet(
    source: Path,
    out: Path,
    title: str,
    rows: Iterable[bytes],
    *,
    dimension: str | None = None,
) -> Path:
    """*source* copied to *out* with *rows* (XML ``<row>`` elements, in chunks) appended to
    sheet *title*'s data, and its declared ``<dimension ref>`` set to *dimension* if given."""
    part = sheet_part(source, title)
    with (
        zipfile.ZipFile(source) as old,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as new,
    ):
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename != part:
                new.writestr(info, data)
                continue
            text = data.decode("utf-8")
            if dimension is not None:
                text = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"', text)
            head, tail = text.split("</sheetData>")
            member = zipfile.ZipInfo(part)
            member.compress_type = zipfile.ZIP_DEFLATED
            with new.open(member, "w", force_zip64=True) as sheet:
                sheet.write(head.encode("utf-8"))
                for chunk in rows:
                    sheet.write(chunk)
                sheet.write(("</sheetData>" + tail).encode("utf-8"))
    return out


def numbered_rows(first: int, count: int, *, chunk: int = 10_000) -> Iterable[bytes]:
    """*count* rows from row *first* on, each with a number in column A."""
    for start in range(first, first + count, chunk):
        stop = min(start + chunk, first + count)
        yield "".join(
            f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(start, stop)
        ).encode()


def bomb_rows(cells: int, *, per_row: int = 10, chunk: int = 10_000) -> Iterable[bytes]:
    """*cells* identical cells, *per_row* to a row: XML that compresses extremely well."""
    row = b"<row>" + b"<c><v>1</v></c>" * per_row + b"</row>"
    rows = cells // per_row
    for start in range(0, rows, chunk):
        yield row * min(chunk, rows - start)
