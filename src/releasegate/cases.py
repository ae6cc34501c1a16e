"""Golden cases: one row of a suite's case file, as the rest of the engine sees it.

Loading (JSONL, CSV, XLSX) lives in :mod:`releasegate.loaders`; this module holds the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

__all__ = ["ChatMessage", "Expected", "GoldenCase"]

ChatMessage: TypeAlias = Mapping[str, str]
"""One chat message: ``{"role": "user" | "system" | "assistant", "content": "..."}``."""

Expected: TypeAlias = str | tuple[str, ...] | Mapping[str, Any]
"""What a case expects: one answer or label (str), several acceptable answers or keywords
(tuple of str), or a JSON object (mapping) for structured-output checks."""


@dataclass(frozen=True)
class GoldenCase:
    """One golden case: a question the team cares about and the answer it expects."""

    suite: str
    """Name of the suite the case belongs to (the manifest's name)."""
    id: str
    """Stable id, unique within the suite; the pytest id is ``<suite>/<id>``."""
    input: str | tuple[ChatMessage, ...]
    """The user's text, or a whole conversation as chat messages."""
    expected: Expected
    """The expected answer(s), label or JSON object."""
    tags: tuple[str, ...] = ()
    """Free-form tags; each becomes a pytest marker (``-m critical``)."""
    check: Mapping[str, Any] | None = None
    """A per-case check that overrides the suite's (``{"name": "regex", ...}``), or None."""
    source: str = ""
    """Where the case came from, ``path:line`` (or ``path:row`` for spreadsheets)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Columns the engine does not interpret (notes, owner, ...), kept for reports."""

    @property
    def key(self) -> str:
        """``<suite>/<id>``: the key used everywhere (pytest ids, baselines, reports)."""
        return f"{self.suite}/{self.id}"

    @property
    def critical(self) -> bool:
        """A critical case must pass whatever the baseline says."""
        return "critical" in self.tags
