"""Batch, then assert: answers for golden cases, generated a chunk at a time and cached.

A test per case must not mean a forward pass per case. When a case test asks for its answer,
the whole chunk it belongs to (the cases this worker was scheduled together) is generated in
one batched call, stored in the prediction cache, and served to the chunk's other tests from
memory. A metric test asks for a whole suite and gets the same answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .backends import Backend, GenerationSettings
from .cache import CachedAnswer, PredictionCache, prediction_key
from .cases import GoldenCase
from .prompting import build_prompt
from .suites import Suite

__all__ = ["Prediction", "PredictionService"]


@dataclass(frozen=True)
class Prediction:
    """The model's answer to one case."""

    prompt: str
    """The exact text (chat template applied) the model was given."""
    answer: str
    """What it generated."""
    output_tokens: int
    """Tokens generated."""
    seconds: float
    """Its share of the batch's generation time (0 when served from the cache)."""
    cached: bool
    """True when the answer came from an earlier run's cache."""


class PredictionService:
    """Answers for cases, from memory, the on-disk cache, or one batched generate call per chunk."""

    def __init__(
        self,
        *,
        backend: Callable[[], Backend],
        cache: PredictionCache,
        settings_for: Callable[[Suite], GenerationSettings],
        batch_size: int,
    ) -> None:
        self._backend_factory = backend
        self._backend: Backend | None = None
        self._cache = cache
        self.settings_for = settings_for
        self._batch_size = batch_size
        self._memo: dict[str, Prediction] = {}
        self._rendered: dict[str, str] = {}
        self.generated_cases = 0
        self.generate_seconds = 0.0

    @property
    def backend_loaded(self) -> bool:
        return self._backend is not None

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = self._backend_factory()
        return self._backend

    def rendered_prompt(self, suite: Suite, case: GoldenCase) -> str:
        if case.key not in self._rendered:
            self._rendered[case.key] = self.backend.render(build_prompt(case, suite.prompt))
        return self._rendered[case.key]

    def _key(self, suite: Suite, case: GoldenCase) -> str:
        return prediction_key(
            fingerprint=self.backend.fingerprint,
            backend=self.backend.name,
            settings=self.settings_for(suite).as_key(),
            prompt=self.rendered_prompt(suite, case),
        )

    def remembered(self, case_key: str) -> Prediction | None:
        """The answer already in this process's memory, if any (no cache or model access)."""
        return self._memo.get(case_key)

    def answers(
        self, suite: Suite, cases: Sequence[GoldenCase], *, claim_key: str
    ) -> dict[str, Prediction]:
        """Answers to *cases* (all of one suite) by case key, generating the missing ones
        together under *claim_key* so that no other worker generates them at the same time."""
        out = {case.key: self._memo[case.key] for case in cases if case.key in self._memo}
        missing = [case for case in cases if case.key not in out]
        while missing:
            keys = {case.key: self._key(suite, case) for case in missing}
            stored = self._cache.get_many(keys.values())
            self._remember(suite, missing, keys, stored, cached=True, into=out)
            missing = [case for case in missing if case.key not in out]
            if not missing:
                break
            if self._cache.claim(claim_key):
                try:
                    fresh = self._generate(suite, missing, keys)
                    self._cache.put_many(fresh)
                finally:
                    self._cache.release(claim_key)
                self._remember(suite, missing, keys, fresh, cached=False, into=out)
            else:
                waited = self._cache.wait_for([keys[c.key] for c in missing], claim_key)
                self._remember(suite, missing, keys, waited, cached=False, into=out)
            missing = [case for case in missing if case.key not in out]
        return out

    def _remember(
        self,
        suite: Suite,
        cases: Sequence[GoldenCase],
        keys: Mapping[str, str],
        stored: Mapping[str, CachedAnswer],
        *,
        cached: bool,
        into: dict[str, Prediction],
    ) -> None:
        for case in cases:
            answer = stored.get(keys[case.key])
            if answer is None:
                continue
            from_earlier_run = cached and answer.run_id != self._cache.run_id
            prediction = Prediction(
                prompt=self.rendered_prompt(suite, case),
                answer=answer.answer,
                output_tokens=answer.output_tokens,
                seconds=0.0 if from_earlier_run else answer.seconds,
                cached=from_earlier_run,
            )
            self._memo[case.key] = prediction
            into[case.key] = prediction

    def _generate(
        self, suite: Suite, cases: Sequence[GoldenCase], keys: Mapping[str, str]
    ) -> dict[str, CachedAnswer]:
        prompts = [self.rendered_prompt(suite, case) for case in cases]
        started = time.perf_counter()
        generations = self.backend.generate(
            prompts, self.settings_for(suite), batch_size=self._batch_size
        )
        self.generate_seconds += time.perf_counter() - started
        self.generated_cases += len(cases)
        return {
            keys[case.key]: CachedAnswer(
                answer=generation.text,
                output_tokens=generation.output_tokens,
                seconds=generation.seconds,
                run_id=self._cache.run_id,
            )
            for case, generation in zip(cases, generations, strict=True)
        }
