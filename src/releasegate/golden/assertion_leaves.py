"""The assertion types: what one assertion of a case's ``assert:`` list reads in an answer.

Each type is a frozen class with an ``evaluate`` that returns a :class:`Reading` in the
assertion's positive sense (``contains``: was it found?); :mod:`.assertion_tree` flips pass and
fail for a negated one (``not: true`` or a ``not-`` prefix) and never an unscored one. A
negated match reads the answer folded harder (:mod:`.answer_text` says why): the type is told its
polarity, at build time, so the folding is chosen once.

Every factory in :data:`LEAVES` validates its value and parameters when the suite loads and says
what to write instead; a type that cannot be negated says so (:data:`NOT_NEGATABLE`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from ..exceptions import ConfigError
from .answer_text import AnswerText, fold_strict
from .cases import Expected
from .check_protocol import Check, CheckContext, _short, _show, expected_strings
from .json_check import _load_schema, extract_json_object
from .normalize import is_cjk, normalize_text
from .params import as_number, as_str_tuple, one_of

__all__ = [
    "LEAVES",
    "NOT_NEGATABLE",
    "REFUSAL_PHRASES",
    "AssertionContext",
    "Leaf",
    "Reading",
    "build_leaf",
]

MISSING: Any = object()
"""An assertion written without ``value``: it reads the case's expected answer."""


class Reading(NamedTuple):
    """One assertion on one answer, in its positive sense (a named tuple: made for every
    assertion of every case, twice, and a tuple is made fastest)."""

    outcome: str
    """``pass``, ``fail`` or ``unscored``."""
    reason: str


def _pass(reason: str) -> Reading:
    return Reading("pass", reason)


def _fail(reason: str) -> Reading:
    return Reading("fail", reason)


@dataclass(frozen=True)
class AssertionContext:
    """What an assertion may need of its suite."""

    check: CheckContext
    """The suite's check context (language, folders, labels)."""
    entities: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    """The manifest's named entity lists (``entities:``), each entity with its aliases."""
    build_check: Callable[[Mapping[str, Any]], Check] | None = None
    """Builds one of today's checks by spec (the check registry, handed in by the caller)."""


class Leaf(Protocol):
    """A configured assertion type."""

    @property
    def uses_expected(self) -> bool:
        """Whether it reads the case's expected answer (written without ``value``)."""
        ...

    def evaluate(self, text: AnswerText, expected: Expected) -> Reading: ...


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


@dataclass(frozen=True)
class Contains:
    """The answer holds all (``contains_all``, ``contains``) or any (``contains_any``) terms."""

    terms: tuple[str, ...]
    folded: tuple[str, ...]
    negated: bool
    mode: str = "all"
    uses_expected: bool = False
    shown: str = field(init=False, repr=False, compare=False)
    """The terms as a reason names them, worded once."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "shown", _show(map(_short, self.terms)))

    def evaluate(self, text: AnswerText, expected: Expected) -> Reading:
        reading = text.reading(self.negated)
        found = [t for t, f in zip(self.terms, self.folded, strict=True) if f in reading]
        every = len(found) == len(self.terms)
        if self.mode == "any":
            if found:
                return Reading(
                    "pass", f"found {self.shown if every else _show(map(_short, found))}"
                )
            return Reading("fail", f"none of {self.shown} found")
        if not found:
            return Reading("fail", f"not found: {self.shown}")
        if not every:
            missing = [t for t in self.terms if t not in found]
            return Reading("fail", f"not found: {_show(map(_short, missing))}")
        return Reading("pass", f"found {self.shown}")


@dataclass(frozen=True)
class Affix:
    """The answer starts (or ends) with one of the values, read as its polarity reads."""

    values: tuple[str, ...]
    folded: tuple[str, ...]
    negated: bool
    end: bool
    uses_expected: bool = False

    def evaluate(self, text: AnswerText, expected: Expected) -> Reading:
        reading = text.reading(self.negated)
        where = "ends" if self.end else "starts"
        for value, folded in zip(self.values, self.folded, strict=True):
            if reading.endswith(folded) if self.end else reading.startswith(folded):
                return Reading("pass", f"{where} with {_short(value)}")
        return Reading("fail", f"{where} with none of {_show(map(_short, self.values))}")


@dataclass(frozen=True)
class Equals:
    """The whole answer equals one of the values (the expected answers when no value is given),
    read as its polarity reads."""

    values: tuple[str, ...] | None
    negated: bool
    uses_expected: bool = False

    def evaluate(self, text: AnswerText, expected: Expected) -> Reading:
        values = self.values if self.values is not None else expected_strings(expected)
        read = fold_strict if self.negated else normalize_text
        reading = text.reading(self.negated)
        for value in values:
            if reading == read(value):
                return _pass(f"equals {_short(value)}")
        return _fail(f"{_short(text.stripped)} equals none of {_show(map(_short, values))}")


@dataclass(frozen=True)
class Regex:
    """``re.search`` for the pattern; a negated one also searches the answer with zero-width
    characters removed, width folded and traditional Chinese as simplified, ignoring case."""

    pattern: re.Pattern[str]
    negated: bool
    uses_expected: bool = False

    def evaluate(self, text: AnswerText, expected: Expected) -> Reading:
        match = self.pattern.search(text.raw)
        if match is None and self.negated:
            light = text.light
            if light != text.raw:  # the same text searched again would not match either
                match = self.pattern.search(light)
        if match is not None:
            return _pass(f"/{self.pattern.pattern}/ matched {_short(match.group(0))}")
        return _fail(f"no match for /{self.pattern.pattern}/")


@dataclass(frozen=True)
class Length:
    """The answer's length in characters, words (a CJK character is one word) or tokens (as the
    model counted them: unscored where that is not known) within ``min`` and ``max``."""

    unit: str
    min: float | None
    max: float | None
    uses_expected: bool = False

    def evaluate(self, text: AnswerText, expected: Expected) -> Reading:
        if self.unit == "chars":
            size: int | None = len(text.stripped)
        elif self.unit == "words":
            size = text.words
        else:
            size = text.output_tokens
        if size is None:
            return Reading("unscored", "the answer's token count is not known")
        shown = f"{size} {self.unit}"
        if self.min is not None and size < self.min:
            return _fail(f"{shown}, fewer than min {self.min:g}")
        if self.max is not None and size > self.max:
            return _fail(f"{shown}, more than max {self.max:g}")
        return _pass(f"{shown}, within bounds")


@dataclass(frozen=True)
class JsonSchema:
    """The answer holds a JSON object valid against the schema; unscored where it holds none."""

    validator: Any = field(repr=False)
    uses_expected: bool = False

    def evaluate(self, text: AnswerText, expected: Expected) -> Reading:
        from jsonschema.exceptions import best_match

        parsed = extract_json_object(text.raw)
        if parsed is None:
            return Reading("unscored", f"no JSON object found in {_short(text.raw)}")
        error = best_match(self.validator.iter_errors(parsed))
        if error is not None:
            return _fail(f"schema violation at {error.json_path}: {_short(error.message, 120)}")
        return _pass("valid against the schema")


def _is_word_char(char: str) -> bool:
    return char.isalnum() and not is_cjk(char)


@dataclass(frozen=True)
class Mentions:
    """Names any (or all) of a list of entities, each by its name or an alias: on word
    boundaries where an alias begins or ends with a Latin letter or digit, anywhere for
    Chinese (which has no spaces between words)."""

    entities: tuple[tuple[str, tuple[str, ...]], ...]
    """Each entity's name and its folded spellings (the name itself first)."""
    negated: bool
    mode: str = "any"
    uses_expected: bool = False

    def _mentioned(self, reading: str, spellings: tuple[str, ...]) -> bool:
        for spelling in spellings:
            start = reading.find(spelling)
            while start != -1:
                end = start + len(spelling)
                left = start == 0 or not (
                    _is_word_char(spelling[0]) and _is_word_char(reading[start - 1])
                )
                right = end == len(reading) or not (
                    _is_word_char(spelling[-1]) and _is_word_char(reading[end])
                )
                if left and right:
                    return True
                start = reading.find(spelling, start + 1)
        return False

    def evaluate(self, text: AnswerText, expected: Expected) -> Reading:
        reading = text.reading(self.negated)
        named = [name for name, spellings in self.entities if self._mentioned(reading, spellings)]
        names = [name for name, _ in self.entities]
        if self.mode == "all":
            missing = [name for name in names if name not in named]
            if missing:
                return _fail(f"does not mention {_show(missing)}")
            return _pass(f"mentions {_show(named)}")
        if named:
            return _pass(f"mentions {_show(named)}")
        return _fail(f"mentions none of {_show(names)}")


REFUSAL_PHRASES: tuple[str, ...] = (
    # English: a refusal says it cannot or will not, near its start.
    "i can't",
    "i cannot",
    "i can not",
    "i won't",
    "i will not",
    "i'm unable to",
    "i am unable to",
    "i'm not able to",
    "i am not able to",
    "i must decline",
    "i'm not allowed to",
    "i am not allowed to",
    "as an ai",
    # Chinese: 抱歉 alone opens many helpful answers (抱歉让您久等了), so it is not one.
    "我无法",
    "我不能",
    "我没办法",
    "无法回答",
    "不能回答",
    "无法提供",
    "不能提供",
    "无法帮助",
    "无法协助",
    "不便透露",
    "恕我不能",
    "恕难",
    "作为一个ai",
    "作为ai",
)
"""What ``refusal`` looks for at the opening of an answer (``phrases:`` replaces the list)."""


@dataclass(frozen=True)
class Refusal:
    """The answer declines: one of the phrases within its first ``within`` characters (read
    folded: width, case, punctuation and traditional characters do not count)."""

    phrases: tuple[str, ...]
    folded: tuple[str, ...]
    within: int
    uses_expected: bool = False

    def evaluate(self, text: AnswerText, expected: Expected) -> Reading:
        opening = text.folded[: self.within]
        for phrase, folded in zip(self.phrases, self.folded, strict=True):
            if folded in opening:
                return _pass(f"declines: {_short(phrase)} in its opening")
        return _fail(f"no refusal in its opening {_short(text.stripped, 40)}")


@dataclass(frozen=True)
class CheckLeaf:
    """One of the case checks (exact, normalized, label, json, similarity), judging the answer
    against ``value`` or, without one, the case's expected answer."""

    check: Check
    value: Expected | None
    uses_expected: bool = False

    def evaluate(self, text: AnswerText, expected: Expected) -> Reading:
        result = self.check(text.raw, self.value if self.value is not None else expected)
        return Reading("pass" if result.passed else "fail", result.reason)


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
