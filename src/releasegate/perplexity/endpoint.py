"""Log-likelihoods through an OpenAI-compatible server: ``/completions`` with ``echo`` and
``logprobs``, where the server returns the prompt's log-probabilities (vLLM does).

Self-contained (plain httpx, one request per item) so it does not depend on how the ``openai``
backend sends its own requests. Only text prompts can be scored: the completions route applies
no chat template, and the client cannot render one without the model's tokenizer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..exceptions import BackendError
from .scoring import TokenLikelihood

__all__ = ["endpoint_log_likelihoods"]


def _refusal(base_url: str, why: str) -> BackendError:
    return BackendError(
        f"{base_url}: perplexity needs the prompt's log-probabilities from /completions "
        f"(echo + logprobs), and {why}; use a server that returns them (vLLM does), or the hf "
        "backend"
    )


def endpoint_log_likelihoods(
    base_url: str,
    model: str,
    requests: Sequence[tuple[str, str]],
    *,
    api_key: str | None = None,
    timeout: float = 120.0,
) -> list[TokenLikelihood]:
    """Each continuation's log-likelihood after its prompt, from the server at *base_url*."""
    import httpx

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    out: list[TokenLikelihood] = []
    with httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout) as client:
        for prompt, continuation in requests:
            if prompt.startswith('{"messages"'):
                raise _refusal(
                    base_url,
                    "a chat prompt cannot be sent there (no chat template is applied); set "
                    "'prompt: {chat: false}' in the suite's manifest",
                )
            body = {
                "model": model,
                "prompt": prompt + continuation,
                "max_tokens": 1,
                "temperature": 0,
                "echo": True,
                "logprobs": 1,
            }
            try:
                response = client.post("/completions", json=body)
            except httpx.HTTPError as exc:
                raise BackendError(f"{base_url}/completions: {exc}") from exc
            if response.status_code != 200:
                raise _refusal(
                    base_url,
                    f"it answered HTTP {response.status_code}: {response.text[:200]}",
                )
            out.append(_score(base_url, response.json(), len(prompt), len(prompt + continuation)))
    return out


def _score(base_url: str, data: Any, start: int, end: int) -> TokenLikelihood:
    """Sum the log-probabilities of the tokens whose text starts within the continuation."""
    try:
        logprobs = data["choices"][0]["logprobs"]
        offsets = logprobs["text_offset"]
        values = logprobs["token_logprobs"]
    except (KeyError, IndexError, TypeError):
        raise _refusal(base_url, f"its reply has no logprobs: {json.dumps(data)[:200]}") from None
    if not offsets or len(offsets) != len(values) or offsets[-1] < start:
        raise _refusal(base_url, "its reply does not echo the prompt's tokens")
    picked = [v for offset, v in zip(offsets, values, strict=True) if start <= offset < end]
    if any(v is None for v in picked):
        raise _refusal(base_url, "it gave no log-probability for some prompt tokens")
    return TokenLikelihood(float(sum(picked)), len(picked))
