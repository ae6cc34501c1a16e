"""Cases as the judge reads them: the question and the expected answer as text."""

from __future__ import annotations

from pathlib import Path

from judge_project import judged_suite

from releasegate.judge.items import pair_item, pointwise_item

CASES = [
    {"id": "plain", "input": "How long do refunds take?", "expected": "Within 5 days."},
    {
        "id": "chat",
        "input": [
            {"role": "system", "content": "You are a shop assistant."},
            {"role": "user", "content": "Do you ship abroad?"},
        ],
        "expected": ["Yes.", "Yes, to 30 countries."],
    },
    {
        "id": "open",
        "input": "Tell me a joke.",
        "expected": "",
        "check": {"name": "regex", "pattern": "\\S"},
    },
]


def test_a_case_becomes_question_and_expected_text(tmp_path: Path) -> None:
    suite = judged_suite(tmp_path, "", cases=CASES)
    plain, chat, open_ = suite.cases
    assert pointwise_item(plain, "5 days.") == (
        "plain",
        "How long do refunds take?",
        "Within 5 days.",
        "5 days.",
    )
    item = pointwise_item(chat, "Yes.")
    assert item.question == "system: You are a shop assistant.\n\nuser: Do you ship abroad?"
    assert item.expected == '["Yes.", "Yes, to 30 countries."]'
    assert pointwise_item(open_, "Knock knock.").expected == ""
    assert pair_item(plain, "new", "old") == (
        "plain",
        "How long do refunds take?",
        "Within 5 days.",
        "new",
        "old",
    )
