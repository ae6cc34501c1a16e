"""Suite metrics against their bars (min/max) and against the baseline (max_drop)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from releasegate.baselines import MetricBaseline
from releasegate.gate import judge_bar, judge_drop
from releasegate.metrics import MetricValue, ScoredCase
from releasegate.suites import MetricSpec


@dataclass(frozen=True)
class FakeMetric:
    """A metric whose direction the test chooses; the gate only reads its facts."""

    name: str = "score"
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = None

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        raise AssertionError("the gate must not recompute the metric")


def spec(
    *,
    higher: bool = True,
    min: float | None = None,
    max: float | None = None,
    max_drop: float | None = None,
) -> MetricSpec:
    name = "score" if higher else "error_rate"
    return MetricSpec(FakeMetric(name, higher), min=min, max=max, max_drop=max_drop)


IDS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7")
ANSWERS = {case_id: f"answer of {case_id}" for case_id in IDS}


def value(per_item: Sequence[float]) -> MetricValue:
    return MetricValue(sum(per_item) / len(per_item), tuple(per_item))


def listed(message: str) -> list[str]:
    """Case ids in the order the message lists them under "cases that cost most"."""
    lines = message.splitlines()
    start = next(i for i, line in enumerate(lines) if "cost most" in line)
    return [line.split()[0] for line in lines[start + 1 :]]


# ---------------------------------------------------------------------------------------------
# Bars


@pytest.mark.parametrize(
    ("bar", "score", "passed"),
    [
        ({"min": 0.5}, 0.5, True),
        ({"min": 0.5}, 0.49, False),
        ({"max": 0.2}, 0.2, True),
        ({"max": 0.2}, 0.21, False),
        ({"min": 0.1, "max": 0.9}, 0.5, True),
        ({"min": 0.1, "max": 0.9}, 0.95, False),
        ({"min": 0.1, "max": 0.9}, 0.05, False),
        ({}, 0.0, True),  # no bar: only reported
    ],
)
def test_bar(bar: dict[str, float], score: float, passed: bool) -> None:
    outcome = judge_bar("shop", spec(**bar), MetricValue(score, ()), [], {})
    assert outcome.passed is passed
    assert outcome.message.startswith("shop::score = ")
    assert f"{score:.4g}" in outcome.message


def test_bar_failure_says_which_bar() -> None:
    low = judge_bar("shop", spec(min=0.5, max=0.9), MetricValue(0.3, ()), [], {})
    assert "below its minimum 0.5" in low.message
    high = judge_bar("shop", spec(min=0.5, max=0.9), MetricValue(0.95, ()), [], {})
    assert "above its maximum 0.9" in high.message


def test_failed_min_bar_lists_lowest_cases_first() -> None:
    per_item = [1.0, 0.2, 0.9, 0.0, 0.5, 1.0, 0.1]
    outcome = judge_bar("shop", spec(min=0.9), value(per_item), IDS, ANSWERS, worst=3)
    assert not outcome.passed
    assert listed(outcome.message) == ["q4", "q7", "q2"]
    assert "answer of q4" in outcome.message
    assert "answer of q1" not in outcome.message


def test_failed_max_bar_of_lower_is_better_lists_highest_first() -> None:
    per_item = [0.0, 0.8, 0.1, 1.0, 0.0, 0.3, 0.0]
    outcome = judge_bar("shop", spec(higher=False, max=0.1), value(per_item), IDS, ANSWERS, worst=2)
    assert not outcome.passed
    assert listed(outcome.message) == ["q4", "q2"]


def test_passing_bar_lists_no_cases() -> None:
    outcome = judge_bar("shop", spec(min=0.1), value([1.0, 0.0, 1.0]), IDS[:3], ANSWERS)
    assert outcome.passed
    assert "cost most" not in outcome.message


def test_long_and_multiline_answers_are_shortened_in_the_list() -> None:
    answers = {"q1": "first line\nsecond line " + "x" * 500}
    outcome = judge_bar("shop", spec(min=0.5), value([0.0]), ["q1"], answers)
    line = next(line for line in outcome.message.splitlines() if line.strip().startswith("q1"))
    assert "first line second line" in line
    assert line.endswith("...")
    assert len(line) < 150


def test_nan_value_does_not_pass_a_bar() -> None:
    outcome = judge_bar("shop", spec(min=0.5), MetricValue(math.nan, ()), [], {})
    assert not outcome.passed


# ---------------------------------------------------------------------------------------------
# No-drop against the baseline


def test_drop_within_tolerance_passes_higher_is_better() -> None:
    baseline = MetricBaseline(1.0, dict.fromkeys(IDS[:5], 1.0))
    now = value([1.0, 1.0, 1.0, 1.0, 0.0])  # 1.0 -> 0.8: q5 got worse
    outcome = judge_drop("shop", spec(max_drop=0.25), now, baseline, IDS[:5])
    assert outcome.passed
    assert "1 cases worse, 0 better" in outcome.message
    assert "got worse" not in outcome.message  # the list is for failures


def test_exact_tolerance_passes_despite_float_error() -> None:
    # 0.8 - 0.7 is 0.10000000000000009 in floating point.
    outcome = judge_drop("s", spec(max_drop=0.1), MetricValue(0.7, ()), MetricBaseline(0.8), [])
    assert outcome.passed


def test_drop_over_tolerance_fails_higher_is_better_listing_worse_cases() -> None:
    before = {"q1": 1.0, "q2": 1.0, "q3": 0.0, "q4": 1.0}
    now = value([0.0, 1.0, 1.0, 0.0])  # q1, q4 worse; q3 better
    baseline = MetricBaseline(0.75, before)
    outcome = judge_drop("shop", spec(max_drop=0.1), now, baseline, IDS[:4])
    assert not outcome.passed
    assert "baseline 0.75" in outcome.message
    assert "now 0.5" in outcome.message
    assert "2 cases worse, 1 better" in outcome.message
    worse_line = next(line for line in outcome.message.splitlines() if "got worse" in line)
    assert "q1" in worse_line and "q4" in worse_line
    assert "q3" not in worse_line and "q2" not in worse_line


def test_improvement_always_passes_higher_is_better() -> None:
    outcome = judge_drop("s", spec(max_drop=0.0), MetricValue(0.9, ()), MetricBaseline(0.5), [])
    assert outcome.passed


def test_rise_over_tolerance_fails_lower_is_better() -> None:
    before = {"q1": 0.1, "q2": 0.2, "q3": 0.3}
    now = value([0.1, 0.6, 0.0])  # q2 worse (higher), q3 better (lower)
    baseline = MetricBaseline(0.2, before)
    outcome = judge_drop("s", spec(higher=False, max_drop=0.02), now, baseline, IDS[:3])
    assert not outcome.passed
    assert "1 cases worse, 1 better" in outcome.message
    worse_line = next(line for line in outcome.message.splitlines() if "got worse" in line)
    assert "q2" in worse_line and "q3" not in worse_line


def test_fall_of_lower_is_better_is_an_improvement() -> None:
    outcome = judge_drop(
        "s", spec(higher=False, max_drop=0.0), MetricValue(0.1, ()), MetricBaseline(0.5), []
    )
    assert outcome.passed


def test_rise_within_tolerance_passes_lower_is_better() -> None:
    outcome = judge_drop(
        "s", spec(higher=False, max_drop=0.1), MetricValue(0.55, ()), MetricBaseline(0.5), []
    )
    assert outcome.passed


def test_cases_missing_from_the_baseline_are_not_counted() -> None:
    baseline = MetricBaseline(1.0, {"q1": 1.0})
    outcome = judge_drop("s", spec(max_drop=0.0), value([1.0, 0.0]), baseline, ["q1", "new"])
    assert not outcome.passed
    assert "0 cases worse, 0 better" in outcome.message
