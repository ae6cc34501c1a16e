"""``releasegate judge calibrate``, and the judge's part in the review commands.

Calibrating scores every reviewed answer of a suite with the suite's judge (cached verdicts are
reused), compares with the reviewers (:mod:`.figures`), writes the figures to
``fixtures/judges/<suite>.json`` under the judge's identity (:mod:`.calibration`), and prints a
table per criterion and whether the judge now gates. Reviews given with the judge's scores in
view, answers whose text no run holds any more, and unscored judge outputs are left out, counted
and said; a suite with no usable answer is an error, not a calibration.

:class:`ReviewHooks` gives ``releasegate review export --show-judge`` the judge's columns and
``releasegate review disagreements`` the answers where the judge and a reviewer differ.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..config import Settings
from ..exceptions import JudgeError
from ..golden.suites import Suite, project_suites
from ..review.records import ReviewRecord
from ..review.rubric import Rubric
from ..review.runs import RunAnswer
from ..review.sheet import JudgeColumn
from ..review.store import ReviewStore
from .answers import find_answers
from .calibration import calibration_path, calibration_status, write_calibration
from .figures import DEFAULT_SAMPLES, Agreement, Calibration, calibrate, saw_judge
from .runner import Judge, judge_for
from .types import Judgment, PointwiseItem

__all__ = ["ReviewHooks", "add_judge_parser", "run_judge"]


def add_judge_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``releasegate judge calibrate``."""
    judge = sub.add_parser("judge", help="a judge model: calibrate it against the reviewers")
    commands = judge.add_subparsers(dest="judge_command", required=True)
    calibrate_parser = commands.add_parser(
        "calibrate",
        help="score every reviewed answer with the suite's judge and compare with the "
        "reviewers (kappa, exact agreement, bias); writes fixtures/judges/<suite>.json",
    )
    calibrate_parser.add_argument(
        "--suite", action="append", default=[], help="only this suite (repeat)"
    )
    calibrate_parser.add_argument(
        "--samples",
        type=int,
        default=DEFAULT_SAMPLES,
        help=f"bootstrap resamples for the intervals (default {DEFAULT_SAMPLES})",
    )


def run_judge(args: argparse.Namespace, settings: Settings, root: Path) -> int:
    if args.samples < 100:
        raise JudgeError(f"--samples {args.samples}: give at least 100 bootstrap resamples")
    suites = {suite.name: suite for suite in project_suites(settings)}
    for name in args.suite:
        if name not in suites:
            raise JudgeError(f"no suite '{name}' (suites: {', '.join(sorted(suites))})")
    chosen = [suites[name] for name in (args.suite or sorted(suites))]
    calibrated = 0
    for suite in chosen:
        judge = judge_for(suite, settings, root=root)
        if judge is None:
            if args.suite:
                raise JudgeError(
                    f"suite '{suite.name}' has no judge: add a judge: section to its manifest "
                    "(or [tool.releasegate.judge] to pyproject.toml); see docs/judge.md"
                )
            continue
        try:
            records = ReviewStore(settings.reviews_dir).load(suite.name)
            if not records and not args.suite:
                print(f"{suite.name}: no reviews yet, nothing to calibrate on")
                continue
            _calibrate_suite(suite, judge, records, settings, samples=args.samples)
            calibrated += 1
        finally:
            judge.close()
    if calibrated == 0:
        raise JudgeError(
            "no suite has both a judge and reviews: give a suite a judge: section and import "
            "reviews of its answers (releasegate review export / import), then calibrate"
        )
    return 0


def _calibrate_suite(
    suite: Suite,
    judge: Judge,
    records: Sequence[ReviewRecord],
    settings: Settings,
    *,
    samples: int,
) -> Calibration:
    rubric = judge.rubric
    under = [r for r in records if r.rubric_hash == rubric.hash]
    clean = [r for r in under if not saw_judge(r)]
    found = find_answers(settings.reports_dir, suite.name, clean)
    keys = sorted(found.items)
    judgments = dict(zip(keys, judge.score([found.items[k] for k in keys]), strict=True))
    result = calibrate(suite.name, records, rubric, judgments, samples=samples)
    left_out = _left_out(records, under, result, found.named_missing())
    if result.answers == 0:
        raise JudgeError(
            f"{suite.name}: no reviewed answer to calibrate the judge on "
            f"({'; '.join(left_out) or 'no reviews'}); the judge stays advisory. "
            + _no_answers_advice(judgments.values(), result)
        )
    path = calibration_path(settings.judges_dir, suite.name)
    write_calibration(path, judge.identity, result)
    identity = judge.identity
    print(
        f"{suite.name}: judge {identity.backend} {identity.model} (identity {identity.key}) on "
        f"{result.answers} reviewed answer(s)"
    )
    for line in left_out:
        print(f"  left out: {line}")
    for line in _table(result):
        print(f"  {line}")
    status = calibration_status(identity, judge.spec, path)
    print(f"  {status.reason}")
    print(f"  wrote {path}")
    print(f"judge: {judge.calls} calls, {judge.cache_hits} cached")
    return result


def _left_out(
    records: Sequence[ReviewRecord],
    under: Sequence[ReviewRecord],
    result: Calibration,
    missing_names: str,
) -> list[str]:
    """What was left out of the calibration, each with its count."""
    lines = []
    other = len(records) - len(under)
    if other:
        lines.append(f"{other} review(s) under another rubric than the judge's")
    if result.saw_judge:
        lines.append(
            f"{result.saw_judge} review(s) given with the judge's scores in view (--show-judge)"
        )
    if result.missing:
        lines.append(
            f"{result.missing} reviewed answer(s) whose text no run under reports/ holds any "
            f"more: {missing_names}"
        )
    if result.unscored:
        lines.append(f"{result.unscored} answer(s) the judge's output left unscored")
    return lines


def _no_answers_advice(judgments: Iterable[Judgment], result: Calibration) -> str:
    """What to do when nothing could be calibrated on, by why."""
    if result.unscored:
        first = next((j for j in judgments if j.scores is None), None)
        example = "" if first is None else f" (first: {first.reason}; it wrote {first.raw[:160]!r})"
        return (
            f"The judge gave no usable score{example}: its output must end with a JSON object "
            "or a 'Score: N' line on the rubric's scale (docs/judge.md); use a stronger judge "
            "model, a larger max_new_tokens or a clearer template, and calibrate again"
        )
    return (
        "Review answers of this suite with the judge's scores hidden (releasegate review export, "
        "without --show-judge), import them, keep the runs they came from under reports/, and "
        "calibrate again"
    )


def _interval(values: tuple[float, float] | None, fmt: str) -> str:
    return "" if values is None else f" [{values[0]:{fmt}}, {values[1]:{fmt}}]"


def _kappa(agreement: Agreement | None) -> str:
    if agreement is None:
        return "-"
    if agreement.kappa is None:
        return "undefined"
    return f"{agreement.kappa:.2f}{_interval(agreement.kappa_interval, '.2f')}"


def _table(result: Calibration) -> list[str]:
    """One row per criterion: kappa [interval], exact, bias [interval], reviewers' kappa, n."""
    rows = [("criterion", "kappa [95%]", "exact", "bias [95%]", "reviewers' kappa", "n")]
    for c in result.criteria:
        reviewers = "-" if c.reviewers is None else f"{_kappa(c.reviewers)} ({c.reviewers.answers})"
        rows.append(
            (
                c.criterion,
                _kappa(c.judge),
                f"{c.judge.exact:.0%}",
                f"{c.bias:+.2f}{_interval(c.bias_interval, '+.2f')}",
                reviewers,
                f"{c.judge.answers} ({c.judge.pairs} pairs)",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _shown_score(judgment: Judgment) -> str:
    if judgment.scores is None:
        return "unscored"
    overall = judgment.overall
    parts = ", ".join(f"{name} {score:g}" for name, score in judgment.scores.items())
    return f"{overall:.3g} ({parts})"


class ReviewHooks:
    """The judge's part in ``releasegate review`` (review.commands.JudgeHooks)."""

    def __init__(self, settings: Settings, root: Path) -> None:
        self.settings = settings
        self.root = root
        self._judges: dict[str, Judge | None] = {}

    def close(self) -> None:
        """Close the judges made (their verdict cache, their own backend)."""
        for judge in self._judges.values():
            if judge is not None:
                judge.close()
        self._judges.clear()

    def _judge(self, suite: Suite) -> Judge | None:
        if suite.name not in self._judges:
            self._judges[suite.name] = judge_for(suite, self.settings, root=self.root)
        return self._judges[suite.name]

    def columns(
        self, answers: Mapping[str, Sequence[RunAnswer]], suites: Mapping[str, Suite]
    ) -> Mapping[str, Mapping[str, JudgeColumn]]:
        shown: dict[str, dict[str, JudgeColumn]] = {}
        for name, chosen in answers.items():
            judge = self._judge(suites[name])
            if judge is None:
                continue
            items = [PointwiseItem(a.case_id, a.question, a.expected, a.answer) for a in chosen]
            shown[name] = {
                a.case_id: JudgeColumn(_shown_score(j), j.reason)
                for a, j in zip(chosen, judge.score(items), strict=True)
            }
        return shown

    def disagreements(self, suite: Suite, records: Sequence[ReviewRecord]) -> list[str]:
        judge = self._judge(suite)
        if judge is None:
            return []
        rubric = judge.rubric
        under = [r for r in records if r.rubric_hash == rubric.hash]
        found = find_answers(self.settings.reports_dir, suite.name, under)
        keys = sorted(found.items)
        judgments = dict(zip(keys, judge.score([found.items[k] for k in keys]), strict=True))
        lines = _judge_disagreements(suite.name, under, rubric, judgments)
        if found.missing:
            lines.append(
                f"{len(found.missing)} reviewed answer(s) not compared with the judge: no run "
                f"under reports/ holds their text any more ({found.named_missing()})"
            )
        return lines


def _judge_disagreements(
    name: str,
    records: Sequence[ReviewRecord],
    rubric: Rubric,
    judgments: Mapping[tuple[str, str], Judgment],
) -> list[str]:
    """The answers where the judge and a reviewer differ by the adjudication gap (two points;
    any difference on pass/fail) or more, per criterion, in case order."""
    gap = 1.0 if rubric.scale.pass_fail else 2.0
    lines = []
    for record in sorted(records, key=lambda r: (r.case_id, r.answer_hash, r.reviewer)):
        judged = judgments.get((record.case_id, record.answer_hash))
        if judged is None or judged.scores is None:
            continue
        for criterion in rubric.criteria:
            ours = judged.scores.get(criterion.name)
            theirs = record.scores.get(criterion.name)
            if ours is None or theirs is None or abs(ours - theirs) < gap:
                continue
            anchored = " (saw the judge)" if saw_judge(record) else ""
            lines.append(
                f"adjudicate {name}/{record.case_id} (answer {record.answer_hash}) "
                f"{criterion.name}: judge {ours:g}, {record.reviewer} {theirs:g}{anchored}; "
                f"judge's reason: {judged.reason}"
            )
    return lines
