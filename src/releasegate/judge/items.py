"""A golden case and its answers as the judge reads them: the question as text (chat turns as
``role: content`` lines, as the review sheet shows them) and the expected answer as text (as
the reports show it), so the judge and the reviewers read the same thing."""

from __future__ import annotations

from ..gate.judging import show_expected
from ..golden.cases import GoldenCase
from ..review.runs import render_input
from .types import PairItem, PointwiseItem

__all__ = ["pair_item", "pointwise_item"]


def pointwise_item(case: GoldenCase, answer: str) -> PointwiseItem:
    """*answer* to *case*, to score."""
    return PointwiseItem(case.id, render_input(case.input), show_expected(case.expected), answer)


def pair_item(case: GoldenCase, candidate: str, baseline: str) -> PairItem:
    """This run's answer to *case* and the baseline's, to compare."""
    return PairItem(
        case.id, render_input(case.input), show_expected(case.expected), candidate, baseline
    )
