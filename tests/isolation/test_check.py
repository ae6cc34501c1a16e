"""The isolation check on the repository's own suites and demo training file."""

# ruff: noqa: RUF001

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from releasegate.exceptions import TrainDataError
from releasegate.golden.suites import Suite, discover_suites
from releasegate.isolation import check_isolation, describe_leak, golden_texts

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "fixtures" / "train" / "shop_policy.jsonl"


@pytest.fixture(scope="module")
def suites() -> list[Suite]:
    return discover_suites(ROOT / "fixtures" / "golden", schemas_dir=ROOT / "fixtures" / "schemas")


def planted(tmp_path: Path, question: str, *, at: int) -> Path:
    """A copy of the demo training file with one row asking *question*, inserted at line *at*."""
    lines = TRAIN.read_text(encoding="utf-8").splitlines()
    row = {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": "请联系客服。"},
        ]
    }
    lines.insert(at - 1, json.dumps(row, ensure_ascii=False))
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_demo_training_file_holds_no_golden_case(suites: list[Suite]) -> None:
    report = check_isolation(suites, [TRAIN], threshold=0.7, cache_dir=None, root=ROOT)
    assert report.rows == 210
    assert report.leaks == ()
    assert report.checked["cs_zh"] > 36  # every input, and the expected answers


def test_a_planted_question_is_found_with_file_row_text_and_similarity(
    suites: list[Suite], tmp_path: Path
) -> None:
    path = planted(tmp_path, "怎么取消订单?", at=42)
    report = check_isolation(suites, [path], threshold=0.7, cache_dir=None)
    (leak,) = report.of_suite("cs_zh")
    assert (leak.case_id, leak.part, leak.row, leak.field) == (
        "zh-cancel-order",
        "input",
        42,
        "messages[0].content",
    )
    assert leak.file == str(path) and leak.train_text == "怎么取消订单?"
    assert leak.exact and leak.similarity == 1.0
    message = report.message("cs_zh")
    assert f"{path} row 42 (messages[0].content) '怎么取消订单?': exact" in message


def test_a_near_duplicate_reports_its_similarity(suites: list[Suite], tmp_path: Path) -> None:
    path = planted(tmp_path, "请问付款后多久发货呀？", at=3)
    (leak,) = check_isolation(suites, [path], threshold=0.5, cache_dir=None).of_suite("cs_zh")
    assert leak.case_id == "zh-dispatch-time" and not leak.exact
    assert 0.5 <= leak.similarity < 1.0
    assert f"similarity {leak.similarity:.2f}" in describe_leak(leak)


def test_labels_and_short_texts_are_not_looked_for(suites: list[Suite]) -> None:
    texts = golden_texts(suites)
    intents = [t for t in texts if t.suite == "intents"]
    assert intents and all(t.part == "input" for t in intents)
    assert not any(t.text.strip().lower() == "yes" for t in texts)


def test_the_result_is_cached_by_the_data_signature(suites: list[Suite], tmp_path: Path) -> None:
    path = planted(tmp_path, "怎么取消订单?", at=5)
    cache = tmp_path / "cache"
    first = check_isolation(suites, [path], threshold=0.7, cache_dir=cache)
    again = check_isolation(suites, [path], threshold=0.7, cache_dir=cache)
    assert not first.cached and again.cached and again.leaks == first.leaks
    # Same data, same answer; a changed file (new mtime and size) is checked again.
    path.write_text(TRAIN.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(path, ns=(1, 1))
    fresh = check_isolation(suites, [path], threshold=0.7, cache_dir=cache)
    assert not fresh.cached and fresh.leaks == ()


def test_rows_without_text_are_counted_in_the_message_and_record(
    suites: list[Suite], tmp_path: Path
) -> None:
    """Regression: rows whose known fields held no string were passed over without a word."""
    path = planted(tmp_path, "怎么取消订单?", at=5)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[9] = json.dumps({"messages": [{"role": "user", "text": "怎么取消订单?"}]})
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = check_isolation(suites, [path], threshold=0.7, cache_dir=tmp_path / "cache")
    assert report.rows_without_text == 1 and report.textless_shown == (f"{path} row 10",)
    message = report.message("cs_zh")
    assert f"1 training row(s) gave no text and were not looked in: {path} row 10;" in message
    assert report.record("cs_zh").details["rows_without_text"] == 1.0
    again = check_isolation(suites, [path], threshold=0.7, cache_dir=tmp_path / "cache")
    assert again.cached and again.rows_without_text == 1 and again.message("cs_zh") == message


def test_a_training_file_that_gives_no_text_fails_the_check(
    suites: list[Suite], tmp_path: Path
) -> None:
    """Regression: a golden question under ``text`` keys gave "0 texts" and no leak."""
    path = tmp_path / "train.jsonl"
    row = {"messages": [{"role": "user", "text": "怎么取消订单?"}]}
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(TrainDataError, match="1 rows but no text in the messages layout"):
        check_isolation(suites, [path], threshold=0.7, cache_dir=tmp_path / "cache")
