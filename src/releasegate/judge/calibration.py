"""A judge's calibration against the reviewers: the file that keeps it and the rule that lets
a judge gate.

``fixtures/judges/<suite>.json`` (the ``judges_dir`` setting) holds one entry per judge, keyed
by :attr:`~releasegate.judge.types.JudgeIdentity.key`: the judge's identity, when it was
calibrated, and its figures (:mod:`.figures`). It is in git beside the reviews it was computed
from; a new judge's entry is written beside the others (a team trying two judges keeps both),
the whole file replaced atomically under the cross-process lock.

A judge gates (its tests can fail the run) only when the file holds an entry for THIS identity
(another model, template, setting or rubric is another judge: the entry is stale) with enough
reviewed answers, a kappa at or above the bar on every criterion, and not below the reviewers'
own kappa by more than the margin. Otherwise it is advisory, and the one-line reason says why
and what to run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ..core.atomic import write_text_atomic
from ..core.locks import exclusive_lock
from ..exceptions import JudgeError
from .figures import Calibration
from .types import CalibrationStatus, JudgeIdentity

__all__ = [
    "GatingRule",
    "calibration_path",
    "calibration_status",
    "read_calibrations",
    "write_calibration",
]


class GatingRule(Protocol):
    """The bars a calibration must clear (:class:`releasegate.judge.config.JudgeSpec` has them)."""

    @property
    def min_reviews(self) -> int: ...

    @property
    def min_kappa(self) -> float: ...

    @property
    def max_below_reviewers(self) -> float: ...


def calibration_path(judges_dir: Path, suite: str) -> Path:
    return judges_dir / f"{suite}.json"


def _suite_of(path: Path) -> str:
    return path.stem


def _what_to_do(path: Path) -> str:
    return (
        f"re-run releasegate judge calibrate --suite {_suite_of(path)} to write it again, or "
        f"restore it from git (git checkout -- {path})"
    )


def read_calibrations(path: Path) -> dict[str, dict[str, Any]]:
    """The judges' entries of a suite's calibration file by identity key ({} when there is no
    file); a file that is not such a document is one :class:`JudgeError` naming it and what to
    do."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise JudgeError(
            f"{path}: cannot read the judge calibration ({exc}); {_what_to_do(path)}"
        ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JudgeError(
            f"{path}: the judge calibration is not valid JSON (line {exc.lineno}: {exc.msg}); "
            f"{_what_to_do(path)}"
        ) from None
    suite = _suite_of(path)
    if not isinstance(document, dict) or not isinstance(document.get("judges"), dict):
        raise JudgeError(
            f"{path}: not a judge calibration (expected an object with 'suite' and 'judges'); "
            f"{_what_to_do(path)}"
        )
    if document.get("suite") != suite:
        raise JudgeError(
            f"{path}: this calibration is of suite {document.get('suite')!r}, not {suite!r} "
            f"(copied from another suite?); {_what_to_do(path)}"
        )
    judges: dict[str, dict[str, Any]] = {}
    for key, entry in document["judges"].items():
        problem = _entry_problem(key, entry)
        if problem:
            raise JudgeError(f"{path}: judge entry {key!r}: {problem}; {_what_to_do(path)}")
        judges[key] = entry
    return judges


def _entry_problem(key: str, entry: object) -> str:
    """What is wrong with one judge's entry, or ""."""
    if not isinstance(entry, dict):
        return "not an object"
    try:
        identity = JudgeIdentity.from_json(entry["identity"])
    except (KeyError, TypeError, AttributeError, ValueError):
        return "its 'identity' is missing or incomplete"
    if identity.key != key:
        return f"its identity's key is {identity.key}, not the key it is filed under"
    if not isinstance(entry.get("answers"), int) or isinstance(entry.get("answers"), bool):
        return "'answers' is not a whole number"
    criteria = entry.get("criteria")
    if not isinstance(criteria, dict) or not criteria:
        return "'criteria' is missing or empty"
    for name, figures in criteria.items():
        if not isinstance(figures, dict) or not _number_or_null(figures.get("kappa", "")):
            return f"criterion {name!r} has no kappa (a number or null)"
    reviewers = entry.get("reviewers", {})
    if not isinstance(reviewers, dict) or any(
        figures is not None
        and (not isinstance(figures, dict) or not _number_or_null(figures.get("kappa", "")))
        for figures in reviewers.values()
    ):
        return "'reviewers' is not a kappa per criterion (or null)"
    return ""


def _number_or_null(value: object) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def write_calibration(
    path: Path,
    identity: JudgeIdentity,
    calibration: Calibration,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Write (or replace) *identity*'s entry in the suite's calibration file, the other judges'
    entries kept; returns the entry. The same figures again leave the file as it was (its
    ``calibrated_at`` included). A broken existing file is refused, not overwritten."""
    entry = {
        "identity": identity.to_json(),
        "calibrated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "rubric_hash": calibration.rubric_hash,
        "weights": calibration.weights,
        "answers": calibration.answers,
        "unscored": calibration.unscored,
        "missing": calibration.missing,
        "saw_judge": calibration.saw_judge,
        "samples": calibration.samples,
        "seed": calibration.seed,
        "criteria": _finite(calibration.criteria_json()),
        "reviewers": _finite(calibration.reviewers_json()),
    }
    with exclusive_lock(path, what=f"the judge calibration {path}", timeout=60):
        judges = read_calibrations(path)
        before = judges.get(identity.key)
        if before is not None and {**before, "calibrated_at": ""} == {
            **entry,
            "calibrated_at": "",
        }:
            return before  # the same figures: the file (and its diff in git) stays as it was
        judges[identity.key] = entry
        document = {"suite": _suite_of(path), "judges": dict(sorted(judges.items()))}
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
        write_text_atomic(path, text + "\n")
    return entry


def _finite(value: Any) -> Any:
    """NaN (no pairs at all) as null: JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def calibration_status(identity: JudgeIdentity, spec: GatingRule, path: Path) -> CalibrationStatus:
    """Whether the judge of *identity* gates, by the calibration in *path* and *spec*'s bars."""
    suite = _suite_of(path)
    judges = read_calibrations(path)
    entry = judges.get(identity.key)
    if entry is None:
        if not judges:
            return CalibrationStatus(
                False, f"advisory: not calibrated: run releasegate judge calibrate --suite {suite}"
            )
        changed = _closest_change(identity, judges.values())
        return CalibrationStatus(
            False,
            f"advisory: calibrated for another judge ({changed}) in {path}: re-run "
            f"releasegate judge calibrate --suite {suite}",
        )
    return _judge(entry, spec)


def _closest_change(identity: JudgeIdentity, entries: Any) -> str:
    """What changed since the calibrated judge nearest to this one, in words."""
    differences = min(
        (identity.differences(JudgeIdentity.from_json(e["identity"])) for e in entries),
        key=len,
    )
    if len(differences) == 1:
        return f"{differences[0]} changed"
    return f"{', '.join(differences[:-1])} and {differences[-1]} changed"


def _judge(entry: Mapping[str, Any], spec: GatingRule) -> CalibrationStatus:
    answers = int(entry["answers"])
    figures = dict(entry)
    if answers < spec.min_reviews:
        return CalibrationStatus(
            False,
            f"advisory: {answers} reviewed answers, fewer than {spec.min_reviews}",
            figures,
        )
    criteria: Mapping[str, Mapping[str, Any]] = entry["criteria"]
    reviewers: Mapping[str, Mapping[str, Any] | None] = entry.get("reviewers", {})
    several = len(criteria) > 1

    def named(name: str) -> str:
        return f" ({name})" if several else ""

    undefined = [name for name, f in criteria.items() if f["kappa"] is None]
    if undefined:
        return CalibrationStatus(
            False,
            f"advisory: kappa undefined{named(undefined[0])} on {answers} answers (one score "
            "throughout: the reviewed answers do not tell a good judge from a constant one)",
            figures,
        )
    worst = min(criteria, key=lambda name: float(criteria[name]["kappa"]))
    kappa = float(criteria[worst]["kappa"])
    if kappa < spec.min_kappa:
        return CalibrationStatus(
            False,
            f"advisory: kappa {kappa:.2f}{named(worst)} on {answers} answers, below "
            f"{spec.min_kappa:g}",
            figures,
        )
    for name, f in criteria.items():
        ceiling = reviewers.get(name)
        human = None if ceiling is None else ceiling.get("kappa")
        if human is not None and float(f["kappa"]) < float(human) - spec.max_below_reviewers:
            return CalibrationStatus(
                False,
                f"advisory: kappa {float(f['kappa']):.2f}{named(name)} on {answers} answers, "
                f"more than {spec.max_below_reviewers:g} below the reviewers' {float(human):.2f}",
                figures,
            )
    ceiling = reviewers.get(worst)
    human = None if ceiling is None else ceiling.get("kappa")
    against = "" if human is None else f" (reviewers {float(human):.2f})"
    return CalibrationStatus(
        True, f"calibrated: kappa {kappa:.2f}{named(worst)} on {answers} answers{against}", figures
    )
