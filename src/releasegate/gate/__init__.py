"""The release gate, every verdict rule: a case's (:mod:`.judging`, the known-failure rule
included), a suite metric's (:mod:`.verdicts`: bars and paired no-drop comparisons,
:mod:`.comparisons`, :mod:`.rule`), a general benchmark's (:mod:`.benchmarks`), which items
moved and which pair with the baseline (:mod:`.pairing`), and what a run leaves as the next
baseline (:mod:`.plan`, the stored baselines in :mod:`.baselines`).

It sits below review, the engine and the benchmarks and imports none of them: a metric that
gates itself (a human review metric) does so through :class:`.verdicts.SelfGatedMetric`.
"""

from __future__ import annotations

from .baselines import BaselineStore, SuiteBaseline

__all__ = [
    "BaselineStore",
    "SuiteBaseline",
]
