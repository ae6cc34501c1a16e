"""The pytest plugin (entry point ``pytest11: releasegate``): hooks only.

The hooks call and decide nothing themselves (but the known-failure mark, which names the
plugin's own exception): the settings come from :func:`~releasegate.config.load_project`, which
tests the suites become (ids, marks, skips) from :mod:`releasegate.engine.collection`, and work
is handed to :class:`~releasegate.engine.session.ReleaseSession` (kept in ``config.stash``) and
to the modules it uses; reports and baselines are written by the controller alone, from plain
typed records that workers attach (as JSON) to their test reports.
"""

from __future__ import annotations

import gc
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from ..config import load_project, settings_keys
from ..core.progress import progress_mode, set_terminal
from ..engine.collection import (
    benchmark_params,
    case_params,
    case_refs,
    extra_keyword,
    loaded,
    metric_params,
)
from ..engine.interrupts import end_orderly_on_signals, restore_signals
from ..engine.session import (
    CaseRef,
    ReleaseSession,
    default_run_id,
    identify_test,
    worker_identity,
)
from ..exceptions import ReleasegateError
from ..gate.judging import known_failure
from ..golden.cases import GoldenCase
from ..golden.suites import Suite
from ..reports.writers import RunReport, check_writable
from ..review.verdicts import baseline_reviewed
from .controller import Controller
from .fixtures import (
    WrongAnswer,
    case_under_test,
    embedded_endpoint,
    general_benchmark,
    model_backend,
    releasegate_session,
    suite_metric,
)
from .stash import IDENTITY_KEY, RECORD_KEY, REPORT_KEY, SESSION_KEY, TERMINAL_KEY
from .terminal import PytestTerminal

__all__ = [
    "embedded_endpoint",
    "general_benchmark",
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


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "critical: a golden case that must pass whatever the baseline says"
    )
    config.addinivalue_line(
        "markers", "general: a general-benchmark test ([tool.releasegate.general], lm-eval)"
    )
    config.addinivalue_line(
        "markers", "variant: a robustness variant of a golden case, or a metric that reads them"
    )
    overrides = {
        key: config.getoption(f"releasegate_{key}")
        for key, schema in settings_keys().items()
        if schema.get("type") != "object"
    }
    try:
        # pytest's own configuration file if it holds [tool.releasegate], else the nearest one
        # above the test paths, up to the rootdir (load_project; docs/running.md#settings).
        project = load_project(
            _test_paths(config),
            chosen=config.inipath,
            stop=config.rootpath,
            overrides=overrides,
        )
        progress_mode()  # a wrong RELEASEGATE_PROGRESS stops the run before anything runs
    except ReleasegateError as exc:
        raise pytest.UsageError(str(exc)) from None
    settings, root = project.settings, project.root
    config.stash[TERMINAL_KEY] = set_terminal(PytestTerminal(config))
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
    if TERMINAL_KEY in config.stash:
        set_terminal(config.stash[TERMINAL_KEY])


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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    wants_cases = "golden_case" in metafunc.fixturenames
    wants_metrics = "suite_metric" in metafunc.fixturenames
    if "general_benchmark" in metafunc.fixturenames:
        metafunc.parametrize(
            "general_benchmark",
            benchmark_params(metafunc.config.stash[SESSION_KEY]),
            indirect=True,
        )
    if not (wants_cases or wants_metrics):
        return
    session = loaded(metafunc.config.stash[SESSION_KEY])
    if wants_cases:
        params = case_params(
            session,
            add_marker=lambda line: metafunc.config.addinivalue_line("markers", line),
            known_failure=_known_failure,
        )
        # directly, not through a fixture: pytest_runtest_setup makes each the case under test
        metafunc.parametrize("golden_case", params)
    if wants_metrics:
        metafunc.parametrize("suite_metric", metric_params(session), indirect=True)


def _known_failure(session: ReleaseSession, suite: Suite, case: GoldenCase) -> list[Any]:
    marks: list[Any] = []
    baseline = session.baseline_of(suite.name)
    before = baseline.case_for(case) if baseline else None
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
    return marks


def pytest_itemcollected(item: pytest.Item) -> None:
    # -k runs after collection, so a case's key added here is in time.
    callspec = getattr(item, "callspec", None)
    key = extra_keyword(item.name, callspec.params) if callspec is not None else None
    if key is not None:
        item.extra_keyword_matches.add(key)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    refs = case_refs(
        (item.nodeid, getattr(getattr(item, "callspec", None), "params", None)) for item in items
    )
    if refs:
        config.stash[SESSION_KEY].assign_chunks([item.nodeid for item in items], refs)
        # The suites, their cases, checks and assertions and the test items live as long as
        # the run: out of the collector's sight, each of its full passes during the run no
        # longer walks them all (tens of thousands of objects per thousand cases). Only in a
        # run of golden cases: another project's tests in the same environment are left be.
        gc.freeze()


def _identity_json(item: pytest.Item) -> dict[str, Any] | None:
    """The JSON of the releasegate test *item* is (its first parameter naming one), or None."""
    callspec = getattr(item, "callspec", None)
    for param in callspec.params.values() if callspec is not None else ():
        identity = identify_test(param)
        if identity is not None:
            return identity.to_json()
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    yield  # the fixtures first, as a fixture named golden_case ran after those it followed
    funcargs: dict[str, Any] | None = getattr(item, "funcargs", None)
    ref = funcargs.get("golden_case") if funcargs else None
    if funcargs is not None and isinstance(ref, CaseRef):
        funcargs["golden_case"] = case_under_test(item.config.stash[SESSION_KEY], ref, item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # The worker's edge: records travel on the report as JSON (xdist serialises __dict__);
    # the controller rebuilds them (Controller.pytest_runtest_logreport).
    if IDENTITY_KEY not in item.stash:  # once per item, not on each phase's report
        item.stash[IDENTITY_KEY] = _identity_json(item)
    identity = item.stash[IDENTITY_KEY]
    if identity is not None:
        report.releasegate_test = identity  # type: ignore[attr-defined]
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
            workeroutput["releasegate_model"] = description.to_json()
        elif REPORT_KEY in config.stash:
            config.stash[REPORT_KEY].models["main"] = description
    judges = rg.judges.summaries() if "judges" in rg.__dict__ else {}
    if workeroutput is not None:
        workeroutput["releasegate_judge"] = {s: j.to_json() for s, j in judges.items()}
    elif REPORT_KEY in config.stash:
        for suite, summary in judges.items():
            config.stash[REPORT_KEY].add_judge(suite, summary)
    rg.close()
