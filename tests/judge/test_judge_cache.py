"""The verdict cache shared by pytest-xdist workers: processes released together onto one fresh
file each store their verdicts, and every one of them is there afterwards."""

from __future__ import annotations

from pathlib import Path

from at_once import first_failure, run_at_once
from releasegate.judge.cache import VerdictCache, verdict_key

WRITERS = 4
ROUNDS = 16
VERDICTS = 25


def _write_then_read(folder: Path, number: int, me: int) -> str:
    """Open the round's fresh cache, store this process's verdicts in one transaction and one
    by one, and read them back."""
    cache = VerdictCache(folder / "judge" / "verdicts.sqlite")
    keys = [verdict_key("judge", f"{me}:{n}") for n in range(VERDICTS)]
    cache.put_many("judge", {k: f"output {me}" for k in keys[:10]})
    for k in keys[10:]:
        cache.put_many("judge", {k: f"output {me}"})
    found = cache.get_many(keys)
    cache.close()
    return f"read {len(found)}" if set(found.values()) == {f"output {me}"} else f"wrong {found}"


def test_workers_writing_one_fresh_cache_at_once_lose_nothing(tmp_path: Path) -> None:
    outcomes = run_at_once(_write_then_read, tmp_path, processes=WRITERS, rounds=ROUNDS)
    assert not first_failure(outcomes), first_failure(outcomes)
    assert [o.said for o in outcomes] == [f"read {VERDICTS}"] * (WRITERS * ROUNDS)
    for number in range(ROUNDS):
        cache = VerdictCache(tmp_path / f"round-{number}" / "judge" / "verdicts.sqlite")
        every = [
            verdict_key("judge", f"{me}:{n}") for me in range(WRITERS) for n in range(VERDICTS)
        ]
        assert len(cache.get_many(every)) == WRITERS * VERDICTS
        cache.close()


def test_the_key_is_the_identity_and_the_exact_prompt() -> None:
    assert verdict_key("a", "prompt") == verdict_key("a", "prompt")
    assert verdict_key("a", "prompt") != verdict_key("b", "prompt")
    assert verdict_key("a", "prompt") != verdict_key("a", "prompt ")
