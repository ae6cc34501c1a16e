"""The locust side of perf: a streaming chat-completions user, its options, and the run's report.

Importing this module imports locust (which patches the standard library for gevent), so only
locustfiles import it. :func:`install` hooks a run into locust's events:

- ``--perf-*`` command-line options (they override ``[tool.releasegate.perf]``), forwarded by
  locust from the master to its workers;
- at ``test_start`` each process that sends load reads the config and its prompts;
- every request is measured by :func:`releasegate.perf.stream.measure_chat_stream` and kept as a
  raw sample; locust's own statistics get the end-to-end time of each request, so its web UI and
  CSV stay meaningful, but the report's figures come from the raw samples;
- under master/worker, workers attach their new samples to each stats report they send
  (``report_to_master``) and the master collects them (``worker_report``); a worker sends a last
  report when it quits, so no sample is lost;
- at ``quitting`` the master (or the single local process) writes ``reports/perf-<run>/``,
  prints the summary, and with ``--perf-gate`` exits 1 when an objective is missed.

Load: closed loop by default (each user sends its next request when the last one ends);
with ``--perf-rate R`` (or ``rate`` in the table) each user becomes a Poisson arrival process at
``R / users`` requests per second that does not wait for answers, so ``users`` only spreads the
arrivals (one user per worker suffices) and the sum over users is a Poisson process at ``R``.
The load ends after ``--run-time``, or once ``--perf-requests N`` (``requests``) requests have
completed after the warm-up, whichever comes first.
"""

from __future__ import annotations

import itertools
import logging
import math
import random
import time
import weakref
from argparse import Namespace
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import gevent
import gevent.pool
import requests
from locust import User, constant, events, task
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from ..config import Settings
from ..exceptions import ConfigError, ReleasegateError
from .config import LoadSpec, PerfConfig, load_perf_config, perf_project
from .objectives import judge_objectives
from .prompts import (
    HFTokenCounter,
    PerfPrompt,
    build_body,
    golden_prompts,
    judge_samples,
    load_prompts,
    tokenizer_source,
)
from .report import PerfReport, format_summary, new_run_dir, write_report
from .samples import RequestSample
from .stream import chat_url, measure_chat_stream
from .summary import summarize

__all__ = ["ChatCompletionsUser", "StreamFailure", "install", "run_state"]

log = logging.getLogger("releasegate.perf")

CONNECTION_RETRY_PAUSE_S = 0.5
"""Closed loop: how long a user waits after a request that got no response at all."""

SAMPLES_KEY = "releasegate_perf_samples"
"""Key of the samples a worker adds to its stats report for the master."""


class StreamFailure(Exception):
    """A failed streamed request, as locust's statistics see it (the reason is the message)."""


@dataclass
class PerfRun:
    """The state of one run in one locust process."""

    settings: Settings
    config: PerfConfig
    pyproject: Path | None
    started: float = field(default_factory=time.perf_counter)
    prompts: list[PerfPrompt] = field(default_factory=list)
    counter: HFTokenCounter | None = None
    model: str | None = None
    samples: list[RequestSample] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    worker: str = "local"
    worker_index: int = 0
    _next_prompt: itertools.count[int] = field(default_factory=itertools.count)
    arrival_streams: itertools.count[int] = field(default_factory=itertools.count)
    """Numbers the open-loop users of this process, so each has its own seeded arrivals."""
    measured: int = 0
    """Samples kept here that were sent after the warm-up (what ``requests`` bounds)."""
    stopping: bool = False
    """The request bound was reached and the stop is under way."""

    def next_prompt(self) -> PerfPrompt:
        return self.prompts[next(self._next_prompt) % len(self.prompts)]

    def now(self) -> float:
        """Seconds since the load began in this process."""
        return time.perf_counter() - self.started

    def keep(self, sample: RequestSample, *, forward: bool) -> None:
        if forward:
            self.pending.append(sample.as_dict())
        else:
            self.add([sample])

    def add(self, samples: list[RequestSample]) -> None:
        """Keep *samples* for the report (the local process's, or the master's from workers)."""
        self.samples.extend(samples)
        self.measured += sum(1 for sample in samples if not sample.warmup)

    def bound_reached(self) -> bool:
        """Whether the load's ``requests`` bound is reached (never, without one)."""
        bound = self.config.load.requests
        return bound is not None and self.measured >= bound


_RUNS: weakref.WeakKeyDictionary[Environment, PerfRun] = weakref.WeakKeyDictionary()


def run_state(environment: Environment) -> PerfRun:
    """This process's run state (created at ``test_start``)."""
    try:
        return _RUNS[environment]
    except KeyError:
        raise RuntimeError("the perf run has not started (no test_start yet)") from None


# ---------------------------------------------------------------------------------------------
# Options


def add_arguments(parser: Any) -> None:
    """The ``--perf-*`` options; each overrides its key of ``[tool.releasegate.perf]``."""
    group = parser.add_argument_group("releasegate perf")
    group.add_argument(
        "--perf-config",
        default=None,
        help="pyproject.toml to read [tool.releasegate] from (default: nearest)",
    )
    group.add_argument(
        "--perf-rate",
        type=float,
        default=None,
        help="open loop: requests/s with Poisson arrivals, over all users",
    )
    group.add_argument(
        "--perf-warmup",
        type=float,
        default=None,
        help="seconds at the start left out of the figures",
    )
    group.add_argument(
        "--perf-requests",
        type=int,
        default=None,
        help="stop once this many requests completed after the warm-up",
    )
    group.add_argument("--perf-prompts", choices=["golden", "synthetic"], default=None)
    group.add_argument("--perf-suites", default=None, help="golden suites, comma-separated")
    group.add_argument("--perf-max-tokens", type=int, default=None)
    group.add_argument("--perf-input-tokens", type=int, default=None)
    group.add_argument("--perf-output-tokens", type=int, default=None)
    group.add_argument("--perf-ignore-eos", choices=["true", "false"], default=None)
    group.add_argument("--perf-check-answers", choices=["true", "false"], default=None)
    group.add_argument("--perf-model", default=None, help="model name sent in each request")
    group.add_argument(
        "--perf-timeout",
        type=float,
        default=None,
        help="seconds without data after which a request fails",
    )
    group.add_argument("--perf-tokenizer", default=None)
    group.add_argument("--perf-seed", type=int, default=None)
    group.add_argument(
        "--perf-report-dir",
        default=None,
        help="folder of the report (default: <reports_dir>/perf-<run>)",
    )
    group.add_argument(
        "--perf-gate",
        action="store_true",
        default=False,
        help="exit 1 when an objective of [tool.releasegate.perf] is missed",
    )
    group.add_argument("--perf-total-users", type=int, default=None, help="(set by the master)")


def _flag(value: str | None) -> bool | None:
    return None if value is None else value == "true"


def _overrides(options: Namespace) -> dict[str, Any]:
    suites = options.perf_suites
    return {
        "rate": options.perf_rate,
        "warmup": options.perf_warmup,
        "requests": options.perf_requests,
        "prompts": options.perf_prompts,
        "suites": [s for s in suites.split(",") if s] if suites else None,
        "max_tokens": options.perf_max_tokens,
        "input_tokens": options.perf_input_tokens,
        "output_tokens": options.perf_output_tokens,
        "ignore_eos": _flag(options.perf_ignore_eos),
        "check_answers": _flag(options.perf_check_answers),
        "model": options.perf_model,
        "timeout": options.perf_timeout,
        "tokenizer": options.perf_tokenizer,
        "seed": options.perf_seed,
    }


def _load(environment: Environment) -> tuple[Settings, PerfConfig, Path | None]:
    options = environment.parsed_options
    assert options is not None
    project = perf_project(options.perf_config)
    settings, pyproject = project.settings, project.pyproject
    config = load_perf_config(settings.perf, _overrides(options))
    users = options.perf_total_users or getattr(environment.runner, "target_user_count", None)
    run_time = getattr(options, "run_time", None)
    load = config.load
    duration = float(run_time) if run_time else load.duration if options.headless else math.inf
    applied = LoadSpec(
        users=int(users or load.users),
        rate=load.rate,
        duration=duration,
        warmup=load.warmup,
        max_in_flight=load.max_in_flight,
        requests=load.requests,
    )
    return settings, replace(config, load=applied), pyproject


# ---------------------------------------------------------------------------------------------
# The user


class ChatCompletionsUser(User):
    """Sends streamed chat completions and measures each one itself (see the module's doc)."""

    wait_time = constant(0)

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.session = requests.Session()
        self.pool: gevent.pool.Pool | None = None
        self.url = ""

    def on_start(self) -> None:
        if self.environment not in _RUNS:
            return  # the run could not start (test_start said why); locust is quitting
        state = run_state(self.environment)
        self.url = chat_url(self.environment.host or state.config.base_url or "")

    def on_stop(self) -> None:
        if self.pool is not None:
            self.pool.kill(block=False)
        self.session.close()

    @task
    def load(self) -> None:
        if self.environment not in _RUNS:
            gevent.sleep(1.0)  # idle until the quit that test_start asked for
            return
        state = run_state(self.environment)
        load = state.config.load
        if load.rate is None:
            sample = self.send(state, state.next_prompt())
            if sample.status is None and not sample.ok:
                # No response at all (connection refused, time-out): pause rather than spin
                # thousands of instant failures a second against a server that is down.
                gevent.sleep(CONNECTION_RETRY_PAUSE_S)
            return
        self.open_loop(state, load.rate / max(load.users, 1), load.max_in_flight)

    def open_loop(self, state: PerfRun, rate: float, max_in_flight: int) -> None:
        """Poisson arrivals at *rate* per second, never waiting for answers; runs until stopped."""
        self.pool = gevent.pool.Pool(max_in_flight)
        stream = state.worker_index * 1000 + next(state.arrival_streams)
        rng = random.Random(state.config.seed * 1_000_003 + stream)
        due = time.perf_counter()
        while True:
            due += rng.expovariate(rate)
            delay = due - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            prompt = state.next_prompt()
            if self.pool.full():
                self.record(
                    state,
                    RequestSample(
                        prompt_id=prompt.id,
                        start_s=state.now(),
                        ok=False,
                        error=f"arrival dropped: {max_in_flight} requests of this user already in "
                        "flight (raise max_in_flight, or the server cannot keep up with the rate)",
                        e2e_ms=0.0,
                    ),
                )
                continue
            self.pool.spawn(self.send, state, prompt, due)

    def send(self, state: PerfRun, prompt: PerfPrompt, due: float | None = None) -> RequestSample:
        """Send *prompt* and record it; *due* is its scheduled perf_counter() time (open loop)."""
        body = build_body(
            prompt, state.config, model=state.model, temperature=state.settings.temperature
        )
        late_ms = None if due is None else max(0.0, time.perf_counter() - due) * 1000
        sample = measure_chat_stream(
            self.session,
            self.url,
            body,
            prompt_id=prompt.id,
            start_s=state.now(),
            timeout=state.config.timeout,
            counter=state.counter,
        )
        if late_ms is not None:
            sample = sample.with_(extra={"late_ms": late_ms})
        return self.record(state, sample)

    def record(self, state: PerfRun, sample: RequestSample) -> RequestSample:
        sample = sample.with_(warmup=sample.start_s < state.config.load.warmup, worker=state.worker)
        is_worker = isinstance(self.environment.runner, WorkerRunner)
        state.keep(sample, forward=is_worker)
        if not is_worker:
            _stop_at_request_bound(self.environment, state)
        self.environment.events.request.fire(
            request_type="POST",
            name="/chat/completions (stream)",
            response_time=sample.e2e_ms or 0.0,
            response_length=len(sample.answer.encode()),
            exception=None if sample.ok else StreamFailure(sample.error),
            context={"ttft_ms": sample.ttft_ms, "output_tokens": sample.output_tokens},
        )
        return sample


# ---------------------------------------------------------------------------------------------
# Events


def _discover_model(base_url: str | None) -> str | None:
    """The first model ``GET /models`` lists, or None (the request then names no model)."""
    if not base_url:
        return None
    try:
        listing = requests.get(
            chat_url(base_url).removesuffix("/chat/completions") + "/models", timeout=5
        ).json()
        return str(listing["data"][0]["id"])
    except (requests.RequestException, ValueError, KeyError, IndexError, TypeError):
        return None


def _on_test_start(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    options = environment.parsed_options
    if isinstance(runner, MasterRunner) and options is not None:
        options.perf_total_users = runner.target_user_count  # forwarded to the workers
    try:
        settings, config, pyproject = _load(environment)
        state = PerfRun(settings=settings, config=config, pyproject=pyproject)
        if isinstance(runner, WorkerRunner):
            state.worker = runner.client_id
            state.worker_index = int(getattr(runner, "worker_index", 0) or 0)
        if not isinstance(runner, MasterRunner):
            needs_tokenizer = config.prompts == "synthetic" or config.tokenizer is not None
            if needs_tokenizer:
                state.counter = HFTokenCounter(tokenizer_source(settings, config))
            if not (environment.host or config.base_url):
                raise ConfigError(
                    "no endpoint to load: give --host http://HOST:PORT/v1 or set base_url in "
                    "[tool.releasegate.perf]"
                )
            state.prompts = load_prompts(settings, config, state.counter)
            state.model = config.model or _discover_model(environment.host or config.base_url)
    except ReleasegateError as exc:
        # One clear line, no traceback; the users see no run state and stop at once.
        log.error("releasegate perf: %s", exc)
        environment.process_exit_code = 2
        if runner is not None:
            gevent.spawn_later(0, runner.quit)
        return
    state.started = time.perf_counter()
    _RUNS[environment] = state


def _on_report_to_master(client_id: str, data: dict[str, Any]) -> None:
    for environment, state in list(_RUNS.items()):
        if isinstance(environment.runner, WorkerRunner) and state.pending:
            data[SAMPLES_KEY] = state.pending
            state.pending = []


def _on_worker_report(client_id: str, data: dict[str, Any]) -> None:
    received = data.get(SAMPLES_KEY)
    if not received:
        return
    for environment, state in list(_RUNS.items()):
        if isinstance(environment.runner, MasterRunner):
            state.add([RequestSample.from_dict(item) for item in received])
            _stop_at_request_bound(environment, state)


def _stop_at_request_bound(environment: Environment, state: PerfRun) -> None:
    """End the run once ``requests`` measured requests are in (where the samples are counted:
    the local process, or the master), as ``--run-time`` would: headless, locust quits and the
    report is written; with the web UI, the load stops and the UI stays."""
    if state.stopping or not state.bound_reached():
        return
    state.stopping = True
    runner, options = environment.runner, environment.parsed_options
    if runner is None:
        return
    log.info("releasegate perf: %d requests measured, stopping", state.measured)
    headless = options is None or bool(getattr(options, "headless", True))
    # A greenlet of its own: quitting kills the users, and this may run inside one of them.
    gevent.spawn_later(0, runner.quit if headless else runner.stop)


def finish_run(environment: Environment) -> PerfReport | None:
    """Write the report of this process's samples and return it (master or local only)."""
    state = _RUNS.get(environment)
    if state is None or isinstance(environment.runner, WorkerRunner):
        return None
    options = environment.parsed_options
    given = getattr(options, "perf_report_dir", None)
    directory = Path(given) if given else new_run_dir(state.settings.reports_dir)
    config = state.config
    if config.prompts == "golden" and config.check_answers:
        # Judged here, after the load: a check (a regex, a schema, ROUGE) run inside a user's
        # greenlet would hold up every other stream in the process and distort its timings.
        state.samples = judge_samples(state.samples, golden_prompts(state.settings, config))
    summary = summarize(
        state.samples,
        warmup_s=config.load.warmup,
        load=config.load.describe(),
        objectives=config.objectives,
    )
    results = judge_objectives(summary, config.objectives)
    context = {
        "endpoint": environment.host or config.base_url,
        "model": config.model or state.model,
        "prompts": config.prompts
        + (
            f" ({', '.join(config.suites)})" if config.suites and config.prompts == "golden" else ""
        ),
        "locust processes": ", ".join(summary.workers),
    }
    report = write_report(
        directory,
        state.samples,
        summary,
        results,
        context=context,
        settings=config.public(),
    )
    print(format_summary(summary, results, title="releasegate perf", context=context))
    print(f"report: {directory}")
    if getattr(options, "perf_gate", False) and not report.all_met:
        environment.process_exit_code = 1
    return report


def _on_quitting(environment: Environment, **_: Any) -> None:
    finish_run(environment)


def _on_init_parser(parser: Any) -> None:
    add_arguments(parser)


_installed = False


def install() -> None:
    """Hook perf into locust's events (idempotent). Locustfiles call it once at import."""
    global _installed
    if _installed:
        return
    _installed = True
    # locust's EventHook.add_listener carries no annotations; the calls are plain registrations.
    events.init_command_line_parser.add_listener(_on_init_parser)  # type: ignore[no-untyped-call]
    events.test_start.add_listener(_on_test_start)  # type: ignore[no-untyped-call]
    events.report_to_master.add_listener(_on_report_to_master)  # type: ignore[no-untyped-call]
    events.worker_report.add_listener(_on_worker_report)  # type: ignore[no-untyped-call]
    events.quitting.add_listener(_on_quitting)  # type: ignore[no-untyped-call]
