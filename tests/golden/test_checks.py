"""Per-case checks: each check's verdicts (English and Chinese), its params, and its errors."""

# Full-width letters, digits and Chinese punctuation are the very data these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from releasegate.exceptions import ConfigError, UnknownNameError
from releasegate.golden.checks import (
    CHECKS,
    Check,
    CheckContext,
    CheckResult,
    build_check,
    extract_json_object,
)

ADDRESS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "city": {"type": "string"},
        "zip": {"type": "string", "pattern": "^[0-9]{5,6}$"},
        "floor": {"type": "integer"},
    },
    "required": ["name", "city"],
}


@pytest.fixture
def context(tmp_path: Path) -> CheckContext:
    base = tmp_path / "golden"
    schemas = tmp_path / "schemas"
    base.mkdir()
    schemas.mkdir()
    (schemas / "address.schema.json").write_text(json.dumps(ADDRESS_SCHEMA), encoding="utf-8")
    return CheckContext(
        language="en",
        base_dir=base,
        schemas_dir=schemas,
        labels=("order_status", "refund", "shipping", "退款"),
    )


def make(spec: dict[str, Any] | str, context: CheckContext) -> Check:
    return build_check(spec, context, where="suite.yaml: check")


def test_registry_holds_the_manifest_names() -> None:
    assert set(CHECKS) == {
        "exact",
        "normalized",
        "contains",
        "regex",
        "label",
        "json",
        "similarity",
        "judge",
    }


# ---------------------------------------------------------------------------------------- exact


def test_exact(context: CheckContext) -> None:
    check = make("exact", context)
    assert check.name == "exact"
    assert check("  Paris\n", "Paris").passed
    assert not check("paris", "Paris").passed
    assert check("Lyon", ("Paris", "Lyon")).passed
    result = check("Berlin", ("Paris", "Lyon"))
    assert not result.passed
    assert "Berlin" in result.reason and "Paris" in result.reason
    assert "\n" not in check("a\nb", "c").reason


def test_exact_rejects_a_json_expected(context: CheckContext) -> None:
    check = make("exact", context)
    assert check.validate_expected("x") is None
    assert check.validate_expected(("a", "b")) is None
    assert "JSON object" in (check.validate_expected({"a": 1}) or "")
    assert check.validate_expected(()) is not None


# ----------------------------------------------------------------------------------- normalized


def test_normalized_english_and_chinese(context: CheckContext) -> None:
    check = make({"name": "normalized"}, context)
    assert check("PARIS!", "paris").passed
    assert check("退款需要３０天。", "退款需要30天").passed  # full-width digits, Chinese stop
    assert check("你好，世界！", "你好世界").passed
    assert not check("退款需要31天", "退款需要30天").passed
    assert check("Yes.", ("no", "yes")).passed


def test_normalized_rejects_expected_that_normalises_to_nothing(context: CheckContext) -> None:
    check = make("normalized", context)
    assert check.validate_expected("？！") is not None
    assert check.validate_expected("ok") is None


# ------------------------------------------------------------------------------------- contains


def test_contains_all_reports_missing_keywords(context: CheckContext) -> None:
    check = make("contains", context)
    result = check("您可以申请退款。", ("退款", "7天"))
    assert not result.passed
    assert result.reason == "missing keywords: 7天"
    assert result.score == pytest.approx(0.5)
    result = check("您可以在７天内申请退款。", ("退款", "7天"))  # full-width 7 still matches
    assert result.passed
    assert result.score == 1.0


def test_contains_any(context: CheckContext) -> None:
    check = make({"name": "contains", "mode": "any"}, context)
    assert check("Track your ORDER status here", ("order status", "tracking")).passed
    result = check("No idea", ("refund", "return"))
    assert not result.passed
    assert "refund" in result.reason and "return" in result.reason


def test_contains_keywords_param_overrides_expected(context: CheckContext) -> None:
    check = make({"name": "contains", "keywords": ["refund", "days"]}, context)
    assert check("A refund takes 7 days.", "unused").passed
    assert check.validate_expected({"any": "thing"}) is None
    single = make({"name": "contains", "keywords": "refund"}, context)
    assert single("refund!", "x").passed


def test_contains_single_string_expected_is_one_keyword(context: CheckContext) -> None:
    check = make("contains", context)
    assert check("We ship worldwide, usually in 3 days", "ship worldwide").passed
    assert not check("We ship to France", "ship worldwide").passed


# ---------------------------------------------------------------------------------------- regex


def test_regex_from_expected_and_param(context: CheckContext) -> None:
    check = make("regex", context)
    assert check("Order #12345 shipped", r"#\d{5}").passed
    assert not check("Order shipped", r"#\d{5}").passed
    assert check("B", (r"^A$", r"^B$")).passed
    fixed = make({"name": "regex", "pattern": r"\d+天", "ignore_case": True}, context)
    assert fixed("需要7天", "anything").passed
    insensitive = make({"name": "regex", "ignore_case": True}, context)
    assert insensitive("HELLO world", "hello").passed
    assert not make("regex", context)("HELLO world", "hello").passed


def test_regex_invalid_pattern_is_reported_before_any_call(context: CheckContext) -> None:
    with pytest.raises(ConfigError, match=r"suite\.yaml: check.*pattern.*not a valid regular"):
        make({"name": "regex", "pattern": "(unclosed"}, context)
    check = make("regex", context)
    problem = check.validate_expected(("ok", "[bad"))
    assert problem is not None and "[bad" in problem
    assert check.validate_expected(r"\d+") is None


# ---------------------------------------------------------------------------------------- label


def test_label_earliest_occurrence_wins(context: CheckContext) -> None:
    check = make("label", context)
    result = check("This is about shipping, not a refund.", "shipping")
    assert result.passed
    assert result.prediction == "shipping"
    result = check("Refund. Or maybe shipping.", "shipping")
    assert not result.passed
    assert result.prediction == "refund"
    assert "refund" in result.reason and "shipping" in result.reason


def test_label_underscores_match_spaces(context: CheckContext) -> None:
    check = make("label", context)
    assert check("The label is order status.", "order_status").prediction == "order_status"
    assert check("Label: ORDER_STATUS", "order_status").prediction == "order_status"
    assert check("order-status", "order_status").prediction == "order_status"


def test_label_latin_labels_match_whole_words_chinese_labels_anywhere(
    context: CheckContext,
) -> None:
    check = make("label", context)
    result = check("refunds are handled by a refundable desk", "refund")
    assert result.prediction is None
    assert not result.passed
    assert "no label found" in result.reason
    assert check("这是退款问题", "退款").prediction == "退款"
    assert check("这是refund问题", "refund").prediction == "refund"


def test_label_longest_label_wins_at_the_same_position() -> None:
    ctx = CheckContext("en", Path("."), Path("."), labels=("refund", "refund_request"))
    check = make("label", ctx)
    assert check("refund request", "refund_request").prediction == "refund_request"
    assert check("refund now", "refund").prediction == "refund"


def test_label_params_and_validation(context: CheckContext) -> None:
    check = make({"name": "label", "labels": ["yes", "no"]}, context)
    assert check("Yes!", "yes").passed
    problem = check.validate_expected("maybe")
    assert problem is not None and "maybe" in problem
    assert make("label", context).validate_expected("refnd") is not None
    assert "Did you mean 'refund'" in (make("label", context).validate_expected("refnd") or "")
    assert make("label", context).validate_expected("refund") is None


def test_label_needs_labels_from_somewhere() -> None:
    bare = CheckContext("en", Path("."), Path("."))
    with pytest.raises(ConfigError, match="needs labels"):
        make("label", bare)


# ----------------------------------------------------------------------------------------- json


ADDRESS = {"name": "张三", "city": "上海", "zip": "200000"}


def test_json_all_fields_right_from_a_fenced_block(context: CheckContext) -> None:
    check = make({"name": "json", "schema": "address.schema.json"}, context)
    answer = 'Here it is:\n```json\n{"name": "张三", "city": "上海。", "zip": "200000"}\n```'
    result = check(answer, ADDRESS)
    assert result.passed, result.reason
    assert result.score == 1.0
    assert result.prediction == {"name": "张三", "city": "上海。", "zip": "200000"}


def test_json_first_balanced_object_in_prose(context: CheckContext) -> None:
    check = make({"name": "json", "schema": "address.schema.json"}, context)
    answer = 'Sure {not json} -> {"name": "张三", "city": "北京", "zip": "200000"} done {"x": 1}'
    result = check(answer, ADDRESS)
    assert not result.passed
    assert result.score == pytest.approx(2 / 3)
    assert "city" in result.reason and "北京" in result.reason


def test_json_schema_violation_shows_path_and_message(context: CheckContext) -> None:
    check = make({"name": "json", "schema": "address.schema.json"}, context)
    result = check('{"name": "张三", "city": "上海", "zip": "abc"}', ADDRESS)
    assert not result.passed
    assert "zip" in result.reason and "does not match" in result.reason
    assert result.prediction is not None
    missing = check('{"name": "张三"}', ADDRESS)
    assert not missing.passed
    assert "'city' is a required property" in missing.reason
    assert missing.score == pytest.approx(1 / 3)


def test_json_no_object(context: CheckContext) -> None:
    check = make({"name": "json", "schema": "address.schema.json"}, context)
    result = check("I cannot do that.", ADDRESS)
    assert result == CheckResult(False, result.reason, 0.0, None)
    assert "no JSON object" in result.reason


def test_json_fields_param_limits_the_comparison(context: CheckContext) -> None:
    check = make({"name": "json", "schema": "address.schema.json", "fields": ["city"]}, context)
    result = check('{"name": "李四", "city": "上海"}', ADDRESS)
    assert result.passed
    assert result.score == 1.0
    assert check.validate_expected({"name": "x"}) is not None  # lacks "city"


def test_json_validate_expected_needs_an_object(context: CheckContext) -> None:
    check = make({"name": "json", "schema": "address.schema.json"}, context)
    assert check.validate_expected("a string") is not None
    assert check.validate_expected(ADDRESS) is None


def test_json_schema_resolves_next_to_the_manifest_first(context: CheckContext) -> None:
    (context.base_dir / "local.json").write_text('{"type": "object", "required": ["a"]}')
    check = make({"name": "json", "schema": "local.json"}, context)
    assert not check('{"b": 1}', {"b": 1}).passed
    assert check('{"a": 1, "b": 1}', {"b": 1}).passed


def test_json_missing_or_invalid_schema_is_a_config_error(context: CheckContext) -> None:
    with pytest.raises(ConfigError, match=r"suite\.yaml: check.*'nope\.json' not found"):
        make({"name": "json", "schema": "nope.json"}, context)
    (context.schemas_dir / "broken.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"broken\.json is not valid JSON"):
        make({"name": "json", "schema": "broken.json"}, context)
    (context.schemas_dir / "bad.json").write_text('{"type": "no-such-type"}')
    with pytest.raises(ConfigError, match=r"bad\.json is not a valid JSON schema"):
        make({"name": "json", "schema": "bad.json"}, context)
    with pytest.raises(ConfigError, match="'schema' is required"):
        make("json", context)


@pytest.mark.parametrize(
    ("answer", "parsed"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('```\n{"a": 2}\n``` and ```json\n{"a": 1}\n```', {"a": 1}),
        ('```json\n{broken\n```\n{"a": 3}', {"a": 3}),
        ('text {"a": {"b": "}"}} tail', {"a": {"b": "}"}}),
        ("[1, 2]", None),
        ("{'a': 1}", None),
        ("", None),
    ],
)
def test_extract_json_object(answer: str, parsed: dict[str, Any] | None) -> None:
    assert extract_json_object(answer) == parsed


# ----------------------------------------------------------------------------------- similarity


def test_similarity_rouge_on_chinese(context: CheckContext) -> None:
    zh = CheckContext("zh", context.base_dir, context.schemas_dir)
    check = make({"name": "similarity", "min": 0.5}, zh)
    result = check("您可以在七天内申请退款", "七天内可以申请退款")
    assert result.passed, result.reason
    assert result.score is not None and 0.5 <= result.score < 1.0
    same = check("退款需要七天。", "退款需要七天")
    assert same.score == pytest.approx(1.0)
    assert not check("今天天气很好", "七天内可以申请退款").passed


def test_similarity_bleu_and_chrf_use_their_scale(context: CheckContext) -> None:
    bleu = make({"name": "similarity", "metric": "bleu", "min": 30}, context)
    result = bleu("the cat sat on the mat", ("a dog", "the cat sat on the mat"))
    assert result.passed
    assert result.score == pytest.approx(100.0)
    chrf = make({"name": "similarity", "metric": "chrf", "min": 99}, context)
    assert not chrf("the cat sat", "the cat sat on the mat").passed
    assert "chrf" in chrf("the cat sat", "the cat sat on the mat").reason


def test_similarity_min_must_fit_the_metric_scale(context: CheckContext) -> None:
    with pytest.raises(ConfigError, match=r"min 30 is outside rougeL's range \[0, 1\]"):
        make({"name": "similarity", "min": 30}, context)
    with pytest.raises(ConfigError, match="'min' is required"):
        make({"name": "similarity"}, context)
    with pytest.raises(ConfigError, match="'metric' must be one of 'rougeL', 'bleu', 'chrf'"):
        make({"name": "similarity", "metric": "meteor", "min": 0.5}, context)


# ------------------------------------------------------------------------------- names, params


def test_misspelt_check_name_suggests_the_right_one(context: CheckContext) -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'contains'") as info:
        make("contain", context)
    assert str(info.value).startswith("suite.yaml: check: unknown check 'contain'.")


def test_unknown_param_names_where_check_param_and_accepted(context: CheckContext) -> None:
    with pytest.raises(ConfigError) as info:
        make({"name": "contains", "mod": "any"}, context)
    message = str(info.value)
    assert message.startswith("suite.yaml: check: ")
    assert "check 'contains'" in message
    assert "unknown parameter 'mod'" in message
    assert "Did you mean 'mode'" in message
    assert "Accepted parameters: keywords, mode." in message


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"name": "contains", "mode": "some"}, "parameter 'mode' must be one of 'all', 'any'"),
        ({"name": "contains", "keywords": 5}, "parameter 'keywords' must be a non-empty string"),
        ({"name": "contains", "keywords": ["？"]}, "keyword is empty after normalisation"),
        ({"name": "regex", "ignore_case": "yes"}, "parameter 'ignore_case' must be true or false"),
        ({"name": "similarity", "min": "high"}, "parameter 'min' must be a number"),
        ({"name": "similarity", "min": True}, "parameter 'min' must be a number"),
        ({"name": "exact", "strip": False}, "Accepted parameters: none."),
        ({"name": "label", "labels": ["a", "a"]}, "labels are not unique"),
        ({"mode": "any"}, "needs a 'name'"),
    ],
)
def test_bad_params(context: CheckContext, spec: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        make(spec, context)
    assert fragment in str(info.value)
    assert str(info.value).startswith("suite.yaml: check: ")


def test_results_are_frozen(context: CheckContext) -> None:
    result = make("exact", context)("a", "a")
    with pytest.raises(AttributeError):
        result.passed = False  # type: ignore[misc]


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    answer=st.text(max_size=60) | st.sampled_from(['```json\n{"a": [1, {"b": "}"}]}\n```', "{{{"])
)
def test_no_check_raises_on_any_answer(context: CheckContext, answer: str) -> None:
    specs: list[tuple[dict[str, Any] | str, Any]] = [
        ("exact", "a"),
        ("normalized", ("a", "退款")),
        ("contains", ("退款", "7天")),
        ({"name": "contains", "mode": "any"}, "a"),
        ("regex", r"\d+"),
        ("label", "refund"),
        ({"name": "json", "schema": "address.schema.json"}, ADDRESS),
        ({"name": "similarity", "min": 0.5}, "退款需要七天"),
        ({"name": "similarity", "metric": "bleu", "min": 10}, ("a b c", "退款")),
        ({"name": "similarity", "metric": "chrf", "min": 10}, "abc"),
    ]
    for spec, expected in specs:
        result = make(spec, context)(answer, expected)
        assert isinstance(result, CheckResult)
        assert result.reason and "\n" not in result.reason
        assert result.score is None or result.score >= 0.0


def test_parameters_are_the_dataclass_fields_declared_with_param(context: CheckContext) -> None:
    """A check's parameters, their defaults and their rules are declared once, on its fields."""
    from releasegate.golden.checks import ContainsCheck, SimilarityCheck, params_of

    assert [p.name for p in params_of(SimilarityCheck)] == ["metric", "min"]
    assert [p.name for p in params_of(ContainsCheck)] == ["keywords", "mode"]
    built = make({"name": "similarity", "min": 0.5}, context)
    assert built == SimilarityCheck(min=0.5, language="en")  # metric: the declared default
    assert make("contains", context) == ContainsCheck()
    with pytest.raises(ConfigError, match="Accepted parameters: keywords, mode"):
        make({"name": "contains", "mood": "any"}, context)
