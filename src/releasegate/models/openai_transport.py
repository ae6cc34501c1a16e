"""The part of the ``openai`` backend's HTTP side that needs neither the SDK nor ``httpx2``: how
long a ``Retry-After`` asks to wait, running a coroutine from synchronous code, and
:func:`probe_get`, the one plain ``GET`` the backend makes when it starts (``/models``, for its
fingerprint), on the standard library's ``http.client``.

It lives apart from :mod:`.openai_client` (the official SDK's client and retry loop, over
``httpx2``) because importing those costs about 0.6 s (the SDK) and 0.1 s (``httpx2`` with its
connection pool): a backend that only starts (a judge whose verdicts are all cached asks it for
its fingerprint and nothing else) imports neither.
"""

from __future__ import annotations

import asyncio
import email.utils
import http.client
import ssl
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

__all__ = ["probe_get", "retry_after_seconds"]

RETRY_AFTER_MAX_SECONDS = 120.0
"""A ``Retry-After`` longer than this fails the request instead of stalling the run."""
CONNECT_TIMEOUT_SECONDS = 10.0
"""Seconds to open a connection; failing that is "no server", not retried."""

T = TypeVar("T")
R = TypeVar("R")


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date), or None."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    waited: float = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, waited)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run *coroutine* to completion from synchronous code, even inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class _NoServer(Exception):
    """No connection could be opened. Raised by the SDK client's transport
    (:class:`~.openai_client._NoRetryWithoutServer`) as an application exception, which the SDK
    passes on without retrying: a refused port does not start listening during a backoff
    ladder; and by :func:`probe_get`."""


class _ProbeFailed(Exception):
    """The connection was made but no complete answer came: *timed_out*, or the reason."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


_REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 20
"""As many redirects as the SDK's client (``httpx``) follows."""


def probe_get(
    url: str, *, headers: Mapping[str, str], timeout: float, tls: Callable[[], ssl.SSLContext]
) -> tuple[int, bytes]:
    """``(status, body)`` of one ``GET`` of *url*, as the SDK's client sent it with no retries:
    ``CONNECT_TIMEOUT_SECONDS`` (at most *timeout*) to connect, *timeout* for the answer,
    redirects followed (the ``Authorization`` header dropped where one leaves the origin, as
    ``httpx`` does), no proxy from the environment (the SDK's client had its own transport,
    which leaves them out too). *tls* makes the context that verifies an ``https://`` server,
    called only if one is reached. Raises :class:`_NoServer` when no connection can be opened,
    :class:`_ProbeFailed` when the answer does not come; any HTTP status is returned."""
    sent = {"Accept": "application/json", **headers}
    for _ in range(MAX_REDIRECTS + 1):
        status, location, body = _get_once(url, sent, timeout, tls)
        if status not in _REDIRECTS or not location:
            return status, body
        target = urljoin(url, location)
        if _origin(target) != _origin(url):
            sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
        url = target
    raise _ProbeFailed(f"more than {MAX_REDIRECTS} redirects")


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


def _get_once(
    url: str, headers: Mapping[str, str], timeout: float, tls: Callable[[], ssl.SSLContext]
) -> tuple[int, str | None, bytes]:
    parts = urlsplit(url)
    connect = min(CONNECT_TIMEOUT_SECONDS, timeout)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(host, parts.port, timeout=connect, context=tls())
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=connect)
    try:
        try:
            connection.connect()
        except TimeoutError as exc:
            raise _NoServer(f"no connection within {connect:g} s") from exc
        except OSError as exc:  # refused, unreachable, no such host, a TLS handshake refused
            raise _NoServer(str(exc) or type(exc).__name__) from exc
        assert connection.sock is not None
        connection.sock.settimeout(timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("GET", path, headers=dict(headers))
            response = connection.getresponse()
            body = response.read()
        except TimeoutError as exc:
            raise _ProbeFailed("timed out", timed_out=True) from exc
        except (OSError, http.client.HTTPException) as exc:  # the connection dropped
            raise _ProbeFailed(str(exc) or type(exc).__name__) from exc
        return response.status, response.getheader("Location"), body
    finally:
        connection.close()
