# ruff: noqa: RUF001  (Chinese questions and their full-width punctuation are the subject here)
"""``releasegate fuzz --append``: the variant found, appended to the suite's case file in the
file's own format and style (:mod:`releasegate.robustness.appending`), read back with the suite
loader; and a file that would not read back as meant is left as it was."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest

from releasegate.golden.suites import Suite, load_suite
from releasegate.robustness.appending import append_variant, fuzzed_id, same_question
from releasegate.robustness.fuzz import FuzzError

SCHEMAS = Path(__file__).resolve().parents[2] / "fixtures" / "schemas"
VARIANT = "怎麼退貨?"


def _suite(folder: Path, cases_name: str, data: bytes, extra: str = "") -> Suite:
    (folder / cases_name).write_bytes(data)
    manifest = folder / "shop.yaml"
    manifest.write_text(f"name: shop\ncases: {cases_name}\ncheck: contains\n{extra}", "utf-8")
    return load_suite(manifest, schemas_dir=SCHEMAS)


def _append(suite: Suite, case_id: str, text: str, new_id: str | None = None) -> Suite:
    case = suite.case(case_id)
    append_variant(
        suite,
        case,
        text,
        new_id=new_id or fuzzed_id(suite, case),
        reload=lambda: load_suite(suite.manifest_path, schemas_dir=SCHEMAS),
    )
    return load_suite(suite.manifest_path, schemas_dir=SCHEMAS)


def test_jsonl_gets_a_line_in_the_style_of_the_file(tmp_path: Path) -> None:
    rows = [
        {
            "id": "zh",
            "input": "怎么退货？",
            "expected": ["退款", "7天"],
            "tags": ["faq"],
            "owner": "李",
        },
        {"id": "en", "input": "How do I return shoes?", "expected": "refund"},
    ]
    # compact separators, raw UTF-8, and no line end after the last line
    before = "\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
    suite = _suite(tmp_path, "shop.jsonl", before.encode())
    after = _append(suite, "zh", VARIANT)

    added = after.case("zh~fuzz-1")
    assert added.input == VARIANT
    assert added.expected == ("退款", "7天")
    assert added.tags == ("faq", "fuzzed")
    assert added.extra == {"owner": "李"}
    assert [case.id for case in after.cases] == ["zh", "en", "zh~fuzz-1"]
    text = (tmp_path / "shop.jsonl").read_text("utf-8")
    assert text.startswith(before + "\n") and text.endswith("\n")
    last = text.splitlines()[-1]
    assert last == json.dumps(
        {**rows[0], "id": "zh~fuzz-1", "input": VARIANT, "tags": ["faq", "fuzzed"]},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def test_jsonl_of_a_chat_case_keeps_the_other_messages(tmp_path: Path) -> None:
    messages = [
        {"role": "system", "content": "You are a shop assistant."},
        {"role": "user", "content": "怎么退货？"},
    ]
    line = json.dumps({"id": "chat", "input": messages, "expected": "退款"}, ensure_ascii=False)
    suite = _suite(tmp_path, "shop.jsonl", (line + "\n").encode())
    added = _append(suite, "chat", VARIANT, new_id="chat-fuzzed").case("chat-fuzzed")
    assert added.input == ({**messages[0]}, {"role": "user", "content": VARIANT})


def test_csv_keeps_its_bom_semicolons_quoting_and_line_ends(tmp_path: Path) -> None:
    before = (
        "\ufeffid;input;expected;tags;notes\r\n"
        'zh;怎么退货？;退款;faq;"多行\n备注"\r\n'
        "en;How do I return shoes?;refund;;\r\n"
    ).encode()
    suite = _suite(tmp_path, "shop.csv", before)
    after = _append(suite, "zh", VARIANT)

    added = after.case("zh~fuzz-1")
    assert added.input == VARIANT and added.expected == "退款"
    assert added.tags == ("faq", "fuzzed")
    assert added.extra == {"notes": "多行\n备注"}
    data = (tmp_path / "shop.csv").read_bytes()
    assert data.startswith(before) and data.count(b"\xef\xbb\xbf") == 1
    assert data[len(before) :].decode() == 'zh~fuzz-1;怎麼退貨?;退款;faq, fuzzed;"多行\n备注"\r\n'


def test_csv_quoted_throughout_stays_quoted_throughout(tmp_path: Path) -> None:
    before = b'"id","input","expected"\n"en","How do I return shoes?","refund"\n'
    suite = _suite(tmp_path, "shop.csv", before)
    after = _append(suite, "en", "How do I retutn shoes?")
    assert after.case("en~fuzz-1").input == "How do I retutn shoes?"
    added = (tmp_path / "shop.csv").read_bytes()[len(before) :]
    assert added == b'"en~fuzz-1","How do I retutn shoes?","refund"\n'


def test_xlsx_gets_a_new_last_row_with_the_original_rows_values_and_formats(
    tmp_path: Path,
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "input", "expected", "tags", "owner"])
    sheet.append(["zh", "怎么退货？", 0.15, "faq", "李"])
    sheet["C2"].number_format = "0%"  # the sheet shows 15%, and that is the expected answer
    sheet.append(["en", "How do I return shoes?", "refund", None, None])
    data = io.BytesIO()
    workbook.save(data)
    suite = _suite(tmp_path, "shop.xlsx", data.getvalue())
    assert suite.case("zh").expected == "15%"

    after = _append(suite, "zh", VARIANT)
    added = after.case("zh~fuzz-1")
    assert (added.input, added.expected, added.tags) == (VARIANT, "15%", ("faq", "fuzzed"))
    assert added.extra == {"owner": "李"}
    assert added.source.endswith(":4")  # the new last row of the sheet
    assert [case.id for case in after.cases] == ["zh", "en", "zh~fuzz-1"]


def test_a_row_that_would_not_read_back_as_written_is_not_kept(tmp_path: Path) -> None:
    before = b"id,input,expected\nen,How do I return shoes?,refund\n"
    suite = _suite(tmp_path, "shop.csv", before)
    # a spreadsheet cell loses leading white space: the case would not be the variant found
    with pytest.raises(FuzzError, match=r"would not read back as written.*restored as it was"):
        _append(suite, "en", " How do I return shoes?")
    assert (tmp_path / "shop.csv").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_chat_case_in_a_spreadsheet_is_refused_and_nothing_written(tmp_path: Path) -> None:
    messages = json.dumps([{"role": "user", "content": "怎么退货？"}], ensure_ascii=False)
    before = f'id,input,expected\nchat,"{messages.replace(chr(34), chr(34) * 2)}",退款\n'.encode()
    suite = _suite(tmp_path, "shop.csv", before)
    assert not isinstance(suite.case("chat").input, str)
    with pytest.raises(FuzzError, match=r"chat conversation .* add the variant by hand"):
        _append(suite, "chat", VARIANT)
    assert (tmp_path / "shop.csv").read_bytes() == before


def test_an_id_the_suite_already_has_is_refused(tmp_path: Path) -> None:
    before = (
        b'{"id": "en", "input": "Hi?", "expected": "hi"}\n'
        b'{"id": "en~fuzz-1", "input": "Hi", "expected": "hi"}\n'
    )
    suite = _suite(tmp_path, "shop.jsonl", before)
    assert fuzzed_id(suite, suite.case("en")) == "en~fuzz-2"
    with pytest.raises(FuzzError, match=r"already has a case 'en~fuzz-1'"):
        _append(suite, "en", "Hi !", new_id="en~fuzz-1")
    assert (tmp_path / "shop.jsonl").read_bytes() == before


def test_csv_with_a_sep_line_gets_its_row_under_the_same_delimiter(tmp_path: Path) -> None:
    before = b"sep=;\nid;input;expected\nen;How do I return shoes?;refund, store credit\n"
    suite = _suite(tmp_path, "shop.csv", before)
    added = _append(suite, "en", "How do I return shoes??").case("en~fuzz-1")
    assert added.input == "How do I return shoes??"
    assert added.expected == "refund, store credit"
    added_row = (tmp_path / "shop.csv").read_bytes()[len(before) :]
    assert added_row == b"en~fuzz-1;How do I return shoes??;refund, store credit\n"


def test_utf16_tab_separated_text_as_excel_exports_it_stays_so(tmp_path: Path) -> None:
    text = "id\tinput\texpected\r\n退货\t怎么退货？\t退款\r\n"
    before = b"\xff\xfe" + text.encode("utf-16-le")  # Excel's "Unicode Text"
    suite = _suite(tmp_path, "shop.txt", before)
    after = _append(suite, "退货", VARIANT)
    assert after.case("退货~fuzz-1").input == VARIANT
    data = (tmp_path / "shop.txt").read_bytes()
    assert data.startswith(before) and data.count(b"\xff\xfe") == 1
    assert data[len(before) :].decode("utf-16-le") == f"退货~fuzz-1\t{VARIANT}\t退款\r\n"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('"critical, faq"', '"faq, fuzzed"'),
        ("faq;critical", "faq;fuzzed"),
        ('"[""critical"", ""faq""]"', '"[""faq"", ""fuzzed""]"'),
    ],
)
def test_an_appended_case_is_not_critical(tmp_path: Path, cell: str, written: str) -> None:
    """It fails on the model it was found on: critical, it would fail every run until then."""
    before = f"id,input,expected,tags\nen,How do I return shoes?,refund,{cell}\n".encode()
    suite = _suite(tmp_path, "shop.csv", before)
    assert suite.case("en").critical
    added = _append(suite, "en", "How do I retutn shoes?").case("en~fuzz-1")
    assert added.tags == ("faq", "fuzzed") and not added.critical
    last = (tmp_path / "shop.csv").read_text("utf-8").splitlines()[-1]
    assert last.endswith("," + written)


@pytest.mark.parametrize(
    ("name", "before"),
    [
        ("shop.jsonl", '{"id": "zh", "input": "怎么退货？", "expected": "退款"}\n'.encode()),
        ("shop.csv", "id,input,expected\nzh,怎么退货？,退款\n".encode()),
    ],
)
def test_a_variant_the_file_already_asks_is_not_appended_again(
    tmp_path: Path, name: str, before: bytes
) -> None:
    """The same search run twice finds the same variant: a second append would add a case that
    differs from the first by its id alone."""
    suite = _suite(tmp_path, name, before)
    after = _append(suite, "zh", VARIANT)
    assert same_question(after, after.case("zh"), VARIANT) == after.case("zh~fuzz-1")
    appended = (tmp_path / name).read_bytes()

    with pytest.raises(FuzzError, match=r"^already a case: zh~fuzz-1; nothing appended"):
        _append(after, "zh", VARIANT)
    assert (tmp_path / name).read_bytes() == appended
    assert [case.id for case in load_suite(after.manifest_path, schemas_dir=SCHEMAS).cases] == [
        "zh",
        "zh~fuzz-1",
    ]


def test_the_same_question_with_another_expected_answer_is_a_new_case(tmp_path: Path) -> None:
    before = (
        '{"id": "zh", "input": "怎么退货？", "expected": "退款"}\n'
        '{"id": "zh-other", "input": "怎麼退貨?", "expected": "换货"}\n'
    ).encode()
    suite = _suite(tmp_path, "shop.jsonl", before)
    assert same_question(suite, suite.case("zh"), VARIANT) is None
    after = _append(suite, "zh", VARIANT)
    assert after.case("zh~fuzz-1").expected == "退款"
