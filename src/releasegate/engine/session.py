"""The state of one releasegate run in one process (the controller or a pytest-xdist worker).

The plugin module holds pytest hooks only; everything they need lives in a
:class:`ReleaseSession` kept in ``config.stash``. Suites, baselines, the model and the prediction
cache are loaded lazily, so ``pytest tests/`` in a project that also has golden suites pays for
none of them, and a re-run whose answers are all cached never loads the model.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from ..benchmarks.general import BenchmarkRunner, GeneralConfig, TaskResult, load_general
from ..config import Settings
from ..exceptions import BackendError, ConfigError
from ..gate.baselines import BaselineStore, SuiteBaseline
from ..gate.comparisons import (
    Flip,
    MetricOutcome,
    PairedStatistics,
    benchmark_mismatch,
    compare_benchmark,
    compare_suite_metric,
    judge_bar,
    judge_comparison,
    suite_flips,
    suite_mismatch,
)
from ..gate.stats import PairedComparison, SummedStatistic
from ..golden.cases import GoldenCase
from ..golden.judging import CaseVerdict, judge_case, show_expected
from ..golden.metrics import Decomposable, MetricValue, ScoredCase
from ..golden.suites import MetricSpec, Suite, discover_suites
from ..isolation.check import IsolationReport
from ..models.backend import (
    Backend,
    EndpointSpec,
    GenerationSettings,
    ModelSpec,
    check_model_source,
    lazy_backend,
    load_backend,
)
from ..perplexity.scoring import TokenLikelihood
from .cache import PredictionCache
from .devices import configure_torch_threads, device_for_worker
from .predictions import Prediction, PredictionService
from .scheduling import chunk_groups

__all__ = [
    "BenchmarkRef",
    "BenchmarkVerdict",
    "CaseRef",
    "MetricRef",
    "MetricResult",
    "ReleaseSession",
    "identify_test",
]


@dataclass(frozen=True)
class CaseRef:
    """The parameter of one case test: which case of which suite."""

    suite: str
    case_id: str

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.case_id}"


@dataclass(frozen=True)
class MetricRef:
    """The parameter of one metric test: a suite metric and what it is held to."""

    suite: str
    metric: str
    kind: str
    """``value`` (its min/max bar, or just reported), ``no_drop`` (against the baseline), or
    ``isolation`` (the suite's cases looked for in the training data; metric ``isolation``)."""

    @property
    def test_id(self) -> str:
        suffix = "::no_drop" if self.kind == "no_drop" else ""
        return f"{self.suite}::{self.metric}{suffix}"


@dataclass(frozen=True)
class BenchmarkRef:
    """The parameter of one benchmark test: a task metric, its value or its no-drop test."""

    task: str
    metric: str
    kind: str
    """``value`` (its ``min`` bar, or just reported) or ``no_drop`` (against the baseline)."""

    @property
    def test_id(self) -> str:
        return f"general/{self.task}::{self.metric}" + (
            "::no_drop" if self.kind == "no_drop" else ""
        )


@dataclass(frozen=True)
class BenchmarkVerdict:
    """A benchmark test's outcome and its record for the report."""

    passed: bool
    message: str
    record: dict[str, Any]


@dataclass(frozen=True)
class MetricResult:
    """A metric test's value and verdict."""

    ref: MetricRef
    spec: MetricSpec
    value: MetricValue
    outcome: MetricOutcome
    baseline_value: float | None
    comparison: PairedComparison | None = None
    """The paired comparison with the baseline (no-drop tests)."""
    flips: tuple[Flip, ...] = ()
    """Cases that moved since the baseline (no-drop tests)."""

    def record(self) -> dict[str, Any]:
        return {
            "kind": "metric",
            "suite": self.ref.suite,
            "metric": self.ref.metric,
            "test": self.ref.kind,
            "value": self.value.value,
            "details": dict(self.value.details),
            "bar": self.spec.bar,
            "min": self.spec.min,
            "max": self.spec.max,
            "max_drop": self.spec.max_drop,
            "baseline": self.baseline_value,
            "higher_is_better": self.spec.metric.higher_is_better,
            "passed": self.outcome.passed,
            "message": self.outcome.message,
            "per_item": list(self.value.per_item),
            "comparison": _comparison_record(self.comparison),
            "flips": [flip.record() for flip in self.flips],
        }


def _comparison_record(comparison: PairedComparison | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    return {
        "test": comparison.test,
        "baseline": comparison.baseline,
        "now": comparison.now,
        "difference": comparison.difference,
        "ci": [comparison.ci_low, comparison.ci_high],
        "confidence": comparison.confidence,
        "p_value": comparison.p_value,
        "items": comparison.items,
        "worse": comparison.worse,
        "better": comparison.better,
    }


@dataclass
class ReleaseSession:
    """Everything a releasegate run holds in one process."""

    settings: Settings
    run_id: str
    root: Path = field(default_factory=Path.cwd)
    """The project's root folder (relative paths of ``[tool.releasegate.general]``)."""
    worker_id: str | None = None
    """``gw0``, ``gw1``... under pytest-xdist, None otherwise."""
    worker_count: int = 1
    update_baseline: bool = False
    chunk_of: dict[str, str] = field(default_factory=dict)
    """Case key -> chunk name, for this run's selected case tests."""
    chunk_members: dict[str, list[CaseRef]] = field(default_factory=dict)
    """Chunk name -> its cases, in collection order."""
    _scored: dict[str, list[ScoredCase]] = field(default_factory=dict)
    _likelihoods: dict[str, list[TokenLikelihood]] = field(default_factory=dict)
    weights_loaded: bool = False
    """Whether this process loaded the model's weights (a fully cached re-run does not)."""

    @property
    def is_controller(self) -> bool:
        return self.worker_id is None

    @cached_property
    def suites(self) -> dict[str, Suite]:
        """Every selected suite, validated whole (raises a ReleasegateError otherwise)."""
        loaded = discover_suites(
            self.settings.golden_dir,
            schemas_dir=self.settings.schemas_dir,
            only=self.settings.suites,
        )
        return {suite.name: suite for suite in loaded}

    @cached_property
    def baselines(self) -> BaselineStore:
        return BaselineStore(self.settings.baselines_dir)

    @cached_property
    def cache(self) -> PredictionCache:
        return PredictionCache(
            self.settings.cache_dir / "predictions.sqlite",
            run_id=self.run_id,
            reuse=self.settings.prediction_cache,
        )

    @cached_property
    def generation(self) -> GenerationSettings:
        s = self.settings
        return GenerationSettings(
            max_new_tokens=s.max_new_tokens, temperature=s.temperature, top_p=s.top_p, seed=s.seed
        )

    def generation_for(self, suite: Suite) -> GenerationSettings:
        """The run's generation settings with the suite's overrides applied."""
        return replace(self.generation, **suite.generation) if suite.generation else self.generation

    @cached_property
    def predictions(self) -> PredictionService:
        return PredictionService(
            backend=self._load_backend,
            cache=self.cache,
            settings_for=self.generation_for,
            batch_size=self.settings.batch_size,
        )

    @cached_property
    def model_spec(self) -> ModelSpec:
        return ModelSpec(
            model=self.settings.model,
            device=self.settings.device,
            dtype=self.settings.dtype,
            cache_dir=self.settings.cache_dir,
            endpoint=self.endpoint_spec,
        )

    @cached_property
    def endpoint_spec(self) -> EndpointSpec:
        # Every endpoint setting is a [tool.releasegate] key of the same name.
        names = [f.name for f in fields(EndpointSpec)]
        return EndpointSpec(**{name: getattr(self.settings, name) for name in names})

    def check_model(self) -> None:
        """Cheap checks (no torch import) that the configured model can be found."""
        if self.settings.base_url is not None:
            if self.settings.backend == "hf":
                raise ConfigError(
                    f"base_url is {self.settings.base_url} but backend is 'hf' (the model in "
                    "this process); add --backend openai to judge the endpoint"
                )
            return  # the model is served elsewhere: nothing local to find
        check_model_source(self.model_spec)

    def _load_backend(self) -> Backend:
        """The model's backend; for ``hf``, its weights are loaded only when an answer must be
        generated (a re-run whose answers are all cached imports neither torch nor transformers)."""
        return lazy_backend(
            self.settings.backend,
            self.model_spec,
            worker_id=self.worker_id,
            load=self._load_weights,
        )

    def _load_weights(self) -> Backend:
        configure_torch_threads(self.worker_count)
        device = device_for_worker(self.settings.device, self.worker_id)
        self.weights_loaded = True
        return load_backend(self.settings.backend, replace(self.model_spec, device=device))

    @property
    def backend(self) -> Backend:
        """The model, loaded once per process (so once per device under ``-n auto``)."""
        return self.predictions.backend

    def model_description(self) -> dict[str, Any] | None:
        """Fingerprint and description of the model, if this process loaded it."""
        predictions = self.__dict__.get("predictions")
        if predictions is None or not predictions.backend_loaded:
            return None
        backend = predictions.backend
        described = {"fingerprint": backend.fingerprint, **backend.describe()}
        # Plain JSON types only: it travels from xdist workers (execnet) and into reports.
        plain: dict[str, Any] = json.loads(json.dumps(described, default=str))
        return plain

    # -- train/eval isolation ----------------------------------------------------------------

    @cached_property
    def isolation(self) -> IsolationReport:
        """The golden cases looked for in ``train_data`` (cached on disk by the data's
        signature, so every worker but the first, and every re-run, reads the result)."""
        from ..isolation import check_isolation

        return check_isolation(
            self.suites.values(),
            self.settings.train_data,
            fields=self.settings.train_fields,
            threshold=self.settings.isolation_threshold,
            cache_dir=self.settings.cache_dir,
            root=self.root,
        )

    # -- general benchmarks -----------------------------------------------------------------

    @cached_property
    def general(self) -> GeneralConfig | None:
        """``[tool.releasegate.general]``, validated; None when no benchmark is configured."""
        return load_general(self.settings.general, root=self.root)

    @cached_property
    def benchmark_runner(self) -> BenchmarkRunner:
        assert self.general is not None
        return BenchmarkRunner(
            self.general,
            cache_dir=self.settings.cache_dir,
            batch_size=self.settings.batch_size,
            reuse=self.settings.prediction_cache,
        )

    def benchmark_results(self) -> dict[str, TaskResult]:
        """Every configured benchmark run on this process's model (once; then cached)."""
        backend = self.backend
        runner = self.benchmark_runner
        make_lm = getattr(backend, "lm_eval_model", None)
        if make_lm is None:
            raise ConfigError(
                f"backend '{backend.name}' cannot run lm-eval benchmarks; use the hf or openai "
                "backend, or remove [tool.releasegate.general] tasks"
            )
        results: dict[str, TaskResult] = runner.results(
            lambda: make_lm(batch_size=runner.batch_size),
            model_key=f"{backend.name}:{backend.fingerprint}",
        )
        return results

    def benchmark_keys(self) -> frozenset[str]:
        """``general/<task>::<metric>`` of every configured benchmark metric."""
        if self.general is None:
            return frozenset()
        return frozenset(
            f"general/{task.name}::{metric}"
            for task in self.general.tasks
            for metric in task.metrics
        )

    def evaluate_benchmark(self, ref: BenchmarkRef) -> BenchmarkVerdict:
        assert self.general is not None
        task = self.general.task(ref.task)
        result = self.benchmark_results()[ref.task]
        value = result.metrics[ref.metric]
        stderr = result.stderr.get(ref.metric)
        higher = result.higher_is_better.get(ref.metric, True)
        label = ref.test_id
        record: dict[str, Any] = {
            "kind": "benchmark",
            "suite": f"general/{ref.task}",
            "metric": ref.metric,
            "test": ref.kind,
            "value": value,
            "stderr": stderr,
            "details": {},
            "bar": "-" if ref.metric not in task.min else f">= {task.min[ref.metric]:g}",
            "min": task.min.get(ref.metric),
            "max": None,
            "max_drop": task.max_drop,
            "higher_is_better": higher,
            "items": len(result.items),
            "lm_eval_version": result.lm_eval_version,
            "config_hash": result.config_hash,
            "num_fewshot": result.num_fewshot,
            "limit": result.limit,
            "baseline": None,
            "comparison": None,
            "flips": [],
        }
        err = f" ± {stderr:.3g}" if stderr is not None else ""
        if ref.kind == "value":
            record["task_result"] = result.to_json()
            head = f"{label} = {value:.4g}{err} over {len(result.items)} questions"
            bar = task.min.get(ref.metric)
            passed = bar is None or value >= bar
            message = head if passed else f"{head}: below its minimum {bar:g}"
            return self._benchmark_verdict(record, passed, message)
        baseline = self.baselines.load_benchmark(ref.task)
        assert baseline is not None
        record["baseline"] = baseline.metrics.get(ref.metric)
        refused = benchmark_mismatch(
            label, result, baseline, lm_eval_version=result.lm_eval_version
        )
        if refused is not None:
            record["refused"] = refused
            return self._benchmark_verdict(record, False, refused)
        alpha = self.general.alpha or self.settings.alpha
        comparison, flips = compare_benchmark(
            ref.metric,
            result,
            baseline,
            higher_is_better=higher,
            samples=self.settings.bootstrap_samples,
            confidence=1 - 2 * alpha,
        )
        record["comparison"] = _comparison_record(comparison)
        record["flips"] = [flip.record() for flip in flips]
        outcome = judge_comparison(
            label,
            comparison,
            max_drop=task.max_drop if task.max_drop is not None else math.inf,
            alpha=alpha,
            higher_is_better=higher,
            flips=flips,
        )
        return self._benchmark_verdict(record, outcome.passed, outcome.message)

    @staticmethod
    def _benchmark_verdict(record: dict[str, Any], passed: bool, message: str) -> BenchmarkVerdict:
        record["passed"] = passed
        record["message"] = message
        return BenchmarkVerdict(passed, message, record)

    def close(self) -> None:
        if "predictions" in self.__dict__ and self.predictions.backend_loaded:
            self.predictions.backend.close()
        if "cache" in self.__dict__:
            self.cache.close()

    # -- collection ------------------------------------------------------------------------

    def golden_keys(self) -> frozenset[str]:
        """Case test keys (``suite/test id``, as in node ids) and metric keys
        (``suite::metric``) of the selected suites."""
        keys: set[str] = set()
        for suite in self.suites.values():
            keys.update(case.test_key for case in suite.cases)
            keys.update(f"{suite.name}::{spec.name}" for spec in suite.metrics)
        return frozenset(keys)

    def assign_chunks(self, nodeids: Sequence[str], refs: Mapping[str, CaseRef]) -> None:
        """Record which selected cases are generated together (same rule as the scheduler)."""
        groups = chunk_groups(nodeids, self.settings.effective_chunk_size, self.golden_keys())
        self.chunk_of.clear()
        self.chunk_members.clear()
        for nodeid in nodeids:
            ref = refs.get(nodeid)
            if ref is None or nodeid not in groups:
                continue
            chunk = groups[nodeid]
            self.chunk_of[ref.key] = chunk
            self.chunk_members.setdefault(chunk, []).append(ref)

    # -- judging ---------------------------------------------------------------------------

    def answer(self, ref: CaseRef) -> Prediction:
        """The model's answer to one case, generated with the rest of its chunk if needed.

        Raises :class:`~releasegate.engine.predictions.CaseNotAnswered` when its request failed."""
        suite = self.suites[ref.suite]
        case = suite.case(ref.case_id)
        prediction = self.predictions.remembered(case.key)
        if prediction is None:
            chunk = self.chunk_of.get(ref.key, f"{ref.suite}#single:{ref.case_id}")
            members = self.chunk_members.get(chunk, [ref])
            answers = self.predictions.answers(
                suite, [suite.case(m.case_id) for m in members], claim_key=chunk
            )
            if case.key not in answers:
                failed = self.predictions.failure(case.key)
                assert failed is not None, f"{case.key}: neither answered nor failed"
                raise failed
            prediction = answers[case.key]
        return prediction

    def judge(self, ref: CaseRef) -> CaseVerdict:
        suite = self.suites[ref.suite]
        case = suite.case(ref.case_id)
        prediction = self.answer(ref)
        check = suite.check_for(case)
        baseline = self.baseline_of(suite.name)
        return judge_case(
            case,
            check_name=check.name,
            result=check(prediction.answer, case.expected),
            prediction=prediction,
            baseline=baseline.cases.get(case.id) if baseline else None,
        )

    def baseline_of(self, suite: str) -> SuiteBaseline | None:
        """The baseline cases and metrics are judged against; none with ``--update-baseline``,
        which records a new one and must not need to read (or be stopped by a broken) old one."""
        return None if self.update_baseline else self.baselines.load(suite)

    def scored_suite(self, suite: Suite) -> list[ScoredCase]:
        """Every case of *suite* answered and checked (generating what no one has yet)."""
        if suite.name not in self._scored:
            answers: dict[str, Any] = {}
            for chunk, cases in self._chunks_of_suite(suite):
                answers.update(self.predictions.answers(suite, cases, claim_key=chunk))
            unanswered = [case for case in suite.cases if case.key not in answers]
            if unanswered:
                first = self.predictions.failure(unanswered[0].key)
                raise BackendError(
                    f"{suite.name}: the suite's metrics need every case's answer, and "
                    f"{len(unanswered)} case(s) got none ("
                    + ", ".join(case.id for case in unanswered[:5])
                    + (", ..." if len(unanswered) > 5 else "")
                    + f"); first: {first.reason if first else 'unknown'}"
                )
            scored = []
            for case in suite.cases:
                answer = answers[case.key].answer
                result = suite.check_for(case)(answer, case.expected)
                scored.append(ScoredCase(case.id, answer, case.expected, result))
            self._scored[suite.name] = scored
        return self._scored[suite.name]

    def _chunks_of_suite(self, suite: Suite) -> list[tuple[str, list[GoldenCase]]]:
        chunks: dict[str, list[GoldenCase]] = {}
        rest: list[GoldenCase] = []
        for case in suite.cases:
            chunk = self.chunk_of.get(case.key)
            if chunk is None:
                rest.append(case)
            else:
                chunks.setdefault(chunk, []).append(case)
        size = self.settings.effective_chunk_size
        for start in range(0, len(rest), size):
            chunks[f"{suite.name}#rest{start // size}"] = rest[start : start + size]
        return list(chunks.items())

    def model_scored(self, ref: MetricRef) -> bool:
        """Whether the metric is computed from the model's scores (perplexity), not answers."""
        from ..perplexity.metrics import ModelScored

        return isinstance(self.suites[ref.suite].metric(ref.metric).metric, ModelScored)

    def likelihoods(self, suite: Suite) -> list[TokenLikelihood]:
        """Each case's log-likelihood of its reference answer after its prompt (as the model
        sees it), from the cache where scored before, else from the model in batches."""
        from ..perplexity.metrics import reference_text
        from ..perplexity.scoring import LikelihoodBackend, LikelihoodCache

        backend = self.backend
        requests = [
            (self.predictions.rendered_prompt(suite, case), reference_text(case.expected))
            for case in suite.cases
        ]
        cache = LikelihoodCache(self.settings.cache_dir, backend.fingerprint)
        found = [cache.get(*request) for request in requests]
        missing = [i for i, score in enumerate(found) if score is None]
        if missing and backend.name == "openai" and not isinstance(backend, LikelihoodBackend):
            from ..perplexity.endpoint import endpoint_log_likelihoods

            described = backend.describe()
            scores = endpoint_log_likelihoods(
                str(described["base_url"]),
                str(described["served_model"]),
                [requests[i] for i in missing],
                api_key=os.environ.get(self.settings.api_key_env),
                timeout=self.settings.request_timeout,
            )
            for i, score in zip(missing, scores, strict=True):
                found[i] = score
                cache.put(*requests[i], score)
            cache.save()
            missing = []
        if missing:
            if not isinstance(backend, LikelihoodBackend):
                raise ConfigError(
                    f"{suite.name}: metric perplexity needs log-likelihoods, and backend "
                    f"'{backend.name}' cannot compute them; use the hf backend, or an endpoint "
                    "whose /completions route returns prompt log-probabilities (echo + logprobs, "
                    "as vLLM does)"
                )
            scores = backend.log_likelihoods(
                [requests[i] for i in missing], batch_size=self.settings.batch_size
            )
            for i, score in zip(missing, scores, strict=True):
                found[i] = score
                cache.put(*requests[i], score)
            cache.save()
        return [score for score in found if score is not None]

    def _model_scored_value(self, suite: Suite, spec: MetricSpec) -> MetricValue:
        from ..perplexity.metrics import ModelScored

        assert isinstance(spec.metric, ModelScored)
        key = f"{suite.name}::likelihoods"
        if key not in self._likelihoods:
            self._likelihoods[key] = self.likelihoods(suite)
        return spec.metric.from_likelihoods(self._likelihoods[key])

    def evaluate_metric(self, ref: MetricRef) -> MetricResult:
        from ..perplexity.metrics import ModelScored

        suite = self.suites[ref.suite]
        spec = suite.metric(ref.metric)
        if isinstance(spec.metric, ModelScored):
            return self._evaluate_model_scored(ref, suite, spec)
        scored = self.scored_suite(suite)
        value = spec.metric(scored)
        case_ids = [item.case_id for item in scored]
        baseline = self.baseline_of(suite.name)
        metric_baseline = baseline.metrics.get(spec.name) if baseline else None
        flips: list[Flip] = []
        comparison: PairedComparison | None = None
        if ref.kind == "no_drop":
            assert metric_baseline is not None and baseline is not None
            assert spec.max_drop is not None
            answers = {item.case_id: item.answer for item in scored}
            baseline_answers = {k: v.answer for k, v in baseline.cases.items()}
            refused = suite_mismatch(suite.name, spec.name, case_ids, metric_baseline)
            if refused is not None:
                return MetricResult(
                    ref, spec, value, MetricOutcome(False, refused), metric_baseline.value
                )
            comparison = compare_suite_metric(
                spec,
                value,
                metric_baseline,
                case_ids,
                recompute=self._recompute(suite, spec, scored, baseline_answers),
                samples=self.settings.bootstrap_samples,
                confidence=1 - 2 * self.settings.alpha,
                answers=answers,
                baseline_answers=baseline_answers,
                paired=self._paired_statistics(suite, spec, scored, baseline_answers),
            )
            flips = suite_flips(
                value,
                metric_baseline,
                case_ids,
                higher_is_better=spec.metric.higher_is_better,
                answers=answers,
                baseline_answers=baseline_answers,
                expected={item.case_id: show_expected(item.expected) for item in scored},
            )
            outcome = judge_comparison(
                f"{suite.name}::{spec.name}",
                comparison,
                max_drop=spec.max_drop,
                alpha=self.settings.alpha,
                higher_is_better=spec.metric.higher_is_better,
                flips=flips,
            )
        else:
            answers = {item.case_id: item.answer for item in scored}
            outcome = judge_bar(suite.name, spec, value, case_ids, answers)
        return MetricResult(
            ref,
            spec,
            value,
            outcome,
            metric_baseline.value if metric_baseline else None,
            comparison,
            tuple(flips),
        )

    def _evaluate_model_scored(
        self, ref: MetricRef, suite: Suite, spec: MetricSpec
    ) -> MetricResult:
        """A metric of the model's scores (perplexity): no answers involved, so a case is
        compared by its value alone (an unchanged answer says nothing about its perplexity)."""
        value = self._model_scored_value(suite, spec)
        case_ids = [case.id for case in suite.cases]
        baseline = self.baseline_of(suite.name)
        metric_baseline = baseline.metrics.get(spec.name) if baseline else None
        if ref.kind != "no_drop":
            outcome = judge_bar(suite.name, spec, value, case_ids, {})
            return MetricResult(
                ref, spec, value, outcome, metric_baseline.value if metric_baseline else None
            )
        assert metric_baseline is not None and spec.max_drop is not None
        refused = suite_mismatch(suite.name, spec.name, case_ids, metric_baseline)
        if refused is not None:
            return MetricResult(
                ref, spec, value, MetricOutcome(False, refused), metric_baseline.value
            )
        comparison = compare_suite_metric(
            spec,
            value,
            metric_baseline,
            case_ids,
            recompute=None,
            samples=self.settings.bootstrap_samples,
            confidence=1 - 2 * self.settings.alpha,
        )
        flips = suite_flips(
            value,
            metric_baseline,
            case_ids,
            higher_is_better=spec.metric.higher_is_better,
            answers={},
            baseline_answers={},
        )
        outcome = judge_comparison(
            f"{suite.name}::{spec.name}",
            comparison,
            max_drop=spec.max_drop,
            alpha=self.settings.alpha,
            higher_is_better=spec.metric.higher_is_better,
            flips=flips,
        )
        return MetricResult(
            ref, spec, value, outcome, metric_baseline.value, comparison, tuple(flips)
        )

    def _paired_statistics(
        self,
        suite: Suite,
        spec: MetricSpec,
        scored: Sequence[ScoredCase],
        baseline_answers: Mapping[str, str],
    ) -> PairedStatistics | None:
        """For a metric computed from per-case counts: the counts of the baseline's answers and
        of this run's, on the same cases (what the paired test resamples)."""
        metric = spec.metric
        if not isinstance(metric, Decomposable):
            return None

        def paired(indices: Sequence[int]) -> tuple[SummedStatistic, SummedStatistic]:
            now = [scored[i] for i in indices]
            before = [self._rescored(suite, item, baseline_answers[item.case_id]) for item in now]
            return metric.paired_statistics(before, now)

        return paired

    @staticmethod
    def _rescored(suite: Suite, item: ScoredCase, answer: str) -> ScoredCase:
        """*item* as the baseline answered it, checked as this run checks it."""
        case = suite.case(item.case_id)
        return ScoredCase(
            case.id, answer, case.expected, suite.check_for(case)(answer, case.expected)
        )

    def _recompute(
        self,
        suite: Suite,
        spec: MetricSpec,
        scored: Sequence[ScoredCase],
        baseline_answers: Mapping[str, str],
    ) -> Callable[[Sequence[int]], tuple[float, float]] | None:
        """For a metric that is not a mean of per-case values: the metric of the baseline's
        answers and of this run's, on the same subset of cases (for the paired bootstrap)."""
        if getattr(spec.metric, "additive", False) or isinstance(spec.metric, Decomposable):
            return None
        # The cases the baseline answered (the comparison is paired on those alone).
        before = {
            i: self._rescored(suite, item, baseline_answers[item.case_id])
            for i, item in enumerate(scored)
            if item.case_id in baseline_answers
        }

        def recompute(indices: Sequence[int]) -> tuple[float, float]:
            return (
                spec.metric([before[i] for i in indices]).value,
                spec.metric([scored[i] for i in indices]).value,
            )

        return recompute


def identify_test(param: object) -> dict[str, str] | None:
    """Which releasegate test a test parameter names (``kind``, ``suite``, ``key``), as plain
    data that travels on every phase's report (setup, call, teardown) from a worker to the
    controller, so a test that ends without a verdict (an ERROR in setup) is still reported
    under its case or metric; None for any other test's parameter."""
    if isinstance(param, CaseRef):
        return {"kind": "case", "suite": param.suite, "key": param.key}
    if isinstance(param, MetricRef):
        return {"kind": "metric", "suite": param.suite, "key": param.test_id}
    if isinstance(param, BenchmarkRef):
        return {"kind": "benchmark", "suite": f"general/{param.task}", "key": param.test_id}
    return None


def worker_identity(workerinput: Mapping[str, Any] | None) -> tuple[str | None, int]:
    """``(worker id, worker count)`` of this process."""
    if workerinput is None:
        return None, 1
    return str(workerinput["workerid"]), int(workerinput.get("workercount", 1))


def default_run_id() -> str:
    """``YYYYmmdd-HHMMSS-<pid>``: sortable, unique on one machine."""
    import time

    return time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
