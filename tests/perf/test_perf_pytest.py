"""``pytest perf`` as a user runs it: one load, then one test per objective that fails with the
measured figure. Against the timed test server via ``base_url`` (the real server's turn is in
test_perf_serve.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from timed_server import TimedServerSpec, timed_server

ROOT = Path(__file__).resolve().parents[2]


def make_project(pytester: pytest.Pytester, perf: str) -> None:
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "perf", pytester.path / "perf", ignore=ignore)
    pytester.makepyprojecttoml(
        f"""
[tool.releasegate]
golden_dir = "{ROOT / "fixtures" / "golden"}"
schemas_dir = "{ROOT / "fixtures" / "schemas"}"
reports_dir = "reports"

[tool.releasegate.perf]
{perf}
"""
    )


def test_each_objective_is_a_test_failing_with_the_measured_figure(
    pytester: pytest.Pytester,
) -> None:
    """The load is bounded by requests, not seconds: on a busy machine a 3 s load once measured
    no request at all and every objective failed. Its verdicts must not depend on the load of
    the machine, so this test is not marked ``timing``."""
    spec = TimedServerSpec(ttft_s=0.05, interval_s=0.01, tokens=8)
    with timed_server(spec) as url:
        make_project(
            pytester,
            f'base_url = "{url}"\nusers = 1\nrequests = 8\nwarmup = 1\nsuites = ["shop_faq"]\n'
            "[tool.releasegate.perf.objectives]\nttft_p50_ms = 5000\ne2e_p99_ms = 1\n"
            "max_error_rate = 0\nmin_pass_rate = 0.5",
        )
        result = pytester.runpytest_subprocess("perf", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(
        [
            "E * AssertionError: p99 end-to-end latency * ms, bar <= 1 ms: missed at 1 users "
            "(closed loop), 8 requests, 1 s warm-up; report: *perf-*",
            "E * AssertionError: pass rate of golden answers under load 0, bar >= 0.5: missed*",
        ]
    )
    result.stdout.fnmatch_lines(["*releasegate perf*", "| TTFT |*", "report: *perf-*"])
    reports = list((pytester.path / "reports").glob("perf-*/summary.json"))
    assert len(reports) == 1
    summary = json.loads(reports[0].read_text(encoding="utf-8"))["summary"]
    assert summary["requests"] == 8  # one user: the run stops at the bound, nothing beyond it


def test_a_bad_table_stops_pytest_perf_with_one_error(pytester: pytest.Pytester) -> None:
    make_project(pytester, "userz = 2")
    result = pytester.runpytest_subprocess("perf", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stderr.fnmatch_lines(
        ["*[[]tool.releasegate.perf[]]: unknown key 'userz' (did you mean 'users'?)*"]
    )


def test_a_refused_request_fails_before_the_load_naming_the_url(
    pytester: pytest.Pytester,
) -> None:
    with timed_server(TimedServerSpec(fault="http500")) as url:
        make_project(
            pytester,
            f'base_url = "{url}"\nusers = 1\nduration = 3\nwarmup = 1\nsuites = ["shop_faq"]\n'
            "[tool.releasegate.perf.objectives]\nmax_error_rate = 0",
        )
        result = pytester.runpytest_subprocess("perf", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [f"*{url}/chat/completions: the first request of the load failed (HTTP 500: *"]
    )
