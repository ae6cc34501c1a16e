"""Training data readers: every container and layout, and each kind of bad input."""

# ruff: noqa: RUF001

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasegate.exceptions import TrainDataError
from releasegate.isolation import read_training_file


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "texts", "fields"),
    [
        (
            {"messages": [{"role": "user", "content": "Q1"}, {"role": "bot", "content": "A1"}]},
            ["Q1", "A1"],
            ["messages[0].content", "messages[1].content"],
        ),
        ({"prompt": "P", "completion": "C"}, ["P", "C"], ["prompt", "completion"]),
        (
            {"instruction": "I", "input": "X", "output": "O"},
            ["I", "X", "O"],
            ["instruction", "input", "output"],
        ),
        ({"instruction": "I", "output": "O"}, ["I", "O"], ["instruction", "output"]),
        ({"question": "Q", "answer": "A", "id": 3}, ["Q", "A"], ["question", "answer"]),
        ({"text": "T", "source": "web"}, ["T"], ["text"]),
    ],
)
def test_layouts_are_recognised_from_field_names(
    tmp_path: Path, row: dict[str, object], texts: list[str], fields: list[str]
) -> None:
    read = read_training_file(write_jsonl(tmp_path / "t.jsonl", [row, row]))
    assert read.rows == 2
    assert read.texts == texts * 2
    assert read.field_of == fields * 2
    assert read.row_of.tolist() == [1] * len(texts) + [2] * len(texts)


def test_jsonl_rows_are_line_numbers_blank_lines_skipped(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a"}\n\n{"text": "b"}\n', encoding="utf-8")
    read = read_training_file(path)
    assert read.texts == ["a", "b"]
    assert read.row_of.tolist() == [1, 3]


def test_named_fields_override_the_layout(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{"q": "question", "a": "answer", "text": "x"}])
    read = read_training_file(path, fields=["q", "a"])
    assert read.texts == ["question", "answer"]


def test_csv_parquet_and_datasets_folder(tmp_path: Path) -> None:
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    csv_path = tmp_path / "t.csv"
    csv_path.write_text("\ufeffquestion,answer\n怎么退货？,在订单页\nQ2,A2\n", encoding="utf-8")
    assert read_training_file(csv_path).texts == ["怎么退货？", "在订单页", "Q2", "A2"]

    rows = [
        {"messages": [{"role": "user", "content": "U"}, {"role": "assistant", "content": "A"}]},
        {"messages": [{"role": "user", "content": "V"}]},
    ]
    parquet = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    read = read_training_file(parquet)
    assert (read.texts, read.row_of.tolist()) == (["U", "A", "V"], [1, 1, 2])

    folder = tmp_path / "ds"
    datasets.Dataset.from_list([{"prompt": "p", "completion": "c"}]).save_to_disk(str(folder))
    assert read_training_file(folder).texts == ["p", "c"]


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(TrainDataError, match=r"nope\.jsonl does not exist; fix the path"):
        read_training_file(tmp_path / "nope.jsonl")


def test_an_unknown_layout_lists_the_fields_found(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{"query": "q", "reply": "r"}])
    with pytest.raises(TrainDataError) as caught:
        read_training_file(path)
    message = str(caught.value)
    assert "t.jsonl: none of the known layouts" in message
    assert "its fields are: query, reply" in message
    assert "train_fields" in message


def test_a_named_field_that_is_missing_is_named(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{"query": "q"}])
    with pytest.raises(TrainDataError, match=r"no field 'reply' \(train_fields\).*query"):
        read_training_file(path, fields=["reply"])


def test_a_corrupt_parquet_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1 this is not parquet at all")
    with pytest.raises(TrainDataError, match=r"t\.parquet: not a readable Parquet file"):
        read_training_file(path)


@pytest.mark.parametrize("content", ["", "\n\n"])
def test_an_empty_training_set_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TrainDataError, match="holds no rows: an empty training set"):
        read_training_file(path)


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a"}\n{"text": \n', encoding="utf-8")
    with pytest.raises(TrainDataError, match="line 2 is not valid JSON"):
        read_training_file(path)


def test_an_unknown_format_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(TrainDataError, match=r"unknown format '\.txt'"):
        read_training_file(path)


@pytest.mark.parametrize(
    ("rows", "held"),
    [
        (
            [{"prompt": 17, "completion": 4.5}, {"prompt": 18, "completion": None}],
            "prompt: int (2); completion: float (1), null (1)",
        ),
        (
            [{"messages": [{"role": "user", "text": "How do I cancel?"}]}],
            "messages: list of object with keys role, text (1)",
        ),
        ([{"question": {"en": "How do I cancel?"}, "answer": ""}], "question: object with keys en"),
    ],
)
def test_a_file_that_gives_no_text_is_an_error_saying_what_its_fields_hold(
    tmp_path: Path, rows: list[dict[str, object]], held: str
) -> None:
    """Regression: such a file read as 0 texts and the isolation check passed on it."""
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    with pytest.raises(TrainDataError) as error:
        read_training_file(path)
    message = str(error.value)
    assert f"training data {path}: {len(rows)} rows but no text in the " in message
    assert held in message
    assert "train_fields ([tool.releasegate]) or --train-fields" in message
    assert "How do I cancel" not in message  # what the fields hold, not the data itself


def test_named_fields_that_give_no_text_are_an_error_naming_train_fields(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{"q": 1, "a": 2, "body": "text here"}])
    with pytest.raises(TrainDataError, match=r"no text in the fields q, a \(train_fields\)"):
        read_training_file(path, fields=["q", "a"])


def test_rows_without_text_are_kept_by_row(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "t.jsonl",
        [
            {"prompt": "P1", "completion": "C1"},
            {"prompt": 2, "completion": None},
            {"prompt": "P3", "completion": 3},
            {"prompt": [], "completion": ""},
        ],
    )
    read = read_training_file(path)
    assert read.texts == ["P1", "C1", "P3"]
    assert read.rows_without_text == (2, 4)
