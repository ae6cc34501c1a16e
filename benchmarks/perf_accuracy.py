"""Measurement error of perf/: measured TTFT and TPOT against a server whose timing is known.

The timed test server (``tests/perf/timed_server.py``, its own process) sends the first
content chunk ``ttft`` after a request arrives and one chunk every ``interval`` after that. One
closed-loop locust user (low load) measures it for a while; the error is measured p50 minus the
true value. The true TTFT here is the server's delay: the loopback round trip and the server's own
request handling (about 1-2 ms, measured with ``ttft = 0``) are part of the error reported, so
the figure is an upper bound on the measuring's own error.

    python benchmarks/perf_accuracy.py [--seconds 12]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from perf_common import headless

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "perf"))
from timed_server import TimedServerSpec, timed_server

CASES = [(0.0, 10.0), (50.0, 10.0), (200.0, 25.0), (500.0, 50.0)]
"""(TTFT ms, interval ms) pairs; 16 tokens each."""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    print("true TTFT | measured p50 | error      | true TPOT | measured p50 | error     | n")
    for ttft, interval in CASES:
        spec = TimedServerSpec(ttft_s=ttft / 1000, interval_s=interval / 1000, tokens=16)
        with tempfile.TemporaryDirectory() as tmp, timed_server(spec) as url:
            result = headless(
                Path(tmp),
                url,
                users=1,
                seconds=args.seconds,
                perf='warmup = 2\nsuites = ["shop_faq"]\ncheck_answers = false',
            )
        lat = result.summary["latencies"]
        m_ttft, m_tpot = lat["ttft"]["p50"], lat["tpot"]["p50"]
        e_ttft, e_tpot = m_ttft - ttft, m_tpot - interval
        pct = f"{100 * e_ttft / ttft:+.1f}%" if ttft else "  -  "
        print(
            f"{ttft:7.1f}ms | {m_ttft:10.2f}ms | {e_ttft:+5.2f}ms {pct:>6} | {interval:7.1f}ms "
            f"| {m_tpot:10.3f}ms | {e_tpot:+6.3f}ms {100 * e_tpot / interval:+.1f}% "
            f"| {result.summary['requests']}"
        )


if __name__ == "__main__":
    main()
