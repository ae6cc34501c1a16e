"""The assertion types: what one assertion of a case's ``assert:`` list reads in an answer.

Each type is a frozen class with an ``evaluate`` that returns a :class:`Reading` in the
assertion's positive sense (``contains``: was it found?); :mod:`.assertion_tree` flips pass and
fail for a negated one (``not: true`` or a ``not-`` prefix) and never an unscored one. A
negated match reads the answer folded harder (:mod:`.answer_text` says why): the type is told its
polarity, at build time, so the folding is chosen once.

How each is built from what a case file says (its value and parameters, validated when the suite
loads) is :mod:`.assertion_specs`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from .answer_text import AnswerText, fold_strict
from .cases import Expected
from .check_protocol import Check, CheckContext, _short, _show, expected_strings
from .json_check import extract_json_object
from .normalize import is_cjk, normalize_text

__all__ = [
    "MISSING",
    "REFUSAL_PHRASES",
    "AssertionContext",
    "Leaf",
    "Reading",
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
                shown = self.shown if every else _show(map(_short, found))
                return Reading("pass", f"found {shown}{self._folded_note(text, found)}")
            return Reading("fail", f"none of {self.shown} found")
        if not found:
            return Reading("fail", f"not found: {self.shown}")
        if not every:
            missing = [t for t in self.terms if t not in found]
            return Reading("fail", f"not found: {_show(map(_short, missing))}")
        return Reading("pass", f"found {self.shown}{self._folded_note(text, found)}")

    def _folded_note(self, text: AnswerText, found: list[str]) -> str:
        """Where a must-not found a term only as the answer reads folded (貨到付款 for
        货到付款), says so: the reason quotes the term, not what the answer wrote."""
        if self.negated and any(term not in text.raw for term in found):
            return " (read folded: width, case, zero-width and traditional characters)"
        return ""


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
    # "..., but as a customer-service assistant, I'm not equipped to assist with that": how
    # small chat models decline (the default model's most frequent refusal, issue 25).
    "i'm not equipped to",
    "i am not equipped to",
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


_CJK_DENSITY = 4
"""How many characters of an English opening say what one Chinese character says, near enough:
folded, "I'm sorry for the misunderstanding, but as a customer service assistant, I'm not
equipped to" is 88 characters, its Chinese (很抱歉造成误解 但作为客服助手 我无法) 17. A phrase
with a CJK character must end within ``within // 4`` characters, so ``within`` reads the same
opening in either language."""


def _latin_word_char(char: str) -> bool:
    """A letter or digit of a script that writes spaces between words (not a CJK character)."""
    return char.isalnum() and not is_cjk(char)


def _found_as_words(text: str, term: str, limit: int) -> bool:
    """Whether *term* occurs in *text*, ending within its first *limit* characters, with no
    letter or digit glued to a Latin end of it: "as an ai" is not in "has an air purifier", nor
    "i wont" in "taxi wont wait". A CJK end needs no boundary (Chinese writes no spaces), and a
    CJK character beside a Latin end is one ("作为ai助手", "抱歉i cant")."""
    bounded_start = _latin_word_char(term[0])
    bounded_end = _latin_word_char(term[-1])
    start = text.find(term)
    while start >= 0 and start + len(term) <= limit:
        end = start + len(term)
        if not (bounded_start and start > 0 and _latin_word_char(text[start - 1])) and not (
            bounded_end and end < len(text) and _latin_word_char(text[end])
        ):
            return True
        start = text.find(term, start + 1)
    return False


@dataclass(frozen=True)
class Refusal:
    """The answer declines: one of the phrases at its opening (read folded: width, case,
    punctuation and traditional characters do not count).

    A phrase counts as whole words (:func:`_found_as_words`), ending within the first ``within``
    characters; a phrase written with CJK characters within the first ``within // 4``
    (:data:`_CJK_DENSITY`): a Chinese refusal opens with it, and 80 characters of Chinese are a
    paragraph, in which 我不能保证明天到 (I can't promise it arrives tomorrow) is a caveat."""

    phrases: tuple[str, ...]
    folded: tuple[str, ...]
    within: int
    uses_expected: bool = False
    limits: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """Each phrase's window: ``within``, or ``within // 4`` (at least 1) for a CJK phrase."""

    def __post_init__(self) -> None:
        cjk_within = max(1, self.within // _CJK_DENSITY)
        limits = tuple(
            cjk_within if any(is_cjk(char) for char in folded) else self.within
            for folded in self.folded
        )
        object.__setattr__(self, "limits", limits)

    def evaluate(self, text: AnswerText, expected: Expected) -> Reading:
        reading = text.folded
        for phrase, folded, limit in zip(self.phrases, self.folded, self.limits, strict=True):
            if _found_as_words(reading, folded, limit):
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
