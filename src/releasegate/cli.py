"""``releasegate``: a small command line beside the pytest plugin.

- ``releasegate validate``: read the configuration and every suite (manifests, case files,
  checks, metrics, baselines) and report problems without loading a model.
- ``releasegate suites``: list the suites with their case counts, checks and metric bars.
- ``releasegate prepare-model``: convert the default model once (what the first run would do).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .baselines import BaselineStore
from .config import Settings, load_settings, read_table
from .exceptions import ReleasegateError
from .suites import discover_suites

__all__ = ["main"]


def _settings(root: Path) -> Settings:
    return load_settings(read_table(root / "pyproject.toml"), {}, root=root)


def _validate(root: Path) -> int:
    settings = _settings(root)
    suites = discover_suites(settings.golden_dir, schemas_dir=settings.schemas_dir)
    store = BaselineStore(settings.baselines_dir)
    for suite in suites:
        baseline = store.load(suite.name)
        state = "no baseline" if baseline is None else f"baseline: {len(baseline.cases)} cases"
        print(f"ok  {suite.name}: {len(suite.cases)} cases, {len(suite.metrics)} metrics, {state}")
    print(f"{len(suites)} suites valid")
    return 0


def _suites(root: Path) -> int:
    settings = _settings(root)
    for suite in discover_suites(settings.golden_dir, schemas_dir=settings.schemas_dir):
        print(
            f"{suite.name}  ({suite.cases_path.name}, {len(suite.cases)} cases, "
            f"check {suite.check.name}, language {suite.language})"
        )
        for spec in suite.metrics:
            drop = f", max_drop {spec.max_drop:g}" if spec.max_drop is not None else ""
            print(f"    {spec.name}: {spec.bar}{drop}")
    return 0


def _prepare_model(root: Path) -> int:
    from .default_model import ensure_default_model

    folder = ensure_default_model(_settings(root).cache_dir)
    print(folder)
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
    args = parser.parse_args(argv)
    commands = {"validate": _validate, "suites": _suites, "prepare-model": _prepare_model}
    try:
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
