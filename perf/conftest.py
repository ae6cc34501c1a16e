"""``pytest perf``: one bounded headless load against the serving endpoint, then the objectives.

The load is the one ``[tool.releasegate.perf]`` states (users or rate, duration, warm-up, prompt
source), run once per session by ``locust --headless`` on ``perf/locustfile.py``. The endpoint is
``base_url`` of that table, else the top-level ``base_url`` / ``--base-url``, else
``transformers serve`` started on the configured model (the default model) for the session.
Each objective of ``[tool.releasegate.perf.objectives]`` is one test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from releasegate.exceptions import ReleasegateError
from releasegate.models.serving import ServingEndpoint
from releasegate.perf.config import PerfConfig, load_perf_config
from releasegate.perf.report import new_run_dir
from releasegate.perf.runner import LoadResult, locust_command, preflight, run_load
from releasegate.pytest_plugin.stash import SESSION_KEY

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
RESULT_KEY = pytest.StashKey[LoadResult]()
CONFIG_KEY = pytest.StashKey[PerfConfig]()


def perf_config(config: pytest.Config) -> PerfConfig:
    """``[tool.releasegate.perf]`` of this session, validated once."""
    if CONFIG_KEY not in config.stash:
        settings = config.stash[SESSION_KEY].settings
        try:
            config.stash[CONFIG_KEY] = load_perf_config(settings.perf)
        except ReleasegateError as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[CONFIG_KEY]


def pytest_configure(config: pytest.Config) -> None:
    perf_config(config)  # a bad table stops the run here, as one error, before collection


def _pyproject(config: pytest.Config) -> Path:
    if config.inipath is not None and config.inipath.name == "pyproject.toml":
        return config.inipath
    return config.rootpath / "pyproject.toml"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "objective" in metafunc.fixturenames:
        objectives = perf_config(metafunc.config).objectives
        metafunc.parametrize("objective", objectives, ids=[o.key for o in objectives])


@pytest.fixture(scope="session")
def endpoint(request: pytest.FixtureRequest) -> ServingEndpoint:
    """The endpoint under load: the configured one, else the plugin's ``embedded_endpoint``
    (``transformers serve`` on the model, started as for the model tests: same dtype, and one
    server for the process when both run)."""
    settings = request.config.stash[SESSION_KEY].settings
    config = perf_config(request.config)
    base_url = config.base_url or settings.base_url
    if base_url:
        return ServingEndpoint(base_url=base_url, model=config.model or "")
    served: ServingEndpoint = request.getfixturevalue("embedded_endpoint")
    return served


@pytest.fixture(scope="session")
def load_result(pytestconfig: pytest.Config, endpoint: ServingEndpoint) -> LoadResult:
    """The headless run, once per session; its report is in ``reports/perf-<run>/``."""
    settings = pytestconfig.stash[SESSION_KEY].settings
    config = perf_config(pytestconfig)
    model = config.model or endpoint.model or None
    try:
        preflight(endpoint.base_url, settings, config, model=model)
    except ReleasegateError as exc:
        pytest.fail(str(exc), pytrace=False)
    report_dir = new_run_dir(settings.reports_dir)
    command = locust_command(
        LOCUSTFILE,
        host=endpoint.base_url,
        users=config.load.users,
        run_time_s=config.load.duration,
        report_dir=report_dir,
        pyproject=_pyproject(pytestconfig),
        model=model,
    )
    try:
        result = run_load(
            command,
            report_dir,
            timeout=config.load.wall_limit(config.timeout),
            cwd=pytestconfig.rootpath,
        )
    except ReleasegateError as exc:
        pytest.fail(str(exc), pytrace=False)
    pytestconfig.stash[RESULT_KEY] = result
    return result


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    result = terminalreporter.config.stash.get(RESULT_KEY, None)
    if result is None:
        return
    terminalreporter.section("releasegate perf")
    markdown = (result.directory / "summary.md").read_text(encoding="utf-8")
    terminalreporter.write_line(markdown.rstrip())
    terminalreporter.write_line(f"report: {result.directory}")
