"""The case-row rules against ``schemas/case.schema.json``, the same contract published for
editors: the rules are what runs, the schema is what users' tools see, so the two must agree."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from releasegate.golden.io.rows import CHAT_ROLES, KNOWN_FIELDS, REQUIRED_FIELDS, row_error

SCHEMA = json.loads(
    resources.files("releasegate").joinpath("schemas/case.schema.json").read_text("utf-8")
)
VALIDATOR = Draft202012Validator(SCHEMA)

_ROW_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_ROW_KEYS = st.sampled_from(["id", "input", "expected", "tags", "check", "role", "content", "name"])


def test_the_schema_names_the_same_fields_and_roles() -> None:
    assert tuple(SCHEMA["properties"]) == KNOWN_FIELDS
    # expected is required unless the case carries assertions (its own anyOf branch)
    assert (*SCHEMA["required"], "expected") == REQUIRED_FIELDS
    assert {"required": ["expected"]} in SCHEMA["anyOf"]
    assert tuple(SCHEMA["$defs"]["message"]["properties"]["role"]["enum"]) == CHAT_ROLES


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        _ROW_KEYS,
        _ROW_VALUES
        | st.lists(
            st.fixed_dictionaries(
                {"role": st.sampled_from(["user", "system", "bot"]), "content": st.text(max_size=5)}
            ),
            max_size=2,
        ),
        max_size=5,
    )
)
def test_rules_and_schema_accept_the_same_rows(row: dict[str, Any]) -> None:
    error = row_error(row, path=Path("cases.jsonl"), line=1, from_cells=False)
    schema_accepts = not list(VALIDATOR.iter_errors(row))
    if error is None:
        assert schema_accepts
    elif schema_accepts:
        # what the schema cannot say: an id with a control character, a lone surrogate anywhere
        assert error.field == "id" or "surrogate pair" in str(error), error
        assert "U+" in str(error)


_SURROGATE_TEXT = st.text(
    alphabet=st.sampled_from(["a", "\\", "u", "d", "8", "\ud83d", "\udc00", "\U0001f600", "'"]),
    max_size=6,
)
_SURROGATE_VALUES = st.recursive(
    st.none() | st.integers() | _SURROGATE_TEXT,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(_SURROGATE_TEXT, inner, max_size=3)
    ),
    max_leaves=8,
)


def _walked_surrogate(value: object) -> bool:
    """Whether any text in *value* (keys too) holds a surrogate, walked the slow, obvious way."""
    if isinstance(value, str):
        return any(0xD800 <= ord(char) <= 0xDFFF for char in value)
    if isinstance(value, dict):
        return any(_walked_surrogate(k) or _walked_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_walked_surrogate(item) for item in value)
    return False


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_SURROGATE_TEXT, _SURROGATE_VALUES, max_size=4))
def test_the_quick_surrogate_scan_misses_none(extra: dict[str, Any]) -> None:
    """The row check clears a row by one scan of its ``repr``; a surrogate anywhere outside the
    id (typed backslashes beside it or not) must still be found, and only a real one refused."""
    row = {"id": 1, "input": "a", "expected": "b", **{f"x{k}": v for k, v in extra.items()}}
    error = row_error(row, path=Path("cases.jsonl"), line=1, from_cells=False)
    if _walked_surrogate(row):
        assert error is not None and "surrogate pair" in str(error)
    else:
        assert error is None
