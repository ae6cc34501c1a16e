"""The ``--perf-*`` options of a locust run and the run's settings read with them: each option
overrides its key of ``[tool.releasegate.perf]`` in the nearest ``pyproject.toml`` (or the one
``--perf-config`` names), and the load applied is what locust itself was told (``--users``,
``--run-time``, headless or not). Locust forwards the options from the master to its workers, so
every process reads the same settings. :mod:`.locust_users` registers the options and reads the
settings at ``test_start``.
"""

from __future__ import annotations

import math
from argparse import Namespace
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings
from .config import LoadSpec, PerfConfig, load_perf_config, perf_project

if TYPE_CHECKING:
    from locust.env import Environment

__all__ = ["add_arguments", "load_run_settings"]


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


def load_run_settings(environment: Environment) -> tuple[Settings, PerfConfig, Path | None]:
    """The project's settings, the perf config with the ``--perf-*`` options applied, and the
    ``pyproject.toml`` they came from (None: defaults only)."""
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
