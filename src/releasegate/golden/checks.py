"""Checks: how one case passes. Chosen by name from :data:`CHECKS`, configured by a few params.

A check is built once per suite (or per case that overrides it) by :func:`build_check`, which
rejects an unknown name, parameter or value before anything runs; :meth:`Check.validate_expected`
lets the loader reject a case whose ``expected`` the check cannot use (a bad regex, a label that
is not in the suite's labels) with the case's file and line. Calling a check never raises for a
model answer: whatever the model said becomes a :class:`CheckResult` with a readable reason.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from ..core.display import shorten
from ..exceptions import ConfigError, UnknownNameError
from .cases import Expected
from .normalize import is_cjk, normalize_text, normalized_equal
from .textsim import rouge_scores, sentence_bleu, sentence_chrf

__all__ = [
    "CHECKS",
    "Check",
    "CheckContext",
    "CheckResult",
    "build_check",
    "expected_strings",
    "extract_json_object",
]


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check on one answer."""

    passed: bool
    """Whether the case passed."""
    reason: str
    """One readable line: why it failed ("missing keywords: 退款, 7天"), or a short note."""
    score: float | None = None
    """Similarity score, fraction of keywords found or of JSON fields right, where meaningful."""
    prediction: Any = None
    """The label found (label check), the parsed JSON object (json check), else None."""


@dataclass(frozen=True)
class CheckContext:
    """What a check may need to know about the suite it belongs to."""

    language: str
    """Suite language ("en", "zh", ...)."""
    base_dir: Path
    """The manifest's folder: relative paths in params resolve here first."""
    schemas_dir: Path
    """``fixtures/schemas``: the second place a schema path is looked up."""
    labels: tuple[str, ...] = ()
    """The suite's closed set of labels, if it has one."""


class Check(Protocol):
    """A configured check: call it with the model's answer and the case's expected value."""

    @property
    def name(self) -> str:
        """The registry name: "contains", "json", ..."""
        ...

    def __call__(self, answer: str, expected: Expected) -> CheckResult: ...

    def validate_expected(self, expected: Expected) -> str | None:
        """None if the check can judge cases with this *expected*, else what is wrong with it."""
        ...


# --------------------------------------------------------------------------------------------
# Parameters: declared once, as fields of the check's (or metric's) dataclass made with
# :func:`param`; read and validated in one place, :func:`read_params`.


class ParamError(ConfigError):
    """A bad parameter; :func:`build_check` and ``build_metric`` prefix it with where it was."""


@dataclass(frozen=True)
class Param:
    """One accepted parameter: its name, how to read it, and whether it must be given."""

    name: str
    read: Callable[[Any], Any]
    """Returns the value to use, or raises ValueError saying what the value must be."""
    required: bool = False
    default: Any = None


_PARAM = "releasegate.param"


def param(read: Callable[[Any], Any], *, default: Any = None, required: bool = False) -> Any:
    """A dataclass field that is also a parameter a manifest may give, under the field's name.

    *read* returns the value to use or raises ValueError saying what it must be; *default* is the
    value when the manifest leaves it out (a required parameter has none: declare the class
    ``kw_only`` when a required one follows one with a default). :func:`params_of` lists them.
    """
    declared = Param(name="", read=read, required=required, default=default)
    metadata = {_PARAM: declared}
    if required:
        return field(metadata=metadata)
    if isinstance(default, dict | list):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@cache
def params_of(cls: type) -> tuple[Param, ...]:
    """The parameters *cls* (a check or metric dataclass) declares with :func:`param`, in field
    order."""
    return tuple(
        replace(f.metadata[_PARAM], name=f.name) for f in fields(cls) if _PARAM in f.metadata
    )


def read_params(
    kind: str, name: str, params: Mapping[str, Any], accepted: Sequence[Param]
) -> dict[str, Any]:
    """Validate *params* of the *kind* ("check", "metric") called *name* against *accepted*.

    Returns every accepted parameter's value (its default where not given). Raises
    :class:`ParamError` naming the parameter and listing the accepted ones.
    """
    by_name = {param.name: param for param in accepted}
    listing = ", ".join(sorted(by_name)) if by_name else "none"
    for key in params:
        if key not in by_name:
            close = difflib.get_close_matches(str(key), list(by_name), n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ParamError(
                f"{kind} '{name}': unknown parameter '{key}'.{hint} Accepted parameters: {listing}."
            )
    values: dict[str, Any] = {}
    for param in accepted:
        if param.name not in params:
            if param.required:
                raise ParamError(
                    f"{kind} '{name}': parameter '{param.name}' is required. "
                    f"Accepted parameters: {listing}."
                )
            values[param.name] = param.default
            continue
        try:
            values[param.name] = param.read(params[param.name])
        except ValueError as err:
            raise ParamError(
                f"{kind} '{name}': parameter '{param.name}' {err} "
                f"(got {params[param.name]!r}). Accepted parameters: {listing}."
            ) from None
    return values


def as_str(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return value


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def as_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ValueError("must be a number")
    return float(value)


def as_str_tuple(value: Any) -> tuple[str, ...]:
    """A non-empty string or list of non-empty strings, as a tuple."""
    if isinstance(value, str):
        value = [value]
    if (
        not isinstance(value, (list, tuple))
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise ValueError("must be a non-empty string or a non-empty list of non-empty strings")
    return tuple(value)


def one_of(*choices: str) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        if value not in choices:
            raise ValueError("must be one of " + ", ".join(f"'{c}'" for c in choices))
        return str(value)

    return read


def as_mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise ValueError("must be a mapping of names to values")
    return dict(value)


# --------------------------------------------------------------------------------------------
# Helpers shared by checks and metrics.


def expected_strings(expected: Expected) -> tuple[str, ...]:
    """The acceptable answers of a text case: ``"a"`` -> ``("a",)``; a JSON object -> its JSON text.

    Text metrics (BLEU, ROUGE, ...) are still defined on a JSON case: its expected object, written
    compactly, is the reference.
    """
    if isinstance(expected, str):
        return (expected,)
    if isinstance(expected, Mapping):
        return (json.dumps(expected, ensure_ascii=False, sort_keys=True),)
    return tuple(str(item) for item in expected)


def _expect_text(expected: Expected, check: str) -> str | None:
    """The complaint when a text check gets a JSON object or an empty list, else None."""
    if isinstance(expected, Mapping):
        return f"the {check} check needs a string or a list of strings, not a JSON object"
    if not isinstance(expected, str) and not expected:
        return f"the {check} check needs at least one expected string"
    if not isinstance(expected, str) and not all(isinstance(item, str) for item in expected):
        return f"the {check} check needs a string or a list of strings"
    return None


def _short(text: str, limit: int = 60) -> str:
    """Quote *text* on one line, cut to *limit* characters, for a reason string."""
    return repr(shorten(text, limit, ellipsis="…"))


def _show(items: Iterable[str]) -> str:
    return ", ".join(items)


_JSON_FENCE = re.compile(r"```[ \t]*(json)?[^\n`]*\n(.*?)```", re.DOTALL | re.IGNORECASE)


def extract_json_object(answer: str) -> dict[str, Any] | None:
    """The JSON object in a model's answer, or None.

    A fenced block (```` ```json ````, or a bare ```` ``` ````) that parses as an object comes
    first, json-tagged fences before bare ones; otherwise the first ``{`` at which a whole JSON
    object parses, so prose before and after it is ignored.
    """
    fenced = sorted(_JSON_FENCE.finditer(answer), key=lambda m: m.group(1) is None)
    for match in fenced:
        try:
            value = json.loads(match.group(2))
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    start = answer.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(answer, start)
        except (ValueError, RecursionError):
            pass
        else:
            if isinstance(value, dict):
                return value
        start = answer.find("{", start + 1)
    return None


# --------------------------------------------------------------------------------------------
# The checks.


@dataclass(frozen=True)
class ExactCheck:
    """The stripped answer equals the (stripped) expected answer, or one of several."""

    name: str = "exact"

    def __call__(self, answer: str, expected: Expected) -> CheckResult:
        got = answer.strip()
        wanted = expected_strings(expected)
        for option in wanted:
            if got == option.strip():
                return CheckResult(True, f"equals {_short(option)}", score=1.0)
        return CheckResult(
            False, f"answer {_short(got)} does not equal {_show(map(_short, wanted))}", score=0.0
        )

    def validate_expected(self, expected: Expected) -> str | None:
        return _expect_text(expected, self.name)


@dataclass(frozen=True)
class NormalizedCheck:
    """Equal after :func:`~releasegate.golden.normalize.normalize_text` (case, width,
    punctuation)."""

    name: str = "normalized"

    def __call__(self, answer: str, expected: Expected) -> CheckResult:
        got = normalize_text(answer)
        wanted = expected_strings(expected)
        for option in wanted:
            if got == normalize_text(option):
                return CheckResult(True, f"matches {_short(option)} after normalisation", 1.0)
        return CheckResult(
            False,
            f"normalised answer {_short(got)} matches none of {_show(map(_short, wanted))}",
            score=0.0,
        )

    def validate_expected(self, expected: Expected) -> str | None:
        problem = _expect_text(expected, self.name)
        if problem is None and any(not normalize_text(e) for e in expected_strings(expected)):
            return "an expected answer is empty after normalisation (only punctuation or spaces)"
        return problem


@dataclass(frozen=True)
class ContainsCheck:
    """The normalised answer contains all (or any) of the keywords, normalised too.

    Keywords are the check's ``keywords`` param if given, else the case's expected value. Matching
    is by substring, which is what Chinese text (no spaces between words) needs.
    """

    keywords: tuple[str, ...] | None = param(as_str_tuple)
    mode: str = param(one_of("all", "any"), default="all")
    name: str = "contains"

    def _keywords(self, expected: Expected) -> tuple[str, ...]:
        return self.keywords if self.keywords is not None else expected_strings(expected)

    def __call__(self, answer: str, expected: Expected) -> CheckResult:
        text = normalize_text(answer)
        keywords = self._keywords(expected)
        found = [kw for kw in keywords if normalize_text(kw) in text]
        missing = [kw for kw in keywords if kw not in found]
        score = len(found) / len(keywords) if keywords else 0.0
        if self.mode == "any":
            if found:
                return CheckResult(True, f"found keyword: {_show(found)}", score)
            return CheckResult(False, f"none of the keywords found: {_show(keywords)}", score)
        if missing:
            return CheckResult(False, f"missing keywords: {_show(missing)}", score)
        return CheckResult(True, f"found all {len(keywords)} keyword(s)", score)

    def validate_expected(self, expected: Expected) -> str | None:
        if self.keywords is not None:
            return None
        problem = _expect_text(expected, self.name)
        if problem is None and any(not normalize_text(e) for e in expected_strings(expected)):
            return "a keyword is empty after normalisation (only punctuation or spaces)"
        return problem


def _compile(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


@dataclass(frozen=True)
class RegexCheck:
    """``re.search`` in the answer for the ``pattern`` param, else for the expected pattern(s)."""

    pattern: str | None = param(as_str)
    ignore_case: bool = param(as_bool, default=False)
    name: str = "regex"

    def __call__(self, answer: str, expected: Expected) -> CheckResult:
        patterns = (self.pattern,) if self.pattern is not None else expected_strings(expected)
        for pattern in patterns:
            match = _compile(pattern, self.ignore_case).search(answer)
            if match is not None:
                return CheckResult(True, f"/{pattern}/ matched {_short(match.group(0))}", 1.0)
        shown = _show(f"/{p}/" for p in patterns)
        return CheckResult(False, f"no match for {shown} in {_short(answer)}", 0.0)

    def validate_expected(self, expected: Expected) -> str | None:
        if self.pattern is not None:
            return None
        problem = _expect_text(expected, self.name)
        if problem is not None:
            return problem
        for pattern in expected_strings(expected):
            try:
                _compile(pattern, self.ignore_case)
            except re.error as err:
                return f"invalid regular expression /{pattern}/: {err}"
        return None


def _is_word_char(char: str) -> bool:
    """A letter or digit that is not CJK: latin labels must not match inside such a run."""
    return char.isalnum() and not is_cjk(char)


@dataclass(frozen=True)
class _LabelPattern:
    label: str
    pattern: re.Pattern[str]
    bounded_start: bool
    bounded_end: bool

    def first(self, text: str) -> tuple[int, int] | None:
        """(start, end) of the earliest acceptable occurrence in normalised *text*, or None."""
        pos = 0
        while (match := self.pattern.search(text, pos)) is not None:
            start, end = match.span()
            left_ok = not (self.bounded_start and start > 0 and _is_word_char(text[start - 1]))
            right_ok = not (self.bounded_end and end < len(text) and _is_word_char(text[end]))
            if left_ok and right_ok:
                return start, end
            pos = start + 1
        return None


def _label_pattern(label: str) -> _LabelPattern:
    """How *label* is found in a normalised answer: "order_status" also as "order status"."""
    parts = [normalize_text(part) for part in re.split(r"[_\s]+", label)]
    parts = [part for part in parts if part]
    if not parts:
        raise ParamError(f"check 'label': label {label!r} is empty after normalisation")
    # The answer is normalised, so an underscore in it is gone: "order_status" reads
    # "orderstatus", "order status" stays. Either spelling matches.
    pattern = re.compile(" ?".join(re.escape(part) for part in parts))
    return _LabelPattern(
        label=label,
        pattern=pattern,
        bounded_start=_is_word_char(parts[0][0]),
        bounded_end=_is_word_char(parts[-1][-1]),
    )


@dataclass(frozen=True)
class LabelCheck:
    """Finds which of the suite's labels the answer names (earliest wins) and compares it."""

    labels: tuple[str, ...] = param(as_str_tuple, default=())
    """The labels to find; the suite's ``labels`` when the check gives none."""
    _patterns: tuple[_LabelPattern, ...] = field(repr=False, compare=False, default=())
    name: str = "label"

    def __post_init__(self) -> None:
        if not self._patterns:
            object.__setattr__(self, "_patterns", tuple(map(_label_pattern, self.labels)))

    def predict(self, answer: str) -> str | None:
        """The label the answer names first (the longest one where two start together), or None."""
        text = normalize_text(answer)
        best: tuple[int, int, str] | None = None
        for pattern in self._patterns:
            span = pattern.first(text)
            if span is None:
                continue
            key = (span[0], -(span[1] - span[0]), pattern.label)
            if best is None or key < best:
                best = key
        return best[2] if best is not None else None

    def __call__(self, answer: str, expected: Expected) -> CheckResult:
        wanted = expected_strings(expected)
        predicted = self.predict(answer)
        if predicted is None:
            return CheckResult(
                False, f"no label found in {_short(answer)}; expected {_show(wanted)}", None, None
            )
        if predicted in wanted:
            return CheckResult(True, f"label {predicted}", None, predicted)
        return CheckResult(False, f"label {predicted}, expected {_show(wanted)}", None, predicted)

    def validate_expected(self, expected: Expected) -> str | None:
        problem = _expect_text(expected, self.name)
        if problem is not None:
            return problem
        for label in expected_strings(expected):
            if label not in self.labels:
                close = difflib.get_close_matches(label, self.labels, n=1, cutoff=0.6)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                return f"label {label!r} is not one of the labels ({_show(self.labels)}).{hint}"
        return None


def _load_schema(schema: str, context: CheckContext) -> Any:
    """A validator for a JSON schema file, looked up next to the manifest, then in the schemas dir.

    ``format`` keywords (``date``, ``email``, ...) are checked, not only annotated: a schema that
    says a field is a date means it.
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    tried = [context.base_dir / schema, context.schemas_dir / schema]
    path = next((p for p in tried if p.is_file()), None)
    if path is None:
        raise ParamError(
            f"check 'json': schema file '{schema}' not found (looked for "
            f"{_show(str(p) for p in tried)})"
        )
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ParamError(f"check 'json': schema file {path} is not valid JSON: {err}") from None
    if not isinstance(loaded, dict):
        raise ParamError(f"check 'json': schema file {path} must hold a JSON object")
    try:
        Draft202012Validator.check_schema(loaded)
    except SchemaError as err:
        raise ParamError(
            f"check 'json': schema file {path} is not a valid JSON schema: {err.message}"
        ) from None
    return Draft202012Validator(loaded, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _json_text(value: Any) -> str:
    return _short(json.dumps(value, ensure_ascii=False), 30)


@dataclass(frozen=True, kw_only=True)
class JsonCheck:
    """Extract a JSON object from the answer, validate it against a schema, compare fields.

    Fields are the ``fields`` param if given, else every key of the expected object; a field is
    right when present and equal after normalisation (strings via ``normalize_text``).
    """

    schema: str = param(as_str, required=True)
    """The schema file as the manifest names it (looked up in the suite's folder, then
    ``schemas_dir``)."""
    fields: tuple[str, ...] | None = param(as_str_tuple)
    validator: Any = field(repr=False)
    """A jsonschema Draft 2020-12 validator for the check's schema."""
    name: str = "json"

    def __call__(self, answer: str, expected: Expected) -> CheckResult:
        from jsonschema.exceptions import best_match

        wanted: Mapping[str, Any] = expected if isinstance(expected, Mapping) else {}
        fields = self.fields if self.fields is not None else tuple(wanted)
        parsed = extract_json_object(answer)
        if parsed is None:
            return CheckResult(False, f"no JSON object found in {_short(answer)}", 0.0, None)
        wrong = [
            f for f in fields if f not in parsed or not normalized_equal(parsed[f], wanted.get(f))
        ]
        score = (len(fields) - len(wrong)) / len(fields) if fields else 1.0
        error = best_match(self.validator.iter_errors(parsed))
        if error is not None:
            message = shorten(error.message, 200, ellipsis="…")
            reason = f"schema violation at {error.json_path}: {message}"
            return CheckResult(False, reason, score, parsed)
        if wrong:
            shown = _show(
                f"{f} (missing)"
                if f not in parsed
                else f"{f} (got {_json_text(parsed[f])}, expected {_json_text(wanted.get(f))})"
                for f in wrong
            )
            return CheckResult(False, f"wrong fields: {shown}", score, parsed)
        return CheckResult(True, f"valid JSON, {len(fields)} field(s) right", score, parsed)

    def validate_expected(self, expected: Expected) -> str | None:
        if not isinstance(expected, Mapping):
            return "the json check needs a JSON object as expected value"
        if self.fields is not None:
            missing = [f for f in self.fields if f not in expected]
            if missing:
                return f"expected object lacks field(s) named in the check: {_show(missing)}"
        return None


_SIMILARITY_BOUNDS = {"rougeL": 1.0, "bleu": 100.0, "chrf": 100.0}


@dataclass(frozen=True, kw_only=True)
class SimilarityCheck:
    """A sentence similarity (ROUGE-L, BLEU or chrF) to the best reference of at least ``min``."""

    metric: str = param(one_of(*_SIMILARITY_BOUNDS), default="rougeL")
    min: float = param(as_number, required=True)
    language: str = "en"
    name: str = "similarity"

    def score(self, answer: str, references: Sequence[str]) -> float:
        if self.metric == "bleu":
            return sentence_bleu(answer, references, language=self.language)
        if self.metric == "chrf":
            return sentence_chrf(answer, references)
        return rouge_scores(answer, references, language=self.language)["rougeL"]

    def __call__(self, answer: str, expected: Expected) -> CheckResult:
        value = self.score(answer, expected_strings(expected))
        if value >= self.min:
            return CheckResult(True, f"{self.metric} {value:.3g} >= {self.min:g}", value)
        return CheckResult(False, f"{self.metric} {value:.3g} < min {self.min:g}", value)

    def validate_expected(self, expected: Expected) -> str | None:
        return _expect_text(expected, self.name)


# --------------------------------------------------------------------------------------------
# The registry.


def _exact(params: Mapping[str, Any], context: CheckContext) -> Check:
    read_params("check", "exact", params, params_of(ExactCheck))
    return ExactCheck()


def _normalized(params: Mapping[str, Any], context: CheckContext) -> Check:
    read_params("check", "normalized", params, params_of(NormalizedCheck))
    return NormalizedCheck()


def _contains(params: Mapping[str, Any], context: CheckContext) -> Check:
    values = read_params("check", "contains", params, params_of(ContainsCheck))
    keywords = values["keywords"]
    if keywords is not None and any(not normalize_text(kw) for kw in keywords):
        raise ParamError("check 'contains': a keyword is empty after normalisation")
    return ContainsCheck(**values)


def _regex(params: Mapping[str, Any], context: CheckContext) -> Check:
    values = read_params("check", "regex", params, params_of(RegexCheck))
    if values["pattern"] is not None:
        try:
            _compile(values["pattern"], values["ignore_case"])
        except re.error as err:
            raise ParamError(
                f"check 'regex': parameter 'pattern' is not a valid regular expression "
                f"/{values['pattern']}/: {err}"
            ) from None
    return RegexCheck(**values)


def _label(params: Mapping[str, Any], context: CheckContext) -> Check:
    values = read_params("check", "label", params, params_of(LabelCheck))
    labels = values["labels"] or context.labels
    if not labels:
        raise ParamError(
            "check 'label' needs labels: give the suite 'labels: [...]' or the check "
            "'labels: [...]'"
        )
    if len(set(labels)) != len(labels):
        raise ParamError(f"check 'label': labels are not unique: {_show(labels)}")
    return LabelCheck(labels=tuple(labels))


def _json(params: Mapping[str, Any], context: CheckContext) -> Check:
    values = read_params("check", "json", params, params_of(JsonCheck))
    return JsonCheck(**values, validator=_load_schema(values["schema"], context))


def _similarity(params: Mapping[str, Any], context: CheckContext) -> Check:
    values = read_params("check", "similarity", params, params_of(SimilarityCheck))
    top = _SIMILARITY_BOUNDS[values["metric"]]
    if not 0 <= values["min"] <= top:
        raise ParamError(
            f"check 'similarity': min {values['min']:g} is outside {values['metric']}'s "
            f"range [0, {top:g}]"
        )
    return SimilarityCheck(**values, language=context.language)


CHECKS: Mapping[str, Callable[[Mapping[str, Any], CheckContext], Check]] = MappingProxyType(
    {
        "exact": _exact,
        "normalized": _normalized,
        "contains": _contains,
        "regex": _regex,
        "label": _label,
        "json": _json,
        "similarity": _similarity,
    }
)
"""Every check by name: a factory taking the check's params and the suite's context."""


def split_spec(
    spec: Mapping[str, Any] | str, kind: str, *, where: str
) -> tuple[str, dict[str, Any]]:
    """``"contains"`` or ``{"name": "contains", "mode": "any"}`` -> (name, params)."""
    if isinstance(spec, str):
        return spec, {}
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{where}: a {kind} must be a name or a mapping with 'name', got {spec!r}"
        )
    params = dict(spec)
    name = params.pop("name", None)
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: a {kind} needs a 'name' (a string), got {spec!r}")
    return name, params


def build_check(spec: Mapping[str, Any] | str, context: CheckContext, *, where: str) -> Check:
    """Build the check *spec* names, for the suite in *context*; *where* prefixes any error."""
    name, params = split_spec(spec, "check", where=where)
    factory = CHECKS.get(name)
    if factory is None:
        raise UnknownNameError("check", name, CHECKS, where=where)
    try:
        return factory(params, context)
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None
