"""Suite metrics: one number over all cases of a suite, chosen by name from :data:`METRICS`.

Every metric also says what each case contributed (``per_item``), so a no-drop comparison with the
baseline can use a paired test on the same items. Scores come from the libraries made for them
(scikit-learn, sacrebleu, rouge-score, Hugging Face ``evaluate``), each imported on first use.

An empty suite scores 0.0 on every built-in metric (there is nothing to average).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..core.stats import SummedStatistic
from ..exceptions import ConfigError, UnknownNameError
from .cases import Expected
from .checks import (
    CheckResult,
    ParamError,
    as_bool,
    as_mapping,
    as_str,
    as_str_tuple,
    expected_strings,
    extract_json_object,
    one_of,
    param,
    params_of,
    read_params,
    split_spec,
)
from .normalize import normalize_text, normalized_equal
from .textsim import (
    ROUGE_TYPES,
    bleu_from_statistics,
    bleu_statistics,
    chrf_from_statistics,
    chrf_statistics,
    corpus_bleu,
    corpus_chrf,
    rouge_scores,
    sentence_bleu,
    sentence_chrf,
)

__all__ = [
    "METRICS",
    "THRESHOLD_KEYS",
    "Additive",
    "Decomposable",
    "Metric",
    "MetricContext",
    "MetricValue",
    "ScoredCase",
    "build_metric",
    "is_additive",
]

THRESHOLD_KEYS = frozenset({"min", "max", "max_drop"})
"""Keys of a metric spec that belong to the gate (``MetricSpec.bar``, the no-drop comparison), not
to the metric."""

NO_LABEL = "<none>"
"""The predicted class of an answer that names no label: never right."""


@dataclass(frozen=True)
class ScoredCase:
    """What a metric sees of one case, in suite order."""

    case_id: str
    answer: str
    """The model's answer."""
    expected: Expected
    result: CheckResult
    """The verdict of the case's check (label and parsed JSON live in ``result.prediction``)."""


@dataclass(frozen=True)
class MetricValue:
    """A metric's value over a suite, with each case's own contribution."""

    value: float
    per_item: tuple[float, ...]
    """Each case's contribution, aligned with the input (1/0 for accuracy, sentence score for a
    corpus metric, field F1 per case); () only where a metric cannot be decomposed."""
    details: Mapping[str, float] = field(default_factory=dict)
    """Extra numbers worth reporting: per-class precision/recall/F1 and support."""


@dataclass(frozen=True)
class MetricContext:
    """What a metric may need to know about its suite."""

    language: str
    base_dir: Path
    """The manifest's folder: a local ``evaluate`` module path resolves here first."""
    labels: tuple[str, ...] = ()


class Metric(Protocol):
    """A configured metric: called with the suite's scored cases, returns its value."""

    # Read-only members (properties) so frozen dataclasses satisfy the protocol too.
    @property
    def name(self) -> str:
        """Display name including the variant: "accuracy", "f1_macro", "f1[refund]", "rougeL"."""
        ...

    @property
    def higher_is_better(self) -> bool: ...

    @property
    def bounds(self) -> tuple[float, float] | None:
        """(0, 1) for rates and ROUGE, (0, 100) for BLEU/chrF, None if unknown."""
        ...

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue: ...


@runtime_checkable
class Decomposable(Protocol):
    """A metric that is a function of per-case counts summed over the cases (corpus BLEU and
    chrF, precision/recall/F1, field scores): a paired test resamples the counts
    (:class:`~releasegate.core.stats.SummedStatistic`) instead of recomputing the metric."""

    def paired_statistics(
        self, before: Sequence[ScoredCase], now: Sequence[ScoredCase]
    ) -> tuple[SummedStatistic, SummedStatistic]:
        """Per-case counts of two runs on the same cases, scored by one and the same rule (so
        counts mixed from both runs are scored as either run's would be)."""
        ...


@runtime_checkable
class Additive(Protocol):
    """A metric whose value is the mean of its per-case values (accuracy, exact match, ROUGE,
    a mean score): a paired test resamples those values directly. A metric says so by an
    ``additive`` attribute that is true."""

    @property
    def additive(self) -> bool: ...


def is_additive(metric: object) -> bool:
    """Whether *metric* is :class:`Additive` (and says it is)."""
    return isinstance(metric, Additive) and bool(metric.additive)


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def _references(case: ScoredCase) -> tuple[str, ...]:
    return expected_strings(case.expected) or ("",)


# --------------------------------------------------------------------------------------------
# The metrics.


@dataclass(frozen=True)
class Accuracy:
    """Fraction of cases whose check passed."""

    name: str = "accuracy"
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 1.0)
    additive: bool = True
    """The value is the mean of ``per_item`` (paired tests resample it directly)."""

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        per_item = tuple(1.0 if case.result.passed else 0.0 for case in cases)
        return MetricValue(_mean(per_item), per_item)


def _exact_match(case: ScoredCase) -> bool:
    if isinstance(case.expected, Mapping):
        parsed = extract_json_object(case.answer)
        return parsed is not None and normalized_equal(parsed, case.expected)
    answer = normalize_text(case.answer)
    return any(answer == normalize_text(option) for option in expected_strings(case.expected))


@dataclass(frozen=True)
class ExactMatch:
    """Fraction of answers equal to an expected one after normalisation, whatever the check.

    A JSON case matches when the answer's JSON object equals the expected one field by field.
    """

    name: str = "exact_match"
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 1.0)
    additive: bool = True
    """The value is the mean of ``per_item`` (paired tests resample it directly)."""

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        per_item = tuple(1.0 if _exact_match(case) else 0.0 for case in cases)
        return MetricValue(_mean(per_item), per_item)


def _true_label(case: ScoredCase) -> str:
    """The expected label; with several acceptable ones, the one predicted if it is among them."""
    options = expected_strings(case.expected)
    predicted = case.result.prediction
    return predicted if predicted in options else options[0]


@dataclass(frozen=True)
class Classification:
    """Precision, recall or F1 of the label a check predicted, by scikit-learn.

    An answer that names no label is the class ``<none>``: never a true label, so it costs recall
    and never counts as a prediction of a real class.
    """

    name: str
    """"f1_macro", "precision_micro", "recall[refund]", ..."""
    score: str
    """"precision", "recall" or "f1"."""
    average: str | None = param(one_of("macro", "micro", "weighted"))
    """How the per-class scores are combined; None with a ``label`` (the manifest's choice, or
    ``macro`` when it names neither)."""
    label: str | None = param(as_str)
    """The one class scored, instead of an average."""
    labels: tuple[str, ...] = ()
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 1.0)

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        y_true = [_true_label(case) for case in cases]
        y_pred = [
            str(case.result.prediction) if case.result.prediction is not None else NO_LABEL
            for case in cases
        ]
        per_item = tuple(1.0 if t == p else 0.0 for t, p in zip(y_true, y_pred, strict=True))
        labels = list(self.labels) or sorted((set(y_true) | set(y_pred)) - {NO_LABEL})
        if not cases or not labels:
            return MetricValue(0.0, per_item)

        from sklearn.metrics import precision_recall_fscore_support

        p, r, f, support = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=None, zero_division=0
        )
        details: dict[str, float] = {}
        for i, label in enumerate(labels):
            details[f"precision[{label}]"] = float(p[i])
            details[f"recall[{label}]"] = float(r[i])
            details[f"f1[{label}]"] = float(f[i])
            details[f"support[{label}]"] = float(support[i])
        if self.label is not None:
            value = details[f"{self.score}[{self.label}]"] if self.label in labels else 0.0
        else:
            averaged = precision_recall_fscore_support(
                y_true, y_pred, labels=labels, average=self.average, zero_division=0
            )
            value = float(averaged[("precision", "recall", "f1").index(self.score)])
        return MetricValue(value, per_item, MappingProxyType(details))

    def _labels_of(self, cases: Sequence[ScoredCase]) -> tuple[list[str], list[str]]:
        y_true = [_true_label(case) for case in cases]
        y_pred = [
            str(case.result.prediction) if case.result.prediction is not None else NO_LABEL
            for case in cases
        ]
        return y_true, y_pred

    def paired_statistics(
        self, before: Sequence[ScoredCase], now: Sequence[ScoredCase]
    ) -> tuple[SummedStatistic, SummedStatistic]:
        """Per case and label: true positive, predicted, true (one-hot), over the suite's labels
        or, without them, every label either run uses. A label counts in an average where
        scikit-learn's would count it: always when the suite names its labels, else where it
        is predicted or true in the counts scored (so a resample is scored as if recomputed)."""
        runs = [self._labels_of(run) for run in (before, now)]
        declared = bool(self.labels)
        labels = list(self.labels) or sorted(
            {label for y_true, y_pred in runs for label in (*y_true, *y_pred)} - {NO_LABEL}
        )
        position = {label: i for i, label in enumerate(labels)}
        k = len(labels)
        score_index = ("precision", "recall", "f1").index(self.score)

        def counts(y_true: list[str], y_pred: list[str]) -> np.ndarray:
            rows = np.zeros((len(y_true), 3 * k))
            for row, (t, p) in enumerate(zip(y_true, y_pred, strict=True)):
                if t == p and t in position:
                    rows[row, position[t]] = 1.0
                if p in position:
                    rows[row, k + position[p]] = 1.0
                if t in position:
                    rows[row, 2 * k + position[t]] = 1.0
            return rows

        def score(totals: np.ndarray) -> np.ndarray:
            tp, predicted, true = totals[:, :k], totals[:, k : 2 * k], totals[:, 2 * k :]
            present = np.ones_like(tp, dtype=bool) if declared else (predicted + true) > 0
            if self.label is not None:
                if self.label not in position:
                    return np.zeros(len(totals))
                j = position[self.label]
                tp, predicted, true = tp[:, [j]], predicted[:, [j]], true[:, [j]]
                present = np.ones_like(tp, dtype=bool)
            elif self.average == "micro":
                keep = np.where(present, 1.0, 0.0)
                tp, predicted, true = (
                    (part * keep).sum(axis=1, keepdims=True) for part in (tp, predicted, true)
                )
                present = present.any(axis=1, keepdims=True)
            prf = _prf_arrays(tp, predicted, true)[score_index]
            if self.label is not None or self.average == "micro":
                return np.where(present[:, 0], prf[:, 0], 0.0)
            if self.average == "weighted":
                weight = np.where(present, true, 0.0)
                total = weight.sum(axis=1)
                weighted = np.zeros(len(totals))
                np.divide((prf * weight).sum(axis=1), total, out=weighted, where=total > 0)
                return weighted
            used = present.sum(axis=1)
            macro = np.zeros(len(totals))
            np.divide(np.where(present, prf, 0.0).sum(axis=1), used, out=macro, where=used > 0)
            return macro

        return SummedStatistic(counts(*runs[0]), score), SummedStatistic(counts(*runs[1]), score)


def _prf_arrays(
    tp: np.ndarray, predicted: np.ndarray, true: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 of count arrays, 0 where undefined (scikit-learn's
    ``zero_division=0``)."""
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, true, out=np.zeros_like(tp), where=true > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(tp), where=both > 0)
    return precision, recall, f1


@dataclass(frozen=True)
class CorpusBleu:
    """Corpus BLEU (0-100) by sacrebleu; ``tokenize="zh"`` for Chinese suites."""

    language: str
    name: str = "bleu"
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 100.0)

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        answers = [case.answer for case in cases]
        refs = [_references(case) for case in cases]
        per_item = tuple(
            sentence_bleu(a, r, language=self.language) for a, r in zip(answers, refs, strict=True)
        )
        return MetricValue(corpus_bleu(answers, refs, language=self.language), per_item)

    def paired_statistics(
        self, before: Sequence[ScoredCase], now: Sequence[ScoredCase]
    ) -> tuple[SummedStatistic, SummedStatistic]:
        def score(totals: np.ndarray) -> np.ndarray:
            return bleu_from_statistics(totals, language=self.language)

        return tuple(  # type: ignore[return-value]  # two runs, two statistics
            SummedStatistic(
                bleu_statistics(
                    [c.answer for c in run], [_references(c) for c in run], language=self.language
                ),
                score,
            )
            for run in (before, now)
        )


@dataclass(frozen=True)
class CorpusChrf:
    """Corpus chrF (0-100) by sacrebleu."""

    name: str = "chrf"
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 100.0)

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        answers = [case.answer for case in cases]
        refs = [_references(case) for case in cases]
        per_item = tuple(sentence_chrf(a, r) for a, r in zip(answers, refs, strict=True))
        return MetricValue(corpus_chrf(answers, refs), per_item)

    def paired_statistics(
        self, before: Sequence[ScoredCase], now: Sequence[ScoredCase]
    ) -> tuple[SummedStatistic, SummedStatistic]:
        return tuple(  # type: ignore[return-value]  # two runs, two statistics
            SummedStatistic(
                chrf_statistics([c.answer for c in run], [_references(c) for c in run]),
                chrf_from_statistics,
            )
            for run in (before, now)
        )


@dataclass(frozen=True)
class Rouge:
    """Mean over cases of the sentence ROUGE F-measure (best reference), CJK-aware tokens."""

    name: str
    language: str
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 1.0)
    additive: bool = True
    """The value is the mean of ``per_item`` (paired tests resample it directly)."""

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        per_item = tuple(
            rouge_scores(case.answer, _references(case), language=self.language)[self.name]
            for case in cases
        )
        return MetricValue(_mean(per_item), per_item)


def _prf(correct: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall, F1 from counts; nothing to find and nothing found scores 1."""
    if predicted == 0 and gold == 0:
        return 1.0, 1.0, 1.0
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass(frozen=True)
class FieldScore:
    """Micro precision/recall/F1 over the JSON fields of all cases.

    A field is right when predicted and equal to the expected value after normalisation. Predicted
    non-null fields count for precision, expected non-null fields for recall; an answer without a
    JSON object misses every expected field. Fields are the ``fields`` param, else each case's
    expected keys. ``per_item`` is each case's own field F1.
    """

    name: str
    """"field_f1", "field_precision" or "field_recall"."""
    score: str
    """"precision", "recall" or "f1"."""
    fields: tuple[str, ...] | None = param(as_str_tuple)
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 1.0)

    def _counts(self, case: ScoredCase) -> tuple[int, int, int]:
        expected = case.expected if isinstance(case.expected, Mapping) else {}
        prediction = case.result.prediction
        if not isinstance(prediction, Mapping):
            # Not judged by a json check: read the answer's JSON object the same way one would.
            prediction = extract_json_object(case.answer) or {}
        names = self.fields if self.fields is not None else tuple(expected)
        correct = predicted = gold = 0
        for name in names:
            got, want = prediction.get(name), expected.get(name)
            predicted += got is not None
            gold += want is not None
            correct += got is not None and want is not None and normalized_equal(got, want)
        return correct, predicted, gold

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        counts = [self._counts(case) for case in cases]
        per_item = tuple(_prf(*c)[2] for c in counts)
        if not cases:
            return MetricValue(0.0, per_item)
        correct, predicted, gold = (sum(column) for column in zip(*counts, strict=True))
        precision, recall, f1 = _prf(correct, predicted, gold)
        value = {"precision": precision, "recall": recall, "f1": f1}[self.score]
        details = {
            "fields_correct": float(correct),
            "fields_predicted": float(predicted),
            "fields_expected": float(gold),
        }
        return MetricValue(value, per_item, MappingProxyType(details))

    def paired_statistics(
        self, before: Sequence[ScoredCase], now: Sequence[ScoredCase]
    ) -> tuple[SummedStatistic, SummedStatistic]:
        """Per case: fields right, predicted and expected; scored as :func:`_prf` scores them
        (nothing to find and nothing found scores 1)."""
        score_index = ("precision", "recall", "f1").index(self.score)

        def score(totals: np.ndarray) -> np.ndarray:
            correct, predicted, gold = totals[:, 0], totals[:, 1], totals[:, 2]
            value = _prf_arrays(correct, predicted, gold)[score_index]
            return np.where((predicted == 0) & (gold == 0), 1.0, value)

        return tuple(  # type: ignore[return-value]  # two runs, two statistics
            SummedStatistic(np.array([self._counts(c) for c in run], float).reshape(-1, 3), score)
            for run in (before, now)
        )


@dataclass(frozen=True)
class MeanScore:
    """Mean of the checks' own scores (a case whose check gives no score counts 0)."""

    name: str = "mean_score"
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = None
    additive: bool = True
    """The value is the mean of ``per_item`` (paired tests resample it directly)."""

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        per_item = tuple(
            float(case.result.score) if case.result.score is not None else 0.0 for case in cases
        )
        return MetricValue(_mean(per_item), per_item)


@dataclass(eq=False, kw_only=True)
class EvaluateMetric:
    """A Hugging Face ``evaluate`` module, loaded on first use (once), computed over all cases.

    ``module`` is a local path (a folder holding ``<name>.py``, or the ``.py`` file), resolved
    against the manifest's folder, or a hub name. Only a local path works offline.
    """

    module: str = param(as_str, required=True)
    key: str = param(as_str, required=True)
    """The key of the module's result that is the metric's value."""
    args: Mapping[str, Any] = param(as_mapping, default={})
    """Keyword arguments of the module's ``compute``."""
    higher_is_better: bool = param(as_bool, default=True)
    base_dir: Path
    """The manifest's folder, where a local module path is looked for first."""
    bounds: tuple[float, float] | None = None
    name: str = field(init=False)
    location: str = field(init=False)
    _loaded: Any = field(init=False, default=None)

    def __post_init__(self) -> None:
        module = self.module
        self.args = dict(self.args)
        local = self.base_dir / module
        looks_local = module.endswith(".py") or module.startswith(".") or Path(module).is_absolute()
        if local.exists():
            self.location = str(local)
        elif Path(module).exists():
            self.location = module
        elif looks_local:
            raise ParamError(f"metric 'evaluate': module '{module}' not found (looked for {local})")
        else:
            self.location = module
        stem = module.rstrip("/").rsplit("/", 1)[-1].removesuffix(".py")
        key = self.key
        self.name = f"evaluate:{stem}" if key == stem else f"evaluate:{stem}[{key}]"

    def __repr__(self) -> str:
        return f"EvaluateMetric(module={self.module!r}, key={self.key!r})"

    def _load(self) -> Any:
        if self._loaded is None:
            import evaluate

            try:
                # keep_in_memory: no cache files, so parallel pytest-xdist workers do not collide.
                self._loaded = evaluate.load(self.location, keep_in_memory=True)
            except Exception as err:  # evaluate raises many kinds: all mean "cannot load it"
                raise ConfigError(
                    f"metric 'evaluate': cannot load module '{self.module}': {err}. A hub name "
                    "needs network access; a local path (a folder with <name>.py next to the "
                    "manifest) works offline."
                ) from err
        return self._loaded

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        if not cases:
            return MetricValue(0.0, ())
        module = self._load()
        result = module.compute(
            predictions=[case.answer for case in cases],
            references=[_references(case)[0] for case in cases],
            **self.args,
        )
        if not isinstance(result, Mapping) or self.key not in result:
            keys = ", ".join(sorted(map(str, result))) if isinstance(result, Mapping) else "none"
            raise ConfigError(
                f"metric 'evaluate': module '{self.module}' returned no key '{self.key}' "
                f"(its keys: {keys})"
            )
        try:
            value = float(result[self.key])
        except (TypeError, ValueError):
            raise ConfigError(
                f"metric 'evaluate': module '{self.module}' key '{self.key}' is not a number: "
                f"{result[self.key]!r}"
            ) from None
        return MetricValue(value, ())


# --------------------------------------------------------------------------------------------
# The registry.


def _simple(name: str, make: Callable[[MetricContext], Metric]) -> Callable[..., Metric]:
    def factory(params: Mapping[str, Any], context: MetricContext) -> Metric:
        metric = make(context)
        read_params("metric", name, params, params_of(type(metric)))
        return metric

    return factory


def _classification(score: str) -> Callable[[Mapping[str, Any], MetricContext], Metric]:
    def factory(params: Mapping[str, Any], context: MetricContext) -> Metric:
        values = read_params("metric", score, params, params_of(Classification))
        average, label = values["average"], values["label"]
        if average is not None and label is not None:
            raise ParamError(f"metric '{score}': give either 'average' or 'label', not both")
        if label is not None and context.labels and label not in context.labels:
            raise ParamError(
                f"metric '{score}': label '{label}' is not one of the suite's labels "
                f"({', '.join(context.labels)})"
            )
        average = None if label is not None else (average or "macro")
        return Classification(
            name=f"{score}[{label}]" if label is not None else f"{score}_{average}",
            score=score,
            average=average,
            label=label,
            labels=context.labels,
        )

    return factory


def _field(score: str) -> Callable[[Mapping[str, Any], MetricContext], Metric]:
    def factory(params: Mapping[str, Any], context: MetricContext) -> Metric:
        values = read_params("metric", f"field_{score}", params, params_of(FieldScore))
        return FieldScore(name=f"field_{score}", score=score, **values)

    return factory


def _evaluate(params: Mapping[str, Any], context: MetricContext) -> Metric:
    values = read_params("metric", "evaluate", params, params_of(EvaluateMetric))
    return EvaluateMetric(**values, base_dir=context.base_dir)


def _rouge(name: str) -> Callable[[Mapping[str, Any], MetricContext], Metric]:
    return _simple(name, lambda context: Rouge(name=name, language=context.language))


def _human(name: str) -> Callable[[Mapping[str, Any], MetricContext], Metric]:
    """Human review metrics: their values come from the review memory (releasegate.review)."""

    def factory(params: Mapping[str, Any], context: MetricContext) -> Metric:
        from ..review.metrics import human_metric  # review builds on this module

        return human_metric(name, params, context)

    return factory


def _model_scored(name: str) -> Callable[[Mapping[str, Any], MetricContext], Metric]:
    """``perplexity`` and ``log_likelihood`` (:mod:`releasegate.perplexity`), imported on use."""

    def factory(params: Mapping[str, Any], context: MetricContext) -> Metric:
        from ..perplexity.metrics import build

        metric: Metric = build(name, params, context)
        return metric

    return factory


METRICS: Mapping[str, Callable[[Mapping[str, Any], MetricContext], Metric]] = MappingProxyType(
    {
        "accuracy": _simple("accuracy", lambda context: Accuracy()),
        "pass_rate": _simple("pass_rate", lambda context: Accuracy(name="pass_rate")),
        "exact_match": _simple("exact_match", lambda context: ExactMatch()),
        "precision": _classification("precision"),
        "recall": _classification("recall"),
        "f1": _classification("f1"),
        "bleu": _simple("bleu", lambda context: CorpusBleu(language=context.language)),
        "chrf": _simple("chrf", lambda context: CorpusChrf()),
        **{name: _rouge(name) for name in ROUGE_TYPES},
        "field_f1": _field("f1"),
        "field_precision": _field("precision"),
        "field_recall": _field("recall"),
        "mean_score": _simple("mean_score", lambda context: MeanScore()),
        "evaluate": _evaluate,
        "human_score": _human("human_score"),
        "human_pass_rate": _human("human_pass_rate"),
        "perplexity": _model_scored("perplexity"),
        "log_likelihood": _model_scored("log_likelihood"),
    }
)
"""Every metric by name: a factory taking the metric's params and the suite's context."""


def build_metric(spec: Mapping[str, Any] | str, context: MetricContext, *, where: str) -> Metric:
    """Build the metric *spec* names; its ``min``/``max``/``max_drop`` are left to the gate."""
    name, params = split_spec(spec, "metric", where=where)
    factory = METRICS.get(name)
    if factory is None:
        raise UnknownNameError("metric", name, METRICS, where=where)
    params = {key: value for key, value in params.items() if key not in THRESHOLD_KEYS}
    try:
        return factory(params, context)
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None
