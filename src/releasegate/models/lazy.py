"""A backend whose weights are loaded only when an answer must be generated.

A re-run whose answers are all cached needs three things from the model: its fingerprint (the
prediction-cache key), each case's rendered prompt (also in the key, and in the report), and its
description (in reports and baselines). None of them needs the weights: the fingerprint is a
digest of the files (remembered per file), and the other two are remembered in the cache folder
the first time a loaded model produces them, keyed by what determines them:

- a rendered prompt by the backend, the digest of every non-weight file of the model folder
  (tokenizer, chat template, config), the transformers version and the prompt itself;
- the description by the fingerprint, the model's name, source and path, the library versions,
  and (its device and dtype part) the requested device and dtype, the worker and the visible GPUs.

Anything missing loads the real backend, once per process, exactly as before; so does the first
``generate``. A fully cached run then imports neither torch nor transformers.

The memo files are JSON, merged under the cache folder's file lock and replaced atomically
(:mod:`releasegate.core.memo`), so any number of xdist workers may add to them at once; an
unreadable file is treated as empty (everything in it is recomputed from the model).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.memo import MemoFile
from ..exceptions import ModelLoadError, ReleasegateError
from .backend import (
    Backend,
    Generation,
    GenerationSettings,
    Prompt,
    TokenLikelihood,
    likelihood_capable,
    lm_eval_capable,
)

__all__ = ["BackendIdentity", "LazyBackend", "prompt_key"]

_VERSION = "releasegate-backend-memo-v1"


@dataclass(frozen=True)
class BackendIdentity:
    """What a backend can tell about its model without loading the weights."""

    name: str
    """The backend's registry name (``hf``)."""
    fingerprint: str
    """The weights' fingerprint, as the loaded backend computes it."""
    description_key: str
    """Determines everything in ``describe()`` except ``device`` and ``dtype``."""
    placement_key: str
    """Determines ``device`` and ``dtype`` (requested device and dtype, worker, visible GPUs)."""
    render_key: str
    """Determines how a prompt is rendered (tokenizer and chat template files, library)."""


def digest(*parts: object) -> str:
    """A short stable digest of JSON-able *parts*."""
    text = json.dumps([_VERSION, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def prompt_key(prompt: Prompt) -> str:
    """The digest of one prompt (messages or text): its key in the render memo."""
    messages = None if prompt.messages is None else [dict(m) for m in prompt.messages]
    return digest(messages, prompt.text)


class LazyBackend:
    """A :class:`~releasegate.models.backend.Backend` that answers from memos and loads the real one
    (through *load*) the first time something is not remembered or an answer is generated."""

    def __init__(
        self,
        identity: BackendIdentity,
        load: Callable[[], Backend],
        *,
        memo_dir: Path,
        placement: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        self.identity = identity
        self.name = identity.name
        self.fingerprint = identity.fingerprint
        self._load = load
        self._placement = placement
        self._real: Backend | None = None
        self._failed: ReleasegateError | None = None
        self._renders = MemoFile(memo_dir / f"rendered-{identity.render_key}.json")
        self._descriptions = MemoFile(memo_dir / f"described-{identity.description_key}.json")

    @property
    def weights_loaded(self) -> bool:
        """Whether this process loaded the model itself."""
        return self._real is not None

    def real(self) -> Backend:
        """The loaded backend (loading it now if needed). A load that failed is not tried
        again: every later call raises the same error at once (a broken checkpoint costs one
        load per process, not one per case, and the end of the run does not retry it)."""
        if self._failed is not None:
            raise self._failed
        if self._real is None:
            try:
                real = self._load()
            except ReleasegateError as exc:
                self._failed = exc
                raise
            if real.fingerprint != self.fingerprint:
                raise ModelLoadError(
                    f"the model's weights changed during the run (fingerprint "
                    f"{self.fingerprint[:12]} when it started, {real.fingerprint[:12]} now); "
                    "run again once the checkpoint is written"
                )
            self._real = real
        return self._real

    def describe(self) -> dict[str, Any]:
        placement_key = f"placement:{self.identity.placement_key}"
        if self._real is None:
            static = self._descriptions.get("static")
            placement = self._descriptions.get(placement_key)
            if isinstance(static, dict) and placement is None and self._placement is not None:
                placement = dict(self._placement())
                self._descriptions.put(placement_key, placement)
            if isinstance(static, dict) and isinstance(placement, dict):
                return {key: placement.get(key, value) for key, value in static.items()}
        described = self.real().describe()
        self._descriptions.put("static", described)
        self._descriptions.put(placement_key, {k: described.get(k) for k in ("device", "dtype")})
        return described

    def render(self, prompt: Prompt) -> str:
        key = prompt_key(prompt)
        known = self._renders.get(key)
        if isinstance(known, str):
            return known
        rendered = self.real().render(prompt)
        self._renders.put(key, rendered)
        return rendered

    def generate(
        self, rendered: Sequence[str], settings: GenerationSettings, *, batch_size: int
    ) -> list[Generation]:
        return self.real().generate(rendered, settings, batch_size=batch_size)

    def log_likelihoods(
        self, requests: Sequence[tuple[str, str]], *, batch_size: int
    ) -> list[TokenLikelihood]:
        """The loaded backend's scores (loading it now): only for what no cache holds."""
        return likelihood_capable(self.real()).log_likelihoods(requests, batch_size=batch_size)

    def lm_eval_model(self, *, batch_size: int) -> Any:
        """The loaded backend's lm-eval model (see :class:`.backend.LMEvalCapable`)."""
        return lm_eval_capable(self.real()).lm_eval_model(batch_size=batch_size)

    def save(self) -> None:
        """Write what this process learnt to the memo files."""
        self._renders.save()
        self._descriptions.save()

    def close(self) -> None:
        self.save()
        if self._real is not None:
            self._real.close()
