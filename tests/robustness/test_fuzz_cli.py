"""``releasegate fuzz`` as a user runs it: exit status, what it prints, ``--append``, and one
message for bad input. The model is ``benchmarks/instant_backend.py`` (answers from a table,
through the real prediction service and cache: what is tested is the command, not generation),
and, in the test marked ``slow``, the real default model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from releasegate.golden.suites import load_suite
from tiny_project import INSTANT_BACKEND, instant_config, write_instant_model, write_project

SCHEMAS = Path(__file__).resolve().parents[2] / "fixtures" / "schemas"
QUESTION = "How do I return shoes?"
CASES = [
    {"id": "return", "input": QUESTION, "expected": "refund", "tags": ["faq"]},
    {"id": "parcel", "input": "Where is my parcel?", "expected": "tracking"},
]


def fuzz(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    path = [str(INSTANT_BACKEND), os.environ.get("PYTHONPATH", "")]
    env = env or {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    return subprocess.run(
        [sys.executable, "-m", "releasegate.cli", "--root", str(root), "fuzz", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose model answers the question as written and nothing else: any change to
    it breaks the case."""
    model = write_instant_model(tmp_path / "model", {QUESTION: "You get a refund."})
    config = instant_config(model, tmp_path / "cache")
    manifest = "name: tiny\ncases: tiny.jsonl\ncheck: contains\n"
    return write_project(tmp_path / "project", config=config, manifest=manifest, cases=CASES)


def test_a_breaking_change_is_printed_appended_and_replayed(project: Path, tmp_path: Path) -> None:
    done = fuzz(
        project,
        "--suite",
        "tiny",
        "--case",
        "return",
        "--perturbation",
        "zero_width",
        "--max-calls",
        "10",
        "--append",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "fuzz tiny/return" in out
    assert f"question:      {QUESTION}" in out
    assert "breaking change found (1 step):" in out
    assert "variant:       H\\u200bow do I return shoes?" in out  # the invisible made visible
    assert "1. zero_width: '(nothing)' -> '\\u200b' at 1" in out
    assert "fails:         missing keywords: refund" in out
    assert "model calls: " in out and " of 10 (search complete)" in out
    assert f"database: {tmp_path / 'cache' / 'fuzz'}" in out
    assert "appended as case 'return~fuzz-1'" in out

    suite = load_suite(project / "fixtures" / "golden" / "tiny.yaml", schemas_dir=SCHEMAS)
    added = suite.case("return~fuzz-1")
    assert added.input == "H\u200bow do I return shoes?"
    assert (added.expected, added.tags) == ("refund", ("faq", "fuzzed"))
    line = (project / "fixtures" / "golden" / "tiny.jsonl").read_text("utf-8").splitlines()[-1]
    assert json.loads(line)["id"] == "return~fuzz-1"

    again = fuzz(
        project,
        "--suite",
        "tiny",
        "--case",
        "return",
        "--perturbation",
        "zero_width",
        "--max-calls",
        "10",
    )
    assert again.returncode == 1, again.stdout + again.stderr
    assert "variant:       H\\u200bow do I return shoes?" in again.stdout
    assert "model calls: 0 of 10" in again.stdout  # every answer from the prediction cache
    assert "the saved failure was replayed first" in again.stdout


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_the_same_search_appended_twice_appends_once(project: Path, kind: str) -> None:
    """The second run replays the first's failure: the variant is already a case of the file
    (issue 25), so it is named and nothing appended; exit 1, as for a change found."""
    golden = project / "fixtures" / "golden"
    if kind == "csv":
        (golden / "tiny.jsonl").unlink()
        rows = "".join(f"{case['id']},{case['input']},{case['expected']}\n" for case in CASES)
        (golden / "tiny.csv").write_text("id,input,expected\n" + rows, encoding="utf-8")
        (golden / "tiny.yaml").write_text(
            "name: tiny\ncases: tiny.csv\ncheck: contains\n", encoding="utf-8"
        )
    args = ["--suite", "tiny", "--case", "return", "--perturbation", "zero_width", "--append"]
    first = fuzz(project, *args)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "appended as case 'return~fuzz-1'" in first.stdout
    appended = (golden / f"tiny.{kind}").read_bytes()

    again = fuzz(project, *args)
    assert again.returncode == 1, again.stdout + again.stderr
    assert "variant:       H\\u200bow do I return shoes?" in again.stdout
    assert "already a case: return~fuzz-1; nothing appended" in again.stdout
    assert "appended as case" not in again.stdout and "error" not in again.stderr
    assert (golden / f"tiny.{kind}").read_bytes() == appended
    suite = load_suite(golden / "tiny.yaml", schemas_dir=SCHEMAS)
    assert [case.id for case in suite.cases] == ["return", "parcel", "return~fuzz-1"]


def test_nothing_found_exits_0_and_says_whether_the_budget_ran_out(tmp_path: Path) -> None:
    model = write_instant_model(tmp_path / "model", {})  # "?" to everything
    config = instant_config(model, tmp_path / "cache")
    manifest = "name: tiny\ncases: tiny.jsonl\ncheck: {name: regex, pattern: '[?]'}\n"
    project = write_project(tmp_path / "project", config=config, manifest=manifest, cases=CASES)
    before = (project / "fixtures" / "golden" / "tiny.jsonl").read_bytes()
    done = fuzz(project, "--suite", "tiny", "--case", "return", "--max-calls", "3", "--append")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing appended: no breaking change was found" in done.stdout
    assert (project / "fixtures" / "golden" / "tiny.jsonl").read_bytes() == before
    assert "no breaking change found before the budget of 3 model calls ran out" in done.stdout
    assert "model calls: 3 of 3 (budget spent)" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--suite", "nope", "--case", "return"], "unknown suite 'nope'"),
        (["--suite", "tiny", "--case", "retrun"], "unknown case 'retrun'. Did you mean 'return'"),
        (["--suite", "tiny", "--case", "return", "--perturbation", "tpyo"], "'typo'"),
        (["--suite", "tiny", "--case", "return", "--max-calls", "0"], "--max-calls 0"),
        (["--suite", "tiny", "--case", "return", "--max-calls", "-1"], "--max-calls -1"),
        (["--suite", "tiny", "--case", "parcel"], "already fails"),
        (["--suite", "tiny", "--case", "return", "--append", "--id", "parcel"], "--id 'parcel'"),
        (["--suite", "tiny", "--case", "return", "--id", "new"], "add --append"),
        (["--suite", "tiny", "--case", "return", "--append", "--id", ""], "--id '' is blank"),
        (["--suite", "tiny", "--case", "return", "--append", "--id", " \t"], "is blank"),
        (["--suite", "tiny", "--case", "return", "--append", "--id", " new"], "start or end"),
        (["--suite", "tiny", "--case", "return", "--append", "--id", "a\x01b"], "U+0001"),
    ],
)
def test_bad_input_exits_2_with_one_message(project: Path, args: list[str], message: str) -> None:
    before = (project / "fixtures" / "golden" / "tiny.jsonl").read_bytes()
    done = fuzz(project, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    # one message, the last line (an original that fails was answered first: its progress
    # line "generating tiny" comes before)
    last = done.stderr.splitlines()[-1]
    assert last.startswith("releasegate: error: ") and message in last
    assert done.stderr.count("releasegate: error") == 1 and "Traceback" not in done.stderr
    assert (project / "fixtures" / "golden" / "tiny.jsonl").read_bytes() == before
    if "already fails" not in message:  # refused before the model answered anything
        assert "generating" not in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_variant_named_as_the_case_is_refused_naming_its_original(tmp_path: Path) -> None:
    model = write_instant_model(tmp_path / "model", {QUESTION: "You get a refund."})
    config = instant_config(model, tmp_path / "cache")
    manifest = (
        "name: tiny\ncases: tiny.jsonl\ncheck: contains\n"
        "robustness: {perturbations: [typo], variants: 1}\n"
    )
    project = write_project(tmp_path / "project", config=config, manifest=manifest, cases=CASES)
    done = fuzz(project, "--suite", "tiny", "--case", "return~typo-1")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "is a robustness variant of 'return'" in done.stderr
    assert "(--case return)" in done.stderr


@pytest.mark.slow
def test_fuzz_on_the_real_default_model_says_what_it_found(tmp_path: Path) -> None:
    """The real model, a small budget: whichever happens (a breaking change, or none within the
    budget), the exit status and the output agree, and the budget is kept."""
    from pty_run import plain_env
    from releasegate.config import default_cache_dir
    from releasegate.models.default_model import ensure_default_model

    cache = tmp_path / "cache"
    cache.mkdir()
    models = ensure_default_model(default_cache_dir()).parent
    (cache / "models").symlink_to(models, target_is_directory=True)
    config = f'[tool.releasegate]\nmax_new_tokens = 8\nbatch_size = 1\ncache_dir = "{cache}"\n'
    manifest = "name: tiny\ncases: tiny.jsonl\ncheck: {name: regex, pattern: '[A-Za-z]'}\n"
    project = write_project(tmp_path / "project", config=config, manifest=manifest, cases=CASES)
    done = fuzz(
        project,
        "--suite",
        "tiny",
        "--case",
        "return",
        "--max-calls",
        "4",
        "--perturbation",
        "typo",
        "--perturbation",
        "zero_width",
        env=plain_env(),
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    out = done.stdout
    if done.returncode == 1:
        assert "breaking change found" in out and "no breaking change" not in out
    else:
        assert "no breaking change found" in out and "breaking change found (" not in out
    calls = int(out.split("model calls: ")[1].split(" of ")[0])
    assert 1 <= calls <= 4
