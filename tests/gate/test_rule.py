"""The one no-drop rule (issue 21): a drop fails only when it is significantly beyond max_drop;
NaN is refused; no interval below MIN_INTERVAL_ITEMS; the mean test holds alpha."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from releasegate.core.stats import compare_per_item, false_alarm_rate, mcnemar
from releasegate.exceptions import BaselineError, GateError
from releasegate.gate.baselines import BaselineStore
from releasegate.gate.rule import judge_drop


def test_an_estimate_beyond_max_drop_that_is_noise_does_not_fail() -> None:
    before = [1.0] * 10
    now = [0.0, 0.0] + [1.0] * 8  # 0.2 drop, p = 0.25
    verdict = judge_drop(mcnemar(before, now, confidence=0.9), max_drop=0.1, alpha=0.05,
                         higher_is_better=True)  # fmt: skip
    assert not verdict.failed and not verdict.significant


def test_max_drop_zero_is_the_plain_paired_test() -> None:
    before, now = [1.0] * 30, [0.0] * 6 + [1.0] * 24  # p = 1/64
    comparison = mcnemar(before, now, confidence=0.9)
    assert judge_drop(comparison, max_drop=0.0, alpha=0.05, higher_is_better=True).failed
    stricter = mcnemar(before, now, confidence=0.98)
    assert not judge_drop(stricter, max_drop=0.0, alpha=0.01, higher_is_better=True).failed


def test_a_suite_too_small_to_ever_fail_says_so() -> None:
    verdict = judge_drop(mcnemar([1.0] * 5, [0.0] * 5, confidence=0.9), max_drop=0.1,
                         alpha=0.05, higher_is_better=True)  # fmt: skip
    assert not verdict.failed
    assert "too few cases (5) to detect a drop beyond max_drop 0.1" in verdict.blind


def test_a_nan_in_a_comparison_names_the_case() -> None:
    with pytest.raises(GateError, match="case b: this run's value is not a number"):
        compare_per_item([0.5, 0.2], [0.4, math.nan], higher_is_better=True, samples=100,
                         confidence=0.9, ids=["a", "b"], where="s::rouge")  # fmt: skip


def test_no_interval_below_the_minimum_and_the_message_says_so() -> None:
    comparison = compare_per_item([0.9, 0.8, 0.7], [0.1, 0.2, 0.3], higher_is_better=True,
                                  samples=200, confidence=0.9)  # fmt: skip
    assert math.isnan(comparison.ci_low)
    assert "too few cases for an interval" in comparison.describe()
    assert comparison.p_value == pytest.approx(1 / 8)  # exact: 3 changed items, all worse


def test_the_mean_test_holds_alpha_on_small_suites() -> None:
    """The bootstrap p-value fired 16.5 % of the time at 3 items (alpha 5 %)."""
    for items in (3, 6):
        rate = false_alarm_rate("mean", items=items, flip_rate=1.0, alpha=0.05, trials=400,
                                bootstrap_samples=200)  # fmt: skip
        assert rate <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / 400)


def test_an_unchanged_candidate_gives_p_one() -> None:
    values = list(np.linspace(0, 1, 30))
    comparison = compare_per_item(values, values, higher_is_better=True, samples=100,
                                  confidence=0.9)  # fmt: skip
    assert comparison.p_value == 1.0 and comparison.difference == 0


def test_a_baseline_holding_nan_is_refused_naming_file_metric_and_case(tmp_path: Path) -> None:
    store = BaselineStore(tmp_path)
    document = {
        "suite": "faq",
        "cases": {"c1": {"outcome": "passed", "answer": "x"}},
        "metrics": {"rouge": {"value": 0.5, "per_item": {"c1": float("nan")}}},
    }
    store.path_for("faq").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(BaselineError, match=r"faq\.json: metric 'rouge', case 'c1': .*NaN"):
        store.load("faq")
