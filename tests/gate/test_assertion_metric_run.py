"""``assertion_pass_rate`` end to end: a real pytest run of a tiny project on the instant
backend (``benchmarks/instant_backend.py``, a model answering from a table the test writes, so
each case lands in the state the test wants). The reference run records the baseline (the
metric's per-case values keyed by the carriers' ids); a later run in which 10 of the 30 carriers
break the must-not fails both the bar and the paired no-drop test (exact McNemar), naming the
cases, while the cases that do not carry the assertion are never items."""

from __future__ import annotations

import json
import os
import textwrap
from typing import Any

import pytest

from releasegate.core.records import MetricRecord, RunRecord, load_run
from tiny_project import INSTANT_BACKEND, instant_config, write_instant_model, write_project

METRIC = "assertion_pass_rate[no-competitor]"
CARRIERS = [f"c{i:02d}" for i in range(30)]
OTHERS = ["o1", "o2", "o3"]
GOOD = "Refunds take 7 days."
BAD = "Refunds take 7 days, or buy it on Amazon."
MANIFEST = textwrap.dedent(
    """
    name: shop
    cases: shop.jsonl
    check: contains
    metrics:
      - {name: assertion_pass_rate, assertion: no-competitor, min: 0.8, max_drop: 0.05}
    """
)
MUST_NOT = {"type": "not-contains", "value": "Amazon", "name": "no-competitor"}
CASES: list[dict[str, Any]] = [
    {"id": case_id, "input": f"refund {case_id}?", "expected": "7 days", "assert": [MUST_NOT]}
    for case_id in CARRIERS
] + [{"id": case_id, "input": f"other {case_id}?", "expected": "7 days"} for case_id in OTHERS]


def table(broken: list[str]) -> dict[str, str]:
    """The model's answers: the *broken* carriers name the competitor; so do the other cases,
    for which it is no fault (they do not carry the must-not)."""
    return {
        case["input"]: BAD if case["id"] in broken or case["id"] in OTHERS else GOOD
        for case in CASES
    }


def metric(record: RunRecord, test: str) -> MetricRecord:
    found = [m for m in record.metrics if m.metric == METRIC and m.test == test]
    assert len(found) == 1 and isinstance(found[0], MetricRecord), record.metrics
    return found[0]


def test_recorded_then_gated_on_its_carriers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [str(INSTANT_BACKEND), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    config = instant_config("./fake-model", pytester.path / "cache")
    write_project(pytester.path, config=config, manifest=MANIFEST, cases=CASES, suite="shop")
    write_instant_model(pytester.path / "fake-model", table([]))

    first = pytester.runpytest_subprocess(
        "model_tests", "-p", "no:cacheprovider", "-rA", "--update-baseline"
    )
    first.assert_outcomes(passed=len(CASES) + 1, skipped=1)
    record = load_run(pytester.path / "reports" / "latest")
    value = metric(record, "value")
    assert (value.value, value.item_ids, value.outcome) == (1.0, tuple(CARRIERS), "passed")
    results = json.loads((pytester.path / "reports" / "latest" / "results.json").read_text())
    (stored_record,) = [
        m for m in results["metrics"] if m.get("metric") == METRIC and m["test"] == "value"
    ]
    assert stored_record["item_ids"] == CARRIERS
    baseline = json.loads((pytester.path / "fixtures/baselines/shop.json").read_text())
    assert baseline["metrics"][METRIC]["per_item"] == dict.fromkeys(CARRIERS, 1.0)

    write_instant_model(pytester.path / "fake-model", table(CARRIERS[:10]))
    second = pytester.runpytest_subprocess("model_tests", "-p", "no:cacheprovider", "-rA")
    record = load_run(pytester.path / "reports" / "latest")
    value, no_drop = metric(record, "value"), metric(record, "no_drop")
    assert value.value == pytest.approx(20 / 30) and value.outcome == "failed"
    assert no_drop.outcome == "failed", no_drop.message
    assert no_drop.comparison is not None
    assert no_drop.comparison.test == "mcnemar"
    assert (no_drop.comparison.items, no_drop.comparison.worse) == (30, 10)
    assert [flip.item for flip in no_drop.flips] == CARRIERS[:10]
    # The 10 broken carriers fail as cases, and the two metric tests fail.
    second.assert_outcomes(passed=len(CASES) - 10, failed=12)
    assert "got worse (10)" in no_drop.message
    assert f"shop::{METRIC}: " in second.stdout.str()  # the failure as pytest shows it
