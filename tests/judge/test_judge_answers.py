"""The text of each reviewed answer, found in the runs written here (the review memory keeps only
its hash): the review's own run first, then the others; an answer no run holds is named."""

from __future__ import annotations

import os
from pathlib import Path

from releasegate.judge.answers import find_answers
from releasegate.review.records import ReviewRecord, answer_hash
from tiny_project import write_run

CASES = [
    {"id": "hello", "input": "Say hello.", "expected": "hello"},
    {"id": "refund", "input": "Can I get my money back?", "expected": "30 days"},
]


def reviewed(case_id: str, answer: str, run_id: str) -> ReviewRecord:
    return ReviewRecord(
        "tiny", case_id, answer_hash(answer), "r", {"overall": 4}, "ann", run_id=run_id
    )


def test_each_reviewed_answer_is_found_in_its_run_or_another(tmp_path: Path) -> None:
    write_run(tmp_path, "run-1", {"hello": "Hi!", "refund": "No."}, cases=CASES)
    write_run(
        tmp_path, "run-2", {"hello": "Hello there.", "refund": "Yes, within 30 days."}, cases=CASES
    )
    os.utime(tmp_path / "reports" / "run-1" / "results.json", (1, 1))
    records = [
        reviewed("hello", "Hi!", "run-1"),
        reviewed("refund", "Yes, within 30 days.", "run-gone"),  # its run was deleted
        reviewed("refund", "Maybe.", "run-1"),  # in no run at all
    ]
    found = find_answers(tmp_path / "reports", "tiny", records)
    assert set(found.items) == {
        ("hello", answer_hash("Hi!")),
        ("refund", answer_hash("Yes, within 30 days.")),
    }
    item = found.items[("refund", answer_hash("Yes, within 30 days."))]
    assert (item.case_id, item.question, item.expected, item.answer) == (
        "refund",
        "Can I get my money back?",
        "30 days",
        "Yes, within 30 days.",
    )
    assert found.missing == (("refund", answer_hash("Maybe.")),)
    assert found.named_missing() == f"refund (answer {answer_hash('Maybe.')})"


def test_answers_of_another_suite_are_not_taken(tmp_path: Path) -> None:
    write_run(tmp_path, "run-1", {"hello": "Hi!"}, cases=CASES, suite="other")
    found = find_answers(tmp_path / "reports", "tiny", [reviewed("hello", "Hi!", "run-1")])
    assert not found.items and len(found.missing) == 1
