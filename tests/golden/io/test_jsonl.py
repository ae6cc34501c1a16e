"""JSONL case files: one case object per line."""

from __future__ import annotations

import json
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
    path = write(tmp_path / "faq.jsonl", '{"id": 1, "input": "a", "expected": "b"}\n[1, 2]\n')
    assert str(raises(path)) == (
        f"{path}, line 2: the line holds a list, not a JSON object: each line must be one case "
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
    # named like a CSV's: the line, the encodings that read it and the manifest line to write
    assert str(error) == (
        f"{path}, line 2: the file is not UTF-8 (byte 0xd6 on this line is not valid UTF-8) and "
        "its encoding is not certain: it reads as big5 (Traditional Chinese), cp949 (Korean) or "
        "euc_jis_2004. Open it, see which shows the text right, and write that in the manifest, "
        "e.g. the line 'encoding: big5'; or save the file from its program as UTF-8"
    )


def test_a_long_gbk_jsonl_file_is_refused_naming_gb18030(tmp_path: Path) -> None:
    # the evidence that reads a CSV as GB18030 names it for JSON Lines, which is never guessed
    rows = [
        {"id": n, "input": "退货需要什么材料请告诉我", "expected": "需要购物小票和原包装"}
        for n in range(8)
    ]
    text = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n"
    path = write(tmp_path / "faq.jsonl", text.encode("gbk"))
    assert str(raises(path)) == (
        f"{path}, line 1: the file is not UTF-8 (byte 0xcd on this line is not valid UTF-8) but "
        "GB18030 (GBK, Simplified Chinese): JSON Lines files are UTF-8. Save the file as UTF-8, or "
        "write the line 'encoding: gb18030' in the manifest"
    )
    cases = load_cases(path, suite="demo", encoding="gb18030")
    assert [c.input for c in cases] == [row["input"] for row in rows]


ONE_PER_LINE = (
    'write one object per line, like {"id": "q1", "input": "...", "expected": "..."} (e.g. '
    "with jq -c '.[]' for an array, or jq -c . for pretty-printed objects)"
)


def test_a_json_array_in_a_jsonl_file_says_so(tmp_path: Path) -> None:
    cases = [{"id": n, "input": "a", "expected": "b"} for n in (1, 2)]
    for name, content, line in (
        ("one-line.jsonl", json.dumps(cases), 1),
        ("indented.jsonl", "\n" + json.dumps(cases, indent=2), 2),
        ("compact.jsonl", "[\n" + ",\n".join(json.dumps(c) for c in cases) + "\n]\n", 1),
        ("broken.jsonl", "[\n" + json.dumps(cases[0]) + "\n", 1),  # never closed
    ):
        path = write(tmp_path / name, content)
        assert str(raises(path)) == f"{path}, line {line}: this file is a JSON array, not " + (
            f"JSON Lines: {ONE_PER_LINE}"
        ), name


def test_pretty_printed_objects_in_a_jsonl_file_say_so(tmp_path: Path) -> None:
    first = json.dumps({"id": 1, "input": "a", "expected": "b"})
    second = json.dumps({"id": 2, "input": "c", "expected": "d"}, indent=2)
    path = write(tmp_path / "faq.jsonl", f"{first}\r\n\r\n{second}\r\n")
    assert second.count("\n") == 4
    assert str(raises(path)) == (
        f"{path}, line 3: this file is pretty-printed JSON (the value that starts on this line "
        f"ends on line 7): {ONE_PER_LINE}"
    )
    # a line that is merely broken is still called not valid JSON
    path = write(tmp_path / "broken.jsonl", f'{first}\n{{"id": 2, "input": \n"c"\n')
    assert str(raises(path)).startswith(f"{path}, line 2: not valid JSON: ")
