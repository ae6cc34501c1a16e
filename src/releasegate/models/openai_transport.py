"""The part of the ``openai`` backend's HTTP side that needs no SDK: how long a ``Retry-After``
asks to wait, running a coroutine from synchronous code, the transport that turns a refused
connection into :class:`_NoServer`, and :func:`probe_get`, the one plain ``GET`` the backend
makes when it starts (``/models``, for its fingerprint).

It lives apart from :mod:`.openai_client` (the official SDK's client and retry loop) because
importing the ``openai`` SDK costs about half a second: a backend that only starts (a judge
whose verdicts are all cached asks it for its fingerprint and nothing else) never imports it.
"""

from __future__ import annotations

import asyncio
import email.utils
import ssl
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx2

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
    """No connection could be opened. Raised by :class:`_NoRetryWithoutServer` as an application
    exception, which the SDK passes on without retrying: a refused port does not start listening
    during a backoff ladder."""


class _NoRetryWithoutServer(httpx2.AsyncBaseTransport):
    """The SDK's transport, except that failing to connect is :class:`_NoServer`."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return await self._inner.handle_async_request(request)
        except httpx2.ConnectTimeout as exc:
            raise _NoServer(_no_connection(request)) from exc
        except httpx2.ConnectError as exc:
            raise _NoServer(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()


def _no_connection(request: httpx2.Request) -> str:
    limit = request.extensions.get("timeout", {}).get("connect")
    within = f" within {limit:g} s" if isinstance(limit, int | float) else ""
    return f"no connection{within}"


class _TLSWhenUsed(httpx2.BaseTransport):
    """An HTTPS transport whose TLS context (*make*: the CA bundle read, 20-40 ms) is built on
    its first request: a probe of an ``http://`` server never needs it, and one redirected to
    ``https://`` gets it then, verified as always."""

    def __init__(self, make: Callable[[], ssl.SSLContext]) -> None:
        self._make = make
        self._inner: httpx2.HTTPTransport | None = None

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if self._inner is None:
            self._inner = httpx2.HTTPTransport(verify=self._make())
        return self._inner.handle_request(request)

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()


def probe_get(
    url: str, *, headers: Mapping[str, str], timeout: float, tls: Callable[[], ssl.SSLContext]
) -> httpx2.Response:
    """One ``GET`` of *url*, as the SDK's client would send it with no retries (the same
    time-outs, redirects followed, no proxy from the environment: the SDK's client is given its
    own transport, which leaves the environment's proxies out too). *tls* makes the context
    that verifies an ``https://`` server, called only if one is reached (a plain ``http://``
    connection has no use for it; its transport is told not to build one). Raises
    :class:`_NoServer` when no connection can be opened, ``httpx2.TimeoutException`` or another
    ``httpx2.TransportError`` when the answer does not come; any HTTP status is returned."""
    limits = httpx2.Timeout(timeout, connect=min(CONNECT_TIMEOUT_SECONDS, timeout))
    plain = httpx2.HTTPTransport(verify=False)  # serves http:// only: no TLS to verify
    with httpx2.Client(
        transport=plain,
        mounts={"https://": _TLSWhenUsed(tls)},
        timeout=limits,
        follow_redirects=True,
        headers={"Accept": "application/json", **headers},
    ) as client:
        request = client.build_request("GET", url)
        try:
            return client.send(request)
        except httpx2.ConnectTimeout as exc:
            raise _NoServer(_no_connection(request)) from exc
        except httpx2.ConnectError as exc:
            raise _NoServer(str(exc) or type(exc).__name__) from exc
