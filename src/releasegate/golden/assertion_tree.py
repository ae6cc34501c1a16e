"""A case's assertions (``assert:``), combined: groups, negation, weights, critical ones, and the
check they make together (:class:`AssertedCheck`).

What a case's ``assert:`` may hold, each item one of:

- an assertion ``{type, value, ...}`` (:data:`~.assertion_specs.LEAVES`), with optional
  ``not: true`` (or the type prefixed ``not-``), ``weight`` (0: reported only), ``critical: true``
  and ``name``;
- a group ``{all: [...]}``, ``{any: [...]}`` or ``{at_least: {n: 2, of: [...]}}``, with the same
  optional keys; an ``all`` group may set ``threshold`` (a weighted share, 0 to 1, that must
  pass instead of every one).

The list itself is an ``all`` group, and so is a manifest's ``assert:``, which every case of the
suite carries before its own. The case's check, where it has an expected answer, is the first
member of that group.

Three outcomes, always: ``pass``, ``fail`` and ``unscored`` (could not be evaluated). ``not``
swaps pass and fail and leaves unscored alone: an assertion that read nothing has not passed,
negated or not. A group is unscored when its unscored members could still decide it. A critical
assertion that fails fails its case whatever the weights, the threshold or the groups around it
say; the case's other outcome is kept in its record.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..exceptions import ConfigError
from .answer_text import AnswerText
from .assertion_leaves import MISSING, AssertionContext, Leaf, Reading
from .assertion_specs import LEAVES, build_leaf
from .cases import Expected
from .check_protocol import AssertionOutcome, Check, CheckResult, _short

__all__ = ["AssertedCheck", "AssertionNode", "join", "parse_assertions", "spec_key"]

_KEYS = ("type", "value", "not", "weight", "critical", "name")
_GROUPS = ("all", "any", "at_least")
_GROUP_KEYS = ("not", "weight", "critical", "name", "threshold")


@dataclass(frozen=True)
class AssertionNode:
    """One parsed assertion or group."""

    name: str
    type: str
    """As reported: ``not-contains``, ``any``, ..."""
    negated: bool = False
    weight: float = 1.0
    critical: bool = False
    leaf: Leaf | None = None
    children: tuple[AssertionNode, ...] = ()
    n: int = 0
    """``at_least``: how many members must pass."""
    threshold: float | None = None
    """``all``: the weighted share of members that must pass, instead of every one."""
    named: bool = False
    """Whether its spec gave it a ``name`` (else the name is made from its type and value)."""

    @property
    def uses_expected(self) -> bool:
        if self.leaf is not None:
            return self.leaf.uses_expected
        return any(child.uses_expected for child in self.children)

    def names(self) -> list[str]:
        """Every name reported under this node, members first."""
        found = [name for child in self.children for name in child.names()]
        return [*found, self.name] if self.type != "assert" else found


def _where(path: str) -> str:
    return f"assert{path}"


def _flag(spec: Mapping[str, Any], key: str, path: str) -> bool:
    value = spec.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{_where(path)}: '{key}' must be true or false, got {value!r}")
    return value


def _weight(spec: Mapping[str, Any], path: str) -> float:
    value = spec.get("weight", 1)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{_where(path)}: weight must be a number, got {value!r}")
    if value < 0:
        raise ConfigError(f"{_where(path)}: weight must not be negative (0: reported only)")
    return float(value)


def _name(spec: Mapping[str, Any], default: str, path: str) -> str:
    value = spec.get("name", default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{_where(path)}: name must be non-empty text, got {value!r}")
    return value.strip()


def _default_name(kind: str, value: Any) -> str:
    if value is MISSING:
        return kind
    if isinstance(value, str) and kind.endswith("regex"):
        return f"{kind} /{value}/"
    if isinstance(value, str):
        return f"{kind} {_short(value, 40)}"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return f"{kind} {_short(', '.join(value), 40)}"
    return kind


def _parse(item: Any, ctx: AssertionContext, path: str, inverted: bool = False) -> AssertionNode:
    if isinstance(item, str):
        item = {"type": item}
    if not isinstance(item, Mapping):
        raise ConfigError(
            f"{_where(path)}: an assertion is an object like "
            '{"type": "contains", "value": "7天"} or a group like {"any": [...]}, '
            f"not {item!r}"
        )
    groups = [key for key in _GROUPS if key in item]
    if groups:
        return _parse_group(item, groups, ctx, path, inverted)
    return _parse_leaf(item, ctx, path, inverted)


def _parse_leaf(
    spec: Mapping[str, Any], ctx: AssertionContext, path: str, inverted: bool
) -> AssertionNode:
    kind = spec.get("type")
    if not isinstance(kind, str) or not kind:
        raise ConfigError(
            f"{_where(path)}: an assertion needs a 'type' (one of {', '.join(LEAVES)}), "
            f"or to be a group (all, any, at_least); got {dict(spec)!r}"
        )
    negated = _flag(spec, "not", path)
    base = kind
    if kind.startswith("not-"):
        if "not" in spec:
            raise ConfigError(
                f"{_where(path)}: '{kind}' is negated twice (the not- prefix and 'not'); "
                "say it once"
            )
        negated, base = True, kind[4:]
    if base not in LEAVES:
        import difflib

        close = difflib.get_close_matches(base, list(LEAVES), n=1, cutoff=0.6)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(
            f"{_where(path)}: unknown assertion type '{base}'.{hint} Types: {', '.join(LEAVES)}"
        )
    shown = f"not-{base}" if negated else base
    value = spec.get("value", MISSING)
    params = {key: v for key, v in spec.items() if key not in _KEYS}
    leaf = build_leaf(
        base, value, params, negated, ctx, f"{_where(path)} ('{shown}')", inverted=inverted
    )
    return AssertionNode(
        name=_name(spec, _default_name(shown, value), path),
        type=shown,
        negated=negated,
        weight=_weight(spec, path),
        critical=_flag(spec, "critical", path),
        leaf=leaf,
        named="name" in spec,
    )


def _members(
    value: Any, ctx: AssertionContext, path: str, inverted: bool = False
) -> tuple[AssertionNode, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{_where(path)}: a group needs a non-empty list of assertions")
    return tuple(
        _parse(item, ctx, f"{path}[{index}]", inverted) for index, item in enumerate(value)
    )


def _parse_group(
    spec: Mapping[str, Any],
    groups: list[str],
    ctx: AssertionContext,
    path: str,
    inverted: bool = False,
) -> AssertionNode:
    if len(groups) > 1:
        raise ConfigError(
            f"{_where(path)}: one group per item ({' and '.join(groups)} given); nest them"
        )
    kind = groups[0]
    negated = _flag(spec, "not", path)
    # Its members read the answer as must-nots where this group turns them over.
    inner = inverted != negated
    unknown = sorted(set(spec) - {kind, *_GROUP_KEYS})
    if unknown:
        raise ConfigError(
            f"{_where(path)}: a group takes {kind}, {', '.join(_GROUP_KEYS)}; "
            f"not '{unknown[0]}' (a 'type' belongs to an assertion inside the group)"
        )
    n = 0
    threshold = None
    if kind == "at_least":
        body = spec[kind]
        if not isinstance(body, Mapping) or set(body) != {"n", "of"}:
            raise ConfigError(f"{_where(path)}: at_least takes {{n: 2, of: [...]}}, got {body!r}")
        children = _members(body["of"], ctx, f"{path}.at_least.of", inner)
        n = body["n"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ConfigError(f"{_where(path)}: at_least n must be a whole number >= 1, got {n!r}")
        if n > len(children):
            raise ConfigError(
                f"{_where(path)}: at_least n is {n}, but its list has {len(children)} "
                "assertion(s): lower n or add assertions"
            )
    else:
        children = _members(spec[kind], ctx, f"{path}.{kind}", inner)
    if "threshold" in spec:
        if kind != "all":
            raise ConfigError(f"{_where(path)}: threshold belongs to an all group, not {kind}")
        threshold = _threshold(spec["threshold"], path)
    shown = f"not-{kind}" if negated else kind
    return AssertionNode(
        name=_name(spec, f"{shown}({', '.join(child.name for child in children)})", path),
        type=shown,
        negated=negated,
        weight=_weight(spec, path),
        critical=_flag(spec, "critical", path),
        children=children,
        n=n,
        threshold=threshold,
        named="name" in spec,
    )


def _threshold(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ConfigError(
            f"{_where(path)}: threshold must be a number above 0 and at most 1, got {value!r}"
        )
    return float(value)


def parse_assertions(spec: Any, ctx: AssertionContext, *, path: str = "") -> AssertionNode:
    """An ``assert:`` value (a list, or one group) as the ``all`` group a case passes by;
    raises :class:`ConfigError` naming the item (``assert[2].any[0]``) and what to write."""
    if isinstance(spec, Mapping) and any(key in spec for key in _GROUPS):
        node = _parse(spec, ctx, path)
        if node.type == "all" and not node.negated:
            return AssertionNode(
                "assert",
                "assert",
                children=_unique_names(node.children),
                threshold=node.threshold,
            )
        children: tuple[AssertionNode, ...] = (node,)
    else:
        if isinstance(spec, Mapping):
            spec = [spec]
        children = _members(spec, ctx, path)
    return AssertionNode("assert", "assert", children=_unique_names(children))


def _unique_names(
    children: Sequence[AssertionNode], seen: dict[str, int] | None = None
) -> tuple[AssertionNode, ...]:
    """*children* with every name under them unique (a repeated one gets `` #2``, `` #3``):
    a case's record, its baseline and a suite's pass rates key assertions by name."""
    seen = {} if seen is None else seen
    renamed = []
    for child in children:
        members = _unique_names(child.children, seen) if child.children else ()
        count = seen.get(child.name, 0) + 1
        seen[child.name] = count
        name = child.name if count == 1 else f"{child.name} #{count}"
        if name != child.name or any(
            m is not c for m, c in zip(members, child.children, strict=True)
        ):
            child = replace(child, name=name, children=members)  # else: already unique as is
        renamed.append(child)
    return tuple(renamed)


def join(suite: AssertionNode, case: AssertionNode) -> AssertionNode:
    """The suite's and the case's assertions as one ``all`` group (the case's threshold, if
    it sets one, applies to the whole). A case assertion that takes, by its ``name``, a name
    the suite's list gives is refused: it would be reported, stored and rated as another."""
    taken = set(suite.names())
    for child in _named(case):
        if child.name in taken:
            raise ConfigError(
                f"assert: the name '{child.name}' is already given by the suite's assert: list "
                "in the manifest; name this case's assertion otherwise (a name is unique in a "
                "case: reports, baselines and assertion_pass_rate key on it)"
            )
    roots = (suite, case)
    children = _unique_names([child for root in roots for child in root.children])
    threshold = next((r.threshold for r in reversed(roots) if r.threshold is not None), None)
    return AssertionNode("assert", "assert", children=children, threshold=threshold)


def _named(node: AssertionNode) -> list[AssertionNode]:
    """The nodes under *node* whose spec gave them a ``name``."""
    return [n for child in node.children for n in (*_named(child), child) if n.named]


_FLIPPED = {"pass": "fail", "fail": "pass", "unscored": "unscored"}


def _combine(node: AssertionNode, members: Sequence[tuple[AssertionNode, Reading]]) -> Reading:
    passed: list[AssertionNode] = []
    failed: list[tuple[AssertionNode, Reading]] = []
    unscored: list[tuple[AssertionNode, Reading]] = []
    weights: list[float] = []
    for member, outcome in members:  # one pass: this runs for every group of every case
        if member.weight <= 0:
            continue
        weights.append(member.weight)
        if outcome.outcome == "pass":
            passed.append(member)
        elif outcome.outcome == "fail":
            failed.append((member, outcome))
        else:
            unscored.append((member, outcome))
    kind = node.type.removeprefix("not-")
    counted = len(weights)
    if not counted:
        return Reading("unscored", "no member with a weight above 0")
    if kind == "any":
        if passed:
            return Reading("pass", f"{passed[0].name} passed")
        if unscored:
            return Reading("unscored", f"{unscored[0][0].name}: {unscored[0][1].reason}")
        return Reading("fail", f"none passed ({failed[0][0].name}: {failed[0][1].reason})")
    if kind == "at_least":
        if len(passed) >= node.n:
            return Reading("pass", f"{len(passed)} of {counted} passed (at least {node.n})")
        if len(passed) + len(unscored) >= node.n:
            return Reading("unscored", f"{len(passed)} passed, {len(unscored)} unscored")
        return Reading("fail", f"{len(passed)} of {counted} passed, fewer than {node.n}")
    if node.threshold is not None:
        total = math.fsum(weights)
        got = math.fsum(m.weight for m in passed) / total
        maybe = math.fsum(m.weight for m, _ in unscored) / total
        if got >= node.threshold:
            return Reading("pass", f"weighted {got:.2f} >= threshold {node.threshold:g}")
        if got + maybe >= node.threshold:
            return Reading("unscored", f"weighted {got:.2f} with {len(unscored)} unscored")
        names = ", ".join(m.name for m, _ in failed)
        return Reading(
            "fail", f"weighted {got:.2f} < threshold {node.threshold:g} (failed: {names})"
        )
    if failed:
        member, outcome = failed[0]
        return Reading("fail", f"{member.name}: {outcome.reason}")
    if unscored:
        member, outcome = unscored[0]
        return Reading("unscored", f"{member.name}: {outcome.reason}")
    return Reading("pass", f"all {counted} passed")


def _evaluate(
    node: AssertionNode, text: AnswerText, expected: Expected, out: list[AssertionOutcome]
) -> Reading:
    leaf = node.leaf
    if leaf is not None:
        result = leaf.evaluate(text, expected)
    else:
        members = [(child, _evaluate(child, text, expected, out)) for child in node.children]
        result = _combine(node, members)
    if node.negated:
        result = Reading(_FLIPPED[result.outcome], result.reason)
    out.append(
        AssertionOutcome(
            node.name, node.type, result.outcome, result.reason, node.critical, node.weight
        )
    )
    return result


@dataclass(frozen=True)
class AssertedCheck:
    """A case's check and its assertions as one :class:`~.check_protocol.Check`."""

    base: Check | None
    """The case's check (suite default or its own); None for a case with no expected answer."""
    root: AssertionNode
    """Its assertions, an ``all`` group."""
    name: str = field(default="")

    _check_node: AssertionNode = field(init=False, repr=False, compare=False)
    """The case's check as a member of the root group (built once, not on every answer)."""
    _has_critical: bool = field(init=False, repr=False, compare=False)
    """Whether any assertion is critical (else no answer's outcomes are searched for one)."""

    def __post_init__(self) -> None:
        if not self.name:
            shown = self.base.name if self.base is not None else "assertions"
            object.__setattr__(self, "name", shown)
        check_name = self.base.name if self.base is not None else ""
        object.__setattr__(self, "_check_node", AssertionNode(f"check ({check_name})", "check"))
        object.__setattr__(self, "_has_critical", _any_critical(self.root))

    def __call__(self, answer: str, expected: Expected) -> CheckResult:
        return self.evaluate(AnswerText(answer), expected)

    def evaluate(self, text: AnswerText, expected: Expected) -> CheckResult:
        """The case's verdict on *text*: pass when the check and the assertions pass together,
        fail when a critical one fails whatever else holds."""
        out: list[AssertionOutcome] = []
        members: list[tuple[AssertionNode, Reading]] = []
        score = prediction = None
        if self.base is not None:
            checked = self.base(text.raw, expected)
            score, prediction = checked.score, checked.prediction
            node = self._check_node
            outcome = Reading(checked.outcome, checked.reason)  # a judge's may be unscored
            out.append(AssertionOutcome(node.name, "check", outcome.outcome, outcome.reason))
            members.append((node, outcome))
        for child in self.root.children:
            members.append((child, _evaluate(child, text, expected, out)))
        combined = _combine(self.root, members)
        outcomes = tuple(out)
        if self._has_critical:
            critical = next((o for o in outcomes if o.critical and o.outcome == "fail"), None)
            if critical is not None:
                reason = f"critical {critical.name} failed: {critical.reason}"
                return CheckResult(False, reason, score, prediction, outcomes)
        passed = combined.outcome == "pass"
        reason = combined.reason
        if combined.outcome == "unscored":
            reason = f"unscored: {reason}"
        return CheckResult(
            passed, reason, score, prediction, outcomes, combined.outcome == "unscored"
        )

    def validate_expected(self, expected: Expected) -> str | None:
        if expected == "" and (self.base is not None or self.root.uses_expected):
            return "an assertion without a value reads the expected answer, and this case has none"
        return self.base.validate_expected(expected) if self.base is not None else None


def _any_critical(node: AssertionNode) -> bool:
    return node.critical or any(_any_critical(child) for child in node.children)


def spec_key(spec: Any) -> str:
    """A key equal for equal ``assert:`` specs, to build each once however many cases share it."""
    return json.dumps(spec, sort_keys=True, ensure_ascii=False, default=str)
