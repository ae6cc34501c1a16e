"""Bad review workbooks: each gives one message naming file, sheet, row and column, and nothing
from any of the workbooks is imported."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from review_project import FIRST_ANSWERS, cli, static_project, store_file, write_run
from reviewers import fill


def refused(root: Path, capsys: pytest.CaptureFixture[str], *files: Path) -> str:
    assert cli(root, "import", *map(str, files)) == 2
    err = capsys.readouterr().err
    assert "nothing imported" in err
    assert not store_file(root).exists()
    return err


def test_answers_changed_since_export_are_refused(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = fill(exported / "review.xlsx", {"hello": [5, 5], "refund": [4, 4]}, reviewer="Ann")
    # A re-run on a new model answers "hello" differently: run-2 is now the latest.
    write_run(exported, "run-2", {**FIRST_ANSWERS, "hello": "Hi."}, fingerprint="fake-shop-v2")
    err = refused(exported, capsys, sheet)
    assert (
        f"{sheet}, sheet 'tiny', row 2, column D 'Model answer': the answer changed since "
        "export: run run-2 (model fake-shop-v2) answers this case differently from run run-1"
    ) in err
    assert "row 3" not in err  # refund's answer did not change
    # Against the run it showed, the same sheet imports.
    assert cli(exported, "import", str(sheet), "--run", "run-1") == 0
    assert len(store_file(exported).read_text(encoding="utf-8").splitlines()) == 2


def test_scores_out_of_range_or_in_words_are_all_listed(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = fill(
        exported / "review.xlsx",
        {"hello": ["5分", 5], "refund": [7, "five"], "rude": [2, 2]},
        reviewer="Scripted reviewer",
    )
    err = refused(exported, capsys, sheet)
    assert "3 problem(s)" in err
    assert (
        f"{sheet}, sheet 'tiny', row 2, column H 'Correct?': '5分' is not a score on the scale "
        "1-5; type a whole number from 1 to 5, nothing else"
    ) in err
    assert "row 3, column H 'Correct?': '7' is not a score" in err
    assert "row 3, column I 'tone': 'five' is not a score" in err


def test_a_partly_scored_row_or_one_without_a_reviewer_is_refused(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = fill(exported / "review.xlsx", {"hello": [5, None]}, reviewer="Ann")
    fill(sheet, {"refund": [4, 4]}, reviewer="")
    err = refused(exported, capsys, sheet)
    assert "row 2, column I 'tone': left blank while other criteria of the row are scored" in err
    assert "row 3, column K 'Reviewer': empty on a scored row" in err


def test_a_sheet_from_another_project_is_refused(
    exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = fill(exported / "review.xlsx", {"hello": [5, 5]}, reviewer="Ann")
    other = static_project(tmp_path / "other", project_name="warehouse-bot")
    write_run(other, "run-1", FIRST_ANSWERS)
    err = refused(other, capsys, sheet)
    assert (
        f"{sheet}, sheet '_releasegate': this workbook was exported from project "
        "'shop-assistant', not 'warehouse-bot'"
    ) in err


def test_rows_deleted_or_reordered_are_refused(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = exported / "review.xlsx"
    deleted = exported / "deleted.xlsx"
    book = openpyxl.load_workbook(source)
    book["tiny"].delete_rows(3)
    book.save(deleted)
    fill(deleted, {"hello": [5, 5]}, reviewer="Ann")
    sorted_ = exported / "sorted.xlsx"
    book = openpyxl.load_workbook(source)
    ws = book["tiny"]
    first, second = [c.value for c in ws[2]], [c.value for c in ws[3]]
    for column, (a, b) in enumerate(zip(first, second, strict=True), start=1):
        ws.cell(row=2, column=column, value=b)
        ws.cell(row=3, column=column, value=a)
    book.save(sorted_)
    fill(sorted_, {"hello": [5, 5], "refund": [3, 3]}, reviewer="Bob")
    err = refused(exported, capsys, deleted, sorted_)
    assert f"{deleted}, sheet 'tiny': the sheet ends at row 3 but was exported with 3" in err
    assert (
        f"{sorted_}, sheet 'tiny', row 2, column A 'Case': holds case 'refund' but row 2 was "
        "exported for case 'hello'"
    ) in err
    assert f"{sorted_}, sheet 'tiny', row 3, column A 'Case': holds case 'hello'" in err


def test_a_truncated_or_non_xlsx_file_is_refused(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truncated = exported / "truncated.xlsx"
    data = (exported / "review.xlsx").read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    text = exported / "scores.xlsx"
    text.write_text("case,score\nhello,5\n", encoding="utf-8")
    err = refused(exported, capsys, truncated, text)
    assert f"{truncated}: not a readable .xlsx workbook" in err
    assert f"{text}: not a readable .xlsx workbook" in err
    assert "save it as Excel 2007-365 (.xlsx)" in err


def test_a_workbook_without_its_hidden_sheet_is_refused(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = fill(exported / "review.xlsx", {"hello": [5, 5]}, reviewer="Ann")
    book = openpyxl.load_workbook(sheet)
    del book["_releasegate"]
    book.save(sheet)
    err = refused(exported, capsys, sheet)
    assert f"{sheet}: the hidden sheet '_releasegate' that binds each row" in err


def test_one_bad_workbook_stops_the_good_one_too(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = fill(
        exported / "review.xlsx", {"hello": [5, 5]}, reviewer="Ann", out=exported / "good.xlsx"
    )
    bad = fill(
        exported / "review.xlsx", {"hello": [9, 5]}, reviewer="Bob", out=exported / "bad.xlsx"
    )
    err = refused(exported, capsys, good, bad)
    assert str(good) not in err and f"{bad}, sheet 'tiny', row 2, column H" in err


def test_the_same_reviewer_twice_on_one_answer_is_refused(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = fill(exported / "review.xlsx", {"hello": [5, 5]}, reviewer="Ann", out=exported / "1.xlsx")
    two = fill(exported / "review.xlsx", {"hello": [4, 4]}, reviewer="Ann", out=exported / "2.xlsx")
    err = refused(exported, capsys, one, two)
    assert f"{two}, sheet 'tiny', row 2: Ann reviews this answer twice (also at {one}" in err


def test_two_reviewers_of_the_same_answers_are_both_kept_and_compared(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = exported / "review.xlsx"
    ann = fill(
        source,
        {"hello": [5, 5], "refund": [4, 4], "rude": [1, 2]},
        reviewer="Scripted reviewer Ann",
        out=exported / "ann.xlsx",
    )
    bob = fill(
        source,
        {"hello": [5, 4], "refund": [2, 4], "rude": [1, 1]},
        reviewer="Scripted reviewer Bob",
        comment="too curt",
        out=exported / "bob.xlsx",
    )
    assert cli(exported, "import", str(ann), str(bob)) == 0
    out = capsys.readouterr().out
    assert "reviewers: Scripted reviewer Ann, Scripted reviewer Bob" in out
    # tone: Ann 5 4 2, Bob 4 4 1: exact agreement on one answer of three
    assert "tiny tone: Scripted reviewer Ann vs Scripted reviewer Bob on 3 answer(s)" in out
    assert "exact agreement 33%" in out
    assert len(store_file(exported).read_text(encoding="utf-8").splitlines()) == 6
    assert cli(exported, "disagreements") == 0
    out = capsys.readouterr().out
    assert "tiny correctness: Scripted reviewer Ann vs Scripted reviewer Bob on 3 answer(s)" in out
    assert (
        "adjudicate tiny/refund" in out
        and "Scripted reviewer Ann 4, Scripted reviewer Bob 2" in out
    )
    assert "adjudicate tiny/hello" not in out  # 5 against 4: within a point
    # Importing the same sheet again changes nothing.
    assert cli(exported, "import", str(ann)) == 0
    assert "(0 new, 0 replaced, 3 unchanged)" in capsys.readouterr().out


def test_copy_then_import_is_idempotent_on_file_content(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = fill(exported / "review.xlsx", {"hello": [5, 5]}, reviewer="Ann")
    assert cli(exported, "import", str(sheet)) == 0
    before = store_file(exported).read_bytes()
    shutil.copy(sheet, exported / "copy.xlsx")
    assert cli(exported, "import", str(exported / "copy.xlsx")) == 0
    assert store_file(exported).read_bytes() == before
