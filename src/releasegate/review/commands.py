"""``releasegate review export|import|disagreements``: the command-line side of human review.

Where a suite has a judge model, two commands show it: ``export --show-judge`` (the judge's
scores beside the answers, for adjudication; its reviews are marked and kept out of calibration)
and ``disagreements`` (the answers where the judge and a reviewer differ). review sits below the
judge, so the caller (cli.py) hands in :class:`JudgeHooks` that compute both.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from ..config import Settings
from ..exceptions import ReviewError
from ..gate.baselines import BaselineStore
from ..golden.suites import Suite, project_suites
from .agreement import agreement, disagreements
from .importing import read_workbooks
from .records import ReviewRecord
from .rubric import Rubric
from .runs import RunAnswer, RunAnswers, project_name, read_run, run_folder
from .sheet import JudgeColumn, export_workbook, select_answers
from .store import ReviewStore

__all__ = ["JudgeHooks", "add_review_parser", "run_review"]


class JudgeHooks(Protocol):
    """What the judge package adds to the review commands (releasegate.judge.commands)."""

    def columns(
        self, answers: Mapping[str, Sequence[RunAnswer]], suites: Mapping[str, Suite]
    ) -> Mapping[str, Mapping[str, JudgeColumn]]:
        """The judge's verdict on each of *answers* (those the sheet shows, per suite), for the
        suites that have a judge (judged, or read from the verdict cache)."""
        ...

    def disagreements(self, suite: Suite, records: Sequence[ReviewRecord]) -> list[str]:
        """Lines naming the reviewed answers where the judge and a reviewer differ by the
        adjudication gap or more; [] where the suite has no judge."""
        ...


def add_review_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``releasegate review ...`` and its three commands."""
    review = sub.add_parser("review", help="human review: export answers, import scores")
    commands = review.add_subparsers(dest="review_command", required=True)
    export = commands.add_parser(
        "export", help="write a run's answers awaiting review to one .xlsx (never runs the model)"
    )
    export.add_argument("--suite", action="append", default=[], help="only this suite (repeat)")
    export.add_argument("--run", default=None, help="run folder under reports/ (default: latest)")
    export.add_argument(
        "--all", action="store_true", help="also answers that already have a stored review"
    )
    export.add_argument("--out", type=Path, default=None, help="workbook to write")
    export.add_argument(
        "--show-judge",
        action="store_true",
        help="show the judge model's scores, for adjudication (the reviews given on this sheet "
        "are kept out of the judge's calibration)",
    )
    imported = commands.add_parser("import", help="read filled workbooks into fixtures/reviews/")
    imported.add_argument("files", nargs="+", type=Path, help="filled .xlsx workbooks")
    imported.add_argument(
        "--run",
        default=None,
        help="the run whose answers the scores must still match (default: latest)",
    )
    disagree = commands.add_parser(
        "disagreements", help="agreement between reviewers (kappa) and the rows to adjudicate"
    )
    disagree.add_argument("--suite", action="append", default=[], help="only this suite (repeat)")


def _suites(settings: Settings) -> dict[str, Suite]:
    found = project_suites(settings)
    return {suite.name: suite for suite in found}


def run_review(
    args: argparse.Namespace, settings: Settings, root: Path, *, judge: JudgeHooks | None = None
) -> int:
    if args.review_command == "export":
        return _export(args, settings, root, judge)
    if args.review_command == "import":
        return _import(args, settings, root)
    return _disagreements(args, settings, judge)


def _export(
    args: argparse.Namespace, settings: Settings, root: Path, judge: JudgeHooks | None
) -> int:
    suites = _suites(settings)
    for name in args.suite:
        if name not in suites:
            raise ReviewError(f"no suite '{name}' (suites: {', '.join(sorted(suites))})")
    run = read_run(settings.reports_dir, args.run)
    out = args.out or settings.reports_dir / run.run_id / f"review-{run.run_id}.xlsx"
    shown: Mapping[str, Mapping[str, JudgeColumn]] = {}
    store = ReviewStore(settings.reviews_dir)
    if getattr(args, "show_judge", False):
        chosen, _ = select_answers(run, suites, store, only=args.suite, everything=args.all)
        shown = judge.columns(chosen, suites) if judge is not None and chosen else {}
        if chosen and not shown:
            raise ReviewError(
                "--show-judge: no suite exported has a judge (a judge: section in its manifest "
                "or [tool.releasegate.judge]); export without --show-judge"
            )
    result = export_workbook(
        run,
        suites,
        store,
        BaselineStore(settings.baselines_dir),
        out,
        project=project_name(root),
        only=args.suite,
        everything=args.all,
        judge=shown,
    )
    for name in sorted({*result.rows, *result.already_reviewed}):
        kept = result.already_reviewed.get(name, 0)
        note = f" ({kept} already reviewed, left out; --all exports them)" if kept else ""
        print(f"{name}: {result.rows.get(name, 0)} answer(s) to review{note}")
    if result.path is None:
        print(f"nothing to review in run {run.run_id}: every answer has a stored review")
        return 0
    print(f"wrote {result.path} (run {run.run_id}, model {run.fingerprint or '?'})")
    if shown:
        print(
            f"the judge's scores are shown ({', '.join(sorted(shown))}): for adjudication only; "
            "the reviews given on this sheet are kept out of the judge's calibration"
        )
    print(
        "send it to the reviewers; import it when it is back: "
        f"releasegate review import {result.path}"
    )
    return 0


def _reference(settings: Settings, run: str | None) -> RunAnswers | None:
    folder = run_folder(settings.reports_dir, run)
    if run is None and not (folder / "results.json").is_file():
        return None  # no run yet: the sheet's own run is the only reference
    return read_run(settings.reports_dir, run)


def _import(args: argparse.Namespace, settings: Settings, root: Path) -> int:
    suites = _suites(settings)
    reference = _reference(settings, args.run)
    result = read_workbooks(
        args.files,
        suites,
        project=project_name(root),
        reports_dir=settings.reports_dir,
        reference=reference,
    )
    store = ReviewStore(settings.reviews_dir)
    # All or nothing across suites too: every file's lock, then every write (ReviewStore.add_all).
    changes = {
        change.suite: change
        for change in store.add_all(
            {name: found.records for name, found in result.suites.items() if found.records}
        )
    }
    for name, found in sorted(result.suites.items()):
        change = changes.get(name)
        done = (
            f"{len(found.records)} review(s) imported into {change.path} ({change.added} new, "
            f"{change.replaced} replaced, {change.unchanged} unchanged)"
            if change
            else "no scores filled in"
        )
        line = f"{name}: {done}; reviewers: {', '.join(found.reviewers) or '-'}"
        line += f"; {found.pending} row(s) left blank"
        anchored = sum(1 for r in found.records if r.extra.get("saw_judge"))
        if anchored:
            line += (
                f"; {anchored} given with the judge's scores in view (kept out of the judge's "
                "calibration)"
            )
        if reference is not None:
            rubric = suites[name].rubric
            waiting = [
                a
                for a in reference.of_suite(name)
                if not store.reviews_of(name, a.case_id, a.answer, rubric.hash)
            ]
            line += f"; still pending in run {reference.run_id}: {len(waiting)}"
        print(line)
        if change:
            _print_agreement(name, store.load(name), suites[name].rubric)
    print("re-gate on the new scores (cached answers, no generation): pytest model_tests")
    return 0


def _disagreements(args: argparse.Namespace, settings: Settings, judge: JudgeHooks | None) -> int:
    suites = _suites(settings)
    store = ReviewStore(settings.reviews_dir)
    names = args.suite or sorted(suites)
    found = 0
    for name in names:
        if name not in suites:
            raise ReviewError(f"no suite '{name}' (suites: {', '.join(sorted(suites))})")
        rubric = suites[name].rubric
        records = store.load(name)
        _print_agreement(name, records, rubric)
        rows = disagreements(name, records, rubric)
        found += len(rows)
        for row in rows:
            scores = ", ".join(f"{who} {score:g}" for who, score in row.scores)
            comments = "; ".join(f"{who}: {text}" for who, text in row.comments)
            print(
                f"  adjudicate {name}/{row.case_id} (answer {row.answer_hash}) {row.criterion}: "
                f"{scores}" + (f" ({comments})" if comments else "")
            )
        if judge is not None:
            judged = judge.disagreements(suites[name], records)
            found += len(judged)
            for line in judged:
                print(f"  {line}")
    if found == 0:
        print("no answer whose reviewers differ by two points or more")
    return 0


def _print_agreement(name: str, records: Sequence[ReviewRecord], rubric: Rubric) -> None:
    """Kappa and exact agreement per criterion, for each pair of reviewers sharing answers."""
    for pair in agreement(name, records, rubric):
        kappa = "undefined (one score throughout)" if pair.kappa is None else f"{pair.kappa:.3f}"
        print(
            f"{name} {pair.criterion}: {pair.reviewers[0]} vs {pair.reviewers[1]} on "
            f"{pair.items} answer(s): kappa ({pair.weights}) {kappa}, exact agreement "
            f"{pair.exact:.0%}"
        )
