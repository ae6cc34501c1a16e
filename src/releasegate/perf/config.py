"""``[tool.releasegate.perf]``: the load to apply, where the prompts come from, and the objectives.

The table is validated against ``schemas/perf.schema.json`` (the one list of keys) before any
request is sent; a bad key or value is one :class:`~releasegate.exceptions.ConfigError` naming the
key and what to do. Command-line options of the locustfile (``--perf-rate`` ...) override keys of
the table the same way ``--max-new-tokens`` overrides ``max_new_tokens``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..config import Project, load_project
from ..exceptions import ConfigError
from ..schemas import first_error, load_schema

__all__ = [
    "LATENCY_METRICS",
    "PERCENTILES",
    "LoadSpec",
    "Objective",
    "PerfConfig",
    "load_perf_config",
    "objective_keys",
    "perf_project",
]

LATENCY_METRICS: tuple[str, ...] = ("ttft", "tpot", "itl", "e2e")
"""The per-request latencies measured, in the order reports list them."""

PERCENTILES: tuple[int, ...] = (50, 90, 95, 99)
"""The percentiles reported for each latency (and usable in objectives)."""

_LATENCY_KEY = re.compile(r"(ttft|tpot|itl|e2e)_p(50|90|95|99)_ms")

_LABELS = {"ttft": "TTFT", "tpot": "TPOT", "itl": "ITL", "e2e": "end-to-end latency"}

_SOURCE = "[tool.releasegate.perf]"


@dataclass(frozen=True)
class Objective:
    """One serving objective: a bar on one figure of the summary."""

    key: str
    """The key as written: ``ttft_p95_ms``, ``min_output_tokens_per_s``, ``max_error_rate`` ..."""
    bar: float
    """The bar's value, in the key's unit (ms, tokens/s, requests/s or a fraction)."""

    @property
    def is_max(self) -> bool:
        """True when the figure must stay at or below the bar (latencies, error rate)."""
        return not self.key.startswith("min_")

    @property
    def latency(self) -> tuple[str, int] | None:
        """``(metric, percentile)`` of a latency objective (``("ttft", 95)``), else None."""
        found = _LATENCY_KEY.fullmatch(self.key)
        return (found.group(1), int(found.group(2))) if found else None

    @property
    def label(self) -> str:
        """A readable name: ``p95 TTFT``, ``output tokens/s``, ``error rate``."""
        latency = self.latency
        if latency is not None:
            return f"p{latency[1]} {_LABELS[latency[0]]}"
        return {
            "min_output_tokens_per_s": "output tokens/s",
            "min_requests_per_s": "requests/s",
            "min_goodput": "goodput (requests/s meeting every objective)",
            "max_error_rate": "error rate",
            "min_pass_rate": "pass rate of golden answers under load",
        }[self.key]

    @property
    def unit(self) -> str:
        if self.latency is not None:
            return "ms"
        return {
            "min_output_tokens_per_s": "tokens/s",
            "min_requests_per_s": "requests/s",
            "min_goodput": "requests/s",
        }.get(self.key, "")

    def met_by(self, value: float | None) -> bool:
        """Whether *value* meets the bar; a figure that could not be measured never does."""
        if value is None:
            return False
        return value <= self.bar if self.is_max else value >= self.bar

    def describe_bar(self) -> str:
        sign = "<=" if self.is_max else ">="
        unit = f" {self.unit}" if self.unit else ""
        return f"{sign} {self.bar:g}{unit}"


@dataclass(frozen=True)
class LoadSpec:
    """The load: closed loop (``users``) or open loop (``rate`` with Poisson arrivals)."""

    users: int = 2
    """Closed loop: concurrent users. Open loop: arrival generators sharing ``rate``."""
    rate: float | None = None
    """Open loop: requests per second over all users; None means closed loop."""
    duration: float = 15.0
    """Seconds of load, warm-up included; with ``requests`` and no duration given, unbounded."""
    warmup: float = 3.0
    """Seconds at the start left out of the figures."""
    max_in_flight: int = 64
    """Open loop: requests in flight per user before an arrival is counted as dropped."""
    requests: int | None = None
    """Stop once this many requests have completed after the warm-up (failed ones included).
    A load bounded by work rather than seconds measures as many requests on a busy machine as on
    an idle one, only more slowly: what a test that judges figures, not speed, needs. With a
    ``duration`` too, the run ends at whichever comes first."""

    def __post_init__(self) -> None:
        if self.warmup >= self.duration:
            raise ConfigError(
                f"{_SOURCE} 'warmup': {self.warmup:g} s leaves nothing of a {self.duration:g} s "
                "run to measure; make warmup shorter than duration"
            )

    @property
    def open_loop(self) -> bool:
        return self.rate is not None

    def describe(self) -> str:
        """``2 users (closed loop), 15 s, 3 s warm-up``, ``1 users (closed loop), 20 requests,
        1 s warm-up`` or ``1.5 requests/s (open loop, ...)``."""
        if self.rate is not None:
            head = f"{self.rate:g} requests/s (open loop, Poisson arrivals, {self.users} user(s))"
        else:
            head = f"{self.users} users (closed loop)"
        length = f"{self.duration:g} s, " if math.isfinite(self.duration) else ""
        if self.requests is not None:
            at_most = f"at most {length.removesuffix(', ')}, " if length else ""
            length = f"{self.requests} requests, {at_most}"
        return f"{head}, {length}{self.warmup:g} s warm-up"

    def wall_limit(self, request_timeout: float) -> float:
        """Seconds after which a run of this load is hung rather than slow: its duration, or,
        bounded by requests alone, the warm-up and every request taking its full time-out in
        turn; plus three minutes for locust to start and write its report."""
        if math.isfinite(self.duration) or self.requests is None:
            return self.duration + 180
        return self.warmup + self.requests * request_timeout + 180


@dataclass(frozen=True)
class PerfConfig:
    """``[tool.releasegate.perf]`` validated, defaults filled in."""

    load: LoadSpec = field(default_factory=LoadSpec)
    """The load to apply."""
    base_url: str | None = None
    """The endpoint (``http://host:port/v1``); None means the embedded ``transformers serve``."""
    model: str | None = None
    """Model name sent in each request; None sends none (or the embedded server's)."""
    prompts: Literal["golden", "synthetic"] = "golden"
    """Where prompts come from."""
    suites: tuple[str, ...] = ()
    """Golden suites to take prompts from; empty means all."""
    max_tokens: int | None = None
    """Golden prompts: max_tokens; None means each suite's max_new_tokens."""
    input_tokens: int = 128
    """Synthetic prompts: tokens in the user message."""
    output_tokens: int = 32
    """Synthetic prompts: max_tokens (exact with ``ignore_eos``)."""
    ignore_eos: bool = True
    """Synthetic prompts: ask the server to go on past end-of-sequence."""
    check_answers: bool = True
    """Golden prompts: judge streamed answers with the suite's checks."""
    timeout: float = 120.0
    """Seconds without data after which a request fails."""
    tokenizer: str | None = None
    """Tokenizer for counting without usage and for synthetic prompts; None: the default model's."""
    seed: int = 0
    """Seed of prompt order and arrivals."""
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    """Fields merged into every request body."""
    objectives: tuple[Objective, ...] = ()
    """The serving objectives, in the order written."""

    def public(self) -> dict[str, Any]:
        """Plain JSON data for reports."""
        return {
            "load": {
                "users": self.load.users,
                "rate": self.load.rate,
                "duration": self.load.duration,
                "warmup": self.load.warmup,
                "max_in_flight": self.load.max_in_flight,
                "requests": self.load.requests,
                "description": self.load.describe(),
            },
            "base_url": self.base_url,
            "model": self.model,
            "prompts": self.prompts,
            "suites": list(self.suites),
            "max_tokens": self.max_tokens,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "ignore_eos": self.ignore_eos,
            "check_answers": self.check_answers,
            "timeout": self.timeout,
            "tokenizer": self.tokenizer,
            "seed": self.seed,
            "extra_body": dict(self.extra_body),
            "objectives": {objective.key: objective.bar for objective in self.objectives},
        }


def objective_keys() -> tuple[str, ...]:
    """Every objective key the schema accepts."""
    properties: Mapping[str, Any] = load_schema("perf")["properties"]["objectives"]["properties"]
    return tuple(properties)


def _validate(document: Mapping[str, Any], source: str) -> None:
    found = first_error("perf", dict(document))
    if found is not None:
        key, message = found
        hint = ""
        if key == "objectives" or key.startswith("objectives."):
            hint = (
                "; objectives are <ttft|tpot|itl|e2e>_p<50|90|95|99>_ms (e.g. ttft_p95_ms), "
                "min_output_tokens_per_s, min_requests_per_s, min_goodput, max_error_rate, "
                "min_pass_rate"
            )
        where = source if key == "(top level)" else f"{source} '{key}'"
        raise ConfigError(f"{where}: {message}{hint}")


def load_perf_config(
    table: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    *,
    source: str = _SOURCE,
) -> PerfConfig:
    """Validate *table* (``[tool.releasegate.perf]`` as written) and *overrides* (command line,
    ``None`` meaning "not given") and build the :class:`PerfConfig`."""
    _validate(table, source)
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    _validate(given, "command line")
    merged: dict[str, Any] = {**table, **given}
    load_keys = {"users", "rate", "duration", "warmup", "max_in_flight", "requests"}
    defaults = LoadSpec()
    rate, requests = merged.get("rate"), merged.get("requests")
    # A load bounded by requests runs until they are done, unless a duration is given as well.
    duration = defaults.duration if requests is None else math.inf
    load = LoadSpec(
        users=int(merged.get("users", defaults.users)),
        rate=None if rate is None else float(rate),
        duration=float(merged.get("duration", duration)),
        warmup=float(merged.get("warmup", defaults.warmup)),
        max_in_flight=int(merged.get("max_in_flight", defaults.max_in_flight)),
        requests=None if requests is None else int(requests),
    )
    objectives = tuple(
        Objective(key=key, bar=float(value))
        for key, value in dict(merged.get("objectives", {})).items()
    )
    if any(o.key == "min_pass_rate" for o in objectives) and (
        merged.get("prompts", "golden") != "golden" or merged.get("check_answers") is False
    ):
        raise ConfigError(
            f"{source} 'objectives.min_pass_rate': a pass rate needs golden prompts whose answers "
            'are checked; set prompts = "golden" and check_answers = true, or drop the objective'
        )
    rest = {
        key: value for key, value in merged.items() if key not in load_keys and key != "objectives"
    }
    if "suites" in rest:
        rest["suites"] = tuple(rest["suites"])
    if "timeout" in rest:
        rest["timeout"] = float(rest["timeout"])
    if "base_url" in rest:
        rest["base_url"] = str(rest["base_url"]).rstrip("/")
    return PerfConfig(load=load, objectives=objectives, **rest)


def perf_project(perf_config: str | None) -> Project:
    """The project the load test reads its settings from: the file ``--perf-config`` names (it
    must exist), else the nearest ``pyproject.toml`` holding ``[tool.releasegate]`` above the
    current folder, the same lookup as every other entry point
    (:func:`releasegate.config.load_project`)."""
    given = Path(perf_config) if perf_config else None
    try:
        return load_project(pyproject=given)
    except ConfigError as exc:
        if given is None:
            raise
        raise ConfigError(f"--perf-config {exc}") from None
