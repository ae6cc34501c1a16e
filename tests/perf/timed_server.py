"""A fake OpenAI-compatible streaming server whose timing is known, to check the measuring.

It answers ``POST /v1/chat/completions`` with ``"stream": true`` like a real server: a first chunk
with the assistant role and no content at once, the first content chunk ``ttft`` after the
request arrived, then one content chunk (one token) every ``interval``, scheduled on absolute
times so delays do not add up, then a chunk with ``finish_reason`` and ``usage``, then
``[DONE]``. Faults on demand: a stream cut half way, an HTTP 500, a slow first byte, an error
event inside the stream. It is used only to test releasegate's measurement and the load
generator's own limit (``benchmarks/perf_generator_limit.py``); every other perf test runs
against a real server. So it lives with the tests, not in the package, and ``aiohttp`` is a dev
dependency only.

Run it on its own with ``python tests/perf/timed_server.py --port 8123 --ttft-ms 50``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

__all__ = ["FAULTS", "TimedServerSpec", "build_app", "main", "timed_server"]

Fault = Literal["none", "cut", "http500", "slow_first_byte", "error_event", "no_finish"]
FAULTS: tuple[str, ...] = ("none", "cut", "http500", "slow_first_byte", "error_event", "no_finish")


@dataclass(frozen=True)
class TimedServerSpec:
    """How the fake server times its answers."""

    ttft_s: float = 0.05
    """Seconds from the request's arrival to the first content chunk."""
    interval_s: float = 0.01
    """Seconds between content chunks."""
    tokens: int = 20
    """Content chunks (one token each) per answer, unless the request's max_tokens is smaller."""
    prompt_tokens: int = 12
    """``usage.prompt_tokens`` reported."""
    usage: bool = True
    """Send ``usage`` in the last chunk."""
    fault: Fault = "none"
    """``cut``: close the connection half way; ``http500``: answer 500; ``slow_first_byte``: send
    nothing (not even headers) for ``slow_s``; ``error_event``: an error event half way;
    ``no_finish``: end the stream cleanly half way without finish_reason or [DONE]."""
    slow_s: float = 3.0
    """The delay of ``slow_first_byte``."""


def _chunk(index: int, delta: dict[str, Any], **extra: Any) -> bytes:
    event = {
        "id": "timed-0",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "timed",
        "choices": [{"index": 0, "delta": delta, "finish_reason": extra.pop("finish", None)}],
        **extra,
    }
    return f"data: {json.dumps(event)}\n\n".encode()


def build_app(spec: TimedServerSpec) -> web.Application:
    """The aiohttp application serving *spec*."""

    async def chat(request: web.Request) -> web.StreamResponse:
        try:
            return await answer(request)
        except ConnectionResetError:  # the client went away (a load test stopping): fine
            return web.StreamResponse()

    async def answer(request: web.Request) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        body = await request.json()
        if spec.fault == "http500":
            return web.json_response({"error": {"message": "injected failure"}}, status=500)
        if spec.fault == "slow_first_byte":
            await asyncio.sleep(spec.slow_s)
        wanted = body.get("max_tokens") or body.get("max_completion_tokens") or spec.tokens
        tokens = min(spec.tokens, int(wanted))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(_chunk(0, {"role": "assistant", "content": ""}))
        for index in range(tokens):
            if spec.fault in ("cut", "error_event", "no_finish") and index == tokens // 2:
                if spec.fault == "cut":
                    assert request.transport is not None
                    request.transport.close()
                    return response
                if spec.fault == "error_event":
                    await response.write(b'data: {"error": {"message": "injected error"}}\n\n')
                await response.write_eof()
                return response
            due = arrived + spec.ttft_s + index * spec.interval_s
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await response.write(_chunk(index, {"content": f"t{index} "}))
        extra: dict[str, Any] = {"finish": "length" if tokens < spec.tokens else "stop"}
        if spec.usage:
            extra["usage"] = {
                "prompt_tokens": spec.prompt_tokens,
                "completion_tokens": tokens,
                "total_tokens": spec.prompt_tokens + tokens,
            }
        await response.write(_chunk(tokens, {}, **extra))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until killed; prints ``listening on http://127.0.0.1:PORT/v1`` once ready."""
    parser = argparse.ArgumentParser(prog="python tests/perf/timed_server.py")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ttft-ms", type=float, default=50.0)
    parser.add_argument("--interval-ms", type=float, default=10.0)
    parser.add_argument("--tokens", type=int, default=20)
    parser.add_argument("--no-usage", action="store_true")
    parser.add_argument("--fault", choices=FAULTS, default="none")
    parser.add_argument("--slow-s", type=float, default=3.0)
    args = parser.parse_args(argv)
    spec = TimedServerSpec(
        ttft_s=args.ttft_ms / 1000,
        interval_s=args.interval_ms / 1000,
        tokens=args.tokens,
        usage=not args.no_usage,
        fault=args.fault,
        slow_s=args.slow_s,
    )

    async def serve() -> None:
        runner = web.AppRunner(build_app(spec), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port)
        await site.start()
        server = site._server  # aiohttp keeps the bound socket here; needed to learn port 0
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        print(f"listening on http://127.0.0.1:{port}/v1", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


@contextmanager
def timed_server(spec: TimedServerSpec = TimedServerSpec()) -> Iterator[str]:
    """Run the fake server in its own process (so it never competes with the measuring process
    for the interpreter lock) and yield its base URL, ``http://127.0.0.1:PORT/v1``."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        f"--ttft-ms={spec.ttft_s * 1000}",
        f"--interval-ms={spec.interval_s * 1000}",
        f"--tokens={spec.tokens}",
        f"--fault={spec.fault}",
        f"--slow-s={spec.slow_s}",
        *(["--no-usage"] if not spec.usage else []),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the timed server did not start (said {line!r})")
        yield line.removeprefix("listening on ").strip()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
