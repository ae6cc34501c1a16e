"""Suite metrics: one number over all cases of a suite, chosen by name from :data:`METRICS`.

Every metric also says what each case contributed (``per_item``), so a no-drop comparison with the
baseline can use a paired test on the same items. Scores come from the libraries made for them
(scikit-learn, sacrebleu, rouge-score, Hugging Face ``evaluate``), each imported on first use.

An empty suite scores 0.0 on every built-in metric (there is nothing to average).

This module gathers the names users and tests import; the code lives by concept:
:mod:`.metric_types` (what a metric is and sees, the source it is scored from),
:mod:`.classification` (the checks' verdicts, labels and JSON fields), :mod:`.text_metrics`
(BLEU, chrF, ROUGE, ``evaluate``) and :mod:`.registry` (the names, the kinds other packages
register through entry points, the manifest sections they read).
"""

from __future__ import annotations

from .classification import (
    NO_LABEL,
    Accuracy,
    Classification,
    ExactMatch,
    FieldScore,
    MeanScore,
)
from .metric_types import (
    THRESHOLD_KEYS,
    Additive,
    Decomposable,
    Metric,
    MetricContext,
    MetricSource,
    MetricValue,
    ScoredCase,
    is_additive,
    sees_variants,
    source_of,
)
from .registry import (
    ENTRY_POINT_GROUP,
    METRICS,
    ManifestSection,
    MetricFactory,
    build_metric,
    register_manifest_section,
    register_metric_kind,
)
from .text_metrics import CorpusBleu, CorpusChrf, EvaluateMetric, Rouge

__all__ = [
    "ENTRY_POINT_GROUP",
    "METRICS",
    "NO_LABEL",
    "THRESHOLD_KEYS",
    "Accuracy",
    "Additive",
    "Classification",
    "CorpusBleu",
    "CorpusChrf",
    "Decomposable",
    "EvaluateMetric",
    "ExactMatch",
    "FieldScore",
    "ManifestSection",
    "MeanScore",
    "Metric",
    "MetricContext",
    "MetricFactory",
    "MetricSource",
    "MetricValue",
    "Rouge",
    "ScoredCase",
    "build_metric",
    "is_additive",
    "register_manifest_section",
    "register_metric_kind",
    "sees_variants",
    "source_of",
]
