"""The short cuts that make ten assertions per case cheap (issue 23's numbers), held to the
results of the long way: an answer's must-not reading reused from its positive reading only where
the light folding changed nothing, each group combined in one pass (counts, weights, reasons), the
case's check as a member built once, critical assertions looked for only where a case has one.

Suites are written to tmp_path and loaded as a user's would be; answers are scored by the
function the engine scores them with.
"""

# ruff: noqa: RUF001  (full-width letters are what is tested)

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from releasegate.gate.judging import score_case
from releasegate.golden.answer_text import AnswerText, fold_light, fold_strict
from releasegate.golden.check_protocol import CheckResult
from releasegate.golden.normalize import normalize_text
from releasegate.golden.suites import load_suite


def judged(
    tmp_path: Path, asserts: Any, answer: str, manifest: str = "", **case: Any
) -> CheckResult:
    row: dict[str, Any] = {"id": "c1", "input": "q?", "assert": asserts, **case}
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "s.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", "utf-8")
    (tmp_path / "s.yaml").write_text("cases: s.jsonl\n" + manifest, encoding="utf-8")
    suite = load_suite(tmp_path / "s.yaml", schemas_dir=tmp_path)
    return score_case(suite, suite.cases[0], answer, output_tokens=case.get("tokens")).result


def outcomes(result: CheckResult) -> dict[str, tuple[str, str]]:
    return {o.name: (o.outcome, o.reason) for o in result.assertions}


@pytest.mark.parametrize(
    "raw",
    [
        "Refunds within 30 days, by email.",  # nothing to fold: the positive reading is reused
        "We accept Pay\u200bPal.",  # a zero-width space
        "ＰａｙＰａｌ accepted",  # full-width letters
        "支持貨到付款",  # traditional characters
        "  Ｃａｓｈ on delivery!  ",
    ],
)
def test_every_reading_of_an_answer_is_its_function_of_the_raw_text(raw: str) -> None:
    text = AnswerText(raw)
    assert text.folded == fold_strict(raw)
    assert text.normal == normalize_text(raw)
    assert text.light == fold_light(raw)
    assert text.stripped == raw.strip()
    assert text.reading(True) == fold_strict(raw) and text.reading(False) == normalize_text(raw)
    # read in the other order, the same forms
    again = AnswerText(raw)
    assert again.folded == text.folded and again.normal == text.normal


def test_a_must_not_still_reads_the_harder_folding_where_it_differs(tmp_path: Path) -> None:
    asserts = [
        {"type": "not-contains", "value": "paypal", "name": "no paypal"},
        {"type": "not-contains", "value": "货到付款", "name": "no cod"},
        {"type": "contains", "value": "paypal", "name": "says paypal"},
    ]
    result = judged(tmp_path, asserts, "Pay\u200bPal or 貨到付款")
    seen = outcomes(result)
    assert seen["no paypal"][0] == "fail" and seen["no cod"][0] == "fail"
    # the positive match keeps the lighter reading: the zero-width space still splits the word
    assert seen["says paypal"][0] == "fail"
    assert not result.passed


def test_group_reasons_and_counts_leave_weight_zero_members_out(tmp_path: Path) -> None:
    asserts = [
        {
            "at_least": {
                "n": 2,
                "of": [
                    {"type": "contains", "value": "refund"},
                    {"type": "contains", "value": "email"},
                    {"type": "contains", "value": "phone", "weight": 0},
                ],
            },
            "name": "two of",
        },
        {
            "any": [
                {"type": "contains", "value": "voucher"},
                {"type": "contains", "value": "email"},
            ],
            "name": "either",
        },
        {
            "all": [
                {"type": "contains", "value": "refund", "weight": 3},
                {"type": "contains", "value": "cash", "weight": 1},
            ],
            "threshold": 0.7,
            "name": "mostly",
        },
    ]
    result = judged(tmp_path, asserts, "Refund by email.")
    seen = outcomes(result)
    assert seen["two of"] == ("pass", "2 of 2 passed (at least 2)")
    assert seen["either"] == ("pass", "contains 'email' #2 passed")
    assert seen["mostly"] == ("pass", "weighted 0.75 >= threshold 0.7")
    assert result.passed and result.reason == "all 3 passed"

    result = judged(tmp_path, asserts, "No.")
    seen = outcomes(result)
    assert seen["two of"] == ("fail", "0 of 2 passed, fewer than 2")
    assert seen["either"][0] == "fail" and seen["either"][1].startswith("none passed (")
    assert seen["mostly"] == (
        "fail",
        "weighted 0.00 < threshold 0.7 (failed: contains 'refund' #2, contains 'cash')",
    )
    assert result.reason.startswith("two of: 0 of 2 passed")


def test_negation_flips_a_group_and_never_an_unscored_one(tmp_path: Path) -> None:
    asserts = [
        {"not": True, "any": [{"type": "contains", "value": "cash"}], "name": "no cash"},
        {"not": True, "all": [{"type": "length", "unit": "tokens", "max": 5}], "name": "n"},
    ]
    result = judged(tmp_path, asserts, "Card only.")
    seen = outcomes(result)
    assert seen["no cash"][0] == "pass"
    assert seen["n"][0] == "unscored"  # token count not known: unscored, negated or not
    assert result.outcome == "unscored" and not result.passed


def test_a_critical_assertion_deep_in_a_group_still_fails_the_case(tmp_path: Path) -> None:
    asserts = {
        "threshold": 0.5,
        "all": [
            {"type": "contains", "value": "refund"},
            {"type": "contains", "value": "email"},
            {"any": [{"type": "not-contains", "value": "cash", "critical": True, "name": "c"}]},
        ],
    }
    result = judged(tmp_path, asserts, "Refund by email, or cash.")
    assert not result.passed and result.reason.startswith("critical c failed")
    # the same without critical: the threshold passes it
    asserts["all"][2]["any"][0]["critical"] = False
    assert judged(tmp_path, asserts, "Refund by email, or cash.").passed


def test_a_suite_level_critical_one_fails_a_case_without_its_own(tmp_path: Path) -> None:
    manifest = 'assert: [{type: not-contains, value: "cash on delivery", critical: true}]\n'
    result = judged(
        tmp_path,
        [{"type": "contains", "value": "refund", "weight": 5}],
        "Refund, cash on delivery.",
        manifest=manifest + "check: normalized\n",
        expected="Refund, cash on delivery.",
    )
    names = [o.name for o in result.assertions]
    assert names[0] == "check (normalized)"  # the case's check, reported first
    assert not result.passed and result.reason.startswith("critical not-contains")


@pytest.mark.parametrize("answer", ["refund", "cash"])
def test_two_cases_sharing_one_spec_are_judged_apart(tmp_path: Path, answer: str) -> None:
    """One AssertedCheck serves every case with the same spec: nothing of one answer may stay
    on it for the next."""
    rows: list[Mapping[str, Any]] = [
        {"id": f"c{i}", "input": f"q{i}?", "assert": [{"type": "not-contains", "value": "cash"}]}
        for i in range(2)
    ]
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    (tmp_path / "s.yaml").write_text("cases: s.jsonl\n", encoding="utf-8")
    suite = load_suite(tmp_path / "s.yaml", schemas_dir=tmp_path)
    assert suite.check_for(suite.cases[0]) is suite.check_for(suite.cases[1])
    first = score_case(suite, suite.cases[0], answer).result
    second = score_case(suite, suite.cases[1], "refund" if answer == "cash" else "cash").result
    assert first.passed == (answer == "refund")
    assert second.passed == (answer == "cash")


def test_contains_reasons_name_what_was_found_and_what_was_missing(tmp_path: Path) -> None:
    asserts = [
        {"type": "contains_all", "value": ["refund", "email", "phone"], "name": "all"},
        {"type": "contains_any", "value": ["refund", "email", "phone"], "name": "any"},
        {"type": "contains_all", "value": ["cash", "voucher"], "name": "none"},
        {"type": "contains_any", "value": ["cash", "voucher"], "name": "any none"},
        {"type": "contains_all", "value": ["refund", "email"], "name": "both"},
        {"type": "contains_any", "value": ["refund", "email"], "name": "any both"},
    ]
    seen = outcomes(judged(tmp_path, asserts, "Refund by email."))
    assert seen["all"] == ("fail", "not found: 'phone'")
    assert seen["any"] == ("pass", "found 'refund', 'email'")
    assert seen["none"] == ("fail", "not found: 'cash', 'voucher'")
    assert seen["any none"] == ("fail", "none of 'cash', 'voucher' found")
    assert seen["both"] == ("pass", "found 'refund', 'email'")
    assert seen["any both"] == ("pass", "found 'refund', 'email'")


def test_one_term_folded_for_each_polarity_apart(tmp_path: Path) -> None:
    """The folded terms are memoised by term and polarity: a traditional term a must-contain
    reads as written and a must-not reads as simplified, in one suite."""
    asserts = [
        {"type": "contains", "value": "貨到付款", "name": "says it"},
        {"type": "not-contains", "value": "貨到付款", "name": "must not"},
    ]
    seen = outcomes(judged(tmp_path, asserts, "支持货到付款"))
    assert seen["says it"][0] == "fail"  # written in simplified: not the traditional term
    assert seen["must not"][0] == "fail"  # folded: caught all the same


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("call 555 0100", "fail"),  # found in the answer as it is
        ("call 555\u200b 0100", "fail"),  # found only once the zero-width space is removed
        ("no number here", "pass"),  # the folded answer is the answer: searched once, absent
    ],
)
def test_a_negated_regex_searches_the_folded_answer_only_where_it_differs(
    tmp_path: Path, answer: str, outcome: str
) -> None:
    asserts = [{"type": "not-regex", "value": r"\d{3} \d{4}", "name": "no phone"}]
    assert outcomes(judged(tmp_path, asserts, answer))["no phone"][0] == outcome
