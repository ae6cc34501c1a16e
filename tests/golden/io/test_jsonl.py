"""JSONL case files: one case object per line."""

from __future__ import annotations

from pathlib import Path

from case_file_helpers import (
    DATA,
    raises,
    write,
)

from releasegate.golden.io import CaseRow, load_cases, read_rows

# ------------------------------------------------------------------------------------------------
# JSONL
# ------------------------------------------------------------------------------------------------


def test_jsonl_fixture_reads_every_shape() -> None:
    path = DATA / "shop_faq.jsonl"
    cases = load_cases(path, suite="shop_faq")
    assert [case.key for case in cases] == [
        "shop_faq/hours",
        "shop_faq/2",
        "shop_faq/refund-chat",
        "shop_faq/order.json",
    ]
    hours, ship, refund, order = cases
    assert hours.expected == ("9", "18")
    assert hours.check == {"name": "contains", "mode": "all"}
    assert hours.tags == ("faq",)
    assert hours.source == f"{path}:1"
    assert ship.id == "2"
    assert ship.source == f"{path}:3"  # line 2 is blank
    assert ship.critical
    assert ship.extra == {"notes": "owner: ops"}
    assert ship.check is None
    assert refund.input == (
        {"role": "system", "content": "You are the shop's assistant."},
        {"role": "user", "content": "I want my money back."},
    )
    assert refund.check == {"name": "label"}
    assert order.expected == {"order": 17, "status": "shipped"}
    assert order.check == {"name": "json", "schema": {"type": "object"}}


def test_read_rows_keeps_rows_as_parsed() -> None:
    rows = read_rows(DATA / "shop_faq.jsonl")
    assert [row.line for row in rows] == [1, 3, 4, 5]
    assert rows[1] == CaseRow(
        line=3,
        data={
            "id": 2,
            "input": "Do you ship to Canada?",
            "expected": "yes",
            "tags": ["faq", "critical"],
            "notes": "owner: ops",
        },
    )


def test_malformed_jsonl_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.jsonl",
        '{"id": 1, "input": "a", "expected": "b"}\n\n{"id": 2, "input": "c" "expected": "d"}\n',
    )
    error = raises(path)
    assert str(error) == (
        f"{path}, line 3: not valid JSON: Expecting ',' delimiter (column 24): each line must be "
        'one JSON object, like {"id": "q1", "input": "...", "expected": "..."}'
    )
    assert (error.path, error.line, error.field) == (path, 3, None)


def test_jsonl_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.jsonl", '[{"id": 1, "input": "a", "expected": "b"}]\n')
    assert str(raises(path)) == (
        f"{path}, line 1: the line holds a list, not a JSON object: each line must be one case "
        'object, like {"id": "q1", "input": "...", "expected": "..."}'
    )


def test_jsonl_duplicate_key(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.jsonl", '{"id": 1, "input": "a", "expected": "b", "id": 2}\n')
    assert str(raises(path)) == (
        f"{path}, line 1: key 'id' appears twice in the same object: keep only one of them"
    )


def test_jsonl_with_bom_and_crlf(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.jsonl",
        b"\xef\xbb\xbf" + b'{"id": 1, "input": "a", "expected": "b"}\r\n\r\n'
        b'{"id": 2, "input": "c", "expected": "d"}\r\n',
    )
    assert [c.source for c in load_cases(path, suite="demo")] == [f"{path}:1", f"{path}:3"]


def test_jsonl_not_utf8(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.jsonl",
        b'{"id": 1, "input": "a", "expected": "b"}\n'
        + '{"id": 2, "input": "中文", "expected": "b"}\n'.encode("gbk"),
    )
    error = raises(path)
    assert str(error) == (
        f"{path}, line 2: cannot be decoded (byte 0xd6 is not valid utf-8): save the file as "
        "UTF-8, or set 'encoding:' in the manifest to its encoding"
    )
