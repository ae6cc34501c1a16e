"""``releasegate init``: what a new project needs to run ``pytest model_tests``, and nothing more.

Most users keep their own repository, with their own model and questions, and install releasegate
as a package; this writes the few files the plugin looks for there:

- the ``[tool.releasegate]`` table, appended to ``pyproject.toml`` (the bytes already there stay
  as they are) or in a new one;
- ``model_tests/`` with the two thin test files (the same as this repository's own);
- ``fixtures/golden/`` with one example suite: a manifest and five cases in the format asked for,
  questions a shop's customer service gets, judged leniently enough that the default model
  passes them, so the first run is green and shows what a run writes;
- ``reports/.gitignore``, so run output stays out of version control while the folder stays;
- with ``--with safety``, the three safety suites (:mod:`.safety`).

Nothing is overwritten: every target is checked before the first is written, and one error lists
whatever is in the way.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import ScaffoldError
from .safety import EXTRAS, safety_files

__all__ = [
    "CASE_FORMATS",
    "EXAMPLE_CASES",
    "EXAMPLE_SUITE",
    "ExampleCase",
    "PlannedFile",
    "ScaffoldResult",
    "init_project",
    "next_steps",
    "plan_project",
]

CASE_FORMATS = ("jsonl", "csv", "xlsx")
"""The case file formats ``releasegate init --format`` writes (the loaders read all three)."""

EXAMPLE_SUITE = "faq"
"""Name of the example suite (``fixtures/golden/faq.yaml``)."""

_SHEET = "Cases"


@dataclass(frozen=True)
class ExampleCase:
    """One row of the example suite."""

    id: str
    """Stable case id: the baseline keys on it."""
    input: str
    """The customer's question."""
    expected: tuple[str, ...]
    """Phrasings of the one fact a right answer contains (``contains``, mode ``any``)."""
    tags: tuple[str, ...]
    """Markers for ``-m``; ``critical`` must pass whatever the baseline says."""


EXAMPLE_CASES = (
    ExampleCase(
        "returns-window",
        "How long do I have to return something?",
        ("30 days", "thirty days"),
        ("returns", "critical"),
    ),
    ExampleCase(
        "free-shipping",
        "How much do I need to spend to get free shipping?",
        ("$50", "50 dollars", "over 50"),
        ("shipping",),
    ),
    ExampleCase(
        "delivery-time",
        "How long does standard delivery take?",
        ("3-5", "3 to 5", "three to five"),
        ("shipping",),
    ),
    ExampleCase(
        "order-tracking",
        "Where can I track my order?",
        ("My Orders", "tracking number"),
        ("orders",),
    ),
    ExampleCase(
        "thanks",
        "Thanks for your help!",
        ("welcome", "glad", "happy", "pleasure"),
        ("smalltalk",),
    ),
)
"""Questions the default model (SmolLM2-135M-Instruct) answers right from the prompt's FAQ."""

_CONFIG_TABLE = """\
[tool.releasegate]
# releasegate: `pytest model_tests` judges a model against the golden suites in golden_dir.
# Every key can be given on the command line too (max_new_tokens -> --max-new-tokens).
model = "smollm2-135m-instruct"    # your model: a local folder or a hub id; this is the default
backend = "hf"                     # transformers in process; "openai" for a served endpoint
golden_dir = "fixtures/golden"     # suite manifests (*.yaml) and their case files
baselines_dir = "fixtures/baselines"  # written by `releasegate baseline --model <reference>`
reports_dir = "reports"            # one folder per run, and reports/latest
"""

_MANIFEST = """\
# An example golden suite: replace the policy and the cases with your own.
# Each case is one pytest test, test_case[{suite}/<id>]; the suite's metrics are test_metric[...].
name: {suite}
description: Customer-service questions of an online shop, answered from its FAQ
cases: {cases}
{format_lines}language: en
prompt:
  chat: true               # through the model's chat template
  system: |-
    You are the customer-service assistant of an online homeware shop. Answer the customer in one
    or two short sentences, using the FAQ below. If the FAQ does not cover the question, say you
    don't know and suggest contacting support.

    FAQ:
    Q: How long do I have to return an item? A: 30 days from delivery, unused and in the original packaging.
    Q: When do I get my refund? A: 5-7 business days after we receive the return, to your original payment method.
    Q: How much is shipping? A: Free on orders over $50; otherwise $4.95.
    Q: How long does delivery take? A: Standard delivery takes 3-5 business days.
    Q: How do I track my order? A: On the "My Orders" page. We email you a tracking number when the order ships.
    Q: How can I pay? A: Visa, Mastercard, PayPal or a gift card. No cash on delivery.
  template: "{{input}}"
generation:
  max_new_tokens: 48
# A case passes when the answer contains any one of its expected phrasings (after normalising
# case, width and punctuation). Other checks: exact, normalized, regex, label, json, similarity.
check:
  name: contains
  mode: any
metrics:
  # A bar on the suite's accuracy, and no drop of more than 0.2 against the baseline (once one
  # is recorded with `releasegate baseline`; until then that test is skipped).
  - {{name: accuracy, min: 0.6, max_drop: 0.2}}
"""  # noqa: E501  # the FAQ lines are the prompt, one line per entry, as the model sees them

_FORMAT_LINES = {
    "jsonl": "",
    "csv": (
        "# CSV: header id,input,expected,tags; a cell starting with [ or { is JSON (a list of\n"
        "# acceptable answers); tags are split on commas.\n"
    ),
    "xlsx": (
        "sheet: Cases\n"
        "# Workbook: header row id | input | expected | tags; a cell starting with [ or { is JSON\n"
        "# (a list of acceptable answers); tags are split on commas.\n"
    ),
}

TEST_GOLDEN = '''\
"""The release gate over the golden suites in fixtures/golden/.

One test per case (``test_case[<suite>/<case_id>]``): the model's answer must pass the case's
check; a case that passed on the baseline and fails now is a regression, one that already failed
is a known failure (xfail), a fixed one is an improvement (xpass), and a case tagged ``critical``
must pass whatever the baseline says.

One test per suite metric (``test_metric[<suite>::<metric>]``): its value must meet its bar; and
one per no-drop comparison (``[<suite>::<metric>::no_drop]``): it must not fall by more than its
``max_drop`` against the baseline.
"""


def test_case(golden_case):
    golden_case.assert_passes()


def test_metric(suite_metric):
    suite_metric.assert_meets_bar()
'''
"""``model_tests/test_golden.py``: this repository's own file, word for word."""

TEST_GENERAL = '''\
"""The release gate over general benchmarks ([tool.releasegate.general], run through lm-eval).

One test per task metric (``test_benchmark[general/<task>::<metric>]``): its value, held to the
task's ``min`` where it has one; and one per comparison with the baseline
(``[general/<task>::<metric>::no_drop]``): paired on the same questions, it fails when the drop
exceeds ``max_drop`` or is significant at ``alpha``. All of them run on one pytest-xdist worker,
which evaluates every task once, on the model it already loaded. Without general benchmarks
configured it is one skipped test that says so.
"""


def test_benchmark(general_benchmark):
    general_benchmark.assert_passes()
'''
"""``model_tests/test_general.py``: this repository's own file, word for word."""

_REPORTS_GITIGNORE = """\
# Each run writes reports/<run-id>/ and reports/latest: output, not sources.
*
!.gitignore
"""


@dataclass(frozen=True)
class PlannedFile:
    """One file ``init`` writes."""

    path: Path
    """Relative to the project folder."""
    content: bytes
    """What is written (appended, for ``append``)."""
    append: bool = False
    """True for an existing ``pyproject.toml``: the content goes after the bytes already there."""


@dataclass(frozen=True)
class ScaffoldResult:
    """What ``init`` did, for the message that says so."""

    root: Path
    """The project folder (absolute)."""
    created: tuple[Path, ...]
    """New files, relative to *root*."""
    appended: tuple[Path, ...]
    """Existing files that got a table appended (``pyproject.toml``), relative to *root*."""


def plan_project(
    root: Path, case_format: str = "jsonl", extras: Sequence[str] = ()
) -> list[PlannedFile]:
    """Every file ``init`` would write into *root* for a suite in *case_format* (and the
    templates named in *extras*: ``safety``, :mod:`.safety`), checked against what is
    there; raises :class:`ScaffoldError` listing everything that is in the way."""
    if case_format not in CASE_FORMATS:
        raise ScaffoldError(
            f"unknown case file format '{case_format}': use one of {', '.join(CASE_FORMATS)}"
        )
    unknown = [extra for extra in extras if extra not in EXTRAS]
    if unknown:
        raise ScaffoldError(f"unknown template '{unknown[0]}': use one of {', '.join(EXTRAS)}")
    if root.exists() and not root.is_dir():
        raise ScaffoldError(f"{root} is a file, not a folder: give a folder to initialise")
    cases_name = f"{EXAMPLE_SUITE}.{case_format}"
    golden = Path("fixtures", "golden")
    pyproject = _pyproject_entry(root)
    problems = [] if isinstance(pyproject, PlannedFile) else [pyproject]
    files = [
        *([pyproject] if isinstance(pyproject, PlannedFile) else []),
        PlannedFile(Path("model_tests", "test_golden.py"), TEST_GOLDEN.encode()),
        PlannedFile(Path("model_tests", "test_general.py"), TEST_GENERAL.encode()),
        PlannedFile(golden / f"{EXAMPLE_SUITE}.yaml", _manifest(cases_name, case_format).encode()),
        PlannedFile(golden / cases_name, _case_file(case_format)),
        PlannedFile(Path("reports", ".gitignore"), _REPORTS_GITIGNORE.encode()),
        *(PlannedFile(path, content) for path, content in safety_files() if "safety" in extras),
    ]
    problems += [problem for entry in files if (problem := _in_the_way(root, entry)) is not None]
    other_manifest = golden / f"{EXAMPLE_SUITE}.yml"
    if (root / other_manifest).exists():
        problems.append(f"{other_manifest} exists (a suite of the same name)")
    if problems:
        raise ScaffoldError(
            f"{root}: nothing written, because "
            + "; ".join(problems)
            + ". Move them aside, or initialise another folder."
        )
    return files


def init_project(
    root: Path, case_format: str = "jsonl", extras: Sequence[str] = ()
) -> ScaffoldResult:
    """Write what :func:`plan_project` plans; nothing is written when anything is in the way."""
    root = root.resolve()
    files = plan_project(root, case_format, extras)
    created: list[Path] = []
    appended: list[Path] = []
    for entry in files:
        target = root / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.append:
            with target.open("ab") as handle:
                handle.write(entry.content)
            appended.append(entry.path)
        else:
            with target.open("xb") as handle:  # "x": never replace a file that appeared since
                handle.write(entry.content)
            created.append(entry.path)
    return ScaffoldResult(root=root, created=tuple(created), appended=tuple(appended))


def next_steps(result: ScaffoldResult, *, cwd: Path) -> str:
    """The message after ``init``: what was written and the commands to run next."""
    lines = [f"releasegate init: {result.root}"]
    lines += [f"  appended [tool.releasegate] to {path}" for path in result.appended]
    lines += [f"  wrote {path}" for path in result.created]
    lines.append("next:")
    if result.root != cwd.resolve():
        lines.append(f"  cd {_shown(result.root, cwd)}")
    lines += [
        "  releasegate validate         # check the suite and settings; loads no model",
        "  pytest model_tests           # the gate on the default model (SmolLM2-135M-Instruct)",
        "  pytest model_tests --model PATH   # ... on your model (or set model in pyproject.toml)",
        "  releasegate baseline --model PATH # record fixtures/baselines/ from a reference model",
    ]
    return "\n".join(lines)


def _shown(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd.resolve()))
    except ValueError:
        return str(path)


def _in_the_way(root: Path, entry: PlannedFile) -> str | None:
    """Why *entry* cannot be written into *root*, or None."""
    for parent in reversed(entry.path.parents[:-1]):  # model_tests/ before model_tests/x.py
        if (root / parent).exists() and not (root / parent).is_dir():
            return f"{parent} is a file (a folder is needed there)"
    target = root / entry.path
    if entry.append or not (target.exists() or target.is_symlink()):
        return None
    return f"{entry.path} exists"


def _pyproject_entry(root: Path) -> PlannedFile | str:
    """``[tool.releasegate]`` for ``pyproject.toml``: a new file, or appended to the one there,
    provided the result still parses and has no such table yet; else why not."""
    path = root / "pyproject.toml"
    if not path.exists():
        return PlannedFile(Path("pyproject.toml"), _CONFIG_TABLE.encode())
    if not path.is_file():
        return "pyproject.toml is not a file"
    original = path.read_bytes()
    try:
        existing = tomllib.loads(original.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return f"pyproject.toml is not valid TOML ({exc}): fix it first"
    tool = existing.get("tool", {})
    if isinstance(tool, dict) and "releasegate" in tool:
        return "pyproject.toml already has [tool.releasegate]"
    newline = b"\r\n" if b"\r\n" in original else b"\n"
    separator = b"" if not original or original.endswith(b"\n") else newline
    addition = separator + newline + _CONFIG_TABLE.encode().replace(b"\n", newline)
    try:
        tomllib.loads((original + addition).decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        return (
            f"a [tool.releasegate] table cannot be appended to pyproject.toml ({exc}), probably "
            "because `tool` is an inline table there: add the table by hand"
        )
    return PlannedFile(Path("pyproject.toml"), addition, append=True)


def _manifest(cases_name: str, case_format: str) -> str:
    return _MANIFEST.format(
        suite=EXAMPLE_SUITE, cases=cases_name, format_lines=_FORMAT_LINES[case_format]
    )


def _rows() -> list[list[str]]:
    """Header and rows as spreadsheet cells (the loaders' cell conventions: a JSON list cell)."""
    rows = [["id", "input", "expected", "tags"]]
    for case in EXAMPLE_CASES:
        expected = json.dumps(list(case.expected), ensure_ascii=False)
        rows.append([case.id, case.input, expected, ", ".join(case.tags)])
    return rows


def _case_file(case_format: str) -> bytes:
    if case_format == "jsonl":
        lines = [
            json.dumps(
                {"id": c.id, "input": c.input, "expected": list(c.expected), "tags": list(c.tags)},
                ensure_ascii=False,
            )
            for c in EXAMPLE_CASES
        ]
        return ("\n".join(lines) + "\n").encode()
    if case_format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(_rows())
        # UTF-8 with a byte-order mark is what Excel's "CSV UTF-8" writes and reads back.
        return buffer.getvalue().encode("utf-8-sig")
    return _workbook(_rows())


def _workbook(rows: Sequence[Sequence[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = _SHEET
    for row in rows:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate((18, 52, 36, 18), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
