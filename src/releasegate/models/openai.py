"""The ``openai`` backend: a model behind an OpenAI-compatible server (vLLM, TGI, SGLang, Ollama,
``transformers serve``), one request per prompt, many in flight at once.

The server applies the chat template, so what this backend "renders" is the request's content:
a chat prompt becomes its messages as JSON (``{"messages": [...]}``, sent to
``/chat/completions``), a plain-text prompt stays as it is (sent to ``/completions``). That text
is what reports show as the prompt and what the prediction cache keys on.

Requests (all but the start-up ``GET /models``, a plain one: see :meth:`OpenAIBackend._probe`)
go through the official ``openai`` SDK's :class:`~openai.AsyncOpenAI` client: its
retry loop decides what is retried (429, 408, 409, 5xx, a time-out, a dropped connection), up to
``max_retries``, and sleeps between attempts; this module only sets how long (``Retry-After``
when the server says, else exponential backoff with jitter) and which answers are final. Every
kind of request (generation; scoring a prompt's log-probabilities for perplexity) is one
:meth:`OpenAIBackend._post` with its own builder and reader, so each gets the same client,
retries, run deadline, redaction and messages.

Faults are told apart because they call for different answers. A refused connection means no
server: every request fails at once with the URL, no backoff ladder. 429 (honouring
``Retry-After``), 5xx, a time-out and a dropped connection are retried with exponential backoff
and jitter, up to ``max_retries``. Other 4xx and a malformed answer are not retried: asking again
gives the same. A URL that answers but is not an OpenAI-compatible API (a web server: 404 on
``GET /models``, 405 or 501 to a POST, a page that is not JSON) is told at once, with the URL,
never retried: nothing there will ever answer. A prompt whose request failed is reported alone
(:class:`PartialBatchError`), so the batch's other answers are kept; its case is then an error,
never a wrong answer, and is not cached. Messages name the URL.

The API key never leaves this module: a server may echo it (in an error, or in an answer: "your
key is Bearer sk-..."), so every answer text and every message is redacted here, at the source,
before anything downstream (the prediction cache, reports, the terminal) can see it.

There are no weights to hash, so the fingerprint (part of the prediction-cache key) is the URL,
the model name and the model's stable facts from ``GET /models`` where the server lists them
(``transformers serve`` may not). Different weights deployed under the same URL and name get the
same fingerprint: set ``fingerprint`` (e.g. to the checkpoint's step) or run with
``--no-prediction-cache``. An embedded server's fingerprint is its weights' fingerprint.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import (
    BackendError,
    GenerationInterrupted,
    PartialBatchError,
    ServerStartError,
)
from .backend import (
    Generation,
    GenerationSettings,
    ModelSpec,
    Prompt,
    TokenLikelihood,
)
from .fingerprint import weights_fingerprint
from .openai_replies import (
    NOT_AN_API_STATUSES,
    ReplyReader,
    _Answer,
    _Failure,
    _generations,
    _looks_like_html,
    cut_at_stop,
    decode_rendered,
)
from .openai_transport import (
    CONNECT_TIMEOUT_SECONDS,
    R,
    _NoServer,
    _ProbeFailed,
    _run,
    probe_get,
    retry_after_seconds,
)
from .serving import EmbeddedServer, embedded_server
from .sources import check_model_source

if TYPE_CHECKING:
    from .openai_client import _Client

__all__ = ["OpenAIBackend", "cut_at_stop", "decode_rendered", "retry_after_seconds"]

PROBE_TIMEOUT_SECONDS = 10.0
"""Seconds the start-up ``GET /models`` may take."""

_STABLE_MODEL_FIELDS = ("id", "root", "parent", "owned_by", "max_model_len")
"""Facts of a ``/models`` entry that identify what is served (``created`` is left out: it is
the server's start time on vLLM and would change the fingerprint on every restart)."""


class OpenAIBackend(ReplyReader):
    """Answers from an OpenAI-compatible endpoint; without a ``base_url``, from an embedded
    ``transformers serve`` on the model, started here and stopped by :meth:`close`."""

    name = "openai"

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.endpoint = spec.endpoint
        self._stack = ExitStack()
        self._embedded: EmbeddedServer | None = None
        self._closed = False
        self._deadline: float | None = None
        self._tls: ssl.SSLContext | None = None
        self._api_key = os.environ.get(self.endpoint.api_key_env) or None
        if self.endpoint.base_url is None:
            check_model_source(spec)
            try:
                self._embedded = self._stack.enter_context(
                    embedded_server(spec.model, cache_dir=spec.cache_dir, dtype=spec.dtype)
                )
            except ServerStartError as exc:  # its log's tail, which may hold what it was sent
                raise ServerStartError(self._redact(str(exc))) from None
            self.base_url, self.model_name = self._embedded.base_url, self._embedded.model
        else:
            self.base_url = self.endpoint.base_url.rstrip("/")
            self.model_name = self.endpoint.served_model or spec.model
        try:
            self.server_info = self._probe()
            self.fingerprint, self.fingerprint_source = self._fingerprint()
        except BaseException:
            self._stack.close()
            raise

    # -- what the engine asks -----------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        env = self.endpoint.api_key_env
        described: dict[str, Any] = {
            "backend": self.name,
            "model": self.spec.model,
            "served_model": self.model_name,
            "base_url": self.base_url,
            "api": self.endpoint.api,
            "fingerprint": self.fingerprint,
            "fingerprint_source": self.fingerprint_source,
            "server": self.server_info,
            "api_key": f"from ${env}" if self._api_key else f"none (${env} is not set)",
            "concurrency": self.endpoint.concurrency,
            "request_timeout": self.endpoint.request_timeout,
            "run_timeout": self.endpoint.run_timeout,
            "max_retries": self.endpoint.max_retries,
            "openai": version("openai"),
        }
        if self._embedded is not None:
            described["embedded"] = {
                "pid": self._embedded.pid,
                "log": str(self._embedded.log_path),
            }
        return described

    def render(self, prompt: Prompt) -> str:
        if prompt.messages is None:
            assert prompt.text is not None
            return prompt.text
        if self.endpoint.api == "completions":
            raise BackendError(
                f"{self.base_url}: a chat prompt cannot be sent with api = 'completions' (the "
                "server's /completions route applies no chat template); set 'prompt: {chat: "
                "false}' in the suite's manifest, or api = 'chat' (--api chat)"
            )
        return json.dumps({"messages": [dict(m) for m in prompt.messages]}, ensure_ascii=False)

    def generate(
        self, rendered: Sequence[str], settings: GenerationSettings, *, batch_size: int
    ) -> list[Generation]:
        """One request per prompt, up to ``concurrency`` in flight; *batch_size* is not used
        (the server batches, if it does, across the requests it has)."""
        if self._closed:
            raise BackendError(f"backend for {self.base_url} is closed")
        if not rendered:
            return []
        requests = [self._request(text, settings) for text in rendered]
        started = time.perf_counter()
        outcomes: list[_Answer | _Failure | None] = [None] * len(requests)
        try:
            _run(self._post_all(requests, outcomes, self._parse))
        except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM made one: keep what came back
            answered = _generations(outcomes, time.perf_counter() - started)
            raise GenerationInterrupted(answered, str(interrupt)) from interrupt
        answered = _generations(outcomes, time.perf_counter() - started)
        failures = {i: o.reason for i, o in enumerate(outcomes) if isinstance(o, _Failure)}
        if failures:
            first = failures[min(failures)]
            raise PartialBatchError(
                f"{len(failures)} of {len(rendered)} requests to {self.base_url} failed; "
                f"first: {first}",
                answered=answered,
                failures=failures,
            )
        return [answered[i] for i in range(len(rendered))]

    def log_likelihoods(
        self, requests: Sequence[tuple[str, str]], *, batch_size: int
    ) -> list[TokenLikelihood]:
        """Each ``(rendered prompt, continuation)``'s log-likelihood: one ``/completions``
        request with ``echo`` + ``logprobs`` each (:mod:`releasegate.models.endpoint_likelihood`),
        through the same client, retries and deadline as answers. A server that returns no
        prompt log-probabilities (``transformers serve``) is one error naming it; *batch_size*
        is not used."""
        from .endpoint_likelihood import EchoedLogprobs, echo_request, read_echoed

        if self._closed:
            raise BackendError(f"backend for {self.base_url} is closed")
        if not requests:
            return []
        bodies = [echo_request(self.base_url, self.model_name, p, c) for p, c in requests]
        outcomes: list[EchoedLogprobs | _Failure | None] = [None] * len(bodies)

        def read(url: str, route: str, raw: bytes) -> EchoedLogprobs | _Failure:
            echoed = read_echoed(self.base_url, raw)
            return _Failure(self._redact(echoed)) if isinstance(echoed, str) else echoed

        _run(self._post_all(bodies, outcomes, read))
        scores = []
        for (prompt, continuation), outcome in zip(requests, outcomes, strict=True):
            if not isinstance(outcome, EchoedLogprobs):
                raise BackendError(outcome.reason if outcome else f"{self.base_url}: no answer")
            end = len(prompt) + len(continuation)
            scores.append(outcome.likelihood(self.base_url, len(prompt), end))
        return scores

    def lm_eval_model(self, *, batch_size: int) -> Any:
        """This endpoint as an lm-eval API model, for general benchmarks.

        ``api: chat`` gives lm-eval's ``local-chat-completions``: generation tasks only, since a
        chat route returns no log-probabilities of the prompt. ``api: completions`` gives
        ``local-completions``, which also scores multiple-choice tasks (MMLU) where the server
        returns prompt log-probabilities (``echo`` with ``logprobs``: vLLM does, ``transformers
        serve`` does not). The API key is read from the configured variable, never stored."""
        from lm_eval.models.openai_completions import LocalChatCompletion, LocalCompletionsAPI

        key_env = self.endpoint.api_key_env
        redact = self._redact
        chat = self.endpoint.api == "chat"
        base: Any = LocalChatCompletion if chat else LocalCompletionsAPI

        class _Endpoint(base):  # type: ignore[misc]
            @property
            def api_key(self) -> str:
                return os.environ.get(key_env, "")

            def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
                # The API leaves the stop sequence out of the text; some servers (transformers
                # serve) return it. Cut there, as the in-process HFLM does.
                answers = super().generate_until(requests, disable_tqdm=disable_tqdm)
                return [
                    redact(cut_at_stop(answer, request.args[1].get("until")))
                    for answer, request in zip(answers, requests, strict=True)
                ]

        route = "chat/completions" if chat else "completions"
        tokenizer = str(getattr(self._embedded, "model", "") or self.spec.model)
        return _Endpoint(
            base_url=f"{self.base_url}/{route}",
            model=self.model_name,
            num_concurrent=self.endpoint.concurrency,
            max_retries=self.endpoint.max_retries,
            timeout=int(self.endpoint.request_timeout),
            tokenizer_backend=None if chat else "huggingface",
            tokenizer=None if chat else tokenizer,
            tokenized_requests=False,
            batch_size=1 if chat else batch_size,
        )

    def close(self) -> None:
        self._closed = True
        self._stack.close()

    # -- requests -----------------------------------------------------------------------------

    def _request(self, rendered: str, settings: GenerationSettings) -> tuple[str, dict[str, Any]]:
        """``(route, body)`` of the request for one rendered prompt."""
        body: dict[str, Any] = {"model": self.model_name}
        messages = decode_rendered(rendered)
        if messages is not None:
            route = "chat/completions"
            body["messages"] = messages
        else:
            route = "completions"
            body["prompt"] = rendered
        body["max_tokens"] = settings.max_new_tokens
        body["temperature"] = float(settings.temperature)
        if not settings.greedy:
            body.update(top_p=settings.top_p, seed=settings.seed)
        body["stream"] = False
        return route, body

    def _client(self, *, max_retries: int | None = None, timeout: float | None = None) -> _Client:
        """A client for one event loop (it cannot outlive it): ``concurrency`` connections,
        ``request_timeout`` seconds to wait for the answer, and the API key if there is one."""
        import httpx2  # with the SDK: only once a request is sent
        from openai import DefaultAsyncHttpx2Client

        from .openai_client import _NOT_SENT, _Client, _NoRetryWithoutServer

        limit = self.endpoint.request_timeout if timeout is None else timeout
        pool = httpx2.Limits(max_connections=self.endpoint.concurrency)
        inner = httpx2.AsyncHTTPTransport(verify=self._tls_context(), limits=pool)
        transport = _NoRetryWithoutServer(inner)
        # The key travels as the HTTP client's own header and the SDK's is never sent (see
        # _OPTIONS): given no key, the SDK would read $OPENAI_API_KEY, which may hold a key for
        # OpenAI itself, and send it to this server; so it gets a placeholder it never uses.
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        return _Client(
            base_url=self.base_url,
            api_key="unused",
            admin_api_key="",
            max_retries=self.endpoint.max_retries if max_retries is None else max_retries,
            timeout=httpx2.Timeout(limit, connect=min(CONNECT_TIMEOUT_SECONDS, limit)),
            default_headers=_NOT_SENT,
            http_client=DefaultAsyncHttpx2Client(transport=transport, headers=headers),
        )

    def _tls_context(self) -> ssl.SSLContext:
        """The context that verifies an ``https://`` server, built once: it reads the CA bundle
        (20-50 ms), which per batch would show, and which a probe of an ``http://`` server
        does not need at all."""
        if self._tls is None:
            import httpx2

            self._tls = httpx2.create_ssl_context()
        return self._tls

    async def _post_all(
        self,
        requests: Sequence[tuple[str, dict[str, Any]]],
        outcomes: list[R | _Failure | None],
        read: Callable[[str, str, bytes], R | _Failure],
    ) -> None:
        """Send each ``(route, body)``, up to ``concurrency`` at once, and put what *read*
        makes of its answer (``read(url, route, body)``) into its slot of *outcomes* as soon as
        it is known, so that an interrupted batch still shows what had come back. The run's
        deadline (``run_timeout``) starts with its first batch, of answers or likelihoods."""
        if self._deadline is None and self.endpoint.run_timeout is not None:
            self._deadline = time.monotonic() + self.endpoint.run_timeout
        slots = asyncio.Semaphore(self.endpoint.concurrency)

        async def send(index: int, route: str, body: dict[str, Any]) -> None:
            url = f"{self.base_url}/{route}"
            answer = await self._post(client, slots, route, body)
            outcomes[index] = answer if isinstance(answer, _Failure) else read(url, route, answer)

        async with self._client() as client:
            await asyncio.gather(
                *(send(i, route, body) for i, (route, body) in enumerate(requests))
            )

    def _remaining(self) -> float | None:
        return None if self._deadline is None else self._deadline - time.monotonic()

    async def _post(
        self, client: _Client, slots: asyncio.Semaphore, route: str, body: Mapping[str, Any]
    ) -> bytes | _Failure:
        """One request, retries included, holding one of the ``concurrency`` slots: the body
        of its 200 answer, or why there is none. Never raises for a server's fault."""
        import httpx2
        from openai import APIConnectionError, APIStatusError, APITimeoutError

        from .openai_client import _OPTIONS

        url = f"{self.base_url}/{route}"
        async with slots:
            remaining = self._remaining()  # measured once the slot is ours: queueing counts
            if remaining is not None and remaining <= 0:
                return _Failure(self._redact(f"{url}: {self._run_timeout_over()}"))
            deadline = asyncio.timeout(remaining)
            try:
                async with deadline:
                    response = await client.post(
                        f"/{route}", cast_to=httpx2.Response, body=body, options=_OPTIONS
                    )
            except TimeoutError:
                if not deadline.expired():
                    raise
                return _Failure(self._redact(f"{url}: {self._run_timeout_over()}"))
            except _NoServer as exc:
                return _Failure(self._no_server(url, str(exc)))
            except APIStatusError as exc:
                return _Failure(self._refused(url, exc.response))
            except APITimeoutError:
                limit = self.endpoint.request_timeout
                return self._gave_up(
                    url, f"no complete answer within {limit:g} s (request_timeout {limit:g} s)"
                )
            except APIConnectionError as exc:
                cause = exc.__cause__ or exc
                return self._gave_up(
                    url,
                    f"connection dropped before the answer was complete ({cause or type(cause)})",
                )
        return response.content

    # -- identity -----------------------------------------------------------------------------

    def _probe(self) -> dict[str, Any]:
        """What ``GET /models`` says about the model: fails fast when no server is there or
        the key is refused; any other failure only means the server does not say.

        One plain ``GET`` on the standard library (:func:`.openai_transport.probe_get`), not
        the SDK's client: the SDK and ``httpx2`` would be imported for it (about 0.7 s), and a
        backend that is only asked for its fingerprint (a judge whose verdicts are all cached)
        would pay that on every run.
        The request is the one the SDK's client sent (no retries, the same time-outs, the
        key as the only credential), and its outcomes are read the same way."""
        url = f"{self.base_url}/models"
        timeout = min(PROBE_TIMEOUT_SECONDS, self.endpoint.request_timeout)
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            status, raw = probe_get(url, headers=headers, timeout=timeout, tls=self._tls_context)
        except _NoServer as exc:
            raise BackendError(self._no_server(url, str(exc))) from None
        except _ProbeFailed as exc:  # a time-out, or the connection dropped
            raise BackendError(self._no_server(url, str(exc))) from None
        if status >= 400:
            if status in (401, 403):
                hint = self._hint(status)
                raise BackendError(self._redact(f"{url}: HTTP {status}; {hint}")) from None
            if status in NOT_AN_API_STATUSES:
                raise BackendError(self._not_an_api(url, f"HTTP {status}")) from None
            return {"models": f"unavailable (HTTP {status})"}
        try:
            document = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            what = "an HTML page" if _looks_like_html(raw) else "an answer that is not JSON"
            raise BackendError(self._not_an_api(url, f"HTTP 200 with {what}")) from None
        listed = document.get("data", []) if isinstance(document, dict) else []
        for entry in listed if isinstance(listed, list) else []:
            if isinstance(entry, dict) and entry.get("id") == self.model_name:
                return {"models": {k: entry[k] for k in _STABLE_MODEL_FIELDS if k in entry}}
        return {"models": f"'{self.model_name}' not listed"}

    def _fingerprint(self) -> tuple[str, str]:
        if self.endpoint.fingerprint is not None:
            return (
                _digest({"fingerprint": self.endpoint.fingerprint, "model": self.model_name}),
                "fingerprint setting",
            )
        if self._embedded is not None and Path(self.model_name).is_dir():
            return weights_fingerprint(Path(self.model_name), cache_dir=self.spec.cache_dir), (
                "weights"
            )
        identity = {"base_url": self.base_url, "model": self.model_name, **self.server_info}
        return _digest(identity), "endpoint (URL, model name, /models entry)"


def _digest(document: Mapping[str, Any]) -> str:
    payload = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
