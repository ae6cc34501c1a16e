"""Measuring one streamed chat completion: the request is timed here, not by locust.

Locust's own timing of a streamed response stops when the headers arrive, long before the last
token. :func:`measure_chat_stream` sends the request itself, reads the server-sent events as they
arrive and stamps each network read with ``time.perf_counter()``:

- **TTFT** is the time from sending the request to the first chunk whose delta carries content;
- **ITL** is each gap between consecutive content chunks;
- **end-to-end latency** is the time to the end of the stream (the last byte);
- **TPOT** is ``(e2e - TTFT) / (output_tokens - 1)``, output tokens from ``usage`` when the server
  sends it, else from a tokenizer.

Anything short of a complete stream with content is a failure with a one-line reason, never a
fast success: an HTTP error, a stream cut before its ``finish_reason``/``[DONE]``, an error event
in the stream, no data within the time-out, or a stream without content.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
import urllib3.exceptions

from ..core.display import shorten
from .samples import RequestSample, TokenSource

__all__ = ["StreamAccumulator", "TokenCounter", "chat_url", "measure_chat_stream"]


class TokenCounter(Protocol):
    """Counts tokens when the server sends no ``usage``."""

    def count_text(self, text: str) -> int:
        """Tokens of generated *text*."""
        ...

    def count_prompt(self, messages: Sequence[Mapping[str, str]]) -> int:
        """Tokens of the prompt *messages* after the chat template."""
        ...


@dataclass
class StreamAccumulator:
    """Parses server-sent events fed as ``(bytes, arrival time)`` and keeps what was measured.

    Kept apart from the network so the parsing can be tested on exact bytes and exact times.
    """

    started: float
    """perf_counter() when the request was sent."""
    content_times: list[float] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    done: bool = False
    usage: dict[str, Any] | None = None
    stream_error: str | None = None
    events: int = 0
    _buffer: bytes = b""

    def feed(self, data: bytes, now: float) -> None:
        """Take one network read that arrived at *now*."""
        self._buffer += data
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            self._line(line.strip(), now)

    def close(self, now: float) -> None:
        """The stream ended: a last line without a newline still counts."""
        if self._buffer.strip():
            self._line(self._buffer.strip(), now)
        self._buffer = b""

    def _line(self, line: bytes, now: float) -> None:
        if not line.startswith(b"data:"):
            return  # blank separators, comments (": keep-alive"), event:/id: fields
        payload = line[5:].strip()
        if payload == b"[DONE]":
            self.done = True
            return
        self.events += 1
        try:
            event = json.loads(payload)
        except ValueError:
            self.stream_error = self.stream_error or f"not JSON in the stream: {payload[:80]!r}"
            return
        if not isinstance(event, dict):
            return
        if "error" in event and not event.get("choices"):
            error = event["error"]
            message = error.get("message", error) if isinstance(error, dict) else error
            self.stream_error = self.stream_error or f"server error in the stream: {message}"
            return
        if isinstance(event.get("usage"), dict):
            self.usage = event["usage"]
        for choice in event.get("choices") or ():
            delta = choice.get("delta") or {}
            text = delta.get("content") or delta.get("reasoning_content") or ""
            if text:
                self.content_times.append(now)
                self.pieces.append(text)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]

    @property
    def complete(self) -> bool:
        """A ``finish_reason`` or ``[DONE]`` was seen: the server ended the answer on purpose."""
        return self.done or self.finish_reason is not None

    @property
    def answer(self) -> str:
        return "".join(self.pieces)


def _tokens(
    acc: StreamAccumulator,
    messages: Sequence[Mapping[str, str]],
    counter: TokenCounter | None,
) -> tuple[int | None, int | None, TokenSource]:
    usage = acc.usage or {}
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens")
    if isinstance(completion, int) and completion > 0:
        return (prompt if isinstance(prompt, int) else None), completion, "usage"
    if counter is not None:
        return counter.count_prompt(messages), counter.count_text(acc.answer), "tokenizer"
    return None, len(acc.content_times), "chunks"


def _failure_of(response: requests.Response) -> str:
    try:
        text = response.text
    except requests.RequestException as exc:
        text = f"(body unreadable: {exc})"
    text = shorten(text, 200)
    return f"HTTP {response.status_code}: {text}" if text else f"HTTP {response.status_code}"


def measure_chat_stream(
    session: requests.Session,
    url: str,
    body: Mapping[str, Any],
    *,
    prompt_id: str,
    start_s: float,
    timeout: float,
    counter: TokenCounter | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> RequestSample:
    """Send *body* (a chat completion with ``"stream": true``) to *url* and measure it.

    *start_s* is when the request is sent on the caller's run clock (kept in the sample).
    *timeout* is the most seconds without any data (first byte, or between chunks). Never raises
    for what the server does: every fault becomes a sample with ``ok=False`` and a reason.
    """
    messages: Sequence[Mapping[str, str]] = body.get("messages", ())
    started = clock()
    acc = StreamAccumulator(started=started)
    status: int | None = None

    def failed(reason: str) -> RequestSample:
        return RequestSample(
            prompt_id=prompt_id,
            start_s=start_s,
            ok=False,
            error=reason,
            status=status,
            ttft_ms=(acc.content_times[0] - started) * 1000 if acc.content_times else None,
            e2e_ms=(clock() - started) * 1000,
            content_chunks=len(acc.content_times),
            finish_reason=acc.finish_reason,
            answer=acc.answer,
        )

    try:
        response = session.post(url, json=dict(body), stream=True, timeout=(timeout, timeout))
    except requests.Timeout:
        return failed(f"timeout: no response within {timeout:g} s (no first token)")
    except requests.RequestException as exc:
        return failed(f"connection error: {_one_line(exc)}")
    with response:
        status = response.status_code
        if status != 200:
            return failed(_failure_of(response))
        try:
            for data in _reads(response):
                acc.feed(data, clock())
        except (requests.Timeout, urllib3.exceptions.TimeoutError):
            return failed(
                f"timeout: no data for {timeout:g} s after {len(acc.content_times)} content chunks"
                + ("" if acc.content_times else " (no first token)")
            )
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            return failed(
                f"stream broken after {len(acc.content_times)} content chunks: {_one_line(exc)}"
            )
        ended = clock()
        acc.close(ended)
    if acc.stream_error is not None:
        return failed(acc.stream_error)
    if not acc.complete:
        return failed(
            f"stream cut: it ended after {len(acc.content_times)} content chunks without a "
            "finish_reason or [DONE]"
        )
    if not acc.content_times:
        return failed(f"no content in the stream (finish_reason {acc.finish_reason!r})")
    input_tokens, output_tokens, source = _tokens(acc, messages, counter)
    ttft = acc.content_times[0] - started
    e2e = ended - started
    times = acc.content_times
    itl = tuple((later - earlier) * 1000 for earlier, later in itertools.pairwise(times))
    tpot = None
    if output_tokens is not None and output_tokens > 1:
        tpot = (e2e - ttft) * 1000 / (output_tokens - 1)
    return RequestSample(
        prompt_id=prompt_id,
        start_s=start_s,
        ok=True,
        status=status,
        ttft_ms=ttft * 1000,
        e2e_ms=e2e * 1000,
        tpot_ms=tpot,
        itl_ms=itl,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        token_source=source,
        content_chunks=len(times),
        finish_reason=acc.finish_reason,
        answer=acc.answer,
    )


def chat_url(base_url: str) -> str:
    """``{base_url}/chat/completions``; a bare ``http://host:port`` gets the usual ``/v1``."""
    base = base_url.rstrip("/")
    if "/" not in base.split("://", 1)[-1]:
        base += "/v1"
    return base + "/chat/completions"


def _reads(response: requests.Response) -> Iterable[bytes]:
    """The body as the network delivers it: each read returns what has arrived, never waiting
    to fill a buffer (``read1``), so arrival times are those of the bytes."""
    raw = response.raw
    while True:
        data = raw.read1(65536)
        if not data:
            return
        yield data


def _one_line(exc: BaseException) -> str:
    first = exc.args[0] if exc.args else None
    text = first if isinstance(first, str) and len(exc.args) > 1 else str(exc)
    return shorten(text, 200) or type(exc).__name__
