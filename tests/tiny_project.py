"""A small releasegate project on disk, for the tests that run pytest or the command line on
one: its ``pyproject.toml``, one golden suite (a manifest and its JSONL cases) and the model
tests ``releasegate init`` writes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from releasegate.core.records import CaseRecord, RunRecord
from releasegate.golden.suites import Suite, load_suite
from releasegate.scaffold import TEST_GOLDEN

__all__ = [
    "INSTANT_BACKEND",
    "contains_suite",
    "instant_config",
    "write_cases",
    "write_instant_model",
    "write_project",
    "write_run",
]

INSTANT_BACKEND = Path(__file__).resolve().parents[1] / "benchmarks"
"""The folder of ``instant_backend.py`` (a model answering from a table, no weights): put it on
``PYTHONPATH`` for a project configured with :func:`instant_config`."""


def write_cases(path: Path, cases: Sequence[Mapping[str, Any]]) -> Path:
    """*cases* as a JSONL case file at *path*; returns *path*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases), encoding="utf-8"
    )
    return path


def contains_suite(folder: Path, cases: Sequence[Mapping[str, Any]], *, suite: str) -> Suite:
    """The suite *suite* judged by the ``contains`` check, loaded from a manifest and *cases*
    (JSONL) written in *folder*: for tests of verdicts and reports that need no run."""
    manifest = folder / f"{suite}.yaml"
    manifest.write_text(f"name: {suite}\ncases: {suite}.jsonl\ncheck: contains\n", encoding="utf-8")
    write_cases(folder / f"{suite}.jsonl", cases)
    return load_suite(
        manifest, schemas_dir=Path(__file__).resolve().parents[1] / "fixtures" / "schemas"
    )


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


def write_run(
    root: Path,
    run_id: str,
    answers: Mapping[str, str],
    *,
    cases: Sequence[Mapping[str, Any]] = (),
    fingerprint: str = "fake-shop-v1",
    suite: str = "tiny",
) -> Path:
    """``reports/<run_id>/results.json`` holding *answers* (case id -> answer) with the fields a
    run writes for each case (its input and expected answer taken from *cases*, by id), and
    ``reports/latest`` pointing at it: a run to review without a model."""
    folder = root / "reports" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    by_id = {case["id"]: case for case in cases}
    records = tuple(
        CaseRecord(
            suite=suite,
            id=case_id,
            key=f"{suite}/{case_id}",
            source=f"{suite}.jsonl",
            tags=(),
            critical=False,
            input=by_id.get(case_id, {}).get("input", case_id),
            expected=by_id.get(case_id, {}).get("expected", ""),
            prompt=case_id,
            answer=answer,
            check="contains",
            passed=True,
            check_passed=True,
            reason="matched",
            score=None,
            prediction=None,
            status="passed",
            baseline=None,
            baseline_answer=None,
            output_tokens=1,
            seconds=0.0,
            cached=True,
        )
        for case_id, answer in answers.items()
    )
    run = RunRecord(
        run_id=run_id,
        started="",
        finished="",
        duration_seconds=0.0,
        git_commit=None,
        settings={},
        models={"main": {"fingerprint": fingerprint}},
        totals={},
        summary={},
        metrics=(),
        cases=records,
        unjudged=(),
    )
    (folder / "results.json").write_text(json.dumps(run.to_json()), encoding="utf-8")
    latest = root / "reports" / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(run_id, target_is_directory=True)
    return folder


def instant_config(model: Path | str, cache_dir: Path) -> str:
    """``[tool.releasegate]`` for the instant backend answering from *model*'s table."""
    return (
        '[tool.releasegate]\nbackend = "instant_backend:InstantBackend"\n'
        f'model = "{model}"\ncache_dir = "{cache_dir}"\n'
    )


def write_instant_model(folder: Path, answers: Mapping[str, str]) -> Path:
    """The instant backend's model: *answers* by input, ``?`` for any other (a changed table
    is a changed fingerprint); returns *folder*."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(
        json.dumps({"answers": dict(answers), "default": "?"}), encoding="utf-8"
    )
    return folder
