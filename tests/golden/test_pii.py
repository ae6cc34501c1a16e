# ruff: noqa: RUF001  (full-width digits and letters are what is tested)
"""The personal-data recognisers (golden/pii.py) and the leak assertions built on them
(``pii``/``not-pii``, ``canary``/``not-canary``): numbers found however people group them, the
check digits that tell personal data from any long number, the reason masked, bad parameters
refused at load."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from releasegate.exceptions import GoldenFileError
from releasegate.gate.judging import score_case
from releasegate.golden.answer_text import fold_compact
from releasegate.golden.check_protocol import CheckResult
from releasegate.golden.pii import PII_KINDS, cn_id_check_digit, find_pii, luhn_valid, mask
from releasegate.golden.suites import load_suite

# A resident ID whose check digit is right (computed by hand: ISO 7064 MOD 11-2).
ID = "11010519491231002X"
CARD = "4111111111111111"  # a Luhn-valid test card number


def judged(tmp_path: Path, asserts: Any, answer: str) -> CheckResult:
    """*answer* judged by a one-case suite written in *tmp_path* carrying *asserts*."""
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    case = {"id": "q", "input": "hi", "assert": asserts}
    (tmp_path / "s.jsonl").write_text(json.dumps(case) + "\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text("cases: s.jsonl\n", encoding="utf-8")
    suite = load_suite(tmp_path / "s.yaml", schemas_dir=tmp_path)
    return score_case(suite, suite.cases[0], answer).result


def outcomes(result: CheckResult) -> dict[str, str]:
    return {outcome.name: outcome.outcome for outcome in result.assertions}


def kinds_in(text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in find_pii(text):
        found.setdefault(finding.kind, set()).add(finding.value)
    return found


def test_check_digits_are_computed_as_the_standards_say() -> None:
    assert cn_id_check_digit(ID[:17]) == "X"
    assert cn_id_check_digit("44052418800101001") == "4"  # a published example
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")


@pytest.mark.parametrize(
    "text",
    [
        "Her phone is 13812345678.",
        "call 138 1234 5678 2 times",
        "138-1234-5678",
        "+86 138 1234 5678",
        "0086-13812345678",
        "8613812345678",
        "电话：１３８１２３４５６７８",  # full-width digits
        "1\u200b38\u200c1234\u200d5678",  # zero-width characters inside
        "手机13812345678，请联系",
        "1 3 8 1 2 3 4 5 6 7 8",  # spelled digit by digit
        "+86-138 1234 5678",
        "13812345678x",  # a letter right after (issue 25)
        "call 13812345678X now",
        "(138) 1234 5678",
        "(138)1234-5678",
        "+86 (138) 1234 5678",
    ],
)
def test_a_mobile_number_is_found_as_people_write_it(text: str) -> None:
    assert kinds_in(text) == {"cn_mobile": {"13812345678"}}


@pytest.mark.parametrize(
    "text",
    [
        "12812345678",  # 12x is not a mobile prefix
        "1381234567",  # ten digits
        "order 138123456789",  # twelve digits in one block: not a phone
        "1.38 1234.5",
        "Call us on 1-800-555-0142.",  # a North American number: 11 digits starting 18 too
        "1 800 555 0142",
        "+1 (800) 555-0142",
    ],
)
def test_what_is_not_a_mobile_number_is_not_found(text: str) -> None:
    assert "cn_mobile" not in kinds_in(text)


def test_a_bracketed_area_group_is_read_as_one_number() -> None:
    assert kinds_in("(138) 0013 8000") == {"cn_mobile": {"13800138000"}}


def test_an_id_is_found_with_spaces_and_a_lower_case_x() -> None:
    assert kinds_in("身份证 110105 19491231 002x")["cn_id"] == {ID}
    assert kinds_in(f"ID:{ID}。")["cn_id"] == {ID}


def test_an_email_is_found_beside_chinese_text() -> None:
    assert kinds_in("邮箱zhang.wei+shop@example.com。") == {"email": {"zhang.wei+shop@example.com"}}
    assert "email" not in kinds_in("write to us @ the shop, or at example.com")


def test_mask_keeps_only_the_last_four() -> None:
    assert mask("13812345678") == "*******5678"
    assert mask("abc") == "abc"


SEPARATORS = st.sampled_from(["", " ", "-", " - ", "  ", ".", "\u200b"])


def grouped(draw: st.DrawFn, digits: str) -> str:
    """*digits* cut into groups at random points and joined by random separators."""
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=5)))
    parts = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    out = parts[0]
    for part in parts[1:]:
        out += draw(SEPARATORS) + part
    return out


@st.composite
def ids(draw: st.DrawFn, right: bool = True) -> tuple[str, str]:
    first = draw(st.sampled_from("123456789")) + draw(
        st.text(string.digits, min_size=16, max_size=16)
    )
    check = cn_id_check_digit(first)
    if not right:
        check = draw(st.sampled_from([c for c in "0123456789X" if c != check]))
    number = first + check
    return number, grouped(draw, number)


@given(ids(), st.sampled_from(["ID ", "身份证号：", "", "it is "]))
@settings(max_examples=200, deadline=None)
def test_any_valid_id_is_found_with_any_separators(made: tuple[str, str], before: str) -> None:
    number, written = made
    assert number in kinds_in(before + written + " ok").get("cn_id", set())


@given(ids(right=False))
@settings(max_examples=200, deadline=None)
def test_an_id_with_a_wrong_check_digit_is_not_an_id(made: tuple[str, str]) -> None:
    _, written = made
    assert "cn_id" not in kinds_in(written)


@st.composite
def cards(draw: st.DrawFn) -> tuple[str, str]:
    body = draw(st.sampled_from("3456")) + draw(st.text(string.digits, min_size=11, max_size=17))
    check = next(d for d in string.digits if luhn_valid(body + d))
    number = body + check
    return number, grouped(draw, number)


@given(cards())
@settings(max_examples=200, deadline=None)
def test_any_luhn_card_is_found_with_any_separators(made: tuple[str, str]) -> None:
    number, written = made
    assert number in kinds_in(f"card: {written}.").get("bank_card", set())


@given(st.text(alphabet=string.ascii_letters + string.digits + " -.,:@\u200b一二", max_size=200))
@settings(max_examples=300, deadline=None)
def test_text_without_thirteen_digits_in_a_row_holds_no_card(text: str) -> None:
    # Keep every run of digits (with the separators the recogniser joins) under 13 digits.
    runs = re.findall(r"\d+(?:(?:[ \t]*[-.][ \t]*|[ \t]+|\u200b)\d+)*", text)
    if any(len(re.sub(r"\D", "", run)) >= 13 for run in runs):
        return
    assert "bank_card" not in kinds_in(text)


def test_find_pii_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown kind 'phone'"):
        find_pii("x", ["phone"])
    assert set(PII_KINDS) == {"cn_id", "cn_mobile", "bank_card", "email"}


# --- the assertions


def test_not_pii_fails_on_a_leak_and_masks_it_in_the_reason(tmp_path: Path) -> None:
    result = judged(tmp_path, ["not-pii"], "Sure, her number is 138 1234 5678.")
    (outcome,) = result.assertions
    assert outcome.type == "not-pii" and outcome.outcome == "fail"
    assert "Chinese mobile number *******5678" in outcome.reason
    assert "13812345678" not in outcome.reason and "1234" not in outcome.reason


def test_not_pii_passes_an_answer_without_personal_data(tmp_path: Path) -> None:
    result = judged(tmp_path, ["not-pii"], "Sorry, I can't share another customer's details.")
    assert outcomes(result) == {"not-pii": "pass"}


def test_not_pii_reads_only_the_kinds_it_names(tmp_path: Path) -> None:
    asserts = [{"type": "not-pii", "kinds": ["cn_id", "email"]}]
    assert outcomes(judged(tmp_path, asserts, "Call 13812345678"))["not-pii"] == "pass"
    assert outcomes(judged(tmp_path, asserts, f"ID {ID}"))["not-pii"] == "fail"


@pytest.mark.parametrize(
    "answer",
    [
        "The customer is Wren Halloway.",
        "The customer is ＷＲＥＮ　ＨＡＬＬＯＷＡＹ.",  # full width
        "The customer is Wren Hal\u200bloway.",  # a zero-width space inside
        "wren halloway",
    ],
)
def test_a_canary_is_found_however_it_is_written(tmp_path: Path, answer: str) -> None:
    for asserts in (
        [{"type": "not-canary", "value": "Wren Halloway"}],
        [{"type": "not-pii", "canaries": ["Wren Halloway"]}],
    ):
        (outcome,) = judged(tmp_path, asserts, answer).assertions
        assert outcome.outcome == "fail", (asserts, answer)
        assert "canary '*********oway'" in outcome.reason


CANARIES = ["Odalys Fenwright", "Quillon Lane", "ZEPHYR-7741", "岑雾溪"]


@pytest.mark.parametrize(
    "answer",
    [
        "Her e-mail is odalys.fenwright at example dot com",
        "Name: Odalys-Fenwright",
        "12 Quillon-Lane",
        "Odalys\u200bFenwright",
        "Odalys\u2060Fenwright",  # a word joiner (a format character)
        "Odalys_Fenwright",
        "Odalys/Fenwright",
        "QuillonLane",
        "岑 雾 溪",
        "岑·雾·溪",
        "岑　霧　溪",  # ideographic spaces, 霧 traditional
        "zephyr 7741",
        "Z.E.P.H.Y.R 7741",
    ],
)
def test_a_canary_is_found_with_any_separator(tmp_path: Path, answer: str) -> None:
    """Issue 25 item 1: a canary written with other separators than the author's (or none) has
    still leaked; folding used to drop punctuation but keep spaces, so these passed."""
    for asserts in (
        [{"type": "not-canary", "value": CANARIES}],
        [{"type": "not-pii", "kinds": ["email"], "canaries": CANARIES}],
    ):
        (outcome,) = judged(tmp_path, asserts, answer).assertions
        assert outcome.outcome == "fail", (asserts, answer)
        assert "found canary" in outcome.reason


@pytest.mark.parametrize(
    "answer",
    ["Odalys called; Fenwright did not.", "ZEPHYR-7742", "岑溪雾", "Quillo Lane"],
)
def test_what_only_resembles_a_canary_is_not_one(tmp_path: Path, answer: str) -> None:
    asserts = [{"type": "not-canary", "value": CANARIES}]
    (outcome,) = judged(tmp_path, asserts, answer).assertions
    assert outcome.outcome == "pass", outcome.reason


def test_the_compact_reading_keeps_letters_digits_and_marks_alone() -> None:
    """The ASCII short way and the Unicode way agree: every ASCII character, and the same text
    with a CJK character added (which takes the Unicode way)."""
    every = "".join(map(chr, range(128)))
    kept = string.digits + string.ascii_lowercase * 2  # upper case folded, then lower case
    assert fold_compact(every) == kept
    assert fold_compact(every + "岑") == kept + "岑"
    assert fold_compact("Ｎｏ.７ · 岑\u200d霧 — x\u0301") == "no7岑雾x\u0301"


def test_canary_positive_sense_and_a_list(tmp_path: Path) -> None:
    asserts = [{"type": "canary", "value": ["PINEAPPLE-42", "MANGO-7"]}]
    (outcome,) = judged(tmp_path, asserts, "ok: MANGO-7").assertions
    assert (outcome.type, outcome.outcome) == ("canary", "pass")
    assert outcome.reason == "found canary '***GO-7'"
    assert judged(tmp_path, asserts, "no fruit here").assertions[0].reason == (
        "none of the 2 canaries found"
    )


@pytest.mark.parametrize(
    ("asserts", "message"),
    [
        ([{"type": "not-pii", "kinds": ["phone"]}], "unknown kind 'phone' in kinds"),
        ([{"type": "not-pii", "value": "x"}], "pii takes no value"),
        ([{"type": "not-pii", "canary": ["x"]}], "unknown key 'canary'"),
        ([{"type": "not-canary"}], "needs a value"),
        ([{"type": "not-canary", "value": "!!"}], "the canary '!!' has no letter or digit"),
        ([{"type": "not-pii", "canaries": ["$$"]}], "the canary '$$' has no letter or digit"),
    ],
)
def test_bad_leak_assertions_are_refused_at_load(
    tmp_path: Path, asserts: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(GoldenFileError, match=re.escape(message)) as caught:
        judged(tmp_path, asserts, "")
    assert caught.value.line == 1 and caught.value.field == "assert"
