"""Reading golden case files: JSONL, CSV (as Excel writes it) and XLSX."""

# Chinese fixtures use full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import io
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from releasegate.exceptions import GoldenFileError
from releasegate.golden.cases import GoldenCase
from releasegate.golden.io import CaseRow, load_cases, read_rows

DATA = Path(__file__).parents[2] / "data" / "cases"

HEADER = "id,input,expected,tags,notes"


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def make_workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[Any]]]) -> Path:
    """Write an .xlsx with the given sheets; a row of ``None``s leaves that row empty."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row_number, row in enumerate(rows, start=1):
            for column_number, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=row_number, column=column_number, value=value)
    workbook.save(path)
    return path


def raises(path: Path, **kwargs: Any) -> GoldenFileError:
    with pytest.raises(GoldenFileError) as info:
        load_cases(path, suite="demo", **kwargs)
    return info.value


def without_source(cases: Sequence[GoldenCase]) -> list[GoldenCase]:
    return [dataclasses.replace(case, source=case.source.rsplit(":", 1)[1]) for case in cases]


def assert_well_formed(cases: Sequence[GoldenCase], path: Path) -> None:
    assert cases, "load_cases returned no cases instead of raising"
    ids = [case.id for case in cases]
    assert len(set(ids)) == len(ids)
    assert len({case.test_id for case in cases}) == len(ids)
    for case in cases:
        assert isinstance(case, GoldenCase)
        assert case.suite == "demo"
        assert isinstance(case.id, str) and case.id
        assert case.id.strip() and case.test_id
        assert re.fullmatch(r"[A-Za-z0-9._-]+", case.test_id), case.test_id
        if isinstance(case.input, str):
            assert case.input.strip()
        else:
            assert isinstance(case.input, tuple) and case.input
            for message in case.input:
                assert set(message) == {"role", "content"}
                assert message["role"] in ("system", "user", "assistant")
                assert isinstance(message["content"], str)
        if isinstance(case.expected, tuple):
            assert case.expected and all(isinstance(item, str) for item in case.expected)
        else:
            assert isinstance(case.expected, str | Mapping)
        assert isinstance(case.tags, tuple) and all(isinstance(t, str) and t for t in case.tags)
        if case.check is not None:
            assert isinstance(case.check, Mapping) and isinstance(case.check["name"], str)
        assert case.source.startswith(f"{path}:")
        int(case.source.rsplit(":", 1)[1])
        assert not set(case.extra) & {"id", "input", "expected", "tags", "check"}


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


# ------------------------------------------------------------------------------------------------
# Whole-file checks and field validation
# ------------------------------------------------------------------------------------------------


def test_duplicate_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.jsonl",
        '{"id": "a", "input": "x", "expected": "y"}\n'
        '{"id": 7, "input": "x", "expected": "y"}\n'
        '{"id": "b", "input": "x", "expected": "y"}\n'
        '{"id": "7", "input": "x", "expected": "y"}\n',
    )
    error = raises(path)
    assert str(error) == (
        f"{path}, line 4, field 'id': duplicate id '7': line 2 has the same id; ids must be "
        "unique in a suite: rename one of the two cases"
    )
    assert (error.line, error.field) == (4, "id")


def test_case_without_expected(tmp_path: Path) -> None:
    good = [json.dumps({"id": f"q{n}", "input": "x", "expected": "y"}) for n in range(1, 12)]
    path = write(
        tmp_path / "fixtures" / "golden" / "faq.jsonl",
        "\n".join([*good, '{"id": "q12", "input": "x"}']) + "\n",
    )
    error = raises(path)
    assert str(error) == (
        f"{path}, line 12, field 'expected': required field missing: every case needs the answer "
        "it expects"
    )
    assert (error.path, error.line, error.field) == (path, 12, "expected")


def test_missing_field_with_wrong_case_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.jsonl", '{"ID": 1, "input": "x", "expected": "y"}\n')
    assert str(raises(path)) == (
        f"{path}, line 1, field 'id': required field missing: every case needs an id that is "
        "unique in the suite, like \"refund-1\" or 7 (found 'ID': field names are lowercase)"
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("faq.jsonl", ""),
        ("faq.jsonl", "\n  \n\n"),
        ("faq.csv", ""),
        ("faq.csv", "id,input,expected\r\n\r\n,,\r\n"),
    ],
)
def test_empty_case_file(tmp_path: Path, name: str, content: str) -> None:
    path = write(tmp_path / name, content)
    error = raises(path)
    assert str(error) == (
        f"{path}: the case file has no cases: add rows or remove the manifest that points to it"
    )
    assert (error.line, error.field) == (None, None)


def test_empty_workbook(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "faq.xlsx", {"Cases": [[None], ["id", "input", "expected"]]})
    assert str(raises(path)).endswith(
        ": the case file has no cases: add rows or remove the manifest that points to it"
    )


SPREADSHEET_IDS = ["退款 问题/1", "a::b[1]", "a b", "smoke/1", "x[1]", "tab\there", "退款-1", "q1"]


def test_any_non_empty_id_is_kept_as_written(tmp_path: Path) -> None:
    rows = [{"id": case_id, "input": "x", "expected": "y"} for case_id in SPREADSHEET_IDS]
    path = write(tmp_path / "faq.jsonl", "".join(json.dumps(row) + "\n" for row in rows))
    cases = load_cases(path, suite="demo")
    assert [case.id for case in cases] == SPREADSHEET_IDS
    assert [case.key for case in cases] == [f"demo/{case_id}" for case_id in SPREADSHEET_IDS]
    test_ids = [case.test_id for case in cases]
    assert len(set(test_ids)) == len(test_ids)
    for test_id in test_ids:
        assert re.fullmatch(r"[A-Za-z0-9._-]+", test_id), test_id
    assert test_ids[-1] == "q1"  # an id that is already safe is its own test id
    assert test_ids[0].endswith(cases[0].test_id[-8:]) and test_ids[1].startswith("a_b_1-")
    # the same file read again (another run, another worker) gives the same test ids
    assert [case.test_id for case in load_cases(path, suite="demo")] == test_ids


def test_spreadsheet_ids_from_a_workbook(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["id", "input", "expected"]]
    rows += [[case_id, "x", "y"] for case_id in SPREADSHEET_IDS if "\t" not in case_id]
    cases = load_cases(make_workbook(tmp_path / "faq.xlsx", {"Cases": rows}), suite="demo")
    assert [case.id for case in cases] == [row[0] for row in rows[1:]]


def test_ids_whose_safe_forms_meet_stay_unique(tmp_path: Path) -> None:
    # "a b" and "a/b" have the same words; a third id is written as "a b"'s derived test id
    derived = load_cases(
        write(tmp_path / "one.jsonl", '{"id": "a b", "input": "x", "expected": "y"}\n'),
        suite="demo",
    )[0].test_id
    ids = [derived, "a b", "a/b", "a_b"]
    rows = [{"id": case_id, "input": "x", "expected": "y"} for case_id in ids]
    path = write(tmp_path / "faq.jsonl", "".join(json.dumps(row) + "\n" for row in rows))
    cases = load_cases(path, suite="demo")
    test_ids = [case.test_id for case in cases]
    assert len(set(test_ids)) == 4
    assert test_ids[0] == derived and test_ids[3] == "a_b"  # safe ids keep their own
    assert test_ids[1].startswith(derived) and len(test_ids[1]) > len(derived)


def test_id_with_a_control_character(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.jsonl", json.dumps({"id": "a\u001bb", "input": "x", "expected": "y"})
    )
    assert str(raises(path)) == (
        f"{path}, line 1, field 'id': id \"a\\u001bb\" contains the control character U+001B: "
        "remove it (ids are shown in reports and terminals)"
    )
    path = write(tmp_path / "lone.jsonl", '{"id": "a\\ud800", "input": "x", "expected": "y"}')
    assert str(raises(path)) == (
        f"{path}, line 1, field 'id': id \"a\\ud800\" contains U+D800, half of a UTF-16 "
        "surrogate pair and not a character: fix the id"
    )


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (
            {"id": True, "input": "x", "expected": "y"},
            "id",
            'id must be text or a whole number, not true: use a name like "refund-1"',
        ),
        (
            {"id": "", "input": "x", "expected": "y"},
            "id",
            'id is empty: give every case a short unique id, like "refund-1"',
        ),
        (
            {"id": 1, "input": "  ", "expected": "y"},
            "input",
            "input is empty: write the text sent to the model",
        ),
        (
            {"id": 1, "input": "x", "expected": []},
            "expected",
            "expected is an empty list: list at least one acceptable answer",
        ),
        (
            {"id": 1, "input": "x", "expected": 42},
            "expected",
            "expected must be text, a non-empty list of strings or a JSON object, not 42",
        ),
        (
            {"id": 1, "input": "x", "expected": "y", "tags": "critical"},
            "tags",
            'tags must be a list of strings, like ["critical", "refund"], not "critical"',
        ),
        (
            {"id": 1, "input": "x", "expected": "y", "check": {"mode": "any"}},
            "check",
            'check has no \'name\': write it like {"name": "regex", "pattern": "..."}',
        ),
    ],
)
def test_field_errors(tmp_path: Path, row: dict[str, Any], field: str, message: str) -> None:
    path = write(tmp_path / "faq.jsonl", json.dumps(row) + "\n")
    error = raises(path)
    assert str(error) == f"{path}, line 1, field '{field}': {message}"
    assert (error.line, error.field, error.reason) == (1, field, message)


def test_integral_float_id_is_an_integer(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.jsonl", '{"id": 7.0, "input": "x", "expected": "y"}\n')
    assert load_cases(path, suite="demo")[0].id == "7"


def test_unsupported_extension(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.json", "[]")
    assert str(raises(path)) == (
        f"{path}: unsupported case file type '.json': use one of .jsonl, .csv, .tsv, .txt, .xlsx "
        "(a .json file? write one case object per line and name it .jsonl)"
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    assert str(raises(path)) == (
        f"{path}: cannot read the case file (No such file or directory): check the 'cases:' path "
        "in the manifest"
    )


# ------------------------------------------------------------------------------------------------
# Chat-message inputs
# ------------------------------------------------------------------------------------------------


def test_chat_message_inputs(tmp_path: Path) -> None:
    messages = [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": "Capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "And of Italy?"},
    ]
    path = write(
        tmp_path / "chat.jsonl",
        json.dumps({"id": "chat-1", "input": messages, "expected": "Rome"}) + "\n",
    )
    (case,) = load_cases(path, suite="demo")
    assert case.input == tuple(messages)
    assert isinstance(case.input, tuple)


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        (
            [],
            'input is an empty list of chat messages: add at least one, like {"role": "user", '
            '"content": "..."}',
        ),
        (
            [{"role": "user", "content": "hi"}, {"role": "bot", "content": "hello"}],
            'input message 2 of 2 has role "bot": the role must be system, user or assistant',
        ),
        (
            [{"role": "user"}],
            'input message 1 of 1 has no \'content\': write it like {"role": "user", '
            '"content": "..."}',
        ),
        (
            [{"role": "user", "content": ["a"]}],
            'input message 1 of 1 has content ["a"]: the content must be text',
        ),
        (
            [{"role": "user", "content": "a", "name": "bob"}],
            "input message 1 of 1 has the key 'name': a chat message has only 'role' and 'content'",
        ),
        (
            ["hello"],
            'input message 1 of 1 is text, not an object like {"role": "user", "content": "..."}',
        ),
    ],
)
def test_bad_chat_messages(tmp_path: Path, messages: list[Any], message: str) -> None:
    path = write(
        tmp_path / "chat.jsonl", json.dumps({"id": 1, "input": messages, "expected": "y"}) + "\n"
    )
    assert str(raises(path)) == f"{path}, line 1, field 'input': {message}"


# ------------------------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------------------------


def zh_csv_text() -> str:
    return (DATA / "zh_faq.csv").read_text(encoding="utf-8")


def test_csv_fixture(tmp_path: Path) -> None:
    path = DATA / "zh_faq.csv"
    cases = load_cases(path, suite="zh")
    assert [(c.id, c.source) for c in cases] == [
        ("q1", f"{path}:2"),
        ("q2", f"{path}:3"),
        ("q3", f"{path}:6"),  # q2's input spans lines 3-5
    ]
    q1, q2, q3 = cases
    assert q1.input == "营业时间是几点？"
    assert q1.expected == ("九点", "18:00")
    assert q1.tags == ("常见问题", "营业时间")
    assert q1.extra == {}
    assert q2.input == "退货需要：\n1. 小票\n2. 原包装"
    assert q2.tags == ("退货", "关键")  # full-width comma
    assert q2.extra == {"notes": "客服组"}
    assert q3.expected == "是的"
    assert q3.tags == ()


def test_csv_encodings_give_identical_cases(tmp_path: Path) -> None:
    # as Excel writes it: CRLF between rows, LF inside a cell
    text = re.sub(r"\n(?=q\d|$)", "\r\n", zh_csv_text())
    assert text.count("\r\n") == 4
    variants = {
        "gbk": text.encode("gbk"),
        "utf-8-bom": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "utf-8": text.encode("utf-8"),
    }
    loaded = {
        name: load_cases(write(tmp_path / name / "faq.csv", data), suite="zh")
        for name, data in variants.items()
    }
    assert without_source(loaded["gbk"]) == without_source(loaded["utf-8-bom"])
    assert without_source(loaded["gbk"]) == without_source(loaded["utf-8"])
    assert loaded["gbk"][1].input == "退货需要：\n1. 小票\n2. 原包装"
    assert [c.source.rsplit(":", 1)[1] for c in loaded["gbk"]] == ["2", "3", "6"]
    # the reference: the committed UTF-8 file
    assert without_source(loaded["utf-8"]) == without_source(
        load_cases(DATA / "zh_faq.csv", suite="zh")
    )


def test_csv_declared_encoding_is_used_strictly(tmp_path: Path) -> None:
    gbk = zh_csv_text().encode("gbk")
    assert load_cases(write(tmp_path / "a.csv", gbk), suite="zh", encoding="gbk")[0].input == (
        "营业时间是几点？"
    )
    assert load_cases(write(tmp_path / "b.csv", gbk), suite="zh", encoding="GB18030")
    utf8 = zh_csv_text().encode("utf-8")
    assert load_cases(write(tmp_path / "c.csv", utf8), suite="zh", encoding="utf-8-sig")


def test_declared_wrong_encoding(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", zh_csv_text().encode("gbk"))
    error = raises(path, encoding="utf-8")
    assert str(error) == (
        f"{path}, line 2: cannot be read as utf-8 (byte 0xbc is not valid utf-8): the file looks "
        "like gb18030 (GBK, as Chinese-locale Excel saves CSV): set 'encoding: gb18030' (or "
        "'encoding: auto') in the manifest"
    )
    assert (error.line, error.field) == (2, None)


def test_unknown_encoding(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", zh_csv_text())
    assert str(raises(path, encoding="chinese-excel")) == (
        f"{path}: unknown encoding 'chinese-excel': use auto, utf-8, utf-8-sig, gb18030 or gbk"
    )
    assert str(raises(path, encoding="rot13")).endswith(
        "unknown encoding 'rot13': use auto, utf-8, utf-8-sig, gb18030 or gbk"
    )


def test_csv_neither_utf8_nor_gb18030(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", b"id,input,expected\n1,a,b\n2,\xff\xff,c\n")
    assert str(raises(path)) == (
        f"{path}, line 3: cannot be decoded (byte 0xff is not valid utf-8): it is neither UTF-8 "
        "nor GB18030/GBK: save it from Excel as 'CSV UTF-8', or set 'encoding:' in the manifest "
        "to its encoding"
    )


def excel_unicode_text() -> str:
    """zh_faq.csv as Excel's "Unicode Text" export lays it out: tab-separated, CRLF between rows,
    a cell holding a line break (LF) or a quote in quotes."""
    import csv

    with (DATA / "zh_faq.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t", lineterminator="\r\n").writerows(table)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["faq.txt", "faq.csv", "faq.tsv", "FAQ.TXT"])
def test_excel_unicode_text_export(tmp_path: Path, name: str) -> None:
    text = excel_unicode_text()
    assert "\t" in text and "\r\n" in text and "\n1. " in text
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")  # what Excel writes, byte for byte
    path = write(tmp_path / name, data)
    cases = load_cases(path, suite="zh")
    assert without_source(cases) == without_source(load_cases(DATA / "zh_faq.csv", suite="zh"))
    assert [c.source.rsplit(":", 1)[1] for c in cases] == ["2", "3", "6"]
    assert cases[1].input == "退货需要：\n1. 小票\n2. 原包装"


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
    ],
)
@pytest.mark.parametrize("separator", ["\t", ","])
def test_text_tables_with_any_byte_order_mark(
    tmp_path: Path, bom: bytes, codec: str, separator: str
) -> None:
    text = f"id{separator}input{separator}expected\r\nq1{separator}营业时间？{separator}九点\r\n"
    path = write(tmp_path / "faq.csv", bom + text.encode(codec))
    (case,) = load_cases(path, suite="zh")
    assert (case.id, case.input, case.expected, case.source) == (
        "q1",
        "营业时间？",
        "九点",
        f"{path}:2",
    )


def test_tab_separated_files_without_a_byte_order_mark(tmp_path: Path) -> None:
    # Excel's "Text (Tab delimited)" in a Chinese locale: GBK, tabs, commas inside cells
    text = "id\tinput\texpected\ttags\r\nq1\t你好，在吗？\t在, 您好\tsmoke, zh\r\n"
    for name, data in (("a.txt", text.encode("gbk")), ("b.tsv", text.encode("utf-8"))):
        (case,) = load_cases(write(tmp_path / name, data), suite="zh")
        assert (case.input, case.expected, case.tags) == (
            "你好，在吗？",
            "在, 您好",
            ("smoke", "zh"),
        )
    # a .txt file that is comma-separated after all is still read by its header
    (case,) = load_cases(write(tmp_path / "c.txt", "id,input,expected\nq1,a\tb,c\n"), suite="x")
    assert (case.input, case.expected) == ("a\tb", "c")


def test_a_damaged_utf16_file_is_one_clear_error(tmp_path: Path) -> None:
    text = "id\tinput\texpected\r\nq1\ta\tb\r\nq2\tc\td\r\n"
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    path = write(tmp_path / "faq.csv", data[:-5])  # cut short inside line 3: an odd length
    assert str(raises(path)) == (
        f"{path}, line 3: cannot be decoded (byte 0x64 is not valid utf-16): the file starts "
        "with a utf-16 byte order mark but is not valid text in that encoding (is it cut short "
        "or damaged?): save it again from its program, e.g. from Excel as 'CSV UTF-8' or "
        "'Unicode Text', or set 'encoding:' in the manifest to its encoding"
    )
    # a declared encoding that does not fit points at the one the byte order mark names
    path = write(tmp_path / "whole.csv", data)
    assert str(raises(path, encoding="utf-8")) == (
        f"{path}, line 1: cannot be read as utf-8 (byte 0xff is not valid utf-8): the file looks "
        "like utf-16 (it starts with a UTF-16 byte order mark, as Excel's 'Unicode Text' does): "
        "set 'encoding: utf-16' (or 'encoding: auto') in the manifest"
    )
    assert load_cases(path, suite="x", encoding="utf-16")[1].id == "q2"


def test_multiline_quoted_cell_keeps_line_numbers(tmp_path: Path) -> None:
    content = (
        "id,input,expected\r\n"
        '1,"first line\r\nsecond line\nthird line",a\r\n'
        "\r\n"
        '2,"x","multi\r\nline\r\nexpected"\r\n'
        "3,plain,c\r\n"
        "4,plain,\r\n"
    )
    path = write(tmp_path / "faq.csv", content)
    rows = read_rows(path)
    assert [row.line for row in rows] == [2, 6, 9, 10]
    assert rows[0].data["input"] == "first line\r\nsecond line\nthird line"
    error = raises(path)
    assert str(error) == (
        f"{path}, line 10, field 'expected': required field missing: every case needs the "
        "answer it expects"
    )


def test_unclosed_quote(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", 'id,input,expected\n1,a,b\n2,"never closed,c\n3,d,e\n')
    assert str(raises(path)) == (
        f"{path}, line 3: a quoted cell that starts on this line is never closed: add the "
        'closing \'"\' (a quote inside a quoted cell is written as two quotes, "")'
    )


def test_csv_header_is_matched_case_insensitively(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "\n\ufeff ID , Input,EXPECTED,Tags,Owner \n7,a,b,x;y z,me\n")
    (case,) = load_cases(path, suite="demo")
    assert (case.id, case.input, case.expected, case.tags) == ("7", "a", "b", ("x", "y", "z"))
    assert case.extra == {"Owner": "me"}
    assert case.source == f"{path}:3"


def test_csv_header_without_a_required_column(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "1,What is 2+2?,4\n2,Capital of France?,Paris\n")
    error = raises(path)
    assert str(error) == (
        f"{path}, line 1, field 'id': the header row has no 'id' column (it has '1', "
        "'What is 2+2?', '4'): the first row must name the columns id, input and expected (tags, "
        "check and others are optional)"
    )


def test_csv_cell_without_a_column_name(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "id,input,expected,\n1,a,b,\n2,a,b,stray\n")
    assert str(raises(path)) == (
        f"{path}, line 3: column 4 has a value ('stray') but no name in the header row (line 1): "
        "name the column or clear the cell"
    )


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_other_delimiters(tmp_path: Path, delimiter: str) -> None:
    path = write(
        tmp_path / "faq.csv",
        f"id{delimiter}input{delimiter}expected\n1{delimiter}a, b{delimiter}c\n",
    )
    (case,) = load_cases(path, suite="demo")
    assert (case.input, case.expected) == ("a, b", "c")


def test_json_cells_in_csv(tmp_path: Path) -> None:
    rows = [
        ["id", "input", "expected", "check"],
        [
            "chat",
            json.dumps([{"role": "user", "content": "Hi, 你好"}], ensure_ascii=False),
            '["hello", "hi"]',
            '{"name": "contains", "mode": "any"}',
        ],
        ["obj", "Give JSON", '{"a": 1, "b": [true, null]}', "json"],
        ["text", "[citation needed] is a tag", "[not json", "{not json either}"],
        ["spaces", "  padded  ", '  ["x"]  ', "  exact  "],
    ]
    buffer = io.StringIO()
    import csv

    csv.writer(buffer).writerows(rows)
    path = write(tmp_path / "faq.csv", buffer.getvalue())
    chat, obj, text, spaces = load_cases(path, suite="demo")
    assert chat.input == ({"role": "user", "content": "Hi, 你好"},)
    assert chat.expected == ("hello", "hi")
    assert chat.check == {"name": "contains", "mode": "any"}
    assert obj.expected == {"a": 1, "b": [True, None]}
    assert obj.check == {"name": "json"}
    assert text.input == "[citation needed] is a tag"
    assert text.expected == "[not json"
    assert text.check == {"name": "{not json either}"}
    assert spaces.input == "padded"
    assert spaces.expected == ("x",)
    assert spaces.check == {"name": "exact"}


def test_json_cell_of_the_wrong_shape_says_it_was_read_as_json(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", 'id,input,expected\n1,a,"[1, 2]"\n')
    assert str(raises(path)) == (
        f"{path}, line 2, field 'expected': expected answer 1 is 1, not text: a list of expected "
        'answers holds only strings (write numbers in quotes, like "42") (the cell starts with '
        "'[' or '{' and is valid JSON, so it is read as JSON)"
    )


# ------------------------------------------------------------------------------------------------
# XLSX
# ------------------------------------------------------------------------------------------------


def test_xlsx_blank_rows_are_ignored_and_row_numbers_stay_right(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {
            "Cases": [
                [None, None, None],  # row 1: blank before the header
                ["id", "input", "expected", "tags"],  # row 2: header
                ["q1", "Hello?", "Hi", "smoke critical"],  # row 3
                [None, None, None, None],  # row 4: blank
                ["  ", None, "", None],  # row 5: only white space: blank
                ["q2", "Bye?", "Bye"],  # row 6
                [None],  # row 7
                ["q3", "No answer", None],  # row 8: missing expected
            ]
        },
    )
    rows = read_rows(path)
    assert [row.line for row in rows] == [3, 6, 8]
    error = raises(path)
    assert str(error) == (
        f"{path}, line 8, field 'expected': required field missing: every case needs the answer "
        "it expects"
    )
    path.unlink()
    make_workbook(
        path,
        {
            "Cases": [
                [None],
                ["id", "input", "expected"],
                ["q1", "a", "b"],
                [None],
                ["q2", "c", "d"],
            ]
        },
    )
    q1, q2 = load_cases(path, suite="demo")
    assert (q1.source, q2.source) == (f"{path}:3", f"{path}:5")


def test_xlsx_named_sheet(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {
            "Notes": [["this sheet has no cases"]],
            "Cases": [["ID", "Input", "Expected", "Owner"], ["q1", "Hello?", "Hi", "ops"]],
        },
    )
    (case,) = load_cases(path, suite="demo", sheet="Cases")
    assert (case.id, case.input, case.expected, case.extra) == (
        "q1",
        "Hello?",
        "Hi",
        {"Owner": "ops"},
    )
    assert case.source == f"{path}:2"
    # without a sheet name, the first sheet is read
    assert "has no 'id' column" in str(raises(path))


def test_xlsx_cases_on_another_sheet_than_the_first(tmp_path: Path) -> None:
    cases = [["id", "input", "expected"], ["q1", "Hello?", "Hi"]]
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {"Read me": [["How to fill in this workbook"], ["One case a row"]], "Cases": cases},
    )
    error = raises(path)
    assert str(error) == (
        f"{path}, line 1, field 'id': the header row has no 'id' column (it has 'How to fill in "
        "this workbook'): the first row must name the columns id, input and expected (tags, "
        "check and others are optional); the workbook's first sheet, 'Read me', is read unless "
        "the manifest names another; its other sheets are 'Cases': if the cases are on one of "
        "them, set it in the manifest, like sheet: 'Cases'"
    )
    assert load_cases(path, suite="demo", sheet="Cases")[0].id == "q1"
    # an empty first sheet (a new workbook's 'Sheet1' left in front) names the others too
    path = make_workbook(
        tmp_path / "empty_first.xlsx", {"Sheet1": [], "Cases": cases, "Team's notes": [["x"]]}
    )
    assert str(raises(path)) == (
        f"{path}: no cases on the first sheet: the workbook's first sheet, 'Sheet1', is read "
        "unless the manifest names another; its other sheets are 'Cases', 'Team's notes': if "
        "the cases are on one of them, set it in the manifest, like sheet: 'Cases'"
    )


def test_xlsx_header_problems_on_a_named_or_only_sheet_name_no_other_sheets(
    tmp_path: Path,
) -> None:
    path = make_workbook(tmp_path / "one.xlsx", {"Cases": [["question", "answer"], ["a", "b"]]})
    assert str(raises(path)).endswith(
        "the first row must name the columns id, input and expected (tags, check and others "
        "are optional)"
    )
    # a header that names some case columns is on the right sheet: no hint about others
    path = make_workbook(
        tmp_path / "two.xlsx",
        {"Cases": [["id", "input", "answer"], ["q1", "a", "b"]], "Notes": [["x"]]},
    )
    assert str(raises(path)).endswith("(tags, check and others are optional)")
    assert str(raises(path, sheet="Notes")).endswith("(tags, check and others are optional)")


def test_xlsx_missing_sheet(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {"Notes": [["x"]], "Cases": [["id", "input", "expected"], ["q1", "a", "b"]]},
    )
    error = raises(path, sheet="cases")
    assert str(error) == (
        f"{path}: no sheet named 'cases' in the workbook (its sheets: 'Notes', 'Cases'): set "
        "'sheet:' in the manifest to one of them (names are case-sensitive: did you mean 'Cases'?)"
    )
    assert str(raises(path, sheet="Tests")) == (
        f"{path}: no sheet named 'Tests' in the workbook (its sheets: 'Notes', 'Cases'): set "
        "'sheet:' in the manifest to one of them"
    )


def save_formula_results(path: Path, results: Mapping[str, str]) -> None:
    """Store a text result beside each formula of the first sheet, as Excel and LibreOffice do
    when they save (``<c r="C2" t="str"><f>...</f><v>result</v></c>``, an empty result as
    ``<v></v>``); openpyxl itself stores an empty value without a type."""
    import zipfile
    from xml.sax.saxutils import escape

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode("utf-8")
    for cell, result in results.items():
        sheet, count = re.subn(
            rf'<c r="{cell}"><f>(.*?)</f><v\s*>\s*</v>',
            lambda m, c=cell, r=result: f'<c r="{c}" t="str"><f>{m[1]}</f><v>{escape(r)}</v>',
            sheet,
        )
        assert count == 1, cell
    members["xl/worksheets/sheet1.xml"] = sheet.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def formula_workbook(path: Path) -> Path:
    """Cases whose expected answers are formulas, as a script writes them with openpyxl."""
    rows: list[list[Any]] = [["id", "input", "expected", "notes"]]
    rows += [[f"q{n}", f"Say {n}", f'=B{n + 1}&"!"', None] for n in range(1, 7)]
    path = make_workbook(path, {"Cases": rows})
    workbook = openpyxl.load_workbook(path)
    text = workbook["Cases"].cell(row=3, column=4, value="=keep this text")
    text.data_type = "s"  # typed text that starts with '=': not a formula
    workbook.save(path)
    return path


def test_xlsx_formula_without_a_saved_result(tmp_path: Path) -> None:
    path = formula_workbook(tmp_path / "faq.xlsx")
    error = raises(path)
    assert str(error) == (
        f"{path}, line 2, field 'expected': sheet 'Cases', cell C2 holds a formula "
        '(=B2&"!") without a saved result: the workbook was saved by a program that does not '
        "calculate formulas (a script, e.g. openpyxl or pandas). Open it in Excel or LibreOffice "
        "and save it, or replace the formulas by their values (copy, then paste values only)"
    )
    assert (error.line, error.field) == (2, "expected")
    # results saved for the first rows only: the first row without one is named
    save_formula_results(path, {"C2": "Say 1!", "C3": "Say 2!", "C4": "Say 3!"})
    error = raises(path)
    assert "sheet 'Cases', cell C5 holds a formula (=B5&\"!\") without a saved result" in str(error)
    assert (error.line, error.field) == (5, "expected")


def test_xlsx_formulas_with_saved_results_read_as_their_results(tmp_path: Path) -> None:
    path = formula_workbook(tmp_path / "faq.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["Cases"]["D2"] = '=IF(B2="Say 1","","check")'  # its saved result: empty text
    workbook.save(path)
    save_formula_results(path, {f"C{n + 1}": f"Say {n}!" for n in range(1, 7)} | {"D2": ""})
    cases = load_cases(path, suite="demo")
    assert [case.expected for case in cases] == [f"Say {n}!" for n in range(1, 7)]
    assert cases[0].extra == {}
    assert cases[1].extra == {"notes": "=keep this text"}


def test_xlsx_unsaved_formula_outside_the_named_columns(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["id", "input", "expected"], ["q1", "a", "b"], [None] * 4]
    path = make_workbook(tmp_path / "faq.xlsx", {"Cases": rows})
    workbook = openpyxl.load_workbook(path)
    workbook["Cases"]["D4"] = "=COUNTA(A:A)"  # a total below the table, in no named column
    workbook.save(path)
    error = raises(path)
    assert str(error).startswith(
        f"{path}, line 4: sheet 'Cases', cell D4 holds a formula (=COUNTA(A:A)) without a saved "
        "result"
    )


def test_xlsx_cell_types(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {
            "Cases": [
                ["id", "input", "expected", "tags", "released"],
                [7.0, "How many days in a week?", 7, "numbers", dt.datetime(2024, 5, 1)],
                [8, "Is water wet?", True, None, dt.datetime(2024, 5, 1, 13, 30)],
                [9, "Pi?", 3.25, None, dt.date(2024, 5, 2)],
            ]
        },
    )
    seven, eight, nine = load_cases(path, suite="demo")
    assert (seven.id, seven.expected, seven.extra) == ("7", "7", {"released": "2024-05-01"})
    assert (eight.id, eight.expected, eight.extra) == (
        "8",
        "TRUE",
        {"released": "2024-05-01T13:30:00"},
    )
    assert (nine.id, nine.expected) == ("9", "3.25")


def test_xlsx_json_cells(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "faq.xlsx",
        {
            "Cases": [
                ["id", "input", "expected", "check"],
                ["c1", '[{"role": "user", "content": "Hi"}]', '["hello"]', '{"name": "contains"}'],
            ]
        },
    )
    (case,) = load_cases(path, suite="demo")
    assert case.input == ({"role": "user", "content": "Hi"},)
    assert case.expected == ("hello",)
    assert case.check == {"name": "contains"}


@pytest.mark.parametrize("name", ["faq.xlsx", "faq.csv", "faq.jsonl"])
def test_wrong_content_for_the_extension(tmp_path: Path, name: str) -> None:
    workbook = make_workbook(tmp_path / "real.xlsx", {"Cases": [["id", "input", "expected"]]})
    if name == "faq.xlsx":
        path = write(tmp_path / name, "id,input,expected\n1,a,b\n")
        assert str(raises(path)) == (
            f"{path}: not a valid .xlsx workbook (BadZipFile: File is not a zip file): save it "
            "from Excel as 'Excel Workbook (.xlsx)'"
        )
    else:
        path = write(tmp_path / name, workbook.read_bytes())
        raises(path)


# ------------------------------------------------------------------------------------------------
# Any input: nothing but GoldenFileError, never half a file
# ------------------------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def load_or_error(path: Path, **kwargs: Any) -> None:
    try:
        cases = load_cases(path, suite="demo", **kwargs)
    except GoldenFileError as error:
        assert error.path == path
        assert str(error).startswith(str(path))
        return
    assert_well_formed(cases, path)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".tsv", ".xlsx"])
@FUZZ
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(tmp_path: Path, suffix: str, data: bytes) -> None:
    load_or_error(write(tmp_path / f"fuzz{suffix}", data))


@FUZZ
@given(data=st.binary(max_size=200), encoding=st.sampled_from(["gbk", "utf-8", "utf-16"]))
def test_arbitrary_bytes_with_a_declared_encoding(
    tmp_path: Path, data: bytes, encoding: str
) -> None:
    load_or_error(write(tmp_path / "fuzz.csv", data), encoding=encoding)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
field_values = st.one_of(
    json_values,
    st.lists(
        st.fixed_dictionaries(
            {"role": st.sampled_from(["user", "system", "assistant", "bot"])},
            optional={"content": st.text(max_size=5) | st.integers()},
        ),
        max_size=3,
    ),
)
rows = st.dictionaries(
    st.sampled_from(["id", "input", "expected", "tags", "check", "notes"]), field_values
)


@FUZZ
@given(records=st.lists(rows | json_values, max_size=5))
def test_arbitrary_jsonl_records(tmp_path: Path, records: list[Any]) -> None:
    lines = [json.dumps(record) for record in records]
    load_or_error(write(tmp_path / "fuzz.jsonl", "\n".join(lines)))


cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from('[]{},;"\n\r '),
    max_size=12,
)


@FUZZ
@given(
    header=st.lists(
        st.sampled_from(["id", "input", "Expected", "tags", "check", "x", ""]), max_size=6
    ),
    body=st.lists(st.lists(cell_text, max_size=6), max_size=5),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_arbitrary_csv_tables(
    tmp_path: Path, header: list[str], body: list[list[str]], encoding: str
) -> None:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *body])
    load_or_error(write(tmp_path / "fuzz.csv", buffer.getvalue().encode(encoding)))


xlsx_cell = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=10),
    st.sampled_from(['["a"]', '[{"role": "user", "content": "x"}]', '{"name": "x"}', "a b"]),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2100, 1, 1)),
)


@FUZZ
@given(
    header=st.lists(
        st.sampled_from(["id", "input", "expected", "tags", "check", "x", None]), max_size=6
    ),
    body=st.lists(st.lists(xlsx_cell, max_size=6), max_size=5),
)
def test_arbitrary_workbooks(tmp_path: Path, header: list[Any], body: list[list[Any]]) -> None:
    path = tmp_path / "fuzz.xlsx"
    make_workbook(path, {"Cases": [header, *body]})
    load_or_error(path)
