"""What an exported workbook shows: the suite's language, a pass/fail drop-down, the default
rubric, and only answers without a stored review."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from review_project import FIRST_ANSWERS, static_project, write_run
from reviewers import fill

from releasegate.cli import main

ZH_PASS_FAIL = """\
name: tiny
cases: tiny.jsonl
language: zh
check: {name: regex, pattern: "\\\\S"}
review:
  scale: pass/fail
  criteria:
    - {name: correctness, label: 正确性, description: 回答符合政策。}
"""

NO_RUBRIC = """\
name: tiny
cases: tiny.jsonl
check: {name: regex, pattern: "\\\\S"}
"""


def export(root: Path, *args: str) -> openpyxl.Workbook:
    out = root / "review.xlsx"
    assert main(["--root", str(root), "review", "export", "--out", str(out), *args]) == 0
    return openpyxl.load_workbook(out)


def test_a_chinese_suite_gets_chinese_headers_and_a_pass_fail_drop_down(tmp_path: Path) -> None:
    root = static_project(tmp_path / "zh", manifest=ZH_PASS_FAIL)
    write_run(root, "run-1", FIRST_ANSWERS)
    book = export(root)
    assert book.sheetnames[0] == "说明"
    headers = [c.value for c in book["tiny"][1]]
    assert headers == [
        "用例编号",
        "问题",
        "参考答案",
        "模型回答",
        "基线回答（不同时显示）",  # noqa: RUF001  (Chinese punctuation)
        "自动判定",
        "原因",
        "正确性",
        "备注",
        "评审人",
    ]
    assert book["tiny"]["F2"].value == "通过"
    (validation,) = book["tiny"].data_validations.dataValidation
    assert (validation.type, validation.formula1) == ("list", '"通过,不通过"')
    assert "回答符合政策" in "\n".join(str(r[0].value) for r in book["说明"].iter_rows())
    fill(root / "review.xlsx", {"hello": ["通过"], "rude": ["不通过"]}, reviewer="李")
    assert main(["--root", str(root), "review", "import", str(root / "review.xlsx")]) == 0
    lines = (root / "fixtures" / "reviews" / "tiny.jsonl").read_text(encoding="utf-8")
    assert '"scores": {"correctness": 1.0}' in lines and '"scores": {"correctness": 0.0}' in lines


def test_a_suite_without_a_rubric_gets_one_overall_score(tmp_path: Path) -> None:
    root = static_project(tmp_path / "plain", manifest=NO_RUBRIC)
    write_run(root, "run-1", FIRST_ANSWERS)
    book = export(root)
    assert [c.value for c in book["tiny"][1]][-3:] == ["overall", "Comment", "Reviewer"]
    (validation,) = book["tiny"].data_validations.dataValidation
    assert (validation.formula1, validation.formula2) == ("1", "5")


def test_only_answers_without_a_review_are_exported_unless_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = static_project(tmp_path / "shop")
    write_run(root, "run-1", FIRST_ANSWERS)
    fill(export(root) and root / "review.xlsx", {"hello": [5, 5]}, reviewer="Ann")
    assert main(["--root", str(root), "review", "import", str(root / "review.xlsx")]) == 0
    write_run(root, "run-2", {**FIRST_ANSWERS, "refund": "Refunds take 5 days."})
    capsys.readouterr()
    book = export(root)
    assert "tiny: 2 answer(s) to review (1 already reviewed" in capsys.readouterr().out
    assert [r[0].value for r in book["tiny"].iter_rows(min_row=2)] == ["refund", "rude"]
    book = export(root, "--all")
    assert [r[0].value for r in book["tiny"].iter_rows(min_row=2)] == ["hello", "refund", "rude"]
