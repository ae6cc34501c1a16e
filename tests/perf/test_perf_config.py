"""[tool.releasegate.perf]: validation against perf.schema.json, defaults, objectives."""

from __future__ import annotations

import math

import pytest

from releasegate.exceptions import ConfigError
from releasegate.perf.config import LoadSpec, Objective, load_perf_config, objective_keys


def test_defaults_are_a_short_closed_loop_on_golden_prompts() -> None:
    config = load_perf_config({})
    assert config.load == LoadSpec(users=2, rate=None, duration=15.0, warmup=3.0)
    assert config.prompts == "golden" and config.check_answers
    assert config.objectives == ()
    assert config.load.describe() == "2 users (closed loop), 15 s, 3 s warm-up"


def test_a_full_table_is_read_with_its_objectives_in_order() -> None:
    config = load_perf_config(
        {
            "base_url": "http://10.0.0.5:8000/v1/",
            "rate": 1.5,
            "users": 1,
            "duration": 60,
            "warmup": 10,
            "prompts": "synthetic",
            "input_tokens": 256,
            "output_tokens": 64,
            "objectives": {"ttft_p95_ms": 500, "min_output_tokens_per_s": 20, "max_error_rate": 0},
        }
    )
    assert config.base_url == "http://10.0.0.5:8000/v1"
    assert config.load.open_loop and config.load.rate == 1.5
    assert "1.5 requests/s (open loop, Poisson arrivals" in config.load.describe()
    assert [o.key for o in config.objectives] == [
        "ttft_p95_ms",
        "min_output_tokens_per_s",
        "max_error_rate",
    ]
    assert config.public()["objectives"] == {
        "ttft_p95_ms": 500.0,
        "min_output_tokens_per_s": 20.0,
        "max_error_rate": 0.0,
    }


def test_command_line_overrides_the_table_and_none_means_not_given() -> None:
    config = load_perf_config({"users": 4, "warmup": 2}, {"warmup": 1, "rate": None})
    assert config.load.users == 4 and config.load.warmup == 1.0 and config.load.rate is None


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ({"userz": 2}, ["perf]: unknown key 'userz'", "did you mean 'users'", "allowed keys"]),
        ({"users": 0}, ["'users'", "minimum"]),
        ({"rate": "fast"}, ["'rate'", "not of type 'number'"]),
        ({"prompts": "random"}, ["'prompts'", "'golden'", "'synthetic'"]),
        ({"base_url": "localhost:8000"}, ["'base_url'", "does not match"]),
        ({"objectives": {"ttft_p95": 500}}, ["'objectives'", "ttft_p95_ms", "e.g. ttft_p95_ms"]),
        ({"objectives": {"ttft_p95_ms": "fast"}}, ["'objectives.ttft_p95_ms'", "number"]),
        ({"objectives": {"max_error_rate": 2}}, ["'objectives.max_error_rate'", "maximum"]),
        ({"requests": 0}, ["'requests'", "minimum"]),
        ({"requests": 2.5}, ["'requests'", "not of type 'integer'"]),
    ],
)
def test_a_bad_table_is_one_error_naming_the_key(
    table: dict[str, object], words: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_perf_config(table)
    message = str(caught.value)
    assert message.startswith("[tool.releasegate.perf]")
    for word in words:
        assert word in message


def test_warmup_must_leave_something_to_measure() -> None:
    with pytest.raises(ConfigError, match="'warmup': 20 s leaves nothing of a 15 s run"):
        load_perf_config({"warmup": 20})


def test_a_pass_rate_objective_needs_checked_golden_answers() -> None:
    with pytest.raises(ConfigError, match=r"min_pass_rate.*prompts = \"golden\""):
        load_perf_config({"prompts": "synthetic", "objectives": {"min_pass_rate": 0.5}})


def test_a_bad_override_names_the_command_line() -> None:
    with pytest.raises(ConfigError, match=r"^command line 'rate'"):
        load_perf_config({}, {"rate": -1})


def test_every_latency_and_percentile_is_an_objective_key() -> None:
    keys = set(objective_keys())
    for metric in ("ttft", "tpot", "itl", "e2e"):
        for p in (50, 90, 95, 99):
            assert f"{metric}_p{p}_ms" in keys
    assert {"min_output_tokens_per_s", "max_error_rate", "min_goodput", "min_pass_rate"} <= keys


def test_objectives_compare_in_their_direction() -> None:
    latency = Objective("e2e_p99_ms", 1000.0)
    assert latency.latency == ("e2e", 99) and latency.is_max
    assert latency.met_by(1000.0) and not latency.met_by(1000.1) and not latency.met_by(None)
    throughput = Objective("min_output_tokens_per_s", 20.0)
    assert throughput.met_by(20.0) and not throughput.met_by(19.9)
    assert throughput.describe_bar() == ">= 20 tokens/s"
    assert latency.label == "p99 end-to-end latency"


def test_an_unbounded_run_is_described_without_a_length() -> None:
    spec = LoadSpec(users=3, duration=math.inf, warmup=5)
    assert spec.describe() == "3 users (closed loop), 5 s warm-up"


def test_a_load_bounded_by_requests_has_no_time_limit_unless_one_is_given() -> None:
    bounded = load_perf_config({"users": 1, "requests": 20, "warmup": 1, "timeout": 30}).load
    assert bounded.requests == 20 and not math.isfinite(bounded.duration)
    assert bounded.describe() == "1 users (closed loop), 20 requests, 1 s warm-up"
    assert bounded.wall_limit(30.0) == 1 + 20 * 30 + 180  # every request at its time-out
    both = load_perf_config({"requests": 20, "duration": 60, "warmup": 1}).load
    assert both.duration == 60.0
    assert both.describe() == "2 users (closed loop), 20 requests, at most 60 s, 1 s warm-up"
    assert both.wall_limit(30.0) == 60 + 180
    assert load_perf_config({}).load.requests is None
    overridden = load_perf_config({"requests": 20}, {"requests": 5})
    assert overridden.load.requests == 5 and overridden.public()["load"]["requests"] == 5
