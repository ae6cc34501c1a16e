"""The command-line side: ``releasegate history`` and ``releasegate checkpoints``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import Settings
from .checkpoints import score_checkpoints
from .store import HistoryStore
from .trends import trend_rows

__all__ = ["add_parsers", "run_checkpoints", "run_history"]


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The two subcommands' options (argparse's subparser action has no public type)."""
    history = sub.add_parser("history", help="metric values per run and step, from the history")
    history.add_argument("--suite", action="append", default=[], help="only this suite")
    history.add_argument("--metric", action="append", default=[], help="only this metric")
    history.add_argument("--last", type=int, default=10, help="newest runs shown (default 10)")
    checkpoints = sub.add_parser(
        "checkpoints",
        help="score every checkpoint of a training run (base model = step 0), plot the trend, "
        "check the rules (exit 1 when one fires); other options go to pytest (e.g. -n auto)",
    )
    checkpoints.add_argument("run_dir", type=Path, help="the Trainer's output folder")
    checkpoints.add_argument("--suite", action="append", default=[], help="only this suite")
    checkpoints.add_argument("--every", type=int, default=None, help="steps that are multiples")
    checkpoints.add_argument(
        "--base", default=None, help="base model (step 0; adapters load on it); default: model"
    )
    checkpoints.add_argument("--tests", default="model_tests", help="the test folder to run")


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def run_history(args: argparse.Namespace, settings: Settings) -> int:
    store = HistoryStore(settings.effective_history_path)
    points = store.series(suites=args.suite, metrics=args.metric)
    if not points:
        print(f"no recorded values in {store.path} for that selection")
        return 0
    for line in _table(trend_rows(points, last=args.last)):
        print(line)
    return 0


def run_checkpoints(
    args: argparse.Namespace, settings: Settings, root: Path, rest: list[str]
) -> int:
    result = score_checkpoints(
        args.run_dir.resolve(),
        settings=settings,
        root=root,
        base=args.base,
        every=args.every,
        suites=args.suite,
        tests=args.tests,
        pytest_args=rest,
    )
    store = HistoryStore(settings.effective_history_path)
    print()
    for line in _table(result.rows):
        print(line)
    for run_id in result.run_ids[1:]:
        fixed = [f"{c.suite}/{c.case_id}" for c in store.cases(run_id) if c.outcome == "xpassed"]
        if fixed:
            print(f"{run_id}: {len(fixed)} XPASS (fixed since the baseline): {', '.join(fixed)}")
    print()
    for finding in result.findings:
        for line in finding.lines():
            print(line)
    print(f"trend table: {result.table}")
    print(f"trend plot: {result.plot}")
    failing = [f for f in result.findings if f.blocking]
    notes = len(result.findings) - len(failing)
    noted = f" ({notes} about the base model, which do not fail it)" if notes else ""
    if failing:
        print(f"{len(failing)} rule(s) fired{noted}")
        return 1
    print(f"no rule fired{noted}")
    return 0
