"""The suite's metrics reuse the check a case's test already ran on the same answer, and check
again where the answer differs (another worker's answer, a re-generated one)."""

from __future__ import annotations

import json
from pathlib import Path

from releasegate.gate.judging import score_case, score_suite
from releasegate.golden.suites import load_suite


def test_a_judged_case_is_reused_only_for_the_same_answer(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    cases = [
        {"id": "a", "input": "q", "expected": "7 days", "assert": [{"type": "length", "max": 20}]},
        {"id": "b", "input": "q", "expected": "7 days"},
    ]
    (tmp_path / "s.jsonl").write_text(
        "".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8"
    )
    (tmp_path / "s.yaml").write_text("cases: s.jsonl\ncheck: contains\n", encoding="utf-8")
    suite = load_suite(tmp_path / "s.yaml", schemas_dir=tmp_path)
    answers = {"s/a": "in 7 days", "s/b": "never"}
    judged_a = score_case(suite, suite.cases[0], "in 7 days")
    judged_b = score_case(suite, suite.cases[1], "an older answer, 7 days")
    scored = score_suite(suite, answers, judged={"s/a": judged_a, "s/b": judged_b})
    assert scored[0] is judged_a  # same answer: the test's check is the metric's
    assert scored[1] is not judged_b  # another answer: checked again
    assert scored[1].answer == "never" and not scored[1].result.passed
    assert scored == score_suite(suite, answers)  # the same as checking every answer anew
