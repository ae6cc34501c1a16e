"""Perplexity: how likely the model finds each case's reference answer, given its prompt.

:mod:`~releasegate.perplexity.scoring` scores references through a backend that can (and
caches the scores); :mod:`~releasegate.perplexity.metrics` holds the suite metrics
``perplexity`` and ``log_likelihood``, which register themselves with golden's metric registry
(entry point ``perplexity`` of ``releasegate.metric_kinds``). Computing log-likelihoods is a
backend's capability and lives with the backends:
:mod:`~releasegate.models.hf_likelihood` (in process) and
:mod:`~releasegate.models.endpoint_likelihood` (through an OpenAI-compatible server).
"""

from .metrics import LogLikelihood, ModelScored, Perplexity, reference_text
from .scoring import LikelihoodBackend, TokenLikelihood

__all__ = [
    "LikelihoodBackend",
    "LogLikelihood",
    "ModelScored",
    "Perplexity",
    "TokenLikelihood",
    "reference_text",
]
