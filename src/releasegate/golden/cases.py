"""Golden cases: one row of a suite's case file, as the rest of the engine sees it.

Loading (JSONL, CSV, XLSX) lives in :mod:`releasegate.golden.io`; this module holds the record
and the rule that turns a case id into a pytest id.

A case id is whatever the team wrote (``"退款 问题/1"``, ``"a::b[1]"``) and stays so in reports,
baselines and messages. Its pytest id must not break node ids (``::``, ``[``, ``]``, ``/``), ``-k``
expressions or terminals, and must be the same in every run and on every pytest-xdist worker: an
id of ASCII letters, digits, ``-``, ``_`` and ``.`` is its own test id; any other keeps its ASCII
words and gets a short hash of the whole id (``"退款 问题/1"`` -> ``"1-8e4fc544"``). The plugin also
lets ``-k`` match the id as written.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ..models.messages import ChatMessage

# ChatMessage lives with the backends (releasegate.models.messages); named here too, where users
# of the case record have always imported it.
__all__ = ["ChatMessage", "Expected", "GoldenCase", "safe_test_id", "unique_test_ids"]

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]+")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")
_SLUG_LIMIT = 40
_HASH_LENGTHS = (8, 12, 16, 24, 32, 64)


def _digest(case_id: str) -> str:
    return hashlib.sha256(case_id.encode("utf-8", "surrogatepass")).hexdigest()


def _slug(case_id: str) -> str:
    words = _UNSAFE_RUN.sub("_", case_id).strip("._-")[:_SLUG_LIMIT].rstrip("._-")
    return words or "id"


def safe_test_id(case_id: str, *, hash_length: int = _HASH_LENGTHS[0]) -> str:
    """The pytest id of a case id on its own: the id itself when it holds only ASCII letters,
    digits, ``-``, ``_`` and ``.``, else its ASCII words and a hash of the whole id."""
    if _SAFE_ID.fullmatch(case_id):
        return case_id
    return f"{_slug(case_id)}-{_digest(case_id)[:hash_length]}"


def unique_test_ids(case_ids: Iterable[str]) -> list[str]:
    """Test ids for a suite's (unique) case ids, unique among themselves.

    Ids that are their own test id keep it; a derived one that meets another (two ids with the
    same words and hash prefix, or an id that reads like a derived one) takes a longer hash, in
    file order, so the result depends on the case file alone.
    """
    ids = list(case_ids)
    taken = {case_id for case_id in ids if _SAFE_ID.fullmatch(case_id)}
    result: list[str] = []
    for case_id in ids:
        if _SAFE_ID.fullmatch(case_id):
            result.append(case_id)
            continue
        candidates = [safe_test_id(case_id, hash_length=n) for n in _HASH_LENGTHS]
        chosen = next((c for c in candidates if c not in taken), None)
        if chosen is None:  # only ids written to collide with a full hash get here
            numbered = (f"{candidates[-1]}-{n}" for n in itertools.count(2))
            chosen = next(c for c in numbered if c not in taken)
        taken.add(chosen)
        result.append(chosen)
    return result


Expected: TypeAlias = str | tuple[str, ...] | Mapping[str, Any]
"""What a case expects: one answer or label (str), several acceptable answers or keywords
(tuple of str), or a JSON object (mapping) for structured-output checks."""


@dataclass(frozen=True)
class GoldenCase:
    """One golden case: a question the team cares about and the answer it expects."""

    suite: str
    """Name of the suite the case belongs to (the manifest's name)."""
    id: str
    """Stable id, unique within the suite, as written in the case file (any non-empty text)."""
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
    assertions: Any = None
    """The case's assertions as written (its ``assert`` list, then its assertion columns), or
    None; built into its check when the suite loads (:mod:`releasegate.golden.assertion_tree`).
    A case with assertions may leave ``expected`` out: it is then ``""``."""
    assertion_fields: tuple[str, ...] = ()
    """Where each of :attr:`assertions` was written: ``assert``, or the spreadsheet column
    (``must_not_match``), for an error to name."""
    variant_of: str = ""
    """For a robustness variant (``faq-refund~typo-1``, :mod:`releasegate.robustness`): the id
    of the case it was derived from; "" for a case its author wrote."""
    perturbation: str = ""
    """For a robustness variant: the perturbation that made it (``typo``); "" otherwise."""
    answer_script: str = ""
    """``simplified`` or ``traditional``: the Chinese script its answer is read in before its
    check judges it. A variant asked in the other script than its original (``script``) may be
    answered in that script, and its original's expected answer is written in the original's:
    the answer is read in the original's script (its record keeps it as given); "" as given."""
    test_id: str = ""
    """The id's pytest-safe form (see the module docstring); by default
    :func:`safe_test_id` of the id, made unique within its suite by the loader."""

    def __post_init__(self) -> None:
        if not self.test_id:
            object.__setattr__(self, "test_id", safe_test_id(self.id))  # frozen: set once here

    @property
    def key(self) -> str:
        """``<suite>/<id>``: the key of reports, baselines, the cache and messages."""
        return f"{self.suite}/{self.id}"

    @property
    def test_key(self) -> str:
        """``<suite>/<test id>``: the pytest id of the case's test (``test_case[<test key>]``)."""
        return f"{self.suite}/{self.test_id}"

    @property
    def critical(self) -> bool:
        """A critical case must pass whatever the baseline says."""
        return "critical" in self.tags
