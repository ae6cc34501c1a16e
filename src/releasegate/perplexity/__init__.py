"""Perplexity: how likely the model finds each case's reference answer, given its prompt.

:mod:`~releasegate.perplexity.scoring` holds the backend contract (a backend that can score
log-likelihoods) and the per-item cache; :mod:`~releasegate.perplexity.hf` the in-process
computation; :mod:`~releasegate.perplexity.endpoint` the one through an OpenAI-compatible server;
:mod:`~releasegate.perplexity.metrics` the suite metrics ``perplexity`` and ``log_likelihood``.
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
