"""The run history keeps an ``assertion_pass_rate``'s per-case values by the ids of the cases
that carry its assertion (the record's ``item_ids``), not by the suite's cases, so a trend test
pairs the same carriers across runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from releasegate.core.records import ModelDescription, Prediction
from releasegate.gate.judging import judge, score_case
from releasegate.gate.verdicts import gate_metric
from releasegate.golden.suites import load_suite
from releasegate.history import HistoryStore
from releasegate.history.recording import run_record
from releasegate.history.trends import check_curve

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


def test_a_fall_of_an_assertion_is_caught_on_its_carriers_by_the_gates_mcnemar(
    tmp_path: Path,
) -> None:
    """Two runs recorded in a real history file (from the gate's own records); in the later
    one 10 of the 30 carriers break the must-not while the cases that do not carry it change
    freely: the trend rule pairs the carriers alone and names the 10."""
    (tmp_path / "shop.yaml").write_text(
        "name: shop\ncases: shop.jsonl\ncheck: contains\nmetrics:\n"
        "  - {name: assertion_pass_rate, assertion: no-competitor, max_drop: 0.05}\n",
        encoding="utf-8",
    )
    must_not = {"type": "not-contains", "value": "Amazon", "name": "no-competitor"}
    carriers = [f"c{i:02d}" for i in range(30)]
    cases: list[dict[str, Any]] = [
        {"id": case_id, "input": f"q {case_id}", "expected": "7 days", "assert": [must_not]}
        for case_id in carriers
    ] + [{"id": f"o{i}", "input": f"o{i}", "expected": "7 days"} for i in range(4)]
    (tmp_path / "shop.jsonl").write_text(
        "".join(json.dumps(case) + "\n" for case in cases), encoding="utf-8"
    )
    suite = load_suite(tmp_path / "shop.yaml", schemas_dir=ROOT / "fixtures" / "schemas")
    store = HistoryStore(tmp_path / "h.sqlite")
    runs = []
    for step, broken, other in ((10, [], "7 days"), (20, carriers[:10], "7 days, Amazon!")):
        answers = {
            case.id: "7 days at Amazon" if case.id in broken else "7 days" for case in suite.cases
        }
        answers.update({case["id"]: other for case in cases[30:]})
        predictions = {
            case.id: Prediction("", answers[case.id], 1, 0.0, False) for case in suite.cases
        }
        case_records = [
            judge(suite, case, predictions[case.id], None).to_record() for case in suite.cases
        ]
        scored = [score_case(suite, case, answers[case.id]) for case in suite.cases]
        spec = suite.metrics[0]
        metric = gate_metric(suite, spec, "value", scored, None, alpha=0.05, samples=10)
        run = run_record(
            run_id=f"step{step}",
            model=ModelDescription(fingerprint=f"m{step}"),
            step=step,
            metric_records=[metric.to_record()],
            case_records=case_records,
            suites={suite.name: suite},
        )
        store.record(run)
        runs.append(run.run_id)
    (finding,) = check_curve(store, runs, suites={suite.name: suite})
    text = "\n".join(finding.lines())
    assert finding.rule == "fall" and finding.metric == "assertion_pass_rate[no-competitor]"
    assert "mcnemar" in text and "on 30 shared" in text
    assert "10 worse items: c00" in text
    assert not any(f"o{i}" in text for i in range(4))
