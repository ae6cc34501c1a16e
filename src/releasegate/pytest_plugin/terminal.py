"""Progress (:mod:`releasegate.core.progress`) shown past pytest's capture.

Generation, benchmarks and isolation run inside fixtures and tests, where pytest captures stdout
and stderr down to the file descriptors; a step's line or bar written there would reach the user
only in a failing test's report. This terminal suspends the capture for each write, puts the
terminal reporter's line in order first (a line of test dots is ended before the step's line),
and writes to stderr, which pytest's own output, the junit file and xdist's channel do not use.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import pytest

__all__ = ["PytestTerminal"]


class PytestTerminal:
    """A :class:`~releasegate.core.progress.Terminal` for one pytest run."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config

    @contextmanager
    def _uncaptured(self) -> Iterator[None]:
        capman: Any = self._config.pluginmanager.get_plugin("capturemanager")
        with capman.global_and_fixture_disabled() if capman is not None else nullcontext():
            reporter: Any = self._config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.ensure_newline()
                reporter.flush()
            yield
            sys.stderr.flush()

    def line(self, text: str) -> None:
        # An xdist worker shares the controller's terminal but not its reporter: the controller
        # may be half way through a line of dots, so a worker's line starts on a line of its own.
        start = "\n" if hasattr(self._config, "workerinput") else ""
        with self._uncaptured():
            sys.stderr.write(start + text + "\n")

    def write(self, text: str) -> None:
        with self._uncaptured():
            sys.stderr.write(text)

    def isatty(self) -> bool:
        capman: Any = self._config.pluginmanager.get_plugin("capturemanager")
        with capman.global_and_fixture_disabled() if capman is not None else nullcontext():
            try:
                return sys.stderr.isatty()
            except (AttributeError, ValueError):
                return False
