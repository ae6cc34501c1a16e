"""A safety suite's rules at load: the ``safety:`` key of a manifest (``refusal``, ``pii``,
``injection``) and the safety metrics (:mod:`.safety_metrics`) checked against what the cases
carry, so a safety test that could read nothing is refused before any model runs.

Why each rule:

- a ``refusal`` suite needs harmful requests (cases carrying ``refusal``) and a contrast set of
  safe ones that look alarming (cases carrying ``not-refusal``): without the contrast set a model
  that refuses everything passes;
- a ``pii`` suite needs cases carrying ``not-pii``; an ``injection`` suite cases carrying
  ``not-canary`` or ``not-pii``;
- in any safety suite, each canary a ``not-pii`` (``canaries:``) or ``not-canary`` assertion
  looks for must appear in what the model is given (the system prompt, the template or the
  case's input): a model cannot leak what it was not given, so such a test would pass on nothing;
- a suite listing ``refusal_rate``, ``over_refusal_rate`` or ``leak_rate`` needs cases carrying
  what it reads (else the metric reads nothing), with or without ``safety:``.

:func:`check_safety` is called by the suite loader once the cases' assertions are built.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..exceptions import GoldenFileError
from .answer_text import fold_compact
from .assertion_tree import AssertedCheck, AssertionNode
from .cases import GoldenCase
from .check_protocol import Check
from .leak_assertions import Canary, Pii
from .metric_types import Metric
from .safety_metrics import SAFETY_METRICS, SafetyRate

__all__ = ["SAFETY_KINDS", "check_safety"]

SAFETY_KINDS = ("refusal", "pii", "injection")
"""The values of a manifest's ``safety:`` key."""

_NEEDED: dict[Any, tuple[tuple[str, ...], ...]] = {
    "refusal": (("refusal",), ("not-refusal",)),
    "pii": (("not-pii",),),
    "injection": (("not-canary", "not-pii"),),
}
"""What each kind of safety suite needs its cases to carry: one of each group of types."""

_HOW = {
    "refusal": "add cases carrying {'type': 'refusal'} (harmful requests it must decline)",
    "not-refusal": (
        "add a contrast set: safe requests that look alarming, each carrying "
        "{'type': 'not-refusal'} (a model that refuses everything must not pass)"
    ),
    "not-pii": "add cases carrying {'type': 'not-pii'} (requests that try to get the record out)",
    "not-canary": "add cases carrying {'type': 'not-canary', 'value': '<the canary>'}",
}


def _leaves(node: AssertionNode) -> Iterator[AssertionNode]:
    if node.leaf is not None:
        yield node
    for child in node.children:
        yield from _leaves(child)


def _carried(
    cases: Sequence[GoldenCase], case_checks: Mapping[str, Check]
) -> dict[str, list[tuple[GoldenCase, AssertionNode]]]:
    """Each reported assertion type (``not-pii``, ``refusal``, ...) with the cases carrying it
    and the leaf itself."""
    found: dict[str, list[tuple[GoldenCase, AssertionNode]]] = {}
    for case in cases:
        check = case_checks.get(case.id)
        if isinstance(check, AssertedCheck):
            for leaf in _leaves(check.root):
                found.setdefault(leaf.type, []).append((case, leaf))
    return found


def _input_text(case: GoldenCase) -> str:
    """The text of *case*'s input (every message's content, for a conversation)."""
    if isinstance(case.input, str):
        return case.input
    return "\n".join(message.get("content", "") for message in case.input)


def _line(case: GoldenCase) -> int | None:
    _, _, tail = case.source.rpartition(":")
    return int(tail) if tail.isdigit() else None


def check_safety(
    document: Mapping[str, Any],
    cases: Sequence[GoldenCase],
    case_checks: Mapping[str, Check],
    metrics: Sequence[Metric],
    manifest_path: Path,
    cases_path: Path,
) -> None:
    """Refuse a suite whose safety metrics or ``safety:`` kind would read nothing, naming the
    manifest (or the case file and line, for a canary the model is not given), the field and what
    to do."""
    listed = [
        (index, metric)
        for index, metric in enumerate(metrics)
        if isinstance(metric, SafetyRate) and metric.name in SAFETY_METRICS
    ]
    kind = document.get("safety")
    if not listed and kind is None:
        return
    carried = _carried(cases, case_checks)
    for types in _NEEDED.get(kind, ()):
        if not any(carried.get(t) for t in types):
            wanted = " or ".join(f"'{t}'" for t in types)
            raise GoldenFileError(
                f"a safety: {kind} suite needs cases carrying a {wanted} assertion and has none: "
                f"{_HOW[types[0]]}",
                path=manifest_path,
                field="safety",
            )
    for index, metric in listed:
        if not any(carried.get(t) for t in metric.types):
            wanted = " or ".join(f"'{t}'" for t in sorted(metric.types))
            how = "; ".join(_HOW[t] for t in sorted(metric.types))
            raise GoldenFileError(
                f"metric '{metric.name}' reads the cases carrying a {wanted} assertion, and no "
                f"case of the suite carries one, so it would read nothing: {how}, or remove the "
                "metric",
                path=manifest_path,
                field=f"metrics[{index}]",
            )
    if kind is None:
        return
    # What the model is given, read compact as an answer is for a canary: the prompt once, each
    # case's input where a canary is not in the prompt.
    prompt = document.get("prompt") or {}
    prompted = fold_compact(f"{prompt.get('system') or ''}\n{prompt.get('template') or ''}")
    for case, node in [*carried.get("not-pii", ()), *carried.get("not-canary", ())]:
        leaf = node.leaf
        if not isinstance(leaf, (Pii, Canary)) or not leaf.canaries:
            continue
        for canary, folded in zip(leaf.canaries, leaf.folded, strict=True):
            if folded in prompted or folded in fold_compact(_input_text(case)):
                continue
            message = (
                f"case '{case.id}': the canary {canary!r} of its '{node.type}' assertion is not in "
                "what the model is given (the system prompt or the case's input), so the model "
                "cannot leak it and the test would read nothing: plant it in the manifest's "
                "prompt.system or the case's input, or fix the canary"
            )
            if canary in json.dumps(case.assertions, ensure_ascii=False):
                raise GoldenFileError(message, path=cases_path, line=_line(case), field="assert")
            # Written in the manifest's assert: list, which every case carries.
            raise GoldenFileError(message, path=manifest_path, field="assert")
