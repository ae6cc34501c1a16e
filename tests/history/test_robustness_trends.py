"""A robustness metric in the run history (issue 25): ``robust_accuracy`` is recorded per
checkpoint by its items (the originals that have variants), trends in the history's table like
any metric, and a fall across checkpoints is caught by the no-drop gate's paired test on those
items, re-scored from the stored answers of the originals *and* their variants.

Real parts: a manifest and JSONL cases in tmp_path loaded as a suite, its variants made as the
robustness section makes them, answers checked by the case-scoring function, the gate's own
records, a history file on disk.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from releasegate.core.records import ModelDescription, Prediction
from releasegate.gate.judging import judge, score_case
from releasegate.gate.verdicts import gate_metric
from releasegate.golden.suites import MetricSpec, Suite, load_suite
from releasegate.history import HistoryStore
from releasegate.history.recording import run_record
from releasegate.history.trends import check_curve, trend_rows
from releasegate.robustness.metrics import RobustAccuracy

ROOT = Path(__file__).resolve().parents[2]
IDS = [f"faq-{i:02d}" for i in range(15)] + [f"退货-{i:02d}" for i in range(15)]


def write_suite(folder: Path) -> Suite:
    """30 cases, each with a typo variant, and ``robust_accuracy`` (max_drop 0.05) set on the
    loaded suite (the ``robustness:`` section that lets a manifest name it is another
    module's)."""
    (folder / "shop.yaml").write_text(
        "name: shop\ncases: shop.jsonl\ncheck: contains\n", encoding="utf-8"
    )
    lines = [{"id": case_id, "input": f"refund {case_id}?", "expected": "7"} for case_id in IDS]
    (folder / "shop.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    suite = load_suite(folder / "shop.yaml", schemas_dir=ROOT / "fixtures" / "schemas")
    variants = tuple(
        replace(
            case,
            id=f"{case.id}~typo-1",
            test_id=f"{case.test_id}~typo-1",
            input=f"refnud {case.id}?",
            tags=(*case.tags, "variant"),
            variant_of=case.id,
            perturbation="typo",
        )
        for case in suite.cases
    )
    metric = MetricSpec(RobustAccuracy(), max_drop=0.05)
    return replace(suite, variants=variants, metrics=(metric,))


def record_checkpoint(
    store: HistoryStore, suite: Suite, step: int, broken: list[str], original_answer: str
) -> str:
    """A checkpoint's run recorded in *store*: the variants of *broken* answer wrong."""
    answers = {case.id: original_answer for case in suite.cases}
    answers.update(
        {v.id: "I do not know." if v.variant_of in broken else "7 days" for v in suite.variants}
    )
    case_records = [
        judge(suite, case, Prediction("", answers[case.id], 1, 0.0, False), None).to_record()
        for case in suite.test_cases
    ]
    scored = [score_case(suite, case, answers[case.id]) for case in suite.test_cases]
    metric = gate_metric(suite, suite.metrics[0], "value", scored, None, alpha=0.05, samples=10)
    run = run_record(
        run_id=f"step{step}",
        model=ModelDescription(fingerprint=f"m{step}"),
        step=step,
        metric_records=[metric.to_record()],
        case_records=case_records,
        suites={suite.name: suite},
    )
    store.record(run)
    return run.run_id


def test_robust_accuracy_is_recorded_by_its_items_and_trends_across_checkpoints(
    tmp_path: Path,
) -> None:
    suite = write_suite(tmp_path)
    store = HistoryStore(tmp_path / "h.sqlite")
    runs = [
        record_checkpoint(store, suite, 10, [], "7 days"),
        record_checkpoint(store, suite, 20, IDS[:3], "7 days"),
    ]
    assert store.items("step20", "shop", "robust_accuracy") == {
        case_id: 0.0 if case_id in IDS[:3] else 1.0 for case_id in IDS
    }
    rows = trend_rows(store.series(run_ids=runs), by_step=True)
    assert rows == [
        ["suite", "metric", "step 10", "step 20"],
        ["shop", "robust_accuracy", "1", "0.9"],
    ]


def test_a_fall_of_robust_accuracy_is_caught_on_its_items_by_the_gates_mcnemar(
    tmp_path: Path,
) -> None:
    """At step 20 the typo variants of 10 cases break; their originals still pass, answered
    anew. The trend rule re-scores the stored answers of the originals and their variants, pairs
    the items, and names the 10."""
    suite = write_suite(tmp_path)
    store = HistoryStore(tmp_path / "h.sqlite")
    broken = IDS[:5] + IDS[15:20]
    runs = [
        record_checkpoint(store, suite, 10, [], "7 days"),
        record_checkpoint(store, suite, 20, broken, "Refunds: 7 days."),
    ]
    (finding,) = check_curve(store, runs, suites={suite.name: suite})
    text = "\n".join(finding.lines())
    assert finding.rule == "fall" and finding.metric == "robust_accuracy"
    assert "mcnemar" in text and "on 30 shared" in text, text
    assert "10 worse items: faq-00" in text
    assert "退货-00" in text
    assert "~typo" not in text  # the items are the originals


def test_a_fall_of_robust_accuracy_with_the_originals_answered_the_same_is_caught(
    tmp_path: Path,
) -> None:
    suite = write_suite(tmp_path)
    store = HistoryStore(tmp_path / "h.sqlite")
    broken = IDS[:5] + IDS[15:20]
    runs = [
        record_checkpoint(store, suite, 10, [], "7 days"),
        record_checkpoint(store, suite, 20, broken, "7 days"),
    ]
    findings = check_curve(store, runs, suites={suite.name: suite})
    assert [finding.rule for finding in findings] == ["fall"]
    assert "10 worse items: faq-00" in "\n".join(findings[0].lines())
