"""The fixtures (and the case argument) a test module of golden suites uses.

``golden_case`` and ``suite_metric`` are parametrised by the plugin (one test per case, one per
metric bar and per no-drop comparison); ``golden_case`` is a plain argument, not a fixture
(:func:`case_under_test`: it is set in the setup hook, which costs pytest less per test); a
test module only says what to assert::

    def test_case(golden_case):
        golden_case.assert_passes()

    def test_metric(suite_metric):
        suite_metric.assert_meets_bar()

The answers are fetched at setup: a case whose request failed (a server
down, timing out, answering garbage) is an ERROR with the reason, never a wrong answer. A wrong
answer is raised as :class:`WrongAnswer`, the one exception a known failure's ``xfail`` mark
accepts: anything else that goes wrong in a known failure's test stays an ERROR or a FAILURE.
``embedded_endpoint`` gives tests (and perf) an OpenAI-compatible endpoint: ``--base-url``
when given, else ``transformers serve`` on the model, once per process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cached_property
from typing import Any, NoReturn

import pytest
from _pytest.outcomes import Failed  # pytest.fail's exception; pytest exports no class name

from ..core.display import for_terminal, shorten
from ..core.records import BenchmarkRecord
from ..engine.session import BenchmarkRef, CaseRef, MetricRef, ReleaseSession
from ..exceptions import ReleasegateError
from ..gate.judging import CaseVerdict, failure_message
from ..gate.verdicts import MetricResult
from ..golden.metrics import sees_variants, source_of
from ..models.backend import Backend
from ..models.serving import ServingEndpoint
from ..reports.judge_report import judge_text
from ..review.gate import ReviewsPending
from .stash import RECORD_KEY, SESSION_KEY

__all__ = [
    "BenchmarkUnderTest",
    "CaseUnderTest",
    "CriticalFailure",
    "CriticalRegression",
    "IsolationUnderTest",
    "MetricUnderTest",
    "UnscoredCase",
    "WrongAnswer",
    "case_under_test",
    "embedded_endpoint",
    "general_benchmark",
    "model_backend",
    "releasegate_session",
    "suite_metric",
]


PENDING_KNOWN_FAILURE = "a known failure for the new baseline (recorded if the run completes)"
"""The XFAIL reason of a wrong answer under ``--update-baseline``, said while the run is still
going; the controller replaces it, once the baselines are written or refused, with what
became of it."""


class _CaseTestFailure(Failed):
    """What a case test raises: its message made safe for a terminal, no traceback (the
    message says all). Each kind is its own type, so a known failure's ``xfail`` mark can
    accept one (:class:`WrongAnswer`) and no other."""

    def __init__(self, message: str) -> None:
        super().__init__(for_terminal(message), pytrace=False)


class WrongAnswer(_CaseTestFailure):
    """A golden case was answered, and the answer fails its check.

    The ``xfail`` mark of a case that failed on the baseline names this type (``raises=``), so
    only a wrong answer is a known failure: a case that got no answer (a server down, a model
    without a chat template) is an ERROR whatever the baseline says, and ``--lf`` reruns it.
    """

    __module__ = "builtins"  # as pytest's Failed: the short summary says "WrongAnswer: ..."


class CriticalFailure(_CaseTestFailure):
    """A critical assertion fails, and failed on the baseline too (or there is none): a critical
    assertion must pass whatever the baseline says, so the test FAILS, never XFAIL, and a new
    baseline (``--update-baseline``) does not make it a known failure."""

    __module__ = "builtins"


class CriticalRegression(_CaseTestFailure):
    """A critical assertion passed on the baseline and fails now: a regression whatever the
    case's outcome on the baseline. Not a :class:`WrongAnswer`, so the ``xfail`` mark of a case
    that failed on the baseline does not accept it: the test FAILS."""

    __module__ = "builtins"


class UnscoredCase(_CaseTestFailure):
    """The answer could not be judged (an assertion that decides the case could not be
    evaluated). Never a pass, and no wrong answer either: a known failure's ``xfail`` mark does
    not accept it, so the test FAILS and says why."""

    __module__ = "builtins"


class CaseUnderTest:
    """One golden case in its test: its answer, its verdict, and the assertion."""

    def __init__(self, session: ReleaseSession, ref: CaseRef, node: pytest.Item) -> None:
        self._session = session
        self.ref = ref
        self._node = node

    @cached_property
    def verdict(self) -> CaseVerdict:
        """Generates (with the rest of its chunk) or fetches the answer, and judges it."""
        verdict = self._session.judge(self.ref)
        self._node.stash[RECORD_KEY] = verdict.to_record()
        # junit.xml: each assertion as a property of its test (pytest escapes the XML).
        for outcome in verdict.result.assertions:
            self._node.user_properties.append(
                (f"assertion:{outcome.name}", f"{outcome.outcome}: {shorten(outcome.reason, 300)}")
            )
        if verdict.judge is not None:
            self._node.user_properties.append(("judge", shorten(judge_text(verdict.judge), 300)))
        return verdict

    def assert_passes(self) -> None:
        """Fail with a readable message (prompt, expected, answer, reason) unless it passes.

        A wrong answer raises :class:`WrongAnswer` (XFAIL in a known failure); an answer that
        could not be judged raises :class:`UnscoredCase` and a critical assertion that passed
        on the baseline and fails now :class:`CriticalRegression`, any other critical assertion
        that fails :class:`CriticalFailure`: a known failure's mark accepts none of them, so
        they FAIL whatever the baseline says (and under ``--update-baseline`` too)."""
        verdict = self.verdict
        judged = verdict.judge
        if judged is not None and judged.advisory and verdict.check_name == "judge":
            # an uncalibrated judge decides nothing: reported (record kept), then skipped
            said = judge_text(replace(judged, advisory=""))
            pytest.skip(for_terminal(f"{judged.advisory}; the judge said: {said}"))
        if verdict.passed:
            return
        message = failure_message(verdict)
        if verdict.result.unscored:
            raise UnscoredCase(message)
        if verdict.critical_regressions:
            raise CriticalRegression(message)
        if verdict.critical_failures:
            raise CriticalFailure(message)
        if self._session.update_baseline and not verdict.case.critical:
            pytest.xfail(PENDING_KNOWN_FAILURE)
        raise WrongAnswer(message)


class MetricUnderTest:
    """One suite metric against its bar, or against its baseline value."""

    def __init__(self, session: ReleaseSession, ref: MetricRef, node: pytest.Item) -> None:
        self._session = session
        self.ref = ref
        self._node = node

    @cached_property
    def result(self) -> MetricResult:
        try:
            result = self._session.evaluate_metric(self.ref)
        except ReviewsPending as exc:  # a human metric whose suite says `pending: skip`
            pytest.skip(for_terminal(str(exc)))
        self._node.stash[RECORD_KEY] = result.to_record()
        self._node.user_properties.append(("value", round(result.value.value, 6)))
        self._node.user_properties.append(("bar", result.spec.bar))
        if result.baseline_value is not None:
            self._node.user_properties.append(("baseline", round(result.baseline_value, 6)))
        return result

    def assert_meets_bar(self) -> None:
        """Fail with the outcome's message unless it passed; an advisory outcome (a judge not
        calibrated against the reviewers) is reported (its record already stashed) and
        skipped with why, whatever it found: it never fails the run."""
        outcome = self.result.outcome
        if outcome.advisory:
            pytest.skip(for_terminal(outcome.advisory))
        if not outcome.passed:
            _fail(outcome.message)


class IsolationUnderTest:
    """A suite's ``::isolation`` test: none of its cases may appear in ``train_data``."""

    def __init__(self, session: ReleaseSession, ref: MetricRef, node: pytest.Item) -> None:
        self._session = session
        self.ref = ref
        self._node = node

    def assert_meets_bar(self) -> None:
        record = self._session.isolation.record(self.ref.suite)
        self._node.stash[RECORD_KEY] = record
        if not record.passed:
            _fail(record.message)


def _fail(message: str) -> NoReturn:
    """Fail the test with *message* alone (no traceback); answers and server replies in it are
    untrusted, so their control characters are shown as escapes, not sent to the terminal."""
    pytest.fail(for_terminal(message), pytrace=False)


def _session(request: pytest.FixtureRequest) -> ReleaseSession:
    return request.config.stash[SESSION_KEY]


@pytest.fixture(scope="session")
def releasegate_session(request: pytest.FixtureRequest) -> ReleaseSession:
    """This process's releasegate session (settings, suites, predictions)."""
    return _session(request)


@pytest.fixture(scope="session")
def model_backend(releasegate_session: ReleaseSession) -> Iterator[Backend]:
    """The model, loaded once per process: once per device under ``pytest -n auto``.

    Asking for it loads the weights (the backend's own object, e.g. ``HFBackend`` with its
    ``model`` and ``tokenizer``), even when every golden answer is cached."""
    from ..models.lazy import LazyBackend

    backend = releasegate_session.backend
    yield backend.real() if isinstance(backend, LazyBackend) else backend


def _in_setup(step: Callable[[], object]) -> None:
    """Runs a fixture's *step*: a releasegate error (a server down, a bad file) makes the test an
    ERROR carrying its message alone, not a failure and not a traceback."""
    try:
        step()
    except ReleasegateError as exc:
        message = str(exc)
    else:
        return
    _fail(message)  # outside the except: no "during handling" chain


def case_under_test(session: ReleaseSession, ref: CaseRef, node: pytest.Item) -> CaseUnderTest:
    """The ``golden_case`` argument of a case test, its answer fetched (generated with its chunk
    where needed): a releasegate error makes the test an ERROR at setup, as a fixture's would.

    ``golden_case`` is no fixture: the plugin parametrises it directly with the case's
    :class:`CaseRef` and its setup hook (``hooks.pytest_runtest_setup``) puts this in its
    place. A fixture taking ``request`` (for ``request.param``) made pytest build a fixture
    definition for ``request`` on every test, signature inspection and all: about 0.15 ms per
    case, a tenth of a 10,000-case run (``benchmarks/overhead.py``)."""
    _in_setup(lambda: session.answer(ref))
    # The judge model's verdict too, where its suite has one: a judge that cannot be reached
    # (or is the model under test) makes the test an ERROR naming it; the answer is kept.
    _in_setup(lambda: session.case_judgment(ref))
    return CaseUnderTest(session, ref, node)


@pytest.fixture
def suite_metric(request: pytest.FixtureRequest) -> MetricUnderTest | IsolationUnderTest:
    """One suite metric test (parametrised by the plugin: ``<suite>::<metric>``), or the suite's
    isolation test (``<suite>::isolation``, where ``train_data`` is set: no model needed)."""
    param: Any = request.param
    session = _session(request)
    if param.kind == "isolation":
        _in_setup(lambda: session.isolation)
        return IsolationUnderTest(session, param, request.node)
    if session.model_scored(param):
        return MetricUnderTest(session, param, request.node)  # scores, not answers
    suite = session.suites[param.suite]
    metric = suite.metric(param.metric).metric
    _in_setup(lambda: session.scored_suite(suite, variants=sees_variants(metric)))
    under = MetricUnderTest(session, param, request.node)
    if source_of(suite.metric(param.metric).metric) == "judge":
        # The judge is called here: one it cannot reach (down, slow, junk) makes the test an
        # ERROR naming its URL, as a model server down does to a case test, never a failure.
        _in_setup(lambda: under.result)
    return under


@pytest.fixture(scope="session")
def embedded_endpoint(releasegate_session: ReleaseSession) -> Iterator[ServingEndpoint]:
    """An OpenAI-compatible endpoint for this test process: ``--base-url`` (with
    ``--served-model``, else ``--model``) when given; otherwise ``transformers serve`` on the
    configured model, started once per process on a loopback port and stopped at the end."""
    settings = releasegate_session.settings
    if settings.base_url is not None:
        yield ServingEndpoint(
            base_url=settings.base_url.rstrip("/"),
            model=settings.served_model or settings.model,
        )
        return
    from ..models.serving import embedded_server

    try:
        server = embedded_server(settings.model, cache_dir=settings.cache_dir, dtype=settings.dtype)
        with server as started:
            yield started
    except ReleasegateError as exc:
        _fail(str(exc))


class BenchmarkUnderTest:
    """One general-benchmark test: a task metric's value, or its comparison with the baseline."""

    def __init__(self, session: ReleaseSession, ref: BenchmarkRef, node: pytest.Item) -> None:
        self._session = session
        self.ref = ref
        self._node = node

    @cached_property
    def verdict(self) -> BenchmarkRecord:
        """Runs the configured benchmarks (all of them, once per process) and judges this one."""
        verdict = self._session.evaluate_benchmark(self.ref)
        self._node.stash[RECORD_KEY] = verdict
        self._node.user_properties.append(("value", round(verdict.value, 6)))
        if verdict.baseline is not None:
            self._node.user_properties.append(("baseline", round(verdict.baseline, 6)))
        return verdict

    def assert_passes(self) -> None:
        if not self.verdict.passed:
            _fail(self.verdict.message)


@pytest.fixture
def general_benchmark(request: pytest.FixtureRequest) -> BenchmarkUnderTest:
    """One benchmark test (parametrised by the plugin: ``general/<task>::<metric>[::no_drop]``)."""
    param: Any = request.param
    session = _session(request)
    _in_setup(session.benchmark_results)
    return BenchmarkUnderTest(session, param, request.node)
