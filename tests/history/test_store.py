"""The run history: written whole, read back, refused when it cannot be trusted."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from releasegate.exceptions import HistoryError
from releasegate.history import CaseOutcome, HistoryStore, MetricPoint, RunRecord, step_of
from releasegate.history.reporting import history_block


def run(run_id: str, step: int | None, accuracy: float, **extra: object) -> RunRecord:
    items = {f"c{i}": 1.0 if i < accuracy * 10 else 0.0 for i in range(10)}
    return RunRecord(
        run_id=run_id,
        time=f"2026-01-01T00:00:{step or 0:02d}+0000",
        model=f"runs/x/checkpoint-{step}",
        model_path=None,
        fingerprint=f"fp-{run_id}",
        step=step,
        metrics=(MetricPoint("faq", "accuracy", accuracy, max_drop=0.1, items=items),),
        cases=tuple(CaseOutcome("faq", k, v == 1.0, "passed", "a") for k, v in items.items()),
        **extra,  # type: ignore[arg-type]
    )


def test_a_run_is_read_back_with_its_items_and_cases(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite")
    store.record(run("r1", 10, 0.8))
    store.record(run("r2", 20, 0.5))
    points = store.series(metrics=["accuracy"])
    assert [(p.run_id, p.step, p.value) for p in points] == [("r1", 10, 0.8), ("r2", 20, 0.5)]
    assert store.items("r2", "faq", "accuracy")["c4"] == 1.0
    assert store.items("r2", "faq", "accuracy")["c5"] == 0.0
    assert sum(c.passed for c in store.cases("r1")) == 8
    assert store.runs_with_fingerprint("fp-r2") == ["r2"]
    block = history_block(store, run("r2", 20, 0.5))
    assert [m.value for m in block.metrics] == [0.8, 0.5]
    assert set(block.to_json()["metrics"][0]) == {
        "run_id",
        "step",
        "time",
        "model",
        "suite",
        "metric",
        "value",
    }


def test_a_run_id_recorded_twice_leaves_the_first_whole(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite")
    store.record(run("r1", 10, 0.8))
    with pytest.raises(HistoryError, match="already in the history"):
        store.record(run("r1", 20, 0.1))
    assert [p.value for p in store.series()] == [0.8]
    assert len(store.cases("r1")) == 10  # nothing of the refused run was added


def test_a_history_from_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    HistoryStore(path).record(run("r1", 10, 0.8))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    before = path.read_bytes()
    store = HistoryStore(path)
    with pytest.raises(
        HistoryError, match=r"newer releasegate \(schema 99; this one reads up to 1\)"
    ):
        store.record(run("r2", 20, 0.5))
    with pytest.raises(HistoryError, match="newer releasegate"):
        store.series()
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_history_is_named(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    path.write_text("not a database at all, just text\n" * 10, encoding="utf-8")
    with pytest.raises(HistoryError, match=f"{path}.*not a releasegate history or it is damaged"):
        HistoryStore(path).record(run("r1", 10, 0.8))
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE things (x)")
    with pytest.raises(HistoryError, match="not a releasegate run history"):
        HistoryStore(other).series()


def test_a_missing_history_says_where_it_is_looked_for(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match=r"no run history at .*h.sqlite yet"):
        HistoryStore(tmp_path / "h.sqlite").series()


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from releasegate.history import CaseOutcome, HistoryStore, MetricPoint, RunRecord
    store = HistoryStore(Path(sys.argv[1]))
    for n in range(20):
        rid = f"{sys.argv[2]}-{n}"
        store.record(RunRecord(
            run_id=rid, time="2026-01-01T00:00:00+0000", model="m", model_path=None,
            fingerprint=rid, step=n,
            metrics=(MetricPoint("s", "accuracy", 0.5, items={f"i{k}": 1.0 for k in range(200)}),),
            cases=tuple(CaseOutcome("s", f"i{k}", True, "passed", "x" * 50) for k in range(200)),
        ))
    """
)


def test_two_runs_writing_at_once_are_both_recorded_whole(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    writers = [
        subprocess.Popen([sys.executable, str(script), str(path), name]) for name in ("a", "b")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    store = HistoryStore(path)
    assert len(store.series()) == 40
    for name in ("a", "b"):
        for n in range(20):
            assert len(store.cases(f"{name}-{n}")) == 200
            assert len(store.items(f"{name}-{n}", "s", "accuracy")) == 200


@pytest.mark.parametrize(
    ("model", "step"),
    [
        ("runs/x/checkpoint-500", 500),
        ("runs/x/step-20", 20),
        ("ds/global_step70", 70),
        ("runs/x/checkpoint-500/merged", 500),
        ("smollm2-135m-instruct", None),
    ],
)
def test_the_step_comes_from_the_folder_name(model: str, step: int | None) -> None:
    assert step_of(model) == step
    assert step_of(model, explicit=3) == 3


def test_the_step_comes_from_trainer_state_and_a_corrupt_one_is_named(tmp_path: Path) -> None:
    (tmp_path / "trainer_state.json").write_text(json.dumps({"global_step": 1200}))
    assert step_of(str(tmp_path)) == 1200
    (tmp_path / "trainer_state.json").write_text('{"global_step": 12')
    with pytest.raises(HistoryError, match=r"trainer_state.json: cannot read .* --step N"):
        step_of(str(tmp_path))
    assert step_of(str(tmp_path), explicit=5) == 5
    (tmp_path / "trainer_state.json").write_text('{"global_step": "x"}')
    with pytest.raises(HistoryError, match="'global_step' must be a whole number"):
        step_of(str(tmp_path))


HOLDER = textwrap.dedent(
    """
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")  # what a sqlite3 shell in a transaction, or a backup, holds
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    db.execute("ROLLBACK")
    """
)

WRITERS_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from releasegate.core.locks import exclusive_lock
    with exclusive_lock(Path(sys.argv[1]), what="the run history"):  # a run recording
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


@contextmanager
def held_by_another_process(
    tmp_path: Path, script: str, path: Path, seconds: float
) -> Iterator[subprocess.Popen[str]]:
    """A real second process holding *path*'s lock for *seconds*."""
    source = tmp_path / "holder.py"
    source.write_text(script, encoding="utf-8")
    holder = subprocess.Popen(
        [sys.executable, str(source), str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait(timeout=30)


def assert_not_called_damaged(message: str) -> None:
    assert "damaged: move it aside" not in message and "It is not damaged" in message
    assert "history_path ([tool.releasegate]) or --history-path" in message


@pytest.mark.parametrize("script", [HOLDER, WRITERS_LOCK], ids=["sqlite-lock", "writers-lock"])
def test_a_locked_history_is_said_locked_after_a_bounded_announced_wait(
    tmp_path: Path, script: str
) -> None:
    """Regression: a history locked by another process was called damaged ("move it aside",
    which loses its continuity) after 60 s of silence."""
    path = tmp_path / "h.sqlite"
    HistoryStore(path).record(run("r1", 1, 0.5))
    said: list[str] = []
    store = HistoryStore(path, lock_timeout=1.0, say=said.append)
    with held_by_another_process(tmp_path, script, path, 60):
        started = time.monotonic()
        with pytest.raises(HistoryError) as error:
            store.record(run("r2", 2, 0.6))
        waited = time.monotonic() - started
    message = str(error.value)
    assert f"run history {path} is locked by another" in message and "1 s" in message
    assert_not_called_damaged(message)
    assert 0.9 < waited < 10
    (line,) = said  # announced once, when the wait started
    assert line.startswith(f"releasegate: run history {path} is locked by ")
    assert line.endswith("; waiting up to 1 s for it")
    assert [p.run_id for p in HistoryStore(path).series()] == ["r1"]  # left as it was


def test_a_lock_let_go_during_the_wait_is_waited_for_once(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    HistoryStore(path).record(run("r1", 1, 0.5))
    said: list[str] = []
    with held_by_another_process(tmp_path, HOLDER, path, 1.0):
        HistoryStore(path, lock_timeout=30.0, say=said.append).record(run("r2", 2, 0.6))
    assert said == [
        f"releasegate: run history {path} is locked by another process; waiting up to 30 s for it"
    ]
    assert [p.run_id for p in HistoryStore(path).series()] == ["r1", "r2"]


def test_reading_a_locked_history_says_it_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    HistoryStore(path).record(run("r1", 1, 0.5))
    said: list[str] = []
    with (
        held_by_another_process(tmp_path, HOLDER, path, 60),
        pytest.raises(HistoryError) as error,
    ):
        HistoryStore(path, lock_timeout=0.5, say=said.append).series()
    assert_not_called_damaged(str(error.value))
    assert len(said) == 1 and "waiting up to 0.5 s" in said[0]


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """*path* read-only for this user. Root ignores permission bits, so for root the file or
    folder is made immutable (``chattr +i``), which stops root's writes too; where that is
    refused (no CAP_LINUX_IMMUTABLE, a file system without the attribute) the test is skipped."""
    mode = path.stat().st_mode
    path.chmod(mode & ~0o222)
    immutable = os.geteuid() == 0
    if immutable:
        chattr = shutil.which("chattr")
        done = chattr and subprocess.run([chattr, "+i", str(path)], capture_output=True)
        if not done or done.returncode != 0:
            path.chmod(mode)
            pytest.skip("running as root and chattr +i is refused: nothing is read-only to root")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(mode)


@pytest.mark.parametrize("which", ["file", "folder", "folder of a new history"])
def test_a_read_only_history_is_said_read_only(tmp_path: Path, which: str) -> None:
    """Regression: a read-only history file or folder was called damaged ("move it aside")."""
    folder = tmp_path / "reports"
    folder.mkdir()
    path = folder / "history.sqlite"
    if which != "folder of a new history":
        HistoryStore(path).record(run("r1", 1, 0.5))
    before = path.read_bytes() if path.exists() else None
    with read_only(path if which == "file" else folder), pytest.raises(HistoryError) as error:
        HistoryStore(path, lock_timeout=1.0).record(run("r2", 2, 0.6))
    message = str(error.value)
    assert f"run history {path} cannot be written" in message and "read-only" in message
    assert_not_called_damaged(message)
    assert (path.read_bytes() if path.exists() else None) == before
    if before is not None:
        assert [p.run_id for p in HistoryStore(path).series()] == ["r1"]
