"""What ``report.html`` shows, worked out from a run's record before any HTML is written: one
frozen view per thing on the page (:class:`CaseView`, :class:`MetricView`, :class:`FlipList`,
:class:`TrendPlot`) gathered in :class:`Page` by :func:`build_page`, with the limits that keep
a 10,000-case page small and quick. :mod:`.html` renders a :class:`Page` with Jinja2 and writes
it; the views hold data only, never markup.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.records import (
    CaseRecord,
    Flip,
    GateRecord,
    HistoryBlock,
    HistoryPoint,
    JudgeSummary,
    Leak,
    MetricRecord,
    ModelDescription,
    RunRecord,
    UnjudgedTest,
)
from ..gate.judging import critical_regressions
from .judge_report import judge_text
from .robustness_report import RobustnessFlips, variant_flips
from .writers import failing_cases

__all__ = [
    "DETAILED",
    "FLIPS_SHOWN",
    "ROWS_SHOWN",
    "VERDICTS",
    "AssertionView",
    "CaseView",
    "FlipList",
    "MetricView",
    "Page",
    "PerfRun",
    "TrendPlot",
    "build_page",
    "diff_segments",
]

# What a case's pytest outcome means to a reader, in the order the filter lists them. A
# FAILED case is a regression (passed on the baseline) or a plain failure (no baseline, or a
# critical case): its row says which, the filter takes both.
VERDICTS = {
    "failed": "regression / failed",
    "error": "error",
    "xpassed": "improvement",
    "xfailed": "known failure",
    "passed": "passed",
    "skipped": "skipped",
}

# Characters compared one by one in a diff: CJK ideographs, kana, hangul and full-width forms
# (Chinese has no spaces, so a word-level diff would mark the whole sentence). Elsewhere words,
# runs of spaces and single punctuation marks are the units.
_DIFF_UNITS = re.compile(
    r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|\w+|\s+|[^\w\s]",
)

# What a 10,000-case page holds, so that it stays within 5 MB and is interactive within 2 s
# (benchmarks/html_report.py): table cells are cut (the whole text is in results.json and in
# the side-by-side view); the side-by-side view and each flip table show the first ones and
# count the rest; the table shows its first rows until a filter narrows it (or "show every
# match" is ticked). Everything stays filterable: every case is a row of the table.
_CELL_CHARS = 200
DETAILED = 100
"""Regressions and improvements shown side by side (regressions first)."""
FLIPS_SHOWN = 100
"""Flipped items listed per no-drop comparison."""
ROWS_SHOWN = 500
"""Rows of the all-cases table shown at once."""
TREND_WIDTH, TREND_HEIGHT = 560.0, 170.0


@dataclass(frozen=True)
class PerfRun:
    """A perf run's folder as the page shows it: its figures and its latency plot."""

    name: str
    summary: Mapping[str, Any]
    """``summary.json`` of the run (see :mod:`releasegate.perf.report`)."""
    plot_png: str | None
    """``latency.png`` as base64, or None when the run has none."""


@dataclass(frozen=True)
class CaseView:
    """One case as a row of the page."""

    key: str
    suite: str
    verdict: str
    """The reader's word for the outcome (``regression``, ``known failure``...)."""
    outcome: str
    tags: tuple[str, ...]
    input: str
    expected: str
    answer: str
    baseline_answer: str | None
    reason: str
    check: str
    assertions: tuple[AssertionView, ...] = ()
    """Each of the case's assertions (``assert:``), in the order written."""
    critical_regressions: tuple[str, ...] = ()
    """Its critical assertions that passed on the baseline and fail now (listed first)."""
    unscored: bool = False
    """The case could not be judged."""
    judge: str = ""
    """The judge model's score and reason (:func:`~.judge_report.judge_text`); "" unjudged."""


@dataclass(frozen=True)
class AssertionView:
    """One assertion of a case as its details table shows it."""

    name: str
    type: str
    outcome: str
    """``pass``, ``fail`` or ``unscored``."""
    reason: str
    critical: bool
    weight: float
    baseline: str | None
    """Its outcome on the baseline, where the baseline recorded one."""


@dataclass(frozen=True)
class MetricView:
    """A suite metric (or benchmark score): its bar test and its no-drop comparison together."""

    suite: str
    metric: str
    value: float | None
    bar: str
    baseline: float | None
    bar_outcome: str | None
    no_drop_outcome: str | None
    difference: float | None
    interval: tuple[float, float] | None
    p_value: float | None
    comparison_test: str | None
    max_drop: float | None
    message: str

    @property
    def verdict(self) -> str:
        outcomes = [o for o in (self.bar_outcome, self.no_drop_outcome) if o is not None]
        if any(o in ("failed", "error") for o in outcomes):
            return "failed"
        return "passed" if outcomes else "-"


@dataclass(frozen=True)
class FlipList:
    """The items one no-drop comparison found changed since the baseline."""

    suite: str
    metric: str
    worse: int
    better: int
    p_value: float | None
    flips: tuple[Flip, ...]
    """The first :data:`FLIPS_SHOWN` of them."""
    total: int


@dataclass(frozen=True)
class TrendPlot:
    """One suite/metric across runs or checkpoints, laid out for an inline SVG."""

    suite: str
    metric: str
    points: tuple[tuple[float, float, str, float], ...]
    """(x, y) in the plot's pixels, the point's label (step or run) and its value."""
    polyline: str
    low: float
    high: float
    x_first: str
    """The first point's step or time, written under the x axis (and the last's)."""
    x_last: str


@dataclass(frozen=True)
class Page:
    """Everything the template shows, in the order a reader needs it."""

    run_id: str
    blocked: bool
    regressions: int
    critical_regressions: int
    """Of :attr:`regressions`, those on a critical assertion that passed on the baseline."""
    failed_bars: int
    errors: int
    exit_status: int | None
    header: Mapping[str, Any]
    suites: tuple[tuple[str, Mapping[str, int]], ...]
    metrics: tuple[MetricView, ...]
    benchmarks: tuple[MetricView, ...]
    cases: tuple[CaseView, ...]
    changed: tuple[tuple[CaseView, tuple[tuple[str, str], ...]], ...]
    """Regressions, then improvements (the first :data:`DETAILED`): each with the diff
    baseline answer -> answer now."""
    changed_total: int
    flips: tuple[FlipList, ...]
    unjudged: tuple[UnjudgedTest, ...]
    tags: tuple[str, ...]
    perf: PerfRun | None
    review: Mapping[str, Any] | None
    trends: tuple[TrendPlot, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    leaks: tuple[Leak, ...] = ()
    """Golden cases found in the training data (the ``<suite>::isolation`` tests)."""
    interrupted: str | None = None
    """Why the run stopped before its end (:attr:`RunRecord.interrupted`): shown at the top,
    and the run is not releasable."""
    judge: Mapping[str, JudgeSummary] | None = None
    """The judge model per suite with a ``judge:`` (its notes also shown at the top)."""
    robustness: RobustnessFlips | None = None
    """The variants whose verdict flips (:mod:`.robustness_report`); None: the run has none."""


def diff_segments(before: str, now: str) -> tuple[tuple[str, str], ...]:
    """*before* -> *now* as ``(kind, text)`` pieces, kind ``same``, ``del`` or ``ins``:
    character by character for Chinese (and other CJK text), word by word elsewhere."""
    a, b = _DIFF_UNITS.findall(before), _DIFF_UNITS.findall(now)
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("ins", "".join(b[j1:j2])))
    return tuple(out)


def _text(value: Any) -> str:
    """A case field as text: strings as they are, anything else (a label list, a JSON object,
    chat messages) as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _verdict(outcome: str, status: str, *, unscored: bool = False) -> str:
    if outcome == "failed":
        verdict = "failed" if status == "failed" else "regression"
        return f"{verdict} (unscored)" if unscored else verdict
    return VERDICTS.get(outcome, outcome)


def _assertion(data: Mapping[str, Any]) -> AssertionView:
    baseline = data.get("baseline")
    return AssertionView(
        name=str(data.get("name", "")),
        type=str(data.get("type", "")),
        outcome=str(data.get("outcome", "")),
        reason=str(data.get("reason", "")),
        critical=bool(data.get("critical", False)),
        weight=float(data.get("weight", 1.0)),
        baseline=None if baseline is None else str(baseline),
    )


def _case(record: CaseRecord) -> CaseView:
    return CaseView(
        key=record.key,
        suite=record.suite,
        verdict=_verdict(record.outcome, record.status, unscored=record.unscored),
        outcome=record.outcome,
        tags=record.tags,
        input=_text(record.input),
        expected=_text(record.expected),
        answer=record.answer,
        baseline_answer=record.baseline_answer,
        reason=record.why,
        check=record.check,
        # shown in the section of regressions and improvements only: built for those alone
        assertions=tuple(_assertion(a) for a in record.assertions)
        if record.outcome in ("failed", "xpassed")
        else (),
        critical_regressions=critical_regressions(record) if record.outcome == "failed" else (),
        unscored=record.unscored,
        judge="" if record.judge is None else judge_text(record.judge),
    )


def _metrics(records: Iterable[GateRecord]) -> list[MetricView]:
    """One view per (suite, metric): the bar test and the no-drop test side by side."""
    grouped: dict[tuple[str, str], dict[str, GateRecord]] = {}
    for record in records:
        grouped.setdefault((record.suite, record.metric), {})[record.test] = record
    views = []
    for (suite, metric), tests in sorted(grouped.items()):
        # an isolation test is its suite's bar of "no leaked case"
        value_test = tests.get("value") or tests.get("isolation")
        no_drop = tests.get("no_drop")
        first = value_test if value_test is not None else tests["no_drop"]
        comparison = no_drop.comparison if no_drop is not None else None
        views.append(
            MetricView(
                suite=suite,
                metric=metric,
                value=first.value,
                bar=first.bar,
                baseline=first.baseline,
                bar_outcome=None if value_test is None else value_test.outcome,
                no_drop_outcome=None if no_drop is None else no_drop.outcome,
                difference=None if comparison is None else comparison.difference,
                interval=None if comparison is None else _interval(comparison.ci),
                p_value=None if comparison is None else comparison.p_value,
                comparison_test=None if comparison is None else comparison.test,
                max_drop=first.max_drop,
                message=(no_drop if no_drop is not None else first).message,
            )
        )
    return views


def _interval(ci: tuple[float, float]) -> tuple[float, float] | None:
    """The comparison's interval, or None where there is none (a bootstrap over identical
    items gives NaN bounds: shown as "-", not as "[nan, nan]")."""
    if len(ci) != 2 or any(v is None or math.isnan(v) for v in ci):
        return None
    return ci


def _flips(records: Iterable[GateRecord]) -> list[FlipList]:
    out = []
    for record in sorted(records, key=lambda r: (r.suite, r.metric)):
        if record.test != "no_drop" or not record.flips:
            continue
        flips = record.flips
        out.append(
            FlipList(
                suite=record.suite,
                metric=record.metric,
                worse=sum(1 for f in flips if f.direction == "worse"),
                better=sum(1 for f in flips if f.direction == "better"),
                p_value=None if record.comparison is None else record.comparison.p_value,
                flips=flips[:FLIPS_SHOWN],
                total=len(flips),
            )
        )
    return out


def _trends(history: HistoryBlock | None) -> list[TrendPlot]:
    """A plot per suite/metric of ``history.metrics``, by training step where every point has
    one, else by time."""
    if history is None:
        return []
    series: dict[tuple[str, str], list[HistoryPoint]] = {}
    for point in history.metrics:
        series.setdefault((point.suite, point.metric), []).append(point)
    plots = []
    left, right, top, bottom = 56.0, TREND_WIDTH - 16.0, 12.0, TREND_HEIGHT - 28.0
    for (suite, metric), points in sorted(series.items()):
        steps = [p.step for p in points]
        by_step = all(step is not None for step in steps)
        ordered = sorted(points, key=lambda p: (p.step or 0, p.time) if by_step else (0, p.time))
        values = [p.value for p in ordered]
        low, high = min(values), max(values)
        xs = [float(p.step or 0) for p in ordered] if by_step else list(range(len(ordered)))
        x_low, x_span = min(xs), (max(xs) - min(xs))
        laid = []
        for p, x, y in zip(ordered, xs, values, strict=True):
            # One point, or one value throughout: in the middle, not on an edge.
            px = left + ((x - x_low) / x_span if x_span else 0.5) * (right - left)
            py = bottom - ((y - low) / (high - low) if high > low else 0.5) * (bottom - top)
            label = f"step {p.step}" if by_step else f"{p.run_id}, {p.time}"
            laid.append((round(px, 1), round(py, 1), f"{label} ({p.model})", y))
        first, last = ordered[0], ordered[-1]
        plots.append(
            TrendPlot(
                suite=suite,
                metric=metric,
                points=tuple(laid),
                polyline=" ".join(f"{x},{y}" for x, y, _, _ in laid),
                low=low,
                high=high,
                x_first=f"step {first.step}" if by_step else first.time[:16],
                x_last=f"step {last.step}" if by_step else last.time[:16],
            )
        )
    return plots


def _header(run: RunRecord) -> dict[str, Any]:
    first = next(iter(run.models.values()), ModelDescription())
    return {
        "model": first.model or run.settings.get("model", "-"),
        "fingerprint": first.fingerprint or "-",
        "backend": first.backend or run.settings.get("backend", "-"),
        "device": first.device or "-",
        "git_commit": run.git_commit or "-",
        "started": run.started,
        "duration": run.duration_seconds,
        "totals": run.totals,
        "workers": len(run.models),
    }


def build_page(
    run: RunRecord,
    *,
    perf: PerfRun | None = None,
    exit_status: int | None = None,
) -> Page:
    """What the page shows, from a run's record."""
    cases = sorted((_case(c) for c in run.cases), key=lambda c: c.key)
    totals = run.totals
    regressions = sum(1 for c in cases if c.outcome == "failed")
    failed_bars = sum(1 for m in run.metrics if m.outcome in ("failed", "error"))
    errors = int(totals.get("error", 0)) + sum(1 for t in run.unjudged if t.outcome == "failed")
    blocked = bool(totals.get("failed") or totals.get("error") or regressions or failed_bars)
    if (exit_status is not None and exit_status != 0) or run.interrupted:
        blocked = True
    # Regressions first, in summary.md's order (critical-assertion ones first), then
    # improvements.
    by_key = {c.key: c for c in cases}
    changed = [by_key[c.key] for c in failing_cases(run.cases)]
    changed += [c for c in cases if c.outcome == "xpassed"]
    views = _metrics(run.metrics)
    return Page(
        run_id=run.run_id,
        blocked=blocked,
        regressions=regressions,
        critical_regressions=sum(1 for c in cases if c.critical_regressions),
        failed_bars=failed_bars,
        errors=errors,
        exit_status=exit_status,
        interrupted=run.interrupted,
        header=_header(run),
        suites=tuple((s, dict(counts)) for s, counts in sorted(run.summary.items())),
        metrics=tuple(v for v in views if not v.suite.startswith("general/")),
        benchmarks=tuple(v for v in views if v.suite.startswith("general/")),
        cases=tuple(cases),
        changed=tuple(
            (c, diff_segments(c.baseline_answer or "", c.answer)) for c in changed[:DETAILED]
        ),
        changed_total=len(changed),
        flips=tuple(_flips(run.metrics)),
        unjudged=run.unjudged,
        tags=tuple(sorted({t for c in cases for t in c.tags})),
        perf=perf,
        review=run.review or None,
        judge=run.judge or None,
        robustness=variant_flips(run.cases),
        trends=tuple(_trends(run.history)),
        settings=run.settings,
        leaks=tuple(
            leak
            for record in run.metrics
            if isinstance(record, MetricRecord) and record.leaks
            for leak in record.leaks
        ),
    )
