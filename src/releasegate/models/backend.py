"""The model contract: a backend takes a batch of rendered prompts and returns a batch of answers.

Everything else in the engine talks to a model only through :class:`Backend`, so a model run in
process (``hf``) and one behind an OpenAI-compatible server are interchangeable. Heavy backends
are imported only when :func:`~releasegate.models.loading.load_backend` names them, so reading
suites, checking a config or answering ``--help`` never imports torch. Loading by name lives in
:mod:`.loading`, where a model comes from in :mod:`.sources`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..config import DTYPES, EndpointSpec, default_cache_dir
from ..core.devices import parse_device
from ..exceptions import ConfigError
from .messages import ChatMessage

__all__ = [
    "DTYPES",
    "Backend",
    "EndpointSpec",
    "Generation",
    "GenerationSettings",
    "LMEvalCapable",
    "LikelihoodBackend",
    "ModelSpec",
    "Prompt",
    "TokenLikelihood",
    "likelihood_capable",
    "lm_eval_capable",
]


@dataclass(frozen=True)
class GenerationSettings:
    """How answers are generated. Greedy by default, so a re-run gives the same answers."""

    max_new_tokens: int = 64
    """Tokens generated per answer at most."""
    temperature: float = 0.0
    """0 means greedy decoding; above 0, sampling at that temperature."""
    top_p: float = 1.0
    """Nucleus sampling bar; used only when sampling."""
    seed: int = 0
    """Seed of the sampler; used only when sampling."""

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ConfigError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ConfigError(f"temperature must be 0 (greedy) or more, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def as_key(self) -> dict[str, Any]:
        """The settings that can change an answer, as plain JSON data for the prediction cache.

        Greedy decoding ignores ``top_p`` and ``seed``, so they are left out of its key: changing
        the seed of a greedy run reuses its answers instead of regenerating identical ones.
        """
        if self.greedy:
            return {"max_new_tokens": self.max_new_tokens, "temperature": 0.0}
        return {
            "max_new_tokens": self.max_new_tokens,
            "temperature": float(self.temperature),
            "top_p": float(self.top_p),
            "seed": self.seed,
        }


@dataclass(frozen=True)
class Prompt:
    """What to send: chat messages (rendered with the model's chat template) or plain text."""

    messages: tuple[ChatMessage, ...] | None = None
    """A conversation, ``({"role": "user", "content": "..."}, ...)``; the backend applies the
    model's chat template and adds the generation prompt."""
    text: str | None = None
    """Plain text sent as it is."""

    def __post_init__(self) -> None:
        if (self.messages is None) == (self.text is None):
            raise ValueError("a Prompt has exactly one of messages and text")
        if self.messages is not None:
            if not self.messages:
                raise ValueError("a chat Prompt needs at least one message")
            for i, message in enumerate(self.messages):
                if not isinstance(message.get("role"), str) or not isinstance(
                    message.get("content"), str
                ):
                    raise ValueError(
                        f"chat message {i} needs string 'role' and 'content', got {dict(message)}"
                    )


@dataclass(frozen=True)
class Generation:
    """One answer."""

    text: str
    """The decoded new tokens only, special tokens skipped."""
    output_tokens: int
    """Tokens generated, up to and including the first end-of-sequence token."""
    seconds: float
    """Wall time of the batch this answer came from, divided evenly among its answers."""


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
        return math.exp(-self.log_likelihood / self.tokens) if self.tokens else math.nan


@dataclass(frozen=True)
class ModelSpec:
    """The model the user configured."""

    model: str
    """A local folder, a hub id, or an alias of the default model
    (``default_model.DEFAULT_MODEL_ALIASES``)."""
    device: str = "auto"
    """One of :data:`~releasegate.core.devices.DEVICE_CHOICES`."""
    dtype: str = "auto"
    """``auto``, ``float32``, ``bfloat16`` or ``float16``."""
    cache_dir: Path = field(default_factory=default_cache_dir)
    """Where the default model is converted to, and fingerprints are remembered."""
    endpoint: EndpointSpec = field(default_factory=EndpointSpec)
    """How to reach the model when it is served (``openai`` backend); other backends ignore it."""

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ConfigError("model must not be empty")
        parse_device(self.device)
        if self.dtype not in DTYPES:
            raise ConfigError(f"dtype '{self.dtype}' is not one of {', '.join(DTYPES)}")


@runtime_checkable
class Backend(Protocol):
    """A model that answers a batch of prompts. Batch in, batch out."""

    name: str
    """The backend's registry name, e.g. ``hf``."""
    fingerprint: str
    """Hex digest that changes whenever the weights change (part of the prediction-cache key)."""

    def describe(self) -> dict[str, Any]:
        """Model source, resolved path, device, dtype, library versions: for reports."""
        ...

    def render(self, prompt: Prompt) -> str:
        """The exact text the model will see: chat template applied, generation prompt added."""
        ...

    def generate(
        self, rendered: Sequence[str], settings: GenerationSettings, *, batch_size: int
    ) -> list[Generation]:
        """One answer per rendered prompt, in the same order.

        A backend whose prompts succeed or fail one by one (a server, one request each) raises
        :class:`~releasegate.exceptions.PartialBatchError` with the answers it got and why the
        others failed; any other :class:`~releasegate.exceptions.BackendError` fails the batch.
        Interrupted (Ctrl-C), it raises :class:`~releasegate.exceptions.GenerationInterrupted`
        with the answers it already has, which are cached."""
        ...

    def close(self) -> None:
        """Free the model (memory, GPU)."""
        ...


@runtime_checkable
class LMEvalCapable(Protocol):
    """A backend that can hand its model to lm-evaluation-harness (an optional capability):
    ``hf`` the weights already in memory (``HFLM``), ``openai`` the endpoint (lm-eval's API
    model). General benchmarks need it; golden suites do not."""

    def lm_eval_model(self, *, batch_size: int) -> Any:
        """This model as an lm-eval ``LM``, never loaded a second time."""
        ...


def lm_eval_capable(backend: Backend) -> LMEvalCapable:
    """*backend* as :class:`LMEvalCapable`; a :class:`ConfigError` saying what to do when it
    cannot run benchmarks."""
    if not isinstance(backend, LMEvalCapable):
        raise ConfigError(
            f"backend '{backend.name}' cannot run lm-eval benchmarks; use the hf or openai "
            "backend, or remove [tool.releasegate.general] tasks"
        )
    return backend


@runtime_checkable
class LikelihoodBackend(Protocol):
    """A backend that scores continuations (an optional capability): ``hf`` on the weights
    in memory, ``openai`` through ``/completions`` with ``echo`` + ``logprobs`` where the
    server returns the prompt's log-probabilities. The ``perplexity`` metrics need it."""

    def log_likelihoods(
        self, requests: Sequence[tuple[str, str]], *, batch_size: int
    ) -> list[TokenLikelihood]:
        """For each ``(rendered prompt, continuation)``, the continuation's log-likelihood."""
        ...


def likelihood_capable(backend: Backend) -> LikelihoodBackend:
    """*backend* as :class:`LikelihoodBackend`; a :class:`ConfigError` saying what to do when it
    cannot score log-likelihoods."""
    if not isinstance(backend, LikelihoodBackend):
        raise ConfigError(
            f"metric perplexity needs log-likelihoods, and backend '{backend.name}' cannot "
            "compute them; use the hf backend, or an endpoint whose /completions route returns "
            "prompt log-probabilities (echo + logprobs, as vLLM does)"
        )
    return backend
