"""What a run leaves behind: ``reports/<run-id>/`` and the terminal summary.

Only the pytest-xdist controller (or the single process) writes. Workers attach each test's
typed record (:mod:`releasegate.core.records`, as JSON) to its test report; the controller
rebuilds it, gathers them here, adds the pytest outcome, and writes ``results.json`` (every case
and metric), ``summary.md`` (for CI step summaries) and the ``reports/latest`` pointer
(:mod:`.latest`). A test that ended without a verdict (an ERROR in setup: no answer) is kept as
an :class:`UnjudgedTest`, and every test's outcome is counted the way pytest counts it, so the
report's counts are the ones pytest printed. ``junit.xml`` is pytest's own, written to the
same folder, with metric values as test properties.
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.display import for_markdown, for_markdown_code
from ..core.records import (
    BenchmarkRecord,
    CaseRecord,
    GateRecord,
    HistoryBlock,
    JudgeSummary,
    ModelDescription,
    ReviewSummary,
    RunRecord,
    TaskResult,
    UnjudgedTest,
)
from ..exceptions import ConfigError
from ..gate.judging import critical_regressions
from ..review.summary import answer_counts, review_markdown
from .judge_report import judge_markdown
from .latest import point_latest
from .robustness_report import robustness_markdown

__all__ = [
    "RunReport",
    "UnjudgedTest",
    "check_writable",
    "describe_failing",
    "failing_cases",
    "failing_label",
    "git_commit",
    "iso_time",
    "summary_table",
]

OUTCOMES = ("passed", "failed", "xfailed", "xpassed", "skipped", "error")

STEP_SUMMARY_BYTES = 1024 * 1024
"""GitHub's limit on one step summary (``$GITHUB_STEP_SUMMARY``): ``summary.md`` stays within."""
LISTED = 200
"""Failing cases and errors listed in ``summary.md``; the rest are counted, and in the page."""


def git_commit(root: Path) -> str | None:
    """The checked-out commit of *root*, or None outside a git work tree."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def check_writable(directory: Path, *, reports_dir: Path) -> None:
    """Raise :class:`ConfigError` unless the run's folder *directory* (under *reports_dir*) can
    be created and written, so a run that could not leave its report stops before it starts,
    not after every answer was generated. Writes (and removes) one probe file: a mode bit says
    nothing on a read-only file system, or to root."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        reason = f"{existing} is a file, not a folder"
    else:
        try:
            with tempfile.TemporaryFile(dir=existing, prefix=".releasegate-probe-"):
                return
        except OSError as exc:
            reason = f"{existing}: {exc.strerror or exc}"
    raise ConfigError(
        f"reports folder {reports_dir} cannot be written ({reason}); make it a writable "
        "folder, or write the reports elsewhere with --reports-dir (reports_dir in "
        "[tool.releasegate])"
    )


@dataclass
class RunReport:
    """Records of one run, gathered on the controller."""

    run_id: str
    directory: Path
    started: float = field(default_factory=time.time)
    cases: dict[str, CaseRecord] = field(default_factory=dict)
    """Case tests by key (``suite/case_id``)."""
    metrics: dict[str, GateRecord] = field(default_factory=dict)
    """Metric and benchmark tests by key (``suite::metric[::no_drop]``)."""
    models: dict[str, ModelDescription] = field(default_factory=dict)
    """Model description by worker (``main`` without xdist)."""
    unjudged: dict[str, UnjudgedTest] = field(default_factory=dict)
    """Tests without a verdict, by key (``<key> (teardown)`` for a teardown error)."""
    review: dict[str, ReviewSummary] = field(default_factory=dict)
    """Human review per suite with a rubric (``releasegate.review.gate.review_summary``)."""
    judge: dict[str, JudgeSummary] = field(default_factory=dict)
    """The judge model per suite with a ``judge:``, every process's calls summed
    (:meth:`add_judge`)."""
    totals: Counter[str] = field(default_factory=Counter)
    """Every test report of the run by pytest's outcome (``passed``, ``error``...): pytest's
    own count, the line it prints at the end."""
    history: HistoryBlock | None = None
    """results.json's ``history``: this run's metrics in earlier runs and in this one
    (:mod:`releasegate.history.reporting`); None leaves the key out."""
    interrupted: str | None = None
    """Why the run stopped before its end (:attr:`RunRecord.interrupted`), set by the
    controller before the reports are written."""
    latest_note: str = ""
    """What became of a ``reports/latest`` that was a real folder (:mod:`.latest`), for the
    terminal summary; empty when it was a link or absent."""

    def count(self, outcome: str) -> None:
        """Count one test report under pytest's outcome for it."""
        self.totals[outcome] += 1

    def add_judge(self, suite: str, summary: JudgeSummary) -> None:
        """Keep one process's summary of *suite*'s judge, its counts added to those already
        kept (each xdist worker judges its own cases)."""
        known = self.judge.get(suite)
        self.judge[suite] = summary if known is None else known.plus(summary)

    def add_unjudged(self, test: UnjudgedTest) -> None:
        key = test.key if test.when != "teardown" else f"{test.key} (teardown)"
        self.unjudged[key] = test

    def add(self, nodeid: str, record: CaseRecord | GateRecord, outcome: str) -> None:
        """Keep a test's *record* with pytest's *outcome* for it (a rerun replaces it)."""
        if isinstance(record, CaseRecord):
            self.cases[record.key] = replace(record, outcome=outcome, nodeid=nodeid)
            return
        key = f"{record.suite}::{record.metric}" + ("::no_drop" if record.test == "no_drop" else "")
        self.metrics[key] = replace(record, outcome=outcome, nodeid=nodeid)

    @property
    def empty(self) -> bool:
        """No releasegate test reported anything (a run of a project's own unit tests)."""
        return not self.cases and not self.metrics and not self.unjudged

    def counts_by_suite(self) -> dict[str, Counter[str]]:
        """Case tests by suite and outcome, those without a verdict (errors) included."""
        out: dict[str, Counter[str]] = {}
        for case in self.cases.values():
            out.setdefault(case.suite, Counter())[case.outcome] += 1
        for test in self.unjudged.values():
            if test.kind == "case":
                out.setdefault(test.suite, Counter())[test.outcome] += 1
        return out

    def errors(self) -> list[UnjudgedTest]:
        """Tests that ended in an error (or broke) without a verdict, in key order."""
        return sorted(
            (t for t in self.unjudged.values() if t.outcome in ("error", "failed")),
            key=lambda t: (t.key, t.when),
        )

    def task_results(
        self, keep: Callable[[BenchmarkRecord], bool] = lambda record: True
    ) -> Iterator[TaskResult]:
        """Each benchmark task's result once (a task reports several metrics), from the first
        of its records that *keep* accepts."""
        seen: set[str] = set()
        for record in self.metrics.values():
            if not isinstance(record, BenchmarkRecord) or record.task_result is None:
                continue
            if record.task_result.task not in seen and keep(record):
                seen.add(record.task_result.task)
                yield record.task_result

    def record(self, *, settings: Mapping[str, Any], commit: str | None) -> RunRecord:
        """The run as ``results.json`` holds it (benchmark results go to their own files);
        *commit* is the project's git commit (:func:`git_commit`)."""
        finished = time.time()
        return RunRecord(
            run_id=self.run_id,
            started=iso_time(self.started),
            finished=iso_time(finished),
            duration_seconds=round(finished - self.started, 3),
            git_commit=commit,
            settings=dict(settings),
            models=self.models,
            totals={o: self.totals[o] for o in _ordered(self.totals)},
            summary={
                suite: dict(counter) for suite, counter in sorted(self.counts_by_suite().items())
            },
            metrics=tuple(
                replace(m, task_result=None) if isinstance(m, BenchmarkRecord) else m
                for m in (self.metrics[key] for key in sorted(self.metrics))
            ),
            cases=tuple(self.cases[k] for k in sorted(self.cases)),
            unjudged=tuple(self.unjudged[k] for k in sorted(self.unjudged)),
            review=dict(self.review) or None,
            judge=dict(sorted(self.judge.items())) or None,
            history=self.history,
            interrupted=self.interrupted,
        )

    def write(self, *, settings: Mapping[str, Any], root: Path) -> Path:
        """Write ``results.json`` and ``summary.md``; point ``latest`` here; return the folder."""
        return self.write_record(self.record(settings=settings, commit=git_commit(root)))

    def write_record(self, run: RunRecord) -> Path:
        """:meth:`write` of a :meth:`record` already made (the controller keeps it, to build
        the run's page from the same record)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        document = run.to_json()
        (self.directory / "results.json").write_text(
            json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        self._write_benchmark_samples()
        (self.directory / "summary.md").write_text(self.markdown(), encoding="utf-8")
        self.latest_note = point_latest(self.directory)
        return self.directory

    def _write_benchmark_samples(self) -> None:
        """``general/<task>.json``: each benchmark question with the model's answer and score."""
        for result in self.task_results():
            folder = self.directory / "general"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{result.task}.json").write_text(
                json.dumps(result.to_json(), indent=1, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )

    def markdown(self) -> str:
        lines = [f"# releasegate run {for_markdown(self.run_id)}", ""]
        if self.interrupted:
            lines += [
                f"**Interrupted: {for_markdown(self.interrupted)}.** The results below are "
                "partial: tests that did not run are not counted.",
                "",
            ]
        if self.totals:
            lines += [f"tests: {describe_counts(self.totals)}", ""]
        if self.cases:
            generated, cached = answer_counts(self.cases.values())
            lines += [f"answers: {generated} generated, {cached} from the cache", ""]
        counts = self.counts_by_suite()
        if counts:
            lines += [
                "| suite | " + " | ".join(OUTCOMES) + " |",
                "|---" * (len(OUTCOMES) + 1) + "|",
            ]
            for suite, counter in sorted(counts.items()):
                counted = " | ".join(str(counter[o]) for o in OUTCOMES)
                lines.append(f"| {for_markdown(suite)} | {counted} |")
            lines.append("")
        if self.metrics:
            lines += ["| suite | metric | value | bar | baseline | verdict |", "|---" * 6 + "|"]
            for row in summary_table(self.metrics.values()):
                lines.append("| " + " | ".join(for_markdown(cell) for cell in row) + " |")
            lines.append("")
        lines += review_markdown(self.review, self.metrics.values())
        lines += judge_markdown(self.judge, self.cases.values())
        lines += _flips_markdown(self.metrics.values())
        lines += robustness_markdown(self.cases.values())
        regressions = failing_cases(self.cases.values())
        if regressions:
            lines += ["## Failing cases", "", f"{describe_failing(regressions)}", ""]
            for case in regressions[:LISTED]:
                lines += _failing_markdown(case)
            lines += _left_out(len(regressions))
        errors = self.errors()
        if errors:
            lines += ["## Errors (no verdict)", ""]
            for test in errors[:LISTED]:
                key, why = for_markdown_code(test.key), for_markdown(test.message, 300)
                lines.append(f"- {key} ({test.outcome} at {test.when}): {why}")
            lines += _left_out(len(errors))
        return _within(lines, STEP_SUMMARY_BYTES)


def failing_cases(cases: Iterable[CaseRecord]) -> list[CaseRecord]:
    """The cases whose tests FAILED, those with a critical assertion that passed on the
    baseline and fails now first (:func:`~releasegate.gate.judging.critical_regressions`),
    each part in key order: the order summary.md, the page and the terminal list them in."""
    failed = [c for c in cases if c.outcome == "failed"]
    return sorted(failed, key=lambda c: (not critical_regressions(c), c.key))


def describe_failing(failing: Sequence[CaseRecord]) -> str:
    """``3 failing case(s), 1 of them on a critical assertion that passed on the baseline,
    1 unscored``: the counts said above the list of *failing* cases."""
    critical = sum(1 for c in failing if critical_regressions(c))
    unscored = sum(1 for c in failing if c.unscored)
    text = f"{len(failing)} failing case(s)"
    if critical:
        text += f", {critical} of them on a critical assertion that passed on the baseline"
    if unscored:
        text += f", {unscored} unscored (could not be judged)"
    return text


def failing_label(case: CaseRecord) -> str:
    """What a failing case is, in a few words: its status, ``critical <names>`` where a
    critical assertion passed on the baseline and fails now, ``unscored`` where it could not
    be judged."""
    label = case.status
    critical = critical_regressions(case)
    if critical:
        label += ", critical " + ", ".join(critical)
    if case.unscored:
        label += ", unscored"
    return label


ASSERTIONS_LISTED = 5
"""Failed or unscored assertions listed under a failing case in summary.md (the rest counted)."""


def _failing_markdown(case: CaseRecord) -> list[str]:
    """A failing case in summary.md: its key, what it is and why, then each assertion that
    failed or is unscored (the first :data:`ASSERTIONS_LISTED`), saying which passed on the
    baseline."""
    key, reason = for_markdown_code(case.key), for_markdown(case.why, 300)
    lines = [f"- {key} ({for_markdown(failing_label(case))}): {reason}"]
    failing = [a for a in case.assertions if a.get("outcome") != "pass"]
    for a in failing[:ASSERTIONS_LISTED]:
        flags = ", ".join([str(a.get("type", "")), *(["critical"] if a.get("critical") else [])])
        before = "; passed on the baseline" if a.get("baseline") == "pass" else ""
        lines.append(
            f"  - {for_markdown(a.get('name', ''), 80)} ({for_markdown(flags)}): "
            f"{for_markdown(a.get('outcome', ''))}: {for_markdown(a.get('reason', ''), 200)}"
            f"{before}"
        )
    if len(failing) > ASSERTIONS_LISTED:
        lines.append(f"  - ... and {len(failing) - ASSERTIONS_LISTED} more in results.json")
    return lines


def _left_out(listed: int) -> list[str]:
    if listed <= LISTED:
        return [""]
    return ["", f"... and {listed - LISTED} more in results.json and report.html", ""]


def _within(lines: list[str], limit: int) -> str:
    """*lines* joined, cut at a line so the text (and a last line saying how many were left
    out) stays within *limit* bytes of UTF-8: many suites' flip tables could pass GitHub's
    step-summary limit, and GitHub then shows none of it."""
    text = "\n".join(lines)
    if len(text.encode("utf-8")) <= limit:
        return text
    reserve = 200  # the closing line
    kept, size = [], 0
    for line in lines:
        size += len(line.encode("utf-8")) + 1
        if size > limit - reserve:
            break
        kept.append(line)
    left = len(lines) - len(kept)
    note = (
        f"... {left} more lines left out (GitHub's step-summary limit is 1 MiB); "
        "everything is in results.json and report.html"
    )
    return "\n".join([*kept, "", note, ""])


def _ordered(counts: Mapping[str, int]) -> list[str]:
    """The outcomes in *counts*, the known ones in OUTCOMES order, then any other."""
    return [o for o in OUTCOMES if counts.get(o)] + sorted(
        o for o in counts if o not in OUTCOMES and counts[o]
    )


def describe_counts(counts: Mapping[str, int]) -> str:
    """``8 xfailed, 2 errors``: the counts as pytest's last line words them."""
    parts = []
    for outcome in _ordered(counts):
        n = counts[outcome]
        parts.append(f"{n} {outcome}s" if outcome == "error" and n != 1 else f"{n} {outcome}")
    return ", ".join(parts) or "no tests ran"


def _flips_markdown(metrics: Iterable[GateRecord], *, most: int = 50) -> list[str]:
    """Per suite and benchmark, the items that flipped since the baseline, answers side by
    side (from the no-drop tests' records)."""
    lines: list[str] = []
    for m in sorted(metrics, key=lambda m: (m.suite, m.metric)):
        flips = m.flips
        if m.test != "no_drop" or not flips:
            continue
        p_value = m.comparison.p_value if m.comparison else math.nan
        test = m.comparison.test if m.comparison else "-"
        worse = sum(1 for f in flips if f.direction == "worse")
        better = sum(1 for f in flips if f.direction == "better")
        lines += [
            f"## Flips: {for_markdown(m.suite)}::{for_markdown(m.metric)}",
            "",
            f"{worse} worse, {better} better, {len(flips) - worse - better} changed; "
            f"p={p_value:.3g} ({for_markdown(test)})",
            "",
            "| item | direction | expected | baseline answer | answer now |",
            "|---|---|---|---|---|",
        ]
        for flip in flips[:most]:
            lines.append(
                f"| {for_markdown(flip.item, 40)} | {flip.direction} "
                f"| {for_markdown(flip.expected, 80)} "
                f"| {for_markdown(flip.before_answer, 80)} "
                f"| {for_markdown(flip.now_answer, 80)} |"
            )
        if len(flips) > most:
            lines.append(f"\n... and {len(flips) - most} more in results.json")
        lines.append("")
    return lines


def summary_table(metrics: Iterable[GateRecord]) -> list[list[str]]:
    """Rows of suite, metric, value, bar, baseline, verdict, one per metric test.

    A no-drop row of a suite whose cases changed since the baseline (added or removed) shows
    the two values its comparison paired, on the cases both have, and says how many were added
    and removed: the whole suite's value now beside the baseline's whole-suite value would not
    be what was compared, and could differ where the comparison found no change at all."""
    rows = []
    for m in sorted(metrics, key=lambda m: (m.suite, m.metric, m.test == "no_drop")):
        name = m.metric + (" (no drop)" if m.test == "no_drop" else "")
        value, before = m.value, m.baseline
        if m.test != "no_drop":
            bar = m.bar
        elif m.max_drop is None:
            bar = "no significant drop"
        else:
            bar = f"drop <= {m.max_drop:g}"
        changed = m.comparison if m.test == "no_drop" else None
        if changed is not None and changed.items and (changed.added or changed.removed):
            value, before = changed.now, changed.baseline
            name = (
                f"{m.metric} (no drop, on {changed.items} shared cases; {changed.added} added, "
                f"{changed.removed} removed since the baseline)"
            )
        baseline = "-" if before is None else f"{before:.4g}"
        verdict = {"passed": "ok", "failed": "FAIL"}.get(m.outcome, m.outcome)
        rows.append([m.suite, name, f"{value:.4g}", bar, baseline, verdict])
    return rows


def iso_time(timestamp: float) -> str:
    """*timestamp* as ISO 8601 local time with its UTC offset (how results.json writes times)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(timestamp))
