"""What the load sends: the golden suites' prompts, or synthetic prompts of a controlled length.

Golden prompts are the suites' cases rendered exactly as ``pytest model_tests`` renders them
(system prompt, template), sent as chat messages; each keeps its case and check, so the answers
streamed under load can be judged (after the load, by :func:`judge_samples`). Synthetic prompts
hold ``input_tokens`` tokens of varied filler text (counted with the tokenizer, before the
server's chat template adds its own) and ask for ``output_tokens`` tokens with ``max_tokens``
and, where the server supports it, ``ignore_eos``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..config import Settings
from ..exceptions import ConfigError, ReleasegateError
from ..golden.cases import GoldenCase
from ..golden.checks import Check
from ..golden.prompting import build_prompt
from ..golden.suites import project_suites
from ..models.default_model import ensure_default_model
from .config import PerfConfig
from .samples import RequestSample

__all__ = [
    "HFTokenCounter",
    "PerfPrompt",
    "build_body",
    "golden_prompts",
    "judge_samples",
    "load_prompts",
    "synthetic_prompts",
    "tokenizer_source",
]


@dataclass(frozen=True)
class PerfPrompt:
    """One prompt of the load."""

    id: str
    """``<suite>/<case id>`` or ``synthetic-<n>``."""
    messages: tuple[Mapping[str, str], ...]
    """The chat messages sent."""
    max_tokens: int
    """``max_tokens`` of the request."""
    case: GoldenCase | None = None
    """The golden case, for judging the answer."""
    check: Check | None = None
    """The case's check."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Fields added to this prompt's request body (``ignore_eos``)."""


def golden_prompts(settings: Settings, config: PerfConfig) -> list[PerfPrompt]:
    """Every case of the configured suites, in suite then file order."""
    suites = project_suites(settings, only=config.suites)
    prompts = []
    for suite in suites:
        max_tokens = config.max_tokens or int(
            suite.generation.get("max_new_tokens", settings.max_new_tokens)
        )
        for case in suite.cases:
            prompt = build_prompt(case, suite.prompt)
            if prompt.messages is not None:
                messages = tuple(dict(m) for m in prompt.messages)
            else:
                assert prompt.text is not None
                messages = ({"role": "user", "content": prompt.text},)
            prompts.append(
                PerfPrompt(
                    id=case.key,
                    messages=messages,
                    max_tokens=max_tokens,
                    case=case,
                    check=suite.check_for(case) if config.check_answers else None,
                )
            )
    if not prompts:
        raise ConfigError(
            f"[tool.releasegate.perf] 'prompts': no golden cases found in {settings.golden_dir}; "
            'add a suite or set prompts = "synthetic"'
        )
    return prompts


class HFTokenCounter:
    """Counts tokens with a transformers tokenizer (used when the server sends no usage)."""

    def __init__(self, source: str) -> None:
        self.source = source

    @cached_property
    def tokenizer(self) -> Any:
        from transformers import AutoTokenizer

        try:
            return AutoTokenizer.from_pretrained(self.source)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"[tool.releasegate.perf] 'tokenizer': cannot load a tokenizer from "
                f"{self.source!r} ({exc}); give a local tokenizer folder"
            ) from exc

    def count_text(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def count_prompt(self, messages: Sequence[Mapping[str, str]]) -> int:
        try:
            ids = self.tokenizer.apply_chat_template(
                [dict(m) for m in messages], add_generation_prompt=True, tokenize=True
            )
        except (ValueError, TypeError):  # no chat template: count the plain text
            return sum(self.count_text(m["content"]) for m in messages)
        if isinstance(ids, Mapping):
            ids = ids["input_ids"]
        return len(ids)

    def exact_text(self, tokens: int, rng: random.Random) -> str:
        """Text of *tokens* tokens (re-encoding it gives that count, or within one of it)."""
        words = _FILLER.split()
        pieces: list[str] = []
        ids: list[int] = []
        while len(ids) < tokens + 8:
            pieces.extend(rng.choice(words) for _ in range(64))
            ids = self.tokenizer(" ".join(pieces), add_special_tokens=False)["input_ids"]
        text: str = self.tokenizer.decode(ids[:tokens])
        return text.strip()


def tokenizer_source(settings: Settings, config: PerfConfig) -> str:
    """The configured tokenizer, else the default model's converted folder."""
    if config.tokenizer is not None:
        return config.tokenizer
    try:
        return str(ensure_default_model(settings.cache_dir))
    except ReleasegateError as exc:
        raise ConfigError(
            f"[tool.releasegate.perf] 'tokenizer' is not set and the default model's tokenizer "
            f"is not available ({exc}); set tokenizer to a local tokenizer folder"
        ) from exc


_FILLER = (
    "the shop ships orders within two business days and refunds arrive after the parcel is "
    "checked customers may return lamps chairs and tables in their original packaging a gift "
    "card never expires delivery to islands takes longer please keep the receipt warranty "
    "covers two years of normal use assembly instructions are printed inside the box colour "
    "may differ slightly from the photographs our stores open at nine and close at seven"
)


def synthetic_prompts(
    config: PerfConfig, counter: HFTokenCounter, *, count: int = 64
) -> list[PerfPrompt]:
    """*count* different prompts of ``input_tokens`` tokens each, asking for ``output_tokens``.

    Each begins differently, so a server's prefix cache cannot answer them from one another.
    """
    rng = random.Random(config.seed)
    extra: dict[str, Any] = {"ignore_eos": True} if config.ignore_eos else {}
    prompts = []
    for index in range(count):
        text = counter.exact_text(config.input_tokens, rng)
        prompts.append(
            PerfPrompt(
                id=f"synthetic-{index}",
                messages=({"role": "user", "content": text},),
                max_tokens=config.output_tokens,
                extra=extra,
            )
        )
    return prompts


def load_prompts(
    settings: Settings, config: PerfConfig, counter: HFTokenCounter | None
) -> list[PerfPrompt]:
    """The prompts *config* asks for, shuffled with its seed (golden) or generated (synthetic)."""
    if config.prompts == "synthetic":
        if counter is None:
            raise ConfigError("synthetic prompts need a tokenizer; set tokenizer")
        return synthetic_prompts(config, counter)
    prompts = golden_prompts(settings, config)
    random.Random(config.seed).shuffle(prompts)
    return prompts


def judge_samples(
    samples: Sequence[RequestSample], prompts: Sequence[PerfPrompt]
) -> list[RequestSample]:
    """*samples* with each successful golden answer judged by its case's check."""
    by_id = {prompt.id: prompt for prompt in prompts}
    judged = []
    for sample in samples:
        prompt = by_id.get(sample.prompt_id)
        if sample.ok and prompt is not None and prompt.check is not None and prompt.case:
            verdict = prompt.check(sample.answer, prompt.case.expected)
            sample = sample.with_(check_passed=verdict.passed, check_reason=verdict.reason)
        judged.append(sample)
    return judged


def build_body(
    prompt: PerfPrompt, config: PerfConfig, *, model: str | None, temperature: float
) -> dict[str, Any]:
    """The chat completion request for *prompt*: streamed, usage asked for, greedy by default."""
    body: dict[str, Any] = {
        "messages": [dict(m) for m in prompt.messages],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": prompt.max_tokens,
        "temperature": temperature,
    }
    if model is not None:
        body["model"] = model
    body.update(prompt.extra)
    body.update(config.extra_body)
    return body
