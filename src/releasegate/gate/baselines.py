"""Baselines: what a reference run produced, per suite, as reviewable JSON under version control.

A baseline keeps each case's outcome (and the reference answer, so a reviewer sees what changed)
and each metric's value with its per-case contributions, so later comparisons can be paired on
the same items. Files are written only with ``--update-baseline``, by the pytest-xdist controller,
once, at the end of a session that ran to its end; workers only read them. Each file is replaced
whole and atomically (:mod:`releasegate.core.atomic`), and all of a session's files are prepared
before the first is written, so an update that cannot be made writes nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..core.atomic import write_text_atomic
from ..core.records import (
    CaseRecord,
    ItemResult,
    JsonRecord,
    MetricRecord,
    ModelDescription,
    TaskResult,
)
from ..exceptions import BaselineError, GoldenFileError
from ..golden.cases import GoldenCase
from ..schemas import validate_document

__all__ = [
    "STORED_DECIMALS",
    "BaselineDrift",
    "BaselineStore",
    "BenchmarkBaseline",
    "CaseBaseline",
    "MetricBaseline",
    "PlannedWrite",
    "SuiteBaseline",
    "WriteResult",
    "same_as_stored",
]

Outcome = Literal["passed", "failed"]
StoredOutcome = Literal["pass", "fail", "unscored"]

STORED_DECIMALS = 6
"""Decimals a baseline keeps of each value: a value read back equals the one computed only to
this precision, so every comparison with a stored value is made at it (:func:`same_as_stored`)."""


def same_as_stored(before: float, now: float) -> bool:
    """Whether *now* equals *before* at the precision a baseline stores (NaN equals NaN).

    A value compared with its own stored copy must never look moved: 0.6666667 is stored as
    0.666667, and an exact comparison would call an unchanged answer a flip."""
    if math.isnan(before) or math.isnan(now):
        return math.isnan(before) and math.isnan(now)
    return round(before, STORED_DECIMALS) == round(now, STORED_DECIMALS)


_UPDATE_HINT = "fix it or regenerate it with --update-baseline"


@dataclass(frozen=True)
class CaseBaseline:
    """A case as the reference run left it."""

    outcome: Outcome
    """Whether the reference model's answer passed the case's check."""
    answer: str = ""
    """The reference model's answer."""
    score: float | None = None
    """The check's score (similarity, fraction of JSON fields), where it has one."""
    assertions: Mapping[str, StoredOutcome] = field(default_factory=dict)
    """Each assertion's outcome by name (``pass``, ``fail``, ``unscored``), the case's check
    included (``check (<name>)``): what makes a must-not that passed here and fails now a
    regression named by its assertion. Empty for a case without assertions, and in a baseline
    written before assertions existed (it still reads: such a case is compared as a whole)."""
    question: str = ""
    """For a robustness variant: the question the reference run asked (:func:`question_of`).
    Another seed, an upgraded OpenCC or an edited table makes another question under the same
    id; the entry then stands for nothing (:meth:`SuiteBaseline.case_for`). "" for a case as
    written (its id is its question)."""

    @classmethod
    def of(cls, record: CaseRecord) -> CaseBaseline:
        """The case as this run leaves it for the next baseline: the check's verdict (reviews
        belong to the answer and are found again by its hash, not kept in the baseline) and
        each assertion's outcome."""
        return cls(
            outcome="passed" if record.check_passed else "failed",
            answer=record.answer,
            score=record.score,
            assertions={a["name"]: a["outcome"] for a in record.assertions},
            question=question_of(record.input) if record.variant_of else "",
        )


def question_of(value: Any) -> str:
    """A case's input as one text, as a baseline keeps a variant's: the text itself, or a
    conversation's messages as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True)
class MetricBaseline:
    """A suite metric as the reference run left it."""

    value: float
    """The metric's value."""
    per_item: Mapping[str, float] = field(default_factory=dict)
    """Each case's contribution, by case id (for paired comparisons)."""

    @classmethod
    def of(cls, record: MetricRecord, case_ids: Sequence[str]) -> MetricBaseline:
        """The metric as this run leaves it for the next baseline (*case_ids*: the suite's
        cases, in the order of the record's ``per_item``)."""
        per_item = dict(zip(case_ids, record.per_item, strict=True)) if record.per_item else {}
        return cls(value=record.value, per_item=per_item)

    @classmethod
    def mean_of(cls, per_item: Mapping[str, float]) -> MetricBaseline:
        """A metric that is the mean of its per-case values, as the baseline's answers scored
        today (reviews or a judge of the baseline's answers): *per_item* not empty."""
        return cls(value=math.fsum(per_item.values()) / len(per_item), per_item=per_item)


@dataclass(frozen=True)
class SuiteBaseline:
    """The whole baseline of one suite."""

    suite: str
    cases: Mapping[str, CaseBaseline]
    metrics: Mapping[str, MetricBaseline]
    model: ModelDescription = field(default_factory=ModelDescription)
    """The reference model (its fingerprint and name), as the run described it."""
    generation: Mapping[str, Any] = field(default_factory=dict)

    def case_for(self, case: GoldenCase) -> CaseBaseline | None:
        """*case*'s entry, None without one; and None for a robustness variant whose question
        is not the one the baseline asked (it is a new case under an old id)."""
        entry = self.cases.get(case.id)
        if entry is None or not case.variant_of or not entry.question:
            return entry
        same = entry.question == question_of(json.loads(json.dumps(case.input, default=str)))
        return entry if same else None

    def changed_variants(self, cases: Iterable[GoldenCase]) -> tuple[str, ...]:
        """The variants among *cases* whose baseline entry asked another question (sorted)."""
        return tuple(
            sorted(
                case.id
                for case in cases
                if case.variant_of and case.id in self.cases and self.case_for(case) is None
            )
        )

    def drift(self, case_ids: Iterable[str]) -> BaselineDrift:
        """How the suite's cases (*case_ids*) differ from the cases this baseline holds."""
        current = set(case_ids)
        return BaselineDrift(
            added=tuple(sorted(current - set(self.cases))),
            stale=tuple(sorted(set(self.cases) - current)),
        )

    def to_json(self) -> dict[str, Any]:
        cases: dict[str, Any] = {}
        for case_id in sorted(self.cases):
            case = self.cases[case_id]
            entry: dict[str, Any] = {"outcome": case.outcome, "answer": case.answer}
            if case.score is not None:
                entry["score"] = round(case.score, STORED_DECIMALS)
            if case.assertions:  # in the order written: the case's own order reads best
                entry["assertions"] = dict(case.assertions)
            if case.question:
                entry["question"] = case.question
            cases[case_id] = entry
        metrics: dict[str, Any] = {}
        for name in sorted(self.metrics):
            metric = self.metrics[name]
            metrics[name] = {"value": round(metric.value, STORED_DECIMALS)}
            if metric.per_item:
                metrics[name]["per_item"] = {
                    k: round(v, STORED_DECIMALS) for k, v in sorted(metric.per_item.items())
                }
        return {
            "suite": self.suite,
            "model": self.model.to_json(),
            "generation": dict(self.generation),
            "metrics": metrics,
            "cases": cases,
        }


@dataclass(frozen=True)
class BaselineDrift:
    """A suite changed since its baseline was recorded: cases added to it, cases removed."""

    added: tuple[str, ...]
    """Case ids the suite has and the baseline lacks (sorted): nothing to compare them with."""
    stale: tuple[str, ...]
    """Case ids the baseline holds and the suite no longer has (sorted)."""

    def __bool__(self) -> bool:
        return bool(self.added or self.stale)


@dataclass(frozen=True)
class WriteResult:
    """What an update did (or is about to do) to one baseline file."""

    suite: str
    path: Path
    action: Literal["created", "updated", "unchanged"]
    removed_cases: tuple[str, ...] = ()
    """Case entries dropped because the suite no longer has those cases."""
    replaced_broken: str = ""
    """Why the file it replaces could not be read (empty when it could): a broken baseline is
    overwritten with this run's, never merged, and the user is told which file it was."""


@dataclass(frozen=True)
class PlannedWrite:
    """A baseline file's new content, prepared before any file is written, so that an update
    that cannot be made for one file writes none (see :meth:`BaselineStore.commit`)."""

    result: WriteResult
    text: str


class BaselineStore:
    """Reads and writes ``<baselines_dir>/<suite>.json``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._loaded: dict[str, SuiteBaseline | None] = {}

    def path_for(self, suite: str) -> Path:
        return self.directory / f"{suite}.json"

    def load(self, suite: str) -> SuiteBaseline | None:
        """The suite's baseline, or None when it has none yet (every case is then plain
        pass/fail)."""
        if suite not in self._loaded:
            self._loaded[suite] = self._read(suite)
        return self._loaded[suite]

    def _read(self, suite: str) -> SuiteBaseline | None:
        path = self.path_for(suite)
        if not path.is_file():
            return None
        document = _read_document(path, schema="baseline", hint=_UPDATE_HINT)
        if document["suite"] != suite:
            raise BaselineError(
                f"{path}: holds suite '{document['suite']}', expected '{suite}'; "
                "rename the file or regenerate it with --update-baseline"
            )
        for name, stored in document["metrics"].items():
            _refuse_nan(path, name, stored.get("value"), stored.get("per_item", {}))
        return SuiteBaseline(
            suite=suite,
            cases={k: CaseBaseline(**v) for k, v in document["cases"].items()},
            metrics={
                k: MetricBaseline(value=v["value"], per_item=v.get("per_item", {}))
                for k, v in document["metrics"].items()
            },
            model=ModelDescription.from_json(document.get("model", {})),
            generation=document.get("generation", {}),
        )

    def plan(
        self,
        new: SuiteBaseline,
        *,
        whole: bool = False,
        all_case_ids: frozenset[str] | None = None,
    ) -> PlannedWrite:
        """The suite's new file. With *whole* (this run judged every case and every metric of
        the suite) it is *new* alone: the old file is read only to say what changed, and a broken
        one is simply replaced. Otherwise *new* is merged into the old file: entries for cases
        that did not run are kept, unless *all_case_ids* (the suite's complete case list) says
        they no longer exist.

        Raises BaselineError when a partial run of one model would be merged into the baseline
        of another: the file would then claim the new model for answers the old one gave.
        """
        path = self.path_for(new.suite)
        broken = ""
        try:
            old = self._read(new.suite)
        except BaselineError as exc:
            old, broken = None, str(exc).removesuffix(f"; {_UPDATE_HINT}")
        removed: tuple[str, ...] = ()
        if whole:
            merged = new
            if old is not None:
                removed = tuple(sorted(k for k in old.cases if k not in new.cases))
        elif old is None:
            merged = new
        else:
            _refuse_mixed_models(path, old, new)
            cases = {**old.cases, **new.cases}
            if all_case_ids is not None:
                removed = tuple(sorted(k for k in cases if k not in all_case_ids))
                cases = {k: v for k, v in cases.items() if k in all_case_ids}
            merged = SuiteBaseline(
                suite=new.suite,
                cases=cases,
                metrics={**old.metrics, **new.metrics},
                model=new.model if new.model != ModelDescription() else old.model,
                generation=new.generation or old.generation,
            )
        text = json.dumps(merged.to_json(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        action = _action(path, text)
        return PlannedWrite(WriteResult(new.suite, path, action, removed, broken), text)

    def commit(self, planned: PlannedWrite) -> WriteResult:
        """Replace the planned file whole and atomically (an unchanged one is not touched)."""
        result = planned.result
        if result.action != "unchanged":
            write_text_atomic(result.path, planned.text)
        self._loaded.pop(result.suite, None)
        return result

    def write(
        self,
        new: SuiteBaseline,
        *,
        whole: bool = False,
        all_case_ids: frozenset[str] | None = None,
    ) -> WriteResult:
        """:meth:`plan` and :meth:`commit` in one step (one file)."""
        return self.commit(self.plan(new, whole=whole, all_case_ids=all_case_ids))

    # -- general benchmarks: <baselines_dir>/general/<task>.json ------------------------------

    def benchmark_path(self, task: str) -> Path:
        return self.directory / "general" / f"{task}.json"

    def load_benchmark(self, task: str) -> BenchmarkBaseline | None:
        """The stored result of benchmark *task*, or None when none was recorded."""
        path = self.benchmark_path(task)
        if not path.is_file():
            return None
        hint = "regenerate it with `releasegate baseline --model <reference model>`"
        document = _read_document(path, schema="benchmark_baseline", hint=hint)
        if document["task"] != task:
            raise BaselineError(
                f"{path}: holds task '{document['task']}', expected '{task}'; rename it or {hint}"
            )
        for name, value in document.get("metrics", {}).items():
            scores = {
                key: item.get("scores", {}).get(name)
                for key, item in document.get("items", {}).items()
            }
            _refuse_nan(path, name, value, scores, hint=hint)
        return BenchmarkBaseline.from_json(document)

    def plan_benchmark(self, result: TaskResult, model: ModelDescription) -> PlannedWrite:
        """A benchmark's result as its new baseline file (:class:`BenchmarkBaseline`): always
        the whole file (one run scores every question of the task), never read first."""
        document = BenchmarkBaseline.of(result, model).to_json()
        path = self.benchmark_path(result.task)
        text = json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        return PlannedWrite(WriteResult(f"general/{result.task}", path, _action(path, text)), text)

    def write_benchmark(self, result: TaskResult, model: ModelDescription) -> WriteResult:
        """Store a benchmark's result as its baseline."""
        return self.commit(self.plan_benchmark(result, model))


def _read_document(path: Path, *, schema: str, hint: str) -> Any:
    """A baseline file read, parsed and checked against *schema*; each fault is one
    :class:`BaselineError` naming the file and ending with *hint* (what to do)."""
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
    except UnicodeDecodeError as exc:
        raise BaselineError(f"{path}: not UTF-8 text ({exc}); {hint}") from exc
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: {_json_fault(text, exc)}; {hint}") from exc
    try:
        validate_document(schema, document, path=path)
    except GoldenFileError as exc:
        raise BaselineError(f"{exc}; {hint}") from exc
    return document


def _refuse_nan(
    path: Path,
    metric: str,
    value: Any,
    per_item: Mapping[str, Any],
    *,
    hint: str = _UPDATE_HINT,
) -> None:
    """A stored NaN (JSON ``NaN``) would make every comparison with it meaningless: refuse the
    file, naming the metric and the case."""
    if isinstance(value, float) and math.isnan(value):
        raise BaselineError(f"{path}: metric '{metric}': its value is NaN (not a number); {hint}")
    for case_id, item in per_item.items():
        if isinstance(item, float) and math.isnan(item):
            raise BaselineError(
                f"{path}: metric '{metric}', case '{case_id}': its value is NaN (not a number); "
                f"{hint}"
            )


def _json_fault(text: str, exc: json.JSONDecodeError) -> str:
    """A botched git merge is the usual way a baseline breaks: say so rather than "Expecting
    value: line 1 column 1"."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "=======":
            return f"holds merge-conflict markers (line {number}: {line[:20]!r})"
    return f"not valid JSON ({exc})"


def _action(path: Path, text: str) -> Literal["created", "updated", "unchanged"]:
    """Compares bytes, not documents: a file that cannot be parsed is simply "updated"."""
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        return "created"
    return "unchanged" if old == text.encode("utf-8") else "updated"


def _refuse_mixed_models(path: Path, old: SuiteBaseline, new: SuiteBaseline) -> None:
    before, now = old.model.fingerprint, new.model.fingerprint
    if before and now and before != now:
        raise BaselineError(
            f"{path}: recorded from model {old.model.model or '?'} (fingerprint "
            f"{before}); this run of {new.model.model or '?'} (fingerprint {now}) judged "
            f"{len(new.cases)} case(s), not the whole suite, so merging would mix two models' "
            f"answers in one baseline; run the whole suite (no -k/-m/--lf) with "
            f"--update-baseline to record it anew"
        )


@dataclass(frozen=True, kw_only=True)
class BenchmarkBaseline(JsonRecord):
    """A benchmark's baseline file (``<baselines>/general/<task>.json``): the reference model's
    lm-eval result of one task, typed, as :meth:`BaselineStore.plan_benchmark` writes it and
    :meth:`BaselineStore.load_benchmark` reads it back (files written before a field existed
    read with its default)."""

    task: str
    model: ModelDescription = field(default_factory=ModelDescription)
    """The reference model: its fingerprint and name (and whatever else an older file says)."""
    lm_eval_version: str
    config_hash: str
    """Digest of the task configuration as lm-eval ran it (``TaskResult.config_hash``)."""
    num_fewshot: int | None = None
    limit: int | float | None = None
    """lm-eval's ``--limit`` as given: a count of questions, or a share of them."""
    metrics: Mapping[str, float]
    stderr: Mapping[str, float | None] = field(default_factory=dict)
    aggregation: Mapping[str, str] = field(default_factory=dict)
    higher_is_better: Mapping[str, bool] = field(default_factory=dict)
    items: Mapping[str, ItemResult]
    """Each question as the reference model answered it."""

    @classmethod
    def of(cls, result: TaskResult, model: ModelDescription) -> BenchmarkBaseline:
        """The baseline of one run's *result*, by the reference *model* (its description)."""
        return cls(
            task=result.task,
            model=model,
            lm_eval_version=result.lm_eval_version,
            config_hash=result.config_hash,
            num_fewshot=result.num_fewshot,
            limit=result.limit,
            metrics=result.metrics,
            stderr=result.stderr,
            aggregation=result.aggregation,
            higher_is_better=result.higher_is_better,
            items=result.items,
        )
