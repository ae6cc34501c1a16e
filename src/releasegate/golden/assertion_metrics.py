"""``assertion_pass_rate``: the share of the cases carrying one named assertion whose outcome is
``pass``, a suite metric gated like accuracy (``min``, and ``max_drop`` by the exact McNemar test
on the cases that carry it in both runs).

Why its items are the carriers alone: a must-not that only a third of the suite carries would
otherwise be diluted by the cases that cannot break it (each a free 1), and a paired test would
count them as pairs that never move. So its :class:`~.metric_types.MetricValue` names the cases
its ``per_item`` is aligned with (``item_ids``), and the gate, the baseline and the history pair
by those ids instead of the suite's.

Three outcomes, one rule: an ``unscored`` assertion (it could not be evaluated) is not passed,
so it counts 0, never 1; a suite whose cases carry the name nowhere is refused at load
(:func:`check_assertion_metrics`), and a run that judged none of the carriers gets NaN with no
items (the gate fails it: a metric that read nothing has not passed).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ..exceptions import GoldenFileError
from .check_protocol import CheckResult
from .metric_types import Metric, MetricValue, ScoredCase
from .params import as_str, param

__all__ = [
    "METRIC_NAME",
    "AssertionPassRate",
    "assertion_outcome",
    "check_assertion_metrics",
]

METRIC_NAME = "assertion_pass_rate"
"""The metric's name in a manifest (``metrics: [{name: assertion_pass_rate, assertion: ...}]``)."""


def assertion_outcome(result: CheckResult, name: str) -> str | None:
    """The outcome (``pass``, ``fail``, ``unscored``) of the assertion called *name* in a case's
    *result*; None when the case does not carry it. The parser makes names unique within a case
    (a repeated one becomes ``name #2``); should a result still report one twice, it passes only
    if each passes: a fail wins, then an unscored."""
    outcomes = {o.outcome for o in result.assertions if o.name == name}
    if not outcomes:
        return None
    for outcome in ("fail", "unscored"):
        if outcome in outcomes:
            return outcome
    return "pass"


@dataclass(frozen=True)
class AssertionPassRate:
    """Share of the cases carrying the assertion ``assertion`` whose outcome is ``pass``.

    ``per_item`` is 1/0 per carrier, in suite order, and ``item_ids`` names them; ``details``
    counts the carriers and their outcomes (``cases``, ``passed``, ``failed``, ``unscored``).
    """

    assertion: str = param(as_str, required=True)
    """The assertion's reported name (its ``name:``, else its type and value); the manifest's
    ``assertion:`` (``name:`` is the metric's own)."""
    name: str = ""
    """``assertion_pass_rate[<assertion>]``."""
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 1.0)
    additive: bool = True
    """The value is the mean of ``per_item`` (1/0: the no-drop test is the exact McNemar)."""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", f"{METRIC_NAME}[{self.assertion}]")

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        ids: list[str] = []
        per_item: list[float] = []
        counts = {"pass": 0, "fail": 0, "unscored": 0}
        for case in cases:
            outcome = assertion_outcome(case.result, self.assertion)
            if outcome is None:
                continue
            ids.append(case.case_id)
            per_item.append(1.0 if outcome == "pass" else 0.0)
            counts[outcome] += 1
        details = MappingProxyType(
            {
                "cases": float(len(ids)),
                "passed": float(counts["pass"]),
                "failed": float(counts["fail"]),
                "unscored": float(counts["unscored"]),
            }
        )
        value = math.fsum(per_item) / len(per_item) if per_item else math.nan
        return MetricValue(value, tuple(per_item), details, item_ids=tuple(ids))


def check_assertion_metrics(
    metrics: Sequence[Metric], assertion_names: Sequence[str], manifest_path: Path
) -> None:
    """Refuse a suite whose ``assertion_pass_rate`` names an assertion none of its cases carries
    (*assertion_names*: every name they carry), naming the manifest, the metric's index, the
    name, a close match and the known names. Called by the suite loader once the cases'
    assertions are parsed."""
    for index, metric in enumerate(metrics):
        if not isinstance(metric, AssertionPassRate) or metric.assertion in assertion_names:
            continue
        close = difflib.get_close_matches(metric.assertion, list(assertion_names), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        known = (
            f"The names its cases carry: {', '.join(assertion_names)}."
            if assertion_names
            else "Its cases carry no assertion: add them under 'assert:' (manifest or cases)."
        )
        raise GoldenFileError(
            f"metric '{METRIC_NAME}': no case of the suite carries an assertion named "
            f"'{metric.assertion}'.{hint} {known} Name the assertion with 'name:' where it is "
            "written, or fix 'assertion:' here.",
            path=manifest_path,
            field=f"metrics[{index}].assertion",
        )
