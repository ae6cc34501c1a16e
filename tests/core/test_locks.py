"""The cross-process lock on first-use files in the cache folder."""

from __future__ import annotations

import multiprocessing
import os
import re
import time
from pathlib import Path

import pytest

from releasegate.core.locks import exclusive_lock, lock_path
from releasegate.engine import cache as cache_module
from releasegate.engine.cache import PredictionCache
from releasegate.exceptions import LockTimeoutError

CTX = multiprocessing.get_context("spawn")


def test_a_held_lock_times_out_with_one_message_naming_the_lock_and_what_to_do(
    tmp_path: Path,
) -> None:
    guarded = tmp_path / "cache" / "predictions.sqlite"
    with exclusive_lock(guarded, what="a long conversion"):
        started = time.monotonic()
        with (
            pytest.raises(LockTimeoutError) as caught,
            exclusive_lock(guarded, what="opening the cache", timeout=0.2),
        ):
            pass
        assert time.monotonic() - started < 5
    message = str(caught.value)
    assert "waited 0.2 s for opening the cache" in message
    assert str(lock_path(guarded)) in message and "RELEASEGATE_CACHE_DIR" in message
    with exclusive_lock(guarded, what="opening the cache", timeout=0.2):
        pass  # free again once released


def test_opening_a_cache_locked_by_another_process_past_the_wait_names_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "cache" / "predictions.sqlite"
    monkeypatch.setattr(cache_module, "OPEN_WAIT", 0.2)
    with exclusive_lock(db, what="a hung opener"), pytest.raises(LockTimeoutError) as caught:
        PredictionCache(db, run_id="run-1")
    assert re.search(r"opening the prediction cache .*predictions\.sqlite", str(caught.value))
    PredictionCache(db, run_id="run-1").close()


def _hold_and_die(guarded: str, holding: object) -> None:  # pragma: no cover - child process
    with exclusive_lock(Path(guarded), what="a worker that crashes"):
        holding.set()  # type: ignore[attr-defined]
        time.sleep(0.2)
        os._exit(1)  # killed: no release, no cleanup


def test_the_lock_of_a_crashed_process_is_free_at_once(tmp_path: Path) -> None:
    guarded = tmp_path / "models" / "converted"
    holding = CTX.Event()
    child = CTX.Process(target=_hold_and_die, args=(str(guarded), holding))
    child.start()
    assert holding.wait(60)
    child.join(60)
    assert child.exitcode == 1
    started = time.monotonic()
    with exclusive_lock(guarded, what="the conversion", timeout=5):
        pass
    assert time.monotonic() - started < 1
