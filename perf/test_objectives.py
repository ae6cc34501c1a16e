"""The serving objectives of [tool.releasegate.perf.objectives], one test each.

A test fails with the figure measured, the bar and the load it was measured at; the whole run
(raw samples, summary, plot) is in the report folder named in the message.
"""

from __future__ import annotations

from releasegate.perf.config import Objective
from releasegate.perf.runner import LoadResult


def test_load_measured_requests(load_result: LoadResult) -> None:
    """The objectives judge something: requests completed after the warm-up."""
    summary = load_result.summary
    ok = summary["requests"] - summary["failures"]
    assert ok > 0, (
        f"no request succeeded after the warm-up ({summary['requests']} measured, failures: "
        f"{summary['failure_reasons']}); report: {load_result.directory}"
    )


def test_objective(objective: Objective, load_result: LoadResult) -> None:
    verdict = next(v for v in load_result.objectives if v["key"] == objective.key)
    assert verdict["met"], (
        f"{verdict['message']} at {load_result.summary['load']}; report: {load_result.directory}"
    )
