"""``ReleaseGateCallback``: the release suites scored inside a transformers ``Trainer`` loop.

At each checkpoint save (or every N steps) it runs the chosen golden suites on the model being
trained, as it is in memory: no save-and-reload, no second copy. The model is put in eval mode,
answers are generated in the engine's batches (the same judging, metrics and baselines as
``pytest model_tests``), and it is put back in train mode. The run is recorded in the run history
at the trainer's global step, and the metrics go into the trainer's log as
``releasegate/<suite>/<metric>``, so TensorBoard, W&B or Trackio chart them beside the loss. With
``stop_on_rule`` a rule that fires (:mod:`releasegate.history.trends`) stops training.

    trainer = Trainer(model=model, args=args, train_dataset=data)
    ReleaseGateCallback(tokenizer=tokenizer, suites=["shop_faq"]).attach(trainer)
    trainer.train()
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from ..config import Settings, load_project
from ..core.records import CaseRecord, MetricRecord, ModelDescription
from ..engine.session import CaseRef, MetricRef, ReleaseSession
from ..gate.judging import pytest_outcome
from ..golden.suites import project_suites
from ..history.recording import run_record
from ..history.store import HistoryStore
from ..history.trends import Finding, check_curve
from ..review.gate import ReviewsPending

__all__ = ["CallbackEvaluation", "ReleaseGateCallback"]


@dataclass(frozen=True)
class CallbackEvaluation:
    """One evaluation inside the loop."""

    step: int
    run_id: str
    metrics: dict[str, float]
    """``releasegate/<suite>/<metric>`` -> value, as logged."""
    findings: tuple[Finding, ...]
    seconds: float


class ReleaseGateCallback(TrainerCallback):
    """Score *suites* on the model in training at each save, or every *every* steps."""

    def __init__(
        self,
        *,
        tokenizer: Any = None,
        suites: Sequence[str] = (),
        every: int | None = None,
        root: Path | None = None,
        stop_on_rule: bool = False,
        history_path: Path | None = None,
        batch_size: int | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.every = every
        self.stop_on_rule = stop_on_rule
        overrides: dict[str, Any] = {"suites": list(suites) or None, "batch_size": batch_size}
        if history_path is not None:
            overrides["history_path"] = str(history_path)
        # root's pyproject.toml, else the nearest one above the current folder (load_project)
        project = load_project(root=root, overrides=overrides)
        root = self.root = project.root
        self.settings: Settings = project.settings
        # A misspelt suite or a broken case file fails here, before training starts, rather
        # than at the first save.
        project_suites(self.settings, only=self.settings.suites, root=root)
        self.store = HistoryStore(self.settings.effective_history_path)
        self.evaluations: list[CallbackEvaluation] = []
        self._trainer: Any = None

    def attach(self, trainer: Any) -> ReleaseGateCallback:
        """Add this callback to *trainer* and log through ``trainer.log`` (every reporting
        integration sees the metrics); without it they go into ``state.log_history``."""
        self._trainer = trainer
        trainer.add_callback(self)
        if self.tokenizer is None:
            self.tokenizer = trainer.processing_class
        return self

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        if self.every and state.global_step % self.every == 0:
            self._evaluate(args, state, control, kw)

    def on_save(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        if not self.every:
            self._evaluate(args, state, control, kw)

    def _evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        kw: dict[str, Any],
    ) -> None:
        model = kw.get("model")
        tokenizer = self.tokenizer or kw.get("processing_class") or kw.get("tokenizer")
        if model is None or tokenizer is None:
            raise ValueError("ReleaseGateCallback needs the model and a tokenizer (tokenizer=)")
        name = args.output_dir or "trainer"
        evaluation = self.evaluate(model, tokenizer, step=state.global_step, name=name)
        if self._trainer is not None:
            self._trainer.log(dict(evaluation.metrics))
        else:
            state.log_history.append({**evaluation.metrics, "step": state.global_step})
        for finding in evaluation.findings:
            print("\n".join(finding.lines()))
        if self.stop_on_rule and any(finding.blocking for finding in evaluation.findings):
            control.should_training_stop = True

    def evaluate(self, model: Any, tokenizer: Any, *, step: int, name: str) -> CallbackEvaluation:
        """Score the suites on *model* as it is now, record the run, and check the curve."""
        from ..models.hf import HFBackend

        started = time.perf_counter()
        was_training = bool(model.training)
        run_id = f"{Path(name).name}-train-step{step}-{time.strftime('%Y%m%d-%H%M%S')}"
        spec = replace(
            ReleaseSession(settings=self.settings, run_id=run_id, root=self.root).model_spec,
            model=f"{name}@step{step}",
        )
        backend = HFBackend.from_loaded(
            model, tokenizer, spec=spec, fingerprint=f"training:{run_id}"
        )
        session = ReleaseSession(
            settings=replace(self.settings, prediction_cache=False),
            run_id=run_id,
            root=self.root,
            given_backend=backend,
        )
        try:
            metric_records: list[MetricRecord] = []
            case_records: list[CaseRecord] = []
            for suite in session.suites.values():
                session.scored_suite(suite)  # every answer, generated in batches
                for case in suite.test_cases:
                    verdict = session.judge(CaseRef(suite.name, case.id))
                    # Counted as pytest counts it: the known-failure rule is the gate's.
                    outcome = pytest_outcome(verdict)
                    case_records.append(replace(verdict.to_record(), outcome=outcome))
                for spec_ in suite.metrics:
                    try:
                        result = session.evaluate_metric(MetricRef(suite.name, spec_.name, "value"))
                    except ReviewsPending:
                        continue  # awaiting human review (pending: skip): pytest skips it too
                    outcome = "passed" if result.outcome.passed else "failed"
                    metric_records.append(replace(result.to_record(), outcome=outcome))
        finally:
            model.train(was_training)
            session.cache.close()
        run = run_record(
            run_id=run_id,
            model=ModelDescription(model=spec.model, fingerprint=backend.fingerprint),
            step=step,
            metric_records=metric_records,
            case_records=case_records,
            suites=session.suites,
            source="callback",
        )
        self.store.record(run)
        earlier = [e.run_id for e in self.evaluations]
        # The rules over the previous evaluation and this one; only what they find at this
        # step is new (the previous run's own findings were printed at its save).
        findings = tuple(
            finding
            for finding in check_curve(
                self.store,
                [*earlier[-1:], run_id],
                alpha=self.settings.alpha,
                samples=self.settings.bootstrap_samples,
                suites=session.suites,
            )
            if finding.run_id == run_id
        )
        evaluation = CallbackEvaluation(
            step=step,
            run_id=run_id,
            metrics={f"releasegate/{m.suite}/{m.metric}": m.value for m in run.metrics},
            findings=findings,
            seconds=time.perf_counter() - started,
        )
        self.evaluations.append(evaluation)
        return evaluation
