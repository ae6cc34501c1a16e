"""Robustness variants in a pytest run, end to end with pytester and a fake model.

The model is ``benchmarks/instant_backend.py`` (a fake for speed: it answers from a table the
test writes, by the question a prompt ends with, and a default answer to any other question),
so which variants pass is the test's to decide: a perturbed question is not in the table and
gets the default. What is tested is releasegate's part: variants are test cases of their own
(ids, tags, records, baselines), the variants a perturbation cannot make are skipped saying
why, and the suite's own metrics read the cases as written while a robustness metric reads the
variants.
"""

# ruff: noqa: RUF001

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from releasegate.core.records import CaseRecord, MetricRecord, RunRecord, load_run
from tiny_project import INSTANT_BACKEND, instant_config, write_project

MANIFEST = textwrap.dedent(
    """
    name: shop
    cases: shop.jsonl
    check: {name: contains, mode: any}
    robustness:
      perturbations: [case, script]
      variants: 2
      tags: [robust]
    metrics:
      - {name: accuracy, min: 0.5, max_drop: 0.2}
      - {name: robust_accuracy, max_drop: 0.2}
    """
)

CASES = [
    {"id": "refund", "input": "How long does a refund take?", "expected": ["7 days"]},
    {"id": "hours", "input": "When are you open?", "expected": ["9 to 5"], "tags": ["robust"]},
    {"id": "退货", "input": "怎么退货？", "expected": ["我的订单"], "tags": ["robust"]},
    # enough cases for a paired test to tell a drop from noise
    *(
        {
            "id": f"q{n}",
            "input": f"Question number {n}?",
            "expected": ["7 days"],
            "tags": ["robust"],
        }
        for n in range(1, 6)
    ),
]

RIGHT = {
    "How long does a refund take?": "7 days",
    "When are you open?": "9 to 5",
    "怎么退货？": "在我的订单页面申请",
    **{f"Question number {n}?": "7 days" for n in range(1, 6)},
}


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    paths = [str(INSTANT_BACKEND), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    config = instant_config("./fake-model", pytester.path / "cache")
    write_project(pytester.path, config=config, manifest=MANIFEST, cases=CASES, suite="shop")
    return pytester


def _model(project: pytest.Pytester, default: str) -> None:
    table = {"answers": RIGHT, "default": default}
    (project.path / "fake-model").mkdir(exist_ok=True)
    (project.path / "fake-model" / "config.json").write_text(json.dumps(table), encoding="utf-8")


def _run(project: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, RunRecord]:
    result = project.runpytest_subprocess("model_tests", "-p", "no:cacheprovider", "-rA", *args)
    return result, load_run(project.path / "reports" / "latest")


def _cases(record: RunRecord) -> dict[str, CaseRecord]:
    return {case.id: case for case in record.cases}


def _metric(record: RunRecord, name: str, test: str = "value") -> MetricRecord:
    found = [m for m in record.metrics if m.metric == name and m.test == test]
    assert len(found) == 1 and isinstance(found[0], MetricRecord), record.metrics
    return found[0]


def test_variants_are_cases_of_their_own_and_unmade_ones_are_skipped(
    project: pytest.Pytester,
) -> None:
    _model(project, default="no idea")  # every variant's question is not in the table
    result, record = _run(project, "-k", "test_case", "-n", "0")
    out = result.stdout.str()
    # Each tagged case and its variants (case: letter case on English; script: Chinese).
    assert "test_case[shop/hours~case-1]" in out and "test_case[shop/hours~case-2]" in out
    cases = _cases(record)
    zh_variants = [c for c in cases.values() if c.variant_of == "退货"]
    assert {c.perturbation for c in zh_variants} == {"script"}
    assert all(c.input != "怎么退货？" for c in zh_variants)
    variant = cases["hours~case-1"]
    assert (variant.variant_of, variant.perturbation) == ("hours", "case")
    assert variant.input != "When are you open?" and variant.input.lower() == "when are you open?"
    assert "variant" in variant.tags and variant.outcome == "failed"  # the default answer
    assert "refund~case-1" not in cases  # untagged: no variants
    # Letter case cannot change Chinese, script cannot change English: skipped, saying so.
    skipped = " ".join(line for line in out.splitlines() if line.startswith("SKIPPED"))
    assert "shop/hours~script-1: the perturbation 'script' makes no change" in skipped, out
    assert "shop/退货~case-2: the perturbation 'case' makes no change" in skipped, out
    result.assert_outcomes(passed=8, failed=14, skipped=14)
    assert not any(key.startswith("hours~script") for key in cases)
    passed = {k for k, c in cases.items() if c.outcome == "passed"}
    assert passed == {case["id"] for case in CASES}


def test_the_suite_metrics_read_the_cases_as_written_and_robust_accuracy_the_variants(
    project: pytest.Pytester,
) -> None:
    _model(project, default="no idea")
    _, record = _run(project, "-n", "0")
    accuracy = _metric(record, "accuracy")
    assert accuracy.value == 1.0 and len(accuracy.per_item) == len(CASES)  # as written
    robust = _metric(record, "robust_accuracy")
    assert robust.value == 0.0  # every tagged case has a failing variant
    assert robust.item_ids == ("hours", "退货", "q1", "q2", "q3", "q4", "q5")


def test_a_baseline_keeps_each_variant_and_a_variant_that_breaks_is_a_regression(
    project: pytest.Pytester,
) -> None:
    # The reference model answers every question right, perturbed or not.
    _model(project, default="9 to 5, 7 days, 我的订单")
    result, _ = _run(project, "-n", "0", "--update-baseline")
    assert result.ret == 0, result.stdout.str()
    baseline = json.loads((project.path / "fixtures/baselines/shop.json").read_text("utf-8"))
    assert "hours~case-1" in baseline["cases"] and "refund" in baseline["cases"]
    assert baseline["metrics"]["robust_accuracy"]["value"] == 1.0
    # The candidate answers only the questions as written.
    _model(project, default="no idea")
    _, record = _run(project, "-n", "0")
    cases = _cases(record)
    assert cases["hours~case-1"].status == "regression"
    drop = _metric(record, "robust_accuracy", "no_drop")
    assert drop.outcome == "failed", drop.message
    assert _metric(record, "accuracy", "no_drop").outcome == "passed"


def test_not_variant_deselects_the_variants(project: pytest.Pytester) -> None:
    _model(project, default="no idea")
    result, record = _run(project, "-k", "test_case", "-m", "not variant", "-n", "0")
    result.assert_outcomes(passed=len(CASES))
    assert all(not c.variant_of for c in record.cases)


def test_variants_run_under_xdist_with_their_originals(project: pytest.Pytester) -> None:
    _model(project, default="no idea")
    _, record = _run(project, "-k", "test_case", "-n", "2")
    serial = {c.id: c.outcome for c in record.cases}
    assert serial["hours"] == "passed" and serial["hours~case-1"] == "failed"
    assert Path(project.path / "reports" / "latest").exists()


def test_a_variant_that_asks_another_question_than_its_baseline_entry_stands_alone(
    project: pytest.Pytester,
) -> None:
    """Another seed makes other questions under the same ids: the baseline's verdicts on the
    old questions say nothing of the new ones, so a failing variant is not a known failure."""
    _model(project, default="no idea")
    result, _ = _run(project, "-n", "0", "--update-baseline")
    assert result.ret == 0, result.stdout.str()
    stored = json.loads((project.path / "fixtures/baselines/shop.json").read_text("utf-8"))
    assert stored["cases"]["hours~case-1"]["question"] != "When are you open?"
    assert "question" not in stored["cases"]["hours"]  # a case as written: its id is its question
    _, record = _run(project, "-k", "test_case", "-n", "0")
    assert _cases(record)["hours~case-1"].outcome == "xfailed"  # the same question: known
    manifest = project.path / "fixtures" / "golden" / "shop.yaml"
    manifest.write_text(
        manifest.read_text("utf-8").replace("variants: 2", "variants: 2\n  seed: 7"), "utf-8"
    )
    validate = project.run(str(Path(sys.executable).parent / "releasegate"), "validate")
    assert "variant(s) ask another question than the baseline's" in validate.stdout.str()
    _, record = _run(project, "-k", "test_case", "-n", "0")
    variants = [case for case in record.cases if case.variant_of]
    asked_anew = [case for case in variants if case.input != stored["cases"][case.id]["question"]]
    assert asked_anew, "seed 7 made the same questions"
    for case in variants:
        expected = ("failed", None) if case in asked_anew else ("xfailed", "failed")
        assert (case.outcome, case.baseline) == expected, case.id
    assert _cases(record)["hours"].outcome == "passed"
