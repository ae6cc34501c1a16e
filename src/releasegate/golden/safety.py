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
  looks for must appear in what the model is given: the prompt :func:`~.prompting.build_prompt`
  really sends for that case (no system prompt with ``chat: false``, none of the manifest's for
  a conversation with its own system message, no template around a conversation), not the
  manifest's fields. A model cannot leak what it was not given, so such a test would pass on
  nothing;
- a suite listing ``refusal_rate``, ``over_refusal_rate`` or ``leak_rate`` needs cases carrying
  what it reads (else the metric reads nothing), with or without ``safety:``;
- in such a suite (a ``safety:`` key or a safety metric), a ``refusal``, ``pii`` or ``canary``
  assertion, of either polarity, stands at the top level of an ``assert:`` list, never inside a
  group (``not``, ``all``, ``any``, ``at_least``): the metrics count a case by the type of its
  assertions, so a ``refusal`` under ``{"not": true, "all": [...]}`` (a safe case) would be
  counted as a harmful request and its refusal raise ``refusal_rate`` instead of
  ``over_refusal_rate``.

:func:`check_safety` is called by the suite loader once the cases' assertions are built.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..exceptions import GoldenFileError
from ..models.backend import Prompt
from .answer_text import fold_compact
from .assertion_tree import AssertedCheck, AssertionNode
from .cases import GoldenCase
from .check_protocol import Check
from .leak_assertions import Canary, Pii
from .metric_types import Metric
from .prompting import PromptSpec, build_prompt
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


_SAFETY_TYPES = frozenset({"refusal", "pii", "canary"})
"""The assertion types the safety metrics and rules read, without their ``not-`` prefix."""

_GROUP_KEYS = ("all", "any", "at_least")


def _nested_safety(item: Any, path: str, depth: int) -> tuple[str, str] | None:
    """The first ``refusal``, ``pii`` or ``canary`` assertion (either polarity) inside a group
    of the assertion *item* as written: its path (``assert[0].all[1]``) and its type."""
    if isinstance(item, str):
        item = {"type": item}
    if not isinstance(item, Mapping):
        return None
    for key in _GROUP_KEYS:
        if key not in item:
            continue
        members, where = item[key], f"{path}.{key}"
        if key == "at_least" and isinstance(members, Mapping):
            members, where = members.get("of"), f"{where}.of"
        for index, member in enumerate(members if isinstance(members, list) else ()):
            found = _nested_safety(member, f"{where}[{index}]", depth + 1)
            if found is not None:
                return found
        return None
    kind = item.get("type")
    if not isinstance(kind, str):
        return None
    base = kind[4:] if kind.startswith("not-") else kind
    if depth > 0 and base in _SAFETY_TYPES:
        shown = f"not-{base}" if kind.startswith("not-") or item.get("not") is True else base
        return path, shown
    return None


def _nested_in(assertions: Any) -> tuple[str, str] | None:
    """:func:`_nested_safety` over an ``assert:`` value (a list, or one group: an ``all``
    without ``not`` is the list itself, as the parser reads it)."""
    if isinstance(assertions, Mapping) and any(key in assertions for key in _GROUP_KEYS):
        if (
            "all" in assertions
            and not assertions.get("not")
            and isinstance(assertions["all"], list)
        ):
            assertions = assertions["all"]
            items = [(f".all[{index}]", item) for index, item in enumerate(assertions)]
        else:
            items = [("", assertions)]
    elif isinstance(assertions, list):
        items = [(f"[{index}]", item) for index, item in enumerate(assertions)]
    else:
        items = [("", assertions)]
    for path, item in items:
        found = _nested_safety(item, f"assert{path}", 0)
        if found is not None:
            return found
    return None


def _nested_error(found: tuple[str, str], where: str) -> str:
    _, kind = found
    return (
        f"{where}its '{kind}' assertion stands inside a group (not, all, any, "
        "at_least), and a safety suite's metrics and rules read refusal, pii and canary "
        "assertions by their type alone, so nested it would be counted as if it stood alone: "
        "write it at the top level of the case's assert: list (not-refusal for the contrast set)"
    )


def _check_top_level(
    document: Mapping[str, Any],
    cases: Sequence[GoldenCase],
    manifest_path: Path,
    cases_path: Path,
) -> None:
    """Refuse a ``refusal``, ``pii`` or ``canary`` assertion inside a group, in the manifest's
    ``assert:`` list or a case's."""
    found = _nested_in(document.get("assert"))
    if found is not None:
        raise GoldenFileError(_nested_error(found, ""), path=manifest_path, field=found[0])
    for case in cases:
        found = _nested_in(case.assertions)
        if found is not None:
            raise GoldenFileError(
                _nested_error(found, f"case '{case.id}': "),
                path=cases_path,
                line=_line(case),
                field=found[0],
            )


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
    prompt: PromptSpec,
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
    _check_top_level(document, cases, manifest_path, cases_path)
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
    for case, node in [*carried.get("not-pii", ()), *carried.get("not-canary", ())]:
        leaf = node.leaf
        if not isinstance(leaf, (Pii, Canary)) or not leaf.canaries:
            continue
        given = fold_compact(_prompt_text(build_prompt(case, prompt)))
        for canary, folded in zip(leaf.canaries, leaf.folded, strict=True):
            if folded in given:
                continue
            message = (
                f"case '{case.id}': the canary {canary!r} of its '{node.type}' assertion is not in "
                "what the model is given (the system prompt or the case's input), so the model "
                "cannot leak it and the test would read nothing: plant it in the manifest's "
                "prompt.system or the case's input, or fix the canary"
                f"{_why_not_sent(case, prompt, folded)}"
            )
            if canary in json.dumps(case.assertions, ensure_ascii=False):
                raise GoldenFileError(message, path=cases_path, line=_line(case), field="assert")
            # Written in the manifest's assert: list, which every case carries.
            raise GoldenFileError(message, path=manifest_path, field="assert")


def _prompt_text(sent: Prompt) -> str:
    """All the text of a prompt: every message's content, or the plain text."""
    if sent.messages is not None:
        return "\n".join(message["content"] for message in sent.messages)
    return sent.text or ""


def _why_not_sent(case: GoldenCase, prompt: PromptSpec, folded: str) -> str:
    """Where the manifest holds the canary but :func:`~.prompting.build_prompt` does not send
    it for *case*, why not (else nothing)."""
    in_system = prompt.system is not None and folded in fold_compact(prompt.system)
    in_template = prompt.template is not None and folded in fold_compact(prompt.template)
    conversation = not isinstance(case.input, str)
    if in_system and not prompt.chat:
        return (
            " (prompt.system holds it, but a suite with chat: false sends no system prompt: "
            "put it in prompt.template or the case's input, or set chat: true)"
        )
    if in_system and conversation:
        return (
            " (prompt.system holds it, but this case's conversation has its own system "
            "message, which is sent instead)"
        )
    if in_template and conversation:
        return " (prompt.template holds it, but a template is not applied to a conversation)"
    return ""
