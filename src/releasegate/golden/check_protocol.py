"""What every check is and returns: :class:`CheckResult`, :class:`CheckContext`, the
:class:`Check` protocol, and the helpers checks and metrics share to read an expected value and
word a reason. The checks themselves live in :mod:`.text_checks` and :mod:`.json_check`; the
registry that builds them by name in :mod:`.checks`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from ..core.display import shorten
from .cases import Expected

__all__ = ["AssertionOutcome", "Check", "CheckContext", "CheckResult", "expected_strings"]


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
    assertions: tuple[AssertionOutcome, ...] = ()
    """Each of the case's assertions (``assert:``) with its outcome and reason, in the order
    written; () for a case judged by its check alone."""
    unscored: bool = False
    """The case could not be judged (an assertion that decides it could not be evaluated: no
    JSON to validate, ...): not passed, and not a wrong answer either."""

    @property
    def outcome(self) -> str:
        """``pass``, ``fail`` or ``unscored``."""
        if self.unscored:
            return "unscored"
        return "pass" if self.passed else "fail"


class AssertionOutcome(NamedTuple):
    """One assertion of a case, evaluated (a named tuple: a case makes one per assertion on
    every answer)."""

    name: str
    """How the assertion is reported: its ``name``, else its type and value
    (``not-contains 'PayPal'``)."""
    type: str
    """Its type as written, ``not-`` prefixed when negated; ``all``, ``any`` or ``at_least``
    for a group; ``check`` for the case's check."""
    outcome: str
    """``pass``, ``fail`` or ``unscored`` (could not be evaluated; never a pass)."""
    reason: str
    """One readable line: what was found or missing."""
    critical: bool = False
    """A critical assertion that fails fails its case whatever the others and the weights say."""
    weight: float = 1.0
    """Its share in its group (0: reported only)."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "outcome": self.outcome,
            "reason": self.reason,
        }
        if self.critical:
            data["critical"] = True
        if self.weight != 1.0:
            data["weight"] = self.weight
        return data


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
