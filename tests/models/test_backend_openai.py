"""The openai backend's request handling, against scripted fake servers on loopback.

Each test here shows a fault the real ``transformers serve`` cannot be made to show (see
fake_openai.py); the backend's behaviour against the real server is in tests/models/test_serving.py.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import releasegate
from fake_openai import FakeServer, Received, Reply
from releasegate.exceptions import BackendError, ConfigError, PartialBatchError
from releasegate.models import openai_client as openai_backend
from releasegate.models.backend import EndpointSpec, GenerationSettings, ModelSpec, Prompt
from releasegate.models.loading import load_backend
from releasegate.models.openai import (
    OpenAIBackend,
    cut_at_stop,
    decode_rendered,
    retry_after_seconds,
)
from releasegate.models.openai_transport import _NoServer, probe_get
from releasegate.models.serving import free_port

GREEDY = GenerationSettings(max_new_tokens=12)
CHAT = Prompt(messages=({"role": "user", "content": "Where is my order?"},))


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff steps of ~10 ms, so retry tests take no time (the schedule is tested apart)."""
    monkeypatch.setattr(openai_backend, "BACKOFF_BASE_SECONDS", 0.01)


@contextmanager
def backend_for(
    script: Callable[[int, Received], Reply], tmp_path: Path, **endpoint: Any
) -> Iterator[tuple[OpenAIBackend, FakeServer]]:
    fake = FakeServer(script, models=endpoint.pop("models", None))
    with fake.running() as url:
        spec = ModelSpec(
            model="shop-assistant",
            cache_dir=tmp_path,
            endpoint=EndpointSpec(base_url=url, **endpoint),
        )
        backend = load_backend("openai", spec)
        assert isinstance(backend, OpenAIBackend)
        try:
            yield backend, fake
        finally:
            backend.close()


def ok(n: int, request: Received) -> Reply:
    """Echoes the prompt, so each answer shows which request it belongs to."""
    body = request.body
    return Reply(text="re: " + (body.get("prompt") or body["messages"][-1]["content"]))


def test_chat_prompt_is_sent_as_messages_and_text_as_a_completion(tmp_path: Path) -> None:
    with backend_for(ok, tmp_path) as (backend, fake):
        rendered = [backend.render(CHAT), backend.render(Prompt(text="Q: Hi\nA:"))]
        answers = backend.generate(rendered, GREEDY, batch_size=2)
    assert [a.text for a in answers] == ["re: Where is my order?", "re: Q: Hi\nA:"]
    assert all(a.output_tokens == 3 for a in answers)
    by_path = {r.path: r.body for r in fake.received}
    chat = by_path["/v1/chat/completions"]
    assert chat["messages"] == [{"role": "user", "content": "Where is my order?"}]
    assert chat["model"] == "shop-assistant"
    assert chat["max_tokens"] == 12 and chat["temperature"] == 0.0 and chat["stream"] is False
    assert "seed" not in chat and "top_p" not in chat  # greedy: sampling settings not sent
    assert by_path["/v1/completions"]["prompt"] == "Q: Hi\nA:"


def test_rendered_chat_is_readable_json_that_round_trips() -> None:
    spec = ModelSpec(model="m")
    backend = OpenAIBackend.__new__(OpenAIBackend)
    backend.spec, backend.endpoint, backend.base_url = spec, spec.endpoint, "http://x/v1"
    rendered = backend.render(Prompt(messages=({"role": "user", "content": "退款多久到账"},)))
    assert "退款多久到账" in rendered  # not \\u-escaped: readable in reports
    assert decode_rendered(rendered) == [{"role": "user", "content": "退款多久到账"}]
    assert decode_rendered('{"messages": [1], "x": 2}') is None
    assert decode_rendered("Q: what?") is None


def test_api_completions_refuses_chat_prompts_with_what_to_do(tmp_path: Path) -> None:
    with backend_for(ok, tmp_path, api="completions") as (backend, _):
        with pytest.raises(BackendError, match=r"chat: false.*--api chat"):
            backend.render(CHAT)
        assert backend.render(Prompt(text="plain")) == "plain"


def test_requests_are_in_flight_together_up_to_concurrency(tmp_path: Path) -> None:
    def slow(n: int, request: Received) -> Reply:
        return Reply(text=f"a{n}", delay=0.3)

    with backend_for(slow, tmp_path, concurrency=4) as (backend, fake):
        answers = backend.generate([backend.render(CHAT)] * 8, GREEDY, batch_size=1)
    assert len(answers) == 8
    # Counted by the server, not timed: a wall-clock bar (two waves of 0.3 s) fails on a busy
    # machine; four requests open at once is what concurrency=4 means on any machine.
    assert fake.max_in_flight == 4


def test_429_waits_as_long_as_retry_after_says(tmp_path: Path) -> None:
    def limited(n: int, request: Received) -> Reply:
        if n == 0:
            limited = b'{"error": "rate limited"}'
            return Reply(status=429, body=limited, headers={"Retry-After": "1"})
        return Reply(text="after the wait")

    with backend_for(limited, tmp_path) as (backend, fake):
        started = time.monotonic()
        [answer] = backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
        elapsed = time.monotonic() - started
    assert answer.text == "after the wait"
    assert len(fake.received) == 2
    assert elapsed >= 1.0


def test_retry_after_as_seconds_or_http_date() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(" 0.5 ") == 0.5
    now = 1_800_000_000.0
    date = "Fri, 15 Jan 2027 08:00:10 GMT"  # 1_800_000_010 seconds since the epoch
    assert retry_after_seconds(date, now=now) == pytest.approx(10.0)
    assert retry_after_seconds("Thu, 01 Jan 1970 00:00:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_backoff_grows_exponentially_with_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openai_backend, "BACKOFF_BASE_SECONDS", 0.5)
    steps = [[openai_backend.backoff_seconds(a) for _ in range(200)] for a in range(4)]
    for attempt, values in enumerate(steps):
        ceiling = 0.5 * 2**attempt
        assert all(ceiling * 0.5 <= v <= ceiling for v in values)
        assert len(set(values)) > 100  # jittered, so clients that failed together spread out


def test_500_then_success_is_retried(tmp_path: Path) -> None:
    def flaky(n: int, request: Received) -> Reply:
        return Reply(status=500, body=b"oops") if n < 2 else Reply(text="third time")

    with backend_for(flaky, tmp_path, max_retries=2) as (backend, fake):
        [answer] = backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
    assert answer.text == "third time"
    assert len(fake.received) == 3


def test_a_failing_prompt_fails_alone_and_names_url_and_what_to_do(tmp_path: Path) -> None:
    def one_broken(n: int, request: Received) -> Reply:
        if "broken" in json.dumps(request.body):
            return Reply(status=503, body=b'{"error": "overloaded"}')
        return Reply(text="fine")

    prompts = [Prompt(messages=({"role": "user", "content": c},)) for c in ("a", "broken", "b")]
    with (
        backend_for(one_broken, tmp_path, max_retries=2) as (backend, fake),
        pytest.raises(PartialBatchError) as raised,
    ):
        backend.generate([backend.render(p) for p in prompts], GREEDY, batch_size=3)
    url = backend.base_url
    assert sorted(raised.value.answered) == [0, 2]
    assert raised.value.answered[0].text == "fine"
    reason = raised.value.failures[1]
    assert f"{url}/chat/completions" in reason
    assert "HTTP 503" in reason and "overloaded" in reason and "after 3 attempt(s)" in reason
    assert "--max-retries" in reason
    assert len(fake.received) == 2 + 3


def test_a_client_error_is_not_retried(tmp_path: Path) -> None:
    def pinned(n: int, request: Received) -> Reply:
        return Reply(status=400, body=b'{"detail": "Server is pinned to \'other\'"}')

    with (
        backend_for(pinned, tmp_path) as (backend, fake),
        pytest.raises(PartialBatchError) as raised,
    ):
        backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
    assert len(fake.received) == 1
    assert "HTTP 400" in raised.value.failures[0]
    assert "served_model ('shop-assistant', --served-model)" in raised.value.failures[0]


def test_truncated_body_is_a_dropped_connection_retried(tmp_path: Path) -> None:
    def cut_once(n: int, request: Received) -> Reply:
        return Reply(text="whole", truncate_to=20) if n == 0 else Reply(text="whole")

    with backend_for(cut_once, tmp_path) as (backend, fake):
        [answer] = backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
    assert answer.text == "whole"
    assert len(fake.received) == 2


def test_always_truncated_body_is_an_error(tmp_path: Path) -> None:
    def cut(n: int, request: Received) -> Reply:
        return Reply(text="whole", truncate_to=20)

    with (
        backend_for(cut, tmp_path, max_retries=1) as (backend, fake),
        pytest.raises(PartialBatchError) as raised,
    ):
        backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
    assert "connection dropped" in raised.value.failures[0]
    assert len(fake.received) == 2


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b'{"choices": [{"message": {"content": "cut', "not JSON"),
        (b'{"object": "error"}', "no 'choices' list"),
        (b'{"choices": [{"message": {"content": null}}]}', "choices[0].message.content"),
    ],
)
def test_malformed_response_is_an_error_not_retried(tmp_path: Path, body: bytes, what: str) -> None:
    with (
        backend_for(lambda n, r: Reply(body=body), tmp_path) as (backend, fake),
        pytest.raises(PartialBatchError) as raised,
    ):
        backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
    reason = raised.value.failures[0]
    assert "malformed response" in reason and what in reason and backend.base_url in reason
    assert len(fake.received) == 1


def test_slow_first_byte_times_out_per_request(tmp_path: Path) -> None:
    def stalls(n: int, request: Received) -> Reply:
        return Reply(text="too late", delay=3.0)

    with backend_for(stalls, tmp_path, request_timeout=0.5, max_retries=1) as (backend, fake):
        started = time.monotonic()
        with pytest.raises(PartialBatchError) as raised:
            backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
        elapsed = time.monotonic() - started
    assert "no complete answer within 0.5 s" in raised.value.failures[0]
    assert "--request-timeout" in raised.value.failures[0]
    assert len(fake.received) == 2  # the attempt and its one retry
    # Two attempts waiting out the server's 3 s would take 6 s; the bar leaves a busy machine
    # seconds of slack over the 1 s two time-outs take.
    assert elapsed < 5.0


def test_run_timeout_abandons_what_is_left(tmp_path: Path) -> None:
    def steady(n: int, request: Received) -> Reply:
        return Reply(text=f"a{n}", delay=0.4)

    with (
        backend_for(steady, tmp_path, concurrency=1, run_timeout=1.0) as (backend, _),
        pytest.raises(PartialBatchError) as raised,
    ):
        backend.generate([backend.render(CHAT)] * 6, GREEDY, batch_size=6)
    # Sized by work: of six answers of 0.4 s one after another, at most those the 1 s allows
    # came back (fewer on a busy machine), and the rest were abandoned.
    assert len(raised.value.answered) <= 3
    assert len(raised.value.failures) == 6 - len(raised.value.answered)
    assert all("run_timeout of 1 s is over" in r for r in raised.value.failures.values())


def test_refused_connection_is_reported_at_once_with_the_url(tmp_path: Path) -> None:
    """A closed port: the one fault here that needs no fake (nothing listens)."""
    url = f"http://127.0.0.1:{free_port()}/v1"
    spec = ModelSpec(model="m", cache_dir=tmp_path, endpoint=EndpointSpec(base_url=url))
    started = time.monotonic()
    with pytest.raises(BackendError, match="cannot connect to") as raised:
        load_backend("openai", spec)
    assert time.monotonic() - started < 3
    assert url in str(raised.value) and "Is the server running?" in str(raised.value)


def test_server_gone_mid_run_fails_every_request_fast(tmp_path: Path) -> None:
    fake = FakeServer(ok)
    with fake.running() as url:
        spec = ModelSpec(model="m", cache_dir=tmp_path, endpoint=EndpointSpec(base_url=url))
        backend = load_backend("openai", spec)
    started = time.monotonic()
    with pytest.raises(PartialBatchError) as raised:
        backend.generate([backend.render(CHAT)] * 4, GREEDY, batch_size=4)
    assert time.monotonic() - started < 3  # no backoff ladder for "nobody is there"
    assert len(raised.value.failures) == 4
    expected = f"cannot connect to {url}/chat/completions"
    assert all(expected in reason for reason in raised.value.failures.values())


def test_api_key_is_sent_but_never_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-0123456789abcdef"
    monkeypatch.setenv("SHOP_LLM_KEY", secret)

    def refuses(n: int, request: Received) -> Reply:
        return Reply(status=401, body=json.dumps({"error": f"bad key {secret}"}).encode())

    with (
        backend_for(refuses, tmp_path, api_key_env="SHOP_LLM_KEY") as (backend, fake),
        pytest.raises(PartialBatchError) as raised,
    ):
        backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
    described = json.dumps(backend.describe())
    assert fake.received[0].headers["Authorization"] == f"Bearer {secret}"
    reason = raised.value.failures[0]
    assert secret not in reason and "***" in reason
    assert "SHOP_LLM_KEY" in reason
    assert secret not in described and "$SHOP_LLM_KEY" in described
    assert secret not in backend.fingerprint
    backend._api_key = "sk-another-key"
    assert backend._fingerprint()[0] == backend.fingerprint  # the key plays no part in it


def test_refused_key_at_start_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    models = Reply(status=401, body=b'{"error": "key required"}')
    refused = r"no key was sent: \$OPENAI_API_KEY is not set"
    with pytest.raises(BackendError, match=refused), backend_for(ok, tmp_path, models=models):
        pass


def test_fingerprint_follows_url_model_and_stable_server_facts(tmp_path: Path) -> None:
    def models(created: int, root: str) -> Reply:
        entry = {"id": "shop-assistant", "object": "model", "created": created, "root": root}
        return Reply(body=json.dumps({"object": "list", "data": [entry]}).encode())

    with backend_for(ok, tmp_path, models=models(1, "/ckpt/step-1000")) as (first, _):
        pass
    with backend_for(ok, tmp_path, models=models(2, "/ckpt/step-1000")) as (restarted, _):
        pass
    with backend_for(ok, tmp_path, models=models(3, "/ckpt/step-2000")) as (retrained, _):
        pass
    assert first.server_info == {"models": {"id": "shop-assistant", "root": "/ckpt/step-1000"}}
    # the port differs between fakes, so compare the server facts' part through the digest:
    assert first.fingerprint_source == "endpoint (URL, model name, /models entry)"
    same_url = [b._fingerprint()[0] for b in _at_url(first, restarted, retrained)]
    assert same_url[0] == same_url[1] != same_url[2]
    with backend_for(ok, tmp_path, fingerprint="step-2000") as (a, _):
        pass
    with backend_for(ok, tmp_path, fingerprint="step-2000") as (b, _):
        pass
    assert a.fingerprint == b.fingerprint  # stated by the user: the URL does not matter
    assert a.fingerprint_source == "fingerprint setting"


def _at_url(*backends: OpenAIBackend) -> list[OpenAIBackend]:
    for backend in backends:
        backend.base_url = "http://serving.example/v1"
    return list(backends)


def test_bad_endpoint_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="not an http"):
        EndpointSpec(base_url="localhost:8000/v1")
    with pytest.raises(ConfigError, match="api 'chatty'"):
        EndpointSpec(api="chatty")
    with pytest.raises(ConfigError, match="concurrency"):
        EndpointSpec(concurrency=0)


def test_a_stop_sequence_a_server_returned_is_cut_off_for_benchmarks() -> None:
    """lm-eval's ``until``: the text ends before the first stop sequence, as the API defines
    (``transformers serve`` returns it; the in-process model's text stops before it)."""
    assert cut_at_stop('{"city": "Leeds"}\n\n', ["\n\n"]) == '{"city": "Leeds"}'
    assert cut_at_stop("a. b\n\nc", ["\n\n", "."]) == "a"
    assert cut_at_stop("no stop here", "\n\n") == "no stop here"
    assert cut_at_stop("kept", None) == cut_at_stop("kept", [""]) == "kept"


@contextmanager
def web_server(root: Path) -> Iterator[str]:
    """A real ``python -m http.server`` serving *root* on loopback: a URL that answers HTTP but
    is no OpenAI-compatible API (404 for what is missing, 501 to every POST, HTML pages)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None and time.monotonic() < deadline, "http.server failed"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize(
    ("models_file", "why"),
    [
        (None, "HTTP 404"),
        ("<!DOCTYPE html><html><title>Shop</title><body>Welcome</body></html>", "an HTML page"),
        ("models: none", "not JSON"),
    ],
    ids=["404", "html", "not-json"],
)
def test_a_web_server_is_not_an_api_said_at_once(
    tmp_path: Path, models_file: str | None, why: str
) -> None:
    """``GET /models`` that is missing or is not JSON: no OpenAI-compatible API at the URL."""
    site = tmp_path / "site"
    (site / "v1").mkdir(parents=True)
    if models_file is not None:
        (site / "v1" / "models").write_text(models_file, encoding="utf-8")
    with web_server(site) as url:
        spec = ModelSpec(model="m", cache_dir=tmp_path, endpoint=EndpointSpec(base_url=url))
        started = time.monotonic()
        with pytest.raises(BackendError) as raised:
            load_backend("openai", spec)
        elapsed = time.monotonic() - started
    message = str(raised.value)
    assert f"{url}/models: " in message and why in message
    assert "this URL is not an OpenAI-compatible API" in message and "--base-url" in message
    assert "<" not in message and "max_retries" not in message
    assert elapsed < 5


def test_a_web_server_refusing_posts_is_not_an_api_without_retries(tmp_path: Path) -> None:
    """``/models`` answers (a static file), but the generation route is a 501 HTML page."""
    site = tmp_path / "site"
    (site / "v1").mkdir(parents=True)
    (site / "v1" / "models").write_text('{"object": "list", "data": []}', encoding="utf-8")
    with web_server(site) as url:
        spec = ModelSpec(
            model="m", cache_dir=tmp_path, endpoint=EndpointSpec(base_url=url, max_retries=5)
        )
        backend = load_backend("openai", spec)
        started = time.monotonic()
        try:
            with pytest.raises(PartialBatchError) as raised:
                backend.generate([backend.render(CHAT)] * 2, GREEDY, batch_size=2)
        finally:
            backend.close()
        elapsed = time.monotonic() - started
    for reason in raised.value.failures.values():
        assert f"{url}/chat/completions: HTTP 501 to a POST" in reason
        assert "this URL is not an OpenAI-compatible API" in reason
        assert "<" not in reason and "max_retries" not in reason and "attempt" not in reason
    assert elapsed < 3  # no backoff ladder: five retries would take seconds


def test_an_html_error_page_is_quoted_by_its_text(tmp_path: Path) -> None:
    """A proxy's 502 page while the model server restarts: retried, and quoted without markup."""
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
    with (
        backend_for(lambda n, r: Reply(status=502, body=page), tmp_path, max_retries=1) as (
            backend,
            fake,
        ),
        pytest.raises(PartialBatchError) as raised,
    ):
        backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
    reason = raised.value.failures[0]
    assert "HTTP 502: HTML page: 502 Bad Gateway 502 Bad Gateway" in reason
    assert "<" not in reason and len(fake.received) == 2


def test_an_echoed_key_is_redacted_in_answers_but_a_placeholder_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def echo(n: int, request: Received) -> Reply:
        return Reply(text=f"EMPTY box; you sent {request.headers.get('Authorization')}")

    monkeypatch.setenv("SHOP_LLM_KEY", "sk-test-0123456789abcdef")
    with backend_for(echo, tmp_path, api_key_env="SHOP_LLM_KEY") as (backend, _):
        [answer] = backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
    assert answer.text == "EMPTY box; you sent Bearer ***"
    monkeypatch.setenv("SHOP_LLM_KEY", "EMPTY")  # vLLM's placeholder: no secret to hide
    with backend_for(echo, tmp_path, api_key_env="SHOP_LLM_KEY") as (backend, _):
        [answer] = backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
    assert answer.text == "EMPTY box; you sent Bearer EMPTY"


def test_a_retry_after_longer_than_releasegate_waits_fails_at_once_saying_so(
    tmp_path: Path,
) -> None:
    def closed_for_maintenance(n: int, request: Received) -> Reply:
        return Reply(status=503, body=b'{"error": "maintenance"}', headers={"Retry-After": "600"})

    with (
        backend_for(closed_for_maintenance, tmp_path, max_retries=3) as (backend, fake),
        pytest.raises(PartialBatchError) as raised,
    ):
        backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
    reason = raised.value.failures[0]
    assert f"{backend.base_url}/chat/completions: HTTP 503" in reason
    assert "retry after 600 s (Retry-After)" in reason and "re-run when the server" in reason
    assert len(fake.received) == 1


def test_an_openai_account_in_the_environment_is_not_sent_to_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK reads $OPENAI_API_KEY, $OPENAI_ORG_ID ... by itself; a key for OpenAI must not
    reach a server that api_key_env does not name it for."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-account-0123456789")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-shop")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-shop")
    monkeypatch.delenv("SHOP_LLM_KEY", raising=False)
    with backend_for(ok, tmp_path, api_key_env="SHOP_LLM_KEY") as (backend, fake):
        backend.generate([backend.render(CHAT)], GREEDY, batch_size=1)
    sent = {name.lower(): value for name, value in fake.received[0].headers.items()}
    assert "authorization" not in sent
    assert "openai-organization" not in sent and "openai-project" not in sent
    assert "sk-openai-account" not in json.dumps(sent)


def test_the_models_probe_sends_the_key_and_no_openai_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start-up ``GET /models`` is sent without the SDK's client: it must still carry the
    configured key, and nothing of an OpenAI account the environment holds."""
    secret = "sk-shop-0123456789abcdef"
    monkeypatch.setenv("SHOP_LLM_KEY", secret)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-account-0123456789")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-shop")
    with backend_for(ok, tmp_path, api_key_env="SHOP_LLM_KEY") as (_, fake):
        pass
    (probe,) = fake.probes
    sent = {name.lower(): value for name, value in probe.headers.items()}
    assert probe.path == "/v1/models"
    assert sent["authorization"] == f"Bearer {secret}"
    assert "openai-organization" not in sent and "sk-openai-account" not in json.dumps(sent)


def test_starting_a_backend_imports_neither_the_openai_sdk_nor_httpx2(tmp_path: Path) -> None:
    """A backend that is only started and asked for its fingerprint (a judge whose verdicts
    are all cached) must not pay the SDK's import (about half a second a run); the first
    request imports it. In a fresh interpreter, since this one has imported it already."""
    fake = FakeServer(ok, models=Reply(body=b'{"data": [{"id": "shop-assistant", "root": "r"}]}'))
    script = (
        "import sys\n"
        "from releasegate.models.backend import EndpointSpec, ModelSpec, Prompt, "
        "GenerationSettings\n"
        "from releasegate.models.loading import load_backend\n"
        "spec = ModelSpec(model='shop-assistant', cache_dir=sys.argv[2], "
        "endpoint=EndpointSpec(base_url=sys.argv[1]))\n"
        "backend = load_backend('openai', spec)\n"
        "print(backend.fingerprint_source, backend.server_info)\n"
        "print('sdk after start:', 'openai' in sys.modules or 'httpx2' in sys.modules)\n"
        "print('tls after start:', backend._tls is not None)\n"
        "prompt = backend.render(Prompt(text='hi'))\n"
        "print(backend.generate([prompt], GenerationSettings(max_new_tokens=4), "
        "batch_size=1)[0].text)\n"
        "print('sdk after a request:', 'openai' in sys.modules)\n"
        "backend.close()\n"
    )
    src = str(Path(releasegate.__file__).resolve().parents[1])  # this checkout's, not another
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    with fake.running() as url:
        done = subprocess.run(
            [sys.executable, "-c", script, url, str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert "'root': 'r'" in done.stdout  # the probe read the model's entry
    assert "sdk after start: False" in done.stdout
    assert "tls after start: False" in done.stdout  # http://: no CA bundle read for the probe
    assert "re: hi" in done.stdout and "sdk after a request: True" in done.stdout
    # the probe is the standard library's: neither the SDK nor httpx2 (0.1 s) is imported


def test_the_probe_builds_its_tls_context_only_for_an_https_server(tmp_path: Path) -> None:
    """The probe makes its verifying context when it reaches an ``https://`` server, never for
    an ``http://`` one; here a plain-HTTP server spoken to over TLS, whose failed handshake is
    no server."""
    made: list[ssl.SSLContext] = []

    def tls() -> ssl.SSLContext:
        made.append(ssl.create_default_context())
        return made[-1]

    fake = FakeServer(ok)
    with fake.running() as url:
        status, body = probe_get(f"{url}/models", headers={}, timeout=5.0, tls=tls)
        assert status == 200 and json.loads(body) == {"object": "list", "data": []}
        assert made == []
        secure = url.replace("http://", "https://")
        with pytest.raises(_NoServer):
            probe_get(f"{secure}/models", headers={}, timeout=5.0, tls=tls)
    assert len(made) == 1


def test_the_probe_follows_a_redirect_and_keeps_the_key_on_the_same_origin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redirects are followed as the SDK's client followed them: the key goes along to the same
    server; a ``/models`` that only redirects is given up after a bounded number of hops."""
    monkeypatch.setenv("SHOP_LLM_KEY", "sk-shop-0123456789abcdef")
    entry = b'{"data": [{"id": "shop-assistant", "root": "moved"}]}'
    fake = FakeServer(ok)
    replies = {
        "/v1/models": Reply(status=307, body=b"", headers={"Location": "/v1/models-moved"}),
        "/v1/models-moved": Reply(body=entry),
    }
    plain = fake._handler()

    class Moved(plain):  # type: ignore[misc,valid-type]
        """The fake's handler, with ``/models`` moved (the fake answers one reply to every GET)."""

        def do_GET(self) -> None:
            fake.probes.append(Received(self.path, dict(self.headers), {}))
            self._send(replies[self.path], self.path)  # type: ignore[attr-defined]

    fake._handler = lambda: Moved  # type: ignore[method-assign]
    with fake.running() as url:
        spec = ModelSpec(
            model="shop-assistant",
            cache_dir=tmp_path,
            endpoint=EndpointSpec(base_url=url, api_key_env="SHOP_LLM_KEY"),
        )
        backend = load_backend("openai", spec)
        backend.close()
    assert [p.path for p in fake.probes] == ["/v1/models", "/v1/models-moved"]
    assert all(p.headers["Authorization"].endswith("abcdef") for p in fake.probes)
    assert backend.server_info == {"models": {"id": "shop-assistant", "root": "moved"}}
