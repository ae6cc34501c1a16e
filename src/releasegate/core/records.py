"""The typed records of a run: what a test found, how it travels, what the reports hold.

One frozen dataclass per thing: a judged case (:class:`CaseRecord`), a suite metric's test
(:class:`MetricRecord`), a general benchmark's test (:class:`BenchmarkRecord`), a paired
comparison (:class:`ComparisonRecord`), an item that moved (:class:`Flip`), a benchmark task's
lm-eval result (:class:`TaskResult`, :class:`ItemResult`), a test that ended without a verdict
(:class:`UnjudgedTest`), the model's answer to one case (:class:`Prediction`) and the whole run as
``results.json`` holds it (:class:`RunRecord`).

They live here, in a leaf module that imports nothing of releasegate's, because every layer
meets them: golden/, gate/ and benchmarks/ build them, the pytest plugin carries them from
xdist workers to the controller, the controller writes the reports and baselines from them,
and whatever reads a finished run (an HTML page, the run history) reads them back with
:func:`load_run`. Nothing re-reads another module's dict by key.

One serialisation for all of them (:func:`to_json`, :func:`from_json`, driven by the fields'
types): records cross the xdist boundary as JSON (serialised where the worker attaches them to
its test report, rebuilt where the controller receives it) and ``results.json`` is the same
JSON, so the file's layout is the records' fields, in their order.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from ..exceptions import RecordError

__all__ = [
    "BenchmarkRecord",
    "CaseRecord",
    "ComparisonRecord",
    "Flip",
    "GateRecord",
    "HistoryBlock",
    "HistoryPoint",
    "HumanRecord",
    "ItemResult",
    "JsonRecord",
    "Leak",
    "MetricRecord",
    "Prediction",
    "ReviewSummary",
    "RunRecord",
    "TaskResult",
    "TestIdentity",
    "UnjudgedTest",
    "from_json",
    "load_run",
    "read_record",
    "to_json",
]

R = TypeVar("R")

OMIT_NONE: Mapping[str, bool] = {"omit_none": True}
"""Field metadata: the key is left out of the JSON while the value is None (a benchmark's
``refused`` and ``task_result``, present only where they say something)."""


class JsonRecord:
    """The one serialisation of every record, as methods (no record writes its own)."""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data: fields in their order, tuples as lists, nested records as objects."""
        data: dict[str, Any] = to_json(self)
        return data

    @classmethod
    def from_json(cls: type[R], data: Mapping[str, Any]) -> R:
        """The record back from :meth:`to_json`'s data (also read from a file)."""
        return from_json(cls, data)


_PLAIN = (str, int, float, bool, type(None))

Converter = Callable[[Any], Any]
"""JSON data -> a field's value (None where the data is the value as it is)."""


def to_json(value: Any) -> Any:
    """*value* as plain JSON data (records, mappings and sequences all the way down)."""
    if isinstance(value, _PLAIN):
        return value
    layout = _layout(type(value)) if is_dataclass(value) else None
    if layout is not None:
        out: dict[str, Any] = {}
        for name, omit_none in layout:
            item = getattr(value, name)
            if item is None and omit_none:
                continue
            out[name] = item if isinstance(item, _PLAIN) else to_json(item)
        return out
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def from_json(cls: type[R], data: Mapping[str, Any]) -> R:
    """The record *cls* from JSON *data*, each field converted to its declared type (nested
    records, tuples, mappings of records). A missing field takes its default, None where it
    may be None; any other missing field, or data that is not an object, is a
    :class:`RecordError`."""
    if not isinstance(data, Mapping):
        raise RecordError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
    values: dict[str, Any] = {}
    for name, convert, when_missing in _plan(cls):
        if name in data:
            value = data[name]
            values[name] = value if convert is None or value is None else convert(value)
        elif when_missing == "required":
            raise RecordError(f"{cls.__name__}: the field '{name}' is missing")
        elif when_missing == "none":
            values[name] = None
    return cls(**values)


_LAYOUTS: dict[type, tuple[tuple[str, bool], ...]] = {}
_PLANS: dict[type, tuple[tuple[str, Converter | None, str], ...]] = {}


def _layout(cls: type) -> tuple[tuple[str, bool], ...]:
    """A record's fields in order, each with whether a None leaves its key out."""
    if cls not in _LAYOUTS:
        _LAYOUTS[cls] = tuple((f.name, bool(f.metadata.get("omit_none"))) for f in fields(cls))
    return _LAYOUTS[cls]


def _plan(cls: type) -> tuple[tuple[str, Converter | None, str], ...]:
    """How to read each field of a record: its converter, and what a missing key means
    (``default``: the field's default, ``none``: None, ``required``: an error). Worked out once
    per record type from its type hints."""
    if cls not in _PLANS:
        hints = get_type_hints(cls)
        plan = []
        for f in fields(cls):
            tp = hints[f.name]
            if f.default is not MISSING or f.default_factory is not MISSING:
                missing = "default"
            else:
                missing = "none" if _optional(tp) else "required"
            plan.append((f.name, _converter(tp, f"{cls.__name__}.{f.name}"), missing))
        _PLANS[cls] = tuple(plan)
    return _PLANS[cls]


def _optional(tp: Any) -> bool:
    return tp is Any or (get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp))


def _kind_of(cls: Any) -> Any:
    """The default of a record's ``kind`` field (how a union of records is told apart)."""
    for f in fields(cls):
        if f.name == "kind":
            return f.default
    return None


def _converter(tp: Any, where: str) -> Converter | None:
    """The converter of JSON data to type *tp* (None: the data is the value as it is)."""
    origin, args = get_origin(tp), get_args(tp)
    if tp is Any or tp in (str, int, bool) or origin is Literal:
        return None
    if tp is float:
        return lambda value: float(value) if type(value) is int else value
    if isinstance(tp, type) and is_dataclass(tp):
        record = tp
        return lambda value: from_json(record, value)
    if origin in (Union, types.UnionType):
        records = {_kind_of(a): a for a in args if isinstance(a, type) and is_dataclass(a)}
        if len(records) > 1:

            def by_kind(value: Any) -> Any:
                kind = value.get("kind") if isinstance(value, Mapping) else None
                if kind not in records:
                    raise RecordError(f"{where}: unknown kind {kind!r}")
                return from_json(records[kind], value)

            return by_kind
        others = [a for a in args if a is not type(None)]
        return _converter(others[0], where) if len(others) == 1 else None
    if origin is tuple or origin in (list, Sequence):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            items = [_converter(a, where) for a in args]

            def fixed(value: Any) -> Any:
                _expect(value, list | tuple, "a list", where)
                return tuple(
                    v if c is None or v is None else c(v)
                    for c, v in zip(items, value, strict=False)
                )

            return fixed
        item = _converter(args[0], where)

        def sequence(value: Any) -> Any:
            _expect(value, list | tuple, "a list", where)
            if item is None:
                return tuple(value)
            return tuple(v if v is None else item(v) for v in value)

        return sequence
    if origin in (dict, Mapping, typing.Mapping):
        entry = _converter(args[1], where)

        def mapping(value: Any) -> Any:
            _expect(value, Mapping, "an object", where)
            if entry is None:
                return dict(value)
            return {k: v if v is None else entry(v) for k, v in value.items()}

        return mapping
    return None


def _expect(value: Any, kind: Any, what: str, where: str) -> None:
    if not isinstance(value, kind):
        raise RecordError(f"{where}: expected {what}, got {type(value).__name__}")


# --------------------------------------------------------------------------------------------
# What a test found.


@dataclass(frozen=True)
class Flip(JsonRecord):
    """An item that moved between the baseline and this run."""

    item: str
    """Case id, or a benchmark's document id."""
    direction: str
    """``worse`` (passed before, fails now), ``better``, or ``changed`` (a benchmark item whose
    answer changed and whose own score says nothing)."""
    before: float
    now: float
    before_answer: str = ""
    now_answer: str = ""
    expected: str = ""


@dataclass(frozen=True, kw_only=True)
class ComparisonRecord(JsonRecord):
    """A no-drop test's paired comparison (see :class:`~releasegate.core.stats.PairedComparison`,
    which it records)."""

    test: str
    """``mcnemar``, ``bootstrap``, ``permutation`` or ``unchanged``."""
    baseline: float
    now: float
    difference: float
    """``now - baseline``."""
    ci: tuple[float, float]
    """Confidence interval of the difference."""
    confidence: float
    p_value: float
    """One-sided p-value of a drop."""
    items: int
    """Items compared (in both runs)."""
    worse: int
    better: int
    added: int = 0
    """Cases the suite has now and the baseline has not (not compared)."""
    removed: int = 0
    """Cases the baseline has and the suite no longer has (not compared)."""


@dataclass(frozen=True, kw_only=True)
class HumanRecord(JsonRecord):
    """What reviewers said of one case's exact answer (suites with a ``review:`` rubric); built
    by :mod:`releasegate.review.verdicts`."""

    passed: bool
    """Scored at or above the pass mark; a pending answer passes only under ``pending: skip``."""
    pending: bool
    """No review of this exact answer yet."""
    score: float | None
    """Mean overall score over its reviewers; None while pending."""
    reviewers: tuple[str, ...]
    message: str
    """One line for the test report."""
    baseline_passed: bool | None = None
    """Whether the baseline's answer passed review (None: not reviewed, or no baseline)."""


@dataclass(frozen=True)
class Prediction:
    """The model's answer to one case: made by the engine's prediction service, judged by the
    gate (:mod:`releasegate.gate.judging`), so it lives below both."""

    prompt: str
    """The exact text (chat template applied) the model was given."""
    answer: str
    """What it generated."""
    output_tokens: int
    """Tokens generated."""
    seconds: float
    """Its share of the batch's generation time (0 when served from the cache)."""
    cached: bool
    """True when the answer came from an earlier run's cache."""


@dataclass(frozen=True, kw_only=True)
class CaseRecord(JsonRecord):
    """One judged golden case, as the report and the next baseline hold it."""

    kind: Literal["case"] = "case"
    suite: str
    id: str
    """The case's id in its suite."""
    key: str
    """``suite/id``."""
    source: str
    """Where the case is written (file and line or row)."""
    tags: tuple[str, ...]
    critical: bool
    input: Any
    """The case's input (text, or chat messages) as plain JSON data."""
    expected: Any
    """The expected answer(s) as plain JSON data."""
    prompt: str
    """The exact text the model was given."""
    answer: str
    check: str
    """The check that judged it."""
    passed: bool
    """The case's verdict: the check's, and the reviewers' where the suite has a rubric."""
    check_passed: bool
    """The check's verdict alone (what the next baseline records: reviews belong to the
    answer, not to the baseline)."""
    reason: str
    score: float | None
    prediction: Any
    """What the check read from the answer (a label, parsed JSON), as plain JSON data."""
    status: str
    """``passed``, ``regression``, ``known failure``, ``improvement`` or ``failed``."""
    baseline: str | None
    """The baseline's outcome (``passed``/``failed``), None without one."""
    baseline_answer: str | None
    output_tokens: int
    seconds: float
    cached: bool
    human: HumanRecord | None = None
    """The reviewers' verdict on this answer (suites with a ``review:`` rubric)."""
    outcome: str = ""
    """pytest's outcome (``passed``, ``failed``, ``xfailed``...), set by the controller."""
    nodeid: str = ""
    """pytest's node id, set by the controller."""

    @property
    def why(self) -> str:
        """Why the case stands as it does, in one line: where reviewers failed its answer (or
        it awaits them under ``pending: fail``), their verdict (score, who, comments), not the
        check's reason, which would say the answer looked right; else the check's reason."""
        human = self.human
        if human is None or human.passed:
            return self.reason
        if self.check_passed:
            return human.message
        return f"{human.message}; check: {self.reason}"


@dataclass(frozen=True, kw_only=True)
class Leak(JsonRecord):
    """A golden case's text found in the training data (:mod:`releasegate.isolation`)."""

    suite: str
    case_id: str
    part: str
    """``input`` (a user turn) or ``expected``."""
    golden_text: str
    file: str
    """The training file, as configured (relative to the project root where it is inside)."""
    row: int
    """The example's row in the file, 1-based (a JSONL file's line number)."""
    field: str
    """Where in the row: ``messages[0].content``, ``prompt``..."""
    train_text: str
    similarity: float
    """1.0 for an exact match (after normalisation), else the 3-gram Jaccard similarity."""
    exact: bool


@dataclass(frozen=True, kw_only=True)
class MetricRecord(JsonRecord):
    """One suite-metric test: its bar (``test="value"``) or its no-drop comparison."""

    kind: Literal["metric"] = "metric"
    suite: str
    metric: str
    test: str
    """``value`` or ``no_drop``."""
    value: float
    details: Mapping[str, float]
    bar: str
    min: float | None
    max: float | None
    max_drop: float | None
    baseline: float | None
    """The baseline's value, None without one."""
    higher_is_better: bool
    passed: bool
    message: str
    per_item: tuple[float, ...]
    """Each case's contribution, in suite order."""
    comparison: ComparisonRecord | None = None
    flips: tuple[Flip, ...] = ()
    leaks: tuple[Leak, ...] | None = field(default=None, metadata=OMIT_NONE)
    """The ``<suite>::isolation`` test's findings (every other metric: None, left out)."""
    outcome: str = ""
    nodeid: str = ""


@dataclass(frozen=True)
class ItemResult(JsonRecord):
    """One question of a benchmark as the model answered it."""

    doc_hash: str
    """lm-eval's hash of the document: pairs are only compared when it matches."""
    target: str
    answer: str
    """The chosen choice (multiple choice) or the generated text."""
    scores: Mapping[str, Any]
    """Per-item metric values as lm-eval computed them (1/0 for acc; may be a pair for a
    corpus metric whose aggregation combines items)."""


@dataclass(frozen=True)
class TaskResult(JsonRecord):
    """A configured task's scores and per-item results from one lm-eval run."""

    task: str
    lm_eval_version: str
    config_hash: str
    """Digest of the task configuration as lm-eval ran it (prompt, few-shot, metrics), data
    paths left out: the data is checked item by item through ``doc_hash``."""
    num_fewshot: int | None
    limit: float | None
    metrics: Mapping[str, float]
    stderr: Mapping[str, float | None]
    items: Mapping[str, ItemResult]
    """Item id (``doc_id``, or ``<subtask>/<doc_id>`` in a group) -> result."""
    aggregation: Mapping[str, str] = field(default_factory=dict)
    """Metric -> how lm-eval combines its per-item values (``mean`` or a function's name)."""
    higher_is_better: Mapping[str, bool] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class BenchmarkRecord(JsonRecord):
    """One general-benchmark test: a task metric's value or its no-drop comparison."""

    kind: Literal["benchmark"] = "benchmark"
    suite: str
    """``general/<task>``."""
    metric: str
    test: str
    value: float
    stderr: float | None
    details: Mapping[str, float] = field(default_factory=dict)
    bar: str
    min: float | None
    max: float | None = None
    max_drop: float | None
    higher_is_better: bool
    items: int
    """Questions scored."""
    lm_eval_version: str
    config_hash: str
    num_fewshot: int | None
    limit: float | None
    baseline: float | None = None
    comparison: ComparisonRecord | None = None
    flips: tuple[Flip, ...] = ()
    refused: str | None = field(default=None, metadata=OMIT_NONE)
    """Why the baseline could not be compared with (another lm-eval, task or data)."""
    task_result: TaskResult | None = field(default=None, metadata=OMIT_NONE)
    """The task's whole result (value tests): the controller writes it as
    ``general/<task>.json`` and, with ``--update-baseline``, as the task's baseline; it is left
    out of ``results.json``."""
    passed: bool
    message: str
    outcome: str = ""
    nodeid: str = ""


GateRecord = MetricRecord | BenchmarkRecord
"""A metric test of either kind: what the summary table and the flips list show."""


@dataclass(frozen=True)
class TestIdentity(JsonRecord):
    """Which releasegate test a report is about, attached to every phase's report (so a test
    that ends without a verdict is still reported under its case or metric)."""

    __test__ = False  # not a pytest test class

    kind: str
    """``case``, ``metric`` or ``benchmark``."""
    suite: str
    """The suite (``general/<task>`` for a benchmark)."""
    key: str
    """``suite/case_id``, ``suite::metric[::no_drop]`` or ``general/<task>::<metric>[...]``."""


@dataclass(frozen=True)
class UnjudgedTest(TestIdentity):
    """A releasegate test that ended without a verdict: an ERROR in setup (its answer, or its
    suite's answers, could not be had), a test that broke before judging, or one skipped."""

    nodeid: str
    """pytest's node id."""
    outcome: str
    """As pytest counts it: ``error``, ``failed``, ``skipped``..."""
    when: str
    """The phase that ended it: ``setup``, ``call`` or ``teardown``."""
    message: str
    """Why (pytest's report text: the error's message)."""


def read_record(data: Mapping[str, Any]) -> CaseRecord | MetricRecord | BenchmarkRecord:
    """A test's record from its JSON (told apart by ``kind``): the controller's one way in."""
    kinds: dict[str, type[CaseRecord] | type[MetricRecord] | type[BenchmarkRecord]] = {
        "case": CaseRecord,
        "metric": MetricRecord,
        "benchmark": BenchmarkRecord,
    }
    record = kinds.get(str(data.get("kind")))
    if record is None:
        raise RecordError(f"a test record of unknown kind {data.get('kind')!r}")
    return record.from_json(data)


# --------------------------------------------------------------------------------------------
# A whole run.


@dataclass(frozen=True, kw_only=True)
class ReviewSummary(JsonRecord):
    """What one suite's answers in a run have of human reviews (suites with a rubric); built by
    :func:`releasegate.review.gate.review_summary`."""

    reviewed: int
    """Answers with at least one review of that exact answer."""
    pending: int
    """Answers awaiting review."""
    reviewers: tuple[str, ...]
    criteria: Mapping[str, float | None]
    """Mean score per rubric criterion over the reviewed answers (None: none reviewed)."""
    overall: float | None
    """Mean overall score over the reviewed answers."""
    pass_rate: float | None
    """Share of reviewed answers at or above the pass mark."""
    export_command: str
    """The command that exports the pending answers."""


@dataclass(frozen=True, kw_only=True)
class HistoryPoint(JsonRecord):
    """One recorded value of one of the run's metrics, in this run or an earlier one (the run
    history, :mod:`releasegate.history`)."""

    run_id: str
    step: int | None
    """The checkpoint's training step; None: not a checkpoint."""
    time: str
    """When that run finished, ISO 8601 with its UTC offset."""
    model: str
    suite: str
    metric: str
    value: float


@dataclass(frozen=True, kw_only=True)
class HistoryBlock(JsonRecord):
    """The run's metrics across the recorded runs, oldest first: what the page plots."""

    metrics: tuple[HistoryPoint, ...]


@dataclass(frozen=True, kw_only=True)
class RunRecord(JsonRecord):
    """One run as ``reports/<run-id>/results.json`` holds it."""

    run_id: str
    started: str
    """ISO 8601, local time with offset."""
    finished: str
    duration_seconds: float
    git_commit: str | None
    """The checked-out commit of the project, None outside a git work tree."""
    settings: Mapping[str, Any]
    """The run's public settings."""
    models: Mapping[str, Any]
    """Model description by worker (``main`` without xdist)."""
    totals: Mapping[str, int]
    """Every test report by pytest's outcome, as pytest counted them."""
    summary: Mapping[str, Mapping[str, int]]
    """Case tests by suite and outcome."""
    metrics: tuple[MetricRecord | BenchmarkRecord, ...]
    """Metric and benchmark tests, by key."""
    cases: tuple[CaseRecord, ...]
    """Case tests, by key."""
    unjudged: tuple[UnjudgedTest, ...]
    """Tests without a verdict, by key."""
    review: Mapping[str, ReviewSummary] | None = field(default=None, metadata=OMIT_NONE)
    """Human review per suite with a rubric; left out of the file when no suite has one."""
    history: HistoryBlock | None = field(default=None, metadata=OMIT_NONE)
    """The run's metrics in the run history (this run included); left out when the run was not
    recorded."""
    interrupted: str | None = None
    """Why the run stopped before its end (Ctrl-C, ``pytest -x`` stopping at a failure, a
    worker gone down): its results are partial. None for a run that ran to its end."""


def load_run(path: Path) -> RunRecord:
    """A finished run read back from its ``results.json`` (*path*, or the run's folder)."""
    file = path / "results.json" if path.is_dir() else path
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RecordError(f"{file}: cannot read the run's results ({exc})") from exc
    try:
        return RunRecord.from_json(document)
    except RecordError as exc:
        raise RecordError(f"{file}: {exc}; is it a releasegate results.json?") from exc
