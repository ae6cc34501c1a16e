"""The baseline plan: which baseline files a finished ``--update-baseline`` session writes, and
what each holds, prepared whole before the first is written.

A verdict rule of its own: what of a run becomes the reference the next runs are judged
against. Each suite's file keeps every case's check outcome (:meth:`CaseBaseline.of`) and the
value tests of the metrics stored in baselines; a file is written whole when the run judged all
of the suite's cases and metrics, otherwise merged into the stored one. Each benchmark's result
that has a verdict becomes its baseline whole. The pytest controller calls :func:`plan_baselines`
(and refuses the whole plan when the session was not a reference run); the store commits it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..core.records import BenchmarkRecord, CaseRecord, MetricRecord, ModelDescription, TaskResult
from ..golden.suites import Suite
from .baselines import BaselineStore, CaseBaseline, MetricBaseline, PlannedWrite, SuiteBaseline

__all__ = ["plan_baselines"]


def plan_baselines(
    store: BaselineStore,
    suites: Mapping[str, Suite],
    *,
    cases: Iterable[CaseRecord],
    metrics: Iterable[MetricRecord | BenchmarkRecord],
    task_results: Iterable[TaskResult],
    model: ModelDescription,
    generation: Callable[[Suite], Mapping[str, Any]],
) -> list[PlannedWrite]:
    """Every baseline file the run writes: one per benchmark in *task_results* (those with a
    verdict), then one per suite of *suites* that has judged *cases* or stored *metrics*.
    *model*: the fingerprint and name of the model the run judged; *generation*: a suite's
    generation settings, as the prediction cache keys them. A metric's per-case values are
    keyed by the cases its record names (``item_ids``: an ``assertion_pass_rate``'s carriers),
    else by the suite's; one that read no case (``item_ids`` empty) is not stored."""
    planned = [store.plan_benchmark(result, model) for result in task_results]
    case_records = list(cases)
    metric_records = [m for m in metrics if isinstance(m, MetricRecord)]
    for name, suite in suites.items():
        case_ids = [case.id for case in suite.cases]
        test_ids = [case.id for case in suite.test_cases]
        judged = {r.id: CaseBaseline.of(r) for r in case_records if r.suite == name}
        stored = {s.name for s in suite.metrics if s.in_baseline}
        values = {
            r.metric: MetricBaseline.of(r, case_ids if r.item_ids is None else r.item_ids)
            for r in metric_records
            if r.suite == name and r.test == "value" and r.metric in stored and r.item_ids != ()
        }
        if not judged and not values:
            continue
        all_cases = len(judged) == len(test_ids)
        whole = all_cases and len(values) == len(stored)
        planned.append(
            store.plan(
                SuiteBaseline(
                    suite=name,
                    cases=judged,
                    metrics=values,
                    model=model,
                    generation=generation(suite),
                ),
                whole=whole,
                all_case_ids=frozenset(test_ids) if all_cases else None,
            )
        )
    return planned
