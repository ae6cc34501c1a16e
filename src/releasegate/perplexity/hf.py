"""Log-likelihoods on a transformers model in this process: teacher forcing, prompt masked.

Each request is the rendered prompt's tokens followed by the continuation's (each tokenised on
its own, without special tokens: the rendered prompt already holds them), so the continuation's
tokens are exactly those of the reference answer. One forward pass per batch, right-padded
(positions of real tokens are unchanged), log-softmax in float32; the log-probabilities of the
continuation's tokens are summed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .scoring import TokenLikelihood

__all__ = ["hf_log_likelihoods"]


def hf_log_likelihoods(
    model: Any, tokenizer: Any, requests: Sequence[tuple[str, str]], *, batch_size: int
) -> list[TokenLikelihood]:
    import torch

    device = next(model.parameters()).device
    encoded = []
    for prompt, continuation in requests:
        context = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        target = tokenizer(continuation, add_special_tokens=False)["input_ids"]
        encoded.append((context, target))
    order = sorted(range(len(encoded)), key=lambda i: -sum(map(len, encoded[i])))
    results: dict[int, TokenLikelihood] = {}
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        rows = [encoded[i][0] + encoded[i][1] for i in indices]
        width = max(len(row) for row in rows)
        ids = torch.tensor([row + [pad] * (width - len(row)) for row in rows], device=device)
        mask = torch.tensor(
            [[1] * len(row) + [0] * (width - len(row)) for row in rows], device=device
        )
        with torch.inference_mode():
            logits = model(input_ids=ids, attention_mask=mask).logits.float()
        logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
        picked = logprobs.gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
        for row, i in enumerate(indices):
            context, target = encoded[i]
            if not target:
                results[i] = TokenLikelihood(0.0, 0)
                continue
            # Token t is predicted at position t - 1.
            first = len(context) - 1
            span = picked[row, first : first + len(target)]
            results[i] = TokenLikelihood(float(span.double().sum()), len(target))
    return [results[i] for i in range(len(encoded))]
