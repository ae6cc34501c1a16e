"""Each case's check where it is not its suite's: its own ``check``, and its assertions (the
case's and the suite's ``assert:``) joined over it; every case's expected answer validated against
the check that will judge it. Called by the suite loader (:func:`.suites.load_suite`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError, GoldenFileError, ReleasegateError
from .assertion_leaves import AssertionContext
from .assertion_tree import AssertedCheck, AssertionNode, join, parse_assertions, spec_key
from .cases import GoldenCase
from .checks import Check, CheckContext, build_check

__all__ = ["case_checks_of"]


def _assertion_context(
    document: Mapping[str, Any], check_context: CheckContext
) -> AssertionContext:
    entities = {
        name: {entity: tuple(aliases) for entity, aliases in listing.items()}
        for name, listing in document.get("entities", {}).items()
    }
    return AssertionContext(
        check_context,
        entities,
        build_check=lambda spec: build_check(spec, check_context, where="check"),
    )


def case_checks_of(
    cases: Sequence[GoldenCase],
    check: Check,
    document: Mapping[str, Any],
    check_context: CheckContext,
    *,
    manifest_path: Path,
    cases_path: Path,
) -> tuple[dict[str, Check], tuple[str, ...]]:
    """Each case's check where it is not the suite's (its own ``check``, its assertions and the
    suite's), every case's expected answer validated against it; and every assertion name."""
    context = _assertion_context(document, check_context)
    suite_root = AssertionNode("assert", "assert")
    if "assert" in document:
        try:
            suite_root = parse_assertions(document["assert"], context)
        except ConfigError as exc:
            raise GoldenFileError(str(exc), path=manifest_path, field="assert") from None
    parsed: dict[str, AssertionNode] = {}
    built: dict[tuple[int, str], AssertedCheck] = {}
    names: dict[str, None] = dict.fromkeys(suite_root.names())
    case_checks: dict[str, Check] = {}
    for case in cases:
        case_check = check
        line = _line_of(case)
        if case.check is not None:
            try:
                case_check = build_check(case.check, check_context, where=case.source)
            except ReleasegateError as exc:
                raise GoldenFileError(str(exc), path=cases_path, line=line, field="check") from exc
            case_checks[case.id] = case_check
        if case.assertions is not None or suite_root.children:
            key = spec_key(case.assertions) if case.assertions is not None else ""
            if key not in parsed:
                try:
                    own = (
                        parse_assertions(case.assertions, context)
                        if case.assertions is not None
                        else AssertionNode("assert", "assert")
                    )
                except ConfigError as exc:
                    field, message = _assertion_field(case, str(exc))
                    raise GoldenFileError(
                        message, path=cases_path, line=line, field=field
                    ) from None
                parsed[key] = own
            if case.expected == "" and case.check is not None:
                raise GoldenFileError(
                    "the case names a check but has no expected answer for it to judge: give "
                    "it an expected answer, or leave the check out and let its assertions judge",
                    path=cases_path,
                    line=line,
                    field="check",
                )
            base = None if case.expected == "" else case_check
            memo = (id(base), key)
            if memo not in built:
                try:
                    joined = join(suite_root, parsed[key])
                except ConfigError as exc:
                    raise GoldenFileError(
                        str(exc), path=cases_path, line=line, field="assert"
                    ) from None
                built[memo] = AssertedCheck(base, joined)
                names.update(dict.fromkeys(built[memo].root.names()))
            case_check = case_checks[case.id] = built[memo]
        problem = case_check.validate_expected(case.expected)
        if problem is not None:
            raise GoldenFileError(problem, path=cases_path, line=line, field="expected")
    return case_checks, tuple(names)


_ITEM = re.compile(r"assert\[(\d+)\]")


def _assertion_field(case: GoldenCase, message: str) -> tuple[str, str]:
    """The field an error in *case*'s assertions names (``assert``, or the spreadsheet column
    the assertion was written in, which then stands for ``assert[i]`` in *message*)."""
    match = _ITEM.match(message)
    if match is None or int(match.group(1)) >= len(case.assertion_fields):
        return "assert", message
    field = case.assertion_fields[int(match.group(1))]
    if field == "assert":
        return field, message
    return field, field + message[match.end() :]


def _line_of(case: GoldenCase) -> int | None:
    _, _, tail = case.source.rpartition(":")
    return int(tail) if tail.isdigit() else None
