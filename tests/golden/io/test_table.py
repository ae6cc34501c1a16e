"""The header row of CSV and XLSX case files: a title block above it, names with invisible
characters, a header repeated in the middle, and the first visible sheet of a workbook."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from case_file_helpers import make_workbook, raises, write

from releasegate.golden.io import load_cases


def test_xlsx_title_block_above_the_header(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {
            "Cases": [
                ["Support FAQ: release cases", None, None, None],  # row 1: a merged title
                ["Owner:", "support team"],  # row 2
                [None],  # row 3
                ["id", "input", "expected", "notes"],  # row 4: the header
                ["q1", "Hello?", "Hi", None],
                ["q2", "Bye?", "Bye", "short"],
            ]
        },
    )
    workbook = openpyxl.load_workbook(path)
    workbook["Cases"].merge_cells("A1:D1")
    workbook.save(path)
    q1, q2 = load_cases(path, suite="demo")
    assert (q1.id, q1.expected, q1.source) == ("q1", "Hi", f"{path}:5")
    assert (q2.id, q2.extra) == ("q2", {"notes": "short"})


def test_csv_title_block_above_the_header(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.csv",
        "Support FAQ cases,,\nOwner:,support team,\n,,\nid,input,expected\nq1,Hello?,Hi\n",
    )
    (case,) = load_cases(path, suite="demo")
    assert (case.id, case.input, case.expected, case.source) == ("q1", "Hello?", "Hi", f"{path}:5")


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_title_block_above_a_header_split_on_another_delimiter(
    tmp_path: Path, delimiter: str
) -> None:
    # the delimiter is found on the header row, not on the title above it
    d = delimiter
    text = (
        f"Support FAQ cases\nOwner:{d}support team\nid{d}input{d}expected\nq1{d}Hello, you?{d}Hi\n"
    )
    (case,) = load_cases(write(tmp_path / "faq.csv", text), suite="demo")
    assert (case.id, case.input, case.expected) == ("q1", "Hello, you?", "Hi")


def test_rows_above_the_header_that_are_not_a_title_are_refused(tmp_path: Path) -> None:
    # three filled cells above the header: a row of data, not a title; it would be lost
    path = write(tmp_path / "faq.csv", "q0,Hi?,Hello\nid,input,expected\nq1,Hello?,Hi\n")
    error = raises(path)
    assert str(error) == (
        f"{path}, line 1: line 2 looks like the header row, but line 1 above it is not a title: "
        "it has 'q0', 'Hi?', 'Hello'; rows above the header are read only as a title (at most 5 "
        "rows of at most 2 filled cells, none named id, input or expected): delete the rows above "
        "the header, or move them below the table"
    )
    # a title cell that names a case column ('tags') is not a title either
    path = write(tmp_path / "tags.csv", "tags,smoke\nid,input,expected\nq1,Hello?,Hi\n")
    assert "line 1 above it is not a title: it has 'tags', 'smoke'" in str(raises(path))
    # a title block is short: seven lines above the header are refused
    lines = "".join(f"note {n}\n" for n in range(1, 8))
    path = write(tmp_path / "long.csv", lines + "id,input,expected\nq1,Hello?,Hi\n")
    assert str(raises(path)).startswith(
        f"{path}, line 1: line 8 looks like the header row, but there are 7 rows above it (a "
        "title block has at most 5)"
    )


def test_a_title_without_a_header_below_names_the_first_row(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "Cases\nq1,Hello?\n")
    assert str(raises(path)).startswith(
        f"{path}, line 1, field 'id': the header row has no 'id' column (it has 'Cases')"
    )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_header_names_with_invisible_characters(tmp_path: Path, suffix: str) -> None:
    header = ["\u200b ID\u200b", " Input\u2060 ", "\ufeffExpected", "Tags\u200c", "No\u200dtes"]
    body = ["q1", "Hello?", "Hi", "smoke", "x"]
    if suffix == ".csv":
        path = write(tmp_path / "faq.csv", ",".join(header) + "\n" + ",".join(body) + "\n")
    else:
        path = make_workbook(tmp_path / "faq.xlsx", {"Cases": [header, body]})
    (case,) = load_cases(path, suite="demo")
    assert (case.id, case.input, case.expected, case.tags) == ("q1", "Hello?", "Hi", ("smoke",))
    assert case.extra == {"Notes": "x"}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_repeated_header_row_is_skipped(tmp_path: Path, suffix: str) -> None:
    # two exports pasted one under the other: the second header is not a case
    table = [
        ["id", "input", "expected"],
        ["q1", "Hello?", "Hi"],
        ["ID ", "Input", "EXPECTED"],
        ["q2", "Bye?", "Bye"],
    ]
    if suffix == ".csv":
        path = write(tmp_path / "faq.csv", "".join(",".join(row) + "\n" for row in table))
    else:
        path = make_workbook(tmp_path / "faq.xlsx", {"Cases": table})
    q1, q2 = load_cases(path, suite="demo")
    assert (q1.id, q2.id, q2.source) == ("q1", "q2", f"{path}:4")


def test_a_repeated_header_with_other_columns_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.csv",
        "id,input,expected\nq1,Hello?,Hi\nid,expected,input\nq2,Bye,Bye?\n",
    )
    assert str(raises(path)) == (
        f"{path}, line 3: this row repeats the header row (line 1) with other columns (id, "
        "expected, input instead of id, input, expected): two tables pasted one under the other? "
        "Put the columns of the rows below in the same order as the header row and delete this row"
    )


def test_a_repeated_header_is_recognised_through_zero_width_characters(tmp_path: Path) -> None:
    """The repeated-header check looks at a row whole before it names its cells: a row whose
    names carry zero-width characters inside them (``in\u200bput``) and other case is still the
    header again, skipped in the same order and refused in another."""
    same = "\ufeffID,In\u200bput,EXPEC\u2060TED\n"
    path = write(tmp_path / "same.csv", f"id,input,expected\nq1,Hello?,Hi\n{same}q2,Bye?,Bye\n")
    q1, q2 = load_cases(path, suite="demo")
    assert (q1.id, q2.id, q2.source) == ("q1", "q2", f"{path}:4")
    other = "I\u200bD,EXPEC\u2060TED,In\u200bput\n"
    path = write(tmp_path / "other.csv", f"id,input,expected\nq1,Hello?,Hi\n{other}q2,Bye,Bye?\n")
    assert str(raises(path)).startswith(
        f"{path}, line 3: this row repeats the header row (line 1) with other columns (id, "
        "expected, input instead of id, input, expected)"
    )


def test_xlsx_hidden_first_sheet_is_passed_over(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {
            "Lists": [["billing"], ["shipping"]],  # the values behind a drop-down
            "Cases": [["id", "input", "expected"], ["q1", "Hello?", "Hi"]],
        },
    )
    workbook = openpyxl.load_workbook(path)
    workbook["Lists"].sheet_state = "hidden"
    workbook.save(path)
    (case,) = load_cases(path, suite="demo")
    assert (case.id, case.source) == ("q1", f"{path}:2")
    # the hint about other sheets says which are hidden and suggests a visible one
    path = make_workbook(
        tmp_path / "notes_first.xlsx",
        {
            "Lists": [["billing"]],
            "Read me": [["How to fill in this workbook"]],
            "Cases": [["id", "input", "expected"], ["q1", "Hello?", "Hi"]],
        },
    )
    workbook = openpyxl.load_workbook(path)
    workbook["Lists"].sheet_state = "hidden"
    workbook.save(path)
    assert str(raises(path)).endswith(
        "the workbook's first visible sheet, 'Read me', is read unless the manifest names "
        "another; its other sheets are 'Lists' (hidden), 'Cases': if the cases are on one of "
        "them, set it in the manifest, like sheet: 'Cases'"
    )
