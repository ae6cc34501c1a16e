"""Scoring references through a backend that can (``LikelihoodBackend``), and the cache of its
scores.

The capability itself is one of the backend's optional Protocols
(:class:`~releasegate.models.backend.LikelihoodBackend`, beside ``LMEvalCapable``). Scores are
cached per model fingerprint, rendered prompt and continuation, like answers, so a re-run does
not load the weights (or call the server) to score what it scored before.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..models.backend import (
    Backend,
    LikelihoodBackend,
    TokenLikelihood,
    likelihood_capable,
)

__all__ = ["LikelihoodBackend", "LikelihoodCache", "TokenLikelihood", "cached_log_likelihoods"]


class LikelihoodCache:
    """Per-item scores on disk, keyed by the model's fingerprint, the rendered prompt and the
    continuation (a JSON memo merged under a lock: xdist workers may add at once)."""

    def __init__(self, cache_dir: Path, fingerprint: str) -> None:
        from ..core.memo import MemoFile

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


def cached_log_likelihoods(
    backend: Backend,
    requests: Sequence[tuple[str, str]],
    *,
    cache_dir: Path,
    batch_size: int,
) -> list[TokenLikelihood]:
    """Each ``(rendered prompt, continuation)``'s log-likelihood: from the cache where scored
    before, else from *backend* in batches (which must be able to score: a
    :class:`~releasegate.exceptions.ConfigError` says what to use otherwise)."""
    cache = LikelihoodCache(cache_dir, backend.fingerprint)
    found = [cache.get(*request) for request in requests]
    missing = [i for i, score in enumerate(found) if score is None]
    if missing:
        scores = likelihood_capable(backend).log_likelihoods(
            [requests[i] for i in missing], batch_size=batch_size
        )
        for i, score in zip(missing, scores, strict=True):
            found[i] = score
            cache.put(*requests[i], score)
        cache.save()
    return [score for score in found if score is not None]
