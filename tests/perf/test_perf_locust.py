"""The locustfile run as users run it (``locust --headless``, and master + worker) against the
timed test server: the measuring is accurate, open loop keeps its rate, faults are failures,
samples reach the master, ``--perf-gate`` turns a missed objective into exit status 1."""

from __future__ import annotations

import csv
import math
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from timed_server import TimedServerSpec, timed_server

from perf_project import LOCUSTFILE, write_config
from releasegate.perf.runner import LoadResult, locust_command, run_load
from releasegate.perf.samples import RequestSample, read_samples

# Tests marked timing measure against a known truth: make test runs them alone, not beside other
# tests on 2 cores. The others bound their load by requests, so the machine's load cannot change
# their verdict.


SHOP_FAQ = 'suites = ["shop_faq"]'


def run(
    tmp_path: Path,
    url: str,
    *,
    users: int,
    requests: int,
    perf: str = "",
    extra: tuple[str, ...] = (),
) -> tuple[LoadResult, list[RequestSample]]:
    """A load bounded by *requests* completed after the warm-up, not by seconds: a busy
    machine makes it take longer, never measure fewer requests. The time-out only catches a
    hung run."""
    config = write_config(tmp_path, f"{SHOP_FAQ}\nrequests = {requests}\n{perf}")
    report_dir = tmp_path / "report"
    command = locust_command(
        LOCUSTFILE,
        host=url,
        users=users,
        run_time_s=math.inf,
        report_dir=report_dir,
        pyproject=config,
        extra=extra,
    )
    result = run_load(command, report_dir, timeout=600, cwd=tmp_path)
    return result, list(read_samples(report_dir / "samples.jsonl"))


def near(measured: float, true: float) -> bool:
    """Within 5 % or 2 ms of the true value, whichever is wider."""
    return abs(measured - true) <= max(0.05 * true, 2.0)


@pytest.mark.timing
def test_measured_ttft_and_tpot_match_the_true_timing_at_low_load(tmp_path: Path) -> None:
    spec = TimedServerSpec(ttft_s=0.2, interval_s=0.025, tokens=12)
    with timed_server(spec) as url:
        result, samples = run(
            tmp_path,
            url,
            users=1,
            requests=8,
            perf="warmup = 1\ncheck_answers = false\n[tool.releasegate.perf.objectives]\n"
            "ttft_p50_ms = 1\ntpot_p50_ms = 1000",
            extra=("--perf-gate",),
        )
    summary = result.summary
    ttft, tpot = summary["latencies"]["ttft"], summary["latencies"]["tpot"]
    assert summary["failures"] == 0 and summary["requests"] == 8  # one user: the bound
    # TTFT runs from the client sending to the first chunk, so it carries both sides' request
    # handling: about 2 ms on an idle host, up to ~15 ms seen on a shared virtual machine (the
    # code of before issue 20 measured the same there). Never below the truth, at most 10 % over.
    assert 200.0 <= ttft["p50"] <= 220.0, ttft
    assert near(tpot["p50"], 25.0), tpot
    assert near(summary["latencies"]["e2e"]["p50"], 200.0 + 11 * 25.0)
    assert summary["token_sources"] == {"usage": summary["requests"]}
    assert summary["load"] == "1 users (closed loop), 8 requests, 1 s warm-up"
    assert {s.warmup for s in samples} == {True, False}
    assert all(s.start_s >= 1.0 for s in samples if not s.warmup)
    # --perf-gate: the missed objective (p50 TTFT <= 1 ms) makes locust exit 1
    assert [o["met"] for o in result.objectives] == [False, True]
    assert "| ttft_p50_ms |" in result.output and "**missed**" in result.output
    assert result.returncode == 1


@pytest.mark.timing
def test_open_loop_keeps_a_poisson_rate_whatever_the_latency(tmp_path: Path) -> None:
    # each answer takes ~0.3 s: a closed loop of 1 user could not exceed ~3 requests/s
    spec = TimedServerSpec(ttft_s=0.1, interval_s=0.02, tokens=10)
    with timed_server(spec) as url:
        result, samples = run(
            tmp_path,
            url,
            users=1,
            requests=60,
            perf="rate = 15\nwarmup = 1\ncheck_answers = false",
        )
    measured = sorted(s.start_s for s in samples if not s.warmup)
    assert result.summary["failures"] == 0
    achieved = (len(measured) - 1) / (measured[-1] - measured[0])
    assert 15 * 0.7 <= achieved <= 15 * 1.3, achieved
    gaps = np.diff(measured)
    assert 0.6 <= gaps.std() / gaps.mean() <= 1.4  # exponential gaps: coefficient of variation 1
    assert "15 requests/s (open loop, Poisson arrivals" in result.summary["load"]
    assert result.summary["arrival_lateness_p99_ms"] is not None
    assert all("late_ms" in s.extra for s in samples)


@pytest.mark.timing
@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("cut", "stream broken after N content chunks"),
        ("slow_first_byte", "timeout: no response within N s (no first token)"),
    ],
)
def test_faults_under_load_are_failures_with_reasons(
    tmp_path: Path, fault: str, reason: str
) -> None:
    spec = TimedServerSpec(ttft_s=0.02, interval_s=0.01, tokens=10, fault=fault, slow_s=2.0)
    with timed_server(spec) as url:
        result, _ = run(
            tmp_path,
            url,
            users=2,
            requests=4,
            perf="warmup = 0\ntimeout = 0.5\ncheck_answers = false",
        )
    summary = result.summary
    assert summary["requests"] >= 4 and summary["failures"] == summary["requests"]
    (found,) = summary["failure_reasons"]
    assert found.startswith(reason)
    assert summary["latencies"]["ttft"] is None and summary["requests_per_s"] == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_master_and_worker_write_one_report_with_every_sample(tmp_path: Path) -> None:
    """Bounded by requests counted on the master (they arrive in the workers' reports), not by
    seconds: a busy machine makes the run longer, not its verdict different."""
    config = write_config(tmp_path, f"{SHOP_FAQ}\nwarmup = 1\ncheck_answers = false\nrequests = 12")
    report_dir = tmp_path / "report"
    port = free_port()
    spec = TimedServerSpec(ttft_s=0.05, interval_s=0.01, tokens=10)
    with timed_server(spec) as url:
        master = locust_command(
            LOCUSTFILE,
            host=url,
            users=2,
            run_time_s=math.inf,
            report_dir=report_dir,
            pyproject=config,
            extra=(
                "--master",
                "--expect-workers",
                "1",
                "--master-bind-host",
                "127.0.0.1",
                "--master-bind-port",
                str(port),
                "--csv",
                str(tmp_path / "locust"),
            ),
        )
        worker = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--worker",
            "--master-host",
            "127.0.0.1",
            "--master-port",
            str(port),
        ]
        worker_process = subprocess.Popen(
            worker, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        try:
            time.sleep(0.5)
            result = run_load(master, report_dir, timeout=300, cwd=tmp_path)
        finally:
            try:
                worker_process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker_process.kill()
                worker_process.wait()
    samples = list(read_samples(report_dir / "samples.jsonl"))
    workers = {s.worker for s in samples}
    assert len(workers) == 1 and "local" not in workers
    assert result.summary["workers"] == sorted(workers)
    assert result.summary["failures"] == 0 and result.summary["requests"] >= 12
    # every request locust counted on the master arrived as a raw sample
    with open(tmp_path / "locust_stats.csv", newline="") as stats:
        total = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    assert int(total["Request Count"]) == len(samples)
    assert result.summary["load"].startswith("2 users (closed loop)")
