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
