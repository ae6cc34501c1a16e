"""The suite metrics of the checks' verdicts: accuracy (``pass_rate``), exact match,
precision/recall/F1 of the predicted labels (scikit-learn), the JSON field scores and the mean
of the checks' own scores.

An empty suite scores 0.0 on each (there is nothing to average).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ..core.stats import SummedStatistic
from .checks import (
    as_str,
    as_str_tuple,
    expected_strings,
    extract_json_object,
    one_of,
    param,
)
from .metric_types import MetricValue, ScoredCase, mean_of
from .normalize import normalize_text, normalized_equal

__all__ = ["NO_LABEL", "Accuracy", "Classification", "ExactMatch", "FieldScore", "MeanScore"]

NO_LABEL = "<none>"
"""The predicted class of an answer that names no label: never right."""


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
        return MetricValue(mean_of(per_item), per_item)


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
        return MetricValue(mean_of(per_item), per_item)


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
        return MetricValue(mean_of(per_item), per_item)
