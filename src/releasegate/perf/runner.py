"""Running a bounded headless load from Python: ``pytest perf``, the tests and the benchmarks.

The load runs in a ``locust --headless`` subprocess on the same locustfile a user runs by hand,
so what is gated is exactly what ``locust -f perf/locustfile.py`` measures, and locust's
patching of the standard library (gevent) never reaches the calling process. The subprocess
writes ``reports/perf-<run>/``; :func:`run_load` reads its ``summary.json`` back.

Before the load, :func:`preflight` sends one request the way the load will: an endpoint that
refuses it (a wrong URL, a model name it does not serve, a field it rejects such as
``ignore_eos``) is one :class:`~releasegate.exceptions.PerfError` naming the URL and what to do,
instead of a run of identical failures.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from ..config import Settings
from ..exceptions import PerfError
from .config import PerfConfig
from .prompts import HFTokenCounter, build_body, load_prompts, tokenizer_source
from .stream import chat_url, measure_chat_stream

__all__ = ["LoadResult", "locust_command", "preflight", "run_load"]


@dataclass(frozen=True)
class LoadResult:
    """A finished headless run."""

    directory: Path
    """``reports/perf-<run>/``."""
    document: Mapping[str, Any]
    """Its ``summary.json``."""
    output: str
    """What locust printed (the summary table at the end)."""
    returncode: int
    """locust's exit status: 0, or 1 with ``--perf-gate`` and a missed objective, ..."""

    @property
    def summary(self) -> Mapping[str, Any]:
        summary: Mapping[str, Any] = self.document["summary"]
        return summary

    @property
    def objectives(self) -> list[Mapping[str, Any]]:
        objectives: list[Mapping[str, Any]] = self.document["objectives"]
        return objectives


def locust_command(
    locustfile: Path,
    *,
    host: str,
    users: int,
    run_time_s: float,
    report_dir: Path,
    pyproject: Path | None = None,
    model: str | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The ``locust --headless`` command line for one bounded run (all users spawned at once).

    An infinite *run_time_s* gives no ``--run-time``: the load's ``requests`` bound ends it."""
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "--only-summary",
        "--host",
        host,
        "-u",
        str(users),
        "-r",
        str(users),
    ]
    if math.isfinite(run_time_s):
        command += ["-t", f"{math.ceil(run_time_s)}s"]
    command += ["--stop-timeout", "0", "--perf-report-dir", str(report_dir)]
    if pyproject is not None:
        command += ["--perf-config", str(pyproject)]
    if model is not None:
        command += ["--perf-model", model]
    return command + list(extra)


def run_load(
    command: Sequence[str],
    report_dir: Path,
    *,
    timeout: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> LoadResult:
    """Run *command* (see :func:`locust_command`) and read the report it wrote."""
    environment = {**os.environ, **(env or {})}
    try:
        done = subprocess.run(
            list(command),
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise PerfError(f"locust did not finish within {timeout:g} s: {' '.join(command)}") from exc
    output = done.stdout + done.stderr
    summary_path = report_dir / "summary.json"
    if not summary_path.is_file():
        tail = "\n".join(output.splitlines()[-30:])
        raise PerfError(
            f"locust exited with status {done.returncode} and wrote no report in {report_dir}; "
            f"its last lines:\n{tail}"
        )
    document = json.loads(summary_path.read_text(encoding="utf-8"))
    return LoadResult(
        directory=report_dir, document=document, output=output, returncode=done.returncode
    )


def preflight(base_url: str, settings: Settings, config: PerfConfig, *, model: str | None) -> None:
    """Send one request of the load; raise :class:`PerfError` if the endpoint refuses it."""
    counter = None
    if config.prompts == "synthetic" or config.tokenizer is not None:
        counter = HFTokenCounter(tokenizer_source(settings, config))
    prompt = load_prompts(settings, config, counter)[0]
    body = build_body(prompt, config, model=model, temperature=settings.temperature)
    url = chat_url(base_url)
    with requests.Session() as session:
        sample = measure_chat_stream(
            session,
            url,
            body,
            prompt_id=prompt.id,
            start_s=0.0,
            timeout=config.timeout,
            counter=counter,
        )
    if sample.ok:
        return
    hint = "check the URL (it ends in /v1) and that the server is up"
    reason = sample.error or ""
    if "ignore_eos" in reason:
        hint = (
            "this server does not take ignore_eos: set ignore_eos = false in "
            "[tool.releasegate.perf] (answers may then stop before output_tokens at the "
            "end-of-sequence token; the report shows the output tokens measured)"
        )
    elif sample.status in (400, 404, 422):
        hint = "the server refused the request: check model (the name it serves) and extra_body"
    raise PerfError(f"{url}: the first request of the load failed ({reason}); {hint}")
