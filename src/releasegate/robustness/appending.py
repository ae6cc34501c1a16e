"""A variant ``releasegate fuzz`` found, appended to its suite's case file as a case of its own.

The new case is the original's row copied with its id and question changed and the tag
``fuzzed`` added, ``critical`` dropped (:func:`_tags_of`; expected answer, check, assertions and
every other column as they were), in
the file's own format: a JSON line in the style of the file's lines (key order, escapes,
separators), a CSV/TSV row with the file's delimiter, quoting, encoding, byte order mark and line
ends, or a new last row of the workbook's sheet with the original row's values and formats. The
rest of the file is kept byte for byte (text) or as openpyxl saves it (a workbook).

Nothing half-done is left: the file is replaced whole (:mod:`releasegate.core.atomic`), then the
suite is loaded again, and unless it loads with the new case exactly as intended (its question,
expected answer, check, assertions and tags), the old file is put back and the reason said.
Where the row cannot be written faithfully (a chat conversation in a spreadsheet cell), nothing
is written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import yaml

from ..core.atomic import write_bytes_atomic
from ..exceptions import ReleasegateError
from ..golden.cases import GoldenCase
from ..golden.io.rows import KNOWN_FIELDS
from ..golden.io.table import header_name
from ..golden.io.text import LINE_BREAK
from ..golden.suites import Suite
from .fuzz import FuzzError, variant_input

__all__ = ["FUZZED_TAG", "append_variant", "fuzzed_id", "same_question"]

FUZZED_TAG = "fuzzed"

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def fuzzed_id(suite: Suite, case: GoldenCase) -> str:
    """``<case id>~fuzz-<n>``, the first *n* from 1 that no case of *suite* has."""
    taken = {made.id for made in suite.test_cases}
    n = 1
    while f"{case.id}~fuzz-{n}" in taken:
        n += 1
    return f"{case.id}~fuzz-{n}"


def same_question(suite: Suite, case: GoldenCase, text: str) -> GoldenCase | None:
    """The case of *suite*'s case file that already asks what the variant of *case* with the
    question *text* would (the same input, once *text* is made its question, and the same
    expected answer), if one does. The same search run twice finds the same variant (the
    second replays the first's saved failure): appending it again would add a case that differs
    from the first only by its id, counted twice in every metric."""
    made = variant_input(case, text)
    for written in suite.cases:
        if written.input == made and written.expected == case.expected:
            return written
    return None


def _line_of(case: GoldenCase) -> int:
    """The line (row) of the case file *case* was read from (its ``source``, ``path:line``)."""
    _, _, number = case.source.rpartition(":")
    if not number.isdigit():
        raise FuzzError(f"case '{case.id}': its row in the case file is not known ({case.source})")
    return int(number)


def _manifest_setting(suite: Suite, key: str) -> Any:
    document = yaml.safe_load(suite.manifest_path.read_text(encoding="utf-8-sig")) or {}
    return document.get(key)


def _decoded(suite: Suite, data: bytes) -> tuple[bytes, str, str]:
    """The file's byte order mark, the codec of the rest, and its text (without the mark):
    the manifest's ``encoding:``, else the mark's, else UTF-8, else GB18030 (the only other
    encoding the loader reads by itself)."""
    declared = _manifest_setting(suite, "encoding")
    if declared and str(declared).lower() != "auto":
        codec = str(declared)
        text = data.decode(codec)
        mark = "\ufeff" if text.startswith("\ufeff") else ""
        return mark.encode(codec) if mark else b"", codec, text.removeprefix("\ufeff")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return bom, codec, data[len(bom) :].decode(codec)
    for codec in ("utf-8", "gb18030"):
        try:
            return b"", codec, data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise FuzzError(f"{suite.cases_path}: cannot tell the file's encoding to append a case in it")


def _newline(text: str) -> str:
    """The file's line end: the first one it has, else ``\\n``."""
    for position, char in enumerate(text):
        if char == "\r":
            return "\r\n" if text[position + 1 : position + 2] == "\n" else "\r"
        if char == "\n":
            return "\n"
    return "\n"


def _with_line(text: str, line: str, newline: str) -> str:
    """*text* with *line* as its new last line, and a final line end."""
    if text and not text.endswith(("\n", "\r")):
        text += newline
    return text + line + newline


def _tags_of(case: GoldenCase) -> list[str]:
    """The appended case's tags: the original's, less ``critical``, plus ``fuzzed``. It fails on
    the model it was found on by construction: critical, it would fail every run whatever the
    baseline says until the model is fixed (a robustness variant does not inherit ``critical``
    either); its author may tag it so by hand."""
    kept = [tag for tag in case.tags if tag != "critical"]
    return list(dict.fromkeys((*kept, FUZZED_TAG)))


# -- JSON Lines -------------------------------------------------------------------------------


def _json_style(line: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """The :func:`json.dumps` options that write *value* as *line* is written, if any do; else
    raw UTF-8 with the usual separators."""
    for ensure_ascii in (False, True):
        for separators in ((", ", ": "), (",", ":")):
            style: dict[str, Any] = {"ensure_ascii": ensure_ascii, "separators": separators}
            if json.dumps(value, **style) == line.strip():
                return style
    return {"ensure_ascii": line.isascii() and "\\u" in line, "separators": (", ", ": ")}


def _jsonl(
    suite: Suite, case: GoldenCase, text: str, new_id: str, data: bytes
) -> tuple[bytes, bool]:
    bom, codec, content = _decoded(suite, data)
    original = LINE_BREAK.split(content)[_line_of(case) - 1]
    row: dict[str, Any] = json.loads(original)
    row["id"] = new_id
    made = variant_input(case, text)
    row["input"] = made if isinstance(made, str) else [dict(message) for message in made]
    row["tags"] = _tags_of(case)
    line = json.dumps(row, **_json_style(original, json.loads(original)))
    return bom + _with_line(content, line, _newline(content)).encode(codec), True


# -- CSV, TSV, TXT ----------------------------------------------------------------------------


def _records(content: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Each record of the table with the line it starts on."""
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    for cells in reader:
        records.append((start, cells))
        start = reader.line_num + 1
    return records


def _header(records: Sequence[tuple[int, list[str]]]) -> list[str] | None:
    for _, cells in records:
        names = [header_name(cell) for cell in cells]
        if "id" in names and "input" in names:
            return names
    return None


def _table_layout(content: str) -> tuple[str, str, list[tuple[int, list[str]]], list[str]]:
    """The delimiter, the table below a ``sep=`` line (all of *content* without one), its
    records and the header
    (column names as the loader reads them): of comma, semicolon and tab, the delimiter that
    splits a header naming ``id`` and ``input`` with the most known columns."""
    first = LINE_BREAK.split(content, maxsplit=1)[0]
    if first.lower().startswith("sep=") and len(first) == 5:
        delimiter = first[4]
        body = content[LINE_BREAK.match(content, len(first)).end() :]  # type: ignore[union-attr]
        records = _records(body, delimiter)
        header = _header(records)
        if header is not None:
            return delimiter, body, records, header
    best: tuple[int, str, list[tuple[int, list[str]]], list[str]] | None = None
    for delimiter in (",", ";", "\t"):
        try:
            records = _records(content, delimiter)
        except csv.Error:
            continue
        header = _header(records)
        if header is None:
            continue
        known = sum(1 for name in header if name in KNOWN_FIELDS)
        if best is None or known > best[0]:
            best = (known, delimiter, records, header)
    if best is None:
        raise FuzzError("cannot find the header row (id, input) to append a row under it")
    return best[1], content, best[2], best[3]


def _tags_cell(cell: str, case: GoldenCase) -> str:
    """The tags cell of the appended row: :func:`_tags_of` written as the original's cell is
    (a JSON list, or names apart by its separator)."""
    text = cell.strip()
    tags = _tags_of(case)
    if text.startswith("["):
        return json.dumps(tags, ensure_ascii=False)
    separator = ", "
    for candidate in (";", "\uff1b", "\uff0c"):  # also the full-width semicolon and comma
        if candidate in text and "," not in text:
            separator = candidate
    if "critical" not in case.tags and text:
        return f"{text}{separator}{FUZZED_TAG}"  # the cell as written, and the new tag
    return separator.join(tags)


def _raw_record(body: str, records: Sequence[tuple[int, list[str]]], line: int) -> str:
    """The text of the record that starts on *line* of *body*, without its line end."""
    later = [start for start, _ in records if start > line]
    pieces = LINE_BREAK.split(body)
    return "\n".join(pieces[line - 1 : (later[0] - 1) if later else None]).rstrip("\n")


def _csv(suite: Suite, case: GoldenCase, text: str, new_id: str, data: bytes) -> tuple[bytes, bool]:
    if not isinstance(case.input, str):
        raise FuzzError(
            f"case '{case.id}' is a chat conversation held as JSON in a spreadsheet cell, which "
            "cannot be rewritten faithfully: add the variant by hand (it is printed above), or "
            "keep chat cases in a .jsonl file"
        )
    bom, codec, content = _decoded(suite, data)
    delimiter, body, records, header = _table_layout(content)
    line = _line_of(case) - (1 if body is not content else 0)
    original = next((cells for start, cells in records if start == line), None)
    if original is None:
        raise FuzzError(f"{case.source}: no row starts on that line to copy")
    newline = _newline(content)

    def written(cells: Sequence[str], quoting: Literal[0, 1]) -> str:
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=quoting).writerow(
            cells
        )
        return out.getvalue().removesuffix(newline)

    raw = _raw_record(body, records, line).replace("\n", newline)
    quoting: Literal[0, 1] = (
        csv.QUOTE_ALL if written(original, csv.QUOTE_ALL) == raw else csv.QUOTE_MINIMAL
    )
    cells = list(original) + [""] * (len(header) - len(original))
    cells[header.index("id")] = new_id
    cells[header.index("input")] = text
    tagged = "tags" in header
    if tagged:
        cells[header.index("tags")] = _tags_cell(cells[header.index("tags")], case)
    return bom + _with_line(content, written(cells, quoting), newline).encode(codec), tagged


# -- XLSX -------------------------------------------------------------------------------------


def _xlsx(
    suite: Suite, case: GoldenCase, text: str, new_id: str, data: bytes
) -> tuple[bytes, bool]:
    if not isinstance(case.input, str):
        raise FuzzError(
            f"case '{case.id}' is a chat conversation held as JSON in a workbook cell, which "
            "cannot be rewritten faithfully: add the variant by hand (it is printed above), or "
            "keep chat cases in a .jsonl file"
        )
    from copy import copy

    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet_name = _manifest_setting(suite, "sheet")
    if sheet_name is None:
        visible = [w for w in workbook.worksheets if w.sheet_state == "visible"]
        sheet = (visible or workbook.worksheets)[0]
    else:
        sheet = workbook[str(sheet_name)]
    header: list[str] | None = None
    for cells in sheet.iter_rows(min_row=1, max_row=min(sheet.max_row, 6)):
        names = [header_name(None if c.value is None else str(c.value)) for c in cells]
        if "id" in names and "input" in names:
            header = names
            break
    if header is None:
        raise FuzzError("cannot find the header row (id, input) in the sheet to append under")
    source_row = _line_of(case)
    target = sheet.max_row + 1
    for column, name in enumerate(header, start=1):
        old = sheet.cell(row=source_row, column=column)
        new = sheet.cell(row=target, column=column)
        new.value = old.value
        if old.has_style:
            new._style = copy(old._style)
        if name == "id":
            new.value = new_id
        elif name == "input":
            new.value = text
        elif name == "tags":
            new.value = _tags_cell("" if old.value is None else str(old.value), case)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), "tags" in header


_WRITERS: dict[str, Callable[[Suite, GoldenCase, str, str, bytes], tuple[bytes, bool]]] = {
    ".jsonl": _jsonl,
    ".csv": _csv,
    ".tsv": _csv,
    ".txt": _csv,
    ".xlsx": _xlsx,
}


def _differences(added: GoldenCase, case: GoldenCase, text: str, *, tagged: bool) -> list[str]:
    """What the case read back has other than was meant."""
    problems = []
    if added.input != variant_input(case, text):
        problems.append(f"its question reads back as {added.input!r}, not {text!r}")
    if added.expected != case.expected:
        problems.append("its expected answer differs from the original's")
    if added.check != case.check or added.assertions != case.assertions:
        problems.append("its check or assertions differ from the original's")
    if tagged and added.tags != tuple(_tags_of(case)):
        problems.append(f"its tags read back as {list(added.tags)}, not {_tags_of(case)}")
    return problems


def append_variant(
    suite: Suite,
    case: GoldenCase,
    text: str,
    *,
    new_id: str,
    reload: Callable[[], Suite],
) -> GoldenCase:
    """Append *case* with its question replaced by *text* to *suite*'s case file as the case
    *new_id* (tagged ``fuzzed``), and return it as the suite now loads it; *reload* loads the
    suite again from its files. Raises :class:`FuzzError` with the file left as it was when
    a case of the file already asks the same (:func:`same_question`), the case cannot be
    written faithfully, or the file would not load with it."""
    path = suite.cases_path
    if any(made.id == new_id for made in suite.test_cases):
        raise FuzzError(f"suite {suite.name} already has a case '{new_id}': give another --id")
    existing = same_question(suite, case, text)
    if existing is not None:
        raise FuzzError(
            f"already a case: {existing.id}; nothing appended (it asks the same question with "
            f"the same expected answer: {existing.source})"
        )
    writer = _WRITERS.get(path.suffix.lower())
    if writer is None:
        raise FuzzError(f"{path}: cannot append to a case file of type '{path.suffix}'")
    before = path.read_bytes()
    try:
        after, tagged = writer(suite, case, text, new_id, before)
    except (ValueError, KeyError, IndexError, csv.Error) as exc:
        raise FuzzError(f"{path}: cannot append the case ({exc}); the file is unchanged") from None
    write_bytes_atomic(path, after)
    try:
        reloaded = reload()
        added = reloaded.case(new_id)
        problems = _differences(added, case, text, tagged=tagged)
        if len(reloaded.cases) != len(suite.cases) + 1:
            problems.append("the other cases did not read back as they were")
    except ReleasegateError as exc:
        write_bytes_atomic(path, before)
        raise FuzzError(
            f"{path}: with the new case the suite no longer loads ({exc}); the file is restored "
            "as it was"
        ) from None
    if problems:
        write_bytes_atomic(path, before)
        raise FuzzError(
            f"{path}: the appended case would not read back as written ({'; '.join(problems)}); "
            "the file is restored as it was: add the variant by hand"
        )
    return added
