"""``releasegate checkpoints RUN_DIR``: every checkpoint of a training run scored in step order,
the base model as step 0, then the trend table, the plot and the rules.

Each checkpoint is scored by ``pytest model_tests --model CHECKPOINT --step N`` in a process of
its own: the normal run, unchanged (batched generation, the prediction cache, the baselines'
FAILED/XFAIL/XPASS, lm-eval on the loaded model, reports, and the controller's write to the
history), and the process ends with its model, so memory does not grow with the checkpoints. A
checkpoint whose weights are already in the history (same fingerprint) is not scored again, so
an interrupted sweep resumes where it stopped; but only a recorded run that scored every suite
and benchmark this sweep scores stands for a step: a plain run of one suite has no MMLU figures,
and the base model's column would be missing what the below-base rule compares with. Each step
keeps its own column, even where several steps share one run (the same weights saved twice).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..benchmarks.general import load_general
from ..config import Settings
from ..core.atomic import write_text_atomic
from ..core.progress import progress
from ..exceptions import HistoryError, ReleasegateError
from ..golden.suites import Suite, project_suites
from ..models.adapters import (
    ADAPTER_BASE_ENV,
    adapter_base,
    folder_fingerprint,
    is_adapter_folder,
)
from ..models.backend import ModelSpec
from ..models.sources import hf_source
from .plot import plot_trends
from .steps import step_from_name
from .store import HistoryStore, SeriesPoint
from .trends import Finding, check_curve, trend_rows

__all__ = [
    "Checkpoint",
    "SweepResult",
    "find_checkpoints",
    "score_checkpoints",
    "selected",
]

_WEIGHTS = ("*.safetensors", "pytorch_model*.bin", "*.safetensors.index.json", "adapter_model.*")


@dataclass(frozen=True)
class Checkpoint:
    """One model to score: a checkpoint folder, or the base model (step 0)."""

    model: str
    step: int
    adapter_base: Path | None = None
    """The base model an adapter is loaded on (None: a whole model)."""


@dataclass(frozen=True)
class SweepResult:
    run_ids: tuple[str, ...]
    """The run scoring each checkpoint, base first."""
    findings: tuple[Finding, ...]
    rows: list[list[str]]
    """The trend table (:func:`~releasegate.history.trends.trend_rows`), as trend.md has it."""
    table: Path
    plot: Path | None


def find_checkpoints(
    run_dir: Path, *, every: int | None = None, base: str | None = None, cache_dir: Path
) -> list[Checkpoint]:
    """The checkpoints of *run_dir* (``checkpoint-N``, ``step-N``, ``global_stepN`` folders) in
    step order, each checked before anything runs: weights present, a readable
    ``trainer_state.json``, an adapter's base found."""
    if not run_dir.is_dir():
        raise HistoryError(f"training run folder {run_dir} does not exist")
    found = []
    for folder in sorted(p for p in run_dir.iterdir() if p.is_dir()):
        step = step_from_name(folder.name)
        if step is None or (every and step % every):
            continue
        if not any(next(folder.glob(pattern), None) for pattern in _WEIGHTS):
            raise HistoryError(
                f"checkpoint folder {folder} holds no weights (no model.safetensors, "
                "pytorch_model.bin or adapter_model.safetensors): a save that did not finish? "
                "Remove the folder, or score the others with --every"
            )
        state = folder / "trainer_state.json"
        if state.is_file():
            try:
                json.loads(state.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise HistoryError(
                    f"{state}: corrupt training state ({exc}); the checkpoint may be half "
                    "written: remove the folder or repair the file"
                ) from exc
        base_path = None
        if is_adapter_folder(folder):
            try:
                base_path = adapter_base(folder, cache_dir=cache_dir, override=base)
            except ReleasegateError as exc:
                raise HistoryError(str(exc)) from exc
        found.append(Checkpoint(str(folder.resolve()), step, base_path))
    if not found:
        raise HistoryError(
            f"no checkpoints in {run_dir}: expected folders named checkpoint-N (the Hugging "
            "Face Trainer's), step-N or global_stepN"
            + (f" with N a multiple of {every}" if every else "")
        )
    return sorted(found, key=lambda c: c.step)


def _fingerprint(checkpoint: Checkpoint, cache_dir: Path) -> str:
    """The fingerprint the checkpoint's run records, worked out as the ``hf`` backend does."""
    folder = hf_source(ModelSpec(checkpoint.model, cache_dir=cache_dir))[2]
    base = None if checkpoint.adapter_base is None else str(checkpoint.adapter_base)
    return folder_fingerprint(folder, cache_dir=cache_dir, base=base)


def score_checkpoints(
    run_dir: Path,
    *,
    settings: Settings,
    root: Path,
    base: str | None,
    every: int | None = None,
    suites: Sequence[str] = (),
    tests: str = "model_tests",
    pytest_args: Sequence[str] = (),
    say: Callable[[str], None] | None = None,
) -> SweepResult:
    """Score the base model and every checkpoint; write the trend table and plot. *say*
    (default: print, flushed, so each line shows when it happens even on a pipe) tells what
    is done at each step."""
    say = say or _say
    cache_dir = settings.cache_dir
    checkpoints = find_checkpoints(run_dir, every=every, base=base, cache_dir=cache_dir)
    base_model = base or settings.model
    sweep = [Checkpoint(base_model, 0), *checkpoints]
    store = HistoryStore(settings.effective_history_path)
    scored = _scored_suites(settings, root, suites)
    run_ids: list[str] = []
    # Fingerprint -> the run this sweep scored it as: the same weights saved again reuse it.
    this_sweep: dict[str, str] = {}
    for checkpoint in sweep:
        fingerprint = _fingerprint(checkpoint, cache_dir)
        name = "base model" if checkpoint.step == 0 else Path(checkpoint.model).name
        recorded = store.runs_with_fingerprint(fingerprint)
        done = this_sweep.get(fingerprint) or _covering_run(store, recorded, scored)
        if done is not None:
            say(f"step {checkpoint.step} ({name}): already in the history as run {done}")
            run_ids.append(done)
            continue
        run_id = f"{run_dir.name}-step{checkpoint.step}-{time.strftime('%Y%m%d-%H%M%S')}"
        if recorded:
            missing = ", ".join(sorted(scored - store.suites_of(recorded[-1])))
            say(
                f"step {checkpoint.step} ({name}): run {recorded[-1]} in the history has these "
                f"weights but not {missing}; scoring as run {run_id}"
            )
        else:
            say(f"step {checkpoint.step} ({name}): scoring as run {run_id}")
        command = _pytest_command(tests, checkpoint, run_id, store.path, suites, pytest_args)
        _run_step(
            checkpoint,
            name,
            command,
            root=root,
            say=say,
            recorded=(store, fingerprint, run_id),
        )
        unscored = sorted(scored - store.suites_of(run_id))
        if unscored:
            missed = ", ".join(unscored)
            say(f"    not scored (skipped or errored: see the run's reports): {missed}")
        this_sweep[fingerprint] = run_id
        run_ids.append(run_id)
    steps = [c.step for c in sweep]
    findings = check_curve(
        store,
        run_ids,
        base_run=run_ids[0],
        steps=steps,
        alpha=settings.alpha,
        samples=settings.bootstrap_samples,
        suites=_project_suites(settings),
    )
    # A reused run may have scored more suites than this sweep's --suite ones: their rules
    # are not this sweep's to report, as their rows are not in its table.
    findings = [f for f in findings if _chosen(f.suite, suites)]
    return _write_sweep(run_dir, settings, store, run_ids, steps, findings, suites)


def _pytest_command(
    tests: str,
    checkpoint: Checkpoint,
    run_id: str,
    history: Path,
    suites: Sequence[str],
    pytest_args: Sequence[str],
) -> list[str]:
    """The pytest run that scores one step into the history as *run_id*."""
    return [
        sys.executable,
        "-m",
        "pytest",
        tests,
        "-p",
        "no:cacheprovider",
        "-q",
        "--no-header",
        "--model",
        checkpoint.model,
        "--step",
        str(checkpoint.step),
        "--run-id",
        run_id,
        "--history-path",
        str(history),
        *(f"--suite={s}" for s in suites),
        *pytest_args,
    ]


def _run_step(
    checkpoint: Checkpoint,
    name: str,
    command: Sequence[str],
    *,
    root: Path,
    say: Callable[[str], None],
    recorded: tuple[HistoryStore, str, str],
) -> None:
    """Run one step's pytest; a run that did not end in a verdict (exit 0 or 1) or did not
    record its run (*recorded*: the history, the weights' fingerprint, the run id it must hold)
    is a :class:`HistoryError` with pytest's report."""
    store, fingerprint, run_id = recorded
    env = dict(os.environ)
    if checkpoint.adapter_base is not None:
        env[ADAPTER_BASE_ENV] = str(checkpoint.adapter_base)
    # The run's stderr is the user's: its progress (generation, benchmark questions) shows
    # as it happens; its stdout, pytest's report, is kept for the summary line and errors.
    # The checkpoint's step draws no bar of its own over the one the run may draw.
    with progress(f"step {checkpoint.step} ({name})", total=1, bar=False) as step:
        done_run = subprocess.run(
            command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=None, text=True
        )
        tail = [line for line in done_run.stdout.splitlines() if line.strip()][-1:]
        say("    " + (tail[0] if tail else f"pytest exited with {done_run.returncode}"))
        if done_run.returncode not in (0, 1) or run_id not in store.runs_with_fingerprint(
            fingerprint
        ):
            raise HistoryError(
                f"step {checkpoint.step} ({checkpoint.model}) was not scored: pytest exited "
                f"with {done_run.returncode} (its messages on stderr are above):\n"
                + done_run.stdout[-3000:]
            )
        step.advance()


def _write_sweep(
    run_dir: Path,
    settings: Settings,
    store: HistoryStore,
    run_ids: Sequence[str],
    steps: Sequence[int],
    findings: Sequence[Finding],
    suites: Sequence[str],
) -> SweepResult:
    """The sweep's trend table and plot, from the history of its runs."""
    # One column per step, at the step this sweep gives it: a run found by fingerprint may
    # carry another step (scored with another layout, or none), and one run may stand for
    # several steps (the same weights saved twice).
    recorded_points: dict[str, list[SeriesPoint]] = {}
    for point in selected(store.series(run_ids=sorted(set(run_ids))), suites):
        recorded_points.setdefault(point.run_id, []).append(point)
    points = [
        replace(point, step=step)
        for run_id, step in zip(run_ids, steps, strict=True)
        for point in recorded_points.get(run_id, [])
    ]
    if not points:
        # Every step is scored and kept in the history; there is just no number to follow.
        raise HistoryError(
            f"checkpoints of {run_dir}: each step was scored (its runs are in the history), but "
            "no suite metric or benchmark was recorded at any step, so there is nothing to trend "
            "by step; give a suite 'metrics:' in its manifest (e.g. accuracy) or configure "
            "[tool.releasegate.general] benchmarks, and run the sweep again (the scored steps "
            "are reused)"
        )
    out = settings.reports_dir / f"checkpoints-{run_dir.name}"
    rows = trend_rows(points, by_step=True)
    lines = [f"# Checkpoints of {run_dir}", "", *_markdown(rows), ""]
    if findings:
        lines += ["## Rules that fired", ""]
        lines += ["    " + line for f in findings for line in f.lines()]
    else:
        lines.append("No rule fired.")
    table = out / "trend.md"
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(table, "\n".join(lines) + "\n")
    plot = plot_trends(points, out / "trend.png", title=f"{run_dir.name}: metrics by step")
    return SweepResult(tuple(run_ids), tuple(findings), rows, table, plot)


def _say(line: str) -> None:
    print(line, flush=True)


def _scored_suites(settings: Settings, root: Path, suites: Sequence[str]) -> frozenset[str]:
    """What this sweep scores at each step: the chosen golden suites (every one in the golden
    folder when none is chosen) and every configured benchmark (``general/<task>``)."""
    golden = set(suites) if suites else set(_project_suites(settings))
    try:
        general = load_general(settings.general, root=root)
    except ReleasegateError as exc:
        raise HistoryError(str(exc)) from exc
    benchmarks = {f"general/{task.name}" for task in general.tasks} if general else set()
    return frozenset(golden | benchmarks)


def _covering_run(
    store: HistoryStore, recorded: Sequence[str], scored: frozenset[str]
) -> str | None:
    """The newest of the *recorded* runs of these weights (oldest first) that scored everything
    in *scored*, or None: a run of fewer suites (a plain ``pytest model_tests --suite intents``)
    cannot stand for a step of the sweep."""
    covering = [r for r in recorded if scored <= store.suites_of(r)]
    return covering[-1] if covering else None


def _project_suites(settings: Settings) -> dict[str, Suite]:
    """The project's golden suites, whose checks re-score the stored answers for the fall
    rule's paired test (none where the project has no golden folder)."""
    if not settings.golden_dir.is_dir():
        return {}
    found = project_suites(settings)
    return {suite.name: suite for suite in found}


def selected(points: Sequence[SeriesPoint], suites: Sequence[str]) -> list[SeriesPoint]:
    """The points of *suites* (all when empty) and of the general benchmarks, which run
    whatever suites are chosen."""
    return [p for p in points if _chosen(p.suite, suites)]


def _chosen(suite: str, suites: Sequence[str]) -> bool:
    return not suites or suite in suites or suite.startswith("general/")


def _markdown(rows: list[list[str]]) -> list[str]:
    header, *body = rows
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in body),
    ]
