"""One rule for which items moved since the baseline, and for which pair with it: a golden
suite's metric (:func:`~releasegate.gate.comparisons.suite_flips`) and a general benchmark's
(:func:`~releasegate.gate.benchmarks.compare_benchmark`) agree on the same items."""

from __future__ import annotations

import math

import pytest

from releasegate.core.records import ItemResult, TaskResult
from releasegate.gate.baselines import BenchmarkBaseline, MetricBaseline
from releasegate.gate.benchmarks import benchmark_mismatch, compare_benchmark
from releasegate.gate.comparisons import suite_flips, suite_mismatch
from releasegate.gate.pairing import coverage, flip_direction, item_unchanged
from releasegate.golden.metrics import MetricValue

# item id: (baseline's answer, its stored value, this run's answer, its value now)
ITEMS = {
    "same": ("A", 1.0, "A", 1.0),
    "worse": ("A", 1.0, "B", 0.0),
    "wrong_to_wrong": ("B", 0.0, "C", 0.0),  # an accuracy's wrong answer, another wrong one
    "better": ("B", 0.0, "A", 1.0),
    "rounded": ("A", round(1 / 3, 6), "A", 1 / 3),  # stored at 6 decimals, same answer
    "same_answer_rescored": ("A", 0.5, "A", 0.25),  # an unchanged answer is never a flip
}


def _task(which: int) -> TaskResult:
    answer, value = (0, 1) if which == 0 else (2, 3)
    items = {
        key: ItemResult(f"h{key}", "A", row[answer], {"score": row[value]})
        for key, row in ITEMS.items()
    }
    mean = math.fsum(row[value] for row in ITEMS.values()) / len(ITEMS)
    return TaskResult("t", "0.4", "c", 0, None, {"score": mean}, {}, items)


def test_a_suite_metric_and_a_benchmark_flip_the_same_items_the_same_way() -> None:
    ids = list(ITEMS)
    value = MetricValue(0.5, tuple(row[3] for row in ITEMS.values()))
    baseline = MetricBaseline(0.5, {key: row[1] for key, row in ITEMS.items()})
    suite = suite_flips(
        value,
        baseline,
        ids,
        higher_is_better=True,
        answers={key: row[2] for key, row in ITEMS.items()},
        baseline_answers={key: row[0] for key, row in ITEMS.items()},
    )
    before, now = _task(0), _task(1)
    _, benchmark = compare_benchmark(
        "score",
        now,
        BenchmarkBaseline.from_json(before.to_json()),
        higher_is_better=True,
        samples=200,
        confidence=0.9,
    )
    expected = [("worse", "worse"), ("better", "better")]
    assert [(f.item, f.direction) for f in suite] == expected
    assert [(f.item, f.direction) for f in benchmark] == expected


def test_the_flip_rule() -> None:
    assert flip_direction(1.0, 0.0, "A", "B", higher_is_better=True) == "worse"
    assert flip_direction(1.0, 0.0, "A", "B", higher_is_better=False) == "better"
    assert flip_direction(1.0, 0.0, "A", "A", higher_is_better=True) is None
    assert flip_direction(0.0, 0.0, "B", "C", higher_is_better=True) is None
    assert flip_direction(0.0, 0.0, "B", "C", higher_is_better=True, changed=True) == "changed"
    # An answer not known on one side: the value decides alone.
    assert flip_direction(1.0, 0.0, None, "A", higher_is_better=True) == "worse"
    assert flip_direction(math.nan, math.nan, "A", "B", higher_is_better=True) is None
    assert item_unchanged(0.333333, 1 / 3, "A", "B")
    assert not item_unchanged(0.5, 0.25, "A", None)


@pytest.mark.parametrize(
    ("now", "before", "common", "added", "removed", "half", "any_"),
    [
        (["a", "b"], ["a", "b"], 2, 0, 0, True, True),
        (["a", "b", "c"], ["a", "x"], 1, 2, 1, False, True),
        (["a", "b"], ["a", "x"], 1, 1, 1, True, True),
        (["a"], ["x"], 0, 1, 1, False, False),
    ],
)
def test_coverage(
    now: list[str],
    before: list[str],
    common: int,
    added: int,
    removed: int,
    half: bool,
    any_: bool,
) -> None:
    found = coverage(now, before)
    assert (found.common, found.added, found.removed) == (common, added, removed)
    assert found.enough(0.5) is half and found.enough(0.0) is any_
    # The suite's refusal (half of its cases) and the benchmark's (none in common) are it.
    refused = suite_mismatch("s", "m", now, MetricBaseline(0.5, dict.fromkeys(before, 1.0)))
    assert (refused is None) is half
    task = TaskResult(
        "t", "0.4", "c", 0, None, {}, {},
        {k: ItemResult(f"h{k}", "A", "A", {"acc": 1.0}) for k in now},
    )  # fmt: skip
    stored = TaskResult(
        "t", "0.4", "c", 0, None, {}, {},
        {k: ItemResult(f"h{k}", "A", "A", {"acc": 1.0}) for k in before},
    )  # fmt: skip
    mismatch = benchmark_mismatch(
        "t", task, BenchmarkBaseline.from_json(stored.to_json()), lm_eval_version="0.4"
    )
    assert (mismatch is None) is any_
