"""The one serialisation of every record: :func:`to_json` and :func:`from_json`, driven by the
fields' declared types, and :class:`JsonRecord`, the base that gives each record them as
methods.

A record's layout (fields in order, keys left out while None where a field says so with
:data:`OMIT_NONE`) and its reading plan (a converter per field, what a missing key means) are
worked out once per record type. Nested records, tuples, mappings of records and unions of
records told apart by their ``kind`` are read back as their types; anything else that does not
fit is a :class:`~releasegate.exceptions.RecordError` naming the record and field.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from ..exceptions import RecordError

__all__ = ["OMIT_NONE", "REST", "JsonRecord", "from_json", "to_json"]

R = TypeVar("R")

OMIT_NONE: Mapping[str, bool] = {"omit_none": True}
"""Field metadata: the key is left out of the JSON while the value is None (a benchmark's
``refused`` and ``task_result``, present only where they say something)."""

REST: Mapping[str, bool] = {"rest": True}
"""Field metadata of a mapping: its entries are written beside the record's other fields, not
under a key of their own, and on reading it holds every key that no other field declares. So an
open document (a backend's description of its model) is typed in the keys releasegate reads,
and keeps every other key its author wrote, in one flat object as before."""


class JsonRecord:
    """The one serialisation of every record, as methods (no record writes its own)."""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data: fields in their order, tuples as lists, nested records as objects."""
        data: dict[str, Any] = to_json(self)
        return data

    @classmethod
    def from_json(cls: type[R], data: Mapping[str, Any]) -> R:
        """The record back from :meth:`to_json`'s data (also read from a file)."""
        return from_json(cls, data)


_PLAIN = (str, int, float, bool, type(None))

Converter = Callable[[Any], Any]
"""JSON data -> a field's value (None where the data is the value as it is)."""


def to_json(value: Any) -> Any:
    """*value* as plain JSON data (records, mappings and sequences all the way down)."""
    if isinstance(value, _PLAIN):
        return value
    layout = _layout(type(value)) if is_dataclass(value) else None
    if layout is not None:
        out: dict[str, Any] = {}
        for name, omit in layout:
            item = getattr(value, name)
            if omit == "rest":
                out.update({key: v for key, v in to_json(item).items() if key not in out})
            elif item is not None or not omit:
                out[name] = item if isinstance(item, _PLAIN) else to_json(item)
        return out
    if isinstance(value, Mapping):
        return {
            str(key): item if isinstance(item, _PLAIN) else to_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [item if isinstance(item, _PLAIN) else to_json(item) for item in value]
    return value


def from_json(cls: type[R], data: Mapping[str, Any]) -> R:
    """The record *cls* from JSON *data*, each field converted to its declared type (nested
    records, tuples, mappings of records). A missing field takes its default, None where it
    may be None; any other missing field, or data that is not an object, is a
    :class:`RecordError`."""
    if not isinstance(data, Mapping):
        raise RecordError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
    values: dict[str, Any] = {}
    plan = _plan(cls)
    for name, convert, when_missing in plan:
        if when_missing == "rest":
            declared = {field_name for field_name, _, _ in plan}
            values[name] = {k: v for k, v in data.items() if k not in declared}
        elif name in data:
            value = data[name]
            values[name] = value if convert is None or value is None else convert(value)
        elif when_missing == "required":
            raise RecordError(f"{cls.__name__}: the field '{name}' is missing")
        elif when_missing == "none":
            values[name] = None
    return cls(**values)


_LAYOUTS: dict[type, tuple[tuple[str, str], ...]] = {}
_PLANS: dict[type, tuple[tuple[str, Converter | None, str], ...]] = {}


def _layout(cls: type) -> tuple[tuple[str, str], ...]:
    """A record's fields in order, each with how it is written: ``rest`` (its entries beside
    the other fields), ``omit_none`` (no key while it is None) or ``""`` (always)."""
    if cls not in _LAYOUTS:
        _LAYOUTS[cls] = tuple(
            (
                f.name,
                "rest"
                if f.metadata.get("rest")
                else "omit_none"
                if f.metadata.get("omit_none")
                else "",
            )
            for f in fields(cls)
        )
    return _LAYOUTS[cls]


def _plan(cls: type) -> tuple[tuple[str, Converter | None, str], ...]:
    """How to read each field of a record: its converter, and what a missing key means
    (``default``: the field's default, ``none``: None, ``required``: an error; ``rest``: the
    keys no other field declares, see :data:`REST`). Worked out once
    per record type from its type hints."""
    if cls not in _PLANS:
        hints = get_type_hints(cls)
        plan = []
        for f in fields(cls):
            tp = hints[f.name]
            if f.metadata.get("rest"):
                missing = "rest"
            elif f.default is not MISSING or f.default_factory is not MISSING:
                missing = "default"
            else:
                missing = "none" if _optional(tp) else "required"
            plan.append((f.name, _converter(tp, f"{cls.__name__}.{f.name}"), missing))
        _PLANS[cls] = tuple(plan)
    return _PLANS[cls]


def _optional(tp: Any) -> bool:
    return tp is Any or (get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp))


def _kind_of(cls: Any) -> Any:
    """The default of a record's ``kind`` field (how a union of records is told apart)."""
    for f in fields(cls):
        if f.name == "kind":
            return f.default
    return None


def _converter(tp: Any, where: str) -> Converter | None:
    """The converter of JSON data to type *tp* (None: the data is the value as it is)."""
    origin, args = get_origin(tp), get_args(tp)
    if tp is Any or tp in (str, int, bool) or origin is Literal:
        return None
    if tp is float:
        return lambda value: float(value) if type(value) is int else value
    if isinstance(tp, type) and is_dataclass(tp):
        record = tp
        return lambda value: from_json(record, value)
    if origin in (Union, types.UnionType):
        records = {_kind_of(a): a for a in args if isinstance(a, type) and is_dataclass(a)}
        if len(records) > 1:

            def by_kind(value: Any) -> Any:
                kind = value.get("kind") if isinstance(value, Mapping) else None
                if kind not in records:
                    raise RecordError(f"{where}: unknown kind {kind!r}")
                return from_json(records[kind], value)

            return by_kind
        others = [a for a in args if a is not type(None)]
        return _converter(others[0], where) if len(others) == 1 else None
    if origin is tuple or origin in (list, Sequence):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            items = [_converter(a, where) for a in args]

            def fixed(value: Any) -> Any:
                _expect(value, list | tuple, "a list", where)
                return tuple(
                    v if c is None or v is None else c(v)
                    for c, v in zip(items, value, strict=False)
                )

            return fixed
        item = _converter(args[0], where)

        def sequence(value: Any) -> Any:
            if type(value) is not list:  # what JSON gives: no isinstance on the common path
                _expect(value, list | tuple, "a list", where)
            if item is None:
                return tuple(value)
            return tuple(v if v is None else item(v) for v in value)

        return sequence
    if origin in (dict, Mapping, typing.Mapping):
        entry = _converter(args[1], where)

        def mapping(value: Any) -> Any:
            if type(value) is not dict:
                _expect(value, Mapping, "an object", where)
            if entry is None:
                return dict(value)
            return {k: v if v is None else entry(v) for k, v in value.items()}

        return mapping
    return None


def _expect(value: Any, kind: Any, what: str, where: str) -> None:
    if not isinstance(value, kind):
        raise RecordError(f"{where}: expected {what}, got {type(value).__name__}")
