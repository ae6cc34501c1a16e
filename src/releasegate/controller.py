"""Hooks that run on the controller only (the single process, or the pytest-xdist controller).

It gathers the records that tests attach to their reports, writes ``reports/<run-id>/`` and,
with ``--update-baseline``, the baselines: once, at the end of the session, so no two processes
ever write the same file.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from .baselines import CaseBaseline, MetricBaseline, SuiteBaseline, WriteResult
from .display import for_terminal
from .reports import RunReport, UnjudgedTest, describe_counts, summary_table
from .session import ReleaseSession

__all__ = ["Controller"]


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

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # pytest's own word for the report (as its terminal counts it): "error" for a failed
        # setup, "xfailed", ...; "" for a setup or teardown that passed.
        status = self._config.hook.pytest_report_teststatus(report=report, config=self._config)
        outcome = status[0] if status else report.outcome
        if not outcome:
            return
        self._report.count(outcome)
        test = getattr(report, "releasegate_test", None)
        if test is None:
            return  # not a releasegate test: counted, nothing more
        record = getattr(report, "releasegate", None)
        if record is not None and report.when == "call":
            self._report.add(report.nodeid, record, outcome)
            return
        self._report.add_unjudged(
            UnjudgedTest(
                kind=test["kind"],
                suite=test["suite"],
                key=test["key"],
                nodeid=report.nodeid,
                outcome=outcome,
                when=report.when,
                message=_message(report),
            )
        )

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._report.count("error")  # pytest counts a collection error as an error too

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        model = getattr(node, "workeroutput", {}).get("releasegate_model")
        if model is not None:
            self._report.models[str(node.gateway.id)] = model

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._report.empty:
            self._drop_unused_junit()
            return
        if self._session.update_baseline:
            self._baseline_results = self._write_baselines()
        self._report.write(settings=self._session.settings.public(), root=self._session.root)

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

    def _write_baselines(self) -> list[WriteResult]:
        rg = self._session
        results = []
        models = list(self._report.models.values())
        model: dict[str, Any] = {
            k: models[0][k] for k in ("fingerprint", "model") if models and k in models[0]
        }
        written: set[str] = set()
        for record in self._report.metrics.values():
            result = record.get("task_result")
            if record.get("kind") != "benchmark" or result is None or result["task"] in written:
                continue
            if record.get("outcome") not in ("passed", "failed"):
                continue
            written.add(result["task"])
            results.append(rg.baselines.write_benchmark(result, model))
        for name, suite in rg.suites.items():
            cases = {
                r["id"]: CaseBaseline(
                    outcome="passed" if r["passed"] else "failed",
                    answer=r["answer"],
                    score=r["score"],
                )
                for r in self._report.cases.values()
                if r["suite"] == name
            }
            case_ids = [case.id for case in suite.cases]
            metrics = {
                r["metric"]: MetricBaseline(
                    value=r["value"],
                    per_item=dict(zip(case_ids, r["per_item"], strict=True))
                    if r["per_item"]
                    else {},
                )
                for r in self._report.metrics.values()
                if r["suite"] == name and r["test"] == "value"
            }
            if not cases and not metrics:
                continue
            complete = len(cases) == len(suite.cases)
            results.append(
                rg.baselines.write(
                    SuiteBaseline(
                        suite=name,
                        cases=cases,
                        metrics=metrics,
                        model=model,
                        generation=rg.generation_for(suite).as_key(),
                    ),
                    all_case_ids=frozenset(case_ids) if complete else None,
                )
            )
        return results

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
        improvements = sorted(k for k, c in report.cases.items() if c["outcome"] == "xpassed")
        if improvements:
            write("")
            write(
                f"{len(improvements)} improvement(s) over the baseline: " + ", ".join(improvements),
                green=True,
            )
            if not self._session.update_baseline:
                write("record them with --update-baseline once reviewed")
        if self._baseline_results:
            write("")
            for result in self._baseline_results:
                line = f"baseline {result.action}: {result.path}"
                if result.removed_cases:
                    line += f" ({len(result.removed_cases)} unused case entries removed)"
                write(line)
        write(f"reports: {report.directory}", bold=True)


def _message(report: pytest.TestReport) -> str:
    """Why a test ended without a verdict: the skip reason, or the error's text."""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    return report.longreprtext.strip()
