"""The run history: written whole, read back, refused when it cannot be trusted."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
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
