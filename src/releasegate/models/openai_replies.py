"""What the ``openai`` backend makes of a server's replies: the answer read out of a 200
response, and for every other outcome one message that names the URL, says what went wrong and
what to do, with the API key redacted (a server may echo it). The wording lives apart from the
requests (:mod:`.openai`) and the client's retries (:mod:`.openai_client`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .backend import (
    EndpointSpec,
    Generation,
)
from .openai_transport import RETRY_AFTER_MAX_SECONDS, retry_after_seconds

if TYPE_CHECKING:
    import httpx2

__all__ = ["ReplyReader", "cut_at_stop", "decode_rendered"]

REDACTED = "***"
"""What stands where the API key was in an answer or a message."""
MIN_SECRET_LENGTH = 8
"""A shorter key is a placeholder (``EMPTY``, ``none``), no secret: looking for it would rewrite
ordinary words in the answers being judged."""

NOT_AN_API_STATUSES = (404, 405, 501)
"""Statuses of ``GET /models`` (every OpenAI-compatible server lists its models there) that mean
no such API is at the URL; 405 and 501 to a POST mean the same for the generation routes."""


@dataclass(frozen=True)
class _Answer:
    text: str
    output_tokens: int


@dataclass(frozen=True)
class _Failure:
    reason: str


def decode_rendered(rendered: str) -> list[dict[str, str]] | None:
    """The chat messages a rendered prompt carries, or None for plain text."""
    if not rendered.startswith('{"messages": ['):
        return None
    try:
        document = json.loads(rendered)
    except json.JSONDecodeError:
        return None
    messages = document.get("messages") if isinstance(document, dict) else None
    if not isinstance(messages, list) or len(document) != 1:
        return None
    return messages


def cut_at_stop(text: str, stop: str | Sequence[str] | None) -> str:
    """*text* up to the first of the *stop* sequences, which is left out (the API's rule)."""
    stops = [stop] if isinstance(stop, str) else list(stop or ())
    for sequence in stops:
        if sequence:
            text = text.split(sequence, 1)[0]
    return text


class ReplyReader:
    """The reading and wording half of :class:`~releasegate.models.openai.OpenAIBackend`: how a
    reply becomes an answer or a failure, and how each failure is told. It needs only the
    endpoint's settings, the served model's name and the API key (to redact it)."""

    endpoint: EndpointSpec
    model_name: str
    _api_key: str | None

    def _refused(self, url: str, response: httpx2.Response) -> str:
        """Why a request that ended with an error status failed, and what to do."""
        status, raw = response.status_code, response.content
        detail = self._detail(raw)
        if status in (405, 501):
            return self._not_an_api(url, f"HTTP {status} to a POST")
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is not None and wait > RETRY_AFTER_MAX_SECONDS:
            return self._redact(
                f"{url}: HTTP {status}{detail}, and the server asks to retry after {wait:g} s "
                f"(Retry-After), more than releasegate waits ({RETRY_AFTER_MAX_SECONDS:g} s); "
                "re-run when the server has capacity"
            )
        if status in (408, 409, 429) or status >= 500:  # the statuses the SDK retries
            retried = response.request.headers.get("x-stainless-retry-count", "")
            attempts = int(retried) + 1 if retried.isdigit() else self.endpoint.max_retries + 1
            return self._gave_up(url, f"HTTP {status}{detail}", attempts=attempts).reason
        return self._redact(f"{url}: HTTP {status}{detail}; {self._hint(status)}")

    def _gave_up(self, url: str, last: str, *, attempts: int | None = None) -> _Failure:
        tries = self.endpoint.max_retries + 1 if attempts is None else attempts
        return _Failure(
            self._redact(
                f"{url}: {last}, after {tries} attempt(s); check the server's health and "
                "load, or raise max_retries (--max-retries) or request_timeout "
                "(--request-timeout)"
            )
        )

    def _parse(self, url: str, route: str, raw: bytes) -> _Answer | _Failure:
        """The answer in a 200 response, or why the response is not one."""
        if _looks_like_html(raw):
            return _Failure(self._not_an_api(url, "it answered with an HTML page, not JSON"))
        try:
            document = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return self._malformed(url, f"not JSON ({exc})", raw)
        choices = document.get("choices") if isinstance(document, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return self._malformed(url, "no 'choices' list", raw)
        choice = choices[0]
        if route == "chat/completions":
            message = choice.get("message")
            text = message.get("content") if isinstance(message, dict) else None
            field = "choices[0].message.content"
        else:
            text = choice.get("text")
            field = "choices[0].text"
        if not isinstance(text, str):
            return self._malformed(url, f"no string at {field}", raw)
        usage = document.get("usage")
        tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
        return _Answer(
            text=self._redact(text), output_tokens=tokens if isinstance(tokens, int) else 0
        )

    def _malformed(self, url: str, what: str, raw: bytes) -> _Failure:
        return _Failure(
            self._redact(
                f"{url}: malformed response: {what}; body: {self._snippet(raw)}. Is base_url an "
                "OpenAI-compatible endpoint (ending in /v1)? The server's log may say more"
            )
        )

    def _not_an_api(self, url: str, why: str) -> str:
        return self._redact(
            f"{url}: {why}: this URL is not an OpenAI-compatible API. Point base_url "
            "(--base-url) at the API root of the server (vLLM, TGI, Ollama, transformers "
            "serve ...), which usually ends in /v1"
        )

    def _no_server(self, url: str, reason: str) -> str:
        return self._redact(
            f"cannot connect to {url}: {reason}. Is the server running? Start it, or fix "
            "base_url (--base-url)"
        )

    def _run_timeout_over(self) -> str:
        return (
            f"run_timeout of {self.endpoint.run_timeout:g} s is over, request abandoned; "
            "raise run_timeout (--run-timeout) or judge fewer cases (--suite, -k)"
        )

    def _hint(self, status: int) -> str:
        env = self.endpoint.api_key_env
        if status in (401, 403):
            sent = "" if self._api_key else f" (no key was sent: ${env} is not set)"
            return (
                f"the server refused the credentials{sent}; put a valid API key in the "
                f"environment variable {env} (or name another with api_key_env)"
            )
        if status == 404:
            return "check that base_url ends with /v1 and that served_model names a served model"
        return (
            f"the server rejected the request; check served_model ('{self.model_name}', "
            "--served-model) and the generation settings"
        )

    def _detail(self, raw: bytes) -> str:
        return f": {self._snippet(raw)}" if raw.strip() else ""

    @staticmethod
    def _snippet(raw: bytes, limit: int = 300) -> str:
        """The body as a message can quote it: an HTML error page (a proxy's 502) by its text
        alone, whitespace collapsed; the markup says nothing and floods the terminal."""
        text = raw.decode("utf-8", errors="replace").strip()
        if _looks_like_html(raw):
            text = "HTML page: " + " ".join(re.sub(r"<[^>]*>", " ", text).split())
        return text if len(text) <= limit else text[:limit] + "..."

    def _redact(self, text: str) -> str:
        """*text* with the API key replaced: servers echo the key they refused, and a model may
        be made to repeat what it was sent."""
        key = self._api_key
        if not key or len(key) < MIN_SECRET_LENGTH:
            return text
        return text.replace(key, REDACTED)


def _generations(
    outcomes: Sequence[_Answer | _Failure | None], seconds: float
) -> dict[int, Generation]:
    """The answers among *outcomes* by index, each with its share of the batch's *seconds*."""
    share = seconds / len(outcomes)
    return {
        i: Generation(text=o.text, output_tokens=o.output_tokens, seconds=share)
        for i, o in enumerate(outcomes)
        if isinstance(o, _Answer)
    }


def _looks_like_html(raw: bytes) -> bool:
    """A web page where an API would answer JSON: a web server, a proxy's or a login page."""
    return raw.lstrip()[:1] == b"<"
