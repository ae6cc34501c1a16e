"""What the case-file tests share: fixture data, file writers and the checks every loaded suite
must pass. (A plain module beside the tests, imported by name: pytest puts this folder on the path.)
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from releasegate.exceptions import GoldenFileError
from releasegate.golden.cases import GoldenCase
from releasegate.golden.io import load_cases

DATA = Path(__file__).parents[2] / "data" / "cases"

HEADER = "id,input,expected,tags,notes"


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def make_workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[Any]]]) -> Path:
    """Write an .xlsx with the given sheets; a row of ``None``s leaves that row empty."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row_number, row in enumerate(rows, start=1):
            for column_number, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=row_number, column=column_number, value=value)
    workbook.save(path)
    return path


def raises(path: Path, **kwargs: Any) -> GoldenFileError:
    with pytest.raises(GoldenFileError) as info:
        load_cases(path, suite="demo", **kwargs)
    return info.value


def without_source(cases: Sequence[GoldenCase]) -> list[GoldenCase]:
    return [dataclasses.replace(case, source=case.source.rsplit(":", 1)[1]) for case in cases]


def assert_well_formed(cases: Sequence[GoldenCase], path: Path) -> None:
    assert cases, "load_cases returned no cases instead of raising"
    ids = [case.id for case in cases]
    assert len(set(ids)) == len(ids)
    assert len({case.test_id for case in cases}) == len(ids)
    for case in cases:
        assert isinstance(case, GoldenCase)
        assert case.suite == "demo"
        assert isinstance(case.id, str) and case.id
        assert case.id.strip() and case.test_id
        assert re.fullmatch(r"[A-Za-z0-9._-]+", case.test_id), case.test_id
        if isinstance(case.input, str):
            assert case.input.strip()
        else:
            assert isinstance(case.input, tuple) and case.input
            for message in case.input:
                assert set(message) == {"role", "content"}
                assert message["role"] in ("system", "user", "assistant")
                assert isinstance(message["content"], str)
        if isinstance(case.expected, tuple):
            assert case.expected and all(isinstance(item, str) for item in case.expected)
        else:
            assert isinstance(case.expected, str | Mapping)
        assert isinstance(case.tags, tuple) and all(isinstance(t, str) and t for t in case.tags)
        if case.check is not None:
            assert isinstance(case.check, Mapping) and isinstance(case.check["name"], str)
        assert case.source.startswith(f"{path}:")
        int(case.source.rsplit(":", 1)[1])
        assert not set(case.extra) & {"id", "input", "expected", "tags", "check"}


def make_formatted_down_workbook(path: Path, *, last_row: int = 1_048_576) -> Path:
    """A workbook with a header and 4 cases (5 real rows) on a sheet formatted down to
    *last_row*, as Excel saves one whose whole rows were given a fill: every row from 6 on is
    stored, styled and empty (``<row r="7" s="1" customFormat="1">`` with styled empty cells).
    The sheet XML is streamed into the archive, so a million rows take seconds, not memory."""
    import zipfile

    rows = [
        ["id", "input", "expected"],
        *([f"q{n}", f"Question {n}?", f"Answer {n}"] for n in range(1, 5)),
    ]
    make_workbook(path, {"Cases": rows})
    workbook = openpyxl.load_workbook(path)
    workbook["Cases"]["A1"].fill = openpyxl.styles.PatternFill("solid", fgColor="FFFF00")
    workbook.save(path)  # style 1 now exists: a yellow fill
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = members.pop("xl/worksheets/sheet1.xml").decode("utf-8")
    head, tail = sheet.split("</sheetData>")
    head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:C{last_row}"/>', head)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as stream:
            stream.write(head.encode("utf-8"))
            chunk: list[str] = []
            for number in range(6, last_row + 1):
                chunk.append(
                    f'<row r="{number}" s="1" customFormat="1"><c r="A{number}" s="1"/>'
                    f'<c r="B{number}" s="1"/><c r="C{number}" s="1"/></row>'
                )
                if len(chunk) == 10_000:
                    stream.write("".join(chunk).encode("utf-8"))
                    chunk = []
            stream.write(("".join(chunk) + "</sheetData>" + tail).encode("utf-8"))
    return path
