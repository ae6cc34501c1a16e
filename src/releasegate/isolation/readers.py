"""Training data in, texts out: each file's texts with the row and field each came from.

Four containers (JSONL, CSV, Parquet, a ``datasets`` folder saved with ``save_to_disk``) and the
common layouts of fine-tuning data, recognised from the field names alone:

- ``messages``: a chat list; every message's ``content`` is a text;
- ``prompt`` / ``completion``; ``instruction`` / ``input`` / ``output``; ``question`` /
  ``answer``; ``text``.

Other layouts name their fields (``train_fields``). A field holding a chat list gives each
message's content. A row is the example's position in its file, 1-based: for JSONL the line
number, for CSV the data row (the header not counted), for Parquet and ``datasets`` the record.

Any problem (a missing path, an unknown format, no known layout, a corrupt file, no rows, rows
but not one text in the fields read) is one :class:`~releasegate.exceptions.TrainDataError`
naming the file: nothing is checked against half the training data, and a file read as no text at
all (numbers where the layout expects strings, chat messages keyed ``text`` instead of
``content``) is not checked as if it were clean. A row that yields no text in a file that yields
some is kept in :attr:`TrainingFile.rows_without_text`, for the check to report.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.progress import Step, progress
from ..exceptions import TrainDataError

__all__ = ["LAYOUTS", "TrainingFile", "read_training_file"]

LAYOUTS: tuple[tuple[str, ...], ...] = (
    ("messages",),
    ("prompt", "completion"),
    ("instruction", "input", "output"),
    ("question", "answer"),
    ("text",),
)
"""The layouts recognised without configuration, first match wins; a layout matches when its
first field is present (``input`` of instruction data is optional)."""

_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class TrainingFile:
    """The texts of one training file, in file order."""

    path: Path
    rows: int
    """Examples in the file."""
    texts: list[str]
    """Every text of every example (several per example: each message, prompt and answer...)."""
    row_of: np.ndarray
    """For each text, its example's row (1-based; a JSONL file's line number)."""
    field_of: list[str]
    """For each text, the field it came from (``messages[2].content``, ``prompt``)."""
    fields: tuple[str, ...]
    """The fields read (the layout recognised, or those configured)."""
    rows_without_text: tuple[int, ...] = ()
    """Rows none of whose fields read gave a text (a number, a null, an empty string, messages
    without ``content``): not looked at by the check, so reported with it."""


def read_training_file(path: Path, *, fields: Sequence[str] = ()) -> TrainingFile:
    """Read *path* and collect its texts from *fields* (or the layout its field names show)."""
    if not path.exists():
        raise TrainDataError(
            f"training data {path} does not exist; fix the path in train_data ([tool.releasegate]) "
            "or --train-data"
        )
    kind = "datasets" if path.is_dir() else _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise TrainDataError(
            f"training data {path}: unknown format '{path.suffix}'; use .jsonl, .csv, "
            ".parquet, or a datasets folder saved with save_to_disk"
        )
    # A million rows take seconds to read: the user sees the rows counted as they come.
    with progress(f"reading {path.name}") as step:
        if kind == "jsonl":
            columns, rows = _read_jsonl(path, step)
        else:
            reader = {"csv": _read_csv, "parquet": _read_parquet}.get(kind, _read_datasets_folder)
            columns, rows = reader(path)
        step.advance(len(rows) - step.done)
    if not rows:
        raise TrainDataError(f"training data {path} holds no rows: an empty training set")
    chosen = _fields_to_read(path, columns, fields)
    if fields:
        how = f"the fields {', '.join(chosen)} (train_fields)"
    else:
        how = f"the {'/'.join(chosen)} layout's fields"
    texts: list[str] = []
    row_of: list[int] = []
    field_of: list[str] = []
    for name in chosen:
        for row, value in zip(rows, columns[name], strict=True):
            for label, text in _texts_of(name, value):
                texts.append(text)
                row_of.append(row)
                field_of.append(label)
    if not texts:
        held = "; ".join(f"{name}: {_shapes(columns[name])}" for name in chosen)
        raise TrainDataError(
            f"training data {path}: {len(rows)} rows but no text in {how}; they hold {held}. "
            "A text is a non-empty string, or the 'content' string of each message in a chat "
            "list. Name the fields that hold the text with train_fields ([tool.releasegate]) or "
            "--train-fields (the file's fields: "
            f"{', '.join(sorted(columns))}), or write the data in one of the known layouts; "
            "nothing was checked against this file"
        )
    with_text = set(row_of)
    order = np.argsort(np.asarray(row_of, dtype=np.int64), kind="stable")
    return TrainingFile(
        path=path,
        rows=len(rows),
        texts=[texts[i] for i in order],
        row_of=np.asarray(row_of, dtype=np.int64)[order],
        field_of=[field_of[i] for i in order],
        fields=tuple(chosen),
        rows_without_text=tuple(row for row in rows if row not in with_text),
    )


_SHOWN_SHAPES = 3
"""Distinct kinds of value named per field in the no-text error."""


def _shapes(values: Sequence[Any]) -> str:
    """What a column holds, in words: its most common kinds of value (``int``, ``list of object
    with keys role, text``), never the values themselves."""
    counts: dict[str, int] = {}
    for value in values:
        shape = _shape(value)
        counts[shape] = counts.get(shape, 0) + 1
    common = sorted(counts.items(), key=lambda item: -item[1])
    words = [f"{shape} ({count})" for shape, count in common[:_SHOWN_SHAPES]]
    if len(common) > _SHOWN_SHAPES:
        words.append(f"{len(common) - _SHOWN_SHAPES} other kind(s)")
    return ", ".join(words)


def _shape(value: Any, *, depth: int = 0) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "text" if value else "empty text"
    if isinstance(value, Mapping):
        return "object with keys " + (", ".join(sorted(map(str, value))) or "none")
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        if depth or not value:
            return "list" if value else "empty list"
        inner = dict.fromkeys(_shape(item, depth=1) for item in value)
        return "list of " + " / ".join(list(inner)[:_SHOWN_SHAPES])
    return type(value).__name__


def _fields_to_read(
    path: Path, columns: Mapping[str, Sequence[Any]], fields: Sequence[str]
) -> list[str]:
    found = sorted(columns)
    if fields:
        missing = [name for name in fields if name not in columns]
        if missing:
            raise TrainDataError(
                f"training data {path}: no field {', '.join(map(repr, missing))} (train_fields); "
                f"its fields are: {', '.join(found) or 'none'}"
            )
        return list(fields)
    for layout in LAYOUTS:
        if layout[0] in columns:
            return [name for name in layout if name in columns]
    known = "; ".join("/".join(layout) for layout in LAYOUTS)
    raise TrainDataError(
        f"training data {path}: none of the known layouts ({known}); its fields are: "
        f"{', '.join(found) or 'none'}. Name the fields holding text with train_fields "
        "([tool.releasegate]) or --train-fields"
    )


def _texts_of(name: str, value: Any) -> Iterable[tuple[str, str]]:
    """The texts in one field value: a string, or each message's content of a chat list."""
    if isinstance(value, str):
        if value:
            yield name, value
    elif isinstance(value, Sequence):
        for i, item in enumerate(value):
            if isinstance(item, Mapping) and isinstance(item.get("content"), str):
                yield f"{name}[{i}].content", item["content"]
            elif isinstance(item, str) and item:
                yield f"{name}[{i}]", item


_COUNTED_EVERY = 10_000
"""JSONL rows read between two advances of the reading step."""


def _read_jsonl(path: Path, step: Step) -> tuple[dict[str, list[Any]], list[int]]:
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for line_number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue  # blank lines (a trailing one) hold no example
                lines.append(line_number)
                if len(lines) % _COUNTED_EVERY == 0:
                    step.advance(_COUNTED_EVERY)
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise TrainDataError(
                        f"training data {path}: line {line_number} is not valid JSON ({exc.msg})"
                    ) from None
                if not isinstance(record, dict):
                    raise TrainDataError(
                        f"training data {path}: line {line_number} is not a JSON object"
                    )
                records.append(record)
    except UnicodeDecodeError as exc:
        raise TrainDataError(f"training data {path}: not UTF-8 text ({exc})") from None
    names = dict.fromkeys(key for record in records for key in record)
    columns = {name: [record.get(name) for record in records] for name in names}
    return columns, lines


def _read_csv(path: Path) -> tuple[dict[str, list[Any]], list[int]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            records = list(reader)
            names = list(reader.fieldnames or ())
    except (UnicodeDecodeError, csv.Error) as exc:
        raise TrainDataError(
            f"training data {path}: not a readable UTF-8 CSV file ({exc})"
        ) from None
    columns = {name: [record.get(name) for record in records] for name in names}
    return columns, list(range(1, len(records) + 1))


def _read_parquet(path: Path) -> tuple[dict[str, list[Any]], list[int]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise TrainDataError(
            f"training data {path}: not a readable Parquet file ({exc}); write it again, or "
            "remove it from train_data"
        ) from None
    return _columns_of(table), list(range(1, table.num_rows + 1))


def _read_datasets_folder(path: Path) -> tuple[dict[str, list[Any]], list[int]]:
    """A ``datasets`` folder: one ``Dataset``, or a ``DatasetDict`` whose splits are read one
    after the other (rows counted across them, in split-name order)."""
    if not any((path / name).is_file() for name in ("dataset_info.json", "dataset_dict.json")):
        raise TrainDataError(
            f"training data {path} is a folder but not a datasets folder saved with "
            "save_to_disk (no dataset_info.json or dataset_dict.json)"
        )
    import datasets
    import pyarrow as pa

    try:
        loaded = datasets.load_from_disk(str(path))
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise TrainDataError(
            f"training data {path}: cannot load the datasets folder ({exc})"
        ) from None
    parts = [loaded[split] for split in sorted(loaded)] if isinstance(loaded, dict) else [loaded]
    tables = [part.data.table for part in parts]
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    return _columns_of(table), list(range(1, table.num_rows + 1))


def _columns_of(table: Any) -> dict[str, list[Any]]:
    """Each column as Python values, converted only when read (a wide table pays for its text
    columns alone)."""
    return _LazyColumns(table)


class _LazyColumns(dict[str, list[Any]]):
    """Column names known at once; a column's values converted on first access."""

    def __init__(self, table: Any) -> None:
        super().__init__({name: [] for name in table.column_names})
        self._table = table
        self._done: set[str] = set()

    def __getitem__(self, name: str) -> list[Any]:
        if name not in self._done:
            self._done.add(name)
            super().__setitem__(name, self._table.column(name).to_pylist())
        return super().__getitem__(name)
