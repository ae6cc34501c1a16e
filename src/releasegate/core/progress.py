"""Progress a user can see: the one display every long step uses (generation batches, benchmark
questions, checkpoint sweeps, isolation, review import).

``with progress("generating intents", total=n) as step: ... step.advance(k)``

Long work used to run in silence. Every caller goes through this one context manager, so the
output is the same wherever it comes from and one switch governs it:

- ``bar``: on an interactive terminal, a live bar (rich) with counts, rate and time left, drawn
  only when the caller advances (no drawing thread writes behind pytest's capture), and
  cleared at the end, when the step's one line takes its place.
- ``lines``: under CI, where stderr is not a terminal, and in pytest-xdist workers (several
  would fight over one line): no bar, one plain line per finished step, e.g.
  ``generating intents: 120/120 in 14.2 s``; never a line per item.
- ``off``: nothing.

``RELEASEGATE_PROGRESS=off|lines|bar`` forces a mode (an xdist worker still never draws a bar).
Output goes to the :class:`Terminal` installed with :func:`set_terminal`: stderr by default;
the pytest plugin installs one that writes past pytest's capture, so the user sees it during a
test and pytest's own output (and its junit, and xdist's channel) is left alone.

This module is on the ground floor: it imports nothing of releasegate's but exceptions.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from ..exceptions import ConfigError

if TYPE_CHECKING:  # rich itself is imported only when a bar is drawn (_Bar)
    from rich.progress import TaskID

__all__ = [
    "MODE_ENV",
    "Mode",
    "Step",
    "Terminal",
    "progress",
    "progress_mode",
    "set_terminal",
]

MODE_ENV = "RELEASEGATE_PROGRESS"
Mode = Literal["off", "lines", "bar"]
_MODES: tuple[Mode, ...] = ("off", "lines", "bar")
_REFRESH_S = 0.1
"""A live bar is redrawn at most this often, however often the caller advances."""


class Terminal(Protocol):
    """Where progress is shown: a finished step's line, and the raw text of a live bar."""

    def line(self, text: str) -> None:
        """Show *text* as one whole line of its own."""

    def write(self, text: str) -> None:
        """Write *text* as it is (a bar's cursor moves) and flush."""

    def isatty(self) -> bool:
        """Whether a live bar can be drawn here."""


class _Stderr:
    """The default terminal: the process's stderr, looked up at each write (a test's capsys or
    a redirected stream takes effect)."""

    def line(self, text: str) -> None:
        self.write(text + "\n")

    def write(self, text: str) -> None:
        stream = sys.stderr
        stream.write(text)
        stream.flush()

    def isatty(self) -> bool:
        try:
            return sys.stderr.isatty()
        except (AttributeError, ValueError):
            return False


_terminal: Terminal = _Stderr()


def set_terminal(terminal: Terminal | None) -> Terminal:
    """Install *terminal* as where progress goes (None: stderr again); returns the one it
    replaces, for the caller to put back (a pytest run inside a pytest run)."""
    global _terminal
    previous = _terminal
    _terminal = _Stderr() if terminal is None else terminal
    return previous


def progress_mode(*, tty: bool | None = None) -> Mode:
    """The mode in force: ``RELEASEGATE_PROGRESS`` where set, else ``lines`` under CI, in an
    xdist worker or where the terminal is not a TTY, else ``bar``. Raises ConfigError for a
    value of ``RELEASEGATE_PROGRESS`` that is none of the three."""
    worker = bool(os.environ.get("PYTEST_XDIST_WORKER"))
    value = os.environ.get(MODE_ENV, "").strip().lower()
    if value:
        if value not in _MODES:
            raise ConfigError(
                f"environment variable {MODE_ENV}={os.environ[MODE_ENV]!r} is not a progress "
                "mode: set it to off, lines or bar, or unset it"
            )
        mode: Mode = value
        return "lines" if mode == "bar" and worker else mode
    if worker or os.environ.get("CI"):
        return "lines"
    interactive = _terminal.isatty() if tty is None else tty
    return "bar" if interactive else "lines"


@dataclass
class Step:
    """A running step: :meth:`advance` it as items are done."""

    label: str
    total: int | None
    done: int = 0
    _bar: _Bar | None = field(default=None, repr=False)
    _task: TaskID | None = field(default=None, repr=False)

    def set_total(self, total: int) -> None:
        """The step's size, once known (a file's rows once its index is read)."""
        self.total = total
        if self._bar is not None and self._task is not None:
            self._bar.set_total(self._task, total)

    def advance(self, count: int = 1) -> None:
        """*count* more items are done."""
        self.done += count
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, count)


class _File:
    """The file a rich Console draws a bar on: the installed terminal's raw writes."""

    def __init__(self, terminal: Terminal) -> None:
        self._terminal = terminal

    def write(self, text: str) -> int:
        self._terminal.write(text)
        return len(text)

    def flush(self) -> None:
        """Each write flushes already."""

    def isatty(self) -> bool:
        return True


class _Bar:
    """One live rich display shared by the steps running at once (a nested step is a second
    row), drawn from the caller's thread only."""

    def __init__(self, terminal: Terminal) -> None:
        # Imported here: a run with no bar (CI, xdist workers, a pipe) never pays for rich.
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(file=_File(terminal), force_terminal=True, highlight=False)  # type: ignore[arg-type]
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            auto_refresh=False,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.lock = threading.Lock()
        self.users = 0
        self._drawn = 0.0
        self._pending: dict[TaskID, int] = {}

    def add(self, label: str, total: int | None) -> TaskID:
        with self.lock:
            if self.users == 0:
                self.progress.start()
            self.users += 1
            task = self.progress.add_task(label, total=total, rate="")
            self._draw(force=True)
            return task

    def advance(self, task: TaskID, count: int) -> None:
        """Count *count* more for *task*; rich hears of it when the bar is next drawn (a call
        per item would otherwise cost the work it shows some 0.1 ms each)."""
        with self.lock:
            self._pending[task] = self._pending.get(task, 0) + count
            self._draw(force=False)

    def set_total(self, task: TaskID, total: int) -> None:
        with self.lock:
            self.progress.update(task, total=total)
            self._draw(force=True)

    def remove(self, task: TaskID) -> bool:
        """Drop *task*; True when it was the last and the display is gone."""
        with self.lock:
            self._pending.pop(task, None)
            self.progress.remove_task(task)
            self.users -= 1
            if self.users == 0:
                self.progress.stop()
                return True
            self._draw(force=True)
            return False

    def _draw(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._drawn < _REFRESH_S:
            return
        self._drawn = now
        for task, count in self._pending.items():
            self.progress.update(task, advance=count)
        self._pending.clear()
        for shown in self.progress.tasks:
            if shown.speed is not None:
                self.progress.update(shown.id, rate=f"{shown.speed:.1f}/s")
        self.progress.refresh()


_live: _Bar | None = None
_live_lock = threading.Lock()


def _finished_line(step: Step, seconds: float, failed: bool) -> str:
    count = f"{step.done}/{step.total}" if step.total is not None else str(step.done)
    if failed:
        return f"{step.label}: stopped at {count} after {seconds:.1f} s"
    return f"{step.label}: {count} in {seconds:.1f} s"


@contextmanager
def progress(label: str, *, total: int | None = None, bar: bool = True) -> Iterator[Step]:
    """A step of *total* items (None: not known ahead), shown as the mode says. *bar* False
    keeps a step to its line even on a terminal: a step that hands the terminal to a child
    process, which draws its own progress there."""
    global _live
    mode = progress_mode()
    step = Step(label, total)
    terminal = _terminal
    started = time.monotonic()
    if mode == "bar" and bar:
        with _live_lock:
            if _live is None:
                _live = _Bar(terminal)
            live = _live
        step._bar = live
        step._task = live.add(label, total)
    failed = False
    try:
        yield step
    except BaseException:
        failed = True
        raise
    finally:
        if step._bar is not None and step._task is not None:
            with _live_lock:
                if step._bar.remove(step._task):
                    _live = None
        if mode != "off":
            terminal.line(_finished_line(step, time.monotonic() - started, failed))
