"""SIGTERM and SIGHUP end a run as Ctrl-C does: in order, not by vanishing.

A CI job that times out, ``timeout 600 pytest ...``, a closed terminal: each ends a run with
SIGTERM or SIGHUP, whose default action kills the process on the spot. Nothing in it then runs:
no ``finally``, no fixture teardown, no ``atexit``. The embedded server would be left to its
watchdog, the answers of the chunk under way would be lost, and no report would say the run was
cut short. Raised as :class:`KeyboardInterrupt` instead, the signal unwinds the run like Ctrl-C:
pytest finalizes the fixtures, the backend stops its server, the answers already returned are
cached, and the session ends "interrupted".

A second signal of the same kind does what it would have done without this module: a run whose
orderly end hangs can still be ended.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

__all__ = ["ORDERLY_SIGNALS", "end_orderly_on_signals", "restore_signals"]

ORDERLY_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""The signals turned into :class:`KeyboardInterrupt` (SIGHUP does not exist on Windows)."""

_taken: set[signal.Signals] = set()
"""The signals :func:`end_orderly_on_signals` took over (from their default action)."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    received = signal.Signals(signum)
    signal.signal(received, signal.SIG_DFL)  # the next one ends the process at once
    raise KeyboardInterrupt(f"{received.name} received: ending the run as Ctrl-C does")


def end_orderly_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into :class:`KeyboardInterrupt` in this process.

    Only from the main thread (the only one Python delivers signals to), and only where the
    signal still has its default action: a handler someone else installed is theirs."""
    if threading.current_thread() is not threading.main_thread():
        return
    for received in ORDERLY_SIGNALS:
        if signal.getsignal(received) is signal.SIG_DFL:
            signal.signal(received, _interrupt)
            _taken.add(received)


def restore_signals() -> None:
    """Give the signals taken over their default action back (the end of an in-process run)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for received in list(_taken):
        if signal.getsignal(received) is _interrupt:
            signal.signal(received, signal.SIG_DFL)
        _taken.discard(received)
