"""The baseline plan (:func:`releasegate.gate.plan.plan_baselines`) on a real suite and a real
baseline folder: records judged by the gate become the files the store commits."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from releasegate.core.records import CaseRecord, MetricRecord, ModelDescription, Prediction
from releasegate.gate.baselines import BaselineStore
from releasegate.gate.judging import judge, score_case
from releasegate.gate.plan import plan_baselines
from releasegate.gate.verdicts import gate_metric
from releasegate.golden.suites import Suite, load_suite
from tiny_project import write_cases

REPO = Path(__file__).resolve().parents[2]
CASES = [
    {"id": "a", "input": "1+1?", "expected": "2"},
    {"id": "b", "input": "2+2?", "expected": "4"},
    {"id": "c", "input": "3+3?", "expected": "6"},
]


def _suite(tmp_path: Path, name: str) -> Suite:
    manifest = tmp_path / "golden" / f"{name}.yaml"
    write_cases(tmp_path / "golden" / f"{name}.jsonl", CASES)
    manifest.write_text(
        textwrap.dedent(
            f"""
            name: {name}
            cases: {name}.jsonl
            check: exact
            metrics:
              - {{name: accuracy, max_drop: 0.1}}
            """
        ),
        encoding="utf-8",
    )
    return load_suite(manifest, schemas_dir=REPO / "fixtures" / "schemas")


def _judged(suite: Suite, answers: dict[str, str]) -> tuple[list[CaseRecord], list[MetricRecord]]:
    cases = [
        judge(suite, case, Prediction("p", answers[case.id], 1, 0.0, False), None).to_record()
        for case in suite.cases
        if case.id in answers
    ]
    if len(answers) < len(suite.cases):
        return cases, []
    items = [score_case(suite, case, answers[case.id]) for case in suite.cases]
    metric = gate_metric(
        suite, suite.metric("accuracy"), "value", items, None, alpha=0.05, samples=100
    )
    return cases, [metric.to_record()]


def test_a_whole_run_is_planned_whole_and_a_partial_one_merged(tmp_path: Path) -> None:
    shop, other = _suite(tmp_path, "shop"), _suite(tmp_path, "other")
    store = BaselineStore(tmp_path / "baselines")
    cases, metrics = _judged(shop, {"a": "2", "b": "5", "c": "6"})
    planned = plan_baselines(
        store,
        {"shop": shop, "other": other},  # nothing of "other" was judged: no file for it
        cases=cases,
        metrics=metrics,
        task_results=[],
        model=ModelDescription(model="m1", fingerprint="f1"),
        generation=lambda suite: {"max_new_tokens": 8, "suite": suite.name},
    )
    assert [p.result.path.name for p in planned] == ["shop.json"]
    for write in planned:
        store.commit(write)
    written = json.loads((tmp_path / "baselines" / "shop.json").read_text(encoding="utf-8"))
    assert {k: v["outcome"] for k, v in written["cases"].items()} == {
        "a": "passed",
        "b": "failed",
        "c": "passed",
    }
    assert written["metrics"]["accuracy"]["value"] == round(2 / 3, 6)
    assert written["generation"] == {"max_new_tokens": 8, "suite": "shop"}
    assert written["model"] == {"model": "m1", "fingerprint": "f1"}

    # A run of case b alone (now right) is merged: a and c keep their stored outcomes.
    cases, metrics = _judged(shop, {"b": "4"})
    planned = plan_baselines(
        BaselineStore(tmp_path / "baselines"),
        {"shop": shop},
        cases=cases,
        metrics=metrics,
        task_results=[],
        model=ModelDescription(model="m1", fingerprint="f1"),
        generation=lambda suite: {},
    )
    store.commit(planned[0])
    merged = json.loads((tmp_path / "baselines" / "shop.json").read_text(encoding="utf-8"))
    assert {k: v["outcome"] for k, v in merged["cases"].items()} == {
        "a": "passed",
        "b": "passed",
        "c": "passed",
    }
    assert merged["metrics"]["accuracy"]["value"] == round(2 / 3, 6)  # not re-measured: kept
