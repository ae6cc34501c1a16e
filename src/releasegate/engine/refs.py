"""The parameters of releasegate's tests: which case, suite metric or benchmark metric a test
is, and how that identity travels on its reports from a worker to the controller."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.records import TestIdentity

__all__ = ["BenchmarkRef", "CaseRef", "MetricRef", "UnchangedRef", "identify_test"]


@dataclass(frozen=True)
class CaseRef:
    """The parameter of one case test: which case of which suite."""

    suite: str
    case_id: str

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.case_id}"


@dataclass(frozen=True)
class UnchangedRef:
    """The parameter of a robustness variant its perturbation could not make: a test that is
    skipped with the reason (no answer is asked for it, and it is no :class:`CaseRef`, so no
    chunk holds it), reported under the variant's case key."""

    suite: str
    case_id: str
    reason: str

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.case_id}"


@dataclass(frozen=True)
class MetricRef:
    """The parameter of one metric test: a suite metric and what it is held to."""

    suite: str
    metric: str
    kind: str
    """``value`` (its min/max bar, or just reported), ``no_drop`` (against the baseline), or
    ``isolation`` (the suite's cases looked for in the training data; metric ``isolation``)."""

    @property
    def test_id(self) -> str:
        suffix = "::no_drop" if self.kind == "no_drop" else ""
        return f"{self.suite}::{self.metric}{suffix}"


@dataclass(frozen=True)
class BenchmarkRef:
    """The parameter of one benchmark test: a task metric, its value or its no-drop test."""

    task: str
    metric: str
    kind: str
    """``value`` (its ``min`` bar, or just reported) or ``no_drop`` (against the baseline)."""

    @property
    def test_id(self) -> str:
        return f"general/{self.task}::{self.metric}" + (
            "::no_drop" if self.kind == "no_drop" else ""
        )


def identify_test(param: object) -> TestIdentity | None:
    """Which releasegate test a test parameter names; it travels on every phase's report
    (setup, call, teardown) from a worker to the controller, so a test that ends without a
    verdict (an ERROR in setup) is still reported under its case or metric; None for any other
    test's parameter."""
    if isinstance(param, CaseRef | UnchangedRef):
        return TestIdentity("case", param.suite, param.key)
    if isinstance(param, MetricRef):
        return TestIdentity("metric", param.suite, param.test_id)
    if isinstance(param, BenchmarkRef):
        return TestIdentity("benchmark", f"general/{param.task}", param.test_id)
    return None
