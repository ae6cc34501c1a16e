"""A configured judge: :class:`Judge` scores and compares answers through a model backend, with
its verdict cache; :func:`judge_for` builds the one a suite declares.

The judge model is an ordinary backend (:mod:`releasegate.models.loading`): ``hf`` through the
lazy backend, so a re-run whose verdicts are all cached never loads the weights; ``openai``
through the same client, retries and deadlines as answers, ``concurrency`` requests in flight.
Each prompt is the rendered template sent as one user message. Everything the judge says is
cached by its identity and the exact prompt (:mod:`.cache`) the moment it comes back, so a judge
that fails half-way loses nothing: the verdicts that came back are kept, and the error names the
endpoint (or model) and what to do.

The backend is made when first needed (the identity, a verdict not cached), not by
:func:`judge_for`: a suite whose judge is never asked costs nothing, and a judge endpoint that
is down fails the judge's tests, not the loading of the suite.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from ..config import Settings
from ..exceptions import (
    GenerationInterrupted,
    JudgeError,
    PartialBatchError,
    ReleasegateError,
)
from ..golden.suites import Suite
from ..models.backend import Backend, EndpointSpec, GenerationSettings, ModelSpec, Prompt
from ..models.loading import lazy_backend, load_backend
from ..models.sources import check_model_source
from ..review.rubric import Rubric
from .cache import VerdictCache, verdict_key
from .config import PROJECT_TABLE, JudgeSpec, judge_spec, read_judge_section
from .parsing import parse_pairwise, parse_pointwise
from .prompts import Templates, load_templates, render_rubric, template_language
from .types import JudgeIdentity, Judgment, PairItem, PairJudgment, PointwiseItem

__all__ = ["Judge", "judge_for"]

_OPTIONS = {
    "--base-url": "base_url",
    "--max-retries": "max_retries",
    "--request-timeout": "request_timeout",
}
"""The command-line options a backend's message names (the model under test's), and the judge's
key that does the same for the judge."""

_NO_EXPECTED = {"en": "(none given)", "zh": "（未提供）"}  # noqa: RUF001  (Chinese brackets)


class Judge:
    """A judge model with its rubric, templates and verdict cache (the
    :class:`~releasegate.judge.types.JudgeRunner` the metrics and case checks use)."""

    def __init__(
        self,
        spec: JudgeSpec,
        *,
        rubric: Rubric,
        templates: Templates,
        language: str,
        cache_path: Path,
        load: Callable[[], Backend],
    ) -> None:
        self.spec = spec
        self.templates = templates
        self.language = template_language(language)
        self.cache_path = cache_path
        self._rubric = rubric
        self._rubric_text = render_rubric(rubric, language)
        self._load = load
        self._backend: Backend | None = None
        self._identity: JudgeIdentity | None = None
        self._cache: VerdictCache | None = None
        self._calls = 0
        self._cache_hits = 0

    # -- JudgeRunner --------------------------------------------------------------------------

    @property
    def identity(self) -> JudgeIdentity:
        if self._identity is None:
            self._identity = JudgeIdentity(
                backend=self.spec.backend,
                model=self.spec.model,
                fingerprint=self.backend().fingerprint,
                template_hash=self.templates.hash,
                settings=self.spec.settings_key(),
                rubric_hash=self._rubric.hash,
            )
        return self._identity

    @property
    def rubric(self) -> Rubric:
        return self._rubric

    @property
    def calls(self) -> int:
        return self._calls

    @property
    def cache_hits(self) -> int:
        return self._cache_hits

    def score(self, items: Sequence[PointwiseItem]) -> list[Judgment]:
        texts = [
            self.templates.pointwise.render(
                question=item.question,
                expected=item.expected or _NO_EXPECTED[self.language],
                answer=item.answer,
                rubric=self._rubric_text,
            )
            for item in items
        ]
        return [
            replace(parse_pointwise(output, self._rubric), cached=cached)
            for output, cached in self._outputs(texts)
        ]

    def compare(self, items: Sequence[PairItem]) -> list[PairJudgment]:
        texts = []
        for item in items:
            for first, second in ((item.candidate, item.baseline), (item.baseline, item.candidate)):
                texts.append(
                    self.templates.pairwise.render(
                        question=item.question,
                        expected=item.expected or _NO_EXPECTED[self.language],
                        answer_a=first,
                        answer_b=second,
                        rubric=self._rubric_text,
                    )
                )
        verdicts = [
            replace(parse_pairwise(output), cached=cached)
            for output, cached in self._outputs(texts)
        ]
        return [
            PairJudgment(candidate_first=a, baseline_first=b)
            for a, b in zip(verdicts[::2], verdicts[1::2], strict=True)
        ]

    # -- the model and the cache --------------------------------------------------------------

    @property
    def where(self) -> str:
        """The judge as its errors name it: the endpoint's URL, or the model."""
        if self.spec.backend == "openai":
            return f"the judge endpoint {self.spec.base_url} (model {self.spec.model})"
        return f"the judge model {self.spec.model} (hf)"

    def _advice(self) -> str:
        if self.spec.backend == "openai":
            return (
                f"is the judge server up at {self.spec.base_url} and serving '{self.spec.model}' "
                f"(e.g. vllm serve {self.spec.model})? If it is only slow, raise the judge's "
                f"request_timeout (now {self.spec.request_timeout:g} s) in judge: or "
                f"{PROJECT_TABLE}"
            )
        return f"check the judge's model ('{self.spec.model}') in judge: or {PROJECT_TABLE}"

    def backend(self) -> Backend:
        """The judge's backend, made on first use; a failure is one :class:`JudgeError`."""
        if self._backend is None:
            try:
                self._backend = self._load()
            except JudgeError:
                raise
            except (ReleasegateError, OSError) as err:  # down, not an API, no such model
                raise JudgeError(
                    f"{self.where} cannot be used: {_judge_words(str(err))}; {self._advice()}"
                ) from None
        return self._backend

    def cache(self) -> VerdictCache:
        if self._cache is None:
            self._cache = VerdictCache(self.cache_path)
        return self._cache

    def _render(self, text: str) -> str:
        backend = self.backend()  # its own JudgeError (down, no such model) says it all
        try:
            return backend.render(Prompt(messages=({"role": "user", "content": text},)))
        except ReleasegateError as err:  # a chat prompt the endpoint cannot take, no tokenizer
            raise JudgeError(f"{self.where}: {_judge_words(str(err))}; {self._advice()}") from None

    def _outputs(self, texts: Sequence[str]) -> list[tuple[str, bool]]:
        """The judge's output for each prompt text, and whether it came from the cache: what is
        not cached is asked in one generate call and cached as soon as it comes back."""
        if not texts:
            return []
        rendered = [self._render(text) for text in texts]
        save = getattr(self.backend(), "save", None)
        if callable(save):  # the lazy backend's render memo: a re-run renders without weights
            save()
        identity = self.identity.key
        keys = [verdict_key(identity, prompt) for prompt in rendered]
        cache = self.cache()
        found = cache.get_many(keys)
        cached = [key in found for key in keys]
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        self._cache_hits += sum(cached)
        if missing:
            prompt_of = dict(zip(keys, rendered, strict=True))
            prompts = [prompt_of[key] for key in missing]
            found.update(self._generate(identity, missing, prompts))
        return [(found[key], hit) for key, hit in zip(keys, cached, strict=True)]

    def _generate(self, identity: str, keys: list[str], prompts: list[str]) -> dict[str, str]:
        spec = self.spec
        settings = GenerationSettings(
            max_new_tokens=spec.max_new_tokens, temperature=spec.temperature, seed=spec.seed
        )
        backend = self.backend()
        self._calls += len(prompts)
        try:
            generations = backend.generate(prompts, settings, batch_size=spec.batch_size)
        except PartialBatchError as err:
            kept = {keys[i]: g.text for i, g in err.answered.items()}
            self.cache().put_many(identity, kept)
            first = _judge_words(err.failures[min(err.failures)])
            came_back = (
                f"the {len(kept)} verdicts that came back are cached" if kept else "none came back"
            )
            raise JudgeError(
                f"{len(err.failures)} of {len(prompts)} requests to {self.where} failed "
                f"(first: {first}); {came_back}; {self._advice()}"
            ) from None
        except GenerationInterrupted as interrupt:
            self.cache().put_many(
                identity, {keys[i]: g.text for i, g in interrupt.answered.items()}
            )
            raise
        except ReleasegateError as err:  # the batch failed, or the weights could not load
            raise JudgeError(
                f"{self.where} failed: {_judge_words(str(err))}; {self._advice()}"
            ) from None
        outputs = {key: g.text for key, g in zip(keys, generations, strict=True)}
        self.cache().put_many(identity, outputs)
        return outputs

    def close(self) -> None:
        """Close the verdict cache and the judge's own backend (never the session's)."""
        if self._cache is not None:
            self._cache.close()
            self._cache = None
        if self._backend is not None and getattr(self._load, "owns_backend", True):
            self._backend.close()
        self._backend = None


def _judge_words(message: str) -> str:
    """A backend's message with its command-line options named as the judge's keys."""
    for option, key in _OPTIONS.items():
        message = message.replace(f"({option})", f"(the judge's {key})")
        message = message.replace(option, f"the judge's {key}")
    return message


def judge_for(
    suite: Suite, settings: Settings, *, root: Path, backend: Backend | None = None
) -> Judge | None:
    """The judge *suite* declares (its manifest's ``judge:`` over the project's
    ``[tool.releasegate.judge]``), or None when neither does. *backend*, the session's model,
    is reused when it is the judge's model (the same fingerprint), never loaded twice.
    Configuration errors (a template, an incomplete judge) are raised here, before anything is
    judged; the judge model itself is reached only when first needed."""
    project = read_judge_section(
        settings.judge, where=f"{root / 'pyproject.toml'} {PROJECT_TABLE}", base_dir=root
    )
    spec = judge_spec(project, suite.judge, settings)
    if spec is None:
        return None
    rubric = spec.rubric or suite.rubric
    templates = load_templates(
        suite.language, pointwise=spec.template, pairwise=spec.pairwise_template
    )
    return Judge(
        spec,
        rubric=rubric,
        templates=templates,
        language=suite.language,
        cache_path=settings.cache_dir / "judge" / "verdicts.sqlite",
        load=_Loader(spec, settings, backend),
    )


class _Loader:
    """Makes the judge's backend, or hands over the session's when it is the same model."""

    def __init__(self, spec: JudgeSpec, settings: Settings, session: Backend | None) -> None:
        self.spec, self.settings, self.session = spec, settings, session
        self.owns_backend = True

    def __call__(self) -> Backend:
        spec, settings = self.spec, self.settings
        if spec.backend == "openai":
            assert spec.base_url is not None  # judge_spec requires it
            session = self.session
            if (
                session is not None
                and session.name == "openai"
                and getattr(session, "base_url", None) == spec.base_url.rstrip("/")
                and getattr(session, "model_name", None) == (spec.served_model or spec.model)
            ):
                self.owns_backend = False
                return session
            endpoint = EndpointSpec(
                base_url=spec.base_url,
                served_model=spec.served_model,
                api_key_env=spec.api_key_env,
                concurrency=spec.concurrency,
                request_timeout=spec.request_timeout,
                max_retries=spec.max_retries,
            )
            model = ModelSpec(spec.model, cache_dir=settings.cache_dir, endpoint=endpoint)
            return load_backend("openai", model)
        model = ModelSpec(
            spec.model, device=settings.device, dtype=settings.dtype, cache_dir=settings.cache_dir
        )
        check_model_source(model)  # a folder that is not there: one error, before torch
        own = lazy_backend(
            "hf",
            model,
            worker_id=os.environ.get("PYTEST_XDIST_WORKER"),
            load=lambda: load_backend("hf", model),
        )
        if self.session is not None and self.session.fingerprint == own.fingerprint:
            own.close()  # nothing loaded yet: the lazy backend only read its memos
            self.owns_backend = False
            return self.session
        return own
