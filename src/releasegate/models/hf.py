"""The ``hf`` backend: a transformers model in this process, answering in padded batches.

Prompts are sorted by length before batching so a batch wastes little on padding, padded on the
left so every answer starts right after its prompt, and put back in input order afterwards.
Greedy decoding (the default) gives the same answer whatever the batch size: transformers
derives position ids from the attention mask, so left padding shifts nothing (the batch-size test
in ``tests/models/test_backend_hf.py`` holds this to identical text on the real model).
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

from ..core.devices import device_for_worker
from ..exceptions import BackendError, ConfigError, GenerationInterrupted, ReleasegateError
from .adapters import adapter_base, folder_fingerprint, is_adapter_folder, load_adapted_model
from .backend import (
    Generation,
    GenerationSettings,
    ModelSpec,
    Prompt,
    TokenLikelihood,
)
from .default_model import ensure_default_model, is_default_model
from .fingerprint import hub_snapshot_dir
from .load_errors import load_failure
from .sources import check_model_source

__all__ = ["HFBackend", "resolve_dtype"]

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_dtype(requested: str, device: str) -> torch.dtype:
    """``auto``: float32 on CPU (fast and exact there), bfloat16 on CUDA if the GPU supports it,
    else float16."""
    if requested != "auto":
        return _DTYPES[requested]
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


class HFBackend:
    """A causal language model loaded with transformers (``AutoModelForCausalLM``)."""

    name = "hf"

    def __init__(self, spec: ModelSpec) -> None:
        check_model_source(spec)
        self.spec = spec
        # The device is the caller's choice: the session resolves each xdist worker's device
        # (``gwN`` -> ``cuda:N``) and passes it in the spec; ``auto`` or a bare ``cuda`` from
        # any other caller is resolved as for a single process.
        self.device = device_for_worker(spec.device, None)
        self.dtype = resolve_dtype(spec.dtype, self.device)
        offline = _hub_offline()
        if is_default_model(spec.model):
            self.source, self.path = "default", str(ensure_default_model(spec.cache_dir))
        elif Path(spec.model).expanduser().is_dir():
            self.source, self.path = "folder", str(Path(spec.model).expanduser().resolve())
        else:
            self.source, self.path = "hub", spec.model
        base = None
        if self.source == "folder" and is_adapter_folder(Path(self.path)):
            base = adapter_base(Path(self.path), cache_dir=spec.cache_dir)
        try:
            tokenizer_from = self.path
            if base is not None and not (Path(self.path) / "tokenizer_config.json").is_file():
                tokenizer_from = str(base)  # an adapter saved without its tokenizer
            tokenizer: Any = AutoTokenizer.from_pretrained(
                tokenizer_from, local_files_only=offline, trust_remote_code=False
            )
            if base is not None:
                model: Any = load_adapted_model(
                    Path(self.path), base, dtype=self.dtype, offline=offline
                )
            else:
                model = AutoModelForCausalLM.from_pretrained(
                    self.path, dtype=self.dtype, local_files_only=offline, trust_remote_code=False
                )
        except ReleasegateError:
            raise  # already says what is wrong (an adapter's base, ...)
        except Exception as exc:  # safetensors and torch raise their own types
            hint = " (HF_HUB_OFFLINE is set: only the local cache is used)" if offline else ""
            folder = Path(self.path) if self.source != "hub" else None
            raise load_failure(spec.model, folder, exc, hint=hint) from exc
        folder = Path(self.path) if self.source != "hub" else hub_snapshot_dir(self.path)
        fingerprint = folder_fingerprint(folder, cache_dir=spec.cache_dir)
        self._adopt(model.to(self.device), tokenizer, fingerprint)

    @classmethod
    def from_loaded(cls, model: Any, tokenizer: Any, *, spec: ModelSpec, fingerprint: str) -> Any:
        """A backend around a model already in memory (a model being trained): nothing is
        loaded or copied; the model's device is the backend's. The tokenizer is copied, since
        generation pads on the left and the training loop may pad on the right."""
        import copy

        backend = cls.__new__(cls)
        backend.device = str(next(model.parameters()).device)
        backend.spec = replace(spec, device=backend.device)
        backend.dtype = next(model.parameters()).dtype
        backend.source, backend.path = "memory", spec.model
        backend._adopt(model, copy.deepcopy(tokenizer), fingerprint)
        return backend

    def _adopt(self, model: Any, tokenizer: Any, fingerprint: str) -> None:
        self.tokenizer: Any = tokenizer
        self.model: Any = model.eval()
        self._parameters = sum(p.numel() for p in model.parameters())
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.fingerprint = fingerprint
        self._stop_ids = _stop_token_ids(self.model, self.tokenizer)
        self._bos_prefix = _bos_prefix(self.tokenizer)

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.spec.model,
            "source": self.source,
            "path": self.path,
            "fingerprint": self.fingerprint,
            "device": self.device,
            "dtype": str(self.dtype).removeprefix("torch."),
            "parameters": self._parameters,
            "torch": str(torch.__version__),
            "transformers": transformers.__version__,
        }

    def render(self, prompt: Prompt) -> str:
        """Chat messages through the model's chat template with the generation prompt added;
        plain text as it is, with the BOS token the tokenizer would add made explicit. The result
        is tokenised without adding special tokens, so it is exactly what the model sees."""
        if prompt.messages is None:
            assert prompt.text is not None
            return self._bos_prefix + prompt.text
        if not self.tokenizer.chat_template:
            raise BackendError(
                f"model '{self.spec.model}' has no chat template; set 'prompt: {{chat: false}}' "
                "in the suite's manifest to send plain text"
            )
        rendered = self.tokenizer.apply_chat_template(
            [dict(message) for message in prompt.messages],
            tokenize=False,
            add_generation_prompt=True,
        )
        return str(rendered)

    def generate(
        self, rendered: Sequence[str], settings: GenerationSettings, *, batch_size: int
    ) -> list[Generation]:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        if not rendered:
            return []
        if self.model is None:
            raise BackendError(f"backend for '{self.spec.model}' is closed")
        token_ids = self.tokenizer(list(rendered), add_special_tokens=False)["input_ids"]
        # Longest first: similar lengths share a batch, and running out of memory shows at once.
        order = sorted(range(len(rendered)), key=lambda i: -len(token_ids[i]))
        results: dict[int, Generation] = {}
        try:
            for number, start in enumerate(range(0, len(order), batch_size)):
                indices = order[start : start + batch_size]
                answers = self._generate_batch([token_ids[i] for i in indices], settings, number)
                results.update(zip(indices, answers, strict=True))
        except KeyboardInterrupt as interrupt:  # the sub-batches done so far are kept
            raise GenerationInterrupted(results, str(interrupt)) from interrupt
        return [results[i] for i in range(len(rendered))]

    def _generate_batch(
        self, token_ids: list[list[int]], settings: GenerationSettings, number: int
    ) -> list[Generation]:
        started = time.perf_counter()
        shared = _common_prefix_length(token_ids)
        if len(token_ids) > 1 and shared >= MIN_SHARED_PREFIX:
            inputs = self._with_shared_prefix(token_ids, shared)
        else:
            inputs = self.tokenizer.pad(
                {"input_ids": token_ids}, padding=True, return_tensors="pt"
            ).to(self.device)
        options: dict[str, Any] = {
            "max_new_tokens": settings.max_new_tokens,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": list(self._stop_ids),
        }
        if settings.greedy:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            # top_k=0: only temperature and top_p shape the distribution, as on an
            # OpenAI-compatible server given the same settings.
            options.update(
                do_sample=True, temperature=settings.temperature, top_p=settings.top_p, top_k=0
            )
        try:
            with torch.inference_mode(), self._seeded(settings.seed + number):
                output = self.model.generate(**inputs, **options)
        except RuntimeError as exc:  # out of memory, device errors
            raise BackendError(
                f"generation failed on {self.device} for a batch of {len(token_ids)}: {exc}"
            ) from exc
        new_tokens = output[:, inputs["input_ids"].shape[1] :].tolist()
        seconds = (time.perf_counter() - started) / len(token_ids)
        answers = []
        for tokens in new_tokens:
            count = _length_to_stop(tokens, self._stop_ids)
            text = self.tokenizer.decode(tokens[:count], skip_special_tokens=True)
            answers.append(Generation(text=text, output_tokens=count, seconds=seconds))
        return answers

    def _with_shared_prefix(self, token_ids: list[list[int]], shared: int) -> dict[str, Any]:
        """Inputs whose common prefix (a suite's system prompt) is computed once, not per row.

        The prefix's key/value cache is computed for one row and repeated across the batch; the
        rows' own tails are left-padded after it, with the attention mask hiding the padding, so
        each token keeps the position it has without padding and greedy answers match those of
        plain left padding (tests/models/test_backend_hf.py checks this). Prefill, the costly part
        on a CPU when the system prompt is long, then costs one prefix plus the tails.
        """
        from transformers import DynamicCache

        prefix = token_ids[0][:shared]
        tails = [ids[shared:] for ids in token_ids]
        width = max(len(tail) for tail in tails)
        pad = self.tokenizer.pad_token_id
        rows = [prefix + [pad] * (width - len(tail)) + tail for tail in tails]
        mask = [[1] * shared + [0] * (width - len(tail)) + [1] * len(tail) for tail in tails]
        cache = DynamicCache(config=self.model.config)
        keyword = _cache_keyword(self.model)
        with torch.inference_mode():
            self.model(
                input_ids=torch.tensor([prefix], device=self.device),
                use_cache=True,
                **{keyword: cache},
            )
        cache.batch_repeat_interleave(len(token_ids))
        return {
            "input_ids": torch.tensor(rows, device=self.device),
            "attention_mask": torch.tensor(mask, device=self.device),
            keyword: cache,
        }

    @contextmanager
    def _seeded(self, seed: int) -> Iterator[None]:
        """Seed the sampler without disturbing the caller's random state."""
        devices = [torch.device(self.device).index or 0] if self.device.startswith("cuda") else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield

    def log_likelihoods(
        self, requests: Sequence[tuple[str, str]], *, batch_size: int
    ) -> list[TokenLikelihood]:
        """Each continuation's log-likelihood after its rendered prompt, on this loaded model
        (:mod:`releasegate.models.hf_likelihood`)."""
        if self.model is None:
            raise BackendError(f"backend for '{self.spec.model}' is closed")
        from .hf_likelihood import hf_log_likelihoods

        return hf_log_likelihoods(self.model, self.tokenizer, requests, batch_size=batch_size)

    def lm_eval_model(self, *, batch_size: int) -> Any:
        """This model, already in memory, as an lm-eval model (``HFLM``): no second copy.

        The tokenizer is passed too, or lm-eval would look it up by name (and reach for the
        hub). ``HFLM`` pads its own batches, so the left padding set for generation does not
        change log-likelihoods."""
        if self.model is None:
            raise RuntimeError("the model was closed")
        from lm_eval.models.huggingface import HFLM

        return HFLM(pretrained=self.model, tokenizer=self.tokenizer, batch_size=batch_size)

    def close(self) -> None:
        self.model = None
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()


MIN_SHARED_PREFIX = 32
"""Shortest common prefix (tokens) worth computing once for a whole batch."""


def _common_prefix_length(token_ids: list[list[int]]) -> int:
    """Tokens that every row starts with, keeping at least one token of each row's own."""
    shortest = min(len(ids) for ids in token_ids)
    first = token_ids[0]
    length = 0
    while length < shortest - 1 and all(ids[length] == first[length] for ids in token_ids):
        length += 1
    return length


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _stop_token_ids(model: Any, tokenizer: Any) -> tuple[int, ...]:
    configured = model.generation_config.eos_token_id
    ids = configured if isinstance(configured, list) else [configured]
    ids = [*ids, tokenizer.eos_token_id]
    return tuple(dict.fromkeys(int(i) for i in ids if i is not None))


def _bos_prefix(tokenizer: Any) -> str:
    """The BOS token's text if the tokenizer adds it to plain text by itself, else ''."""
    if tokenizer.bos_token is None:
        return ""
    with_special = tokenizer("x")["input_ids"]
    without = tokenizer("x", add_special_tokens=False)["input_ids"]
    adds_bos = with_special[:1] == [tokenizer.bos_token_id] != without[:1]
    return tokenizer.bos_token if adds_bos else ""


def _length_to_stop(tokens: list[int], stop_ids: tuple[int, ...]) -> int:
    """Tokens generated up to and including the first stop token (padding follows it)."""
    for position, token in enumerate(tokens):
        if token in stop_ids:
            return position + 1
    return len(tokens)


def _cache_keyword(model: Any) -> str:
    """The keyword a model's forward and generate take a key/value cache by: transformers 5.x
    renamed ``past_key_values`` to ``cache`` (the old name warns on every call, then goes);
    older releases, and wrappers whose forward takes ``**kwargs``, know only the old one."""
    try:
        parameters = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return "past_key_values"
    return "cache" if "cache" in parameters else "past_key_values"
