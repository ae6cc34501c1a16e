"""Loading case files, whatever the format: whole-file and field errors naming the file, line
and field; chat-message inputs; any input gives every case or one GoldenFileError, never half a
file."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from case_file_helpers import (
    assert_well_formed,
    make_workbook,
    raises,
    write,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from releasegate.exceptions import GoldenFileError
from releasegate.golden.io import load_cases

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


# ------------------------------------------------------------------------------------------------
# Odd files: workbooks under a text file's name, lone surrogates
# ------------------------------------------------------------------------------------------------

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # the header an .xls file starts with


@pytest.mark.parametrize("name", ["faq.csv", "faq.tsv", "faq.txt", "faq.jsonl"])
def test_an_xls_under_a_text_name_says_what_it_is(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, OLE2)
    suffix = path.suffix
    assert str(raises(path)) == (
        f"{path}: this is not a text file but an Excel 97-2003 workbook (.xls) or a password-"
        f"protected workbook (an OLE2 compound file) named {suffix}: open it in Excel and save it "
        "as 'CSV UTF-8', or as 'Excel Workbook (.xlsx)' named .xlsx and point 'cases:' in the "
        "manifest at it"
    )


@pytest.mark.parametrize("name", ["faq.csv", "faq.tsv", "faq.txt", "faq.jsonl"])
def test_an_xlsx_under_a_text_name_says_what_it_is(tmp_path: Path, name: str) -> None:
    workbook = make_workbook(tmp_path / "real.xlsx", {"Cases": [["id", "input", "expected"]]})
    path = write(tmp_path / name, workbook.read_bytes())
    assert str(raises(path)) == (
        f"{path}: this is not a text file but an Excel workbook (.xlsx, a zip file) named "
        f"{path.suffix}: rename it to .xlsx and point 'cases:' in the manifest at it, or open it "
        "in Excel and save it as 'CSV UTF-8'"
    )
    import zipfile

    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("cases.csv", "id,input,expected\n1,a,b\n")
    path = write(tmp_path / f"zip-{name}", archive.read_bytes())
    assert str(raises(path)) == (
        f"{path}: this is not a text file but a zip archive: unpack it and point 'cases:' in the "
        "manifest at the case file inside"
    )


SURROGATE_HINT = (
    "half of a UTF-16 surrogate pair and not a character (a JSON escape like \\ud83d without "
    "its other half): write the character itself, or both halves of the pair"
)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ('"input": "smile \\ud83d", "expected": "b"', "input"),
        ('"input": "a", "expected": ["ok", "\\ud83d"]', "expected"),
        ('"input": "a", "expected": {"k\\ud83d": 1}', "expected"),
        ('"input": "a", "expected": "b", "tags": ["x\\ud83d"]', "tags"),
        ('"input": [{"role": "user", "content": "\\ud83d!"}], "expected": "b"', "input"),
        ('"input": "a", "expected": "b", "check": {"name": "contains", "k": "\\ud83d"}', "check"),
        ('"input": "a", "expected": "b", "notes": {"deep": ["\\ud83d"]}', "notes"),
    ],
)
def test_a_lone_surrogate_anywhere_in_a_row_is_refused(
    tmp_path: Path, row: str, field: str
) -> None:
    path = write(tmp_path / "faq.jsonl", '{"id": 1, "input": "x", "expected": "y"}\n')
    with path.open("a") as handle:
        handle.write(f'{{"id": 2, {row}}}\n')
    error = raises(path)
    assert (
        str(error) == f"{path}, line 2, field '{field}': {field} contains U+D83D, {SURROGATE_HINT}"
    )
    # a whole pair is a character
    fixed = path.read_text().replace("\\ud83d", "\\ud83d\\ude00")
    cases = load_cases(write(tmp_path / "fixed.jsonl", fixed), suite="demo")
    case = cases[1]
    assert "\U0001f600" in repr((case.input, case.expected, case.tags, case.check, case.extra))


def test_a_lone_surrogate_in_a_csv_json_cell_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", 'id,input,expected\n1,a,"[""\\udc00 x""]"\n')
    assert str(raises(path)) == (
        f"{path}, line 2, field 'expected': expected contains U+DC00, "
        + SURROGATE_HINT.replace("\\ud83d", "\\udc00")
    )
