"""CSV and tab-separated case files as Excel writes them: encodings, delimiters, quoting,
JSON cells."""

# Chinese fixtures use full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import codecs
import io
import json
import re
from pathlib import Path

import pytest
from case_file_helpers import (
    DATA,
    raises,
    without_source,
    write,
)

from releasegate.golden.io import load_cases, read_rows

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
    # three rows of GBK are too short to tell from Big5 or Korean: the manifest names it
    encodings = {"gbk": "gbk", "utf-8-bom": "auto", "utf-8": "auto"}
    loaded = {
        name: load_cases(
            write(tmp_path / name / "faq.csv", data), suite="zh", encoding=encodings[name]
        )
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
        "like gb18030 (GBK, Simplified Chinese, as Chinese-locale Excel saves CSV): set "
        "'encoding: gb18030' in the manifest"
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
        f"{path}, line 3: the file is not UTF-8 (byte 0xff on this line is not valid UTF-8) and "
        "its encoding is not certain: it reads as cp1252 (Windows-1252, Western European), "
        "cp1251 (Cyrillic) or cp1250 (Central European). Open it, see which shows the text "
        "right, and write that in the manifest, e.g. the line 'encoding: cp1252'; or save the "
        "file from its program as UTF-8 ('CSV UTF-8' in Excel)"
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
    for name, data, encoding in (
        ("a.txt", text.encode("gbk"), "gbk"),  # one row of GBK is too short to detect
        ("b.tsv", text.encode("utf-8"), "auto"),
    ):
        (case,) = load_cases(write(tmp_path / name, data), suite="zh", encoding=encoding)
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


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_excel_sep_line_names_the_delimiter(tmp_path: Path, delimiter: str) -> None:
    # the line names the delimiter even where the header would suggest another
    d = delimiter
    other = "," if d != "," else ";"
    content = (
        f"sep={d}\r\nid{d}input{d}expected\r\n1{d}a{other} b{d}c\r\n"
        f'2{d}"two\r\nlines"{d}e\r\n3{d}f{d}\r\n'
    )
    path = write(tmp_path / "faq.csv", codecs.BOM_UTF8 + content.encode())
    rows = read_rows(path)
    assert [row.line for row in rows] == [3, 4, 6]  # the sep= line still counts
    assert rows[0].data == {"id": "1", "input": f"a{other} b", "expected": "c"}
    assert rows[1].data["input"] == "two\r\nlines"
    assert str(raises(path)) == (
        f"{path}, line 6, field 'expected': required field missing: every case needs the "
        "answer it expects"
    )


def test_excel_sep_line_is_case_insensitive_and_must_name_a_separator(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "SEP=;\nid;input;expected\n1;a,b;c\n")
    (case,) = load_cases(path, suite="demo")
    assert (case.input, case.source) == ("a,b", f"{path}:3")
    path = write(tmp_path / "bad.csv", "sep=x\nid,input,expected\n1,a,c\n")
    assert str(raises(path)) == (
        f"{path}, line 1: the first line names the delimiter 'x' ('sep=' as Excel writes it), "
        "which cannot separate cells: write 'sep=,', 'sep=;' or 'sep=' and a tab, or remove the "
        "line"
    )


def test_a_cell_of_200000_characters_loads(tmp_path: Path) -> None:
    document = ("长文档需要总结。" + "A long document to summarise. ") * 5_300
    assert len(document) > 200_000
    buffer = io.StringIO()
    import csv

    csv.writer(buffer).writerows(
        [["id", "input", "expected"], ["1", document, "总结"], ["2", "b", "c"]]
    )
    path = write(tmp_path / "faq.csv", buffer.getvalue())
    first, second = load_cases(path, suite="demo")
    assert first.input == document.strip()
    assert second.source == f"{path}:3"


@pytest.mark.parametrize(("cell", "field"), [("#N/A", "expected"), ("#REF!", "input")])
def test_an_excel_error_value_exported_to_csv_is_refused(
    tmp_path: Path, cell: str, field: str
) -> None:
    # Excel's "CSV" export writes a failed formula's error value as text: it loaded as the
    # expected answer "#N/A", which nobody typed
    row = {"input": "What is 2+2?", "expected": "4", field: cell}
    path = write(
        tmp_path / "faq.csv", f"id,input,expected\r\nq1,{row['input']},{row['expected']}\r\n"
    )
    error = raises(path)
    assert (error.line, error.field) == (2, field)
    hint = ""
    if field == "expected":
        hint = f'; if the expected answer really is {cell}, write it as a JSON list: ["{cell}"]'
    column = 3 if field == "expected" else 2
    assert str(error) == (
        f"{path}, line 2, field '{field}': column {column} holds {cell}, the error value a "
        "spreadsheet shows for a formula that failed (a CSV exported from it keeps it as text): "
        "fix the formula or the data it refers to in the workbook and export again, or type the "
        f"{field} text{hint}"
    )
    # the way out the message gives loads the text as written
    if field == "expected":
        fixed = write(tmp_path / "ok.csv", f'id,input,expected\r\nq1,a,"[""{cell}""]"\r\n')
        (case,) = load_cases(fixed, suite="demo")
        assert case.expected == (cell,)
    # an error value inside longer text, or in a column of notes, is text like any other
    other = write(tmp_path / "notes.csv", "id,input,expected,notes\r\nq1,Is #N/A bad?,yes,#N/A\r\n")
    (case,) = load_cases(other, suite="demo")
    assert (case.input, case.extra) == ("Is #N/A bad?", {"notes": "#N/A"})
