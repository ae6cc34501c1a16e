"""The checks that read an answer as text: exact, normalized, contains, regex, label (which of
the suite's labels the answer names) and similarity (ROUGE-L, BLEU or chrF to the best
reference). Each check class sits beside the factory :data:`~releasegate.golden.checks.CHECKS`
builds it with, which validates its parameters before anything runs.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .cases import Expected
from .check_protocol import (
    Check,
    CheckContext,
    CheckResult,
    _expect_text,
    _short,
    _show,
    expected_strings,
)
from .normalize import is_cjk, normalize_text
from .params import (
    ParamError,
    as_bool,
    as_number,
    as_str,
    as_str_tuple,
    one_of,
    param,
    params_of,
    read_params,
)
from .textsim import rouge_scores, sentence_bleu, sentence_chrf

__all__ = [
    "ContainsCheck",
    "ExactCheck",
    "LabelCheck",
    "NormalizedCheck",
    "RegexCheck",
    "SimilarityCheck",
]


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


# The factories :data:`~releasegate.golden.checks.CHECKS` builds these checks with.


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


def _similarity(params: Mapping[str, Any], context: CheckContext) -> Check:
    values = read_params("check", "similarity", params, params_of(SimilarityCheck))
    top = _SIMILARITY_BOUNDS[values["metric"]]
    if not 0 <= values["min"] <= top:
        raise ParamError(
            f"check 'similarity': min {values['min']:g} is outside {values['metric']}'s "
            f"range [0, {top:g}]"
        )
    return SimilarityCheck(**values, language=context.language)
