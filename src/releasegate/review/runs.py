"""A run's answers, as ``reports/<run>/results.json`` left them: what a review sheet shows.

Exporting reads this file and the baselines, never the model: the answers reviewers score are
exactly the ones the gate judged.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ..core.records import load_run
from ..exceptions import RecordError, ReviewError
from ..gate.judging import show_expected

__all__ = ["RunAnswer", "RunAnswers", "project_name", "read_run", "render_input"]


@dataclass(frozen=True)
class RunAnswer:
    """One case as answered in a run."""

    suite: str
    case_id: str
    question: str
    """The case input as readable turns."""
    expected: str
    answer: str
    passed: bool
    """The automatic check's verdict."""
    reason: str
    baseline_answer: str | None


@dataclass(frozen=True)
class RunAnswers:
    """Every answered case of one run."""

    run_id: str
    fingerprint: str
    answers: tuple[RunAnswer, ...]

    def of_suite(self, suite: str) -> list[RunAnswer]:
        return [a for a in self.answers if a.suite == suite]

    def find(self, suite: str, case_id: str) -> RunAnswer | None:
        return self._by_key.get((suite, case_id))

    @cached_property
    def _by_key(self) -> dict[tuple[str, str], RunAnswer]:
        return {(a.suite, a.case_id): a for a in self.answers}


def render_input(value: Any) -> str:
    """A case input for a reader: text as is, chat messages as ``role: content`` turns."""
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and all(isinstance(m, Mapping) for m in value):
        return "\n\n".join(f"{m.get('role', 'user')}: {m.get('content', '')}" for m in value)
    return json.dumps(value, ensure_ascii=False)


def run_folder(reports_dir: Path, run: str | None) -> Path:
    """``reports/<run>`` (``latest`` by default, a link or a file naming the run)."""
    folder = reports_dir / (run or "latest")
    if folder.is_file():  # where links are not allowed, latest is a file naming the run
        folder = reports_dir / folder.read_text(encoding="utf-8").strip()
    return folder


def read_run(reports_dir: Path, run: str | None) -> RunAnswers:
    """The answers of *run* (default: the latest); one error saying how to make one otherwise."""
    path = run_folder(reports_dir, run) / "results.json"
    if not path.is_file():
        raise ReviewError(
            f"{path}: no run results to review; run the suites first (pytest model_tests), or "
            "name a run folder under reports/ with --run"
        )
    try:
        run_record = load_run(path)
    except RecordError as exc:
        raise ReviewError(f"{exc}; not a releasegate results file") from None
    fingerprint = next(
        (m.fingerprint for m in run_record.models.values() if m.fingerprint is not None), ""
    )
    answers = tuple(
        RunAnswer(
            suite=case.suite,
            case_id=case.id,
            question=render_input(case.input),
            expected=show_expected(case.expected),
            answer=case.answer,
            passed=case.check_passed,
            reason=case.reason,
            baseline_answer=case.baseline_answer,
        )
        for case in run_record.cases
        if not case.variant_of  # people review the questions as written, not each variant
    )
    return RunAnswers(run_record.run_id, fingerprint, answers)


def project_name(root: Path) -> str:
    """The project a sheet belongs to: ``[project] name`` of pyproject.toml, else the folder's
    name (a sheet from another project is refused on import)."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            name = (
                tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("name")
            )
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            name = None
        if isinstance(name, str) and name:
            return name
    return root.resolve().name
