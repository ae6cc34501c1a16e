"""SIGTERM and SIGHUP become KeyboardInterrupt for the length of a run, and only then."""

from __future__ import annotations

import os
import signal

import pytest

from releasegate.engine.interrupts import ORDERLY_SIGNALS, end_orderly_on_signals, restore_signals


@pytest.fixture
def default_actions() -> object:
    """The signals at their default action for the test, whatever the test process had."""
    before = {s: signal.signal(s, signal.SIG_DFL) for s in ORDERLY_SIGNALS}
    yield
    for received, action in before.items():
        signal.signal(received, action)


@pytest.mark.usefixtures("default_actions")
@pytest.mark.parametrize("received", ORDERLY_SIGNALS, ids=lambda s: s.name)
def test_a_termination_signal_raises_keyboard_interrupt_once(received: signal.Signals) -> None:
    end_orderly_on_signals()
    try:
        with pytest.raises(KeyboardInterrupt, match=f"{received.name} received"):
            os.kill(os.getpid(), received)
            signal.sigtimedwait([], 0.1)  # give the handler its chance to run
        # the next one would end the process as it always did
        assert signal.getsignal(received) is signal.SIG_DFL
    finally:
        restore_signals()
    assert signal.getsignal(received) is signal.SIG_DFL


@pytest.mark.usefixtures("default_actions")
def test_a_handler_someone_else_installed_is_left_alone() -> None:
    def theirs(signum: int, frame: object) -> None:
        pass

    signal.signal(signal.SIGTERM, theirs)
    end_orderly_on_signals()
    try:
        assert signal.getsignal(signal.SIGTERM) is theirs
    finally:
        restore_signals()
    assert signal.getsignal(signal.SIGTERM) is theirs
