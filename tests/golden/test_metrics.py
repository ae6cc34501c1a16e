"""Suite metrics: values on hand-computed examples (English and Chinese), params, and properties."""

# Full-width letters, digits and Chinese punctuation are the very data these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import releasegate.golden.metrics
from releasegate.exceptions import ConfigError, UnknownNameError
from releasegate.golden.cases import Expected
from releasegate.golden.checks import CheckResult
from releasegate.golden.metrics import (
    METRICS,
    THRESHOLD_KEYS,
    Metric,
    MetricContext,
    MetricValue,
    ScoredCase,
    build_metric,
)
from releasegate.golden.normalize import cjk_tokens
from releasegate.golden.textsim import corpus_bleu, rouge_scores, sentence_bleu
from releasegate.judge.kinds import register as register_judge

DATA = Path(__file__).parents[1] / "data"
LABELS = ("refund", "shipping", "order_status")
EN = MetricContext(language="en", base_dir=DATA, labels=LABELS)
ZH = MetricContext(language="zh", base_dir=DATA)


def metric(spec: dict[str, Any] | str, context: MetricContext = EN) -> Metric:
    return build_metric(spec, context, where="suite.yaml: metrics[0]")


def case(
    answer: str,
    expected: Expected,
    *,
    passed: bool = False,
    score: float | None = None,
    prediction: Any = None,
    case_id: str = "c",
) -> ScoredCase:
    return ScoredCase(case_id, answer, expected, CheckResult(passed, "", score, prediction))


def test_registry_holds_the_manifest_names() -> None:
    register_judge()  # the judge's entry point may postdate the installed package metadata
    assert set(METRICS) == {
        "accuracy",
        "pass_rate",
        "exact_match",
        "precision",
        "recall",
        "f1",
        "bleu",
        "chrf",
        "rouge1",
        "rouge2",
        "rougeL",
        "field_f1",
        "field_precision",
        "field_recall",
        "mean_score",
        "evaluate",
        "assertion_pass_rate",
        "refusal_rate",
        "over_refusal_rate",
        "leak_rate",
        "human_score",
        "human_pass_rate",
        "perplexity",
        "log_likelihood",
        "judge_score",
        "judge_pass_rate",
        "judge_win_rate",
        "robust_accuracy",
        "consistency",
        "perturbation_accuracy",
    }
    assert frozenset({"min", "max", "max_drop"}) == THRESHOLD_KEYS


# ------------------------------------------------------------------------------ rates and scores


def test_accuracy_and_its_alias() -> None:
    cases = [case("a", "a", passed=True), case("b", "a"), case("c", "c", passed=True)]
    value = metric("accuracy")(cases)
    assert value.value == pytest.approx(2 / 3)
    assert value.per_item == (1.0, 0.0, 1.0)
    alias = metric({"name": "pass_rate", "min": 0.5, "max_drop": 0.1})
    assert alias.name == "pass_rate"
    assert alias(cases).value == pytest.approx(2 / 3)
    assert alias.higher_is_better and alias.bounds == (0.0, 1.0)


def test_empty_suite_scores_zero() -> None:
    for name in ("accuracy", "exact_match", "f1", "bleu", "chrf", "rougeL", "field_f1"):
        assert metric(name)([]) == MetricValue(0.0, ())


def test_exact_match_normalises_and_ignores_the_check() -> None:
    cases = [
        case("退款需要３０天。", "退款需要30天"),  # full-width digits, Chinese full stop
        case("PARIS!", ("London", "paris"), passed=False),
        case("Paris is nice", "paris", passed=True),
        case('```json\n{"city": "上海。"}\n```', {"city": "上海"}),
        case('{"city": "北京"}', {"city": "上海"}),
    ]
    value = metric("exact_match")(cases)
    assert value.per_item == (1.0, 1.0, 0.0, 1.0, 0.0)
    assert value.value == pytest.approx(0.6)


def test_mean_score_counts_missing_scores_as_zero() -> None:
    cases = [case("a", "a", score=1.0), case("b", "b", score=0.5), case("c", "c", score=None)]
    value = metric("mean_score")(cases)
    assert value.value == pytest.approx(0.5)
    assert value.per_item == (1.0, 0.5, 0.0)
    assert metric("mean_score").bounds is None


# ---------------------------------------------------------------------------- classification


LABEL_CASES = [
    case("", "refund", prediction="refund"),
    case("", "refund", prediction="shipping"),
    case("", "shipping", prediction="shipping"),
    case("", "order_status", prediction=None),
    case("", "order_status", prediction="order_status"),
]


@pytest.mark.parametrize(
    ("spec", "name", "expected"),
    [
        ("f1", "f1_macro", 2 / 3),
        ({"name": "precision"}, "precision_macro", 2.5 / 3),
        ({"name": "recall", "average": "macro"}, "recall_macro", 2 / 3),
        ({"name": "precision", "average": "micro"}, "precision_micro", 3 / 4),  # <none> excluded
        ({"name": "recall", "average": "micro"}, "recall_micro", 3 / 5),  # <none> is a miss
        ({"name": "f1", "average": "weighted"}, "f1_weighted", 2 / 3),
        ({"name": "f1", "label": "refund"}, "f1[refund]", 2 / 3),
        ({"name": "precision", "label": "shipping"}, "precision[shipping]", 0.5),
        ({"name": "recall", "label": "shipping"}, "recall[shipping]", 1.0),
    ],
)
def test_precision_recall_f1(spec: dict[str, Any] | str, name: str, expected: float) -> None:
    built = metric(spec)
    assert built.name == name
    value = built(LABEL_CASES)
    assert value.value == pytest.approx(expected)
    assert value.per_item == (1.0, 0.0, 1.0, 0.0, 1.0)


def test_classification_details_hold_per_class_numbers() -> None:
    details = metric("f1")(LABEL_CASES).details
    assert details["precision[refund]"] == pytest.approx(1.0)
    assert details["recall[refund]"] == pytest.approx(0.5)
    assert details["f1[shipping]"] == pytest.approx(2 / 3)
    assert details["support[order_status]"] == 2
    assert not any("<none>" in key for key in details)


def test_classification_without_suite_labels_uses_the_labels_seen() -> None:
    value = metric("f1", MetricContext("zh", DATA))(
        [case("", "退款", prediction="退款"), case("", "物流", prediction=None)]
    )
    # 退款: P=R=F=1; 物流: never predicted, F=0 -> macro 0.5.
    assert value.value == pytest.approx(0.5)


def test_classification_params_are_checked() -> None:
    with pytest.raises(ConfigError, match="either 'average' or 'label'"):
        metric({"name": "f1", "average": "macro", "label": "refund"})
    with pytest.raises(ConfigError, match="'refnd' is not one of the suite's labels"):
        metric({"name": "f1", "label": "refnd"})
    with pytest.raises(ConfigError, match="'average' must be one of 'macro', 'micro', 'weighted'"):
        metric({"name": "f1", "average": "binary"})


# ---------------------------------------------------------------------------------- text metrics


def test_rouge_on_chinese_is_not_zero_and_identical_text_scores_one() -> None:
    cases = [
        case("您可以在七天内申请退款", "七天内可以申请退款"),
        case("退款需要七天。", ("无关", "退款需要七天")),
    ]
    for name in ("rouge1", "rouge2", "rougeL"):
        built = metric(name, ZH)
        assert built.name == name and built.bounds == (0.0, 1.0)
        value = built(cases)
        assert 0.0 < value.per_item[0] < 1.0
        assert value.per_item[1] == pytest.approx(1.0)
        assert value.value == pytest.approx(sum(value.per_item) / 2)


def test_bleu_uses_the_zh_tokenizer_for_chinese() -> None:
    cases = [case("我喜欢吃苹果", "我喜欢吃香蕉"), case("今天天气很好", "今天天气很好")]
    zh = metric("bleu", ZH)(cases)
    en = metric("bleu", MetricContext("en", DATA))(cases)
    assert zh.value > en.value
    assert 0.0 < zh.per_item[0] < 100.0
    assert zh.per_item[1] == pytest.approx(100.0)
    assert en.per_item[0] == 0.0  # 13a sees one unmatched "word"
    assert metric("bleu").bounds == (0.0, 100.0)


def test_bleu_corpus_value_pads_varying_reference_counts() -> None:
    preds = ["the cat sat on the mat", "a dog barked"]
    refs: list[tuple[str, ...]] = [("the cat sat on the mat", "a cat sat"), ("a dog barked",)]
    value = metric("bleu")([case(p, r) for p, r in zip(preds, refs, strict=True)])
    assert value.value == pytest.approx(corpus_bleu(preds, refs, language="en"))
    assert value.value == pytest.approx(100.0)
    assert value.per_item == pytest.approx(
        tuple(sentence_bleu(p, r, language="en") for p, r in zip(preds, refs, strict=True))
    )


def test_chrf() -> None:
    cases = [case("the cat sat", "the cat sat"), case("退款七天", "七天退款")]
    value = metric("chrf")(cases)
    assert value.per_item[0] == pytest.approx(100.0)
    assert 0.0 < value.per_item[1] < 100.0
    assert 0.0 < value.value < 100.0


def test_text_metrics_treat_a_json_expected_as_its_text() -> None:
    value = metric("rougeL")([case('{"city": "上海"}', {"city": "上海"})])
    assert value.value == pytest.approx(1.0)


# ---------------------------------------------------------------------------------- JSON fields


FIELD_CASES = [
    case(
        "",
        {"name": "张三", "city": "上海", "zip": "200000"},
        prediction={"name": "张三", "city": "上海。", "zip": "100000"},
    ),
    case("", {"name": "李四", "city": "北京", "zip": None}, prediction={"name": "李四"}),
    case("Sorry, I cannot.", {"name": "王五", "city": "广州"}, prediction=None),
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("field_precision", 3 / 4), ("field_recall", 3 / 7), ("field_f1", 6 / 11)],
)
def test_field_metrics_are_micro_over_fields(name: str, expected: float) -> None:
    value = metric(name)(FIELD_CASES)
    assert value.value == pytest.approx(expected)
    assert value.per_item == pytest.approx((2 / 3, 2 / 3, 0.0))
    assert value.details == {
        "fields_correct": 3.0,
        "fields_predicted": 4.0,
        "fields_expected": 7.0,
    }


def test_field_metrics_fields_param() -> None:
    value = metric({"name": "field_f1", "fields": ["city"]})(FIELD_CASES)
    # city: right in case 1, not predicted in case 2, missed in case 3 -> P=1, R=1/3.
    assert value.value == pytest.approx(0.5)
    assert value.per_item == pytest.approx((1.0, 0.0, 0.0))


def test_field_metrics_read_the_answer_when_no_json_check_parsed_it() -> None:
    cases = [case('Result: {"city": "上海"}', {"city": "上海"}, prediction=None)]
    assert metric("field_f1")(cases).value == pytest.approx(1.0)


# ------------------------------------------------------------------------------- evaluate modules


def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def test_evaluate_local_module_works_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    offline(monkeypatch)
    spec = {
        "name": "evaluate",
        "module": "evaluate_metrics/exact_ratio",
        "key": "exact_ratio",
        "min": 0.5,
    }
    built = metric(spec)
    assert built.name == "evaluate:exact_ratio"
    assert built.bounds is None and built.higher_is_better
    cases = [case("Paris", "Paris"), case("lyon", ("Lyon", "x")), case("退款", "退款")]
    value = built(cases)
    assert value.value == pytest.approx(2 / 3)
    assert value.per_item == ()

    import evaluate

    calls: list[str] = []
    real_load = evaluate.load

    def counting_load(path: str, **kwargs: Any) -> Any:
        calls.append(path)
        return real_load(path, **kwargs)

    monkeypatch.setattr(evaluate, "load", counting_load)
    by_file = metric(
        {
            "name": "evaluate",
            "module": "evaluate_metrics/exact_ratio/exact_ratio.py",
            "key": "matches",
            "args": {"ignore_case": True},
            "higher_is_better": False,
        }
    )
    assert by_file.name == "evaluate:exact_ratio[matches]"
    assert not by_file.higher_is_better
    assert by_file(cases).value == 3.0
    assert by_file(cases).value == 3.0
    assert len(calls) == 1  # loaded once per metric instance


def test_evaluate_errors_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    offline(monkeypatch)
    with pytest.raises(ConfigError, match="'module' is required"):
        metric({"name": "evaluate", "key": "x"})
    with pytest.raises(ConfigError, match=r"'missing\.py' not found"):
        metric({"name": "evaluate", "module": "missing.py", "key": "x"})
    wrong_key = metric({"name": "evaluate", "module": "evaluate_metrics/exact_ratio", "key": "f"})
    with pytest.raises(ConfigError, match=r"no key 'f' \(its keys: exact_ratio, matches\)"):
        wrong_key([case("a", "a")])
    hub = metric({"name": "evaluate", "module": "surely-not-a-metric-xyz", "key": "score"})
    with pytest.raises(ConfigError, match="cannot load module 'surely-not-a-metric-xyz'") as info:
        hub([case("a", "a")])
    assert "local path" in str(info.value) and "offline" in str(info.value)


# --------------------------------------------------------------------------- names and params


def test_misspelt_metric_name_suggests_the_right_one() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'rougeL'") as info:
        metric("rougel")
    assert str(info.value).startswith("suite.yaml: metrics[0]: unknown metric 'rougel'.")
    with pytest.raises(UnknownNameError, match="Did you mean 'accuracy'"):
        metric("acuracy")


def test_threshold_keys_are_left_to_the_gate_other_keys_rejected() -> None:
    assert metric({"name": "rougeL", "min": 0.1, "max": 0.9, "max_drop": 0.05}).name == "rougeL"
    with pytest.raises(ConfigError) as info:
        metric({"name": "rougeL", "mn": 0.1})
    message = str(info.value)
    assert message.startswith("suite.yaml: metrics[0]: metric 'rougeL': unknown parameter 'mn'")
    assert "Accepted parameters: none." in message
    with pytest.raises(ConfigError, match="Accepted parameters: fields"):
        metric({"name": "field_f1", "field": ["a"]})
    with pytest.raises(ConfigError, match="'args' must be a mapping"):
        metric({"name": "evaluate", "module": "m", "key": "k", "args": [1]})


def test_importing_metrics_loads_no_metric_library() -> None:
    src = Path(releasegate.golden.metrics.__file__).parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")]),
    }
    heavy = ("sklearn", "sacrebleu", "rouge_score", "evaluate", "nltk", "datasets", "torch")
    code = (
        "import sys, releasegate.golden.metrics, releasegate.golden.checks, "
        "releasegate.golden.textsim; "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------------- properties


texts = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from("退款需要七天。，！？３０ＡアイスPay refund 7 days ."),
    ),
    max_size=25,
)
expected_values = st.one_of(
    texts,
    st.lists(texts, min_size=1, max_size=3).map(tuple),
    st.dictionaries(st.sampled_from(["name", "city", "zip"]), st.one_of(texts, st.none())),
)
predictions = st.one_of(
    st.none(),
    st.sampled_from(LABELS),
    st.dictionaries(st.sampled_from(["name", "city", "zip", "x"]), st.one_of(texts, st.none())),
)


@st.composite
def scored_cases(draw: st.DrawFn) -> list[ScoredCase]:
    count = draw(st.integers(min_value=1, max_value=6))
    return [
        ScoredCase(
            f"c{i}",
            draw(texts),
            draw(st.one_of(expected_values, st.sampled_from(LABELS))),
            CheckResult(
                draw(st.booleans()),
                "",
                draw(st.one_of(st.none(), st.floats(0.0, 1.0))),
                draw(predictions),
            ),
        )
        for i in range(count)
    ]


BOUNDED: list[dict[str, Any] | str] = [
    "accuracy",
    "pass_rate",
    "exact_match",
    "precision",
    {"name": "recall", "average": "micro"},
    {"name": "f1", "average": "weighted"},
    {"name": "f1", "label": "refund"},
    "bleu",
    "chrf",
    "rouge1",
    "rouge2",
    "rougeL",
    "field_f1",
    "field_precision",
    "field_recall",
]


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] - 1e-9 <= value <= bounds[1] + 1e-9


@settings(max_examples=60, deadline=None)
@given(scored_cases(), st.sampled_from(["en", "zh"]))
def test_every_metric_stays_within_its_bounds(cases: list[ScoredCase], language: str) -> None:
    context = MetricContext(language=language, base_dir=DATA, labels=LABELS)
    for spec in BOUNDED:
        built = metric(spec, context)
        assert built.bounds is not None
        value = built(cases)
        assert _within(value.value, built.bounds), (built.name, value)
        assert len(value.per_item) == len(cases)
        assert all(_within(item, built.bounds) for item in value.per_item), (built.name, value)
    assert 0.0 <= metric("mean_score", context)(cases).value <= 1.0


@settings(max_examples=50, deadline=None)
@given(scored_cases(), st.randoms(use_true_random=False))
def test_accuracy_rouge_field_f1_ignore_case_order(cases: list[ScoredCase], rng: Any) -> None:
    shuffled = list(cases)
    rng.shuffle(shuffled)
    for name in ("accuracy", "rougeL", "field_f1"):
        built = metric(name, ZH)
        before, after = built(cases), built(shuffled)
        assert before.value == after.value
        by_id = dict(zip((c.case_id for c in cases), before.per_item, strict=True))
        assert after.per_item == tuple(by_id[c.case_id] for c in shuffled)


@settings(max_examples=60, deadline=None)
@given(texts, st.sampled_from(["en", "zh"]))
def test_rouge_of_identical_text_is_one(text: str, language: str) -> None:
    tokens = cjk_tokens(text)
    assume(tokens)
    scores = rouge_scores(text, [text], language=language)
    assert scores["rouge1"] == pytest.approx(1.0)
    assert scores["rougeL"] == pytest.approx(1.0)
    if len(tokens) >= 2:
        assert scores["rouge2"] == pytest.approx(1.0)


def test_metric_parameters_are_the_dataclass_fields_declared_with_param() -> None:
    from releasegate.golden.checks import params_of
    from releasegate.golden.metrics import Accuracy, Classification, EvaluateMetric

    assert params_of(Accuracy) == ()
    assert [p.name for p in params_of(Classification)] == ["average", "label"]
    evaluate = {p.name: p for p in params_of(EvaluateMetric)}
    assert [name for name, p in evaluate.items() if p.required] == ["module", "key"]
    assert evaluate["higher_is_better"].default is True
    with pytest.raises(ConfigError, match="Accepted parameters: none"):
        build_metric({"name": "accuracy", "average": "macro"}, EN, where="suite.yaml")
