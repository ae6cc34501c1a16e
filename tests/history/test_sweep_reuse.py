"""``releasegate checkpoints`` over a real history file and real checkpoint folders (tiny weight
files, no model loaded): which recorded run stands for which step, and what the table and the
rules then say."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasegate.cli import main
from releasegate.history import CaseOutcome, HistoryStore, MetricPoint, RunRecord
from releasegate.models.fingerprint import weights_fingerprint
from tiny_project import write_project

MANIFEST = "name: tiny\ncases: tiny.jsonl\ncheck: contains\nmetrics:\n  - {name: accuracy}\n"
CASES = [{"id": "a", "input": "Say yes", "expected": "yes"}]
CONFIG = '[tool.releasegate]\n[tool.releasegate.general]\ntasks = ["mmlu_x"]\nmax_drop = 0.05\n'


def weights(folder: Path, content: bytes) -> Path:
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(content)
    return folder


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RELEASEGATE_CACHE_DIR", str(tmp_path / "cache"))
    return write_project(tmp_path / "project", config=CONFIG, manifest=MANIFEST, cases=CASES)


def record(
    store: HistoryStore,
    run_id: str,
    folder: Path,
    *,
    step: int | None,
    minute: int,
    tiny: float | None = None,
    mmlu: float | None = None,
    metric: bool = True,
) -> None:
    """A run of *folder*'s weights that scored the tiny suite and/or the benchmark (*metric*
    False: the tiny suite's case alone, a suite without metrics)."""
    metrics, cases = [], []
    if tiny is not None:
        if metric:
            metrics.append(MetricPoint("tiny", "accuracy", tiny, max_drop=0.1, items={"a": tiny}))
        cases.append(CaseOutcome("tiny", "a", tiny == 1.0, "passed", "yes"))
    if mmlu is not None:
        metrics.append(MetricPoint("general/mmlu_x", "acc", mmlu, max_drop=0.05))
    store.record(
        RunRecord(
            run_id=run_id,
            time=f"2026-01-01T00:{minute:02d}:00+0000",
            model=str(folder),
            model_path=str(folder),
            fingerprint=weights_fingerprint(folder, cache_dir=folder.parent / "cache"),
            step=step,
            metrics=tuple(metrics),
            cases=tuple(cases),
        )
    )


def sweep(project: Path, run: Path, base: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["--root", str(project), "checkpoints", str(run), "--base", str(base)])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    return captured.out


def test_the_same_weights_saved_twice_keep_a_column_per_step(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = weights(project / "base", b"base weights")
    run = project / "runs" / "r"
    weights(run / "checkpoint-100", b"tuned weights")
    weights(run / "checkpoint-200", b"tuned weights")  # saved again, unchanged
    store = HistoryStore(project / "reports" / "history.sqlite")
    # the base as a plain run (no step), the checkpoint as recorded once at step 200
    record(store, "plain-base", base, step=None, minute=1, tiny=1.0, mmlu=0.5)
    record(store, "tuned", run / "checkpoint-200", step=200, minute=2, tiny=0.0, mmlu=0.3)
    out = sweep(project, run, base, capsys)
    assert "step 100 (checkpoint-100): already in the history as run tuned" in out
    assert "step 200 (checkpoint-200): already in the history as run tuned" in out
    table = (project / "reports" / "checkpoints-r" / "trend.md").read_text(encoding="utf-8")
    assert "| suite | metric | step 0 | step 100 | step 200 |" in table
    assert "| general/mmlu_x | acc | 0.5 | 0.3 | 0.3 |" in table
    assert "| tiny | accuracy | 1 | 0 | 0 |" in table
    # the rules see each step at its own place: below base at 100 and at 200, the base
    # (recorded without a step) at 0
    below = [line for line in out.splitlines() if line.startswith("BELOW BASE")]
    assert [line.split(" at ")[1].split(":")[0] for line in below] == ["step 100", "step 200"]
    # the benchmark (no per-question values stored) falls at step 100 by its value alone; one
    # case cannot show a fall at alpha 0.05 (the no-drop gate's own rule)
    assert "FALL: general/mmlu_x::acc at step 100: 0.5 at step 0 -> 0.3" in out
    assert "FALL: tiny::" not in out


def test_a_run_of_fewer_suites_does_not_stand_for_the_base(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = weights(project / "base", b"base weights")
    run = project / "runs" / "r"
    weights(run / "checkpoint-10", b"tuned weights")
    store = HistoryStore(project / "reports" / "history.sqlite")
    record(store, "base-full", base, step=0, minute=1, tiny=1.0, mmlu=0.5)
    # newer, but only the golden suite (`pytest model_tests --suite tiny` without lm-eval)
    record(store, "base-tiny-only", base, step=None, minute=2, tiny=1.0)
    record(store, "tuned", run / "checkpoint-10", step=10, minute=3, tiny=1.0, mmlu=0.3)
    out = sweep(project, run, base, capsys)
    assert "step 0 (base model): already in the history as run base-full" in out
    table = (project / "reports" / "checkpoints-r" / "trend.md").read_text(encoding="utf-8")
    assert "| general/mmlu_x | acc | 0.5 | 0.3 |" in table
    assert "BELOW BASE: general/mmlu_x::acc at step 10: 0.3 against the base model's 0.5" in out


def test_weights_recorded_only_by_a_narrower_run_are_scored_again(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The base's only recorded run lacks the benchmark, so the sweep starts pytest for it (the
    weights here are not a loadable model, so that run fails, and the sweep says so)."""
    base = weights(project / "base", b"base weights")
    run = project / "runs" / "r"
    weights(run / "checkpoint-10", b"tuned weights")
    store = HistoryStore(project / "reports" / "history.sqlite")
    record(store, "base-tiny-only", base, step=None, minute=1, tiny=1.0)
    code = main(["--root", str(project), "checkpoints", str(run), "--base", str(base)])
    captured = capsys.readouterr()
    assert code == 2
    assert (
        "step 0 (base model): run base-tiny-only in the history has these weights but not "
        "general/mmlu_x; scoring as run r-step0-"
    ) in captured.out
    assert "step 0 (" in captured.err and "was not scored" in captured.err
    assert store.runs_with_fingerprint(_fp(base)) == ["base-tiny-only"]


def _fp(folder: Path) -> str:
    return weights_fingerprint(folder, cache_dir=folder.parent / "cache")


def test_a_reused_run_of_more_suites_reports_only_the_chosen_ones(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = weights(project / "base", b"base weights")
    run = project / "runs" / "r"
    weights(run / "checkpoint-10", b"tuned weights")
    store = HistoryStore(project / "reports" / "history.sqlite")
    record(store, "base-all", base, step=0, minute=1, tiny=1.0, mmlu=0.5)
    store.record(  # a suite the sweep does not score, at chance in another run of the base
        RunRecord(
            run_id="base-other",
            time="2026-01-01T00:02:00+0000",
            model=str(base),
            model_path=None,
            fingerprint=_fp(base),
            step=None,
            metrics=(
                MetricPoint("tiny", "accuracy", 1.0, items={"a": 1.0}),
                MetricPoint("general/mmlu_x", "acc", 0.5),
                MetricPoint("other", "accuracy", 0.4, chance=0.5),
            ),
        )
    )
    record(store, "tuned", run / "checkpoint-10", step=10, minute=3, tiny=1.0, mmlu=0.5)
    code = main(
        ["--root", str(project), "checkpoints", str(run), "--base", str(base), "--suite", "tiny"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "step 0 (base model): already in the history as run base-other" in out
    assert "other" not in (project / "reports" / "checkpoints-r" / "trend.md").read_text("utf-8")
    assert "CHANCE" not in out and "no rule fired" in out


def test_steps_without_any_metric_are_one_clear_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A suite with no metrics and no benchmark leaves nothing to trend by step: the sweep says
    so and how to fix it (it used to end in a ValueError from the plot)."""
    monkeypatch.setenv("RELEASEGATE_CACHE_DIR", str(tmp_path / "cache"))
    project = write_project(
        tmp_path / "project",
        config="[tool.releasegate]\n",
        manifest="name: tiny\ncases: tiny.jsonl\ncheck: contains\n",
        cases=CASES,
    )
    base = weights(project / "base", b"base weights")
    run = project / "runs" / "r"
    weights(run / "checkpoint-100", b"tuned weights")
    store = HistoryStore(project / "reports" / "history.sqlite")
    record(store, "plain-base", base, step=None, minute=1, tiny=1.0, metric=False)
    record(store, "tuned", run / "checkpoint-100", step=100, minute=2, tiny=1.0, metric=False)
    code = main(["--root", str(project), "checkpoints", str(run), "--base", str(base)])
    err = capsys.readouterr().err
    assert code == 2
    assert "no suite metric or benchmark was recorded at any step" in err
    assert "metrics:" in err and "Traceback" not in err
