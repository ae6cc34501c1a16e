"""Hooks that run on the controller only (the single process, or the pytest-xdist controller).

It gathers the typed records that tests attach to their reports (rebuilt here from the JSON
they travel as), writes ``reports/<run-id>/`` and,
with ``--update-baseline``, the baselines: once, at the end of the session, so no two processes
ever write the same file; and only after a session that ran to its end, so a baseline is never
half of one run and half of another (see :meth:`Controller._update_baselines`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from ..core.display import for_terminal
from ..core.records import (
    JudgeSummary,
    ModelDescription,
    ReviewSummary,
    RunRecord,
    TestIdentity,
    UnjudgedTest,
    read_record,
)
from ..engine.session import ReleaseSession
from ..exceptions import BaselineError, ReleasegateError
from ..gate.baselines import PlannedWrite, WriteResult
from ..gate.judging import critical_regressions
from ..gate.plan import plan_baselines
from ..reports.html import write_page
from ..reports.judge_report import judge_lines
from ..reports.writers import (
    RunReport,
    describe_counts,
    describe_failing,
    failing_cases,
    failing_label,
    git_commit,
    summary_table,
)
from ..review.gate import review_summary
from ..review.summary import answer_counts, review_lines
from .fixtures import PENDING_KNOWN_FAILURE

__all__ = ["Controller"]


LISTED_ON_TERMINAL = 20
"""Failing cases named in the terminal summary (critical-assertion regressions first); the
rest are counted (summary.md and the page list them)."""


class Controller:
    """A plugin object registered by the releasegate plugin on the controller."""

    def __init__(
        self, config: pytest.Config, session: ReleaseSession, report: RunReport, *, owns_junit: bool
    ) -> None:
        self._config = config
        self._session = session
        self._report = report
        self._owns_junit = owns_junit
        self._baseline_results: list[WriteResult] = []
        self._incomplete: list[str] = []
        """Why this session is not a whole reference run (interrupted, crashed, errored)."""
        self._errored: list[str] = []
        """Node ids of tests that errored (setup, teardown, a crashed worker) or failed to
        collect."""
        self._baselines_refused = ""
        """Why ``--update-baseline`` wrote nothing, for the terminal summary."""
        self._loaded_by: list[str] = []
        """The xdist workers that loaded the model's weights."""
        self._load_errors: list[str] = []
        """Why the model's weights failed to load, per xdist worker that tried."""
        self._history: Any = None
        """What became of the run history (:class:`~releasegate.history.HistoryOutcome`)."""
        self._page: Path | None = None
        self._page_problem = ""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed and report.when != "call":
            self._errored.append(report.nodeid)  # "???" is xdist's report of a crashed worker
        # pytest's own word for the report (as its terminal counts it): "error" for a failed
        # setup, "xfailed", ...; "" for a setup or teardown that passed.
        status = self._config.hook.pytest_report_teststatus(report=report, config=self._config)
        outcome = status[0] if status else report.outcome
        if not outcome:
            return
        self._report.count(outcome)
        # The controller's edge: the JSON a worker attached becomes the typed record again.
        identity = getattr(report, "releasegate_test", None)
        if identity is None:
            return  # not a releasegate test: counted, nothing more
        record = getattr(report, "releasegate", None)
        if record is not None and report.when == "call":
            self._report.add(report.nodeid, read_record(record), outcome)
            return
        test = TestIdentity.from_json(identity)
        self._report.add_unjudged(
            UnjudgedTest(
                kind=test.kind,
                suite=test.suite,
                key=test.key,
                nodeid=report.nodeid,
                outcome=outcome,
                when=report.when,
                message=_message(report),
            )
        )

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._report.count("error")  # pytest counts a collection error as an error too
            self._errored.append(report.nodeid or "<collection>")

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self._incomplete.append("the session was interrupted")  # Ctrl-C or pytest.exit()

    def pytest_internalerror(self, excrepr: Any, excinfo: Any) -> None:
        self._incomplete.append("pytest stopped on an internal error")

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        if error is not None:
            self._incomplete.append(f"worker {node.gateway.id} went down ({error})")
        model = getattr(node, "workeroutput", {}).get("releasegate_model")
        if model is not None:
            self._report.models[str(node.gateway.id)] = ModelDescription.from_json(model)
        if getattr(node, "workeroutput", {}).get("releasegate_weights_loaded"):
            self._loaded_by.append(str(node.gateway.id))
        judges = getattr(node, "workeroutput", {}).get("releasegate_judge") or {}
        for suite, summary in judges.items():  # each worker's judge calls, summed
            self._report.add_judge(suite, JudgeSummary.from_json(summary))
        load_error = getattr(node, "workeroutput", {}).get("releasegate_load_error")
        if load_error:
            self._load_errors.append(str(load_error))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self._report.empty:
            self._drop_unused_junit()
            return
        self._report.interrupted = self._stopped_early(session)
        if self._session.update_baseline:
            self._update_baselines(exitstatus)
            self._correct_xfail_reasons()
            reporter = self._config.pluginmanager.get_plugin("terminalreporter")
            if exitstatus == pytest.ExitCode.INTERNAL_ERROR and reporter is not None:
                self._summarise_baselines(reporter.write_line)  # no terminal summary follows
        self._report.review = self._review_summary()
        commit = git_commit(self._session.root)  # one git call for the history and the report
        self._record_history(commit)
        run = self._report.record(settings=self._session.settings.public(), commit=commit)
        directory = self._report.write_record(run)
        self._write_page(directory, run, exitstatus)

    def _stopped_early(self, session: pytest.Session) -> str | None:
        """Why the session did not run to its end (Ctrl-C, ``-x``/``--maxfail``, a worker
        down, an internal error); None when it did."""
        reasons = list(dict.fromkeys(self._incomplete))
        if session.shouldfail or session.shouldstop:
            reasons.append(
                f"the session stopped early ({session.shouldfail or session.shouldstop})"
            )
        return "; ".join(reasons) or None

    def _correct_xfail_reasons(self) -> None:
        """The XFAIL lines of ``--update-baseline`` say what became of each known failure:
        recorded only if the baselines were written. The short summary is printed after this
        hook, from the reports pytest keeps."""
        reporter = self._config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        if self._baselines_refused:
            reason = "a known failure, not recorded: the baselines were not updated"
        else:
            reason = "recorded as a known failure in the new baseline"
        for report in reporter.stats.get("xfailed", []):
            if getattr(report, "wasxfail", "") == PENDING_KNOWN_FAILURE:
                report.wasxfail = reason

    def _write_page(self, directory: Path, run: RunRecord, exitstatus: int) -> None:
        """``report.html`` from the run's record just written as ``results.json``. A page that
        cannot be made (an unreadable perf summary beside it) is said in the terminal summary;
        it does not take the run's other reports with it."""
        try:
            self._page = write_page(directory, run=run, exit_status=int(exitstatus))
        except ReleasegateError as exc:
            self._page_problem = f"report.html not written: {exc}"

    def _review_summary(self) -> dict[str, ReviewSummary]:
        """Human review of this run's answers, per suite with a rubric (none when reading the
        suites or reviews fails: the run's report is still written)."""
        try:
            return review_summary(
                self._session.suites, self._session.reviews, list(self._report.cases.values())
            )
        except ReleasegateError:
            return {}

    def _record_history(self, commit: str | None) -> None:
        """Append this run to the run history; results.json gets the metrics' history."""
        from ..history.reporting import record_finished_run

        rg, report = self._session, self._report
        self._history = record_finished_run(
            settings=rg.settings,
            run_id=rg.run_id,
            step=self._config.getoption("releasegate_step"),
            models=report.models,
            metric_records=report.metrics.values(),
            case_records=report.cases.values(),
            suites=rg.suites if report.cases or report.metrics else {},
            git_commit=commit,
            incomplete=list(dict.fromkeys(self._incomplete)),
        )
        report.history = self._history.block

    def _drop_unused_junit(self) -> None:
        """A run without golden tests (e.g. a project's own unit tests) leaves no report."""
        if not self._owns_junit:
            return
        from _pytest.junitxml import xml_key  # the junitxml plugin's own stash key

        xml = self._config.stash.get(xml_key, None)
        if xml is not None:
            self._config.pluginmanager.unregister(xml)
            del self._config.stash[xml_key]
        shutil.rmtree(self._report.directory, ignore_errors=True)

    def _update_baselines(self, exitstatus: int) -> None:
        """All or nothing: a session that did not run to its end, or in which a test errored
        (no answer, a crashed worker), is not a reference run and writes no baseline at all;
        one that did replaces each file whole, atomically. Failed cases are no reason to
        refuse: a baseline records the reference model's failures as known ones."""
        reasons = [self._report.interrupted] if self._report.interrupted else []
        if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not reasons:
            reasons.append(f"pytest exited with status {int(exitstatus)}")
        if self._errored:
            errored = list(dict.fromkeys(self._errored))
            reasons.append(
                f"{len(errored)} test(s) errored ("
                + ", ".join(errored[:3])
                + (", ..." if len(errored) > 3 else "")
                + ")"
            )
        if reasons:
            self._baselines_refused = "; ".join(reasons)
            return
        try:
            planned = self._plan_baselines()
        except BaselineError as exc:
            self._baselines_refused = str(exc)
            return
        self._baseline_results = [self._session.baselines.commit(p) for p in planned]

    def _plan_baselines(self) -> list[PlannedWrite]:
        """Every baseline file this session writes, prepared before the first is written
        (:func:`releasegate.gate.plan.plan_baselines`)."""
        rg = self._session
        first = next(iter(self._report.models.values()), ModelDescription())
        model = ModelDescription(fingerprint=first.fingerprint, model=first.model)
        return plan_baselines(
            rg.baselines,
            rg.suites,
            cases=self._report.cases.values(),
            metrics=self._report.metrics.values(),
            task_results=self._report.task_results(
                keep=lambda r: r.outcome in ("passed", "failed")
            ),
            model=model,
            generation=lambda suite: rg.generation_for(suite).as_key(),
        )

    def _summarise_baselines(self, write: Any) -> None:
        if self._baselines_refused:
            write("")
            write(
                f"baselines not updated, no file written: {self._baselines_refused}; "
                "rerun with --update-baseline once the whole suite runs without errors",
                red=True,
                bold=True,
            )
        if not self._baseline_results:
            return
        write("")
        for result in self._baseline_results:
            if result.replaced_broken:
                write(
                    f"warning: the old baseline could not be read, so it is replaced whole: "
                    f"{result.replaced_broken}",
                    yellow=True,
                )
        for result in self._baseline_results:
            line = f"baseline {result.action}: {result.path}"
            if result.removed_cases:
                line += f" ({len(result.removed_cases)} unused case entries removed)"
            write(line)
        written = sum(result.action != "unchanged" for result in self._baseline_results)
        if written:
            write(f"{written} baseline file(s) replaced whole (written atomically)")

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        report = self._report
        if report.empty:
            return

        def write(line: str, **markup: bool) -> None:
            terminalreporter.write_line(for_terminal(line), **markup)  # names come from files

        terminalreporter.write_sep("=", "releasegate")
        for suite, counts in sorted(report.counts_by_suite().items()):
            write(f"{suite}: {describe_counts(counts)}")
        rows = summary_table(report.metrics.values())
        if rows:
            header = ["suite", "metric", "value", "bar", "baseline", "verdict"]
            widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
            write("")
            for row in [header, *rows]:
                line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                write(line.rstrip(), red=row[-1] == "FAIL", bold=row is header)
        if report.review:
            write("")
            for line in review_lines(report.review, report.metrics.values()):
                write(line)
        if report.cases:
            generated, cached = answer_counts(report.cases.values())
            write(f"answers: {generated} generated, {cached} from the cache")
        for line, warning in judge_lines(report.judge):
            write(line, yellow=warning)
        failing = failing_cases(report.cases.values())
        if failing:
            write("")
            write(describe_failing(failing) + ":", red=True)
            for case in failing[:LISTED_ON_TERMINAL]:
                write(f"  {case.key} ({failing_label(case)})", red=bool(critical_regressions(case)))
            if len(failing) > LISTED_ON_TERMINAL:
                write(f"  ... and {len(failing) - LISTED_ON_TERMINAL} more in summary.md")
        improvements = sorted(k for k, c in report.cases.items() if c.outcome == "xpassed")
        if improvements:
            write("")
            write(
                f"{len(improvements)} improvement(s) over the baseline: " + ", ".join(improvements),
                green=True,
            )
            if not self._session.update_baseline:
                write("record them with --update-baseline once reviewed")
        self._summarise_baselines(write)
        loaded_by = sorted(self._loaded_by) or (["main"] if self._session.weights_loaded else [])
        load_errors = list(dict.fromkeys(self._load_errors))
        if self._session.load_error is not None:
            load_errors.append(self._session.load_error)
        if loaded_by:
            write("model weights loaded by: " + ", ".join(loaded_by))
        if load_errors and self._session.settings.base_url is not None:
            write("model: the endpoint could not be used (the errors above say why)", red=True)
        elif load_errors:
            write(f"model weights: failed to load: {load_errors[0]}", red=True)
        elif not loaded_by:
            write("model weights: not loaded (every answer and benchmark result was cached)")
        if self._history is not None:
            write(self._history.note, red=self._history.failed)
        write(f"reports: {report.directory}", bold=True)
        if report.latest_note:
            write(report.latest_note, yellow=True)
        if self._page is not None:
            write(f"page: {self._page}")
        if self._page_problem:
            write(self._page_problem, red=True)


def _message(report: pytest.TestReport) -> str:
    """Why a test ended without a verdict: the skip reason, or the error's text."""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    return report.longreprtext.strip()
