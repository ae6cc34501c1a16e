"""``releasegate``: a small command line beside the pytest plugin.

- ``releasegate validate``: read the configuration and every suite (manifests, case files,
  checks, metrics, baselines) and report problems without loading a model.
- ``releasegate suites``: list the suites with their case counts, checks and metric bars.
- ``releasegate prepare-model``: convert the default model once (what the first run would do).
- ``releasegate baseline --model PATH``: record the baselines (golden suites and general
  benchmarks) from a reference model: ``pytest model_tests --update-baseline --model PATH``.
- ``releasegate benchmarks``: the configured general benchmarks, the task folders lm-eval is
  given, and the plain ``lm_eval`` commands that run the same tasks with the same settings.
- ``releasegate damage``: write a copy of a model with noise in some layers, to prove a gate
  catches a real regression.
- ``releasegate review export|import|disagreements``: human review through a spreadsheet
  (docs/review.md).
- ``releasegate isolation [--train-data PATH]``: look for every golden case in the training data
  (exact and near-duplicate) without running a model; exit status 1 when a case leaked.
- ``releasegate init [DIR] [--format jsonl|csv|xlsx]``: start a project in one's own repository:
  ``[tool.releasegate]``, ``model_tests/``, an example suite, ``reports/.gitignore``.
- ``releasegate report [RUN]``: rewrite a run's ``report.html`` (default: the latest run) from
  its ``results.json``, running nothing.
- ``releasegate history`` and ``releasegate checkpoints RUN_DIR``: the run history, and every
  checkpoint of a training run scored with the trend rules (:mod:`releasegate.history`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import Settings, load_settings, read_table
from .core.display import first_items
from .core.progress import progress_mode
from .exceptions import ReleasegateError
from .gate.baselines import BaselineDrift, BaselineStore
from .golden.suites import project_suites

__all__ = ["main"]


def _settings(root: Path) -> Settings:
    return load_settings(read_table(root / "pyproject.toml"), {}, root=root)


def _validate(root: Path) -> int:
    settings = _settings(root)
    suites = project_suites(settings, root=root)
    store = BaselineStore(settings.baselines_dir)
    drifted = 0
    for suite in suites:
        baseline = store.load(suite.name)
        state = "no baseline" if baseline is None else f"baseline: {len(baseline.cases)} cases"
        print(f"ok  {suite.name}: {len(suite.cases)} cases, {len(suite.metrics)} metrics, {state}")
        if baseline is not None:
            drift = baseline.drift(case.id for case in suite.cases)
            drifted += bool(drift)
            _print_drift(suite.name, store.path_for(suite.name), drift)
    if drifted:
        print(f"{len(suites)} suites valid; {drifted} baseline(s) out of date with their suite")
    else:
        print(f"{len(suites)} suites valid")
    return 0


def _print_drift(suite: str, path: Path, drift: BaselineDrift, *, shown: int = 5) -> None:
    """Cases added since the baseline are compared with nothing; stale entries are dead weight.
    Neither makes the files invalid, so this informs (exit 0) and says how to bring it up to
    date."""
    if not drift:
        return

    if drift.added:
        print(
            f"    {len(drift.added)} case(s) missing from the baseline (added since): "
            + first_items(drift.added, shown)
        )
    if drift.stale:
        print(
            f"    {len(drift.stale)} case(s) stale in the baseline (no longer in the suite): "
            + first_items(drift.stale, shown)
        )
    print(
        f"    update {path} with: pytest model_tests --suite {suite} --update-baseline "
        "--model <reference model>"
    )


def _suites(root: Path) -> int:
    settings = _settings(root)
    for suite in project_suites(settings, root=root):
        print(
            f"{suite.name}  ({suite.cases_path.name}, {len(suite.cases)} cases, "
            f"check {suite.check.name}, language {suite.language})"
        )
        for spec in suite.metrics:
            drop = f", max_drop {spec.max_drop:g}" if spec.max_drop is not None else ""
            print(f"    {spec.name}: {spec.bar}{drop}")
    return 0


def _prepare_model(root: Path) -> int:
    from .models.default_model import ensure_default_model

    folder = ensure_default_model(_settings(root).cache_dir)
    print(folder)
    return 0


def _benchmarks(root: Path) -> int:
    from .benchmarks.general import lm_eval_command, load_general
    from .benchmarks.running import BenchmarkRunner
    from .models.default_model import ensure_default_model, is_default_model

    settings = _settings(root)
    general = load_general(settings.general, root=root)
    if general is None:
        print("no general benchmarks configured ([tool.releasegate.general])")
        return 0
    print(f"from {general.source}:")
    for task in general.tasks:
        print(
            f"  general/{task.name}: metrics {', '.join(task.metrics)}, num_fewshot "
            f"{task.num_fewshot}, limit {task.limit}, max_drop {task.max_drop}"
        )
    runner = BenchmarkRunner(general, cache_dir=settings.cache_dir, batch_size=settings.batch_size)
    print("task folders given to lm-eval:")
    for path in runner.include_paths:
        print(f"  {path}")
    model = settings.model
    if is_default_model(model):
        model = str(ensure_default_model(settings.cache_dir))
    print("the same runs with plain lm_eval (one --include_path per command in lm-eval 0.4):")
    args = f"pretrained={model},dtype={settings.dtype}"
    for command in lm_eval_command(general, runner.include_paths, args, runner.batch_size):
        print(f"  {command}")
    return 0


def _baseline(root: Path, rest: Sequence[str]) -> int:
    import pytest

    return int(pytest.main(["model_tests", "--update-baseline", "-p", "no:cacheprovider", *rest]))


def _damage(args: argparse.Namespace) -> int:
    from .models.damage import damage_model

    layers = None
    if args.layers:
        first, _, last = args.layers.partition("-")
        layers = list(range(int(first), int(last or first) + 1))
    changed = damage_model(args.model, args.out, std=args.std, layers=layers, seed=args.seed)
    print(f"{args.out}: {changed} weight tensors with noise std {args.std:g} (seed {args.seed})")
    return 0


def _isolation(args: argparse.Namespace) -> int:
    from .isolation import check_isolation

    root = args.root.resolve()
    overrides = {"train_data": args.train_data, "isolation_threshold": args.threshold}
    settings = load_settings(read_table(root / "pyproject.toml"), overrides, root=root)
    if not settings.train_data:
        print("no training data named: set train_data in [tool.releasegate] or give --train-data")
        return 2
    suites = project_suites(settings, only=settings.suites, root=root)
    report = check_isolation(
        suites,
        settings.train_data,
        fields=settings.train_fields,
        threshold=settings.isolation_threshold,
        cache_dir=settings.cache_dir,
        root=root,
    )
    for suite in suites:
        print(report.message(suite.name, shown=50))
    source = "from the cache" if report.cached else f"in {report.seconds:.1f} s"
    leaked = sum(len(report.leaked_cases(suite.name)) for suite in suites)
    textless = (
        f" ({report.rows_without_text} of them without text, not looked in)"
        if report.rows_without_text
        else ""
    )
    print(
        f"{leaked} leaked case(s); {report.rows} training rows{textless}, "
        f"{report.train_texts} texts, checked {source}"
    )
    return 1 if leaked else 0


def _init(args: argparse.Namespace) -> int:
    from .scaffold import init_project, next_steps

    folder = args.dir if args.dir is not None else args.root
    result = init_project(folder, args.format)
    print(next_steps(result, cwd=Path.cwd()))
    return 0


def _report(args: argparse.Namespace) -> int:
    from .reports.html import resolve_run, write_page

    root = args.root.resolve()
    reports_dir = _settings(root).reports_dir
    page = write_page(resolve_run(reports_dir, args.run), reports_dir=reports_dir)
    print(page)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="releasegate", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="project root (pyproject.toml)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("validate", help="check configuration, suites and baselines")
    sub.add_parser("suites", help="list suites, checks and metric bars")
    sub.add_parser("prepare-model", help="convert the default model into the cache")
    sub.add_parser("benchmarks", help="list general benchmarks and the plain lm_eval commands")
    sub.add_parser(
        "baseline",
        help="record baselines from a reference model; other options go to pytest "
        "(e.g. --model checkpoints/base -n auto)",
    )
    damage = sub.add_parser("damage", help="write a copy of a model with noisy layers")
    damage.add_argument("--model", type=Path, required=True, help="model folder to copy")
    damage.add_argument("--out", type=Path, required=True, help="folder to write")
    damage.add_argument("--std", type=float, default=0.1, help="noise, relative to each tensor")
    damage.add_argument("--layers", default="", help="decoder layers, e.g. 0-7 (default all)")
    damage.add_argument("--seed", type=int, default=0)
    isolation = sub.add_parser(
        "isolation", help="look for the golden cases in the training data (no model needed)"
    )
    isolation.add_argument(
        "--train-data",
        action="append",
        default=None,
        help="training file or datasets folder (repeatable; default: train_data in pyproject)",
    )
    isolation.add_argument(
        "--threshold", type=float, default=None, help="3-gram Jaccard bar (isolation_threshold)"
    )
    init = sub.add_parser(
        "init", help="write what a new project needs: config, model_tests/, an example suite"
    )
    init.add_argument(
        "dir", nargs="?", type=Path, default=None, help="project folder (default: --root)"
    )
    init.add_argument(
        "--format",
        choices=("jsonl", "csv", "xlsx"),
        default="jsonl",
        help="case file format of the example suite (default: jsonl)",
    )
    report = sub.add_parser(
        "report", help="rewrite a run's report.html from its results.json (runs nothing)"
    )
    report.add_argument(
        "run",
        nargs="?",
        default=None,
        help="run id under the reports folder, or a run folder (default: the latest run)",
    )
    from .review.commands import add_review_parser, run_review

    add_review_parser(sub)
    from .history.commands import add_parsers, run_checkpoints, run_history

    add_parsers(sub)
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in ("baseline", "checkpoints"):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    commands = {"validate": _validate, "suites": _suites, "prepare-model": _prepare_model}
    try:
        progress_mode()  # a wrong RELEASEGATE_PROGRESS stops the command before anything runs
        if args.command == "baseline":
            return _baseline(args.root.resolve(), rest)
        if args.command == "damage":
            return _damage(args)
        if args.command == "init":
            return _init(args)
        if args.command == "isolation":
            return _isolation(args)
        if args.command == "history":
            return run_history(args, _settings(args.root.resolve()))
        if args.command == "checkpoints":
            root = args.root.resolve()
            return run_checkpoints(args, _settings(root), root, rest)
        if args.command == "report":
            return _report(args)
        if args.command == "review":
            return run_review(args, _settings(args.root.resolve()), args.root.resolve())
        if args.command == "benchmarks":
            return _benchmarks(args.root.resolve())
        return commands[args.command](args.root.resolve())
    except ReleasegateError as exc:
        print(f"releasegate: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `releasegate suites | head`: the reader left; say nothing more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
