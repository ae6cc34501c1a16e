"""The judge in the review commands, through the command line: ``review export --show-judge``
(the scripted judge's scores on the sheet) and ``review disagreements`` (judge against
reviewers)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from scripted_judge import ScriptedJudge
from test_judge_calibrate_command import ANSWERS, HUMAN, project, review

from releasegate.cli import main


def test_show_judge_puts_the_judges_scores_on_the_sheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted = ScriptedJudge("fair", {ANSWERS["c00"]: 2}, default=4)
    with scripted.running() as url:
        root = project(tmp_path / "shop", url, reviews=[])
        out = root / "adjudicate.xlsx"
        code = main(["--root", str(root), "review", "export", "--show-judge", "--out", str(out)])
        said = capsys.readouterr().out
    assert code == 0
    assert "the judge's scores are shown (tiny): for adjudication only" in said
    sheet = openpyxl.load_workbook(out)["tiny"]
    headers = [c.value for c in sheet[1]]
    assert headers[-2:] == ["Judge score", "Judge reason"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["c00"][-2:] == ("2 (overall 2)", "scripted 2")
    assert rows["c01"][-2] == "4 (overall 4)"
    assert len(scripted.prompts()) == 60


def test_disagreements_list_the_judge_against_each_reviewer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The judge agrees with ann everywhere except c02 (ann 3, judge 5: a two-point gap) and c03
    # (ann 4, judge 5: one point, below the gap).
    table = {ANSWERS[c]: s for c, s in HUMAN.items()}
    table[ANSWERS["c02"]] = 5
    table[ANSWERS["c03"]] = 5
    reviews = [review(c, "ann", s) for c, s in HUMAN.items()]
    reviews.append(review("c02", "bob", 1, saw_judge=True))
    with ScriptedJudge("fair", table).running() as url:
        root = project(tmp_path / "shop", url, reviews=reviews)
        capsys.readouterr()
        assert main(["--root", str(root), "review", "disagreements"]) == 0
        out = capsys.readouterr().out
    digest = reviews[2].answer_hash
    assert (
        f"adjudicate tiny/c02 (answer {digest}) overall: judge 5, ann 3; judge's reason: scripted 5"
    ) in out
    assert f"adjudicate tiny/c02 (answer {digest}) overall: judge 5, bob 1 (saw the judge)" in out
    assert "tiny/c03" not in out
    # ann and bob differ by two on c02 as well: the reviewers' own line is still there.
    assert f"adjudicate tiny/c02 (answer {digest}) overall: ann 3, bob 1" in out
