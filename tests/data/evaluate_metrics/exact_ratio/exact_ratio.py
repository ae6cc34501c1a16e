"""exact_ratio: the fraction of predictions equal to their reference (a minimal `evaluate` metric).

Used by the tests to prove that a suite can name an `evaluate` module by its local path and compute
it offline, without the Hugging Face hub.
"""

import datasets
import evaluate

_DESCRIPTION = "Fraction of predictions that equal their reference, optionally ignoring case."
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of strings.
    references: list of strings, one per prediction.
    ignore_case: compare case-insensitively (default False).
Returns:
    exact_ratio: float in [0, 1].
    matches: number of exact matches.
"""


class ExactRatio(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Value("string"),
                    "references": datasets.Value("string"),
                }
            ),
        )

    def _compute(self, predictions, references, ignore_case=False):
        def norm(text):
            text = text.strip()
            return text.casefold() if ignore_case else text

        matches = sum(norm(p) == norm(r) for p, r in zip(predictions, references, strict=True))
        ratio = matches / len(predictions) if predictions else 0.0
        return {"exact_ratio": ratio, "matches": matches}
