"""XLSX case files: sheets, blank rows, formulas and their saved results, cell types."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from case_file_helpers import (
    make_formatted_down_workbook,
    make_workbook,
    raises,
    write,
)

from releasegate.golden.io import load_cases, read_rows

# ------------------------------------------------------------------------------------------------
# XLSX
# ------------------------------------------------------------------------------------------------


def test_xlsx_blank_rows_are_ignored_and_row_numbers_stay_right(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {
            "Cases": [
                [None, None, None],  # row 1: blank before the header
                ["id", "input", "expected", "tags"],  # row 2: header
                ["q1", "Hello?", "Hi", "smoke critical"],  # row 3
                [None, None, None, None],  # row 4: blank
                ["  ", None, "", None],  # row 5: only white space: blank
                ["q2", "Bye?", "Bye"],  # row 6
                [None],  # row 7
                ["q3", "No answer", None],  # row 8: missing expected
            ]
        },
    )
    rows = read_rows(path)
    assert [row.line for row in rows] == [3, 6, 8]
    error = raises(path)
    assert str(error) == (
        f"{path}, line 8, field 'expected': required field missing: every case needs the answer "
        "it expects"
    )
    path.unlink()
    make_workbook(
        path,
        {
            "Cases": [
                [None],
                ["id", "input", "expected"],
                ["q1", "a", "b"],
                [None],
                ["q2", "c", "d"],
            ]
        },
    )
    q1, q2 = load_cases(path, suite="demo")
    assert (q1.source, q2.source) == (f"{path}:3", f"{path}:5")


def test_xlsx_named_sheet(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {
            "Notes": [["this sheet has no cases"]],
            "Cases": [["ID", "Input", "Expected", "Owner"], ["q1", "Hello?", "Hi", "ops"]],
        },
    )
    (case,) = load_cases(path, suite="demo", sheet="Cases")
    assert (case.id, case.input, case.expected, case.extra) == (
        "q1",
        "Hello?",
        "Hi",
        {"Owner": "ops"},
    )
    assert case.source == f"{path}:2"
    # without a sheet name, the first sheet is read
    assert "has no 'id' column" in str(raises(path))


def test_xlsx_cases_on_another_sheet_than_the_first(tmp_path: Path) -> None:
    cases = [["id", "input", "expected"], ["q1", "Hello?", "Hi"]]
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {"Read me": [["How to fill in this workbook"], ["One case a row"]], "Cases": cases},
    )
    error = raises(path)
    assert str(error) == (
        f"{path}, line 1, field 'id': the header row has no 'id' column (it has 'How to fill in "
        "this workbook'): the first row must name the columns id, input and expected (tags, "
        "check and others are optional); the workbook's first sheet, 'Read me', is read unless "
        "the manifest names another; its other sheets are 'Cases': if the cases are on one of "
        "them, set it in the manifest, like sheet: 'Cases'"
    )
    assert load_cases(path, suite="demo", sheet="Cases")[0].id == "q1"
    # an empty first sheet (a new workbook's 'Sheet1' left in front) names the others too
    path = make_workbook(
        tmp_path / "empty_first.xlsx", {"Sheet1": [], "Cases": cases, "Team's notes": [["x"]]}
    )
    assert str(raises(path)) == (
        f"{path}: no cases on the first sheet: the workbook's first sheet, 'Sheet1', is read "
        "unless the manifest names another; its other sheets are 'Cases', 'Team's notes': if "
        "the cases are on one of them, set it in the manifest, like sheet: 'Cases'"
    )


def test_xlsx_header_problems_on_a_named_or_only_sheet_name_no_other_sheets(
    tmp_path: Path,
) -> None:
    path = make_workbook(tmp_path / "one.xlsx", {"Cases": [["question", "answer"], ["a", "b"]]})
    assert str(raises(path)).endswith(
        "the first row must name the columns id, input and expected (tags, check and others "
        "are optional)"
    )
    # a header that names some case columns is on the right sheet: no hint about others
    path = make_workbook(
        tmp_path / "two.xlsx",
        {"Cases": [["id", "input", "answer"], ["q1", "a", "b"]], "Notes": [["x"]]},
    )
    assert str(raises(path)).endswith("(tags, check and others are optional)")
    assert str(raises(path, sheet="Notes")).endswith("(tags, check and others are optional)")


def test_xlsx_missing_sheet(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {"Notes": [["x"]], "Cases": [["id", "input", "expected"], ["q1", "a", "b"]]},
    )
    error = raises(path, sheet="cases")
    assert str(error) == (
        f"{path}: no sheet named 'cases' in the workbook (its sheets: 'Notes', 'Cases'): set "
        "'sheet:' in the manifest to one of them (names are case-sensitive: did you mean 'Cases'?)"
    )
    assert str(raises(path, sheet="Tests")) == (
        f"{path}: no sheet named 'Tests' in the workbook (its sheets: 'Notes', 'Cases'): set "
        "'sheet:' in the manifest to one of them"
    )


def save_formula_results(path: Path, results: Mapping[str, str]) -> None:
    """Store a text result beside each formula of the first sheet, as Excel and LibreOffice do
    when they save (``<c r="C2" t="str"><f>...</f><v>result</v></c>``, an empty result as
    ``<v></v>``); openpyxl itself stores an empty value without a type."""
    import zipfile
    from xml.sax.saxutils import escape

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode("utf-8")
    for cell, result in results.items():
        sheet, count = re.subn(
            rf'<c r="{cell}"><f>(.*?)</f><v\s*>\s*</v>',
            lambda m, c=cell, r=result: f'<c r="{c}" t="str"><f>{m[1]}</f><v>{escape(r)}</v>',
            sheet,
        )
        assert count == 1, cell
    members["xl/worksheets/sheet1.xml"] = sheet.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def formula_workbook(path: Path) -> Path:
    """Cases whose expected answers are formulas, as a script writes them with openpyxl."""
    rows: list[list[Any]] = [["id", "input", "expected", "notes"]]
    rows += [[f"q{n}", f"Say {n}", f'=B{n + 1}&"!"', None] for n in range(1, 7)]
    path = make_workbook(path, {"Cases": rows})
    workbook = openpyxl.load_workbook(path)
    text = workbook["Cases"].cell(row=3, column=4, value="=keep this text")
    text.data_type = "s"  # typed text that starts with '=': not a formula
    workbook.save(path)
    return path


def test_xlsx_formula_without_a_saved_result(tmp_path: Path) -> None:
    path = formula_workbook(tmp_path / "faq.xlsx")
    error = raises(path)
    assert str(error) == (
        f"{path}, line 2, field 'expected': sheet 'Cases', cell C2 holds a formula "
        '(=B2&"!") without a saved result: the workbook was saved by a program that does not '
        "calculate formulas (a script, e.g. openpyxl or pandas). Open it in Excel or LibreOffice "
        "and save it, or replace the formulas by their values (copy, then paste values only)"
    )
    assert (error.line, error.field) == (2, "expected")
    # results saved for the first rows only: the first row without one is named
    save_formula_results(path, {"C2": "Say 1!", "C3": "Say 2!", "C4": "Say 3!"})
    error = raises(path)
    assert "sheet 'Cases', cell C5 holds a formula (=B5&\"!\") without a saved result" in str(error)
    assert (error.line, error.field) == (5, "expected")


def test_xlsx_formulas_with_saved_results_read_as_their_results(tmp_path: Path) -> None:
    path = formula_workbook(tmp_path / "faq.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["Cases"]["D2"] = '=IF(B2="Say 1","","check")'  # its saved result: empty text
    workbook.save(path)
    save_formula_results(path, {f"C{n + 1}": f"Say {n}!" for n in range(1, 7)} | {"D2": ""})
    cases = load_cases(path, suite="demo")
    assert [case.expected for case in cases] == [f"Say {n}!" for n in range(1, 7)]
    assert cases[0].extra == {}
    assert cases[1].extra == {"notes": "=keep this text"}


def test_xlsx_unsaved_formula_outside_the_named_columns(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["id", "input", "expected"], ["q1", "a", "b"], [None] * 4]
    path = make_workbook(tmp_path / "faq.xlsx", {"Cases": rows})
    workbook = openpyxl.load_workbook(path)
    workbook["Cases"]["D4"] = "=COUNTA(A:A)"  # a total below the table, in no named column
    workbook.save(path)
    error = raises(path)
    assert str(error).startswith(
        f"{path}, line 4: sheet 'Cases', cell D4 holds a formula (=COUNTA(A:A)) without a saved "
        "result"
    )


def test_xlsx_cell_types(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {
            "Cases": [
                ["id", "input", "expected", "tags", "released"],
                [7.0, "How many days in a week?", 7, "numbers", dt.datetime(2024, 5, 1)],
                [8, "Is water wet?", True, None, dt.datetime(2024, 5, 1, 13, 30)],
                [9, "Pi?", 3.25, None, dt.date(2024, 5, 2)],
            ]
        },
    )
    seven, eight, nine = load_cases(path, suite="demo")
    # openpyxl formats a datetime as 'yyyy-mm-dd h:mm:ss': Excel shows it so, midnight included
    assert (seven.id, seven.expected, seven.extra) == ("7", "7", {"released": "2024-05-01 0:00:00"})
    assert (eight.id, eight.expected, eight.extra) == (
        "8",
        "TRUE",
        {"released": "2024-05-01 13:30:00"},
    )
    assert (nine.id, nine.expected) == ("9", "3.25")


def test_xlsx_json_cells(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {
            "Cases": [
                ["id", "input", "expected", "check"],
                ["c1", '[{"role": "user", "content": "Hi"}]', '["hello"]', '{"name": "contains"}'],
            ]
        },
    )
    (case,) = load_cases(path, suite="demo")
    assert case.input == ({"role": "user", "content": "Hi"},)
    assert case.expected == ("hello",)
    assert case.check == {"name": "contains"}


@pytest.mark.parametrize("name", ["faq.xlsx", "faq.csv", "faq.jsonl"])
def test_wrong_content_for_the_extension(tmp_path: Path, name: str) -> None:
    workbook = make_workbook(tmp_path / "real.xlsx", {"Cases": [["id", "input", "expected"]]})
    if name == "faq.xlsx":
        path = write(tmp_path / name, "id,input,expected\n1,a,b\n")
        assert str(raises(path)) == (
            f"{path}: this is a text file (a CSV?), not an .xlsx workbook, though named .xlsx: "
            "rename it to .csv (or .tsv, .txt) and point 'cases:' in the manifest at it, or open "
            "it in Excel and save it as 'Excel Workbook (.xlsx)'"
        )
    else:
        path = write(tmp_path / name, workbook.read_bytes())
        raises(path)


def test_xlsx_sheet_formatted_down_to_the_last_row(tmp_path: Path) -> None:
    # a million styled, empty rows below 5 real ones: only the rows up to the last value are
    # parsed (benchmarks/big_sheet.py times it: about a second, against 85 s before)
    path = make_formatted_down_workbook(tmp_path / "big.xlsx")
    cases = load_cases(path, suite="demo")
    assert [(case.id, case.expected, case.source) for case in cases] == [
        (f"q{n}", f"Answer {n}", f"{path}:{n + 1}") for n in range(1, 5)
    ]


def test_xlsx_values_below_formatted_empty_rows_are_read(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "faq.xlsx", {"Cases": [["id", "input", "expected"]]})
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Cases"]
    fill = openpyxl.styles.PatternFill("solid", fgColor="FFFF00")
    for number in range(2, 3000):
        sheet.cell(row=number, column=1).fill = fill  # styled, empty
    sheet["A2999"], sheet["B2999"], sheet["C2999"] = "late", "Still read?", "Yes"
    sheet["E2999"] = "=1/0"  # a formula far down: the second read stops at the same row
    workbook.save(path)
    error = raises(path)
    assert error.line == 2999
    assert "cell E2999 holds a formula (=1/0) without a saved result" in str(error)
    del workbook["Cases"]["E2999"]
    workbook.save(path)
    (case,) = load_cases(path, suite="demo")
    assert (case.id, case.source) == ("late", f"{path}:2999")


def test_what_an_xlsx_that_is_not_one_is_said_to_be(tmp_path: Path) -> None:
    # each was "not a valid .xlsx workbook (BadZipFile: File is not a zip file)", which says
    # nothing of what the file is or what to do
    workbook = make_workbook(tmp_path / "real.xlsx", {"Cases": [["id", "input", "expected"]]})
    data = workbook.read_bytes()
    cut = write(tmp_path / "cut.xlsx", data[: len(data) // 2])  # a download cut short
    assert str(raises(cut)) == (
        f"{cut}: the workbook is damaged or cut short (it starts like a zip archive, as an .xlsx "
        "does, but is not a whole one): download or copy it again, or save it again from Excel"
    )
    ole2 = write(tmp_path / "old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert str(raises(ole2)) == (
        f"{ole2}: this is an Excel 97-2003 workbook (.xls) or a password-protected workbook (an "
        "OLE2 file), not an .xlsx, though named .xlsx: open it in Excel, remove any password, "
        "and save it as 'Excel Workbook (.xlsx)'"
    )
    gbk = write(tmp_path / "gbk.xlsx", "id,input,expected\r\n1,退货,需要小票\r\n".encode("gbk"))
    assert "this is a text file (a CSV?), not an .xlsx workbook" in str(raises(gbk))
    ods = tmp_path / "calc.xlsx"
    with zipfile.ZipFile(ods, "w") as archive:  # the members LibreOffice's .ods holds
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert str(raises(ods)) == (
        f"{ods}: this is an OpenDocument spreadsheet (.ods), not an .xlsx, though named .xlsx: "
        "save it from LibreOffice as 'Excel 2007-365 (.xlsx)'"
    )
    other = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("cases.csv", "id,input,expected\n")
    assert "this is a zip archive but not an Excel workbook" in str(raises(other))
    empty = write(tmp_path / "empty.xlsx", b"")
    assert str(raises(empty)).endswith(
        "the file is empty: save the workbook again from Excel as 'Excel Workbook (.xlsx)'"
    )
