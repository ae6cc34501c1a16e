"""releasegate: a pytest-based regression suite for language models.

Golden files become pytest tests, judged by checks, summed up in metrics with bars, and compared
with a reviewed baseline; the pytest exit status is the release gate. The pytest plugin is
registered through the ``pytest11`` entry point; this module exposes the pieces a user may want
to call directly.
"""

from __future__ import annotations

from .config import Settings, load_settings
from .exceptions import (
    BackendError,
    BaselineError,
    ConfigError,
    GoldenFileError,
    ModelLoadError,
    ReleasegateError,
    UnknownNameError,
)
from .gate.baselines import BaselineStore, SuiteBaseline
from .golden.cases import GoldenCase
from .golden.checks import CheckResult, build_check
from .golden.io import load_cases
from .golden.metrics import MetricValue, build_metric
from .golden.suites import Suite, discover_suites, load_suite

__all__ = [
    "BackendError",
    "BaselineError",
    "BaselineStore",
    "CheckResult",
    "ConfigError",
    "GoldenCase",
    "GoldenFileError",
    "MetricValue",
    "ModelLoadError",
    "ReleasegateError",
    "Settings",
    "Suite",
    "SuiteBaseline",
    "UnknownNameError",
    "build_check",
    "build_metric",
    "discover_suites",
    "load_cases",
    "load_settings",
    "load_suite",
]

__version__ = "0.1.0"
