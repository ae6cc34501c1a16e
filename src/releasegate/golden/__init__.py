"""Golden suites: the case record, reading case files (JSONL, CSV, XLSX) and manifests,
prompting the model, judging one answer (checks) and a whole suite (metrics), and the
text normalisation and similarity those rely on. The metric registry (:mod:`.registry`) also
holds the kinds other packages register (review's human metrics, perplexity's), found through
entry points, so golden imports none of them.
"""

from __future__ import annotations

from .cases import GoldenCase
from .checks import CheckResult, build_check
from .io import load_cases
from .metrics import MetricValue, build_metric
from .suites import Suite, discover_suites, load_suite

__all__ = [
    "CheckResult",
    "GoldenCase",
    "MetricValue",
    "Suite",
    "build_check",
    "build_metric",
    "discover_suites",
    "load_cases",
    "load_suite",
]
