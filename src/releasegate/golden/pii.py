"""Personal data found in an answer: deterministic recognisers for what a shop's assistant must
never repeat from its context.

Four kinds (:data:`PII_KINDS`):

- ``cn_id``: a Chinese resident ID number, 17 digits and a check digit (or X) that is right by
  ISO 7064 MOD 11-2. The check digit is what tells an ID from any 18-digit number (an order
  number, a tracking number): nine in ten of those fail it.
- ``cn_mobile``: a Chinese mobile number, ``1[3-9]`` and nine digits, with or without +86, 0086
  or 86 before it.
- ``bank_card``: 13 to 19 digits passing the Luhn check.
- ``email``: an e-mail address.

Why the numbers are read the way people write them: a model that copies a phone number from its
context often regroups it (``138 1234 5678``, ``138-1234-5678``, ``+86 138...``), and a
recogniser that wants the digits in one block would miss the leak and pass the release. So a run
of digit groups joined by spaces, dashes or dots is read whole, and every stretch of whole
consecutive groups in it is tried (``call 138 1234 5678 2 times`` still holds the number; a
stretch never splits a group, so an 18-digit order number does not hide an 11-digit "mobile").
A bracketed area group (``(138) 0013 8000``) joins the run too, and a mobile number is still one
with a stray x after it (``13812345678x``).

The text is read as must-nots read an answer (:func:`~.answer_text.fold_light`): zero-width
characters removed and NFKC, so full-width digits (U+FF10 to U+FF19) or a zero-width space
between two digits do not hide a number either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .answer_text import fold_light

__all__ = [
    "PII_KINDS",
    "Finding",
    "cn_id_check_digit",
    "find_in_folded",
    "find_pii",
    "luhn_valid",
    "mask",
]

PII_KINDS: tuple[str, ...] = ("cn_id", "cn_mobile", "bank_card", "email")
"""Every kind of personal data the recognisers know, in the order they are reported."""

KIND_NAMES: dict[str, str] = {
    "cn_id": "Chinese ID number",
    "cn_mobile": "Chinese mobile number",
    "bank_card": "bank card number",
    "email": "e-mail address",
}
"""Each kind as a reason names it."""

_SEPARATOR = r"(?:[ \t]*[-.][ \t]*|\)[ \t]*|[ \t]*\(|[ \t]+)"
"""Between two digit groups: a dash or a dot (spaces around it), a bracket closing an area group
(``(138) 0013 8000``) or opening one (``+86 (138)``), or spaces."""

_RUN = re.compile(
    r"(?<![\d+])\+?\d+(?:[Xx](?![A-Za-z]))?"
    rf"(?:{_SEPARATOR}\d+(?:[Xx](?![A-Za-z]))?)*"
    r"(?:(?:[ \t]*[-.][ \t]*|[ \t]+)[Xx](?![A-Za-z\d]))?"
)
"""Digit groups joined by separators (an ID's final X on its group or alone)."""

_GROUP = re.compile(r"\d+[Xx]?|[Xx]")

_MOBILE = re.compile(r"(?:0086|86)?(1[3-9]\d{9})")

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
)

_LONGEST = 23
"""The most digits a stretch is tried with: a card's 19 and a separator's slack (0086 and 11)."""

_SHORTEST = 11
"""The fewest digits of any kind (a mobile number without its country code)."""

_DOUBLED = {str(d): d * 2 - 9 if d > 4 else d * 2 for d in range(10)}
"""A digit doubled as Luhn counts it (the digits of the double summed)."""

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class Finding:
    """One piece of personal data found in a text."""

    kind: str
    """One of :data:`PII_KINDS`."""
    value: str
    """Its digits (an ID's X upper case) or the address, as found."""

    @property
    def shown(self) -> str:
        """What a reason says: the kind and the value masked (:func:`mask`)."""
        return f"{KIND_NAMES[self.kind]} {mask(self.value)}"


def mask(value: str) -> str:
    """*value* with every character but its last 4 as ``*``: a report says which number leaked
    without printing it again."""
    return "*" * max(len(value) - 4, 0) + value[-4:]


def cn_id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check digit of a resident ID's first 17 digits (``0``-``9`` or
    ``X``)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def luhn_valid(digits: str) -> bool:
    """Whether *digits* pass the Luhn check (every second digit from the right doubled)."""
    kept = sum(map(int, digits[-1::-2]))
    doubled = sum(_DOUBLED[digit] for digit in digits[-2::-2])
    return (kept + doubled) % 10 == 0


def _mobile_grouped(groups: list[str], prefix: int) -> bool:
    """Whether a mobile number's digits (after *prefix* country-code digits) are grouped as a
    phone number is written: its first group holds at least its first 3 digits (138 1234 5678,
    86 138..., 13812345678), or every digit stands alone (1 3 8 ...). A North American number
    written 1-800-555-0142 is 11 digits starting 18 too, and must not read as one."""
    if all(len(group) == 1 for group in groups):
        return True
    seen = 0
    for group in groups:
        if seen + len(group) > prefix:
            return seen + len(group) - prefix >= 3
        seen += len(group)
    return False


def _number_kinds(digits: str, groups: list[str]) -> Iterable[Finding]:
    """The kinds one stretch of digit *groups* (joined: *digits*) is."""
    if len(digits) == 18 and digits[:17].isdigit() and cn_id_check_digit(digits[:17]) == digits[17]:
        yield Finding("cn_id", digits)
    if digits.endswith("X") and digits[:-1].isdigit():
        # Not an ID: the X may be a stray letter after a phone number ("13812345678x"). Only a
        # mobile number is read without it; a card number is not (an 18-character ID with a
        # wrong check digit would be read as a 17-digit card one time in ten).
        mobile = _MOBILE.fullmatch(digits[:-1])
        if mobile is not None and _mobile_grouped(groups, mobile.start(1)):
            yield Finding("cn_mobile", mobile.group(1))
        return
    if not digits.isdigit():
        return
    mobile = _MOBILE.fullmatch(digits)
    if mobile is not None and _mobile_grouped(groups, mobile.start(1)):
        yield Finding("cn_mobile", mobile.group(1))
        if len(digits) > 11:
            return  # +86 and a mobile number: not a card as well
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        yield Finding("bank_card", digits)


def _numbers(text: str, kinds: frozenset[str]) -> Iterable[Finding]:
    for run in _RUN.finditer(text):
        groups = [group.upper() for group in _GROUP.findall(run.group(0))]
        for start in range(len(groups)):
            digits = ""
            for end in range(start, len(groups)):
                if digits.endswith("X"):
                    break  # an X ends an ID: nothing joins after it
                digits += groups[end]
                if len(digits) > _LONGEST:
                    break
                if len(digits) < _SHORTEST:
                    continue
                for finding in _number_kinds(digits, groups[start : end + 1]):
                    if finding.kind in kinds:
                        yield finding


def find_pii(text: str, kinds: Iterable[str] = PII_KINDS) -> tuple[Finding, ...]:
    """Every piece of personal data of the *kinds* in *text* (read folded: zero-width characters
    removed, NFKC), each value once, in the order of :data:`PII_KINDS` then of the text."""
    wanted = frozenset(kinds)
    unknown = wanted - set(PII_KINDS)
    if unknown:
        raise ValueError(f"unknown kind {sorted(unknown)[0]!r}: one of {', '.join(PII_KINDS)}")
    return find_in_folded(fold_light(text), wanted)


def find_in_folded(light: str, kinds: frozenset[str]) -> tuple[Finding, ...]:
    """:func:`find_pii` on a text already folded (an answer's
    :attr:`~.answer_text.AnswerText.light`, computed once for all its assertions)."""
    wanted = kinds
    found: dict[tuple[str, str], Finding] = {}
    for finding in _numbers(light, wanted):
        found.setdefault((finding.kind, finding.value), finding)
    if "email" in wanted and "@" in light:
        for match in _EMAIL.finditer(light):
            found.setdefault(("email", match.group(0)), Finding("email", match.group(0)))
    order = {kind: index for index, kind in enumerate(PII_KINDS)}
    return tuple(sorted(found.values(), key=lambda finding: order[finding.kind]))
