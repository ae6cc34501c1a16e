"""A scripted fake of an OpenAI-compatible server, for the faults a real one cannot be made to show.

``transformers serve`` never answers 429 with a Retry-After, never fails once and then succeeds,
never cuts a body short or sends broken JSON on demand, and cannot be told to stall before its
first byte. This server does exactly what a test scripts, on a loopback port, and records what it
was sent and how many requests it had in flight at once. Everything else is tested against the
real server (tests/models/test_serving.py).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What the fake answers to one request."""

    status: int = 200
    body: bytes | None = None
    """None: a well-formed completion of ``text``."""
    text: str = "fake answer"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds before the first byte."""
    truncate_to: int | None = None
    """Send only this many bytes of the body (announcing all of it), then drop the connection."""


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def completion(route: str, text: str, tokens: int = 3) -> bytes:
    choice: dict[str, Any] = (
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        if route.endswith("chat/completions")
        else {"index": 0, "text": text, "finish_reason": "stop"}
    )
    return json.dumps(
        {
            "id": "x",
            "object": "fake",
            "model": "fake",
            "choices": [choice],
            "usage": {"prompt_tokens": 5, "completion_tokens": tokens, "total_tokens": 5 + tokens},
        }
    ).encode()


class FakeServer:
    """``script(n, request)`` decides the reply to the n-th POST (0-based)."""

    def __init__(self, script: Callable[[int, Received], Reply], models: Reply | None = None):
        self.script = script
        self.models = models or Reply(body=b'{"object": "list", "data": []}')
        self.received: list[Received] = []
        self.probes: list[Received] = []
        """Each ``GET`` (the backend's ``/models`` probe), with its headers."""
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with fake._lock:
                    fake.probes.append(Received(self.path, dict(self.headers), {}))
                self._send(fake.models, "/models")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                request = Received(self.path, dict(self.headers), body)
                with fake._lock:
                    number = len(fake.received)
                    fake.received.append(request)
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    self._send(fake.script(number, request), self.path)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a time-out test): nothing to answer
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

            def _send(self, reply: Reply, route: str) -> None:
                time.sleep(reply.delay)
                body = reply.body if reply.body is not None else completion(route, reply.text)
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.truncate_to is None:
                    self.wfile.write(body)
                    return
                self.wfile.write(body[: reply.truncate_to])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

        return Handler

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve on a free loopback port; yields the base URL (``http://127.0.0.1:N/v1``)."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/v1"
        finally:
            server.shutdown()
            server.server_close()
