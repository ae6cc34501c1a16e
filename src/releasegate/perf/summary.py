"""From raw samples to the figures of a perf report: exact percentiles, throughput, goodput.

Percentiles are computed from every measured value (numpy's default linear interpolation
between the two nearest ranks), not from locust's rounded buckets. Samples sent during the
warm-up are left out. Rates are per second of the measured window: from the end of the warm-up
to the end of the last measured request.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .config import LATENCY_METRICS, PERCENTILES, Objective
from .samples import RequestSample

__all__ = ["LatencyStats", "PerfSummary", "latency_values", "summarize"]


@dataclass(frozen=True)
class LatencyStats:
    """One latency over the measured requests, in milliseconds."""

    count: int
    """Values behind the figures (requests; for ITL, gaps between chunks)."""
    mean: float
    min: float
    max: float
    p50: float
    p90: float
    p95: float
    p99: float

    def percentile(self, p: int) -> float:
        value: float = getattr(self, f"p{p}")
        return value


@dataclass(frozen=True)
class PerfSummary:
    """The figures of one load run."""

    load: str
    """The load as applied (``2 users (closed loop), 60 s, 10 s warm-up``)."""
    window_s: float
    """Seconds measured: from the end of the warm-up to the end of the last measured request."""
    requests: int
    """Measured requests (warm-up excluded), failed ones included."""
    failures: int
    """Measured requests that failed."""
    warmup_requests: int
    """Requests sent during the warm-up (in the samples, not in any figure)."""
    requests_per_s: float | None
    """Successful requests per second of the window."""
    output_tokens_per_s: float | None
    """Output tokens of successful requests per second of the window."""
    input_tokens_per_s: float | None
    """Input tokens of successful requests per second of the window."""
    latencies: Mapping[str, LatencyStats | None]
    """``ttft``, ``tpot``, ``itl``, ``e2e``: None when nothing was measured."""
    mean_input_tokens: float | None
    mean_output_tokens: float | None
    goodput: float | None
    """Requests per second that succeeded, met every per-request objective (TTFT, TPOT and
    end-to-end bars) and, when answers are checked, passed their check."""
    good_requests: int
    """The requests counted in ``goodput``."""
    checked: int
    """Measured answers judged by their golden case's check."""
    passed: int
    """Of those, the ones that passed."""
    failure_reasons: Mapping[str, int] = field(default_factory=dict)
    """Failures grouped by reason (numbers replaced by N), most frequent first."""
    token_sources: Mapping[str, int] = field(default_factory=dict)
    """How many successful requests counted tokens from usage, a tokenizer or chunks."""
    workers: tuple[str, ...] = ()
    """The locust processes whose samples are in the summary."""
    arrival_lateness_p99_ms: float | None = None
    """Open loop: p99 of how late requests left against their Poisson schedule. More than a
    few milliseconds means the load generator, not the server, is the bottleneck."""

    @property
    def error_rate(self) -> float | None:
        return self.failures / self.requests if self.requests else None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.checked if self.checked else None

    def figure(self, objective: Objective) -> float | None:
        """The measured figure an objective bars, None when it could not be measured."""
        latency = objective.latency
        if latency is not None:
            stats = self.latencies.get(latency[0])
            return None if stats is None else stats.percentile(latency[1])
        return {
            "min_output_tokens_per_s": self.output_tokens_per_s,
            "min_requests_per_s": self.requests_per_s,
            "min_goodput": self.goodput,
            "max_error_rate": self.error_rate,
            "min_pass_rate": self.pass_rate,
        }[objective.key]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_rate"] = self.error_rate
        data["pass_rate"] = self.pass_rate
        data["workers"] = list(self.workers)
        return data


def _stats(values: Sequence[float]) -> LatencyStats | None:
    if not values:
        return None
    array = np.asarray(values, dtype=float)
    p50, p90, p95, p99 = (float(v) for v in np.percentile(array, PERCENTILES))
    return LatencyStats(
        count=len(values),
        mean=float(array.mean()),
        min=float(array.min()),
        max=float(array.max()),
        p50=p50,
        p90=p90,
        p95=p95,
        p99=p99,
    )


def latency_values(samples: Iterable[RequestSample], metric: str) -> list[float]:
    """Every measured value of *metric* over successful *samples* (ITL: every gap)."""
    values: list[float] = []
    for sample in samples:
        if not sample.ok:
            continue
        if metric == "itl":
            values.extend(sample.itl_ms)
            continue
        value = getattr(sample, f"{metric}_ms")
        if value is not None:
            values.append(value)
    return values


_NUMBER = re.compile(r"\d+(\.\d+)?")


def _reason_group(reason: str) -> str:
    return _NUMBER.sub("N", reason)[:160]


def _meets_request_objectives(sample: RequestSample, objectives: Sequence[Objective]) -> bool:
    for objective in objectives:
        latency = objective.latency
        if latency is None or latency[0] == "itl":
            continue
        value = getattr(sample, f"{latency[0]}_ms")
        if value is not None and value > objective.bar:
            return False
    return sample.check_passed is not False


def summarize(
    samples: Iterable[RequestSample],
    *,
    warmup_s: float,
    load: str,
    objectives: Sequence[Objective] = (),
) -> PerfSummary:
    """The figures of *samples*; those marked ``warmup`` only counted as such."""
    every = list(samples)
    measured = [s for s in every if not s.warmup]
    ok = [s for s in measured if s.ok]
    window = max((s.end_s for s in measured), default=warmup_s) - warmup_s
    per_s = (lambda count: count / window) if window > 0 else (lambda count: None)
    output = [s.output_tokens for s in ok if s.output_tokens is not None]
    inputs = [s.input_tokens for s in ok if s.input_tokens is not None]
    good = [s for s in ok if _meets_request_objectives(s, objectives)]
    checked = [s for s in ok if s.check_passed is not None]
    reasons = Counter(_reason_group(s.error or "unknown") for s in measured if not s.ok)
    late = [float(s.extra["late_ms"]) for s in measured if "late_ms" in s.extra]
    return PerfSummary(
        load=load,
        window_s=max(window, 0.0),
        requests=len(measured),
        failures=len(measured) - len(ok),
        warmup_requests=len(every) - len(measured),
        requests_per_s=per_s(len(ok)),
        output_tokens_per_s=per_s(sum(output)) if output else None,
        input_tokens_per_s=per_s(sum(inputs)) if inputs else None,
        latencies={metric: _stats(latency_values(ok, metric)) for metric in LATENCY_METRICS},
        mean_input_tokens=float(np.mean(inputs)) if inputs else None,
        mean_output_tokens=float(np.mean(output)) if output else None,
        goodput=per_s(len(good)),
        good_requests=len(good),
        checked=len(checked),
        passed=sum(1 for s in checked if s.check_passed),
        failure_reasons=dict(reasons.most_common()),
        token_sources=dict(Counter(s.token_source for s in ok)),
        workers=tuple(sorted({s.worker for s in every})),
        arrival_lateness_p99_ms=float(np.percentile(late, 99)) if late else None,
    )
