"""The whole loop on a small project: run, export, scripted reviewers fill the sheet, import,
re-gate from cached answers without the model."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from review_project import cli, generations
from reviewers import fill

from fake_openai import FakeServer


def results(root: Path) -> dict:
    return json.loads((root / "reports" / "latest" / "results.json").read_text(encoding="utf-8"))


def test_export_review_import_then_regate_without_the_model(
    project: pytest.Pytester,
    server: tuple[str, FakeServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, fake = server
    first = project.runpytest_subprocess("model_tests", "--base-url", url)
    out = first.stdout.str()
    # pending: fail: every answer awaits review, so the human tests fail and say what to do.
    first.assert_outcomes(passed=1, failed=5, skipped=1)
    assert "3 of 3 answer(s) await human review (first: hello, refund, rude)" in out
    assert "releasegate review export --suite tiny" in out
    assert results(project.path)["review"]["tiny"]["pending"] == 3

    sheet = project.path / "review.xlsx"
    assert cli(project.path, "export", "--out", str(sheet)) == 0
    assert "tiny: 3 answer(s) to review" in capsys.readouterr().out
    book = openpyxl.load_workbook(sheet)
    assert book.sheetnames == ["Instructions", "_releasegate", "tiny"]
    assert book["_releasegate"].sheet_state == "hidden"
    tiny = book["tiny"]
    assert [c.value for c in tiny[1]][-4:] == ["Correct?", "tone", "Comment", "Reviewer"]
    assert tiny.freeze_panes == "B2"
    assert tiny.protection.sheet and not tiny["H2"].protection.locked
    assert tiny["D2"].protection.locked
    assert tiny["B3"].value.startswith("user: I want my money back.")
    assert tiny["D4"].value == "=Figure it out yourself." and tiny["D4"].data_type == "s"
    validation = tiny.data_validations.dataValidation[0]
    assert (validation.type, validation.formula1, validation.formula2) == ("whole", "1", "5")
    instructions = "\n".join(str(r[0].value) for r in book["Instructions"].iter_rows())
    assert "support-lead@example.com" in instructions

    fill(
        sheet,
        {"hello": [5, 5], "refund": [4, 4], "rude": [2, 1]},
        reviewer="Scripted reviewer A",
        comment="scripted",
    )
    assert cli(project.path, "import", str(sheet)) == 0
    said = capsys.readouterr().out
    assert "tiny: 3 review(s) imported" in said and "still pending in run" in said
    stored = (project.path / "fixtures" / "reviews" / "tiny.jsonl").read_text(encoding="utf-8")
    assert len(stored.splitlines()) == 3

    # Nothing left to review: the same answers are never exported again.
    assert cli(project.path, "export", "--out", str(project.path / "again.xlsx")) == 0
    assert "every answer has a stored review" in capsys.readouterr().out
    assert not (project.path / "again.xlsx").exists()

    # Re-gate: every answer comes from the cache, the server is asked for none.
    asked = generations(fake)
    second = project.runpytest_subprocess("model_tests", "--base-url", url)
    out = second.stdout.str()
    assert generations(fake) == asked == 3
    assert "answers: 0 generated, 3 from the cache" in out
    # rude: reviewers scored 1.5 < 4, so the case fails on review alone; human_score is
    # (5 + 4 + 1.5) / 3 = 3.5 (passes min 3.5); pass rate 2/3.
    second.assert_outcomes(passed=5, failed=1, skipped=1)
    assert "tiny/rude" in out and "below the pass mark 4" in out
    document = results(project.path)
    review = document["review"]["tiny"]
    assert review["reviewed"] == 3 and review["pending"] == 0
    assert review["reviewers"] == ["Scripted reviewer A"]
    assert review["criteria"] == {
        "correctness": pytest.approx(11 / 3),
        "tone": pytest.approx(10 / 3),
    }
    assert review["overall"] == pytest.approx(3.5)
    assert review["pass_rate"] == pytest.approx(2 / 3)
    human = {m["metric"]: m for m in document["metrics"] if m["metric"].startswith("human")}
    assert human["human_score"]["value"] == pytest.approx(3.5)
    summary = (project.path / "reports" / "latest" / "summary.md").read_text(encoding="utf-8")
    assert "Human review beside the automatic metrics" in summary
    assert "| tiny | 3.5 | 67% | 3 | 0 | Scripted reviewer A | accuracy 1 |" in summary
