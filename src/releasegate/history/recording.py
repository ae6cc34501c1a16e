"""A run's records (the ones its reports are written from) made into a :class:`RunRecord`.

The pytest controller and the training-loop callback both hand over the same typed records
(:class:`~releasegate.core.records.MetricRecord`, ``BenchmarkRecord``, ``CaseRecord`` with
pytest's outcome set), so a run is stored the same way whichever of them ran it.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable, Mapping

from ..core.records import BenchmarkRecord, CaseRecord, MetricRecord, ModelDescription
from ..gate.judging import show_expected
from ..golden.suites import Suite
from ..reports.writers import iso_time
from .store import CaseOutcome, MetricPoint, RunRecord

__all__ = ["run_record"]

_LABEL_METRICS = frozenset({"accuracy", "f1_micro", "f1_macro"})
_CHOICE_METRICS = frozenset({"acc", "acc_norm"})


def run_record(
    *,
    run_id: str,
    model: ModelDescription,
    step: int | None,
    metric_records: Iterable[MetricRecord | BenchmarkRecord],
    case_records: Iterable[CaseRecord],
    suites: Mapping[str, Suite],
    git_commit: str | None = None,
    source: str = "pytest",
) -> RunRecord:
    """The history's record of one run. Of *model*, the backend's description, its ``model``,
    ``path`` and ``fingerprint`` are recorded; only metric values that were measured (``value``
    tests whose test passed or failed, with a number) are kept, no-drop tests being
    comparisons, not measurements."""
    metrics = []
    for record in metric_records:
        if record.test != "value" or record.outcome not in ("", "passed", "failed"):
            continue  # a comparison, or skipped or errored: no value was measured
        value = float(record.value)
        if math.isnan(value):
            continue
        if isinstance(record, BenchmarkRecord):
            items, chance = _benchmark_items(record)
            stderr = record.stderr
        else:
            items, chance = _suite_items(record, suites.get(record.suite))
            stderr = None
        metrics.append(
            MetricPoint(
                suite=record.suite,
                metric=record.metric,
                value=value,
                higher_is_better=record.higher_is_better,
                max_drop=record.max_drop,
                chance=chance,
                stderr=stderr,
                items=items,
            )
        )
    cases = tuple(
        CaseOutcome(
            suite=r.suite,
            case_id=r.id,
            passed=r.passed,
            outcome=r.outcome or ("passed" if r.passed else "failed"),
            answer=r.answer,
        )
        for r in case_records
    )
    return RunRecord(
        run_id=run_id,
        time=iso_time(time.time()),
        model=model.model or "",
        model_path=model.path,
        fingerprint=model.fingerprint,
        step=step,
        git_commit=git_commit,
        source=source,
        metrics=tuple(sorted(metrics, key=lambda m: (m.suite, m.metric))),
        cases=tuple(sorted(cases, key=lambda c: (c.suite, c.case_id))),
    )


def _suite_items(
    record: MetricRecord, suite: Suite | None
) -> tuple[dict[str, float], float | None]:
    """Per-case values by case id (when they line up with the cases they are for: the record's
    ``item_ids``, else the suite's), and the score of always answering the majority label for
    a classifier's accuracy and F1."""
    if suite is None:
        return {}, None
    per_item = record.per_item
    case_ids = record.item_ids if record.item_ids is not None else [c.id for c in suite.cases]
    items = (
        dict(zip(case_ids, (float(v) for v in per_item), strict=True))
        if len(per_item) == len(case_ids)
        else {}
    )
    chance = None
    metric = record.metric
    if suite.labels and metric in _LABEL_METRICS and suite.cases:
        counts = Counter(show_expected(case.expected) for case in suite.cases)
        share = counts.most_common(1)[0][1] / len(suite.cases)
        if metric == "f1_macro":
            # Always the majority label: its F1 is 2p/(1+p), every other label's is 0.
            chance = (2 * share / (1 + share)) / max(len(suite.labels), 1)
        else:
            chance = share
    return items, chance


def _benchmark_items(record: BenchmarkRecord) -> tuple[dict[str, float], float | None]:
    """Per-question scores of a benchmark metric, and 1/choices for a multiple-choice accuracy
    (the choices counted as the distinct gold answers among its questions: 4 for MMLU)."""
    result = record.task_result
    if result is None:
        return {}, None
    metric = record.metric
    items: dict[str, float] = {}
    targets = set()
    for item_id, item in result.items.items():
        score = item.scores.get(metric)
        if isinstance(score, int | float):  # a bool too: True/False as 1/0
            items[str(item_id)] = float(score)
        targets.add(item.target)
    chance = 1 / len(targets) if metric in _CHOICE_METRICS and len(targets) > 1 else None
    return items, chance
