"""The load generator's own limit: requests/s one locust process sustains before its figures drift.

Against the timed test server (first chunk after 20 ms, then 16 chunks 5 ms apart: 95 ms per
request), one locust process runs open-loop Poisson arrivals at rising rates. At each rate:
achieved requests/s, and the measured p50/p99 TTFT and p50 TPOT against the true 20 ms / 5 ms.
The limit is the highest rate up to which the process still sends what was asked (the measured
count within 3 standard deviations of the Poisson count expected; p99 of how late requests left
against their schedule at most 5 ms), with no failure, and its p50 TTFT and TPOT stay within 5 %
or 2 ms of what it measured at the lowest rate (itself within ~2 ms of the truth: the loopback
round trip and the server's request handling, see benchmarks/perf_accuracy.py). The server runs
on the same machine, so on a small machine the figure is a lower bound for the generator alone.

    python benchmarks/perf_generator_limit.py [--seconds 10] [--rates 10,20,40,80,120,160]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

from perf_common import headless

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "perf"))
from timed_server import TimedServerSpec, timed_server

TTFT_MS, INTERVAL_MS, TOKENS = 20.0, 5.0, 16
MAX_LATE_MS = 5.0
"""p99 lateness of arrivals beyond which the generator is falling behind its schedule."""


def within(measured: float, true: float) -> bool:
    return abs(measured - true) <= max(0.05 * true, 2.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", default="10,20,40,60,80,120,160,240")
    args = parser.parse_args()
    spec = TimedServerSpec(ttft_s=TTFT_MS / 1000, interval_s=INTERVAL_MS / 1000, tokens=TOKENS)
    print(
        "asked req/s | achieved | failures | p50 TTFT | p99 TTFT | p50 TPOT | p50 ITL "
        "| p99 late | ok"
    )
    limit = 0.0
    rows: list[dict[str, float | bool]] = []
    reference: tuple[float, float] | None = None
    with timed_server(spec) as url:
        for rate in [float(r) for r in args.rates.split(",")]:
            with tempfile.TemporaryDirectory() as tmp:
                result = headless(
                    Path(tmp),
                    url,
                    users=1,
                    seconds=args.seconds,
                    perf=f'rate = {rate}\nwarmup = 2\nmax_in_flight = 512\nsuites = ["shop_faq"]\n'
                    "check_answers = false",
                )
            s = result.summary
            lat = s["latencies"]
            window = s["window_s"] or 1.0
            achieved = s["requests"] / window
            expected = rate * window
            late = s.get("arrival_lateness_p99_ms") or 0.0
            if reference is None:
                reference = (lat["ttft"]["p50"], lat["tpot"]["p50"])
            ok = (
                s["requests"] >= expected - 3 * math.sqrt(expected)  # Poisson: within 3 sd
                and s["failures"] == 0
                and within(lat["ttft"]["p50"], reference[0])
                and within(lat["tpot"]["p50"], reference[1])
                and late <= MAX_LATE_MS
            )
            if ok and all(row["ok"] for row in rows):
                limit = rate
            rows.append({"rate": rate, "achieved": achieved, "late_p99_ms": late, "ok": ok})
            print(
                f"{rate:11.0f} | {achieved:8.1f} | {s['failures']:8d} | "
                f"{lat['ttft']['p50']:7.1f}ms | {lat['ttft']['p99']:7.1f}ms | "
                f"{lat['tpot']['p50']:7.2f}ms | {lat['itl']['p50']:6.2f}ms | {late:8.1f}ms | "
                f"{'yes' if ok else 'no'}",
                flush=True,
            )
            if not ok and achieved < 0.8 * rate:
                break
    print(f"generator limit (highest rate with every figure right up to it): {limit:g} requests/s")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
