"""The release gate: stored baselines (per-case outcomes and per-metric values), the
statistics of paired comparisons, and the verdicts of metric bars and no-drop
comparisons against the baseline.
"""

from __future__ import annotations

from .baselines import BaselineStore, SuiteBaseline

__all__ = [
    "BaselineStore",
    "SuiteBaseline",
]
