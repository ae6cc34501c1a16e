"""Assertions per case: each type on real answers, both polarities, the three outcomes, groups,
weights, critical ones, and the refusals of bad input at load (file, line, field, what to do).

Suites are written to tmp_path and loaded as a user's would be; answers are scored by the one
function the engine scores them with (``releasegate.gate.judging.score_case``).
"""

# ruff: noqa: RUF001  (full-width letters and Chinese punctuation are what is tested)

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from releasegate.exceptions import GoldenFileError
from releasegate.gate.judging import score_case
from releasegate.golden.check_protocol import CheckResult
from releasegate.golden.suites import Suite, load_suite

SCHEMA = {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}


def suite_of(
    tmp_path: Path,
    cases: Sequence[Mapping[str, Any]],
    manifest: str = "",
) -> Suite:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "s.jsonl").write_text(
        "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases), encoding="utf-8"
    )
    (tmp_path / "s.yaml").write_text("cases: s.jsonl\n" + manifest, encoding="utf-8")
    return load_suite(tmp_path / "s.yaml", schemas_dir=tmp_path)


def judged(tmp_path: Path, asserts: Any, answer: str, **case: Any) -> CheckResult:
    suite = suite_of(tmp_path, [{"id": "q", "input": "hi", "assert": asserts, **case}])
    return score_case(suite, suite.cases[0], answer).result


def outcomes(result: CheckResult) -> dict[str, str]:
    return {outcome.name: outcome.outcome for outcome in result.assertions}


@pytest.mark.parametrize(
    ("assertion", "answer", "outcome"),
    [
        ({"type": "contains", "value": "7天"}, "退款会在７天内到账", "pass"),
        ({"type": "contains", "value": ["退款", "7天"]}, "退款很快", "fail"),
        ({"type": "contains_any", "value": ["7天", "七天"]}, "七天内到账", "pass"),
        ({"type": "contains_all", "value": ["refund", "7 days"]}, "Refund: 7 DAYS.", "pass"),
        ({"type": "starts_with", "value": "您好"}, "您好！退款7天到账", "pass"),
        ({"type": "starts_with", "value": "您好"}, "退款7天到账，您好", "fail"),
        ({"type": "ends_with", "value": "thank you"}, "Done. Thank you!", "pass"),
        ({"type": "equals", "value": "yes"}, "Yes.", "pass"),
        ({"type": "equals", "value": "yes"}, "Yes, sure", "fail"),
        ({"type": "regex", "value": r"\d+\s*天"}, "3 天", "pass"),
        ({"type": "regex", "value": "refund", "ignore_case": True}, "REFUND", "pass"),
        ({"type": "length", "max": 10}, "0123456789", "pass"),
        ({"type": "length", "max": 9}, "0123456789", "fail"),
        ({"type": "length", "min": 3, "unit": "words"}, "退款 ok", "pass"),  # 退, 款, ok
        ({"type": "length", "max": 2, "unit": "words"}, "退款 ok", "fail"),
        ({"type": "json_schema", "value": SCHEMA}, 'Sure: {"city": "Paris"}', "pass"),
        ({"type": "json_schema", "value": SCHEMA}, 'Sure: {"town": "Paris"}', "fail"),
        ({"type": "json_schema", "value": SCHEMA}, "Paris, I think", "unscored"),
        ({"type": "mentions", "value": {"PayPal": ["贝宝"]}}, "请用贝宝付款", "pass"),
        ({"type": "mentions", "value": ["eBay"]}, "we ship to ebayville", "fail"),  # boundary
        ({"type": "mentions", "value": ["京东"]}, "去京东买吧", "pass"),  # no boundary in CJK
        ({"type": "refusal"}, "I'm sorry, but I can't help with that.", "pass"),
        ({"type": "refusal"}, "抱歉，我无法提供该信息。", "pass"),
        ({"type": "refusal"}, "抱歉让您久等了，退款7天到账。", "fail"),  # polite, not a refusal
        ({"type": "refusal"}, "Refunds take 7 days. " * 8 + "I can't say more.", "fail"),
        ({"type": "exact", "value": "42"}, " 42 ", "pass"),
        (
            {"type": "similarity", "value": "refund in seven days", "min": 0.5},
            "refund in 7 days",
            "pass",
        ),
    ],
)
def test_each_type_reads_the_answer(
    tmp_path: Path, assertion: dict[str, Any], answer: str, outcome: str
) -> None:
    result = judged(tmp_path, [assertion], answer)
    (only,) = result.assertions
    assert only.outcome == outcome, only.reason
    assert result.outcome == outcome


@pytest.mark.parametrize(
    "answer",
    [
        "Pay with ＰａｙＰａｌ today",  # full-width letters
        "Pay with Pay\u200bPal today",  # a zero-width space inside the word
        "Pay with PAYPAL today",  # case
        "可以選擇貨到付款",  # traditional characters
        "可以选择货到\u200d付款",  # a zero-width joiner
    ],
)
def test_a_must_not_catches_what_folding_reveals(tmp_path: Path, answer: str) -> None:
    asserts = [
        {"type": "not-contains", "value": "PayPal", "name": "no-paypal"},
        {"type": "not-contains", "value": "货到付款", "name": "no-cod"},
    ]
    result = judged(tmp_path, asserts, answer)
    assert "fail" in outcomes(result).values()
    assert not result.passed


def test_a_must_contain_keeps_the_lighter_reading(tmp_path: Path) -> None:
    # Positive matches normalise width, case and punctuation, not traditional characters: the
    # author asked for 货到付款 in simplified characters.
    assert (
        judged(tmp_path, [{"type": "contains", "value": "货到付款"}], "貨到付款").outcome == "fail"
    )
    result = judged(tmp_path, [{"type": "contains", "value": "PayPal"}], "ＰＡＹＰＡＬ")
    assert result.outcome == "pass"


def test_negated_regex_also_searches_the_folded_answer(tmp_path: Path) -> None:
    phone = [{"type": "not-regex", "value": r"1\d{10}", "name": "no-phone"}]
    assert judged(tmp_path, phone, "请拨打客服热线").passed
    assert not judged(tmp_path, phone, "请拨打13812345678").passed
    assert not judged(tmp_path, phone, "请拨打１３８１２３４５６７８").passed  # full-width digits


def test_not_inverts_pass_and_fail_and_the_prefix_is_the_same(tmp_path: Path) -> None:
    for spec in (
        {"type": "not-contains", "value": "x"},
        {"type": "contains", "value": "x", "not": True},
    ):
        assert judged(tmp_path, [spec], "x marks").outcome == "fail"
        assert judged(tmp_path, [spec], "nothing").outcome == "pass"


def test_not_never_turns_unscored_into_a_pass(tmp_path: Path) -> None:
    negated_group = {"not": True, "any": [{"type": "json_schema", "value": SCHEMA}]}
    result = judged(tmp_path, [negated_group], "no JSON here")
    assert result.unscored and not result.passed
    assert result.outcome == "unscored"
    assert {o.outcome for o in result.assertions} == {"unscored"}
    assert result.reason.startswith("unscored")


def test_an_unscored_token_length_is_never_a_pass(tmp_path: Path) -> None:
    suite = suite_of(
        tmp_path,
        [{"id": "q", "input": "hi", "assert": [{"type": "length", "max": 5, "unit": "tokens"}]}],
    )
    unknown = score_case(suite, suite.cases[0], "short").result
    assert unknown.outcome == "unscored"
    assert score_case(suite, suite.cases[0], "short", output_tokens=3).result.passed
    assert not score_case(suite, suite.cases[0], "short", output_tokens=9).result.passed


def test_a_failing_critical_assertion_fails_the_case_whatever_the_threshold(tmp_path: Path) -> None:
    group = {
        "all": [
            {"type": "contains", "value": "退款"},
            {"type": "contains", "value": "7天"},
            {"type": "not-contains", "value": "货到付款", "critical": True, "name": "no-cod"},
        ],
        "threshold": 0.5,
    }
    passing = judged(tmp_path, group, "退款7天")
    assert passing.passed
    # two of three pass (weighted 0.67 >= 0.5): the threshold alone would pass it
    failing = judged(tmp_path, group, "退款7天，支持货到付款")
    assert not failing.passed
    assert "critical no-cod failed" in failing.reason
    below = judged(tmp_path, group, "请联系客服")
    assert not below.passed and "threshold" in below.reason


def test_a_critical_assertion_inside_an_any_group_still_fails_the_case(tmp_path: Path) -> None:
    group = [
        {
            "any": [
                {"type": "contains", "value": "退款"},
                {"type": "not-contains", "value": "PayPal", "critical": True},
            ]
        }
    ]
    result = judged(tmp_path, group, "退款请用PayPal")
    assert not result.passed  # the any group passed, its critical member did not


def test_weight_zero_is_reported_only(tmp_path: Path) -> None:
    asserts = [
        {"type": "contains", "value": "退款"},
        {"type": "starts_with", "value": "您好", "weight": 0, "name": "greets"},
    ]
    result = judged(tmp_path, asserts, "退款7天")
    assert result.passed
    assert outcomes(result)["greets"] == "fail"


def test_weights_decide_a_threshold(tmp_path: Path) -> None:
    group = {
        "all": [
            {"type": "contains", "value": "退款", "weight": 3},
            {"type": "contains", "value": "7天", "weight": 1},
        ],
        "threshold": 0.75,
    }
    assert judged(tmp_path, group, "退款很快").passed  # 3 of 4
    assert not judged(tmp_path, group, "7天").passed  # 1 of 4


def test_at_least_counts_passes_and_unscored_ones(tmp_path: Path) -> None:
    group = {
        "at_least": {
            "n": 2,
            "of": [
                {"type": "contains", "value": "退款"},
                {"type": "contains", "value": "7天"},
                {"type": "json_schema", "value": SCHEMA},
            ],
        }
    }
    assert judged(tmp_path, [group], "退款7天").passed
    assert judged(tmp_path, [group], "退款").outcome == "unscored"  # the schema could decide it
    assert judged(tmp_path, [group], "hello").outcome == "fail"


def test_the_cases_check_is_the_first_member(tmp_path: Path) -> None:
    result = judged(
        tmp_path, [{"type": "not-contains", "value": "PayPal"}], "Paris", expected="Paris"
    )
    assert result.passed
    assert [o.type for o in result.assertions] == ["check", "not-contains"]
    wrong = judged(
        tmp_path, [{"type": "not-contains", "value": "PayPal"}], "Rome", expected="Paris"
    )
    assert not wrong.passed and wrong.reason.startswith("check")


def test_suite_assertions_come_first_and_names_stay_unique(tmp_path: Path) -> None:
    manifest = (
        "entities:\n  competitors: {Amazon: [亚马逊], 淘宝: [taobao]}\n"
        "assert:\n"
        "  - {type: not-mentions, value: competitors, critical: true, name: no-competitor}\n"
        "  - {type: length, max: 40}\n"
    )
    suite = suite_of(
        tmp_path,
        [
            {"id": "a", "input": "hi", "expected": "ok"},
            {"id": "b", "input": "hi", "assert": [{"type": "length", "max": 20}]},
        ],
        manifest,
    )
    first = score_case(suite, suite.cases[0], "ok, or try 亞馬遜").result
    assert not first.passed and "no-competitor" in first.reason  # traditional 亞馬遜
    second = score_case(suite, suite.cases[1], "fine").result
    assert [o.name for o in second.assertions] == ["no-competitor", "length", "length #2"]
    assert "no-competitor" in suite.assertion_names


def test_identical_specs_share_one_built_check(tmp_path: Path) -> None:
    asserts = [{"type": "not-contains", "value": "PayPal"}]
    suite = suite_of(
        tmp_path, [{"id": str(i), "input": "hi", "assert": asserts} for i in range(50)]
    )
    assert len({id(suite.check_for(case)) for case in suite.cases}) == 1


BAD = [
    (
        [{"type": "contians", "value": "x"}],
        "assert[0]: unknown assertion type 'contians'. Did you mean 'contains'?",
    ),
    ([{"type": "not-length", "max": 3}], "'length' cannot be negated"),
    ([{"type": "length", "max": 3, "not": True}], "'length' cannot be negated"),
    (
        [{"at_least": {"n": 3, "of": [{"type": "contains", "value": "a"}]}}],
        "at_least n is 3, but its list has 1",
    ),
    ([{"type": "regex", "value": "(unclosed"}], "not a valid regular expression"),
    ([{"type": "length", "max": "two hundred"}], "max must be a number"),
    ([{"type": "not-contains", "value": ["a", "b"]}], "write not-contains_any"),
    ([{"type": "not-contains", "value": "a", "not": True}], "negated twice"),
    ([{"any": [{"type": "contains", "value": "a"}], "all": []}], "one group per item"),
    ([{"type": "contains", "value": "a", "weight": -1}], "weight must not be negative"),
    ([{"type": "mentions", "value": "rivals"}], "no entity list named 'rivals'"),
    ([{"type": "contains"}], "needs a value"),
    ([{"type": "contains", "value": "a", "colour": "red"}], "unknown key 'colour'"),
    ([{"type": "equals"}], "reads the expected answer, and this case has none"),
]


@pytest.mark.parametrize(("asserts", "message"), BAD)
def test_bad_assertions_are_refused_at_load_naming_file_line_and_field(
    tmp_path: Path, asserts: Any, message: str
) -> None:
    with pytest.raises(GoldenFileError) as info:
        suite_of(
            tmp_path,
            [
                {"id": "ok", "input": "hi", "expected": "x"},
                {"id": "bad", "input": "hi", "assert": asserts},
            ],
        )
    error = info.value
    assert error.path == (tmp_path / "s.jsonl").resolve()
    assert error.line == 2
    assert error.field in ("assert", "expected")
    assert message in str(error)


def test_a_bad_suite_assertion_names_the_manifest(tmp_path: Path) -> None:
    with pytest.raises(GoldenFileError) as info:
        suite_of(
            tmp_path,
            [{"id": "ok", "input": "hi", "expected": "x"}],
            "assert:\n  - {type: regex, value: '[a-'}\n",
        )
    assert info.value.path == tmp_path / "s.yaml"
    assert info.value.field == "assert"
    assert "not a valid regular expression" in str(info.value)


def test_a_check_without_an_expected_answer_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GoldenFileError, match="names a check but has no expected") as info:
        suite_of(
            tmp_path,
            [{"id": "bad", "input": "hi", "check": "exact", "assert": [{"type": "refusal"}]}],
        )
    assert info.value.field == "check"


def test_a_case_without_expected_or_assertions_is_still_refused(tmp_path: Path) -> None:
    with pytest.raises(GoldenFileError, match="required field missing") as info:
        suite_of(tmp_path, [{"id": "bad", "input": "hi"}])
    assert info.value.field == "expected"


def test_a_negated_group_reads_its_members_as_must_nots(tmp_path: Path) -> None:
    # However the negation is written (a not- type, or a not on the group around it), the
    # member reads the answer folded hard: traditional characters do not slip past.
    group = [{"not": True, "any": [{"type": "contains", "value": "货到付款"}]}]
    assert judged(tmp_path, group, "您可以選擇貨到付款").outcome == "fail"
    assert judged(tmp_path, group, "不支持").outcome == "pass"
    # Negated twice, the member is a must-contain again, and reads as one.
    twice = [{"not": True, "any": [{"type": "not-contains", "value": "货到付款"}]}]
    assert judged(tmp_path, twice, "可以货到付款").outcome == "pass"
    assert judged(tmp_path, twice, "可以貨到付款").outcome == "fail"


def test_a_case_assertion_may_not_take_a_name_the_suite_gives(tmp_path: Path) -> None:
    manifest = "assert:\n  - {type: not-contains, value: PayPal, name: no-rival}\n"
    taken = [{"type": "not-contains", "value": "Amazon", "name": "no-rival"}]
    with pytest.raises(GoldenFileError, match="'no-rival' is already given by the suite") as info:
        suite_of(tmp_path, [{"id": "a", "input": "hi", "assert": taken}], manifest)
    assert info.value.line == 1 and info.value.field == "assert"
    # unnamed ones that meet are told apart, as two of a case's own named alike are
    suite = suite_of(
        tmp_path,
        [{"id": "a", "input": "hi", "assert": [{"type": "not-contains", "value": "PayPal"}]}],
        "assert:\n  - {type: not-contains, value: PayPal}\n",
    )
    result = score_case(suite, suite.cases[0], "ok").result
    assert [o.name for o in result.assertions] == [
        "not-contains 'PayPal'",
        "not-contains 'PayPal' #2",
    ]


def test_a_must_not_says_when_it_found_a_term_only_folded(tmp_path: Path) -> None:
    cod = [{"type": "not-contains", "value": "货到付款", "name": "no-cod"}]
    (folded,) = judged(tmp_path, cod, "可以選擇貨到付款").assertions
    assert folded.outcome == "fail" and "read folded" in folded.reason
    (plain,) = judged(tmp_path, cod, "可以选择货到付款").assertions
    assert plain.outcome == "fail" and "read folded" not in plain.reason
