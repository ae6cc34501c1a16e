"""The prediction cache: keys, storage, reuse across runs, and claims between processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from at_once import first_failure, run_at_once
from releasegate.engine.cache import CachedAnswer, PredictionCache, prediction_key

SETTINGS = {"max_new_tokens": 64, "temperature": 0.0, "top_p": 1.0, "seed": 0}
CTX = multiprocessing.get_context("spawn")


def key(**changes: Any) -> str:
    args: dict[str, Any] = {
        "fingerprint": "f" * 64,
        "backend": "hf",
        "settings": SETTINGS,
        "prompt": "<|user|>Where is my order?<|assistant|>",
    }
    args.update(changes)
    return prediction_key(**args)


def answer(text: str, run_id: str = "run-1") -> CachedAnswer:
    return CachedAnswer(answer=text, output_tokens=len(text.split()), seconds=0.25, run_id=run_id)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "predictions.sqlite"


@pytest.fixture
def cache(db: Path) -> Iterator[PredictionCache]:
    opened = PredictionCache(db, run_id="run-1")
    yield opened
    opened.close()


# ---------------------------------------------------------------------------------------------
# Keys


def test_key_is_a_stable_hex_digest() -> None:
    assert key() == key()
    assert len(key()) == 64 and int(key(), 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"fingerprint": "e" * 64},
        {"backend": "openai"},
        {"settings": {**SETTINGS, "max_new_tokens": 65}},
        {"settings": {**SETTINGS, "temperature": 0.7}},
        {"settings": {**SETTINGS, "seed": 1}},
        {"prompt": "<|user|>Where is my order? <|assistant|>"},
        {"prompt": "<|user|>我的订单在哪里<|assistant|>"},
    ],
)
def test_key_changes_with_everything_that_changes_the_answer(change: dict[str, Any]) -> None:
    assert key(**change) != key()


def test_key_does_not_depend_on_settings_order() -> None:
    reordered = dict(reversed(list(SETTINGS.items())))
    assert key(settings=reordered) == key()


def test_fields_cannot_bleed_into_each_other() -> None:
    assert key(backend="hf", prompt="x") != key(backend="hfx", prompt="")


# ---------------------------------------------------------------------------------------------
# Storage


def test_put_get_roundtrip(cache: PredictionCache) -> None:
    stored = {key(prompt="a"): answer("Alpha"), key(prompt="b"): answer("退款需要七天")}
    cache.put_many(stored)
    assert cache.get_many([key(prompt="a"), key(prompt="b"), key(prompt="missing")]) == stored


def test_answers_survive_reopening(db: Path) -> None:
    first = PredictionCache(db, run_id="run-1")
    first.put_many({key(): answer("kept")})
    first.close()
    second = PredictionCache(db, run_id="run-2")
    try:
        found = second.get_many([key()])
    finally:
        second.close()
    assert found == {key(): answer("kept", run_id="run-1")}


def test_put_replaces_an_earlier_answer(cache: PredictionCache) -> None:
    cache.put_many({key(): answer("old")})
    cache.put_many({key(): answer("new")})
    assert cache.get_many([key()])[key()].answer == "new"


def test_many_keys_in_one_call(cache: PredictionCache) -> None:
    stored = {key(prompt=str(i)): answer(f"a{i}") for i in range(1203)}
    cache.put_many(stored)
    keys = list(stored)
    assert cache.get_many(keys + keys[:10]) == stored


def test_reuse_false_ignores_earlier_runs_but_sees_this_one(db: Path) -> None:
    earlier = PredictionCache(db, run_id="run-0")
    earlier.put_many({key(prompt="old"): answer("from run 0", run_id="run-0")})
    earlier.close()

    fresh = PredictionCache(db, run_id="run-1", reuse=False)
    try:
        assert fresh.get_many([key(prompt="old")]) == {}
        fresh.put_many({key(prompt="new"): answer("from run 1", run_id="run-1")})
        assert fresh.get_many([key(prompt="new")])[key(prompt="new")].answer == "from run 1"
        # Regenerated answers overwrite the stale ones and are then visible.
        fresh.put_many({key(prompt="old"): answer("redone", run_id="run-1")})
        assert fresh.get_many([key(prompt="old")])[key(prompt="old")].answer == "redone"
    finally:
        fresh.close()

    reusing = PredictionCache(db, run_id="run-2")
    try:
        assert reusing.get_many([key(prompt="new")])[key(prompt="new")].answer == "from run 1"
    finally:
        reusing.close()


# ---------------------------------------------------------------------------------------------
# Claims within one process


def test_claim_release_in_one_process(cache: PredictionCache) -> None:
    assert cache.claim("shop#0")
    assert cache.claim("shop#0")  # claiming again is still ours
    assert not cache.claimed_elsewhere("shop#0")
    cache.release("shop#0")
    assert cache.claim("shop#0")


def test_second_instance_in_same_process_counts_as_the_same_claimant(db: Path) -> None:
    first = PredictionCache(db, run_id="run-1")
    second = PredictionCache(db, run_id="run-1")
    try:
        assert first.claim("shop#0")
        # Claims are keyed by process: the same pid is never "elsewhere".
        assert not second.claimed_elsewhere("shop#0")
        assert second.claim("shop#0")
    finally:
        first.close()
        second.close()


def test_claim_of_another_run_is_taken_over(db: Path) -> None:
    old = PredictionCache(db, run_id="run-0")
    new = PredictionCache(db, run_id="run-1")
    try:
        assert old.claim("shop#0")
        assert not new.claimed_elsewhere("shop#0")
        assert new.claim("shop#0")
    finally:
        old.close()
        new.close()


def test_wait_for_without_claimant_returns_what_is_there(cache: PredictionCache) -> None:
    cache.put_many({key(prompt="a"): answer("A")})
    started = time.monotonic()
    found = cache.wait_for([key(prompt="a"), key(prompt="b")], "shop#0", poll=0.05, timeout=5)
    assert set(found) == {key(prompt="a")}
    assert time.monotonic() - started < 1


# ---------------------------------------------------------------------------------------------
# Claims between processes (spawned children, as pytest-xdist workers are separate processes)


def _claim_then_store(
    db: str,
    run_id: str,
    claim_key: str,
    answers: dict[str, str],
    claimed: Any,
    go: Any,
    store: bool,
    release: bool,
) -> None:
    cache = PredictionCache(Path(db), run_id=run_id)
    if not cache.claim(claim_key):
        raise SystemExit(3)
    claimed.set()
    if not go.wait(20):
        raise SystemExit(4)
    time.sleep(0.3)  # the parent is waiting by now
    if store:
        cache.put_many({k: answer(v, run_id=run_id) for k, v in answers.items()})
    if release:
        cache.release(claim_key)
    cache.close()


def _start_child(
    db: Path,
    answers: dict[str, str],
    *,
    store: bool = True,
    release: bool = True,
    run_id: str = "run-1",
) -> tuple[Any, Any, Any]:
    claimed, go = CTX.Event(), CTX.Event()
    child = CTX.Process(
        target=_claim_then_store,
        args=(str(db), run_id, "shop#0", answers, claimed, go, store, release),
    )
    child.start()
    assert claimed.wait(30), "child never claimed"
    return child, claimed, go


def test_claim_held_by_another_process_and_waited_for(cache: PredictionCache, db: Path) -> None:
    answers = {key(prompt="a"): "A", key(prompt="b"): "B"}
    child, _, go = _start_child(db, answers)
    try:
        assert cache.claimed_elsewhere("shop#0")
        assert not cache.claim("shop#0")
        cache.release("shop#0")  # not ours: the child's claim stays
        assert cache.claimed_elsewhere("shop#0")
        go.set()
        started = time.monotonic()
        found = cache.wait_for(list(answers), "shop#0", poll=0.05, timeout=20)
        waited = time.monotonic() - started
    finally:
        child.join(30)
    assert child.exitcode == 0
    assert {k: v.answer for k, v in found.items()} == answers
    assert waited >= 0.2  # it really waited for the child
    assert not cache.claimed_elsewhere("shop#0")
    assert cache.claim("shop#0")


def test_claim_by_a_dead_process_is_taken_over(cache: PredictionCache, db: Path) -> None:
    child, _, go = _start_child(db, {}, store=False, release=False)
    go.set()
    child.join(30)
    assert child.exitcode == 0
    assert child.pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)
    assert not cache.claimed_elsewhere("shop#0")
    assert cache.claim("shop#0")


def test_wait_for_stops_when_the_claimant_dies_half_way(cache: PredictionCache, db: Path) -> None:
    answers = {key(prompt="a"): "A"}
    child, _, go = _start_child(db, answers, release=False)
    go.set()
    child.join(30)
    assert child.exitcode == 0
    started = time.monotonic()
    found = cache.wait_for([key(prompt="a"), key(prompt="b")], "shop#0", poll=0.05, timeout=20)
    # The child stored one of two answers and died holding the claim: what it stored is
    # returned at once (not after the timeout), the rest is left to the caller to generate.
    assert time.monotonic() - started < 5
    assert {k: v.answer for k, v in found.items()} == answers
    assert cache.claim("shop#0")


def _claim_and_hang(db: str, claimed: Any) -> None:  # pragma: no cover - child process
    cache = PredictionCache(Path(db), run_id="run-1")
    if not cache.claim("shop#0"):
        raise SystemExit(3)
    claimed.set()
    time.sleep(60)  # generating, until it is killed


def test_claim_held_by_a_killed_process_is_taken_over_at_once(
    cache: PredictionCache, db: Path
) -> None:
    """SIGKILL: no ``finally``, no release; the kernel frees the claim with the process."""
    claimed = CTX.Event()
    child = CTX.Process(target=_claim_and_hang, args=(str(db), claimed))
    child.start()
    try:
        assert claimed.wait(30), "child never claimed"
        assert cache.claimed_elsewhere("shop#0")
        assert not cache.claim("shop#0")
        threading.Timer(0.3, os.kill, (child.pid, signal.SIGKILL)).start()
        started = time.monotonic()
        found = cache.wait_for([key(prompt="a")], "shop#0", poll=0.05, timeout=20)
        waited = time.monotonic() - started
        assert found == {}  # nothing stored; the waiter stops once the claimant is gone
        assert 0.2 <= waited < 5
        assert cache.claim("shop#0")
    finally:
        child.kill()
        child.join(30)
    assert child.exitcode == -signal.SIGKILL


def _process_state(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rpartition(")")[2].split()[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see a zombie")
def test_claim_by_an_unreaped_dead_process_is_taken_over(cache: PredictionCache, db: Path) -> None:
    child, _, go = _start_child(db, {}, store=False, release=False)
    try:
        go.set()
        assert child.pid is not None
        deadline = time.monotonic() + 30
        while _process_state(child.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _process_state(child.pid) == "Z"  # exited, not yet reaped by its parent
        assert not cache.claimed_elsewhere("shop#0")
        assert cache.claim("shop#0")
    finally:
        child.join(30)


def test_wait_for_answers_of_reuse_false_run_from_another_process(db: Path) -> None:
    fresh = PredictionCache(db, run_id="run-1", reuse=False)
    answers = {key(prompt="a"): "A"}
    child, _, go = _start_child(db, answers)
    try:
        assert not fresh.claim("shop#0")
        go.set()
        found = fresh.wait_for(list(answers), "shop#0", poll=0.05, timeout=20)
    finally:
        child.join(30)
        fresh.close()
    assert {k: v.answer for k, v in found.items()} == answers


# ---------------------------------------------------------------------------------------------
# Opening one cache from many processes at once (pytest-xdist workers starting together)

OPENERS = 8


def _open_fresh_then_existing(folder: Path, number: int, me: int) -> str:
    """Open the round's new cache and store one answer; when every process has, reopen the
    existing cache and read them all."""
    db = folder / "cache" / "predictions.sqlite"
    fresh = PredictionCache(db, run_id="run-1")
    fresh.put_many({key(prompt=str(me)): answer(f"answer of {me}")})
    fresh.close()
    deadline = time.monotonic() + 20
    while True:
        existing = PredictionCache(db, run_id="run-1")
        found = existing.get_many([key(prompt=str(n)) for n in range(OPENERS)])
        existing.close()
        if len(found) == OPENERS or time.monotonic() > deadline:
            return f"found {len(found)}"
        time.sleep(0.01)


def test_many_processes_open_one_fresh_cache_at_once(tmp_path: Path) -> None:
    """Issue: the second of two xdist workers opening a new cache got "database is locked" at
    the switch to WAL, at once (SQLite's busy timeout does not cover it)."""
    outcomes = run_at_once(_open_fresh_then_existing, tmp_path, processes=OPENERS, rounds=30)
    assert not first_failure(outcomes), first_failure(outcomes)
    assert [o.said for o in outcomes] == [f"found {OPENERS}"] * (OPENERS * 30)


def test_claim_files_of_runs_long_over_are_removed_and_recent_ones_kept(db: Path) -> None:
    first = PredictionCache(db, run_id="run-old")
    first.claim("shop#0")
    first.release("shop#0")
    first.close()
    recent = PredictionCache(db, run_id="run-recent")
    recent.claim("shop#0")
    claims = db.parent / f".{db.name}.claims"
    week_ago = time.time() - 8 * 86_400
    os.utime(claims / "run-old", (week_ago, week_ago))
    PredictionCache(db, run_id="run-new").close()
    assert sorted(p.name for p in claims.iterdir()) == ["run-recent"]
    assert recent.claim("shop#0")  # a live run's claims untouched
    recent.release("shop#0")
    recent.close()
