"""The judge's scores on a review sheet: never by default (a reviewer who sees them is
anchored); on an adjudication sheet, shown after the reviewer's columns and marked in the hidden
sheet, so the reviews read back are stored with saw_judge and left out of calibration."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from review_project import FIRST_ANSWERS, static_project, store_file, write_run
from reviewers import fill

from releasegate.cli import main
from releasegate.config.project import load_project
from releasegate.gate.baselines import BaselineStore
from releasegate.golden.suites import project_suites
from releasegate.judge.figures import calibrate
from releasegate.judge.types import Judgment
from releasegate.review.records import ReviewRecord
from releasegate.review.runs import read_run
from releasegate.review.sheet import JudgeColumn, export_workbook
from releasegate.review.store import ReviewStore

JUDGED = {
    "hello": JudgeColumn("5 (correctness 5, tone 5)", "Greets and offers help."),
    "refund": JudgeColumn("4 (correctness 4, tone 4)", "States the 30-day refund."),
    "rude": JudgeColumn("unscored", "no Score line in the output"),
}


def adjudication_sheet(root: Path, out: Path) -> None:
    """Export run-1 with the judge's columns, as ``review export --show-judge`` does once the
    judge has scored the answers (review itself never runs a judge)."""
    settings = load_project(root=root).settings
    suites = {s.name: s for s in project_suites(settings)}
    export_workbook(
        read_run(settings.reports_dir, "run-1"),
        suites,
        ReviewStore(settings.reviews_dir),
        BaselineStore(settings.baselines_dir),
        out,
        project="shop-assistant",
        judge={"tiny": JUDGED},
    )


def test_a_plain_export_shows_no_judge_column(tmp_path: Path) -> None:
    root = static_project(tmp_path / "shop")
    write_run(root, "run-1", FIRST_ANSWERS)
    out = root / "review.xlsx"
    assert main(["--root", str(root), "review", "export", "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    headers = [c.value for c in book["tiny"][1]]
    assert headers[-2:] == ["Comment", "Reviewer"]
    assert not any("judge" in str(h).lower() for h in headers)
    binding = list(book["_releasegate"].iter_rows(values_only=True))
    assert binding[0][-1] == "judge_shown"
    assert all(row[-1] in (None, "") for row in binding[1:])


def test_show_judge_without_a_judge_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = static_project(tmp_path / "shop")
    write_run(root, "run-1", FIRST_ANSWERS)
    out = root / "review.xlsx"
    assert main(["--root", str(root), "review", "export", "--show-judge", "--out", str(out)]) == 2
    assert "--show-judge: no suite exported has a judge" in capsys.readouterr().err
    assert not out.exists()


def test_reviews_from_an_adjudication_sheet_are_marked_and_left_out_of_calibration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = static_project(tmp_path / "shop")
    write_run(root, "run-1", FIRST_ANSWERS)
    plain, shown = root / "plain.xlsx", root / "shown.xlsx"
    assert main(["--root", str(root), "review", "export", "--out", str(plain)]) == 0
    adjudication_sheet(root, shown)
    book = openpyxl.load_workbook(shown)
    sheet = book["tiny"]
    headers = [c.value for c in sheet[1]]
    assert headers[-4:] == ["Comment", "Reviewer", "Judge score", "Judge reason"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["refund"][-2:] == ("4 (correctness 4, tone 4)", "States the 30-day refund.")
    assert rows["rude"][-2] == "unscored"
    assert sheet["L2"].protection.locked and not sheet["J2"].protection.locked  # judge: read only
    instructions = "\n".join(str(r[0].value) for r in book["Instructions"].iter_rows())
    assert "not used to calibrate the judge" in instructions

    fill(plain, {"hello": [5, 5], "refund": [4, 3]}, reviewer="ann")
    fill(shown, {"hello": [4, 4], "refund": [2, 2]}, reviewer="bob")
    capsys.readouterr()
    assert main(["--root", str(root), "review", "import", str(plain), str(shown)]) == 0
    said = capsys.readouterr().out
    assert "2 given with the judge's scores in view (kept out of the judge's calibration)" in said
    lines = [json.loads(line) for line in store_file(root).read_text("utf-8").splitlines()]
    marked = {(d["reviewer"], d["case_id"]): d.get("saw_judge", False) for d in lines}
    assert marked == {
        ("ann", "hello"): False,
        ("ann", "refund"): False,
        ("bob", "hello"): True,
        ("bob", "refund"): True,
    }
    records = [ReviewRecord.from_json(d) for d in lines]
    suite = next(iter(project_suites(load_project(root=root).settings)))
    judgments = {
        (r.case_id, r.answer_hash): Judgment({"correctness": 5.0, "tone": 5.0}, "", "")
        for r in records
    }
    result = calibrate("tiny", records, suite.rubric, judgments)
    assert result.saw_judge == 2 and result.answers == 2
    # bob's anchored scores would have given a human ceiling: left out, there is none.
    assert all(c.reviewers is None for c in result.criteria)
    assert all(c.judge.pairs == 2 for c in result.criteria)


def test_the_judge_columns_cannot_be_stripped_from_an_adjudication_sheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = static_project(tmp_path / "shop")
    write_run(root, "run-1", FIRST_ANSWERS)
    shown = root / "shown.xlsx"
    adjudication_sheet(root, shown)
    fill(shown, {"hello": [4, 4]}, reviewer="bob")
    book = openpyxl.load_workbook(shown)
    book["tiny"].delete_cols(12, 2)
    book.save(shown)
    capsys.readouterr()
    assert main(["--root", str(root), "review", "import", str(shown)]) == 2
    assert "columns were added, moved or deleted" in capsys.readouterr().err
    assert not store_file(root).exists()
