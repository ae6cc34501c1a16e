"""The known-failure rule is one function (:func:`releasegate.gate.judging.known_failure`): the
pytest plugin's xfail mark at collection, a verdict's status and the Trainer callback's outcome
(:func:`~releasegate.gate.judging.pytest_outcome`) agree on every case of a crafted baseline.

The pytest run uses ``benchmarks/instant_backend.py``, a fake model for speed (as
``tests/pytest_plugin/test_plugin_fake.py`` does): the test decides each answer, so each case
lands in the state the rule is about; what is tested is the rule, not what a model says.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from releasegate.core.records import HumanRecord, Prediction, load_run
from releasegate.gate.baselines import CaseBaseline
from releasegate.gate.judging import judge, known_failure, pytest_outcome
from releasegate.golden.cases import GoldenCase
from releasegate.golden.suites import load_suite
from tiny_project import INSTANT_BACKEND, instant_config, write_instant_model, write_project

ROOT = Path(__file__).resolve().parents[2]

MANIFEST = textwrap.dedent(
    """
    name: shop
    cases: shop.jsonl
    check: exact
    """
)

CASES = [
    {"id": "kept", "input": "How long does a refund take?", "expected": "7 days"},
    {"id": "regressed", "input": "When are you open?", "expected": "9 to 5"},
    {"id": "still_wrong", "input": "Do you ship abroad?", "expected": "yes"},
    {"id": "fixed", "input": "Do you sell kettles?", "expected": "yes"},
    {"id": "critical_fixed", "input": "Is it safe?", "expected": "yes", "tags": ["critical"]},
    {"id": "critical_wrong", "input": "Is it tested?", "expected": "yes", "tags": ["critical"]},
    {"id": "new", "input": "Do you deliver?", "expected": "yes"},
]

BASELINE = {
    "kept": "passed",
    "regressed": "passed",
    "still_wrong": "failed",
    "fixed": "failed",
    "critical_fixed": "failed",
    "critical_wrong": "failed",
}
"""Each case's outcome on the baseline ("new" is not in it)."""

WRONG = {"regressed": "never", "still_wrong": "no", "critical_wrong": "no"}
"""The cases answered wrongly now (by id); the others are answered as expected."""


def test_the_collection_mark_the_callback_outcome_and_the_verdict_agree(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [str(INSTANT_BACKEND), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    config = instant_config("./fake-model", pytester.path / "cache")
    write_project(pytester.path, config=config, manifest=MANIFEST, cases=CASES, suite="shop")
    answers = {c["input"]: WRONG.get(c["id"], c["expected"]) for c in CASES}
    write_instant_model(pytester.path / "fake-model", answers)
    baselines = pytester.path / "fixtures" / "baselines"
    baselines.mkdir(parents=True)
    document = {
        "suite": "shop",
        "cases": {k: {"outcome": v, "answer": f"earlier {k}"} for k, v in BASELINE.items()},
        "metrics": {},
    }
    (baselines / "shop.json").write_text(json.dumps(document), encoding="utf-8")

    result = pytester.runpytest_subprocess("model_tests", "-p", "no:cacheprovider", "-k", "case")
    counted = {c.id: c.outcome for c in load_run(pytester.path / "reports" / "latest").cases}
    # What pytest counted, from the xfail marks set at collection.
    assert counted == {
        "kept": "passed",
        "regressed": "failed",
        "still_wrong": "xfailed",
        "fixed": "xpassed",
        "critical_fixed": "passed",  # never marked: a critical case passes or fails plainly
        "critical_wrong": "failed",
        "new": "passed",
    }, result.stdout.str()

    # The same cases judged directly, as the Trainer callback counts them.
    suite = load_suite(
        pytester.path / "fixtures" / "golden" / "shop.yaml",
        schemas_dir=ROOT / "fixtures" / "schemas",
    )
    for case in suite.cases:
        outcome = BASELINE.get(case.id)
        before = None if outcome is None else CaseBaseline(outcome, f"earlier {case.id}")  # type: ignore[arg-type]
        answer = WRONG.get(case.id, str(case.expected))
        verdict = judge(suite, case, Prediction("", answer, 1, 0.0, False), before)
        assert pytest_outcome(verdict) == counted[case.id], case.id
        assert (verdict.status == "known failure") == (counted[case.id] == "xfailed"), case.id
        assert verdict.known_failure == known_failure(case, before)


def _case(*, critical: bool = False) -> GoldenCase:
    return GoldenCase(
        id="q", input="q?", expected="a", suite="s", tags=("critical",) if critical else ()
    )


def _human(*, passed: bool, baseline_passed: bool | None) -> HumanRecord:
    return HumanRecord(
        passed=passed,
        pending=False,
        score=1.0 if passed else 0.0,
        reviewers=("ann",),
        message="reviewed",
        baseline_passed=baseline_passed,
    )


@pytest.mark.parametrize(
    ("outcome", "reviewed", "critical", "expected"),
    [
        (None, None, False, False),  # no baseline: plain pass/fail
        ("passed", None, False, False),
        ("failed", None, False, True),
        ("failed", None, True, False),  # critical: must pass whatever the baseline says
        ("passed", False, False, True),  # reviewers failed the baseline's answer
        ("passed", True, False, False),
        ("passed", False, True, False),
    ],
)
def test_the_rule_on_a_crafted_baseline(
    outcome: str | None, reviewed: bool | None, critical: bool, expected: bool
) -> None:
    before = None if outcome is None else CaseBaseline(outcome, "earlier")  # type: ignore[arg-type]
    case = _case(critical=critical)
    assert known_failure(case, before, baseline_reviewed=reviewed) is expected
