"""The suite metrics of the answers' text against the references: corpus BLEU and chrF
(sacrebleu), ROUGE (rouge-score, CJK-aware tokens) and any Hugging Face ``evaluate`` module.

Each library is imported on first use. An empty suite scores 0.0 on each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.stats import SummedStatistic
from ..exceptions import ConfigError
from .checks import ParamError, as_bool, as_mapping, as_str, param
from .metric_types import MetricValue, ScoredCase, mean_of, references_of
from .textsim import (
    bleu_from_statistics,
    bleu_statistics,
    chrf_from_statistics,
    chrf_statistics,
    corpus_bleu,
    corpus_chrf,
    rouge_scores,
    sentence_bleu,
    sentence_chrf,
)

__all__ = ["CorpusBleu", "CorpusChrf", "EvaluateMetric", "Rouge"]


@dataclass(frozen=True)
class CorpusBleu:
    """Corpus BLEU (0-100) by sacrebleu; ``tokenize="zh"`` for Chinese suites."""

    language: str
    name: str = "bleu"
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 100.0)

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        answers = [case.answer for case in cases]
        refs = [references_of(case) for case in cases]
        per_item = tuple(
            sentence_bleu(a, r, language=self.language) for a, r in zip(answers, refs, strict=True)
        )
        return MetricValue(corpus_bleu(answers, refs, language=self.language), per_item)

    def paired_statistics(
        self, before: Sequence[ScoredCase], now: Sequence[ScoredCase]
    ) -> tuple[SummedStatistic, SummedStatistic]:
        def score(totals: np.ndarray) -> np.ndarray:
            return bleu_from_statistics(totals, language=self.language)

        return tuple(  # type: ignore[return-value]  # two runs, two statistics
            SummedStatistic(
                bleu_statistics(
                    [c.answer for c in run], [references_of(c) for c in run], language=self.language
                ),
                score,
            )
            for run in (before, now)
        )


@dataclass(frozen=True)
class CorpusChrf:
    """Corpus chrF (0-100) by sacrebleu."""

    name: str = "chrf"
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 100.0)

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        answers = [case.answer for case in cases]
        refs = [references_of(case) for case in cases]
        per_item = tuple(sentence_chrf(a, r) for a, r in zip(answers, refs, strict=True))
        return MetricValue(corpus_chrf(answers, refs), per_item)

    def paired_statistics(
        self, before: Sequence[ScoredCase], now: Sequence[ScoredCase]
    ) -> tuple[SummedStatistic, SummedStatistic]:
        return tuple(  # type: ignore[return-value]  # two runs, two statistics
            SummedStatistic(
                chrf_statistics([c.answer for c in run], [references_of(c) for c in run]),
                chrf_from_statistics,
            )
            for run in (before, now)
        )


@dataclass(frozen=True)
class Rouge:
    """Mean over cases of the sentence ROUGE F-measure (best reference), CJK-aware tokens."""

    name: str
    language: str
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 1.0)
    additive: bool = True
    """The value is the mean of ``per_item`` (paired tests resample it directly)."""

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        per_item = tuple(
            rouge_scores(case.answer, references_of(case), language=self.language)[self.name]
            for case in cases
        )
        return MetricValue(mean_of(per_item), per_item)


@dataclass(eq=False, kw_only=True)
class EvaluateMetric:
    """A Hugging Face ``evaluate`` module, loaded on first use (once), computed over all cases.

    ``module`` is a local path (a folder holding ``<name>.py``, or the ``.py`` file), resolved
    against the manifest's folder, or a hub name. Only a local path works offline.
    """

    module: str = param(as_str, required=True)
    key: str = param(as_str, required=True)
    """The key of the module's result that is the metric's value."""
    args: Mapping[str, Any] = param(as_mapping, default={})
    """Keyword arguments of the module's ``compute``."""
    higher_is_better: bool = param(as_bool, default=True)
    base_dir: Path
    """The manifest's folder, where a local module path is looked for first."""
    bounds: tuple[float, float] | None = None
    name: str = field(init=False)
    location: str = field(init=False)
    _loaded: Any = field(init=False, default=None)

    def __post_init__(self) -> None:
        module = self.module
        self.args = dict(self.args)
        local = self.base_dir / module
        looks_local = module.endswith(".py") or module.startswith(".") or Path(module).is_absolute()
        if local.exists():
            self.location = str(local)
        elif Path(module).exists():
            self.location = module
        elif looks_local:
            raise ParamError(f"metric 'evaluate': module '{module}' not found (looked for {local})")
        else:
            self.location = module
        stem = module.rstrip("/").rsplit("/", 1)[-1].removesuffix(".py")
        key = self.key
        self.name = f"evaluate:{stem}" if key == stem else f"evaluate:{stem}[{key}]"

    def __repr__(self) -> str:
        return f"EvaluateMetric(module={self.module!r}, key={self.key!r})"

    def _load(self) -> Any:
        if self._loaded is None:
            import evaluate

            try:
                # keep_in_memory: no cache files, so parallel pytest-xdist workers do not collide.
                self._loaded = evaluate.load(self.location, keep_in_memory=True)
            except Exception as err:  # evaluate raises many kinds: all mean "cannot load it"
                raise ConfigError(
                    f"metric 'evaluate': cannot load module '{self.module}': {err}. A hub name "
                    "needs network access; a local path (a folder with <name>.py next to the "
                    "manifest) works offline."
                ) from err
        return self._loaded

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        if not cases:
            return MetricValue(0.0, ())
        module = self._load()
        result = module.compute(
            predictions=[case.answer for case in cases],
            references=[references_of(case)[0] for case in cases],
            **self.args,
        )
        if not isinstance(result, Mapping) or self.key not in result:
            keys = ", ".join(sorted(map(str, result))) if isinstance(result, Mapping) else "none"
            raise ConfigError(
                f"metric 'evaluate': module '{self.module}' returned no key '{self.key}' "
                f"(its keys: {keys})"
            )
        try:
            value = float(result[self.key])
        except (TypeError, ValueError):
            raise ConfigError(
                f"metric 'evaluate': module '{self.module}' key '{self.key}' is not a number: "
                f"{result[self.key]!r}"
            ) from None
        return MetricValue(value, ())
