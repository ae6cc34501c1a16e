"""One streamed request as measured: the raw sample every figure of a perf report comes from.

Locust rounds response times into buckets before it computes percentiles; the samples here keep
every measured value, so the report's percentiles are exact, and the file of samples lets anyone
recompute them another way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

__all__ = ["RequestSample", "TokenSource", "read_samples", "write_samples"]

TokenSource = Literal["usage", "tokenizer", "chunks", "none"]
"""Where a token count came from: the server's ``usage``, a local tokenizer, the number of
content chunks (a last resort), or nowhere (a failed request)."""


@dataclass(frozen=True)
class RequestSample:
    """One request: its timings (milliseconds), tokens, outcome and, for golden prompts, verdict."""

    prompt_id: str
    """``<suite>/<case id>`` for golden prompts, ``synthetic-<n>`` for synthetic ones."""
    start_s: float
    """When it was sent, in seconds since the load began in the process that sent it."""
    ok: bool
    """True for a complete stream with content; False for any failure (see ``error``)."""
    error: str | None = None
    """Why it failed, in one line ("HTTP 500: ...", "stream cut after 7 content chunks ...")."""
    status: int | None = None
    """HTTP status, None when no response arrived."""
    ttft_ms: float | None = None
    """Time to first token: from sending the request to the first chunk carrying content."""
    e2e_ms: float | None = None
    """End-to-end latency: from sending the request to the end of the stream."""
    tpot_ms: float | None = None
    """Time per output token after the first: (e2e - ttft) / (output_tokens - 1)."""
    itl_ms: tuple[float, ...] = ()
    """Inter-token latencies: the gap between consecutive content chunks, each one."""
    input_tokens: int | None = None
    """Prompt tokens (``usage.prompt_tokens``, else counted by the tokenizer)."""
    output_tokens: int | None = None
    """Generated tokens (``usage.completion_tokens``, else counted by the tokenizer)."""
    token_source: TokenSource = "none"
    """Where the token counts came from."""
    content_chunks: int = 0
    """Chunks that carried content (a server may put several tokens in one)."""
    finish_reason: str | None = None
    """``stop``, ``length`` ... as the server said."""
    check_passed: bool | None = None
    """Golden prompts with checks on: whether the answer passed its case's check."""
    check_reason: str | None = None
    """The check's one-line reason."""
    answer: str = ""
    """The streamed answer text."""
    warmup: bool = False
    """Sent during the warm-up: kept here, left out of every figure."""
    worker: str = "local"
    """The locust process that sent it (``local``, or a worker's id under master/worker)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Anything else a caller wants kept (never read by the summary)."""

    @property
    def end_s(self) -> float:
        """When it ended, on the same clock as ``start_s``."""
        return self.start_s + (self.e2e_ms or 0.0) / 1000.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["itl_ms"] = list(self.itl_ms)
        data["extra"] = dict(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RequestSample:
        values = dict(data)
        values["itl_ms"] = tuple(values.get("itl_ms", ()))
        return cls(**values)

    def with_(self, **changes: Any) -> RequestSample:
        return replace(self, **changes)


def write_samples(path: Path, samples: Iterable[RequestSample]) -> int:
    """Write *samples* as JSON lines (one request a line); returns how many."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for sample in samples:
            out.write(json.dumps(sample.as_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count


def read_samples(path: Path) -> Iterator[RequestSample]:
    """The samples of a ``samples.jsonl`` written by :func:`write_samples`."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield RequestSample.from_dict(json.loads(line))
