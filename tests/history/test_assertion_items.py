"""The run history keeps an ``assertion_pass_rate``'s per-case values by the ids of the cases
that carry its assertion (the record's ``item_ids``), not by the suite's cases, so a trend test
pairs the same carriers across runs."""

from __future__ import annotations

import json
from pathlib import Path

from releasegate.core.records import ModelDescription
from releasegate.gate.judging import score_case
from releasegate.gate.verdicts import gate_metric
from releasegate.golden.suites import load_suite
from releasegate.history.recording import run_record

ROOT = Path(__file__).resolve().parents[2]


def test_the_history_keys_the_carriers_values_by_their_case_ids(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(
        "name: shop\ncases: shop.jsonl\ncheck: contains\nmetrics:\n"
        "  - {name: assertion_pass_rate, assertion: no-competitor}\n  - {name: accuracy}\n",
        encoding="utf-8",
    )
    must_not = {"type": "not-contains", "value": "Amazon", "name": "no-competitor"}
    cases = [
        {"id": "a", "input": "qa", "expected": "7 days", "assert": [must_not]},
        {"id": "free", "input": "qf", "expected": "7 days"},
        {"id": "b", "input": "qb", "expected": "7 days", "assert": [must_not]},
    ]
    (tmp_path / "shop.jsonl").write_text(
        "".join(json.dumps(case) + "\n" for case in cases), encoding="utf-8"
    )
    suite = load_suite(tmp_path / "shop.yaml", schemas_dir=ROOT / "fixtures" / "schemas")
    answers = {"a": "7 days at Amazon", "free": "7 days", "b": "7 days"}
    scored = [score_case(suite, case, answers[case.id]) for case in suite.cases]
    records = [
        gate_metric(suite, spec, "value", scored, None, alpha=0.05, samples=10).to_record()
        for spec in suite.metrics
    ]
    run = run_record(
        run_id="r1",
        model=ModelDescription(fingerprint="m"),
        step=None,
        metric_records=records,
        case_records=(),
        suites={suite.name: suite},
    )
    points = {point.metric: point for point in run.metrics}
    assert dict(points["assertion_pass_rate[no-competitor]"].items) == {"a": 0.0, "b": 1.0}
    assert dict(points["accuracy"].items) == {"a": 0.0, "free": 1.0, "b": 1.0}  # every case
