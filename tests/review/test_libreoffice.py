"""A filled workbook opened and saved again by LibreOffice imports the same reviews.

LibreOffice rewrites a workbook in its own way (shared strings, styles, numbers as floats,
data validation and protection re-encoded), so the import must not depend on openpyxl's way
of writing one. This runs the real ``soffice`` (Debian's libreoffice-calc-nogui)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from review_project import FIRST_ANSWERS, static_project, write_run
from reviewers import fill

from libreoffice import needs_soffice, through_libreoffice
from releasegate.cli import main

pytestmark = needs_soffice


def stored(root: Path) -> list[dict[str, object]]:
    lines = (root / "fixtures" / "reviews" / "tiny.jsonl").read_text(encoding="utf-8")
    return [
        {k: v for k, v in json.loads(line).items() if k not in ("reviewed_at", "sheet")}
        for line in lines.splitlines()
    ]


def test_a_sheet_saved_by_libreoffice_imports_the_same_reviews(tmp_path: Path) -> None:
    direct = static_project(tmp_path / "direct")
    via = static_project(tmp_path / "via")
    for root in (direct, via):
        write_run(root, "run-1", FIRST_ANSWERS)
    sheet = direct / "review.xlsx"
    assert main(["--root", str(direct), "review", "export", "--out", str(sheet)]) == 0
    fill(sheet, {"hello": [5, 4], "rude": [1, 2]}, reviewer="Scripted reviewer 李", comment="太短")

    saved = through_libreoffice(sheet, tmp_path / "saved")
    book = openpyxl.load_workbook(saved)
    assert book["_releasegate"].sheet_state == "hidden"  # kept hidden by LibreOffice
    assert book["tiny"]["H2"].value == 5

    assert main(["--root", str(direct), "review", "import", str(sheet)]) == 0
    assert main(["--root", str(via), "review", "import", str(saved)]) == 0
    assert stored(via) == stored(direct)
    assert len(stored(via)) == 2
