"""The pytest plugin (entry point ``pytest11: releasegate``): hooks only.

Work is handed to :class:`~releasegate.engine.session.ReleaseSession` (kept in ``config.stash``) and
to the modules it uses; reports and baselines are written by the controller alone, from plain
typed records that workers attach (as JSON) to their test reports.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from ..config import find_pyproject, load_settings, read_table, settings_keys
from ..engine.interrupts import end_orderly_on_signals, restore_signals
from ..engine.session import (
    BenchmarkRef,
    CaseRef,
    MetricRef,
    ReleaseSession,
    default_run_id,
    identify_test,
    worker_identity,
)
from ..exceptions import ReleasegateError
from ..gate.judging import known_failure
from ..reports.writers import RunReport, check_writable
from ..review.verdicts import baseline_reviewed
from .controller import Controller
from .fixtures import (
    WrongAnswer,
    embedded_endpoint,
    general_benchmark,
    golden_case,
    model_backend,
    releasegate_session,
    suite_metric,
)
from .stash import RECORD_KEY, REPORT_KEY, SESSION_KEY

__all__ = [
    "embedded_endpoint",
    "general_benchmark",
    "golden_case",
    "model_backend",
    "releasegate_session",
    "suite_metric",
]

_OPTION_TYPES = {"integer": int, "number": float, "string": str}


def _option_name(key: str) -> str:
    return "--suite" if key == "suites" else "--" + key.replace("_", "-")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("releasegate", "releasegate: golden suites as a release gate")
    for key, schema in settings_keys().items():
        dest = f"releasegate_{key}"
        help_text = f"{schema.get('description', key)} [tool.releasegate] {key}."
        if schema.get("type") == "object":
            continue  # a nested table ([tool.releasegate.general], ...): no single option
        if schema.get("type") == "boolean" and schema.get("default") is False:
            group.addoption(
                _option_name(key),
                action="store_true",
                dest=dest,
                default=None,
                help=f"Turn on: {help_text}",
            )
        elif schema.get("type") == "boolean":
            group.addoption(
                f"--no-{key.replace('_', '-')}",
                action="store_false",
                dest=dest,
                default=None,
                help=f"Turn off: {help_text}",
            )
        elif schema.get("type") == "array":
            group.addoption(
                _option_name(key), action="append", dest=dest, default=None, help=help_text
            )
        else:
            kind = _OPTION_TYPES.get(schema.get("type", "string"), str)
            group.addoption(_option_name(key), type=kind, dest=dest, default=None, help=help_text)
    group.addoption(
        "--update-baseline",
        action="store_true",
        dest="releasegate_update_baseline",
        default=False,
        help="Write fixtures/baselines/ from this run (by the controller, once, at the end).",
    )
    group.addoption(
        "--run-id",
        dest="releasegate_run_id",
        default=None,
        help="Name of this run's folder under reports/ (default: date, time and process id).",
    )
    group.addoption(
        "--step",
        type=int,
        dest="releasegate_step",
        default=None,
        help="Training step of the model, recorded in the run history (default: from the "
        "model's folder name, checkpoint-N, or its trainer_state.json).",
    )


def _test_paths(config: pytest.Config) -> list[Path]:
    """The folders and files this run collects from, absolute (node ids cut to their path)."""
    here = config.invocation_params.dir
    return [(here / arg.split("::")[0]).resolve() for arg in config.args]


def _project(config: pytest.Config) -> tuple[dict[str, Any], Path]:
    """``[tool.releasegate]`` and the folder its relative paths start from: the folder of the
    pyproject.toml holding it (:func:`find_pyproject`), else pytest's rootdir."""
    pyproject = find_pyproject(_test_paths(config), rootdir=config.rootpath, inifile=config.inipath)
    if pyproject is None:
        return {}, config.rootpath
    return read_table(pyproject), pyproject.parent


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "critical: a golden case that must pass whatever the baseline says"
    )
    config.addinivalue_line(
        "markers", "general: a general-benchmark test ([tool.releasegate.general], lm-eval)"
    )
    overrides = {
        key: config.getoption(f"releasegate_{key}")
        for key, schema in settings_keys().items()
        if schema.get("type") != "object"
    }
    try:
        table, root = _project(config)
        settings = load_settings(table, overrides, root=root)
    except ReleasegateError as exc:
        raise pytest.UsageError(str(exc)) from None
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    worker_id, worker_count = worker_identity(workerinput)
    if workerinput is not None:
        run_id = str(workerinput["releasegate_run_id"])
    else:
        run_id = config.getoption("releasegate_run_id") or default_run_id()
    session = ReleaseSession(
        settings=settings,
        run_id=run_id,
        root=root,
        worker_id=worker_id,
        worker_count=worker_count,
        update_baseline=config.getoption("releasegate_update_baseline"),
    )
    config.stash[SESSION_KEY] = session
    end_orderly_on_signals()  # SIGTERM, SIGHUP: teardown runs, no server outlives the run
    if session.is_controller:
        report = RunReport(run_id=run_id, directory=settings.reports_dir / run_id)
        try:
            check_writable(report.directory, reports_dir=settings.reports_dir)
        except ReleasegateError as exc:
            raise pytest.UsageError(str(exc)) from None
        owns_junit = not config.option.xmlpath
        if owns_junit:
            config.option.xmlpath = str(report.directory / "junit.xml")
        config.stash[REPORT_KEY] = report
        config.pluginmanager.register(
            Controller(config, session, report, owns_junit=owns_junit), "releasegate-controller"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    restore_signals()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    from ..core.devices import auto_num_workers

    return auto_num_workers()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput["releasegate_run_id"] = node.config.stash[SESSION_KEY].run_id


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "load":
        return None
    from ..engine.scheduling import ChunkScheduling

    session = config.stash[SESSION_KEY]
    try:
        golden = session.golden_keys() | session.benchmark_keys()
    except ReleasegateError:
        return None  # the workers report the bad file as a collection error
    chunk_size = session.settings.effective_chunk_size
    return ChunkScheduling(config, log, chunk_size=chunk_size, golden=golden)


def _loaded(session: ReleaseSession) -> ReleaseSession:
    """The session with its suites and baselines read; a bad file stops collection with one
    message (no traceback), so nothing runs on half a suite."""
    try:
        for suite in session.suites.values():
            if not session.update_baseline:
                session.baselines.load(suite.name)
            session.reviews.load(suite.name)
        session.check_model()
    except ReleasegateError as exc:
        raise pytest.Collector.CollectError(f"releasegate: {exc}") from None
    return session


def _marker_name(tag: str) -> str:
    return re.sub(r"\W", "_", tag)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    wants_cases = "golden_case" in metafunc.fixturenames
    wants_metrics = "suite_metric" in metafunc.fixturenames
    if "general_benchmark" in metafunc.fixturenames:
        metafunc.parametrize(
            "general_benchmark",
            _benchmark_params(metafunc.config.stash[SESSION_KEY]),
            indirect=True,
        )
    if not (wants_cases or wants_metrics):
        return
    session = _loaded(metafunc.config.stash[SESSION_KEY])
    if wants_cases:
        metafunc.parametrize("golden_case", _case_params(metafunc.config, session), indirect=True)
    if wants_metrics:
        metafunc.parametrize("suite_metric", _metric_params(session), indirect=True)


def _case_params(config: pytest.Config, session: ReleaseSession) -> list[Any]:
    params = []
    registered: set[str] = set()
    for suite in session.suites.values():
        baseline = session.baseline_of(suite.name)
        for case in suite.cases:
            marks: list[Any] = []
            for tag in case.tags:
                name = _marker_name(tag)
                if name not in registered:
                    config.addinivalue_line("markers", f"{name}: golden cases tagged '{tag}'")
                    registered.add(name)
                marks.append(getattr(pytest.mark, name))
            before = baseline.cases.get(case.id) if baseline else None
            # Failed on the baseline: its check, or reviewers scored its answer below the mark.
            reviewed = baseline_reviewed(suite, case.id, before, session.reviews)
            if known_failure(case, before, baseline_reviewed=reviewed):
                # raises=: only a wrong answer is the known failure; an unanswered case (its
                # fixture's error) or a broken check stays an ERROR or FAILED, and --lf reruns it.
                marks.append(
                    pytest.mark.xfail(
                        reason="known failure: failed on the baseline",
                        raises=WrongAnswer,
                        strict=False,
                    )
                )
            ref = CaseRef(suite.name, case.id)
            params.append(pytest.param(ref, id=case.test_key, marks=marks))
    return params


def _metric_params(session: ReleaseSession) -> list[Any]:
    params = []
    for suite in session.suites.values():
        if session.settings.train_data:
            isolation = MetricRef(suite.name, "isolation", "isolation")
            params.append(pytest.param(isolation, id=isolation.test_id))
        baseline = session.baseline_of(suite.name)
        for spec in suite.metrics:
            ref = MetricRef(suite.name, spec.name, "value")
            params.append(pytest.param(ref, id=ref.test_id))
            if spec.max_drop is None:
                continue
            drop = MetricRef(suite.name, spec.name, "no_drop")
            marks: list[Any] = []
            if session.update_baseline:
                marks.append(pytest.mark.skip(reason="--update-baseline: nothing to compare"))
            elif baseline is None or (spec.name not in baseline.metrics and spec.in_baseline):
                marks.append(
                    pytest.mark.skip(
                        reason=f"no baseline value for {suite.name}::{spec.name}; "
                        "record one with --update-baseline"
                    )
                )
            params.append(pytest.param(drop, id=drop.test_id, marks=marks))
    return params


_NO_BENCHMARKS = pytest.param(
    None,
    id="general",
    marks=[
        pytest.mark.general,
        pytest.mark.skip(
            reason="no general benchmarks configured: add [tool.releasegate.general] (lm-eval "
            "tasks, e.g. MMLU subjects) to gate on general capability"
        ),
    ],
)
"""``test_benchmark`` where no benchmarks are configured: one skip that says why, rather than
pytest's "got empty parameter set"."""


def _benchmark_params(session: ReleaseSession) -> list[Any]:
    """``general/<task>::<metric>`` and its ``::no_drop`` comparison, for every configured
    benchmark metric; a bad configuration or baseline stops collection with one message."""
    try:
        general = session.general
        if general is None:
            return [_NO_BENCHMARKS]
        # Convert and read MMLU's CSV files (once, into the cache) before anything runs: a bad
        # row stops collection with one message naming the file and row.
        session.benchmark_runner.include_paths  # noqa: B018
        baselines = {
            task.name: None
            if session.update_baseline
            else session.baselines.load_benchmark(task.name)
            for task in general.tasks
        }
    except ReleasegateError as exc:
        raise pytest.Collector.CollectError(f"releasegate: {exc}") from None
    params = []
    for task in general.tasks:
        baseline = baselines[task.name]
        for metric in task.metrics:
            ref = BenchmarkRef(task.name, metric, "value")
            params.append(pytest.param(ref, id=ref.test_id, marks=[pytest.mark.general]))
            drop = BenchmarkRef(task.name, metric, "no_drop")
            marks: list[Any] = [pytest.mark.general]
            if session.update_baseline:
                marks.append(pytest.mark.skip(reason="--update-baseline: nothing to compare"))
            elif baseline is None:
                marks.append(
                    pytest.mark.skip(
                        reason=f"no baseline for general/{task.name}; record one with "
                        "`releasegate baseline --model <reference model>`"
                    )
                )
            elif metric not in baseline.metrics:
                marks.append(
                    pytest.mark.skip(
                        reason=f"the baseline of general/{task.name} has no '{metric}'; "
                        "re-record it with `releasegate baseline`"
                    )
                )
            params.append(pytest.param(drop, id=drop.test_id, marks=marks))
    return params


def pytest_itemcollected(item: pytest.Item) -> None:
    # A case whose id is not its own test id ("退款 问题/1" -> "1-8e4fc544") is also found by
    # `-k` under the id as written; -k runs after collection, so this is in time.
    callspec = getattr(item, "callspec", None)
    ref = callspec.params.get("golden_case") if callspec is not None else None
    if isinstance(ref, CaseRef) and f"[{ref.key}]" not in item.name:
        item.extra_keyword_matches.add(ref.key)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    refs: dict[str, CaseRef] = {}
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and isinstance(callspec.params.get("golden_case"), CaseRef):
            refs[item.nodeid] = callspec.params["golden_case"]
    if refs:
        config.stash[SESSION_KEY].assign_chunks([item.nodeid for item in items], refs)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # The worker's edge: records travel on the report as JSON (xdist serialises __dict__);
    # the controller rebuilds them (Controller.pytest_runtest_logreport).
    callspec = getattr(item, "callspec", None)
    for param in callspec.params.values() if callspec is not None else ():
        identity = identify_test(param)
        if identity is not None:
            report.releasegate_test = identity.to_json()  # type: ignore[attr-defined]
            break
    if call.when == "call" and RECORD_KEY in item.stash:
        report.releasegate = item.stash[RECORD_KEY].to_json()  # type: ignore[attr-defined]
    return report


@pytest.hookimpl(tryfirst=True)  # before xdist's worker sends its workeroutput
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    rg = config.stash[SESSION_KEY]
    workeroutput = getattr(config, "workeroutput", None)
    description = rg.model_description()
    if workeroutput is not None:
        workeroutput["releasegate_weights_loaded"] = rg.weights_loaded
        workeroutput["releasegate_load_error"] = rg.load_error
    if description is not None:
        if workeroutput is not None:
            workeroutput["releasegate_model"] = description
        elif REPORT_KEY in config.stash:
            config.stash[REPORT_KEY].models["main"] = description
    rg.close()
