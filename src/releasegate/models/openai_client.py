"""The HTTP side of the ``openai`` backend: the official SDK's :class:`~openai.AsyncOpenAI`
client with this project's two retry rules (how long to wait: ``Retry-After`` where the server
gives one, else exponential backoff with jitter; which answers are final), over the transport of
:mod:`.openai_transport` that turns a refused connection into :class:`_NoServer` so that no
backoff ladder is climbed when no server is there. :mod:`.openai` builds one such client per
batch, and imports this module (and the SDK, about half a second) only when it sends one.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import httpx2
import openai
from openai import (
    AsyncOpenAI,
)

from .openai_transport import (
    RETRY_AFTER_MAX_SECONDS,
    _NoServer,
    retry_after_seconds,
)

__all__ = ["backoff_seconds", "retry_after_seconds"]

BACKOFF_BASE_SECONDS = 0.5
"""First retry waits about this long; each further one twice as long (with jitter)."""
BACKOFF_MAX_SECONDS = 30.0
"""No backoff step waits longer than this."""

_NOT_SENT: Mapping[str, Any] = {"OpenAI-Organization": openai.omit, "OpenAI-Project": openai.omit}
"""Headers the SDK would fill from ``$OPENAI_ORG_ID`` / ``$OPENAI_PROJECT_ID``: an OpenAI account's
identity is nothing to send to the user's own server."""
_OPTIONS: Any = {"headers": {"Authorization": openai.omit}}
"""Every request's options (the SDK's ``RequestOptions``): the SDK's own Authorization header is
left out; the key, if any, is the HTTP client's
(:meth:`releasegate.models.openai.OpenAIBackend._client`)."""


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter: ~0.5 s, 1 s, 2 s ... times a random 0.5-1.0."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2.0**attempt)
    return ceiling * random.uniform(0.5, 1.0)


class _NoRetryWithoutServer(httpx2.AsyncBaseTransport):
    """The SDK's transport, except that failing to connect is :class:`_NoServer`."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return await self._inner.handle_async_request(request)
        except httpx2.ConnectTimeout as exc:
            limit = request.extensions.get("timeout", {}).get("connect")
            within = f" within {limit:g} s" if isinstance(limit, int | float) else ""
            raise _NoServer(f"no connection{within}") from exc
        except httpx2.ConnectError as exc:
            raise _NoServer(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Client(AsyncOpenAI):
    """The SDK's client with this module's two retry rules: how long to wait (``Retry-After``
    where the server gives one, else :func:`backoff_seconds`), and that a 405 or 501 (no API
    here) and a ``Retry-After`` beyond :data:`RETRY_AFTER_MAX_SECONDS` end the request at once.
    The loop itself (what is retried, counting, sleeping) is the SDK's."""

    def _calculate_retry_timeout(
        self,
        remaining_retries: int,
        options: Any,  # the SDK's FinalRequestOptions
        response_headers: httpx2.Headers | None = None,
    ) -> float:
        wait = retry_after_seconds(
            response_headers.get("Retry-After") if response_headers else None
        )
        if wait is not None:  # over the cap it was never retried: see _should_retry
            return wait
        return backoff_seconds(options.get_max_retries(self.max_retries) - remaining_retries)

    def _should_retry(self, response: httpx2.Response) -> bool:
        if response.status_code in (405, 501):
            return False
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is not None and wait > RETRY_AFTER_MAX_SECONDS:
            return False
        return bool(super()._should_retry(response))
