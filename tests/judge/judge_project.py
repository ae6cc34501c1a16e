"""A judged suite on disk: a manifest with a ``judge:`` section and its cases, loaded with the
judge kind registered (the entry point comes from the installed package's metadata, which may
predate the judge: registering here does not depend on it)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from releasegate.config import Settings
from releasegate.config.loading import load_settings
from releasegate.golden.suites import Suite, load_suite
from releasegate.judge.kinds import register

__all__ = ["CASES", "SCHEMAS", "judged_suite", "project_settings"]

SCHEMAS = Path(__file__).resolve().parents[2] / "fixtures" / "schemas"

CASES = [
    {"id": "refund", "input": "How long do refunds take?", "expected": "Within 5 days."},
    {"id": "ship", "input": "Do you ship abroad?", "expected": "Yes, to 30 countries."},
]


def judged_suite(
    folder: Path,
    judge: str,
    *,
    extra: str = "",
    cases: Sequence[Mapping[str, Any]] = CASES,
    name: str = "shop",
) -> Suite:
    """The suite *name* in *folder*: its manifest holds *judge* (YAML under ``judge:``, indented
    by the caller's dedent) and *extra* top-level YAML."""
    register()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.jsonl").write_text(
        "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases), encoding="utf-8"
    )
    body = textwrap.indent(textwrap.dedent(judge).strip(), "  ")
    manifest = folder / f"{name}.yaml"
    manifest.write_text(
        f"name: {name}\ncases: {name}.jsonl\ncheck: contains\n{textwrap.dedent(extra)}"
        + (f"judge:\n{body}\n" if body else ""),
        encoding="utf-8",
    )
    return load_suite(manifest, schemas_dir=SCHEMAS)


def project_settings(root: Path, judge: Mapping[str, Any] | None = None, **keys: Any) -> Settings:
    """The project's settings with *judge* as its ``[tool.releasegate.judge]`` table."""
    table: dict[str, Any] = dict(keys)
    if judge is not None:
        table["judge"] = dict(judge)
    table.setdefault("cache_dir", str(root / "cache"))
    return load_settings(table, {}, root=root)
