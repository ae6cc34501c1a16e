"""The suite metrics ``perplexity`` and ``log_likelihood``: scored from the model, not answers.

Per case: the log-likelihood of its reference answer given its prompt exactly as the model sees
it (chat template and system prompt included), by teacher forcing with the prompt's tokens
masked. ``perplexity`` per case is ``exp(-log_likelihood / tokens)``; the suite's value is the
mean over cases (each case weighs the same whatever its length), the token-weighted corpus
perplexity ``exp(-sum LL / sum tokens)`` is in its details. ``log_likelihood`` per case is the
summed log-probability (nats); the suite's value is the mean. Both keep per-item values, so the
no-drop comparison is a paired bootstrap on the same cases (perplexity: lower is better, so
``max_drop`` bounds a rise).

The reference a case is scored on (:func:`reference_text`): its expected text; with several
acceptable answers, the first; a label, the label's text; a JSON object, its canonical JSON
(keys sorted). Keyword lists score the first keyword alone, which is rarely what one means:
use perplexity on suites whose expected values are whole answers.

lm-eval's definitions: its ``perplexity`` (loglikelihood tasks such as LAMBADA) is
``exp(-mean per-document log-likelihood)``, not normalised by tokens: that is
``exp(-value)`` of ``log_likelihood`` here, reported in its details as ``lm_eval_perplexity``.
Its ``word_perplexity``/``byte_perplexity`` (rolling log-likelihood of whole documents, no
prompt) normalise by words or bytes of the text; the per-token perplexity here depends on the
tokenizer and scores the answer only, after a prompt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, runtime_checkable

from ..exceptions import ConfigError
from ..golden.cases import Expected
from ..golden.checks import expected_strings
from ..golden.metric_types import Metric, MetricContext, MetricSource, MetricValue, ScoredCase
from ..golden.registry import register_metric_kind
from ..models.backend import TokenLikelihood

__all__ = ["LogLikelihood", "ModelScored", "Perplexity", "build", "reference_text", "register"]


def reference_text(expected: Expected) -> str:
    """The text a case's perplexity is computed on (see the module docstring)."""
    return (expected_strings(expected) or ("",))[0]


@runtime_checkable
class ModelScored(Protocol):
    """A metric computed from the model's log-likelihood of each case's reference (its
    ``source`` is ``"model"``)."""

    def from_likelihoods(self, scores: Sequence[TokenLikelihood]) -> MetricValue: ...


def _not_from_answers(name: str) -> ConfigError:
    return ConfigError(
        f"metric '{name}' is computed from the model's log-likelihoods of the references, not "
        "from answers; the session scores it (ReleaseSession.evaluate_metric)"
    )


@dataclass(frozen=True)
class Perplexity:
    """Mean per-case perplexity of the reference answers (lower is better)."""

    name: str = "perplexity"
    higher_is_better: bool = False
    bounds: tuple[float, float] | None = None
    additive: bool = True
    """The value is the mean of ``per_item`` (paired tests resample it directly)."""
    source: ClassVar[MetricSource] = "model"
    """Scored from the model's log-likelihoods of the references (the session scores it)."""

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        raise _not_from_answers(self.name)

    def from_likelihoods(self, scores: Sequence[TokenLikelihood]) -> MetricValue:
        per_item = tuple(score.perplexity for score in scores)
        tokens = sum(score.tokens for score in scores)
        total = math.fsum(score.log_likelihood for score in scores)
        details = {
            "corpus_perplexity": math.exp(-total / tokens) if tokens else math.nan,
            "tokens": float(tokens),
        }
        value = math.fsum(per_item) / len(per_item) if per_item else math.nan
        return MetricValue(value, per_item, MappingProxyType(details))


@dataclass(frozen=True)
class LogLikelihood:
    """Mean per-case log-likelihood (nats) of the reference answers (higher is better)."""

    name: str = "log_likelihood"
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = None
    additive: bool = True
    """The value is the mean of ``per_item`` (paired tests resample it directly)."""
    source: ClassVar[MetricSource] = "model"
    """Scored from the model's log-likelihoods of the references (the session scores it)."""

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        raise _not_from_answers(self.name)

    def from_likelihoods(self, scores: Sequence[TokenLikelihood]) -> MetricValue:
        per_item = tuple(score.log_likelihood for score in scores)
        value = math.fsum(per_item) / len(per_item) if per_item else math.nan
        details = {"lm_eval_perplexity": math.exp(-value) if per_item else math.nan}
        return MetricValue(value, per_item, MappingProxyType(details))


def build(name: str, params: Mapping[str, Any], context: MetricContext) -> Any:
    """The metric *name* (``perplexity`` or ``log_likelihood``); neither takes params."""
    if params:
        raise ConfigError(f"metric '{name}' takes no parameters, got {', '.join(params)}")
    return Perplexity() if name == "perplexity" else LogLikelihood()


def _perplexity(params: Mapping[str, Any], context: MetricContext) -> Metric:
    metric: Metric = build("perplexity", params, context)
    return metric


def _log_likelihood(params: Mapping[str, Any], context: MetricContext) -> Metric:
    metric: Metric = build("log_likelihood", params, context)
    return metric


def register() -> None:
    """Register ``perplexity`` and ``log_likelihood`` (the entry point ``perplexity`` of
    ``releasegate.metric_kinds``: the metric registry finds them there without importing this
    package)."""
    register_metric_kind("perplexity", _perplexity)
    register_metric_kind("log_likelihood", _log_likelihood)
