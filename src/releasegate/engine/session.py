"""The state of one releasegate run in one process (the controller or a pytest-xdist worker).

The plugin module holds pytest hooks only; everything they need lives in a
:class:`ReleaseSession` kept in ``config.stash``. The session coordinates: it loads, schedules
and fetches answers, and hands the judging to the one place for each kind of test
(:func:`~releasegate.gate.judging.judge` for a case,
:func:`~releasegate.gate.verdicts.gate_metric` for a suite metric, perplexity included,
:func:`~releasegate.gate.benchmarks.gate_benchmark` for a benchmark,
:class:`~releasegate.isolation.IsolationReport` for a suite's ``::isolation`` test). It fetches
the model's log-likelihoods of the references (:mod:`releasegate.perplexity`) as it fetches
answers.

Suites, baselines, the model and the prediction cache are loaded lazily, so ``pytest tests/``
in a project that also has golden suites pays for none of them, and a re-run whose answers are
all cached never loads the model.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..benchmarks.general import GeneralConfig, TaskResult, load_general
from ..benchmarks.lmeval import aggregation_function
from ..benchmarks.running import BenchmarkRunner
from ..config import Settings
from ..core.devices import configure_torch_threads, device_for_worker
from ..core.display import first_items
from ..core.records import BenchmarkRecord, ModelDescription, Prediction
from ..exceptions import BackendError, ConfigError, ReleasegateError
from ..gate.baselines import BaselineStore, SuiteBaseline
from ..gate.benchmarks import gate_benchmark
from ..gate.judging import CaseVerdict, judge, score_suite
from ..gate.verdicts import MetricResult, gate_metric
from ..golden.metrics import MetricValue, ScoredCase, sees_variants, source_of
from ..golden.suites import Suite, project_suites
from ..models.backend import (
    Backend,
    EndpointSpec,
    GenerationSettings,
    ModelSpec,
    TokenLikelihood,
    lm_eval_capable,
)
from ..models.loading import lazy_backend, load_backend
from ..models.sources import check_model_source
from ..perplexity.metrics import ModelScored, reference_text
from ..perplexity.scoring import cached_log_likelihoods
from ..review.store import ReviewStore
from ..review.verdicts import suite_human_verdict
from .cache import PredictionCache
from .judges import CaseJudgment, JudgeService
from .predictions import PredictionService
from .refs import BenchmarkRef, CaseRef, MetricRef, identify_test
from .scheduling import chunk_groups, chunks_of

if TYPE_CHECKING:
    from ..isolation.check import IsolationReport

__all__ = [
    "BenchmarkRef",
    "CaseRef",
    "MetricRef",
    "ReleaseSession",
    "identify_test",
]


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
    _scored: dict[tuple[str, bool], list[ScoredCase]] = field(default_factory=dict)
    _judged: dict[str, ScoredCase] = field(default_factory=dict)
    """Cases judged for their tests in this process, by case key: the metrics reuse them."""
    _likelihoods: dict[str, list[TokenLikelihood]] = field(default_factory=dict)
    weights_loaded: bool = False
    """Whether this process loaded the model's weights (a fully cached re-run does not)."""
    load_error: str | None = None
    """Why loading the model's weights failed in this process (each case that needed an
    answer is an ERROR saying so); None when it did not fail."""
    given_backend: Backend | None = None
    """A backend the caller already holds (the model being trained, in memory): used as it is,
    nothing is loaded (:mod:`releasegate.integrations.transformers`)."""

    @property
    def is_controller(self) -> bool:
        return self.worker_id is None

    @cached_property
    def suites(self) -> dict[str, Suite]:
        """Every selected suite, validated whole (raises a ReleasegateError otherwise)."""
        loaded = project_suites(self.settings, only=self.settings.suites, root=self.root)
        return {suite.name: suite for suite in loaded}

    @cached_property
    def baselines(self) -> BaselineStore:
        return BaselineStore(self.settings.baselines_dir)

    @cached_property
    def reviews(self) -> ReviewStore:
        """The review memory (human review scores of exact answers)."""
        return ReviewStore(self.settings.reviews_dir)

    @cached_property
    def judges(self) -> JudgeService:
        """The suites' judge models (:mod:`.judges`), built when first asked."""
        return JudgeService(
            self.settings,
            self.root,
            lambda: self.backend,
            lambda suite: getattr(self.baseline_of(suite), "model", None),
        )

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
        return self.settings.endpoint()

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
        if self.given_backend is not None:
            return self.given_backend
        return lazy_backend(
            self.settings.backend,
            self.model_spec,
            worker_id=self.worker_id,
            load=self._load_weights,
        )

    def _load_weights(self) -> Backend:
        # torch's share of the cores: before hf loads its weights; after a backend of one's own
        # loads, only if it brought torch in. An endpoint or a torch-free backend never imports
        # torch: its 40-odd non-propagating loggers cost every test phase (pytest's log capture
        # attaches to each), 0.2-1 ms a case.
        runs_torch = self.settings.backend == "hf"
        if runs_torch:
            configure_torch_threads(self.worker_count)
        device = device_for_worker(self.settings.device, self.worker_id)
        try:
            backend = load_backend(self.settings.backend, replace(self.model_spec, device=device))
        except ReleasegateError as exc:
            self.load_error = str(exc)
            raise
        if not runs_torch and "torch" in sys.modules:
            configure_torch_threads(self.worker_count)
        self.weights_loaded = True
        return backend

    @property
    def backend(self) -> Backend:
        """The model, loaded once per process (so once per device under ``-n auto``)."""
        return self.predictions.backend

    def model_description(self) -> ModelDescription | None:
        """Fingerprint and description of the model, if this process used it; None when it
        did not, or when its weights failed to load (the end of the run does not try again: the
        cases already say why, and the report must still be written)."""
        predictions = self.__dict__.get("predictions")
        if predictions is None or not predictions.backend_loaded or self.load_error is not None:
            return None
        backend = predictions.backend
        try:
            described = {"fingerprint": backend.fingerprint, **backend.describe()}
        except ReleasegateError as exc:  # the description needed the weights, and they failed
            self.load_error = str(exc)
            return None
        # Plain JSON types only: it travels from xdist workers (execnet) and into reports.
        plain: dict[str, Any] = json.loads(json.dumps(described, default=str))
        return ModelDescription.from_json(plain)

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
        capable = lm_eval_capable(backend)
        runner = self.benchmark_runner
        results: dict[str, TaskResult] = runner.results(
            lambda: capable.lm_eval_model(batch_size=runner.batch_size),
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

    def evaluate_benchmark(self, ref: BenchmarkRef) -> BenchmarkRecord:
        """The benchmark test *ref* judged (running every benchmark first, once per process)."""
        assert self.general is not None
        return gate_benchmark(
            ref.test_id,
            self.general.task(ref.task),
            ref.metric,
            ref.kind,
            self.benchmark_results()[ref.task],
            None if ref.kind == "value" else self.baselines.load_benchmark(ref.task),
            alpha=self.general.alpha or self.settings.alpha,
            samples=self.settings.bootstrap_samples,
            aggregation=aggregation_function,
        )

    def close(self) -> None:
        if "predictions" in self.__dict__ and self.predictions.backend_loaded:
            self.predictions.backend.close()
        if "cache" in self.__dict__:
            self.cache.close()
        if "judges" in self.__dict__:
            self.judges.close()

    # -- collection ------------------------------------------------------------------------

    def golden_keys(self) -> frozenset[str]:
        """Case test keys (``suite/test id``, as in node ids) and metric keys
        (``suite::metric``) of the selected suites."""
        keys: set[str] = set()
        for suite in self.suites.values():
            keys.update(case.test_key for case in suite.test_cases)
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
        """The case test *ref* judged (its answer generated with its chunk if needed)."""
        suite = self.suites[ref.suite]
        case = suite.case(ref.case_id)
        baseline = self.baseline_of(suite.name)
        before = baseline.case_for(case) if baseline else None
        prediction = self.answer(ref)
        # The reviewers' verdict is looked up here: the gate never reads the review memory.
        human = suite_human_verdict(suite, case.id, prediction.answer, self.reviews, before)
        judged = self.case_judgment(ref)  # the judge model's verdict, where the suite has one
        result, record = (judged.check_result, judged.record) if judged else (None, None)
        verdict = judge(
            suite, case, prediction, before, human=human, judged=result, judge_record=record
        )
        # Kept for the suite's metrics, which would otherwise check the same answer again.
        self._judged[case.key] = ScoredCase.of(case, prediction.answer, verdict.result)
        return verdict

    def case_judgment(self, ref: CaseRef) -> CaseJudgment | None:
        """The judge's verdict on the case's answer (None: its suite has no judge, or its judge is
        down and the case has a check of its own), judged with
        the answers of its chunk this process holds (one judge call for them all)."""
        suite = self.suites[ref.suite]
        if not self.judges.judges(suite):
            return None
        case, answer = suite.case(ref.case_id), self.answer(ref).answer
        if (known := self.judges.judged(case, answer)) is not None:  # judged with its chunk
            return known
        chunk = self.chunk_members.get(self.chunk_of.get(ref.key, ""), [])
        return self.judges.case_judgment(
            suite,
            (case, answer),
            [suite.case(member.case_id) for member in chunk],
            self.predictions.remembered,
        )

    def baseline_of(self, suite: str) -> SuiteBaseline | None:
        """The baseline cases and metrics are judged against; none with ``--update-baseline``,
        which records a new one and must not need to read (or be stopped by a broken) old one."""
        return None if self.update_baseline else self.baselines.load(suite)

    def scored_suite(self, suite: Suite, *, variants: bool = True) -> list[ScoredCase]:
        """Every test case of *suite* (its robustness *variants* too, unless not wanted: only a
        metric that reads them needs them) answered and checked, generating what is missing."""
        if (suite.name, variants) not in self._scored:
            cases = suite.test_cases if variants else suite.cases
            answers: dict[str, Prediction] = {}
            size, key = self.settings.effective_chunk_size, attrgetter("key")
            for chunk, members in chunks_of(suite.name, cases, self.chunk_of, size, key):
                answers.update(self.predictions.answers(suite, members, claim_key=chunk))
            unanswered = [case for case in cases if case.key not in answers]
            if unanswered:
                first = self.predictions.failure(unanswered[0].key)
                raise BackendError(
                    f"{suite.name}: the suite's metrics need every case's answer, and "
                    f"{len(unanswered)} case(s) got none ("
                    + first_items([case.id for case in unanswered])
                    + f"); first: {first.reason if first else 'unknown'}"
                )
            texts = {key: prediction.answer for key, prediction in answers.items()}
            self._scored[(suite.name, variants)] = score_suite(
                suite,
                texts,
                {key: prediction.output_tokens for key, prediction in answers.items()},
                judged=self._judged,
                judge_verdicts=self.judges.check_verdicts(suite, texts),
                cases=cases,
            )
        return self._scored[(suite.name, variants)]

    def model_scored(self, ref: MetricRef) -> bool:
        """Whether the metric is computed from the model's scores (perplexity), not answers."""
        return source_of(self.suites[ref.suite].metric(ref.metric).metric) == "model"

    def likelihoods(self, suite: Suite) -> list[TokenLikelihood]:
        """Each case's log-likelihood of its reference answer after its prompt (as the model
        sees it): from the cache where scored before, else from the model in batches; once
        per suite and process (``perplexity`` and ``log_likelihood`` share them)."""
        if suite.name not in self._likelihoods:
            requests = [
                (self.predictions.rendered_prompt(suite, case), reference_text(case.expected))
                for case in suite.cases
            ]
            self._likelihoods[suite.name] = cached_log_likelihoods(
                self.backend,
                requests,
                cache_dir=self.settings.cache_dir,
                batch_size=self.settings.batch_size,
            )
        return self._likelihoods[suite.name]

    def evaluate_metric(self, ref: MetricRef) -> MetricResult:
        """The metric test *ref* judged (every case of its suite answered first, or, for a
        metric of the model's scores, every case's reference scored)."""
        suite = self.suites[ref.suite]
        spec = suite.metric(ref.metric)
        model_scored: MetricValue | None = None
        if source_of(spec.metric) == "model":  # it declares so: it scores likelihoods
            model_scored = cast(ModelScored, spec.metric).from_likelihoods(self.likelihoods(suite))
        return gate_metric(
            suite,
            spec,
            ref.kind,
            (
                []
                if model_scored is not None
                else self.scored_suite(suite, variants=sees_variants(spec.metric))
            ),
            self.baseline_of(suite.name),
            alpha=self.settings.alpha,
            samples=self.settings.bootstrap_samples,
            # a judge metric's context is the judges; a human metric's, the review memory
            reviews=self.judges if source_of(spec.metric) == "judge" else self.reviews,
            model_scored=model_scored,
        )


def worker_identity(workerinput: Mapping[str, Any] | None) -> tuple[str | None, int]:
    """``(worker id, worker count)`` of this process."""
    if workerinput is None:
        return None, 1
    return str(workerinput["workerid"]), int(workerinput.get("workercount", 1))


def default_run_id() -> str:
    """``YYYYmmdd-HHMMSS-<pid>``: sortable, unique on one machine."""
    import time

    return time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
