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
from .reports import RunReport, summary_table
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
        self._loaded_by: list[str] = []
        """The xdist workers that loaded the model's weights."""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = getattr(report, "releasegate", None)
        if record is None or report.when != "call":
            return
        if hasattr(report, "wasxfail"):
            outcome = "xpassed" if report.passed else "xfailed"
        else:
            outcome = report.outcome
        self._report.add(report.nodeid, record, outcome)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        model = getattr(node, "workeroutput", {}).get("releasegate_model")
        if model is not None:
            self._report.models[str(node.gateway.id)] = model
        if getattr(node, "workeroutput", {}).get("releasegate_weights_loaded"):
            self._loaded_by.append(str(node.gateway.id))

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
        write = terminalreporter.write_line
        terminalreporter.write_sep("=", "releasegate")
        for suite, counts in sorted(report.counts_by_suite().items()):
            parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
            write(f"{suite}: {parts}")
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
        loaded_by = sorted(self._loaded_by) or (["main"] if self._session.weights_loaded else [])
        write(
            "model weights loaded by: " + ", ".join(loaded_by)
            if loaded_by
            else "model weights: not loaded (every answer and benchmark result was cached)"
        )
        write(f"reports: {report.directory}", bold=True)
