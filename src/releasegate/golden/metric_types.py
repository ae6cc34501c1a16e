"""What every suite metric is and sees: the scored case, the value, the context, the protocols
(:class:`Metric`, :class:`Decomposable`, :class:`Additive`) and the source a metric is scored
from.

Kept apart from the metrics themselves and from the registry so that a metric kind of another
package (review's human metrics, perplexity's model-scored ones) builds on these alone, and the
registry finds the kind without importing it (:mod:`releasegate.golden.registry`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, cast, runtime_checkable

from ..core.stats import SummedStatistic
from ..exceptions import ConfigError
from .cases import Expected, GoldenCase
from .checks import CheckResult, expected_strings

__all__ = [
    "SOURCES",
    "THRESHOLD_KEYS",
    "UNSTORED_SOURCES",
    "Additive",
    "Decomposable",
    "Metric",
    "MetricContext",
    "MetricSource",
    "MetricValue",
    "ScoredCase",
    "is_additive",
    "mean_of",
    "references_of",
    "sees_variants",
    "source_of",
]

MetricSource = Literal["answers", "model", "reviews", "judge"]
"""Where a metric's value comes from: the answers and their checks' verdicts (every metric of
:mod:`releasegate.golden`), the model's own scores of the references (perplexity), the human
reviews of the answers (the review memory), or a judge model's verdicts on the answers
(:mod:`releasegate.judge`)."""

SOURCES: tuple[MetricSource, ...] = ("answers", "model", "reviews", "judge")
"""Every :data:`MetricSource`, in the order the error message lists them."""

UNSTORED_SOURCES: frozenset[MetricSource] = frozenset({"reviews", "judge"})
"""Sources whose values the baseline file does not keep: a metric of the reviews or of a judge
belongs to the answers it scored, so its no-drop test scores the baseline's answers again (the
reviews of them, found by answer hash; the judge's verdicts on them, cached or judged now) and
pairs them with this run's. A stored value would compare this judge with whichever judge (model,
template, rubric) scored the baseline, and a human value with the reviews of its day."""

THRESHOLD_KEYS = frozenset({"min", "max", "max_drop"})
"""Keys of a metric spec that belong to the gate (``MetricSpec.bar``, the no-drop comparison), not
to the metric."""


@dataclass(frozen=True)
class ScoredCase:
    """What a metric sees of one case, in suite order."""

    case_id: str
    answer: str
    """The model's answer."""
    expected: Expected
    result: CheckResult
    """The verdict of the case's check (label and parsed JSON live in ``result.prediction``)."""
    variant_of: str = ""
    """For a robustness variant: the id of its original case; "" for an original."""
    perturbation: str = ""
    """For a robustness variant: the perturbation that made it; "" for an original."""

    @classmethod
    def of(cls, case: GoldenCase, answer: str, result: CheckResult) -> ScoredCase:
        """*case*'s *answer* with its check's *result* (a variant's origin kept)."""
        return cls(case.id, answer, case.expected, result, case.variant_of, case.perturbation)


@dataclass(frozen=True)
class MetricValue:
    """A metric's value over a suite, with each case's own contribution."""

    value: float
    per_item: tuple[float, ...]
    """Each case's contribution, aligned with the input (1/0 for accuracy, sentence score for a
    corpus metric, field F1 per case); () only where a metric cannot be decomposed."""
    details: Mapping[str, float] = field(default_factory=dict)
    """Extra numbers worth reporting: per-class precision/recall/F1 and support."""
    item_ids: tuple[str, ...] | None = None
    """The case ids ``per_item`` is aligned with, where it is not every case scored (an
    ``assertion_pass_rate`` counts only the cases carrying its assertion); None: every case, in
    the order given. The gate, the baseline and the history pair ``per_item`` with these."""


@dataclass(frozen=True)
class MetricContext:
    """What a metric may need to know about its suite."""

    language: str
    base_dir: Path
    """The manifest's folder: a local ``evaluate`` module path resolves here first."""
    labels: tuple[str, ...] = ()


class Metric(Protocol):
    """A configured metric: called with the suite's scored cases, returns its value."""

    # Read-only members (properties) so frozen dataclasses satisfy the protocol too.
    @property
    def name(self) -> str:
        """Display name including the variant: "accuracy", "f1_macro", "f1[refund]", "rougeL"."""
        ...

    @property
    def higher_is_better(self) -> bool: ...

    @property
    def bounds(self) -> tuple[float, float] | None:
        """(0, 1) for rates and ROUGE, (0, 100) for BLEU/chrF, None if unknown."""
        ...

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue: ...


@runtime_checkable
class Decomposable(Protocol):
    """A metric that is a function of per-case counts summed over the cases (corpus BLEU and
    chrF, precision/recall/F1, field scores): a paired test resamples the counts
    (:class:`~releasegate.core.stats.SummedStatistic`) instead of recomputing the metric."""

    def paired_statistics(
        self, before: Sequence[ScoredCase], now: Sequence[ScoredCase]
    ) -> tuple[SummedStatistic, SummedStatistic]:
        """Per-case counts of two runs on the same cases, scored by one and the same rule (so
        counts mixed from both runs are scored as either run's would be)."""
        ...


@runtime_checkable
class Additive(Protocol):
    """A metric whose value is the mean of its per-case values (accuracy, exact match, ROUGE,
    a mean score): a paired test resamples those values directly. A metric says so by an
    ``additive`` attribute that is true."""

    @property
    def additive(self) -> bool: ...


def is_additive(metric: object) -> bool:
    """Whether *metric* is :class:`Additive` (and says it is)."""
    return isinstance(metric, Additive) and bool(metric.additive)


def source_of(metric: object) -> MetricSource:
    """Where *metric*'s value comes from: the ``source`` it declares (a class attribute), else
    ``"answers"``. The session, the trend rules and the baseline ask this instead of testing a
    metric's class, so no package needs to know another's metric classes."""
    source = getattr(metric, "source", "answers")
    if source not in SOURCES:
        raise ConfigError(
            f"metric {metric!r} declares source {source!r}; a metric's source is one of "
            + ", ".join(f"'{name}'" for name in SOURCES)
        )
    return cast(MetricSource, source)  # one of SOURCES, checked above


def sees_variants(metric: object) -> bool:
    """Whether *metric* reads a suite's robustness variants (it says so: ``sees_variants``, a
    class attribute); every other metric reads the cases as their author wrote them."""
    return bool(getattr(metric, "sees_variants", False))


def mean_of(values: Sequence[float]) -> float:
    """The mean of *values*; 0.0 for none (an empty suite scores 0.0)."""
    return math.fsum(values) / len(values) if values else 0.0


def references_of(case: ScoredCase) -> tuple[str, ...]:
    """The reference texts a text metric scores *case*'s answer against (one empty one if the
    case expects none)."""
    return expected_strings(case.expected) or ("",)
