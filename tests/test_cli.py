"""The ``releasegate`` command line: validate and list suites without loading a model."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from releasegate.cli import build_parser, main

MANIFEST_FAQ = """\
name: shop_faq
description: English FAQ
cases: shop_faq.jsonl
check: {name: contains, mode: any}
metrics:
  - {name: accuracy, min: 0.3, max_drop: 0.1}
  - {name: rougeL, min: 0.1}
"""

MANIFEST_INTENTS = """\
cases: intents.jsonl
labels: [refund, shipping]
check: label
language: en
"""


def make_project(root: Path, *, golden: str = "golden") -> Path:
    """A small project: pyproject.toml naming a golden folder with two suites."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\n\n[tool.releasegate]\ngolden_dir = "{golden}"\n'
        'baselines_dir = "baselines"\n',
        encoding="utf-8",
    )
    folder = root / golden
    folder.mkdir()
    (folder / "shop_faq.yaml").write_text(MANIFEST_FAQ, encoding="utf-8")
    rows = [
        {"id": "q1", "input": "Where is my order?", "expected": ["tracking", "shipped"]},
        {"id": "q2", "input": "Can I return it?", "expected": ["30 days"]},
    ]
    (folder / "shop_faq.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8"
    )
    (folder / "intents.yaml").write_text(MANIFEST_INTENTS, encoding="utf-8")
    (folder / "intents.jsonl").write_text(
        json.dumps({"id": "i1", "input": "Money back please", "expected": "refund"}) + "\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def run_main(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


def test_validate_prints_every_suite_and_exits_0(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(project, "validate") == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith("ok  intents: 1 cases, 0 metrics, no baseline")
    assert lines[1].startswith("ok  shop_faq: 2 cases, 2 metrics, no baseline")
    assert lines[-1] == "2 suites valid"


def test_validate_reads_baselines(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "baselines").mkdir()
    (project / "baselines" / "shop_faq.json").write_text(
        json.dumps(
            {
                "suite": "shop_faq",
                "cases": {"q1": {"outcome": "passed"}, "q2": {"outcome": "failed"}},
                "metrics": {},
            }
        ),
        encoding="utf-8",
    )
    assert run_main(project, "validate") == 0
    assert "shop_faq: 2 cases, 2 metrics, baseline: 2 cases" in capsys.readouterr().out


def test_validate_rejects_a_bad_baseline(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "baselines").mkdir()
    (project / "baselines" / "intents.json").write_text("{not json", encoding="utf-8")
    assert run_main(project, "validate") == 2
    err = capsys.readouterr().err
    assert "intents.json" in err
    assert "--update-baseline" in err


def test_suites_lists_checks_and_bars(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(project, "suites") == 0
    out = capsys.readouterr().out
    assert "intents  (intents.jsonl, 1 cases, check label, language en)" in out
    assert "shop_faq  (shop_faq.jsonl, 2 cases, check contains, language en)" in out
    assert "    accuracy: >= 0.3, max_drop 0.1" in out
    assert "    rougeL: >= 0.1\n" in out
    assert out.index("intents") < out.index("shop_faq")


def test_broken_manifest_exits_2_with_the_error_on_stderr(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "golden" / "intents.yaml").write_text(
        MANIFEST_INTENTS.replace("check: label", "check: lable"), encoding="utf-8"
    )
    for command in ("validate", "suites"):
        assert run_main(project, command) == 2
        out, err = capsys.readouterr()
        assert err.startswith("releasegate: error: ")
        assert "intents.yaml" in err
        assert "Did you mean 'label'?" in err
        assert "Traceback" not in err
        assert "ok  " not in out


def test_bad_config_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (project / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("modle = 'x'\n")
    assert run_main(project, "validate") == 2
    err = capsys.readouterr().err
    assert "did you mean 'model'" in err


def test_missing_golden_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(tmp_path, "validate") == 2
    assert "golden folder not found" in capsys.readouterr().err


def test_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "usage: releasegate" in capsys.readouterr().err


def cli_process(root: Path, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "releasegate.cli", "--root", str(root), *args],
        text=True,
        env=env,
        **kwargs,  # type: ignore[call-overload]
    )


def test_console_run_of_broken_manifest_has_no_traceback(project: Path) -> None:
    (project / "golden" / "shop_faq.yaml").write_text("cases: [unclosed\n", encoding="utf-8")
    process = cli_process(project, "validate", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "Traceback" not in err
    assert "shop_faq.yaml" in err
    assert "not valid YAML" in err
    assert out == ""


def test_output_into_a_closed_pipe_is_quiet(project: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (e.g. head) is gone before anything is written
    try:
        process = cli_process(project, "suites", stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    _, err = process.communicate(timeout=60)
    assert "BrokenPipeError" not in err


def test_validate_reports_cases_missing_from_and_stale_in_each_baseline(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"id": f"q{i}", "input": f"question {i}", "expected": ["x"]} for i in range(1, 10)]
    (project / "golden" / "shop_faq.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8"
    )
    (project / "baselines").mkdir()
    stored = {f"q{i}": {"outcome": "passed"} for i in (1, 2)} | {
        name: {"outcome": "failed"} for name in ("old_a", "old_b")
    }
    (project / "baselines" / "shop_faq.json").write_text(
        json.dumps({"suite": "shop_faq", "cases": stored, "metrics": {}}), encoding="utf-8"
    )
    (project / "baselines" / "intents.json").write_text(
        json.dumps({"suite": "intents", "cases": {"i1": {"outcome": "passed"}}, "metrics": {}}),
        encoding="utf-8",
    )
    assert run_main(project, "validate") == 0
    lines = capsys.readouterr().out.splitlines()
    faq = lines.index("ok  shop_faq: 9 cases, 2 metrics, baseline: 4 cases")
    assert lines[faq + 1] == (
        "    7 case(s) missing from the baseline (added since): q3, q4, q5, q6, q7, ..."
    )
    assert lines[faq + 2] == (
        "    2 case(s) stale in the baseline (no longer in the suite): old_a, old_b"
    )
    assert lines[faq + 3].startswith("    update ")
    assert (
        "shop_faq.json with: pytest model_tests --suite shop_faq --update-baseline"
        in lines[faq + 3]
    )
    intents = lines.index("ok  intents: 1 cases, 0 metrics, baseline: 1 cases")
    assert lines[intents + 1].startswith("ok  ")  # in step with its suite: nothing more said
    assert lines[-1] == "2 suites valid; 1 baseline(s) out of date with their suite"


def test_isolation_prints_each_suite_and_exits_1_on_a_leak(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELEASEGATE_CACHE_DIR", str(tmp_path / "cache"))
    clean = tmp_path / "clean.jsonl"
    clean.write_text('{"prompt": "Hello there", "completion": "Hi, how can I help?"}\n', "utf-8")
    args = ["--root", str(project), "isolation", "--train-data", str(clean)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "shop_faq::isolation:" in out and "no golden case found" in out
    assert "0 leaked case(s); 1 training rows" in out
    first = (project / "golden" / "shop_faq.jsonl").read_text("utf-8").splitlines()[0]
    question = json.loads(first)["input"]
    leaky = tmp_path / "leaky.jsonl"
    leaky.write_text(json.dumps({"question": question, "answer": "x"}) + "\n", "utf-8")
    assert main(["--root", str(project), "isolation", "--train-data", str(leaky)]) == 1
    out = capsys.readouterr().out
    assert f"{leaky} row 1 (question)" in out and ": exact" in out


def test_isolation_of_a_file_that_gives_no_text_is_an_error(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: a golden question under ``text`` keys printed "0 texts" and exited 0."""
    monkeypatch.setenv("RELEASEGATE_CACHE_DIR", str(tmp_path / "cache"))
    first = (project / "golden" / "shop_faq.jsonl").read_text("utf-8").splitlines()[0]
    question = json.loads(first)["input"]
    data = tmp_path / "train.jsonl"
    data.write_text(
        json.dumps({"messages": [{"role": "user", "text": question}]}) + "\n", encoding="utf-8"
    )
    assert main(["--root", str(project), "isolation", "--train-data", str(data)]) == 2
    out, err = capsys.readouterr()
    assert "leaked case(s)" not in out
    assert f"training data {data}: 1 rows but no text in the messages layout's fields" in err
    assert "messages: list of object with keys role, text (1)" in err and "train_fields" in err


def test_isolation_counts_the_rows_without_text(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELEASEGATE_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "train.jsonl"
    rows = [{"prompt": "Hello there", "completion": "Hi!"}, {"prompt": 7, "completion": 8}]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert main(["--root", str(project), "isolation", "--train-data", str(data)]) == 0
    out = capsys.readouterr().out
    assert f"1 training row(s) gave no text and were not looked in: {data} row 2;" in out
    assert "0 leaked case(s); 2 training rows (1 of them without text, not looked in)" in out


def test_validate_refuses_cases_outside_the_project_unless_allowed(
    project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "faq.jsonl"
    outside.parent.mkdir()
    (project / "golden" / "shop_faq.jsonl").rename(outside)
    manifest = project / "golden" / "shop_faq.yaml"
    manifest.write_text(
        manifest.read_text("utf-8").replace("cases: shop_faq.jsonl", f"cases: {outside}"), "utf-8"
    )
    assert run_main(project, "validate") == 2
    err = capsys.readouterr().err
    assert f"case file '{outside}' is outside the project {project.resolve()}" in err
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text("utf-8") + "allow_outside_cases = true\n", "utf-8")
    assert run_main(project, "validate") == 0
    assert "shop_faq: 2 cases" in capsys.readouterr().out


def test_isolation_without_training_data_says_how_to_name_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(project), "isolation"]) == 2
    assert "set train_data in [tool.releasegate]" in capsys.readouterr().out


USER_ORDER = [
    "init",
    "validate",
    "baseline",
    "review",
    "judge",
    "fuzz",
    "checkpoints",
    "history",
    "isolation",
    "report",
]
"""The commands in the order a user meets them (a judge is calibrated on the reviews; a case that
passes is fuzzed for the smallest change that breaks it)."""


def _help(parser: argparse.ArgumentParser) -> str:
    return parser.format_help()


def _commands_block(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("  COMMAND") + 1
    block = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        block.append(line)
    return block


def test_help_lists_the_commands_in_the_order_a_user_meets_them_one_line_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = _help(build_parser())
    block = _commands_block(text)
    names = [line.split()[0] for line in block]
    assert names[: len(USER_ORDER)] == USER_ORDER
    # one line each: the name and its text side by side, no line of text alone
    assert all(len(line.split(maxsplit=1)) == 2 for line in block), block
    assert all(len(line) <= 80 for line in block), block
    examples = text[text.index("examples:") :]
    for name in names:
        assert f"\n  releasegate {name}" in examples, name
    # the examples are in the same order as the list
    positions = [examples.index(f"releasegate {name}") for name in names]
    assert positions == sorted(positions)


def _every_parser(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend(_every_parser(sub))
    return found


def test_no_help_text_shows_restructuredtext_markup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    parsers = _every_parser(build_parser())
    assert {"review", "export", "checkpoints", "history"} <= {p.prog.split()[-1] for p in parsers}
    for parser in parsers:
        text = _help(parser)
        assert "``" not in text, parser.prog
        assert not re.search(r":(func|mod|class|meth|attr|data|ref):`", text), parser.prog


def test_baseline_honours_root_from_another_folder(tmp_path: Path) -> None:
    """``releasegate --root PROJECT baseline`` from outside the project records that project's
    baselines (before, it ran pytest on ./model_tests of the current folder). The model is the
    fake ``benchmarks/instant_backend.py``: what is tested is where the command runs, not
    generation."""
    from tiny_project import (
        INSTANT_BACKEND,
        instant_config,
        write_instant_model,
        write_project,
    )

    root = tmp_path / "project"
    model = write_instant_model(tmp_path / "fake-model", {"Where is my order?": "tracking"})
    config = instant_config(model, tmp_path / "cache")
    cases = [{"id": "q1", "input": "Where is my order?", "expected": "tracking"}]
    write_project(root, config=config, manifest="cases: tiny.jsonl\ncheck: contains\n", cases=cases)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    path = [str(INSTANT_BACKEND), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    done = subprocess.run(
        [sys.executable, "-m", "releasegate.cli", "--root", str(root), "baseline", "-q"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    baseline = json.loads((root / "fixtures" / "baselines" / "tiny.json").read_text("utf-8"))
    assert baseline["cases"]["q1"]["outcome"] == "passed"
    assert list(elsewhere.iterdir()) == []  # nothing written where the command was run
