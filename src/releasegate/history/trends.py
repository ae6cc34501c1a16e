"""Metrics across runs: the trend table, and the rules that catch a bad curve.

The rules read what the history keeps (values, per-item outcomes, each metric's tolerance and
chance level) and say, each with its evidence:

- ``fall``: a metric fell between consecutive checkpoints significantly beyond its
  ``max_drop`` (any significant fall without one), with the items that got worse: the no-drop
  gate's own rule (:func:`releasegate.gate.rule.judge_drop`) on the items both runs share: a
  golden suite metric is handed to :func:`releasegate.gate.verdicts.gate_metric` with the
  earlier run as its baseline (the stored answers re-scored by the suite's checks: exact
  McNemar for right/wrong cases, the sign-flip permutation test for a mean, the paired
  permutation test through the per-case counts of a corpus metric such as BLEU, chrF or
  macro F1); a general benchmark's per-question scores get
  :func:`releasegate.core.stats.compare_per_item`, as the benchmark gate pairs them;
- ``chance``: a score at chance level (a multiple-choice benchmark within its confidence
  interval of 1/choices; a classifier no better than always answering the majority label),
  which usually means wrong weights or a broken chat template;
- ``below base``: a general benchmark below the base model's by more than its tolerance.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ..core.display import first_items
from ..core.stats import PairedComparison, compare_per_item, is_binary
from ..gate.baselines import CaseBaseline, MetricBaseline, SuiteBaseline
from ..gate.comparisons import judged_comparison
from ..gate.judging import score_case
from ..gate.rule import judge_drop
from ..gate.verdicts import gate_metric
from ..golden.metric_types import UNSTORED_SOURCES
from ..golden.metrics import MetricValue, source_of
from ..golden.suites import MetricSpec, Suite
from .store import HistoryStore, SeriesPoint

__all__ = ["Finding", "check_curve", "trend_rows"]

Z_95 = 1.959964
"""Two-sided 95 % normal quantile: the confidence interval around a benchmark score."""


@dataclass(frozen=True)
class Finding:
    """One rule that fired, with what shows it."""

    rule: str
    """``fall``, ``chance`` or ``below base``."""
    suite: str
    metric: str
    run_id: str
    step: int | None
    message: str
    evidence: tuple[str, ...] = ()
    """Flipped items and the like, one per line."""
    blocking: bool = True
    """Whether it fails the sweep (exit 1) and can stop training; a base model at chance is
    said but does not: training cannot have caused it, and its checkpoints are judged anyway."""

    @classmethod
    def at(
        cls, rule: str, point: SeriesPoint, message: str, evidence: Sequence[str] = ()
    ) -> Finding:
        """The finding of *rule* at *point* (its suite, metric, run and step)."""
        return cls(
            rule=rule,
            suite=point.suite,
            metric=point.metric,
            run_id=point.run_id,
            step=point.step,
            message=message,
            evidence=tuple(evidence),
        )

    def lines(self) -> list[str]:
        at = f"step {self.step}" if self.step is not None else self.run_id
        rule = self.rule.upper() + ("" if self.blocking else " (base model; not a failure)")
        head = f"{rule}: {self.suite}::{self.metric} at {at}: {self.message}"
        return [head, *(f"    {line}" for line in self.evidence)]


def _label(point: SeriesPoint) -> str:
    return f"step {point.step}" if point.step is not None else point.run_id


def trend_rows(
    points: Sequence[SeriesPoint], *, last: int | None = None, by_step: bool = False
) -> list[list[str]]:
    """A table: a header row of runs (by step, else run id), then one row per suite metric,
    runs in the order given (oldest first), or in step order with *by_step* (a checkpoint
    sweep, whose checkpoints may have been scored out of order: resumed, or in parallel);
    *last* keeps only the newest runs. A column is a run at a step: a sweep whose steps share
    one run (the same weights saved twice) gives each step its column."""
    runs: dict[tuple[str, int | None], SeriesPoint] = {}
    for point in points:
        runs.setdefault((point.run_id, point.step), point)
    columns = list(runs)
    if by_step:
        columns.sort(key=lambda c: -1 if c[1] is None else c[1])
    columns = columns[-last:] if last else columns
    values = {(p.suite, p.metric, p.run_id, p.step): p.value for p in points}
    keys = sorted({(p.suite, p.metric) for p in points})
    rows = [["suite", "metric", *(_label(runs[c]) for c in columns)]]
    for suite, metric in keys:
        cells = [values.get((suite, metric, *c)) for c in columns]
        rows.append([suite, metric, *("-" if v is None else f"{v:.4g}" for v in cells)])
    return rows


def check_curve(
    store: HistoryStore,
    run_ids: Sequence[str],
    *,
    base_run: str | None = None,
    alpha: float = 0.05,
    samples: int = 1000,
    suites: Mapping[str, Suite] | None = None,
    steps: Sequence[int] | None = None,
) -> list[Finding]:
    """The rules over *run_ids* (in step order); *base_run* is the base model's run, the
    reference of ``below base``. *suites* (name -> the project's golden suite) lets a golden
    metric's fall be judged by the no-drop gate's paired test, from the stored answers; a
    metric of a suite not given is paired on its stored per-case values only when they are
    right/wrong (exact McNemar), otherwise held to its ``max_drop`` alone.

    *steps*, one per run id, are the steps a checkpoint sweep gives them (a reused run may have
    been recorded at another step, or stand for several steps: its id is then given once per
    step); without them each run is at the step it was recorded with."""
    if steps is not None and len(steps) != len(run_ids):
        raise ValueError(f"{len(steps)} steps for {len(run_ids)} runs")
    recorded: dict[str, list[SeriesPoint]] = {}
    for point in store.series(run_ids=sorted(set(run_ids))):
        recorded.setdefault(point.run_id, []).append(point)
    by_key: dict[tuple[str, str], list[SeriesPoint]] = {}
    base: SeriesPoint | None
    for index, run_id in enumerate(run_ids):
        for point in recorded.get(run_id, []):
            at = point if steps is None else replace(point, step=steps[index])
            by_key.setdefault((point.suite, point.metric), []).append(at)
    findings: list[Finding] = []
    for (suite, _metric), series in sorted(by_key.items()):
        # The base model's column: the first one of its run (a checkpoint with the base's own
        # weights reuses that run at a later step, and is a checkpoint there).
        base = next((p for p in series if p.run_id == base_run), None) if base_run else None
        base_at_chance = base is not None and _at_chance(base) is not None
        for point in series:
            found = _at_chance(point)
            if found is None:
                continue
            if point is base:
                found = replace(found, blocking=False)
            elif base_at_chance:
                found = replace(
                    found,
                    evidence=(
                        "the base model is at chance here too: the benchmark may be beyond "
                        "this model, or the prompt format is broken for both",
                    ),
                )
            findings.append(found)
        for before, now in itertools.pairwise(series):
            suite_ = (suites or {}).get(suite)
            found = _fall(store, before, now, suite_, alpha=alpha, samples=samples)
            if found is not None:
                findings.append(found)
        if base is not None and suite.startswith("general/"):
            for point in series:
                if point is not base:
                    found = _below_base(base, point)
                    if found is not None:
                        findings.append(found)
    return findings


def _drop(before: float, now: float, higher_is_better: bool) -> float:
    """How much worse *now* is than *before* (negative: better)."""
    return before - now if higher_is_better else now - before


def _fall(
    store: HistoryStore,
    before: SeriesPoint,
    now: SeriesPoint,
    suite: Suite | None,
    *,
    alpha: float,
    samples: int,
) -> Finding | None:
    drop = _drop(before.value, now.value, now.higher_is_better)
    if drop <= 0:
        return None
    comparison, worse, untested = _paired(store, before, now, suite, alpha=alpha, samples=samples)
    if comparison is not None and not comparison.items:
        # Compared by value alone, as the no-drop gate compares it: no test to report.
        comparison, untested = None, "no paired test: compared by its value alone, as the gate does"
    max_drop = now.max_drop if now.max_drop is not None else 0.0
    if comparison is None:
        # No paired test: held to its max_drop alone (the rule's verdict on two bare values).
        if now.max_drop is None or drop <= max_drop + 1e-12:
            return None
        reasons = [f"beyond its max_drop {max_drop:g}, untested"]
    else:
        # The release gate's own rule, so a sweep calls no fall the gate would not.
        verdict = judge_drop(
            comparison, max_drop=max_drop, alpha=alpha, higher_is_better=now.higher_is_better
        )
        if not verdict.failed:
            return None
        reasons = [f"significantly beyond its max_drop {max_drop:g}"]
    evidence = []
    if comparison is not None:
        evidence.append(
            f"{comparison.test} p={comparison.p_value:.3g} on {comparison.items} shared items"
        )
    elif untested:
        evidence.append(untested)
    if worse:
        evidence.append(f"{len(worse)} worse items: {first_items(worse, 10)}")
    return Finding.at(
        "fall",
        now,
        f"{before.value:.4g} at {_label(before)} -> {now.value:.4g} "
        f"(drop {drop:.4g}, {' and '.join(reasons)})",
        evidence,
    )


def _paired(
    store: HistoryStore,
    before: SeriesPoint,
    now: SeriesPoint,
    suite: Suite | None,
    *,
    alpha: float,
    samples: int,
) -> tuple[PairedComparison | None, list[str], str]:
    """The paired comparison of *now* with *before* on the items both runs have, the items
    that got worse, and, where no test could be made, why."""
    old = store.items(before.run_id, before.suite, before.metric)
    new = store.items(now.run_id, now.suite, now.metric)
    if suite is not None and old and new and any(s.name == now.metric for s in suite.metrics):
        spec = suite.metric(now.metric)
        return _gated(store, before, now, suite, spec, old, new, alpha=alpha, samples=samples)
    shared = sorted(old.keys() & new.keys())
    if not shared:
        return None, [], "no paired test: the runs share no item"
    before_values, now_values = [old[i] for i in shared], [new[i] for i in shared]
    if not now.suite.startswith("general/") and not (
        is_binary(before_values) and is_binary(now_values)
    ):
        # A golden metric need not be the mean of its per-case values (corpus BLEU, chrF,
        # macro F1): without the suite to re-score the answers, no test is made.
        why = (
            f"no paired test: suite {now.suite} is not in this project's golden folder, so "
            "its answers cannot be re-scored; held to its max_drop alone"
        )
        return None, [], why
    comparison = compare_per_item(
        before_values,
        now_values,
        higher_is_better=now.higher_is_better,
        samples=samples,
        confidence=1 - 2 * alpha,
        ids=shared,
        where=f"{now.suite}::{now.metric}",
    )
    sign = 1 if now.higher_is_better else -1
    return comparison, [i for i in shared if sign * (new[i] - old[i]) < 0], ""


def _gated(
    store: HistoryStore,
    before: SeriesPoint,
    now: SeriesPoint,
    suite: Suite,
    spec: MetricSpec,
    old: Mapping[str, float],
    new: Mapping[str, float],
    *,
    alpha: float,
    samples: int,
) -> tuple[PairedComparison | None, list[str], str]:
    """The no-drop gate's comparison of *now* with *before* as its baseline."""
    answered_before = {c.case_id: c for c in store.cases(before.run_id, suite.name)}
    answered_now = {c.case_id: c.answer for c in store.cases(now.run_id, suite.name)}
    baseline = SuiteBaseline(
        suite=suite.name,
        cases={
            case_id: CaseBaseline("passed" if c.passed else "failed", c.answer)
            for case_id, c in answered_before.items()
        },
        metrics={spec.name: MetricBaseline(before.value, dict(old))},
    )
    # The max_drop bar is this rule's own: the gate is asked only for its paired test.
    unbounded = replace(spec, max_drop=math.inf)
    source = source_of(spec.metric)
    if source != "answers":
        # Scored from the model (perplexity), from reviews or by a judge, not from the answers:
        # paired by its stored per-case values, as the gate pairs them (a review and a judge's
        # verdict belong to their answer).
        ids = [case.id for case in suite.cases if case.id in new]
        value = MetricValue(now.value, tuple(new[i] for i in ids))
        human = source in UNSTORED_SOURCES
        answers = answered_now if human else {}
        baseline_answers = {k: c.answer for k, c in answered_before.items()} if human else {}
        comparison, flips, _ = judged_comparison(
            f"{suite.name}::{spec.name}",
            unbounded,
            value,
            baseline.metrics[spec.name],
            ids,
            alpha=alpha,
            samples=samples,
            answers=answers,
            baseline_answers=baseline_answers,
        )
        return comparison, [flip.item for flip in flips if flip.direction == "worse"], ""
    # A robustness metric (``sees_variants``) is scored on the originals and their variants,
    # every other metric on the originals alone, as the gate hands them.
    pool = suite.test_cases if getattr(spec.metric, "sees_variants", False) else suite.cases
    cases = [case for case in pool if case.id in answered_now]
    if not cases:
        return None, [], "no paired test: the run kept no answers"
    scored = [score_case(suite, case, answered_now[case.id]) for case in cases]
    result = gate_metric(
        suite, unbounded, "no_drop", scored, baseline, alpha=alpha, samples=samples
    )
    if result.comparison is None:  # the suite changed too much since the earlier run
        return None, [], result.outcome.message
    worse = [flip.item for flip in result.flips if flip.direction == "worse"]
    return result.comparison, worse, ""


def _at_chance(point: SeriesPoint) -> Finding | None:
    chance = point.chance
    if chance is None:
        return None
    if point.suite.startswith("general/"):
        n = max(point.item_count, 1)
        se = point.stderr if point.stderr else math.sqrt(chance * (1 - chance) / n)
        low, high = point.value - Z_95 * se, point.value + Z_95 * se
        if not low <= chance <= high:
            return None
        why = f"{point.value:.4g} (95% CI {low:.3g}..{high:.3g}) holds chance {chance:.3g}"
    else:
        better = point.value > chance + 1e-9 if point.higher_is_better else False
        if better:
            return None
        why = (
            f"{point.value:.4g} is no better than always answering the majority label "
            f"({chance:.3g})"
        )
    return Finding.at(
        "chance", point, f"suspicious: at chance: {why}; wrong weights or a broken chat template?"
    )


def _below_base(base: SeriesPoint, point: SeriesPoint) -> Finding | None:
    drop = _drop(base.value, point.value, point.higher_is_better)
    tolerance = point.max_drop if point.max_drop is not None else 0.0
    if drop <= tolerance + 1e-12:
        return None
    return Finding.at(
        "below base",
        point,
        f"{point.value:.4g} against the base model's {base.value:.4g} (drop {drop:.4g} > "
        f"tolerance {tolerance:g}): the fine-tune is forgetting what the base knew",
    )
