"""Load-test an OpenAI-compatible endpoint with streamed chat completions.

    locust -f perf/locustfile.py --host http://127.0.0.1:8000/v1            # web UI
    locust -f perf/locustfile.py --host URL --headless -u 2 -r 2 -t 60s     # closed loop
    locust -f perf/locustfile.py --host URL --headless -u 1 -t 60s --perf-rate 1.5  # open loop

Settings come from [tool.releasegate.perf] in pyproject.toml; every --perf-* option overrides
its key (docs/perf.md lists them). At the end the run writes
reports/perf-<run>/ (raw samples, summary, latency plot); --perf-gate exits 1 when an objective is
missed. The measuring lives in releasegate.perf; this file only hands the user class to locust.
"""

from releasegate.perf.locust_users import ChatCompletionsUser, install

install()

__all__ = ["ChatCompletionsUser"]
