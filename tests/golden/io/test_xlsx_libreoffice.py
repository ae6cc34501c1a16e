"""A case workbook saved by LibreOffice loads as the sheet shows it.

LibreOffice writes a workbook its own way (booleans as numbers formatted "TRUE";"TRUE";"FALSE",
its own number format codes, formulas with the results it calculated, merged ranges), so the
loader must not depend on openpyxl's way of writing one. This runs the real ``soffice``
(Debian's libreoffice-calc-nogui)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from case_file_helpers import make_workbook

from libreoffice import needs_soffice, through_libreoffice
from releasegate.exceptions import GoldenFileError
from releasegate.golden.io import load_cases

pytestmark = needs_soffice


def test_workbook_saved_by_libreoffice(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {
            "Cases": [
                ["Support FAQ", None, None],
                ["id", "input", "expected", "notes"],
                ["pct", "Share of refunds?", 0.15, None],
                ["date", "Launch day?", dt.date(2024, 5, 1), dt.time(10, 30)],
                ["bool", "Is it true?", True, None],
                ["sum", "3 times 4.1?", "=3*4.1", None],
                ["m1", "Refund time?", "5-7 days", None],
                ["m2", "Refund time for gifts?", None, None],
            ]
        },
    )
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Cases"]
    sheet["C3"].number_format = "0%"
    sheet["C4"].number_format = "yyyy-mm-dd"
    sheet["D4"].number_format = "hh:mm"
    sheet.merge_cells("C7:C8")
    workbook.save(path)
    saved = through_libreoffice(path, tmp_path / "out")
    cases = load_cases(saved, suite="demo")
    assert [(case.id, case.expected, case.extra) for case in cases] == [
        ("pct", "15%", {}),
        ("date", "2024-05-01", {"notes": "10:30"}),
        ("bool", "TRUE", {}),
        ("sum", "12.3", {}),
        ("m1", "5-7 days", {}),
        ("m2", "5-7 days", {}),
    ]
    assert cases[0].source == f"{saved}:3"


def test_an_xls_saved_by_libreoffice_and_named_xlsx_says_what_it_is(tmp_path: Path) -> None:
    # a real Excel 97-2003 workbook, renamed: "BadZipFile" before; now what it is and what to do
    path = make_workbook(tmp_path / "faq.xlsx", {"Cases": [["id", "input", "expected"]]})
    saved = through_libreoffice(path, tmp_path / "xls", to="xls")
    renamed = saved.rename(saved.with_suffix(".xlsx"))
    with pytest.raises(GoldenFileError) as info:
        load_cases(renamed, suite="demo")
    assert str(info.value) == (
        f"{renamed}: this is an Excel 97-2003 workbook (.xls) or a password-protected workbook "
        "(an OLE2 file), not an .xlsx, though named .xlsx: open it in Excel, remove any password, "
        "and save it as 'Excel Workbook (.xlsx)'"
    )
