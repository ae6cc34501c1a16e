"""LibreOffice for the tests that prove a workbook survives a spreadsheet program other than
openpyxl: where ``soffice`` is missing they skip, naming the package to install."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

needs_soffice = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed: apt-get install -y --no-install-recommends "
    "libreoffice-calc-nogui",
)


def through_libreoffice(path: Path, folder: Path, *, to: str = "xlsx") -> Path:
    """Open *path* in LibreOffice and save it again as *to* (``xlsx``, ``xls``) in *folder*."""
    assert SOFFICE is not None
    folder.mkdir()
    profile = folder.parent / "lo-profile"  # its own profile: no clash with another instance
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(folder),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return folder / f"{path.stem}.{to}"
