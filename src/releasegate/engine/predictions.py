"""Batch, then assert: answers for golden cases, generated a chunk at a time and cached.

A test per case must not mean a forward pass per case. When a case test asks for its answer,
the whole chunk it belongs to (the cases this worker was scheduled together) is generated in
one batched call, stored in the prediction cache, and served to the chunk's other tests from
memory. A metric test asks for a whole suite and gets the same answers.

A case whose request failed (a backend raising :class:`PartialBatchError` for it, or failing its
whole batch) has no answer: it is remembered as failed for the rest of this process, so its test
is an error with the reason, and it is not cached, so the next run asks again. An interrupted
chunk (Ctrl-C, SIGTERM) caches the answers that had come back before the interrupt goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..core.progress import progress
from ..core.records import Prediction
from ..exceptions import BackendError, GenerationInterrupted, PartialBatchError, ReleasegateError
from ..golden.cases import GoldenCase
from ..golden.prompting import build_prompt
from ..golden.suites import Suite
from ..models.backend import Backend, Generation, GenerationSettings
from .cache import CachedAnswer, PredictionCache, prediction_key

__all__ = ["CaseNotAnswered", "PredictionService"]


class CaseNotAnswered(BackendError):
    """A case got no answer because its request (or its batch) failed: an error, not a verdict."""

    def __init__(self, case: GoldenCase, reason: str) -> None:
        self.case_key = case.key
        self.reason = reason
        where = f" ({case.source})" if case.source else ""
        super().__init__(
            f"{case.key}{where}: no answer, not judged: {reason}. The case is not cached; "
            "re-run it once the cause is fixed (pytest --lf)"
        )


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
        self._backend_error: ReleasegateError | None = None
        self._cache = cache
        self.settings_for = settings_for
        self._batch_size = batch_size
        self._memo: dict[str, Prediction] = {}
        self._rendered: dict[str, str] = {}
        self._failed: dict[str, CaseNotAnswered] = {}

    @property
    def backend_loaded(self) -> bool:
        return self._backend is not None

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            if self._backend_error is not None:
                raise self._backend_error  # failed once: every case gets the same error at once
            try:
                self._backend = self._backend_factory()
            except ReleasegateError as exc:
                self._backend_error = exc
                raise
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

    def failure(self, case_key: str) -> CaseNotAnswered | None:
        """Why this process could not answer the case, if it tried and failed."""
        return self._failed.get(case_key)

    def answers(
        self, suite: Suite, cases: Sequence[GoldenCase], *, claim_key: str
    ) -> dict[str, Prediction]:
        """Answers to *cases* (all of one suite) by case key, generating the missing ones
        together under *claim_key* so that no other worker generates them at the same time.
        Cases whose request failed are left out (see :meth:`failure`)."""
        out = {case.key: self._memo[case.key] for case in cases if case.key in self._memo}
        missing = [case for case in cases if case.key not in out and case.key not in self._failed]
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
            missing = [c for c in missing if c.key not in out and c.key not in self._failed]
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
        """Answers of the cases that got one; the others are recorded in ``_failed``."""
        prompts = [self.rendered_prompt(suite, case) for case in cases]
        # The user sees the chunk's step while the model works and its line when the answers
        # are back (generation is the longest wait of a run).
        with progress(f"generating {suite.name}", total=len(cases)) as step:
            try:
                generations = dict(
                    enumerate(
                        self.backend.generate(
                            prompts, self.settings_for(suite), batch_size=self._batch_size
                        )
                    )
                )
                failures: dict[int, str] = {}
            except PartialBatchError as exc:
                generations, failures = exc.answered, exc.failures
            except BackendError as exc:
                generations, failures = {}, dict.fromkeys(range(len(cases)), str(exc))
            except GenerationInterrupted as interrupted:
                self._cache.put_many(self._to_cache(cases, keys, interrupted.answered))
                step.advance(len(interrupted.answered))
                raise
            step.advance(len(generations))
        for index, reason in failures.items():
            self._failed[cases[index].key] = CaseNotAnswered(cases[index], reason)
        return self._to_cache(cases, keys, generations)

    def _to_cache(
        self,
        cases: Sequence[GoldenCase],
        keys: Mapping[str, str],
        generations: Mapping[int, Generation],
    ) -> dict[str, CachedAnswer]:
        """The batch's *generations* (by index into *cases*) as the cache stores them."""
        return {
            keys[cases[index].key]: CachedAnswer(
                answer=generation.text,
                output_tokens=generation.output_tokens,
                seconds=generation.seconds,
                run_id=self._cache.run_id,
            )
            for index, generation in generations.items()
        }
