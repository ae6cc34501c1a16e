"""Log-likelihoods through an endpoint's /completions (echo + logprobs), sent by the openai
backend's one client.

vLLM is not installable on this machine, and ``transformers serve`` returns no prompt
log-probabilities, so the scripted fake server (tests/fake_openai.py) answers as vLLM does:
the prompt echoed as tokens with their log-probabilities and character offsets, then the one
generated token. It also plays a server that ignores echo, and one that fails, for the errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fake_openai import FakeServer, Received, Reply
from releasegate.config import EndpointSpec
from releasegate.exceptions import BackendError
from releasegate.models import openai_client as openai_backend
from releasegate.models.backend import LikelihoodBackend, ModelSpec
from releasegate.models.loading import load_backend

PROMPT, ANSWER = "Q: refund? A:", " in 5 days"


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff steps of ~10 ms, so the retry of a 503 takes no time."""
    monkeypatch.setattr(openai_backend, "BACKOFF_BASE_SECONDS", 0.01)


@contextmanager
def scorer(
    script: Callable[[int, Received], Reply], tmp_path: Path
) -> Iterator[tuple[LikelihoodBackend, FakeServer, str]]:
    fake = FakeServer(script)
    with fake.running() as url:
        spec = ModelSpec(model="m", cache_dir=tmp_path, endpoint=EndpointSpec(base_url=url))
        backend = load_backend("openai", spec)
        assert isinstance(backend, LikelihoodBackend)
        try:
            yield backend, fake, url
        finally:
            backend.close()


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


def test_sums_the_continuation_tokens_log_probabilities(tmp_path: Path) -> None:
    with scorer(vllm_like, tmp_path) as (backend, server, _):
        (score,) = backend.log_likelihoods([(PROMPT, ANSWER)], batch_size=8)
    assert score.tokens == 3 and score.log_likelihood == -4.0
    (sent,) = server.received
    assert sent.path.endswith("/completions")
    assert sent.body["echo"] is True and sent.body["logprobs"] == 1


def test_a_failing_request_is_retried_like_an_answer(tmp_path: Path) -> None:
    def flaky(number: int, received: Received) -> Reply:
        return Reply(status=503, text="busy") if number == 0 else vllm_like(number, received)

    with scorer(flaky, tmp_path) as (backend, server, _):
        (score,) = backend.log_likelihoods([(PROMPT, ANSWER)], batch_size=8)
    assert score.log_likelihood == -4.0 and len(server.received) == 2


def test_a_server_without_prompt_log_probabilities_is_named(tmp_path: Path) -> None:
    with (
        scorer(lambda n, r: Reply(text="plain answer"), tmp_path) as (backend, _, url),
        pytest.raises(BackendError) as caught,
    ):
        backend.log_likelihoods([(PROMPT, ANSWER)], batch_size=8)
    message = str(caught.value)
    assert url in message and "echo + logprobs" in message and "vLLM" in message


def test_chat_prompts_are_refused_with_what_to_do(tmp_path: Path) -> None:
    with (
        scorer(vllm_like, tmp_path) as (backend, server, _),
        pytest.raises(BackendError, match=r"prompt: \{chat: false\}"),
    ):
        backend.log_likelihoods([('{"messages": []}', "x")], batch_size=8)
    assert server.received == []
