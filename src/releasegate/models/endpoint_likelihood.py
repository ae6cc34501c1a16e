"""Log-likelihoods through an OpenAI-compatible server: ``/completions`` with ``echo`` and
``logprobs``, where the server returns the prompt's log-probabilities (vLLM does).

What the request holds and how its answer is read; the ``openai`` backend sends it
(:meth:`~releasegate.models.openai.OpenAIBackend.log_likelihoods`) through its one client, so
scoring gets the same retries, run deadline, API-key handling and redaction as answers. Only
text prompts can be scored: the completions route applies no chat template, and the client
cannot render one without the model's tokenizer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..exceptions import BackendError
from .backend import TokenLikelihood

__all__ = ["EchoedLogprobs", "echo_request", "read_echoed", "refusal"]


def refusal(base_url: str, why: str) -> str:
    """Why *base_url* cannot score, and what to use instead."""
    return (
        f"{base_url}: perplexity needs the prompt's log-probabilities from /completions "
        f"(echo + logprobs), and {why}; use a server that returns them (vLLM does), or the hf "
        "backend"
    )


def echo_request(
    base_url: str, model: str, prompt: str, continuation: str
) -> tuple[str, dict[str, Any]]:
    """``(route, body)`` asking for the log-probabilities of *prompt* + *continuation*'s tokens
    (one token generated: the route needs one)."""
    if prompt.startswith('{"messages"'):
        raise BackendError(
            refusal(
                base_url,
                "a chat prompt cannot be sent there (no chat template is applied); set "
                "'prompt: {chat: false}' in the suite's manifest",
            )
        )
    body = {
        "model": model,
        "prompt": prompt + continuation,
        "max_tokens": 1,
        "temperature": 0,
        "echo": True,
        "logprobs": 1,
    }
    return "completions", body


@dataclass(frozen=True)
class EchoedLogprobs:
    """The echoed tokens' character offsets and log-probabilities of one answer."""

    offsets: tuple[int, ...]
    values: tuple[float | None, ...]

    def likelihood(self, base_url: str, start: int, end: int) -> TokenLikelihood:
        """Sum the log-probabilities of the tokens whose text starts within ``[start, end)``
        (the continuation's characters)."""
        if not self.offsets or self.offsets[-1] < start:
            raise BackendError(refusal(base_url, "its reply does not echo the prompt's tokens"))
        picked = [v for o, v in zip(self.offsets, self.values, strict=True) if start <= o < end]
        if any(v is None for v in picked):
            raise BackendError(
                refusal(base_url, "it gave no log-probability for some prompt tokens")
            )
        return TokenLikelihood(float(sum(v for v in picked if v is not None)), len(picked))


def read_echoed(base_url: str, raw: bytes) -> EchoedLogprobs | str:
    """The echoed log-probabilities in a 200 answer, or why it has none."""
    try:
        data = json.loads(raw)
        logprobs = data["choices"][0]["logprobs"]
        offsets = [int(o) for o in logprobs["text_offset"]]
        values = [None if v is None else float(v) for v in logprobs["token_logprobs"]]
    except (ValueError, KeyError, IndexError, TypeError):
        return refusal(base_url, f"its reply has no logprobs: {raw[:200].decode(errors='replace')}")
    if len(offsets) != len(values):
        return refusal(base_url, "its reply's token offsets and log-probabilities differ")
    return EchoedLogprobs(tuple(offsets), tuple(values))
