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
    assert tuple(SCHEMA["required"]) == REQUIRED_FIELDS
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
