"""perf against the real embedded ``transformers serve`` on the default model: a short load
through the locustfile, and what happens with a field the server does not take."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from perf_project import LOCUSTFILE, ROOT, write_config
from releasegate.config import load_settings
from releasegate.exceptions import PerfError
from releasegate.models.serving import EmbeddedServer, embedded_server
from releasegate.perf.config import load_perf_config
from releasegate.perf.runner import locust_command, preflight, run_load

pytestmark = [pytest.mark.slow, pytest.mark.timing]


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with embedded_server() as running:
        yield running


def test_a_short_load_measures_the_real_server(tmp_path: Path, server: EmbeddedServer) -> None:
    # Bounded by work, not seconds: 3 requests, however long a shared machine makes them take
    # (a 20 s window once finished none of them on a busy machine). The time-out only catches
    # a hung run.
    pyproject = write_config(
        tmp_path,
        'suites = ["intents"]\nwarmup = 0\nrequests = 3\n'
        "[tool.releasegate.perf.objectives]\nmax_error_rate = 0",
    )
    report_dir = tmp_path / "report"
    command = locust_command(
        LOCUSTFILE,
        host=server.base_url,
        users=1,
        run_time_s=math.inf,
        report_dir=report_dir,
        pyproject=pyproject,
        model=server.model,
        extra=("--perf-gate",),
    )
    result = run_load(command, report_dir, timeout=900, cwd=tmp_path)
    summary = result.summary
    assert result.returncode == 0, result.output[-3000:]
    assert summary["requests"] == 3 and summary["failures"] == 0  # one user: stops at the bound
    assert summary["token_sources"] == {"usage": summary["requests"]}  # usage is always sent
    assert summary["mean_input_tokens"] > 100  # system prompt + chat template
    ttft, e2e = summary["latencies"]["ttft"], summary["latencies"]["e2e"]
    assert 0 < ttft["p50"] < e2e["p50"]
    assert summary["checked"] == summary["requests"]  # every golden answer judged
    assert summary["output_tokens_per_s"] > 0
    assert sorted(p.name for p in report_dir.iterdir()) == [
        "latency.png",
        "samples.jsonl",
        "summary.json",
        "summary.md",
    ]


def test_ignore_eos_is_refused_by_transformers_serve_and_the_error_says_what_to_do(
    server: EmbeddedServer,
) -> None:
    settings = load_settings({}, {}, root=ROOT)
    config = load_perf_config({"prompts": "synthetic", "input_tokens": 16, "output_tokens": 8})
    with pytest.raises(PerfError) as caught:
        preflight(server.base_url, settings, config, model=server.model)
    message = str(caught.value)
    assert "HTTP 422" in message and "ignore_eos" in message
    assert "set ignore_eos = false in [tool.releasegate.perf]" in message
    # and without it, synthetic prompts run (length bounded by max_tokens only)
    preflight(
        server.base_url,
        settings,
        load_perf_config(
            {"prompts": "synthetic", "input_tokens": 16, "output_tokens": 8, "ignore_eos": False}
        ),
        model=server.model,
    )
