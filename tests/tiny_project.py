"""A small releasegate project on disk, for the tests that run pytest or the command line on
one: its ``pyproject.toml``, one golden suite (a manifest and its JSONL cases) and the model
tests ``releasegate init`` writes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from releasegate.scaffold import TEST_GOLDEN

__all__ = ["write_cases", "write_project"]


def write_cases(path: Path, cases: Sequence[Mapping[str, Any]]) -> Path:
    """*cases* as a JSONL case file at *path*; returns *path*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases), encoding="utf-8"
    )
    return path


def write_project(
    root: Path,
    *,
    config: str,
    manifest: str,
    cases: Sequence[Mapping[str, Any]],
    suite: str = "tiny",
) -> Path:
    """Under *root*: ``pyproject.toml`` holding *config*, ``fixtures/golden/<suite>.yaml``
    (*manifest*, whose ``cases:`` names ``<suite>.jsonl``) with its *cases*, and
    ``model_tests/test_golden.py``; returns *root*."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    golden = root / "fixtures" / "golden"
    golden.mkdir(parents=True, exist_ok=True)
    (golden / f"{suite}.yaml").write_text(manifest, encoding="utf-8")
    write_cases(golden / f"{suite}.jsonl", cases)
    tests = root / "model_tests"
    tests.mkdir(exist_ok=True)
    (tests / "test_golden.py").write_text(TEST_GOLDEN, encoding="utf-8")
    return root
