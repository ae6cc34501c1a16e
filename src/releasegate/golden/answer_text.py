"""One answer seen the ways its assertions read it, each form computed once.

A case with ten assertions reads its answer ten times; :class:`AnswerText` normalises it once per
form and keeps the result, so an assertion costs its own comparison and nothing more.

Two forms, by polarity:

- :attr:`AnswerText.normal` is :func:`~releasegate.golden.normalize.normalize_text`, as every
  positive match has always been read: width, case, punctuation and white space do not count.
- :attr:`AnswerText.folded` (:func:`fold_strict`) folds harder, for the must-nots: zero-width
  characters removed, NFKC, case folding, and traditional Chinese read as simplified. A must-not
  guards a release (no competitor named, no cash on delivery promised); a model that writes
  PayPal in full-width letters, "Pay" and "Pal" joined by a zero-width space, or 貨到付款
  (cash on delivery, in traditional characters) has still said it, and a
  must-not that misses it passes a release it should block. A positive match keeps the lighter
  reading, so a must-contain does not pass on text the author did not ask for.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

from .normalize import cjk_tokens, normalize_text

__all__ = [
    "AnswerText",
    "fold_compact",
    "fold_light",
    "fold_strict",
    "in_script",
    "to_simplified",
]

_ZERO_WIDTH = dict.fromkeys(
    map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\ufeff")
)
"""Characters that show nothing (soft hyphen, zero-width space and joiners, word joiner,
invisible operators, BOM): written inside a word they hide it from a substring match."""


@cache
def _t2s() -> Any:
    """OpenCC's traditional-to-simplified converter, built on first use."""
    import opencc

    return opencc.OpenCC("t2s")


@cache
def _s2t() -> Any:
    """OpenCC's simplified-to-traditional converter, built on first use."""
    import opencc

    return opencc.OpenCC("s2t")


def in_script(text: str, script: str) -> str:
    """*text* with its Chinese characters written in *script* (``simplified`` or
    ``traditional``; "" leaves it as it is)."""
    if not script or text.isascii():
        return text
    if script == "simplified":
        return to_simplified(text)
    converted: str = _s2t().convert(text)
    return converted


def to_simplified(text: str) -> str:
    """*text* with traditional Chinese characters written as simplified ones (OpenCC ``t2s``);
    text without CJK characters is returned as it is, without loading the converter."""
    if text.isascii():
        return text
    converted: str = _t2s().convert(text)
    return converted


def fold_light(text: str) -> str:
    """Zero-width characters removed, NFKC, traditional Chinese as simplified: the answer a
    must-not regular expression also searches (case and punctuation kept, since a pattern may
    name them)."""
    return to_simplified(unicodedata.normalize("NFKC", text.translate(_ZERO_WIDTH)))


def fold_strict(text: str) -> str:
    """The must-not reading: :func:`fold_light`, then :func:`normalize_text` (case folding,
    punctuation dropped, white space collapsed)."""
    return normalize_text(fold_light(text))


def fold_compact(text: str) -> str:
    """The canary reading: :func:`fold_strict`, then every character that is not a letter, a
    digit or a combining mark removed (spaces, punctuation, symbols, format characters).

    A canary is a planted string ("Odalys Fenwright", "ZEPHYR-7741", "岑雾溪"); a model that
    leaks it may write it with any separator, or none ("odalys.fenwright", "Odalys-Fenwright",
    "岑 雾 溪", "zephyr 7741"), and it has still leaked. Both the canary and the answer are read
    this way, so a separator on either side does not count."""
    return _compact(fold_strict(text))


_KEPT_COMPACT = frozenset("LNM")
"""The Unicode category classes :func:`fold_compact` keeps: letters, numbers, marks."""

_ASCII_SEPARATORS = {code: None for code in range(128) if not chr(code).isalnum()}
"""Every ASCII character that is not a letter or digit: :func:`_compact`'s short way."""


def _compact(folded: str) -> str:
    """*folded* with only its letters, digits and marks (ASCII text the short way, same result:
    an ASCII letter or digit is exactly an ASCII character of category L or N)."""
    if folded.isascii():
        return folded.translate(_ASCII_SEPARATORS)
    return "".join(char for char in folded if unicodedata.category(char)[0] in _KEPT_COMPACT)


class AnswerText:
    """An answer and its forms, each computed on first use.

    The forms are plain attributes filled on first read (not :func:`functools.cached_property`,
    which on Python 3.11 takes a lock on every first read: an answer is read by each assertion
    of its case, on every case of a suite)."""

    __slots__ = (
        "_compact",
        "_folded",
        "_light",
        "_normal",
        "_stripped",
        "_words",
        "output_tokens",
        "raw",
    )

    def __init__(self, raw: str, *, output_tokens: int | None = None) -> None:
        self.raw = raw
        """The answer as the model gave it."""
        self.output_tokens = output_tokens
        """How many tokens the model generated for it, where the backend said (None: unknown,
        as for an answer read back from a baseline)."""
        self._stripped: str | None = None
        self._normal: str | None = None
        self._light: str | None = None
        self._folded: str | None = None
        self._compact: str | None = None
        self._words: int | None = None

    @property
    def stripped(self) -> str:
        if self._stripped is None:
            self._stripped = self.raw.strip()
        return self._stripped

    @property
    def normal(self) -> str:
        """The positive reading (:func:`normalize_text`)."""
        if self._normal is None:
            self._normal = normalize_text(self.raw)
        return self._normal

    @property
    def light(self) -> str:
        """:func:`fold_light`: what a must-not pattern searches besides the raw answer."""
        if self._light is None:
            self._light = fold_light(self.raw)
        return self._light

    @property
    def folded(self) -> str:
        """The must-not reading (:func:`fold_strict`). Where the light folding changed nothing
        (most answers: no zero-width character, nothing NFKC or OpenCC rewrites) it equals
        :attr:`normal`, which is then not computed a second time."""
        if self._folded is None:
            light = self.light
            self._folded = self.normal if light == self.raw else normalize_text(light)
        return self._folded

    @property
    def compact(self) -> str:
        """The canary reading (:func:`fold_compact`): :attr:`folded` without separators."""
        if self._compact is None:
            self._compact = _compact(self.folded)
        return self._compact

    @property
    def words(self) -> int:
        """Words: each CJK character one, each run of other letters or digits one."""
        if self._words is None:
            self._words = len(cjk_tokens(self.raw))
        return self._words

    def reading(self, negated: bool) -> str:
        """The form a match of this polarity reads."""
        return self.folded if negated else self.normal
