"""Judging one case against the baseline: status, failure message, record."""

from __future__ import annotations

import json
from typing import Any

import pytest

from releasegate.core.records import Prediction
from releasegate.gate.baselines import CaseBaseline
from releasegate.gate.judging import CaseVerdict, failure_message, judge_case
from releasegate.golden.cases import GoldenCase
from releasegate.golden.checks import CheckResult


def golden_case(*, critical: bool = False, **changes: Any) -> GoldenCase:
    fields: dict[str, Any] = {
        "suite": "shop_faq",
        "id": "q7",
        "input": "How long does a refund take?",
        "expected": ("7 days", "seven days"),
        "tags": ("critical", "refund") if critical else ("refund",),
        "source": "fixtures/golden/shop_faq.jsonl:7",
    }
    fields.update(changes)
    return GoldenCase(**fields)


def verdict(
    passed: bool,
    before: str | None,
    *,
    critical: bool = False,
    answer: str = "It takes about two weeks.",
    prompt: str = "<|user|>How long does a refund take?<|assistant|>",
    baseline_answer: str = "Refunds take 7 days.",
    case: GoldenCase | None = None,
    prediction: Any = None,
) -> CaseVerdict:
    reason = "found keyword: 7 days" if passed else "none of the keywords found: 7 days, seven days"
    return judge_case(
        case or golden_case(critical=critical),
        check_name="contains",
        result=CheckResult(passed, reason, score=1.0 if passed else 0.0, prediction=prediction),
        prediction=Prediction(
            prompt=prompt, answer=answer, output_tokens=6, seconds=0.123456, cached=False
        ),
        baseline=None if before is None else CaseBaseline(before, baseline_answer),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("passed", "before", "critical", "status"),
    [
        (True, None, False, "passed"),
        (True, None, True, "passed"),
        (True, "passed", False, "passed"),
        (True, "passed", True, "passed"),
        (True, "failed", False, "improvement"),
        (True, "failed", True, "improvement"),
        (False, None, False, "failed"),
        (False, None, True, "failed"),
        (False, "passed", False, "regression"),
        (False, "passed", True, "regression"),
        (False, "failed", False, "known failure"),
        (False, "failed", True, "failed"),  # critical: must pass whatever the baseline says
    ],
)
def test_status(passed: bool, before: str | None, critical: bool, status: str) -> None:
    judged = verdict(passed, before, critical=critical)
    assert judged.status == status
    assert judged.passed is passed


def test_failure_message_says_what_was_asked_expected_answered_and_why() -> None:
    message = failure_message(verdict(False, "passed"))
    assert message.startswith("shop_faq/q7 ")
    assert "regression" in message
    assert '"7 days"' in message and '"seven days"' in message
    assert "It takes about two weeks." in message
    assert "none of the keywords found: 7 days, seven days" in message
    assert "contains" in message
    assert "Refunds take 7 days." in message
    assert "How long does a refund take?" in message
    assert "fixtures/golden/shop_faq.jsonl:7" in message


def test_failure_message_of_critical_known_failure_says_critical() -> None:
    message = failure_message(verdict(False, "failed", critical=True))
    assert "critical" in message
    assert "known failure" not in message


def test_failure_message_of_known_failure() -> None:
    message = failure_message(verdict(False, "failed"))
    assert "known failure" in message
    assert "critical" not in message


def test_failure_message_without_baseline_has_no_baseline_answer() -> None:
    message = failure_message(verdict(False, None))
    assert "baseline" not in message


def test_failure_message_shows_an_empty_answer() -> None:
    message = failure_message(verdict(False, None, answer=""))
    assert "(empty answer)" in message


def test_failure_message_keeps_multiline_answers_aligned() -> None:
    message = failure_message(verdict(False, None, answer="line one\nline two"))
    lines = message.splitlines()
    first = next(i for i, line in enumerate(lines) if "line one" in line)
    assert lines[first + 1].strip() == "line two"
    assert lines[first + 1].index("line two") == lines[first].index("line one")


def test_failure_message_shows_a_json_expected_value() -> None:
    case = golden_case(expected={"city": "杭州", "zip": "310000"})
    message = failure_message(verdict(False, None, case=case))
    assert '{"city": "杭州", "zip": "310000"}' in message


def test_long_prompts_are_elided_in_the_middle() -> None:
    head, tail = "HEAD-" + "a" * 2000, "b" * 2000 + "-TAIL"
    prompt = head + "MIDDLE-MARKER" + tail
    message = failure_message(verdict(False, None, prompt=prompt), prompt_limit=200)
    assert "HEAD-" in message
    assert "-TAIL" in message
    assert "MIDDLE-MARKER" not in message
    assert f"{len(prompt) - 200} characters" in message
    assert len(message) < 1000
    short = failure_message(verdict(False, None, prompt="short prompt"), prompt_limit=200)
    assert "characters ..." not in short


def test_default_prompt_limit_elides_very_long_prompts() -> None:
    prompt = "x" * 50_000
    assert len(failure_message(verdict(False, None, prompt=prompt))) < 5000


def test_record_is_json_serialisable_and_complete() -> None:
    case = golden_case(
        input=({"role": "user", "content": "退款要多久"},),
        expected={"days": 7},
        extra={"owner": "ops"},
    )
    judged = verdict(False, "passed", case=case, prediction={"days": 14})
    record = judged.to_record().to_json()
    round_tripped = json.loads(json.dumps(record, ensure_ascii=False))
    assert round_tripped == record
    assert record["kind"] == "case"
    assert record["key"] == "shop_faq/q7"
    assert record["suite"] == "shop_faq" and record["id"] == "q7"
    assert record["input"] == [{"role": "user", "content": "退款要多久"}]
    assert record["expected"] == {"days": 7}
    assert record["prediction"] == {"days": 14}
    assert record["status"] == "regression"
    assert record["passed"] is False
    assert record["baseline"] == "passed"
    assert record["baseline_answer"] == "Refunds take 7 days."
    assert record["tags"] == ["refund"]
    assert record["critical"] is False
    assert record["seconds"] == pytest.approx(0.1235)


def test_record_without_baseline() -> None:
    record = verdict(True, None).to_record().to_json()
    assert record["baseline"] is None
    assert record["baseline_answer"] is None
    assert record["status"] == "passed"
    assert record["expected"] == ["7 days", "seven days"]
    json.dumps(record)
