"""``releasegate init``: a new project's files, checked with the project's own loaders; refusal
to overwrite; appending to an existing pyproject.toml; and, end to end on the real default model,
``pytest model_tests`` green in the folder it wrote."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from releasegate.cli import main
from releasegate.config import default_cache_dir, load_settings, read_table
from releasegate.exceptions import ScaffoldError
from releasegate.golden.io import load_cases
from releasegate.golden.suites import discover_suites
from releasegate.scaffold import (
    CASE_FORMATS,
    EXAMPLE_CASES,
    EXAMPLE_SUITE,
    TEST_GENERAL,
    TEST_GOLDEN,
    init_project,
)

REPO = Path(__file__).resolve().parents[1]

EXISTING_PYPROJECT = (
    '[project]\nname = "shop-assistant"\nversion = "1.2.0"\ndependencies = ["torch"]\n\n'
    '[tool.ruff]\nline-length = 88  # keep\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
)


def written_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("case_format", CASE_FORMATS)
def test_init_writes_a_valid_project(tmp_path: Path, case_format: str) -> None:
    result = init_project(tmp_path, case_format)

    assert written_files(tmp_path) == {
        "pyproject.toml",
        "model_tests/test_golden.py",
        "model_tests/test_general.py",
        f"fixtures/golden/{EXAMPLE_SUITE}.yaml",
        f"fixtures/golden/{EXAMPLE_SUITE}.{case_format}",
        "reports/.gitignore",
    }
    assert {p.as_posix() for p in result.created} == written_files(tmp_path)
    assert result.appended == ()
    # Read back as a run reads it: the settings, then every suite in the golden folder.
    settings = load_settings(read_table(tmp_path / "pyproject.toml"), {}, root=tmp_path)
    assert settings.golden_dir == tmp_path / "fixtures" / "golden"
    assert settings.reports_dir == tmp_path / "reports"
    (suite,) = discover_suites(settings.golden_dir, schemas_dir=settings.schemas_dir)
    assert suite.name == EXAMPLE_SUITE
    assert suite.cases_path.suffix == f".{case_format}"
    assert [case.id for case in suite.cases] == [case.id for case in EXAMPLE_CASES]
    assert [case.expected for case in suite.cases] == [c.expected for c in EXAMPLE_CASES]
    assert [case.tags for case in suite.cases] == [c.tags for c in EXAMPLE_CASES]
    assert suite.check.name == "contains"
    assert [spec.name for spec in suite.metrics] == ["accuracy"]
    assert main(["--root", str(tmp_path), "validate"]) == 0


def test_every_format_holds_the_same_cases(tmp_path: Path) -> None:
    loaded = {}
    for case_format in CASE_FORMATS:
        init_project(tmp_path / case_format, case_format)
        path = tmp_path / case_format / "fixtures" / "golden" / f"{EXAMPLE_SUITE}.{case_format}"
        sheet = "Cases" if case_format == "xlsx" else None
        cases = load_cases(path, suite=EXAMPLE_SUITE, sheet=sheet)
        loaded[case_format] = [(c.id, c.input, c.expected, c.tags) for c in cases]
    assert loaded["csv"] == loaded["jsonl"] == loaded["xlsx"]
    assert len(loaded["jsonl"]) == 5


def test_the_test_files_are_this_repositorys_own() -> None:
    """A new project runs the same thin test files as this repository's model_tests/."""
    assert (REPO / "model_tests" / "test_golden.py").read_text(encoding="utf-8") == TEST_GOLDEN
    assert (REPO / "model_tests" / "test_general.py").read_text(encoding="utf-8") == TEST_GENERAL


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_reports_are_ignored_by_git_but_the_folder_is_kept(tmp_path: Path) -> None:
    init_project(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "reports" / "run-1").mkdir()
    (tmp_path / "reports" / "run-1" / "results.json").write_text("{}")

    def ignored(path: str) -> bool:
        check = subprocess.run(["git", "check-ignore", "-q", path], cwd=tmp_path)
        return check.returncode == 0

    assert ignored("reports/run-1/results.json")
    assert ignored("reports/latest")
    assert not ignored("reports/.gitignore")
    assert not ignored("fixtures/golden/faq.jsonl")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_appends_to_an_existing_pyproject_leaving_its_bytes(
    tmp_path: Path, newline: str, final_newline: bool
) -> None:
    text = EXISTING_PYPROJECT.replace("\n", newline)
    original = (text if final_newline else text.rstrip()).encode()
    (tmp_path / "pyproject.toml").write_bytes(original)

    result = init_project(tmp_path, "csv")

    assert [p.as_posix() for p in result.appended] == ["pyproject.toml"]
    assert "pyproject.toml" not in {p.as_posix() for p in result.created}
    after = (tmp_path / "pyproject.toml").read_bytes()
    assert after.startswith(original)
    added = after[len(original) :]
    assert (b"\r\n" in added) == (newline == "\r\n")
    assert b"\n" not in added.replace(b"\r\n", b"") or newline == "\n"
    document = tomllib.loads(after.decode())
    before = tomllib.loads(original.decode())
    assert document["project"] == before["project"]
    assert document["tool"]["ruff"] == before["tool"]["ruff"]
    assert document["tool"]["pytest"] == before["tool"]["pytest"]
    settings = load_settings(read_table(tmp_path / "pyproject.toml"), {}, root=tmp_path)
    assert settings.golden_dir == tmp_path / "fixtures" / "golden"


def test_refuses_listing_everything_in_the_way_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.releasegate]\nmodel = "mine"\n')
    (tmp_path / "model_tests").mkdir()
    (tmp_path / "model_tests" / "test_golden.py").write_text("# mine\n")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / ".gitignore").write_text("*.json\n")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    with pytest.raises(ScaffoldError) as caught:
        init_project(tmp_path, "xlsx")

    message = str(caught.value)
    assert "nothing written" in message
    assert "pyproject.toml already has [tool.releasegate]" in message
    assert "model_tests/test_golden.py exists" in message
    assert "reports/.gitignore exists" in message
    assert "test_general.py" not in message  # only what is in the way is listed
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    ("existing", "named"),
    [
        ("fixtures/golden/faq.yaml", "fixtures/golden/faq.yaml exists"),
        ("fixtures/golden/faq.yml", "fixtures/golden/faq.yml exists (a suite of the same name)"),
        ("fixtures/golden/faq.jsonl", "fixtures/golden/faq.jsonl exists"),
        ("model_tests/test_general.py", "model_tests/test_general.py exists"),
    ],
)
def test_one_file_in_the_way_stops_every_write(tmp_path: Path, existing: str, named: str) -> None:
    (tmp_path / existing).parent.mkdir(parents=True)
    (tmp_path / existing).write_text("mine\n")

    with pytest.raises(ScaffoldError, match=re.escape(named)):
        init_project(tmp_path, "jsonl")

    assert written_files(tmp_path) == {existing}


def test_a_file_where_a_folder_goes_is_named(tmp_path: Path) -> None:
    (tmp_path / "model_tests").write_text("not a folder\n")
    with pytest.raises(ScaffoldError, match=r"model_tests is a file \(a folder is needed there\)"):
        init_project(tmp_path)
    assert written_files(tmp_path) == {"model_tests"}


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("[project\nname = 1\n", "pyproject.toml is not valid TOML"),
        ("tool = {ruff = {line-length = 88}}\n", "`tool` is an inline table there"),
        ('[tool]\nreleasegate = {model = "x"}\n', "already has [tool.releasegate]"),
    ],
)
def test_a_pyproject_it_cannot_extend_is_refused(tmp_path: Path, content: str, named: str) -> None:
    (tmp_path / "pyproject.toml").write_text(content)
    with pytest.raises(ScaffoldError, match=re.escape(named)):
        init_project(tmp_path)
    assert written_files(tmp_path) == {"pyproject.toml"}
    assert (tmp_path / "pyproject.toml").read_text() == content


def test_cli_says_what_it_wrote_and_what_to_run_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "shop", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert f"releasegate init: {tmp_path / 'shop'}" in out
    for path in ("pyproject.toml", "fixtures/golden/faq.yaml", "fixtures/golden/faq.csv"):
        assert f"wrote {path}" in out
    assert "  cd shop\n" in out
    assert "pytest model_tests" in out and "releasegate validate" in out

    assert main(["init", "shop"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"releasegate: error: {tmp_path / 'shop'}: nothing written")
    assert "Traceback" not in err


def test_cli_init_defaults_to_the_root_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    assert "cd " not in out
    assert (tmp_path / "fixtures" / "golden" / "faq.jsonl").is_file()


def test_unknown_format_is_refused_by_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["init", "--format", "tsv"])
    assert "invalid choice: 'tsv'" in capsys.readouterr().err


# --- pytest in the folder init wrote ---------------------------------------------------------


def clean_env(cache: Path) -> dict[str, str]:
    """This process's environment without what pytest (and xdist) set for the test running
    now, so the inner run is a user's plain ``pytest``; the cache dir is the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "RELEASEGATE_"))}
    env["RELEASEGATE_CACHE_DIR"] = str(cache)
    return env


def run_pytest(folder: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=folder,
        env=clean_env(cache),
        capture_output=True,
        text=True,
        timeout=1200,
    )


def test_a_project_inside_another_repository_finds_its_own_settings(tmp_path: Path) -> None:
    """pytest takes the outer repository's pyproject.toml (it configures pytest); the run still
    reads the subproject's [tool.releasegate], with paths relative to that folder."""
    (tmp_path / "pyproject.toml").write_text(EXISTING_PYPROJECT)
    sub = tmp_path / "services" / "assistant"
    init_project(sub)
    expected = [f"model_tests/test_golden.py::test_case[faq/{c.id}]" for c in EXAMPLE_CASES]

    inside = run_pytest(sub, tmp_path / "cache", "model_tests", "--collect-only", "-q")
    assert inside.returncode == 0, inside.stdout + inside.stderr
    for nodeid in expected:
        assert f"services/assistant/{nodeid}" in inside.stdout
    assert "test_benchmark[general]" in inside.stdout

    outside = run_pytest(
        tmp_path, tmp_path / "cache", "services/assistant/model_tests", "--collect-only", "-q"
    )
    assert outside.returncode == 0, outside.stdout + outside.stderr
    assert f"services/assistant/{expected[0]}" in outside.stdout


def test_without_general_benchmarks_test_general_is_one_skip_saying_why(tmp_path: Path) -> None:
    init_project(tmp_path)
    result = run_pytest(tmp_path, tmp_path / "cache", "model_tests/test_general.py", "-rs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "no general benchmarks configured: add [tool.releasegate.general]" in result.stdout
    assert "empty parameter set" not in result.stdout


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prediction cache of this module's own, beside the converted default model (shared)."""
    from releasegate.models.default_model import ensure_default_model

    models = ensure_default_model(default_cache_dir()).parent
    cache = tmp_path_factory.mktemp("cache")
    (cache / "models").symlink_to(models, target_is_directory=True)
    return cache


def assert_green_with_reports(folder: Path, result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"\b6 passed, 2 skipped\b", result.stdout), output
    assert "faq: 5 passed" in result.stdout
    runs = [p for p in (folder / "reports").iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(runs) == 1
    assert (runs[0] / "results.json").is_file() and (runs[0] / "junit.xml").is_file()
    assert (folder / "reports" / "latest" / "results.json").is_file()


@pytest.mark.slow
def test_init_then_pytest_model_tests_is_green_in_an_empty_folder(
    tmp_path: Path, model_cache: Path
) -> None:
    project = tmp_path / "assistant"
    init = subprocess.run(
        [sys.executable, "-m", "releasegate.cli", "init", "assistant"],
        cwd=tmp_path,
        env=clean_env(model_cache),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert init.returncode == 0, init.stderr
    assert "wrote fixtures/golden/faq.jsonl" in init.stdout

    result = run_pytest(project, model_cache, "model_tests")

    assert_green_with_reports(project, result)


@pytest.mark.slow
def test_init_then_pytest_model_tests_is_green_beside_other_tables(
    tmp_path: Path, model_cache: Path
) -> None:
    original = EXISTING_PYPROJECT.encode()
    (tmp_path / "pyproject.toml").write_bytes(original)
    init = subprocess.run(
        [sys.executable, "-m", "releasegate.cli", "init", "--format", "xlsx"],
        cwd=tmp_path,
        env=clean_env(model_cache),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert init.returncode == 0, init.stderr
    assert "appended [tool.releasegate] to pyproject.toml" in init.stdout

    result = run_pytest(tmp_path, model_cache, "model_tests")

    assert_green_with_reports(tmp_path, result)
    assert (tmp_path / "pyproject.toml").read_bytes().startswith(original)
