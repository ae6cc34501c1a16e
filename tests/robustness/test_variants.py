# ruff: noqa: RUF001  (Chinese questions and their full-width punctuation are the subject here)
"""A suite's robustness variants, made by loading real suite files (a manifest and a JSONL case
file in tmp_path, English and Chinese questions and a conversation): their ids, inputs, tags,
what they keep of their original, the variants that could not be made, and the same variants
byte for byte in other processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from releasegate.exceptions import GoldenFileError
from releasegate.golden.suites import Suite, load_suite
from tiny_project import write_cases

REPO = Path(__file__).resolve().parents[2]

CHAT = [
    {"role": "system", "content": "You are a shop assistant."},
    {"role": "user", "content": "Hi, where is my parcel?"},
    {"role": "assistant", "content": "Which order?"},
    {"role": "user", "content": "Order A1234, shipped last Monday."},
]
ROWS = [
    {
        "id": "faq-refund",
        "input": "How do I get a refund?",
        "expected": "refund",
        "tags": ["robust"],
        "notes": "asked weekly",
        "assert": [{"type": "contains", "value": "refund"}],
    },
    {"id": "退货", "input": "怎么退货？运费谁付？", "expected": "退货", "tags": ["robust"]},
    {"id": "parcel", "input": CHAT, "expected": "tracking", "tags": ["robust"]},
    {"id": "other", "input": "What are your opening hours?", "expected": "9 to 5"},
]


def write_suite(
    folder: Path, section: Mapping[str, Any], rows: Sequence[Mapping[str, Any]] = ROWS
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_cases(folder / "shop.jsonl", rows)
    path = folder / "shop.yaml"
    document = {"name": "shop_faq", "cases": "shop.jsonl", "check": "contains"}
    document["robustness"] = section  # type: ignore[assignment]
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    (folder / "pyproject.toml").touch()
    return path


def load(path: Path) -> Suite:
    return load_suite(path, schemas_dir=path.parent / "schemas")


def test_variants_are_cases_named_after_their_original_and_perturbation(tmp_path: Path) -> None:
    suite = load(write_suite(tmp_path, {"perturbations": ["typo", "punctuation"], "variants": 2}))
    ids = [variant.id for variant in suite.variants if variant.variant_of == "faq-refund"]
    assert ids == [
        "faq-refund~typo-1",
        "faq-refund~typo-2",
        "faq-refund~punctuation-1",
        "faq-refund~punctuation-2",
    ]
    first = suite.case("faq-refund~typo-1")
    assert first.test_key == "shop_faq/faq-refund~typo-1"
    chinese = [v for v in suite.variants if v.variant_of == "退货"]
    original = suite.case("退货")
    assert [v.test_id for v in chinese] == [f"{original.test_id}~punctuation-{n}" for n in (1, 2)]
    assert [c.id for c in suite.cases] == ["faq-refund", "退货", "parcel", "other"]
    assert [c.id for c in suite.test_cases][:5] == ["faq-refund", *ids]


def test_a_variant_keeps_everything_of_its_original_but_the_question(tmp_path: Path) -> None:
    suite = load(write_suite(tmp_path, {"perturbations": ["paraphrase"], "variants": 3}))
    original = suite.case("faq-refund")
    for n in (1, 2, 3):
        variant = suite.case(f"faq-refund~paraphrase-{n}")
        assert isinstance(variant.input, str) and "ow do I get a refund?" in variant.input
        assert variant.input != original.input
        assert variant.expected == original.expected and variant.check == original.check
        assert variant.assertions == original.assertions
        assert variant.source == original.source and variant.extra == original.extra
        assert variant.tags == ("robust", "variant")
        assert (variant.variant_of, variant.perturbation) == ("faq-refund", "paraphrase")
        assert suite.check_for(variant) == suite.check_for(original)


def test_a_conversation_is_perturbed_in_its_last_user_message_only(tmp_path: Path) -> None:
    suite = load(write_suite(tmp_path, {"perturbations": ["case", "zero_width"]}))
    variants = [v for v in suite.variants if v.variant_of == "parcel"]
    assert len(variants) == 6
    for variant in variants:
        assert isinstance(variant.input, tuple)
        messages = [dict(m) for m in variant.input]
        assert messages[:3] == CHAT[:3]
        assert messages[3]["role"] == "user"
        assert messages[3]["content"] != CHAT[3]["content"]


def test_tags_select_the_cases_that_get_variants(tmp_path: Path) -> None:
    suite = load(write_suite(tmp_path, {"perturbations": ["whitespace"], "tags": ["robust"]}))
    assert {v.variant_of for v in suite.variants} == {"faq-refund", "退货", "parcel"}
    everything = load(write_suite(tmp_path / "all", {"perturbations": ["whitespace"]}))
    assert {v.variant_of for v in everything.variants} == {"faq-refund", "退货", "parcel", "other"}


def test_a_perturbation_that_cannot_act_is_an_unchanged_variant_saying_why(
    tmp_path: Path,
) -> None:
    suite = load(write_suite(tmp_path, {"perturbations": ["typo", "script"], "variants": 3}))
    by_id = {u.id: u for u in suite.unchanged}
    for n in (1, 2, 3):
        typo = by_id[f"退货~typo-{n}"]
        assert typo.reason == (
            "the perturbation 'typo' makes no change to this question: it has no Latin letters "
            "to mistype"
        )
        assert (typo.variant_of, typo.perturbation, typo.suite) == ("退货", "typo", "shop_faq")
        assert typo.test_id == f"{suite.case('退货').test_id}~typo-{n}"
        assert by_id[f"faq-refund~script-{n}"].reason.endswith("it has no Chinese characters")
    assert not any(v.id.startswith("退货~typo") for v in suite.variants)
    assert [v.id for v in suite.variants if v.variant_of == "退货"] == [
        f"退货~script-{n}" for n in (1, 2, 3)
    ]


def test_a_variant_that_would_repeat_an_earlier_one_is_not_made(tmp_path: Path) -> None:
    rows = [{"id": "short", "input": "退货。", "expected": "退货"}]
    suite = load(write_suite(tmp_path, {"perturbations": ["script"]}, rows))
    assert [(v.id, v.input) for v in suite.variants] == [("short~script-1", "退貨。")]
    assert [u.id for u in suite.unchanged] == ["short~script-2", "short~script-3"]
    assert all("makes only 1 different variant" in u.reason for u in suite.unchanged)


def test_a_case_id_that_looks_like_a_variant_is_refused(tmp_path: Path) -> None:
    rows = [*ROWS, {"id": "faq-refund~typo-1", "input": "x", "expected": "y"}]
    with pytest.raises(GoldenFileError, match="has the id of a case in the case file"):
        load(write_suite(tmp_path, {"perturbations": ["typo"]}, rows))


def test_the_seed_changes_the_variants(tmp_path: Path) -> None:
    first = load(write_suite(tmp_path / "a", {"perturbations": ["typo"], "seed": 0}))
    second = load(write_suite(tmp_path / "b", {"perturbations": ["typo"], "seed": 1}))
    assert [v.id for v in first.variants] == [v.id for v in second.variants]
    assert [v.input for v in first.variants] != [v.input for v in second.variants]


ALL_NINE = {
    "perturbations": [
        "width",
        "script",
        "typo",
        "homophone",
        "punctuation",
        "whitespace",
        "zero_width",
        "case",
        "paraphrase",
    ],
    "variants": 4,
    "seed": 3,
}

DUMP = """
import json, sys
from pathlib import Path
from releasegate.golden.suites import load_suite
path = Path(sys.argv[1])
suite = load_suite(path, schemas_dir=path.parent / "schemas")
made = [[v.id, v.test_id, v.input] for v in suite.variants]
made += [[u.id, u.test_id, u.reason] for u in suite.unchanged]
sys.stdout.buffer.write(json.dumps(made, ensure_ascii=False).encode("utf-8"))
"""


def _dump(suite: Suite) -> bytes:
    made: list[list[Any]] = [[v.id, v.test_id, v.input] for v in suite.variants]
    made += [[u.id, u.test_id, u.reason] for u in suite.unchanged]
    return json.dumps(made, ensure_ascii=False).encode("utf-8")


def test_the_same_variants_byte_for_byte_in_two_other_processes(tmp_path: Path) -> None:
    """The issue's determinism test: two fresh interpreters (a restart), with different
    string-hash salts, make exactly the variants of this process."""
    path = write_suite(tmp_path, ALL_NINE)
    here = _dump(load(path))
    assert len(load(path).variants) > 60
    outputs = []
    for salt in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": salt, "PYTHONPATH": str(REPO / "src")}
        done = subprocess.run(
            [sys.executable, "-c", DUMP, str(path)],
            capture_output=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == here


def test_a_conversation_without_a_user_message_is_unchanged_saying_so(tmp_path: Path) -> None:
    rows = [
        {
            "id": "greeting",
            "input": [
                {"role": "system", "content": "You are a shop assistant."},
                {"role": "assistant", "content": "Hello! How can I help?"},
            ],
            "expected": "help",
        },
        {"id": "hello", "input": "Hello there", "expected": "help"},  # typo acts on this one
    ]
    suite = load(write_suite(tmp_path, {"perturbations": ["typo"], "variants": 2}, rows))
    assert all(variant.variant_of == "hello" for variant in suite.variants)
    assert [(u.id, u.reason) for u in suite.unchanged] == [
        (
            f"greeting~typo-{n}",
            "the perturbation 'typo' makes no change to this case: it is a conversation "
            "without a user message to perturb",
        )
        for n in (1, 2)
    ]


def test_a_variant_of_a_critical_case_is_not_critical(tmp_path: Path) -> None:
    rows = [
        {"id": "q", "input": "Can I pay by card?", "expected": "yes", "tags": ["critical", "x"]}
    ]
    suite = load(write_suite(tmp_path, {"perturbations": ["case"], "variants": 2}, rows))
    assert suite.case("q").critical
    assert [(v.tags, v.critical) for v in suite.variants] == [(("x", "variant"), False)] * 2


def test_a_script_variants_answer_is_read_in_its_originals_script(tmp_path: Path) -> None:
    """Asked in traditional characters, a model may answer in them: the original's expected
    answer (written in simplified) must still find what it looks for; the other way round
    too. The case as written is judged on its answer as given."""
    from releasegate.gate.judging import score_case

    rows = [
        {"id": "return", "input": "怎么申请退货？", "expected": ["我的订单"]},
        {"id": "return-tw", "input": "怎麼申請退貨？", "expected": ["我的訂單"]},
    ]
    suite = load(write_suite(tmp_path, {"perturbations": ["script", "width"]}, rows))
    simplified = suite.case("return~script-1")
    assert simplified.input != "怎么申请退货？" and simplified.answer_script == "simplified"
    traditional = suite.case("return-tw~script-1")
    assert traditional.input != "怎麼申請退貨？" and traditional.answer_script == "traditional"
    assert suite.case("return~width-1").answer_script == ""
    answer_tw, answer_zh = "請在「我的訂單」頁面申請退貨。", "请在“我的订单”页面申请退货。"
    assert score_case(suite, simplified, answer_tw).result.passed
    assert score_case(suite, simplified, answer_tw).answer == answer_tw  # kept as given
    assert score_case(suite, traditional, answer_zh).result.passed
    assert not score_case(suite, suite.case("return"), answer_tw).result.passed


def test_a_perturbation_that_changes_no_case_of_the_suite_is_refused(tmp_path: Path) -> None:
    """Listed, it would test nothing (each of its variants a skipped test) and a
    ``perturbation_accuracy`` of it would read nothing: refused where it is written."""
    rows = [{"id": "hours", "input": "When are you open?", "expected": "9"}]
    path = write_suite(tmp_path, {"perturbations": ["typo", "script"]}, rows)
    with pytest.raises(GoldenFileError) as error:
        load(path)
    message = str(error.value)
    assert "robustness.perturbations[1]" in message and str(path) in message
    assert "'script' makes no variant of any case" in message
    assert "case 'hours': it has no Chinese characters" in message
