"""Collection rules: which tests the configured suites and benchmarks become.

A golden case becomes one ``test_case[<key>]``, marked with its tags; each suite metric a
``<suite>::<metric>`` test and, where it has ``max_drop``, a ``::no_drop`` comparison, skipped
(with the reason) where nothing can be compared (under ``--update-baseline`` so is the value test
of a metric whose value is itself a comparison with the baseline, ``compares_with_baseline``:
``judge_win_rate``); each benchmark metric likewise. The pytest
hooks (:mod:`releasegate.pytest_plugin.hooks`) only call these functions, so the rules live in
one place, beside the session they read, and can be tested without a pytest run.

A bad suite, baseline or benchmark configuration stops collection with one message naming it
(:class:`pytest.Collector.CollectError`), so nothing runs on half a suite.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest

from ..exceptions import ReleasegateError
from ..golden.cases import GoldenCase
from ..golden.metrics import sees_variants
from ..golden.suites import Suite
from ..golden.variants import UnchangedVariant
from .refs import UnchangedRef
from .session import BenchmarkRef, CaseRef, MetricRef, ReleaseSession

__all__ = [
    "NO_BENCHMARKS",
    "KnownFailure",
    "benchmark_params",
    "case_params",
    "case_refs",
    "extra_keyword",
    "loaded",
    "marker_name",
    "metric_params",
]

KnownFailure = Callable[[ReleaseSession, Suite, GoldenCase], list[Any]]
"""The marks of a case known to fail (its ``xfail``), or none: the known-failure rule, which the
plugin supplies (its mark names the plugin's own exception)."""


def loaded(session: ReleaseSession) -> ReleaseSession:
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


def marker_name(tag: str) -> str:
    """A case tag as a pytest marker name (``-m``): every non-word character becomes ``_``."""
    return re.sub(r"\W", "_", tag)


def case_params(
    session: ReleaseSession,
    *,
    add_marker: Callable[[str], None],
    known_failure: KnownFailure,
) -> list[Any]:
    """One parameter per golden case of every suite (its test cases: each case its author wrote
    followed by its robustness variants), id'd by its test key and marked with its tags; after
    a case's variants, those its perturbations could not make, each skipped with why (never a
    pass); *add_marker* registers each tag's marker once (``config.addinivalue_line``)."""
    params = []
    registered: set[str] = set()
    for suite in session.suites.values():
        unchanged: dict[str, list[UnchangedVariant]] = {}
        for variant in suite.unchanged:
            unchanged.setdefault(variant.variant_of, []).append(variant)
        cases = suite.test_cases
        for index, case in enumerate(cases):
            marks: list[Any] = []
            for tag in case.tags:
                name = marker_name(tag)
                if name not in registered:
                    add_marker(f"{name}: golden cases tagged '{tag}'")
                    registered.add(name)
                marks.append(getattr(pytest.mark, name))
            marks.extend(known_failure(session, suite, case))
            ref = CaseRef(suite.name, case.id)
            params.append(pytest.param(ref, id=case.test_key, marks=marks))
            following = cases[index + 1] if index + 1 < len(cases) else None
            if unchanged and (following is None or not following.variant_of):
                # the last of its original's variants (or the original, with none made)
                for made in unchanged.pop(case.variant_of or case.id, ()):
                    params.append(_unchanged_param(made))
    return params


def _unchanged_param(made: UnchangedVariant) -> Any:
    reason = f"{made.key}: {made.reason}"  # pytest -rs groups skips by reason: say which
    ref = UnchangedRef(made.suite, made.id, reason)
    marks = [pytest.mark.variant, pytest.mark.skip(reason=reason)]
    return pytest.param(ref, id=made.test_key, marks=marks)


def metric_params(session: ReleaseSession) -> list[Any]:
    """Per suite: its isolation test (where training data is named), then each metric's value
    test and its no-drop comparison, skipped where there is nothing to compare with."""
    params = []
    for suite in session.suites.values():
        if session.settings.train_data:
            isolation = MetricRef(suite.name, "isolation", "isolation")
            params.append(pytest.param(isolation, id=isolation.test_id))
        baseline = session.baseline_of(suite.name)
        for spec in suite.metrics:
            ref = MetricRef(suite.name, spec.name, "value")
            # a metric of the variants goes where they go (pytest -m "not variant")
            variant = [pytest.mark.variant] if sees_variants(spec.metric) else []
            against = getattr(spec.metric, "compares_with_baseline", False)
            if against and session.update_baseline:
                # Its value is a comparison with the baseline being recorded (judge_win_rate).
                skip = pytest.mark.skip(reason="--update-baseline: nothing to compare")
                params.append(pytest.param(ref, id=ref.test_id, marks=[*variant, skip]))
            else:
                params.append(pytest.param(ref, id=ref.test_id, marks=variant))
            if spec.max_drop is None:
                continue
            drop = MetricRef(suite.name, spec.name, "no_drop")
            marks: list[Any] = list(variant)
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


NO_BENCHMARKS = pytest.param(
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


def benchmark_params(session: ReleaseSession) -> list[Any]:
    """``general/<task>::<metric>`` and its ``::no_drop`` comparison, for every configured
    benchmark metric; a bad configuration or baseline stops collection with one message."""
    try:
        general = session.general
        if general is None:
            return [NO_BENCHMARKS]
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


def extra_keyword(name: str, params: Mapping[str, Any]) -> str | None:
    """The case key a test named *name* is also found by with ``-k``, where its id is not the key
    as written ("退款 问题/1" becomes "1-8e4fc544"); None for any other test."""
    ref = params.get("golden_case")
    if isinstance(ref, CaseRef) and f"[{ref.key}]" not in name:
        return ref.key
    return None


def case_refs(items: Iterable[tuple[str, Mapping[str, Any] | None]]) -> dict[str, CaseRef]:
    """The golden case of each collected test (node id, its parameters), for chunk assignment."""
    return {
        nodeid: params["golden_case"]
        for nodeid, params in items
        if params is not None and isinstance(params.get("golden_case"), CaseRef)
    }
