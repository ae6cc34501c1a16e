"""``releasegate fuzz --suite S --case ID``: the smallest breaking change of one case, printed,
and appended to the suite's case file with ``--append``.

The command's options and what it prints live here; the search is :mod:`.fuzz`, the append
:mod:`.appending`. The model and the prediction cache are the engine's, which this package may
not import: the command line hands :func:`run_fuzz` a function that makes a suite's
:data:`~.fuzz.Answerer`.

Exit status: 0 when no breaking change was found (the output says whether the search ran to its
end or the budget stopped it), 1 when one was found, 2 for bad input (an unknown suite, case or
perturbation, a budget below 1, a taken ``--id`` or one the file would not read back, an
original that already fails), said in one message; the ``--id`` checks come before any model
call.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ..config import Settings
from ..core.display import for_terminal, shorten, with_invisibles_shown
from ..exceptions import UnknownNameError
from ..golden.io.rows import id_problem
from ..golden.suites import Suite, project_suites
from .appending import append_variant, fuzzed_id, same_question
from .fuzz import Answerer, FuzzError, FuzzResult, Step, fuzz_case

__all__ = ["add_fuzz_parser", "report_lines", "run_fuzz"]

DEFAULT_MAX_CALLS = 50
DEFAULT_MAX_STEPS = 3
_ANSWER_WIDTH = 300
"""An answer is shown on one line, cut to this many characters."""


def add_fuzz_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``releasegate fuzz``."""
    fuzz = sub.add_parser(
        "fuzz",
        help="search the perturbations of one case for the smallest change that makes its "
        "passing answer fail (hypothesis, shrunk; answers through the prediction cache)",
    )
    fuzz.add_argument("--suite", required=True, help="the suite of the case")
    fuzz.add_argument("--case", required=True, help="the case's id, as in its case file")
    fuzz.add_argument(
        "--perturbation",
        action="append",
        default=[],
        metavar="NAME",
        help="a perturbation to search (repeat; default: the suite's robustness: list, else "
        "every one)",
    )
    fuzz.add_argument(
        "--max-calls",
        type=int,
        default=DEFAULT_MAX_CALLS,
        help=f"model calls the search may make; cached answers are free (default "
        f"{DEFAULT_MAX_CALLS})",
    )
    fuzz.add_argument(
        "--max-steps",
        type=int,
        default=DEFAULT_MAX_STEPS,
        help=f"edits one variant may combine (default {DEFAULT_MAX_STEPS})",
    )
    fuzz.add_argument(
        "--append",
        action="store_true",
        help="append the variant found to the suite's case file as a new case tagged fuzzed",
    )
    fuzz.add_argument(
        "--id", default=None, help="the appended case's id (default: <case id>~fuzz-<n>)"
    )


def _new_id_problem(new_id: str) -> str | None:
    """What makes *new_id* an id the case file would not read back, if anything: found before
    the search, since otherwise the reload after the append refuses it with the model calls
    spent. Blank; white space at either end (a CSV or workbook cell drops it, and the case
    would read back under another id); a control character other than tab and line ends, or
    half of a surrogate pair (the case loader refuses both in an id)."""
    if not new_id.strip():
        return "is blank"
    if new_id != new_id.strip():
        return "has white space at its start or end, which a spreadsheet cell drops"
    refused = id_problem(new_id)  # the case loader's own rule
    return None if refused is None else f"is refused by the case loader ({refused})"


def _step_line(number: int, step: Step) -> str:
    where = f"at {step.start}" if step.start == step.end else f"at {step.start}-{step.end}"
    old = with_invisibles_shown(step.old) or "(nothing)"
    new = with_invisibles_shown(step.new) or "(nothing)"
    return f"    {number}. {step.perturbation}: '{old}' -> '{new}' {where}"


def report_lines(suite: Suite, result: FuzzResult) -> list[str]:
    """What the command prints of a search."""
    case = result.case
    lines = [
        f"fuzz {case.key} ({case.source})",
        f"  perturbations: {', '.join(result.perturbations)} (smallest change first)",
        f"  question:      {with_invisibles_shown(result.original_text)}",
        f"  answer:        {shorten(for_terminal(result.original_answer), _ANSWER_WIDTH)} (passes)",
    ]
    found = result.found
    if found is not None:
        count = len(found.steps)
        lines += [
            f"breaking change found ({count} step{'s' if count != 1 else ''}):",
            f"  variant:       {with_invisibles_shown(found.text)}",
            "  steps:",
            *(_step_line(n, step) for n, step in enumerate(found.steps, start=1)),
            f"  answer:        {shorten(for_terminal(found.answer), _ANSWER_WIDTH)}",
            f"  fails:         {for_terminal(found.reason)}",
        ]
        if result.exhausted:
            lines.append(
                "  the budget ran out while shrinking: a smaller breaking change may exist "
                "(run again with a larger --max-calls: the search goes on from this one)"
            )
    elif result.exhausted:
        lines.append(
            f"no breaking change found before the budget of {result.budget} model calls ran "
            "out: the search is incomplete; run again with a larger --max-calls (the answers "
            "so far are cached)"
        )
    else:
        lines.append(
            f"no breaking change found: the search ran to its end ({result.variants} variants "
            f"of at most the steps asked)"
        )
    end = "budget spent" if result.exhausted else "search complete"
    lines.append(
        f"model calls: {result.calls} of {result.budget} ({end}); cached answers: "
        f"{result.cached}; variants answered: {result.variants}"
    )
    replay = "; the saved failure was replayed first" if result.replayed else ""
    lines.append(f"database: {result.database}{replay}")
    return lines


def run_fuzz(
    args: argparse.Namespace,
    settings: Settings,
    root: Path,
    answerer_for: Callable[[Suite], Answerer],
) -> int:
    """The command: 0 nothing found, 1 a breaking change found (appended with ``--append``,
    unless a case of the file already asks the same: then it is named and nothing appended)."""
    suites = {suite.name: suite for suite in project_suites(settings, root=root)}
    if args.suite not in suites:
        raise UnknownNameError("suite", args.suite, suites, where="releasegate fuzz --suite")
    suite = suites[args.suite]
    original = suite.case(args.case)  # a variant too: fuzz_case refuses it naming its original
    if args.id is not None and not args.append:
        raise FuzzError(f"--id '{args.id}' names the case --append writes: add --append")
    problem = None if args.id is None else _new_id_problem(args.id)
    if problem is not None:
        raise FuzzError(
            f"--id {args.id!r} {problem}: give the appended case a short unique id, like "
            f"'{original.id}~fuzz', or leave --id out for the first free '{original.id}~fuzz-<n>'"
        )
    new_id = args.id if args.id is not None else fuzzed_id(suite, original)
    if args.append and any(case.id == new_id for case in suite.test_cases):
        raise FuzzError(
            f"--id '{new_id}': suite {suite.name} already has a case of that id; give another"
        )
    result = fuzz_case(
        suite,
        original,
        answerer_for(suite),
        cache_dir=settings.cache_dir,
        perturbations=tuple(args.perturbation),
        max_calls=args.max_calls,
        max_steps=args.max_steps,
    )
    for line in report_lines(suite, result):
        print(line)
    if result.found is None:
        if args.append:
            print("nothing appended: no breaking change was found")
        return 0
    if args.append:
        existing = same_question(suite, original, result.found.text)
        if existing is not None:  # the same search run again: found what it appended before
            print(
                f"already a case: {existing.id}; nothing appended (it asks the same question "
                f"with the same expected answer: {existing.source})"
            )
            return 1

        def reload() -> Suite:
            return project_suites(settings, only=[suite.name], root=root)[0]

        added = append_variant(suite, original, result.found.text, new_id=new_id, reload=reload)
        print(f"appended as case '{added.id}' to {added.source}")
    return 1
