"""Measuring one streamed chat completion: SSE parsing on exact bytes and times, and every fault
of the timed test server counted as a failure with its reason."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence

import pytest
import requests
from timed_server import TimedServerSpec, timed_server

from releasegate.perf.samples import RequestSample
from releasegate.perf.stream import StreamAccumulator, chat_url, measure_chat_stream

BODY = {"messages": [{"role": "user", "content": "hi"}], "stream": True}


def event(content: str | None = None, *, finish: str | None = None, **extra: object) -> bytes:
    delta = {} if content is None else {"content": content}
    data = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(data)}\n\n".encode()


def test_ttft_counts_from_the_first_chunk_with_content_not_the_first_chunk() -> None:
    acc = StreamAccumulator(started=10.0)
    acc.feed(b'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}\n\n', 10.01)
    acc.feed(event("Hel"), 10.25)
    acc.feed(event("lo") + event(" there"), 10.30)  # two events in one network read
    acc.feed(event(finish="stop", usage={"prompt_tokens": 9, "completion_tokens": 3}), 10.31)
    acc.feed(b"data: [DONE]\n\n", 10.31)
    acc.close(10.32)
    assert acc.content_times == [10.25, 10.30, 10.30]
    assert acc.answer == "Hello there"
    assert acc.complete and acc.finish_reason == "stop"
    assert acc.usage == {"prompt_tokens": 9, "completion_tokens": 3}


def test_events_split_across_reads_and_comments_are_handled() -> None:
    acc = StreamAccumulator(started=0.0)
    whole = b": keep-alive\n\n" + event("a") + event(finish="length")
    acc.feed(whole[:20], 1.0)
    acc.feed(whole[20:41], 2.0)
    acc.feed(whole[41:], 3.0)
    acc.close(3.0)
    assert acc.answer == "a" and acc.finish_reason == "length"
    assert acc.content_times[0] in (2.0, 3.0)  # when its line was complete, never earlier


def test_an_error_event_is_remembered() -> None:
    acc = StreamAccumulator(started=0.0)
    acc.feed(b'data: {"error": "CUDA out of memory"}\n\n', 1.0)
    assert acc.stream_error == "server error in the stream: CUDA out of memory"


def test_chat_url_adds_the_usual_prefix_to_a_bare_host() -> None:
    assert chat_url("http://h:8000") == "http://h:8000/v1/chat/completions"
    assert chat_url("http://h:8000/v1/") == "http://h:8000/v1/chat/completions"
    assert chat_url("https://api.example.com/openai/v1") == (
        "https://api.example.com/openai/v1/chat/completions"
    )


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def measure(
    url: str, session: requests.Session, *, timeout: float = 5.0, **body: object
) -> RequestSample:
    return measure_chat_stream(
        session,
        url + "/chat/completions",
        {**BODY, **body},
        prompt_id="p",
        start_s=0.0,
        timeout=timeout,
    )


def test_a_healthy_stream_is_measured_with_usage(session: requests.Session) -> None:
    spec = TimedServerSpec(ttft_s=0.08, interval_s=0.01, tokens=12)
    with timed_server(spec) as url:
        sample = measure(url, session)
    assert sample.ok and sample.error is None
    assert sample.output_tokens == 12 and sample.input_tokens == 12
    assert sample.token_source == "usage" and sample.content_chunks == 12
    assert len(sample.itl_ms) == 11
    assert sample.ttft_ms is not None and 80 <= sample.ttft_ms < 200
    assert sample.e2e_ms is not None and sample.tpot_ms is not None
    assert sample.tpot_ms == pytest.approx((sample.e2e_ms - sample.ttft_ms) / 11)
    assert sample.answer.startswith("t0 t1 ") and sample.finish_reason == "stop"


class CountingTokenizer:
    def count_text(self, text: str) -> int:
        return len(text.split())

    def count_prompt(self, messages: Sequence[Mapping[str, str]]) -> int:
        return 100


def test_without_usage_a_tokenizer_counts(session: requests.Session) -> None:
    with timed_server(TimedServerSpec(ttft_s=0.01, tokens=5, usage=False)) as url:
        counted = measure_chat_stream(
            session,
            url + "/chat/completions",
            BODY,
            prompt_id="p",
            start_s=0.0,
            timeout=5,
            counter=CountingTokenizer(),
        )
        bare = measure(url, session)
    assert (counted.input_tokens, counted.output_tokens, counted.token_source) == (
        100,
        5,
        "tokenizer",
    )
    assert (bare.input_tokens, bare.output_tokens, bare.token_source) == (None, 5, "chunks")


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("cut", "stream broken after 10 content chunks"),
        ("no_finish", "stream cut: it ended after 10 content chunks without a finish_reason"),
        ("http500", 'HTTP 500: {"error": {"message": "injected failure"}}'),
        ("error_event", "server error in the stream: injected error"),
        ("slow_first_byte", "timeout: no response within 1 s (no first token)"),
    ],
)
def test_faults_are_failures_with_a_reason(
    session: requests.Session, fault: str, reason: str
) -> None:
    spec = TimedServerSpec(ttft_s=0.01, interval_s=0.005, tokens=20, fault=fault, slow_s=3.0)
    with timed_server(spec) as url:
        sample = measure(url, session, timeout=1.0)
    assert not sample.ok
    assert sample.error is not None and sample.error.startswith(reason)
    assert sample.tpot_ms is None and sample.output_tokens is None
    if fault == "slow_first_byte":
        assert sample.e2e_ms is not None and sample.e2e_ms >= 1000  # not a fast success


def test_a_slow_first_byte_within_the_timeout_is_a_slow_success(session: requests.Session) -> None:
    spec = TimedServerSpec(ttft_s=0.01, tokens=3, fault="slow_first_byte", slow_s=0.6)
    with timed_server(spec) as url:
        sample = measure(url, session, timeout=5.0)
    assert sample.ok and sample.ttft_ms is not None and sample.ttft_ms >= 600


def test_an_unreachable_endpoint_is_a_connection_error(session: requests.Session) -> None:
    sample = measure("http://127.0.0.1:9/v1", session, timeout=1.0)
    assert not sample.ok and sample.error is not None
    assert sample.error.startswith("connection error:")
