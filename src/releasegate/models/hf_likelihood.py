"""Log-likelihoods on a transformers model in this process: teacher forcing, prompt masked.

Each request is the rendered prompt's tokens followed by the continuation's (each tokenised on
its own, without special tokens: the rendered prompt already holds them), so the continuation's
tokens are exactly those of the reference answer. One forward pass per batch, left-padded with
position ids that skip the padding, logits computed for the continuation's positions alone,
log-softmax in float32; the log-probabilities of the continuation's tokens are summed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .backend import TokenLikelihood

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
        # Left padding puts every continuation at the end of its row, so only the last positions'
        # logits are computed (a batch of long prompts would otherwise hold the vocabulary's
        # logits for every prompt token); position ids skip the padding.
        keep = max(len(encoded[i][1]) for i in indices) + 1
        ids = torch.tensor([[pad] * (width - len(row)) + row for row in rows], device=device)
        mask = torch.tensor(
            [[0] * (width - len(row)) + [1] * len(row) for row in rows], device=device
        )
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.inference_mode():
            logits = model(
                input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=keep
            ).logits.float()
        logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
        picked = logprobs.gather(-1, ids[:, width - keep + 1 :].unsqueeze(-1)).squeeze(-1)
        for row, i in enumerate(indices):
            target = encoded[i][1]
            # The last len(target) predictions are the continuation's tokens.
            span = picked[row, picked.shape[1] - len(target) :] if target else picked[row, :0]
            results[i] = TokenLikelihood(float(span.double().sum()), len(target))
    return [results[i] for i in range(len(encoded))]
