"""``releasegate``: a small command line beside the pytest plugin.

``releasegate --help`` lists the commands in the order a user meets them, one line each, with an
example of each below the list (:data:`_COMMANDS`); a command's own ``--help`` has its options.
Help texts are plain text: no reStructuredText markup reaches a terminal.

- ``init [DIR] [--format jsonl|csv|xlsx] [--with safety]``: start a project in one's own
  repository: ``[tool.releasegate]``, ``model_tests/``, an example suite, ``reports/.gitignore``
  (and the safety suites' template).
- ``validate``: read the configuration and every suite (manifests, case files, checks,
  metrics, baselines) and report problems without loading a model.
- ``baseline --model PATH``: record the baselines (golden suites and general benchmarks) from a
  reference model: ``pytest <root>/model_tests --update-baseline --model PATH``.
- ``review export|import|disagreements``: human review through a spreadsheet (docs/review.md).
- ``judge calibrate``: a judge model's agreement with the reviewers (docs/judge.md).
- ``fuzz --suite S --case ID``: the smallest change of a case's question that makes its passing
  answer fail (:mod:`releasegate.robustness.commands`); ``--append`` adds it as a case.
- ``checkpoints RUN_DIR`` and ``history``: every checkpoint of a training run scored with the
  trend rules, and the run history (:mod:`releasegate.history`).
- ``isolation [--train-data PATH]``: look for every golden case in the training data (exact and
  near-duplicate) without running a model; exit status 1 when a case leaked.
- ``report [RUN]``: rewrite a run's ``report.html`` (default: the latest run) from its
  ``results.json``, running nothing.
- ``suites``, ``benchmarks``, ``prepare-model``, ``damage``: the suites with their checks and
  bars; the general benchmarks and the plain ``lm_eval`` commands that run the same tasks; the
  default model converted once; a copy of a model with noise in some layers, to prove a gate
  catches a real regression.

Every command reads the project found by :func:`releasegate.config.load_project`: ``--root``'s
``pyproject.toml``, else the nearest one holding ``[tool.releasegate]`` above the current folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import Project, Settings, load_project
from .core.display import first_items
from .core.progress import progress_mode
from .exceptions import ReleasegateError
from .gate.baselines import BaselineDrift, BaselineStore
from .golden.suites import Suite, project_suites
from .history.commands import add_parsers, run_checkpoints, run_history
from .judge.commands import ReviewHooks, add_judge_parser, run_judge
from .review.commands import add_review_parser, run_review
from .robustness.commands import add_fuzz_parser, run_fuzz

__all__ = ["main"]


def _project(args: argparse.Namespace, overrides: dict[str, object] | None = None) -> Project:
    """The project: ``--root``'s pyproject.toml if given, else the nearest one holding
    ``[tool.releasegate]`` above the current folder (:func:`releasegate.config.load_project`)."""
    return load_project(root=args.root, overrides=overrides)


def _validate(settings: Settings, root: Path) -> int:
    suites = project_suites(settings, root=root)
    store = BaselineStore(settings.baselines_dir)
    drifted = 0
    for suite in suites:
        baseline = store.load(suite.name)
        state = "no baseline" if baseline is None else f"baseline: {len(baseline.cases)} cases"
        print(
            f"ok  {suite.name}: {len(suite.cases)} cases{_variants(suite)}, "
            f"{len(suite.metrics)} metrics, {state}"
        )
        if baseline is not None:
            drift = baseline.drift(case.id for case in suite.test_cases)
            changed = baseline.changed_variants(suite.variants)
            drifted += bool(drift or changed)
            _print_drift(suite.name, store.path_for(suite.name), drift, changed)
    if drifted:
        print(f"{len(suites)} suites valid; {drifted} baseline(s) out of date with their suite")
    else:
        print(f"{len(suites)} suites valid")
    return 0


def _print_drift(
    suite: str, path: Path, drift: BaselineDrift, changed: Sequence[str] = (), *, shown: int = 5
) -> None:
    """Cases added since the baseline are compared with nothing; stale entries are dead weight;
    so are the entries of robustness variants that ask another question now (another seed or
    perturbation table). None makes the files invalid, so this informs (exit 0) and says how to
    bring it up to date."""
    if not drift and not changed:
        return
    if changed:
        print(
            f"    {len(changed)} variant(s) ask another question than the baseline's (seed or "
            "perturbations changed), compared with nothing: " + first_items(changed, shown)
        )

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


def _variants(suite: Suite) -> str:
    """`` + 24 variants (3 not made)`` for a suite with ``robustness:``, else ""."""
    if suite.robustness is None:
        return ""
    unmade = f" ({len(suite.unchanged)} not made)" if suite.unchanged else ""
    return f" + {len(suite.variants)} variants{unmade}"


def _suites(settings: Settings, root: Path) -> int:
    for suite in project_suites(settings, root=root):
        print(
            f"{suite.name}  ({suite.cases_path.name}, {len(suite.cases)} cases{_variants(suite)}, "
            f"check {suite.check.name}, language {suite.language})"
        )
        for spec in suite.metrics:
            drop = f", max_drop {spec.max_drop:g}" if spec.max_drop is not None else ""
            print(f"    {spec.name}: {spec.bar}{drop}")
    return 0


def _prepare_model(settings: Settings, root: Path) -> int:
    from .models.default_model import ensure_default_model

    folder = ensure_default_model(settings.cache_dir)
    print(folder)
    return 0


def _benchmarks(settings: Settings, root: Path) -> int:
    from .benchmarks.general import lm_eval_command, load_general
    from .benchmarks.running import BenchmarkRunner
    from .models.default_model import ensure_default_model, is_default_model

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
    """``pytest <root>/model_tests --update-baseline`` in this process: the project's tests
    wherever the command is run from (its other options stay relative to the current folder)."""
    import pytest

    tests = str(root / "model_tests")
    return int(pytest.main([tests, "--update-baseline", "-p", "no:cacheprovider", *rest]))


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

    overrides = {"train_data": args.train_data, "isolation_threshold": args.threshold}
    project = _project(args, overrides)
    settings, root = project.settings, project.root
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

    folder = args.dir if args.dir is not None else args.root or Path.cwd()
    result = init_project(folder, args.format, tuple(args.extras or ()))
    print(next_steps(result, cwd=Path.cwd()))
    return 0


def _fuzz(args: argparse.Namespace, settings: Settings, root: Path) -> int:
    """``releasegate fuzz``: its answers from the engine's prediction service and cache (a
    fresh run id, so an earlier run's answer counts as cached and costs no model call)."""
    from .engine.session import ReleaseSession, default_run_id
    from .golden.cases import GoldenCase
    from .robustness.fuzz import Answer, Answerer

    session = ReleaseSession(settings=settings, run_id=f"fuzz-{default_run_id()}", root=root)

    def answerer_for(suite: Suite) -> Answerer:
        def answer(cases: Sequence[GoldenCase]) -> dict[str, Answer]:
            got = session.predictions.answers(suite, cases, claim_key=f"fuzz-{suite.name}")
            for case in cases:
                failure = session.predictions.failure(case.key)
                if case.key not in got and failure is not None:
                    raise failure
            return {
                key: Answer(p.answer, cached=p.cached, output_tokens=p.output_tokens)
                for key, p in got.items()
            }

        return answer

    try:
        return run_fuzz(args, settings, root, answerer_for)
    finally:
        session.close()


def _report(args: argparse.Namespace) -> int:
    from .reports.html import resolve_run, write_page

    reports_dir = _project(args).settings.reports_dir
    page = write_page(resolve_run(reports_dir, args.run), reports_dir=reports_dir)
    print(page)
    return 0


_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("init", "start a project: config, model_tests/, an example suite", "init --format csv"),
    ("validate", "check settings, suites and baselines (no model)", "validate"),
    ("baseline", "record baselines from a reference model", "baseline --model ckpt/base -n auto"),
    ("review", "human review: export answers, import scores", "review export --suite shop_faq"),
    ("judge", "calibrate a judge model against the reviewers", "judge calibrate --suite shop_faq"),
    ("fuzz", "the smallest change that breaks a case", "fuzz --suite cs_zh --case zh-invoice"),
    ("checkpoints", "score every checkpoint of a training run", "checkpoints runs/ft --every 100"),
    ("history", "metric values per run and step", "history --suite shop_faq --last 5"),
    ("isolation", "look for golden cases in the training data", "isolation --train-data t.jsonl"),
    ("report", "rewrite a run's report.html (runs nothing)", "report"),
    ("suites", "list suites, checks and metric bars", "suites"),
    ("benchmarks", "general benchmarks and their lm_eval commands", "benchmarks"),
    ("prepare-model", "convert the default model into the cache", "prepare-model"),
    ("damage", "copy a model with noise in some layers", "damage --model m --out d --layers 0-7"),
)
"""Every command in the order a user meets them (start a project, check it, record a baseline,
review answers, look for the smallest change that breaks a case, follow training, look for
leaks, read a report), then the tools beside them: its line in ``releasegate --help`` and an
example, shown below the list. A command's own ``--help`` keeps its longer description."""

DESCRIPTION = "releasegate: golden suites of a language model as a release gate, beside pytest."


def _epilog() -> str:
    lines = [f"  releasegate {example}" for _, _, example in _COMMANDS]
    return "examples:\n" + "\n".join(lines) + "\n\nrun 'releasegate COMMAND --help' for its options"


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """The epilog as written; every command's name and its line side by side. (argparse
    measures the commands' names without their indent, so the longest one, prepare-model,
    would have its line pushed below it.)"""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if isinstance(action, argparse._SubParsersAction):
            longest = max(len(name) for name in action.choices)
            indent = self._current_indent + self._indent_increment
            self._action_max_length = max(self._action_max_length, longest + indent)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line (every command and its options), without running anything."""
    parser = argparse.ArgumentParser(
        prog="releasegate",
        description=DESCRIPTION,
        epilog=_epilog(),
        formatter_class=_Formatter,
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="project root, the folder of its pyproject.toml (default: the nearest folder "
        "upward from here whose pyproject.toml holds [tool.releasegate])",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
    init.add_argument(
        "--with",
        dest="extras",
        action="append",
        choices=("safety",),
        help="also write a template: safety (refusal, personal-data and injection suites)",
    )
    sub.add_parser("validate", help="check configuration, suites and baselines")
    sub.add_parser(
        "baseline",
        help="record baselines from a reference model; other options go to pytest "
        "(e.g. --model checkpoints/base -n auto)",
    )
    add_review_parser(sub)
    add_judge_parser(sub)
    add_fuzz_parser(sub)
    add_parsers(sub)  # history, checkpoints
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
    report = sub.add_parser(
        "report", help="rewrite a run's report.html from its results.json (runs nothing)"
    )
    report.add_argument(
        "run",
        nargs="?",
        default=None,
        help="run id under the reports folder, or a run folder (default: the latest run)",
    )
    sub.add_parser("suites", help="list suites, checks and metric bars")
    sub.add_parser("benchmarks", help="list general benchmarks and the plain lm_eval commands")
    sub.add_parser("prepare-model", help="convert the default model into the cache")
    damage = sub.add_parser("damage", help="write a copy of a model with noisy layers")
    damage.add_argument("--model", type=Path, required=True, help="model folder to copy")
    damage.add_argument("--out", type=Path, required=True, help="folder to write")
    damage.add_argument("--std", type=float, default=0.1, help="noise, relative to each tensor")
    damage.add_argument("--layers", default="", help="decoder layers, e.g. 0-7 (default all)")
    damage.add_argument("--seed", type=int, default=0)
    # --help lists the commands as _COMMANDS does, one line each: argparse keeps the list in
    # the order of add_parser (history's module adds history before checkpoints) with each
    # parser's help, and has no public way to reorder or reword it. The longer help stays as
    # the command's own description.
    lines = {name: line for name, line, _ in _COMMANDS}
    order = list(lines)
    for action in sub._choices_actions:
        command = sub.choices[action.dest]
        command.description = command.description or action.help
        action.help = lines[action.dest]
    sub._choices_actions.sort(key=lambda action: order.index(action.dest))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in ("baseline", "checkpoints"):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    commands = {
        "validate": _validate,
        "suites": _suites,
        "prepare-model": _prepare_model,
        "benchmarks": _benchmarks,
    }
    try:
        progress_mode()  # a wrong RELEASEGATE_PROGRESS stops the command before anything runs
        if args.command == "damage":
            return _damage(args)
        if args.command == "init":
            return _init(args)
        if args.command == "isolation":
            return _isolation(args)
        if args.command == "report":
            return _report(args)
        project = _project(args)
        settings, root = project.settings, project.root
        if args.command == "baseline":
            return _baseline(root, rest)
        if args.command == "history":
            return run_history(args, settings)
        if args.command == "checkpoints":
            return run_checkpoints(args, settings, root, rest)
        if args.command == "review":
            hooks = ReviewHooks(settings, root)
            try:
                return run_review(args, settings, root, judge=hooks)
            finally:
                hooks.close()
        if args.command == "judge":
            return run_judge(args, settings, root)
        if args.command == "fuzz":
            return _fuzz(args, settings, root)
        return commands[args.command](settings, root)
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
