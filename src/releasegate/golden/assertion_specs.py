"""How an assertion written in a case file becomes one of :mod:`.assertion_leaves`' types: a
factory per type (:data:`LEAVES`) validates its value and parameters when the suite loads and says
what to write instead; a type that cannot be negated says so (:data:`NOT_NEGATABLE`);
:func:`build_leaf` is the one entry, for :mod:`.assertion_tree`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from ..exceptions import ConfigError
from .answer_text import fold_compact, fold_strict
from .assertion_leaves import (
    MISSING,
    REFUSAL_PHRASES,
    Affix,
    AssertionContext,
    CheckLeaf,
    Contains,
    Equals,
    JsonSchema,
    Leaf,
    Length,
    Mentions,
    Refusal,
    Regex,
)
from .cases import Expected
from .check_protocol import _short
from .json_check import _load_schema
from .leak_assertions import Canary, Pii
from .normalize import normalize_text
from .params import as_number, as_str_tuple, one_of
from .pii import PII_KINDS

__all__ = ["LEAVES", "NOT_NEGATABLE", "LeafFactory", "build_leaf"]


def _strings(value: Any, what: str) -> tuple[str, ...]:
    try:
        return as_str_tuple(value)
    except ValueError as err:
        raise ConfigError(f"{what} {err}, got {value!r}") from None


@lru_cache(maxsize=4096)
def _fold_term(term: str, negated: bool) -> str:
    """*term* read as its polarity reads an answer. Memoised: the cases of a suite repeat their
    terms ("7天", "PayPal") thousands of times, and folding one costs more than parsing it."""
    return fold_strict(term) if negated else normalize_text(term)


def _folded_terms(terms: tuple[str, ...], negated: bool, what: str) -> tuple[str, ...]:
    folded = tuple(_fold_term(term, negated) for term in terms)
    empty = [term for term, f in zip(terms, folded, strict=True) if not f]
    if empty:
        raise ConfigError(
            f"{what}: {_short(empty[0])} is empty once punctuation and spaces are dropped; "
            "write a word to look for"
        )
    return folded


def _compact_canaries(canaries: tuple[str, ...], what: str) -> tuple[str, ...]:
    """The *canaries* as an answer is read for them (:func:`fold_compact`: no separators)."""
    compact = tuple(fold_compact(canary) for canary in canaries)
    empty = [canary for canary, c in zip(canaries, compact, strict=True) if not c]
    if empty:
        raise ConfigError(
            f"{what}: the canary {_short(empty[0])} has no letter or digit, and a canary is "
            "looked for by its letters and digits only; write the planted string itself"
        )
    return compact


# Factories: (value, params, negated, context, what) -> Leaf. *what* prefixes an error.

LeafFactory = Callable[[Any, dict[str, Any], bool, AssertionContext, str], Leaf]


def _no_params(params: Mapping[str, Any], what: str, accepted: tuple[str, ...] = ()) -> None:
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        listing = ", ".join(accepted) or "none besides type, value, not, weight, critical, name"
        raise ConfigError(f"{what}: unknown key '{unknown[0]}' (accepted: {listing})")


def _needs_value(value: Any, what: str, example: str) -> Any:
    if value is MISSING:
        raise ConfigError(f"{what} needs a value, like {example}")
    return value


def _contains(mode: str) -> LeafFactory:
    def build(
        value: Any, params: dict[str, Any], negated: bool, ctx: AssertionContext, what: str
    ) -> Leaf:
        _no_params(params, what)
        terms = _strings(_needs_value(value, what, 'value: "7天"'), f"{what}: value")
        return Contains(terms, _folded_terms(terms, negated, what), negated, mode)

    return build


def _affix(end: bool) -> LeafFactory:
    def build(
        value: Any, params: dict[str, Any], negated: bool, ctx: AssertionContext, what: str
    ) -> Leaf:
        _no_params(params, what)
        values = _strings(_needs_value(value, what, 'value: "您好"'), f"{what}: value")
        return Affix(values, _folded_terms(values, negated, what), negated, end)

    return build


def _equals(
    value: Any, params: dict[str, Any], negated: bool, ctx: AssertionContext, what: str
) -> Leaf:
    _no_params(params, what)
    if value is MISSING:
        return Equals(None, negated, uses_expected=True)
    values = _strings(value, f"{what}: value")
    _folded_terms(values, negated, what)
    return Equals(values, negated)


def _regex(
    value: Any, params: dict[str, Any], negated: bool, ctx: AssertionContext, what: str
) -> Leaf:
    _no_params(params, what, ("ignore_case",))
    pattern = _needs_value(value, what, r'value: "\\d+天"')
    if not isinstance(pattern, str) or not pattern:
        raise ConfigError(f"{what}: value must be a regular expression (text), got {pattern!r}")
    ignore_case = params.get("ignore_case", False)
    if not isinstance(ignore_case, bool):
        raise ConfigError(f"{what}: ignore_case must be true or false, got {ignore_case!r}")
    flags = re.IGNORECASE if ignore_case or negated else 0
    try:
        compiled = _compiled(pattern, flags)
    except re.error as err:
        raise ConfigError(
            f"{what}: /{pattern}/ is not a valid regular expression ({err}); fix the pattern"
        ) from None
    return Regex(compiled, negated)


@lru_cache(maxsize=4096)
def _compiled(pattern: str, flags: int) -> re.Pattern[str]:
    """``re.compile``, remembered for the suites' shared patterns (``re``'s own cache holds 512
    and is emptied in order, so a suite of thousands of distinct patterns would evict them)."""
    return re.compile(pattern, flags)


def _bound(params: Mapping[str, Any], key: str, what: str) -> float | None:
    if key not in params:
        return None
    try:
        number = as_number(params[key])
    except ValueError:
        raise ConfigError(
            f"{what}: {key} must be a number, got {params[key]!r} (write {key}: 200)"
        ) from None
    if number < 0:
        raise ConfigError(f"{what}: {key} must not be negative, got {number:g}")
    return number


def _length(
    value: Any, params: dict[str, Any], negated: bool, ctx: AssertionContext, what: str
) -> Leaf:
    _no_params(params, what, ("min", "max", "unit"))
    if value is not MISSING:
        raise ConfigError(f"{what}: a length takes min and max, not a value")
    unit = params.get("unit", "chars")
    try:
        one_of("chars", "words", "tokens")(unit)
    except ValueError as err:
        raise ConfigError(f"{what}: unit {err}, got {unit!r}") from None
    low, high = _bound(params, "min", what), _bound(params, "max", what)
    if low is None and high is None:
        raise ConfigError(f"{what} needs min, max or both, like max: 200")
    if low is not None and high is not None and low > high:
        raise ConfigError(f"{what}: min {low:g} is above max {high:g}")
    return Length(unit, low, high)


def _json_schema(
    value: Any, params: dict[str, Any], negated: bool, ctx: AssertionContext, what: str
) -> Leaf:
    _no_params(params, what)
    schema = _needs_value(value, what, "value: address.schema.json (a file) or a schema object")
    if isinstance(schema, Mapping):
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(dict(schema))
        except SchemaError as err:
            raise ConfigError(f"{what}: not a valid JSON schema: {err.message}") from None
        validator = Draft202012Validator(
            dict(schema), format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    elif isinstance(schema, str) and schema:
        try:
            validator = _load_schema(schema, ctx.check)
        except ConfigError as err:
            raise ConfigError(f"{what}: {err}") from None
    else:
        raise ConfigError(f"{what}: value must name a schema file or hold a schema object")
    return JsonSchema(validator)


def _entities(value: Any, ctx: AssertionContext, what: str) -> dict[str, tuple[str, ...]]:
    if isinstance(value, str):
        if value not in ctx.entities:
            known = ", ".join(sorted(ctx.entities)) or "none: add an entities: section"
            raise ConfigError(
                f"{what}: no entity list named '{value}' in the manifest (lists: {known})"
            )
        return dict(ctx.entities[value])
    if isinstance(value, list) and value:
        return {name: () for name in _strings(value, f"{what}: value")}
    if isinstance(value, Mapping) and value:
        return {
            str(name): _strings(aliases, f"{what}: aliases of '{name}'") if aliases else ()
            for name, aliases in value.items()
        }
    raise ConfigError(
        f"{what}: value must name a list in the manifest's entities:, or give the entities, "
        "like {PayPal: [paypal, 贝宝]}"
    )


def _mentions(
    value: Any, params: dict[str, Any], negated: bool, ctx: AssertionContext, what: str
) -> Leaf:
    _no_params(params, what, ("mode",))
    entities = _entities(_needs_value(value, what, "value: competitors"), ctx, what)
    mode = params.get("mode", "any")
    if mode not in ("any", "all"):
        raise ConfigError(f"{what}: mode must be 'any' or 'all', got {mode!r}")
    spelled = tuple(
        (name, _folded_terms(tuple(dict.fromkeys((name, *aliases))), negated, what))
        for name, aliases in entities.items()
    )
    return Mentions(spelled, negated, mode)


def _refusal(
    value: Any, params: dict[str, Any], negated: bool, ctx: AssertionContext, what: str
) -> Leaf:
    _no_params(params, what, ("phrases", "within"))
    if value is not MISSING:
        raise ConfigError(f"{what}: a refusal takes no value (phrases: [...] replaces its list)")
    phrases = (
        _strings(params["phrases"], f"{what}: phrases") if "phrases" in params else REFUSAL_PHRASES
    )
    within = params.get("within", 80)
    if isinstance(within, bool) or not isinstance(within, int) or within < 1:
        raise ConfigError(f"{what}: within must be a whole number of characters, got {within!r}")
    return Refusal(phrases, _folded_terms(phrases, True, what), within)


def _pii(
    value: Any, params: dict[str, Any], negated: bool, ctx: AssertionContext, what: str
) -> Leaf:
    _no_params(params, what, ("kinds", "canaries"))
    if value is not MISSING:
        raise ConfigError(
            f"{what}: pii takes no value; name the kinds with kinds: [{', '.join(PII_KINDS)}] "
            "and planted strings with canaries: [...]"
        )
    kinds = _strings(params["kinds"], f"{what}: kinds") if "kinds" in params else PII_KINDS
    unknown = [kind for kind in kinds if kind not in PII_KINDS]
    if unknown:
        raise ConfigError(
            f"{what}: unknown kind '{unknown[0]}' in kinds (known: {', '.join(PII_KINDS)})"
        )
    canaries = _strings(params["canaries"], f"{what}: canaries") if "canaries" in params else ()
    return Pii(frozenset(kinds), canaries, _compact_canaries(canaries, what))


def _canary(
    value: Any, params: dict[str, Any], negated: bool, ctx: AssertionContext, what: str
) -> Leaf:
    _no_params(params, what)
    canaries = _strings(
        _needs_value(value, what, 'value: "ZEPHYR-7741" (or a list)'), f"{what}: value"
    )
    return Canary(canaries, _compact_canaries(canaries, what))


def _check_type(name: str) -> LeafFactory:
    def build(
        value: Any, params: dict[str, Any], negated: bool, ctx: AssertionContext, what: str
    ) -> Leaf:
        assert ctx.build_check is not None
        check = ctx.build_check({"name": name, **params})
        if value is MISSING:
            return CheckLeaf(check, None, uses_expected=True)
        expected: Expected = (
            tuple(value) if isinstance(value, list) else value  # a list: several answers
        )
        problem = check.validate_expected(expected)
        if problem is not None:
            raise ConfigError(f"{what}: value: {problem}")
        return CheckLeaf(check, expected)

    return build


LEAVES: Mapping[str, LeafFactory] = {
    "equals": _equals,
    "starts_with": _affix(end=False),
    "ends_with": _affix(end=True),
    "contains": _contains("all"),
    "contains_all": _contains("all"),
    "contains_any": _contains("any"),
    "regex": _regex,
    "length": _length,
    "json_schema": _json_schema,
    "mentions": _mentions,
    "refusal": _refusal,
    "pii": _pii,
    "canary": _canary,
    "exact": _check_type("exact"),
    "normalized": _check_type("normalized"),
    "label": _check_type("label"),
    "json": _check_type("json"),
    "similarity": _check_type("similarity"),
}
"""Every assertion type by name."""

NOT_NEGATABLE: Mapping[str, str] = {
    "length": "bound it with min and max instead",
    "json_schema": "a schema can say what must not be there (not, maxProperties, ...)",
    "label": "name the label you want instead",
    "json": "use json_schema to say what the object must not hold",
    "similarity": "a similarity has a min; write the bound you want",
}
"""The types a ``not`` cannot invert, with what to write instead."""


def build_leaf(
    kind: str,
    value: Any,
    params: dict[str, Any],
    negated: bool,
    ctx: AssertionContext,
    what: str,
    *,
    inverted: bool = False,
) -> Leaf:
    """The assertion of type *kind*, negated by its own ``not`` (*negated*) and standing under
    an odd number of negated groups (*inverted*): it reads the answer as a must-not where the
    two differ, however the negation is written. Raises :class:`ConfigError` prefixed with
    *what*."""
    if negated and kind in NOT_NEGATABLE:
        raise ConfigError(f"{what}: '{kind}' cannot be negated: {NOT_NEGATABLE[kind]}")
    if negated and kind == "contains" and isinstance(value, list) and len(value) > 1:
        raise ConfigError(
            f"{what}: 'not' on a list of {len(value)} terms would pass when any one is "
            "missing; write not-contains_any (none of them may appear) or one not-contains "
            "per term"
        )
    return LEAVES[kind](value, params, negated != inverted, ctx, what)
