"""The contract of a backend that can score text, and the cache of its scores.

A backend that can say how likely a continuation is after a prompt implements
:class:`LikelihoodBackend` (a runtime-checkable Protocol: the session asks ``isinstance``, not
``getattr``). Scores are cached per model fingerprint, rendered prompt and continuation, like
answers, so a re-run does not load the weights to score what it scored before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = ["LikelihoodBackend", "LikelihoodCache", "TokenLikelihood"]


@dataclass(frozen=True)
class TokenLikelihood:
    """The log-likelihood of one continuation given its prompt, by teacher forcing."""

    log_likelihood: float
    """Sum of the natural-log probabilities of the continuation's tokens (prompt masked)."""
    tokens: int
    """Tokens in the continuation."""

    @property
    def perplexity(self) -> float:
        """``exp(-log_likelihood / tokens)``: the exponentiated mean negative log-likelihood per
        token, what ``exp(model(input_ids, labels=...).loss)`` gives with the prompt masked."""
        import math

        return math.exp(-self.log_likelihood / self.tokens) if self.tokens else math.nan


@runtime_checkable
class LikelihoodBackend(Protocol):
    """A backend that scores continuations: batch in, batch out."""

    def log_likelihoods(
        self, requests: Sequence[tuple[str, str]], *, batch_size: int
    ) -> list[TokenLikelihood]:
        """For each ``(rendered prompt, continuation)``, the continuation's log-likelihood."""
        ...


class LikelihoodCache:
    """Per-item scores on disk, keyed by the model's fingerprint, the rendered prompt and the
    continuation (a JSON memo merged under a lock: xdist workers may add at once)."""

    def __init__(self, cache_dir: Path, fingerprint: str) -> None:
        from ..models.lazy import MemoFile

        self._memo = MemoFile(cache_dir / "likelihoods" / f"{fingerprint[:32]}.json")

    @staticmethod
    def _key(prompt: str, continuation: str) -> str:
        from ..models.lazy import digest

        return digest(prompt, continuation)

    def get(self, prompt: str, continuation: str) -> TokenLikelihood | None:
        found = self._memo.get(self._key(prompt, continuation))
        if isinstance(found, list) and len(found) == 2:
            return TokenLikelihood(float(found[0]), int(found[1]))
        return None

    def put(self, prompt: str, continuation: str, value: TokenLikelihood) -> None:
        self._memo.put(self._key(prompt, continuation), [value.log_likelihood, value.tokens])

    def save(self) -> None:
        self._memo.save()
