"""The typed records of a run: what a test found, how it travels, what the reports hold.

One frozen dataclass per thing: a judged case (:class:`CaseRecord`), a suite metric's test
(:class:`MetricRecord`), a general benchmark's test (:class:`BenchmarkRecord`), a paired
comparison (:class:`ComparisonRecord`), an item that moved (:class:`Flip`), a benchmark task's
lm-eval result (:class:`TaskResult`, :class:`ItemResult`), a test that ended without a verdict
(:class:`UnjudgedTest`), the model's answer to one case (:class:`Prediction`) and the whole run as
``results.json`` holds it (:class:`RunRecord`).

They live in a leaf module because every layer meets them: golden/, gate/ and benchmarks/ build
them, the plugin carries them from xdist workers to the controller, which writes the reports and
baselines from them, and whatever reads a finished run reads them back with :func:`load_run`.
A judge model's records are in :mod:`.judge_records`.

One serialisation for all of them (:mod:`.serialisation`, driven by the fields' types): records
cross the xdist boundary as JSON (serialised where the worker attaches them to its test report,
rebuilt on the controller) and ``results.json`` is the same JSON, so the file's layout is the
records' fields, in their order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..exceptions import RecordError
from .judge_records import JudgeRecord, JudgeSummary
from .serialisation import OMIT_NONE, REST, JsonRecord, from_json, to_json

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
    "JudgeRecord",
    "JudgeSummary",
    "Leak",
    "MetricRecord",
    "ModelDescription",
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
    assertions: tuple[dict[str, Any], ...] = ()
    """Each assertion of the case (``assert:``): name, type, outcome (``pass``, ``fail``,
    ``unscored``), reason, and ``critical``/``weight`` where set; () for a case judged by its
    check alone."""
    unscored: bool = False
    """The case could not be judged: an assertion that decides it could not be evaluated."""
    judge: JudgeRecord | None = field(default=None, metadata=OMIT_NONE)
    """The judge model's verdict on the answer (suites with a ``judge:``); None, left out."""
    variant_of: str = ""
    """A robustness variant's original case id, and its perturbation (``typo``); "" if none."""
    perturbation: str = ""
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
    item_ids: tuple[str, ...] | None = field(default=None, metadata=OMIT_NONE)
    """The cases ``per_item`` is aligned with where not every case (an ``assertion_pass_rate``:
    those carrying its assertion); None, left out: every case."""
    comparison: ComparisonRecord | None = None
    flips: tuple[Flip, ...] = ()
    leaks: tuple[Leak, ...] | None = field(default=None, metadata=OMIT_NONE)
    """The ``<suite>::isolation`` test's findings (every other metric: None, left out)."""
    outcome: str = ""
    nodeid: str = ""
    advisory: str = ""
    """Why it did not gate ("" if it did): an uncalibrated judge's metric, reported, skipped."""


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
    outcome: str
    """As pytest counts it: ``error``, ``failed``, ``skipped``..."""
    when: str
    """The phase that ended it: ``setup``, ``call`` or ``teardown``."""
    message: str
    """Why (pytest's report text: the error's message, a skip's reason)."""


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
class ModelDescription(JsonRecord):
    """The model as its backend describes it (``Backend.describe()`` with its fingerprint), for
    the reports, the baselines and the run history: the keys releasegate reads, typed, and
    every other key the backend wrote (library versions, the endpoint's settings...) in
    :attr:`details`, all in one flat object on disk (``results.json``'s ``models``)."""

    fingerprint: str | None = field(default=None, metadata=OMIT_NONE)
    backend: str | None = field(default=None, metadata=OMIT_NONE)
    model: str | None = field(default=None, metadata=OMIT_NONE)
    """The model as configured (a folder, a hub id, the default model's name)."""
    path: str | None = field(default=None, metadata=OMIT_NONE)
    """Where its weights were read from (a local backend)."""
    device: str | None = field(default=None, metadata=OMIT_NONE)
    dtype: str | None = field(default=None, metadata=OMIT_NONE)
    details: Mapping[str, Any] = field(default_factory=dict, metadata=REST)
    """Every other key of the description, as the backend wrote it."""


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
    models: Mapping[str, ModelDescription]
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
    judge: Mapping[str, JudgeSummary] | None = field(default=None, metadata=OMIT_NONE)
    """The judge model per suite with a ``judge:``; left out when no suite has one."""
    interrupted: str | None = None
    """Why the run stopped early (Ctrl-C, ``pytest -x``, a worker down): partial; None: whole."""


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
