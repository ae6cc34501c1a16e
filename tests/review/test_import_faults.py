"""Review workbooks that went wrong in ways people and programs make them go wrong: far too many
rows, a zip bomb, an edited hidden sheet, formulas in score cells, case ids that look like
formulas. Each is one clear message (or, for a formula with a saved value, its value), and
nothing is imported."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from oversized import bomb_rows, grow_sheet, numbered_rows, sheet_part
from review_project import MANIFEST, cli, store_file
from reviewers import fill

from releasegate.review.store import ReviewStore
from tiny_project import write_project
from tiny_project import write_run as write_any_run


def refused(root: Path, capsys: pytest.CaptureFixture[str], *files: Path) -> str:
    """The one problem of a refused import."""
    assert cli(root, "import", *map(str, files)) == 2
    err = capsys.readouterr().err
    assert "1 problem(s) in the review sheet(s), nothing imported" in err
    assert not store_file(root).exists()
    assert len(err) < 1000  # one line, not one per row
    return err


def test_a_sheet_of_a_million_rows_is_refused_by_its_size(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = fill(exported / "review.xlsx", {"hello": [5, 5]}, reviewer="Ann")
    grown = grow_sheet(
        sheet,
        exported / "million.xlsx",
        "tiny",
        numbered_rows(5, 1_000_000),
        dimension="A1:K1000004",
    )
    err = refused(exported, capsys, grown)
    assert f"{grown}, sheet 'tiny': the sheet unpacks to " in err
    assert "MiB for the 3 answer row(s) exported into it" in err


def test_a_zip_bomb_of_five_million_cells_is_refused_before_it_is_parsed(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = grow_sheet(
        exported / "review.xlsx", exported / "bomb.xlsx", "tiny", bomb_rows(5_000_000)
    )
    assert bomb.stat().st_size < 500_000  # about 400 KB: 200 to 1
    part = sheet_part(exported / "review.xlsx", "tiny")
    err = refused(exported, capsys, bomb)
    unpacked = 5_000_000 // 10 * len(next(iter(bomb_rows(10)))) / 2**20  # 77 MiB
    assert (
        f"{bomb}: its part {part} unpacks to {unpacked:,.0f} MiB, more than a review workbook "
        "holds (64 MiB)"
    ) in err


def test_rows_beyond_the_export_are_counted_with_a_cap_not_read_to_the_end(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Small enough to pass the size bound, and the declared dimension left as exported: the
    rows themselves are counted, up to the last exported row plus 1,000."""
    sheet = fill(exported / "review.xlsx", {"hello": [5, 5]}, reviewer="Ann")
    grown = grow_sheet(sheet, exported / "long.xlsx", "tiny", numbered_rows(5, 5_000))
    err = refused(exported, capsys, grown)
    assert (
        f"{grown}, sheet 'tiny': the sheet has more than 1,004 rows but was exported with 3 "
        "answer row(s)"
    ) in err


def test_a_declared_dimension_far_past_the_export_is_refused(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = fill(exported / "review.xlsx", {"hello": [5, 5]}, reviewer="Ann")
    grown = grow_sheet(
        sheet, exported / "wide.xlsx", "tiny", numbered_rows(2_000_000, 1), dimension="A1:K2000000"
    )
    err = refused(exported, capsys, grown)
    assert f"{grown}, sheet 'tiny': the sheet declares 2,000,000 rows" in err


@pytest.mark.parametrize(
    ("row", "column", "value", "says"),
    [
        (3, "D", "other", "column D 'suite': suite 'other', but row 2 binds sheet 'tiny'"),
        (3, "B", "two", "column B 'row': 'two' is not a row number of a sheet"),
        (4, "B", 3, "column B 'row': row 3 of sheet 'tiny' is bound twice (also on row 3)"),
        (2, "E", None, "column E 'case_id': the cell is empty"),
    ],
)
def test_an_edited_binding_sheet_is_one_message_naming_its_cell(
    exported: Path,
    capsys: pytest.CaptureFixture[str],
    row: int,
    column: str,
    value: object,
    says: str,
) -> None:
    sheet = fill(exported / "review.xlsx", {"hello": [5, 5], "refund": [4, 4]}, reviewer="Ann")
    book = openpyxl.load_workbook(sheet)
    book["_releasegate"][f"{column}{row}"] = value
    book.save(sheet)
    err = refused(exported, capsys, sheet)
    assert f"{sheet}, sheet '_releasegate', row {row}, {says}" in err
    assert "the hidden sheet that binds each row to the answer it shows was edited" in err
    assert "Export the answers again" in err


def test_a_formula_score_without_a_saved_value_is_refused_not_left_blank(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = fill(exported / "review.xlsx", {"hello": ["=2+3", 5]}, reviewer="Ann")
    err = refused(exported, capsys, sheet)
    assert (
        f"{sheet}, sheet 'tiny', row 2, column H 'Correct?': holds the formula =2+3 with no "
        "saved value"
    ) in err


def test_a_formula_score_is_read_by_its_saved_value(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = fill(exported / "review.xlsx", {"hello": ["=2+3", 4]}, reviewer="Ann")
    # What Excel or LibreOffice saves: the formula and the value it calculated.
    part = sheet_part(sheet, "tiny")
    saved = sheet.with_name("saved.xlsx")
    with zipfile.ZipFile(sheet) as old, zipfile.ZipFile(saved, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == part:
                text, n = re.subn(
                    r"<f>2\+3</f>(<v\s*/>|<v></v>)?", "<f>2+3</f><v>5</v>", data.decode()
                )
                assert n == 1
                data = text.encode()
            new.writestr(info, data)
    assert cli(exported, "import", str(saved)) == 0
    (review,) = ReviewStore(exported / "fixtures" / "reviews").load("tiny")
    assert (review.case_id, dict(review.scores)) == ("hello", {"correctness": 5.0, "tone": 4.0})


def test_case_ids_that_look_like_formulas_go_out_and_come_back_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ["=sum", "+plus", "-minus", "@at"]
    cases = [{"id": i, "input": f"Question {i}", "expected": "x"} for i in ids]
    root = write_project(
        tmp_path / "shop",
        config='[project]\nname = "shop-assistant"\n\n[tool.releasegate]\n',
        manifest=MANIFEST.replace("PENDING", "fail"),
        cases=cases,
    )
    write_any_run(root, "run-1", {i: f"answer to {i}" for i in ids}, cases=cases)
    sheet = root / "review.xlsx"
    assert cli(root, "export", "--out", str(sheet)) == 0
    book = openpyxl.load_workbook(sheet)
    for title in ("tiny", "_releasegate"):
        column = 1 if title == "tiny" else 5
        cells = [book[title].cell(row=r, column=column) for r in range(2, 6)]
        assert [(c.value, c.data_type) for c in cells] == [(i, "s") for i in ids]
    fill(sheet, {i: [4, 4] for i in ids}, reviewer="Ann")
    capsys.readouterr()
    assert cli(root, "import", str(sheet)) == 0, capsys.readouterr().err
    reviews = ReviewStore(root / "fixtures" / "reviews").load("tiny")
    assert sorted(r.case_id for r in reviews) == sorted(ids)
