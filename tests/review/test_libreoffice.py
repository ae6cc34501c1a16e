"""A filled workbook opened and saved again by LibreOffice imports the same reviews.

LibreOffice rewrites a workbook in its own way (shared strings, styles, numbers as floats,
data validation and protection re-encoded), so the import must not depend on openpyxl's way
of writing one. This runs the real ``soffice`` (Debian's libreoffice-calc-nogui)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from review_project import FIRST_ANSWERS, static_project, write_run
from reviewers import fill

from releasegate.cli import main

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed: apt-get install --no-install-recommends "
    "libreoffice-calc-nogui",
)


def through_libreoffice(path: Path, folder: Path) -> Path:
    """Open *path* in LibreOffice and save it again as .xlsx in *folder*."""
    assert SOFFICE is not None
    folder.mkdir()
    profile = folder.parent / "lo-profile"  # its own profile: no clash with another instance
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(folder),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return folder / path.name


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
