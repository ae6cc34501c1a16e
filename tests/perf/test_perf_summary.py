"""Summary figures from raw samples (exact percentiles, warm-up left out, goodput), objectives'
verdicts, and the report folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from releasegate.perf.config import Objective
from releasegate.perf.objectives import judge_objectives
from releasegate.perf.report import write_report
from releasegate.perf.samples import RequestSample, read_samples
from releasegate.perf.summary import summarize


def ok(start: float, ttft: float, e2e: float, tokens: int = 11, **extra: object) -> RequestSample:
    return RequestSample(
        prompt_id=f"s/{start}",
        start_s=start,
        ok=True,
        status=200,
        ttft_ms=ttft,
        e2e_ms=e2e,
        tpot_ms=(e2e - ttft) / (tokens - 1),
        itl_ms=tuple([(e2e - ttft) / (tokens - 1)] * (tokens - 1)),
        input_tokens=20,
        output_tokens=tokens,
        token_source="usage",
        content_chunks=tokens,
        **extra,  # type: ignore[arg-type]  # RequestSample keywords, loosely typed
    )


def failed(start: float, reason: str) -> RequestSample:
    return RequestSample(prompt_id="s/x", start_s=start, ok=False, error=reason, e2e_ms=5.0)


def test_percentiles_are_exact_and_warmup_is_left_out() -> None:
    ttfts = [float(v) for v in range(1, 101)]  # 1..100 ms
    samples = [ok(10.0 + i * 0.1, ttft, ttft + 1000) for i, ttft in enumerate(ttfts)]
    samples += [ok(0.5, 99999.0, 99999.0, warmup=True)]  # slow warm-up: must not count
    summary = summarize(samples, warmup_s=5.0, load="test")
    stats = summary.latencies["ttft"]
    assert stats is not None and stats.count == 100
    for p in (50, 90, 95, 99):
        assert stats.percentile(p) == pytest.approx(float(np.percentile(ttfts, p)))
    assert stats.p99 == pytest.approx(99.01)  # a bucketed histogram would say 99 or 100
    assert summary.requests == 100 and summary.warmup_requests == 1
    itl = summary.latencies["itl"]
    assert itl is not None and itl.count == 1000  # every gap of every request


def test_rates_are_per_second_of_the_measured_window() -> None:
    # 10 requests, the last ending at 5 + 4.5 + 0.5 = 10 s; the window is 10 - 5 = 5 s.
    samples = [ok(5.0 + i * 0.5, 100.0, 500.0, tokens=11) for i in range(10)]
    summary = summarize(samples, warmup_s=5.0, load="test")
    assert summary.window_s == pytest.approx(5.0)
    assert summary.requests_per_s == pytest.approx(2.0)
    assert summary.output_tokens_per_s == pytest.approx(110 / 5.0)
    assert summary.input_tokens_per_s == pytest.approx(200 / 5.0)
    assert summary.mean_output_tokens == pytest.approx(11.0)


def test_failures_count_in_the_error_rate_grouped_by_reason() -> None:
    samples = [ok(5.0 + i, 100.0, 500.0) for i in range(8)]
    samples += [failed(6.0, "HTTP 500: boom"), failed(7.0, "stream cut: it ended after 3 chunks")]
    samples += [failed(8.0, "stream cut: it ended after 7 chunks")]
    summary = summarize(samples, warmup_s=5.0, load="test")
    assert summary.requests == 11 and summary.failures == 3
    assert summary.error_rate == pytest.approx(3 / 11)
    assert summary.failure_reasons == {
        "stream cut: it ended after N chunks": 2,
        "HTTP N: boom": 1,
    }
    ttft = summary.latencies["ttft"]
    assert ttft is not None and ttft.count == 8  # failures never count as fast successes


def test_goodput_counts_requests_meeting_every_request_objective_and_their_check() -> None:
    samples = [
        ok(5.0, 100.0, 500.0, check_passed=True),
        ok(5.5, 900.0, 1300.0, check_passed=True),  # TTFT over the bar
        ok(6.0, 100.0, 500.0, check_passed=False),  # wrong answer
        ok(6.5, 100.0, 3500.0, check_passed=True),  # e2e over the bar
        ok(7.0, 120.0, 600.0, check_passed=True),
    ]
    objectives = [Objective("ttft_p95_ms", 500.0), Objective("e2e_p99_ms", 3000.0)]
    summary = summarize(samples, warmup_s=5.0, load="test", objectives=objectives)
    assert summary.good_requests == 2
    assert summary.goodput == pytest.approx(2 / summary.window_s)
    assert summary.checked == 5 and summary.passed == 4 and summary.pass_rate == 0.8


def test_objectives_are_judged_with_the_measured_figure() -> None:
    samples = [ok(5.0 + i, float(100 + i), 1000.0) for i in range(10)]
    summary = summarize(samples, warmup_s=5.0, load="2 users")
    results = judge_objectives(
        summary,
        [
            Objective("ttft_p50_ms", 200.0),
            Objective("ttft_p99_ms", 105.0),
            Objective("min_output_tokens_per_s", 1000.0),
            Objective("max_error_rate", 0.0),
            Objective("min_pass_rate", 0.5),
        ],
    )
    assert [r.met for r in results] == [True, False, False, True, False]
    assert results[1].message == "p99 TTFT 108.9 ms, bar <= 105 ms: missed"
    assert results[4].message.startswith("pass rate of golden answers under load: not measured")


def test_nothing_measured_gives_no_figures_rather_than_zeros() -> None:
    summary = summarize([failed(6.0, "HTTP 503")], warmup_s=5.0, load="t")
    assert summary.latencies["ttft"] is None and summary.output_tokens_per_s is None
    (result,) = judge_objectives(summary, [Objective("ttft_p95_ms", 100.0)])
    assert not result.met and result.value is None


def test_the_report_folder_holds_samples_summary_and_plot(tmp_path: Path) -> None:
    samples = [ok(5.0 + i * 0.2, 100.0 + i, 400.0 + i) for i in range(30)]
    samples.append(failed(6.0, "HTTP 500: boom"))
    samples.append(ok(1.0, 50.0, 60.0, warmup=True))
    objectives = [Objective("ttft_p95_ms", 500.0)]
    summary = summarize(samples, warmup_s=5.0, load="2 users (closed loop)", objectives=objectives)
    results = judge_objectives(summary, objectives)
    report = write_report(
        tmp_path / "perf-x",
        samples,
        summary,
        results,
        context={"endpoint": "http://127.0.0.1:1/v1"},
        settings={"users": 2},
    )
    folder = report.directory
    assert sorted(p.name for p in folder.iterdir()) == [
        "latency.png",
        "samples.jsonl",
        "summary.json",
        "summary.md",
    ]
    back = list(read_samples(folder / "samples.jsonl"))
    assert sorted(back, key=lambda s: s.start_s) == sorted(samples, key=lambda s: s.start_s)
    document = json.loads((folder / "summary.json").read_text())
    assert document["summary"]["requests"] == 31 and document["summary"]["failures"] == 1
    assert document["objectives"][0]["met"] is True
    markdown = (folder / "summary.md").read_text()
    assert "| TTFT |" in markdown and "TPOT: (E2E - TTFT) / (output tokens - 1)" in markdown
    assert "1 x HTTP N: boom" in markdown
    assert (folder / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
