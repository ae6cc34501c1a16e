"""Log-likelihoods through an endpoint's /completions (echo + logprobs).

vLLM is not installable on this machine, and ``transformers serve`` returns no prompt
log-probabilities, so the scripted fake server (tests/fake_openai.py) answers as vLLM does:
the prompt echoed as tokens with their log-probabilities and character offsets, then the one
generated token. It also plays a server that ignores echo, for the error.
"""

from __future__ import annotations

import json

import pytest

from fake_openai import FakeServer, Received, Reply
from releasegate.exceptions import BackendError
from releasegate.perplexity.endpoint import endpoint_log_likelihoods

PROMPT, ANSWER = "Q: refund? A:", " in 5 days"


def vllm_like(number: int, received: Received) -> Reply:
    """Echo: tokens of prompt + answer with offsets and log-probs, then one generated token."""
    text = received.body["prompt"]
    pieces = ["Q:", " refund", "?", " A", ":", " in", " 5", " days", " ok"]
    assert "".join(pieces[:-1]) == text
    offsets, position = [], 0
    for piece in pieces:
        offsets.append(position)
        position += len(piece)
    values = [None, -1.0, -0.5, -0.25, -0.125, -2.0, -1.5, -0.5, -0.1]
    body = {
        "choices": [
            {
                "text": text + " ok",
                "logprobs": {"tokens": pieces, "token_logprobs": values, "text_offset": offsets},
            }
        ]
    }
    return Reply(body=json.dumps(body).encode())


def test_sums_the_continuation_tokens_log_probabilities() -> None:
    server = FakeServer(vllm_like)
    with server.running() as base_url:
        (score,) = endpoint_log_likelihoods(base_url, "m", [(PROMPT, ANSWER)])
    assert score.tokens == 3 and score.log_likelihood == -4.0
    (sent,) = server.received
    assert sent.path.endswith("/completions")
    assert sent.body["echo"] is True and sent.body["logprobs"] == 1


def test_a_server_without_prompt_log_probabilities_is_named() -> None:
    server = FakeServer(lambda n, r: Reply(text="plain answer"))
    with server.running() as base_url, pytest.raises(BackendError) as caught:
        endpoint_log_likelihoods(base_url, "m", [(PROMPT, ANSWER)])
    message = str(caught.value)
    assert base_url in message and "echo + logprobs" in message and "vLLM" in message


def test_chat_prompts_are_refused_with_what_to_do() -> None:
    with pytest.raises(BackendError, match=r"prompt: \{chat: false\}"):
        endpoint_log_likelihoods("http://127.0.0.1:9/v1", "m", [('{"messages": []}', "x")])
