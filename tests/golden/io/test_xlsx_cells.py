"""XLSX cells read as the sheet shows them: number formats, dates as ids, formula results,
rich text and hyperlinks, merged cells, error values."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from case_file_helpers import make_workbook, raises
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from releasegate.golden.io import load_cases
from releasegate.golden.io.cells import UnshownFormat, shown_text


def set_cell_xml(path: Path, cell: str, xml: str) -> None:
    """Replace one cell's XML in the first sheet, to store what Excel stores and openpyxl does
    not write: a formula's saved result."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode("utf-8")
    sheet, count = re.subn(rf'<c r="{cell}"[^>]*?(/>|>.*?</c>)', xml, sheet)
    assert count == 1, cell
    members["xl/worksheets/sheet1.xml"] = sheet.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def formatted_workbook(path: Path, rows: list[list[Any]], formats: dict[str, str]) -> Path:
    make_workbook(path, {"Cases": [["id", "input", "expected", "notes"], *rows]})
    workbook = openpyxl.load_workbook(path)
    for reference, number_format in formats.items():
        workbook["Cases"][reference].number_format = number_format
    workbook.save(path)
    return path


def test_xlsx_numbers_dates_and_times_read_as_the_sheet_shows_them(tmp_path: Path) -> None:
    path = formatted_workbook(
        tmp_path / "faq.xlsx",
        [
            ["pct", "Share of refunds?", 0.15, 0.155],
            ["time", "Opening time?", dt.time(10, 30), dt.time(14, 5)],
            ["float", "3 times 4.1?", 12.299999999999999, 1234.5],
            [dt.date(2024, 5, 1), "Launch day?", dt.datetime(2024, 5, 1), 2.675],
            [dt.date(2024, 5, 2), "Is it true?", True, 45413],
            ["big", "Big?", 1e20, 0.1 + 0.2],
        ],
        {
            "C2": "0%",
            "D2": "0.0%",
            "C3": "h:mm",
            "D3": "h:mm AM/PM",
            "D4": '"$"#,##0.00',
            "A5": "d-mmm-yy",
            "C5": "dddd, mmmm d, yyyy",
            "D5": "0.00",
            "A6": "mm-dd-yy",  # Excel's locale-dependent short date (built-in 14)
            "D6": "yyyy-mm-dd",
        },
    )
    cases = load_cases(path, suite="demo")
    shown = [(case.id, case.expected, case.extra.get("notes")) for case in cases]
    assert shown == [
        ("pct", "15%", "15.5%"),
        ("time", "10:30", "2:05 PM"),
        ("float", "12.3", "$1,234.50"),
        ("1-May-24", "Wednesday, May 1, 2024", "2.68"),
        ("2024-05-02", "TRUE", "2024-05-01"),
        ("big", "1E+20", "0.3"),
    ]


def test_xlsx_formula_result_shown_as_excel_rounds_it(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {"Cases": [["id", "input", "expected"], ["q1", "3 times 4.1?", "=3*4.1"]]},
    )
    # as Excel saves it: the formula and its binary result, shown in General format as 12.3
    set_cell_xml(path, "C2", '<c r="C2"><f>3*4.1</f><v>12.299999999999999</v></c>')
    (case,) = load_cases(path, suite="demo")
    assert case.expected == "12.3"


def test_xlsx_rich_text_and_hyperlinks_read_as_their_text(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {"Cases": [["id", "input", "expected"], ["q1", None, None], ["q2", "Link?", None]]},
    )
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Cases"]
    sheet["B2"] = CellRichText(["How long do ", TextBlock(InlineFont(b=True), "refunds"), " take?"])
    sheet["C2"] = "Refund policy"
    sheet["C2"].hyperlink = "https://example.com/refunds"
    sheet["C3"] = '=HYPERLINK("https://example.com/faq","FAQ page")'
    workbook.save(path)
    set_cell_xml(
        path,
        "C3",
        '<c r="C3" t="str"><f>HYPERLINK("https://example.com/faq","FAQ page")</f>'
        "<v>FAQ page</v></c>",
    )
    q1, q2 = load_cases(path, suite="demo")
    assert (q1.input, q1.expected) == ("How long do refunds take?", "Refund policy")
    assert q2.expected == "FAQ page"


def test_xlsx_cell_merged_over_several_rows_belongs_to_each(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {
            "Cases": [
                ["id", "input", "expected", "tags", "notes"],
                ["q1", "Refund time?", "5-7 days", "refunds", "merged over the tags and notes"],
                ["q2", "Refund time for gifts?", None, None],
                ["q3", "Refund time abroad?", None, None],
                ["q4", "Hello?", "Hi", "smoke"],
            ]
        },
    )
    workbook = openpyxl.load_workbook(path)
    workbook["Cases"].merge_cells("C2:C4")  # one answer for three questions
    workbook["Cases"].merge_cells("D2:E4")  # a block over two columns: its first column
    workbook.save(path)
    cases = load_cases(path, suite="demo")
    assert [(case.id, case.expected, case.tags) for case in cases] == [
        ("q1", "5-7 days", ("refunds",)),
        ("q2", "5-7 days", ("refunds",)),
        ("q3", "5-7 days", ("refunds",)),
        ("q4", "Hi", ("smoke",)),
    ]
    assert [case.extra for case in cases] == [{}] * 4


@pytest.mark.parametrize("error", ["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?"])
def test_xlsx_error_values_are_refused(tmp_path: Path, error: str) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {"Cases": [["id", "input", "expected"], ["q1", "Hello?", "Hi"], ["q2", "Bye?", error]]},
    )
    assert openpyxl.load_workbook(path)["Cases"]["C3"].data_type == "e"
    failure = raises(path)
    assert str(failure) == (
        f"{path}, line 3, field 'expected': sheet 'Cases', cell C3 shows the error {error} (it "
        "holds an error value, not text): fix the formula or the data it refers to, or type the "
        "expected text; error values (#N/A, #REF!, #VALUE!, #DIV/0!, #NAME?, #NUM!, #NULL!) are "
        "never read as case text"
    )


def test_xlsx_formula_whose_saved_result_is_an_error(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {"Cases": [["id", "input", "expected"], ["q1", "Hello?", "=VLOOKUP(A2,Answers!A:B,2)"]]},
    )
    set_cell_xml(path, "C2", '<c r="C2" t="e"><f>VLOOKUP(A2,Answers!A:B,2)</f><v>#N/A</v></c>')
    assert "cell C2 shows the error #N/A (its formula =VLOOKUP(A2,Answers!A:B,2) gives an " in str(
        raises(path)
    )


def test_xlsx_number_format_that_cannot_be_shown_is_refused(tmp_path: Path) -> None:
    path = formatted_workbook(tmp_path / "faq.xlsx", [["q1", "Half?", 0.5, None]], {"C2": "# ?/?"})
    failure = raises(path)
    assert str(failure).startswith(
        f"{path}, line 2, field 'expected': sheet 'Cases', cell C2 cannot be shown as the sheet "
        "shows it: the number format '# ?/?'"
    )
    assert str(failure).endswith(
        "Give the column a simpler number format (General, 0.00, 0%, a date like yyyy-mm-dd) or "
        "type the values as text"
    )


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (-5, '"$"#,##0.00_);("$"#,##0.00)', "($5.00)"),
        (0, '0.00;-0.00;"none"', "none"),
        (12345, "0.00E+00", "1.23E+04"),
        (99999, "0.00E+00", "1.00E+05"),
        (0.5, "#.00", ".50"),
        (123, "00000", "00123"),
        (3, '0 "kg"', "3 kg"),
        (0.25, "[Red]0.0%", "25.0%"),
        (5, "[$€-407] #,##0.00", "€ 5.00"),
        (1234567.891, "#,##0,", "1,235"),
        (dt.timedelta(hours=30, minutes=5), "[h]:mm", "30:05"),
        (dt.datetime(2024, 5, 1, 13, 30, 5, 600000), "hh:mm:ss", "13:30:06"),
        (dt.datetime(2024, 5, 1, 13, 30, 5, 600000), "hh:mm:ss.0", "13:30:05.6"),
        (45413.5, "yyyy-mm-dd hh:mm", "2024-05-01 12:00"),
        (1e-5, "General", "1E-05"),
    ],
)
def test_number_formats(value: Any, number_format: str, shown: str) -> None:
    assert shown_text(value, number_format) == shown


@pytest.mark.parametrize("number_format", ["[>100]0;0", "000-0000", "0 @"])
def test_number_formats_that_are_not_guessed(number_format: str) -> None:
    with pytest.raises(UnshownFormat):
        shown_text(5, number_format)


@pytest.mark.parametrize("number_format", ["# ?/?", "# ??/??", "0/4"])
def test_fraction_formats_are_refused_saying_so(number_format: str) -> None:
    # "# ?/?" was refused as "puts text between a number's digits", which is not what it does
    with pytest.raises(UnshownFormat) as info:
        shown_text(0.5, number_format)
    assert str(info.value) == f"the number format '{number_format}' shows fractions"
