"""The pytest plugin end to end, with pytester, on the real default model.

The tiny suite's outcomes are certain whatever the model says: a ``\\S`` regex passes any
non-empty answer and an exact match on a nonsense token never passes. Baseline files written by
hand then put each case in each regression state. Answers are cached per test project, so each
project pays for generation once.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from releasegate.config import default_cache_dir

pytestmark = pytest.mark.slow

GOLDEN_TEST = textwrap.dedent(
    """
    def test_case(golden_case):
        golden_case.assert_passes()

    def test_metric(suite_metric):
        suite_metric.assert_meets_bar()
    """
)

CASES = [
    {
        "id": "speaks",
        "input": "Say hello to the customer.",
        "expected": "hello",
        "check": {"name": "regex", "pattern": "\\S"},
        "tags": ["critical", "smoke"],
    },
    {
        "id": "answers",
        "input": "What is your return policy?",
        "expected": "returns",
        "check": {"name": "regex", "pattern": "\\S"},
    },
    {"id": "never", "input": "Reply with the code word.", "expected": "ZQXJ-never-said"},
    {
        "id": "never-critical",
        "input": "Reply with the secret.",
        "expected": "QQQZ-never-said",
        "tags": ["critical"],
    },
]

MANIFEST = textwrap.dedent(
    """
    name: tiny
    cases: tiny.jsonl
    prompt:
      system: You are a shop assistant. Answer in one short sentence.
    generation:
      max_new_tokens: 8
    check: exact
    metrics:
      - {name: accuracy, min: 0.4, max_drop: 0.2}
      - {name: rougeL}
    """
)


@pytest.fixture(scope="session")
def shared_models() -> Path:
    """The converted default model, shared by every test project (converted once)."""
    from releasegate.default_model import ensure_default_model

    return ensure_default_model(default_cache_dir()).parent


@pytest.fixture
def project(pytester: pytest.Pytester, shared_models: Path) -> pytest.Pytester:
    cache = pytester.path / "cache"
    cache.mkdir()
    (cache / "models").symlink_to(shared_models, target_is_directory=True)
    pytester.makefile(
        ".toml",
        pyproject=textwrap.dedent(
            f"""
            [tool.releasegate]
            max_new_tokens = 8
            batch_size = 4
            cache_dir = "{cache}"
            """
        ),
    )
    golden = pytester.mkdir("fixtures").joinpath("golden")
    golden.mkdir()
    (golden / "tiny.yaml").write_text(MANIFEST, encoding="utf-8")
    write_cases(golden / "tiny.jsonl", CASES)
    tests = pytester.mkdir("model_tests")
    (tests / "test_golden.py").write_text(GOLDEN_TEST, encoding="utf-8")
    return pytester


def write_cases(path: Path, cases: list[dict[str, object]]) -> None:
    path.write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8"
    )


def write_baseline(project: pytest.Pytester, outcomes: dict[str, str], accuracy: float) -> None:
    directory = project.path / "fixtures" / "baselines"
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "suite": "tiny",
        "cases": {
            k: {"outcome": v, "answer": f"earlier answer to {k}"} for k, v in outcomes.items()
        },
        "metrics": {"accuracy": {"value": accuracy}},
    }
    (directory / "tiny.json").write_text(json.dumps(document), encoding="utf-8")


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess("model_tests", "-p", "no:cacheprovider", "-rA", *args)


def latest_results(project: pytest.Pytester) -> dict[str, object]:
    result: dict[str, object] = json.loads(
        (project.path / "reports" / "latest" / "results.json").read_text(encoding="utf-8")
    )
    return result


def test_without_baseline_cases_are_plain_pass_fail(project: pytest.Pytester) -> None:
    result = run(project)
    result.assert_outcomes(passed=4, failed=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*tiny/never failed*",
            "*expected: ZQXJ-never-said*",
            "*releasegate*",
            "*tiny*accuracy*0.5*>= 0.4*ok*",
            "*FAILED model_tests/test_golden.py::test_case[[]tiny/never[]]*",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    results = latest_results(project)
    cases = {c["key"]: c for c in results["cases"]}  # type: ignore[attr-defined]
    assert cases["tiny/speaks"]["outcome"] == "passed"
    assert cases["tiny/never"]["outcome"] == "failed"
    assert cases["tiny/never"]["prompt"].count("You are a shop assistant") == 1
    assert cases["tiny/never"]["answer"]
    junit = (project.path / "reports" / "latest" / "junit.xml").read_text(encoding="utf-8")
    assert 'name="value" value="0.5"' in junit


def test_regression_semantics_against_a_baseline(project: pytest.Pytester) -> None:
    write_baseline(
        project,
        {"speaks": "passed", "answers": "failed", "never": "passed", "never-critical": "failed"},
        accuracy=1.0,
    )
    result = run(project)
    # never: passed before, fails now -> regression; answers: failed before, passes -> xpass;
    # never-critical: failed before too, but critical -> plain failure, not xfail.
    result.assert_outcomes(passed=3, failed=3, xpassed=1)
    out = result.stdout.str()
    assert "tiny/never regression: passed on the baseline, fails now" in out
    assert "baseline answer: earlier answer to never" in out
    assert "critical: must pass whatever the baseline says" in out
    assert "1 improvement(s) over the baseline: tiny/answers" in out
    assert "tiny::accuracy: baseline 1, now 0.5, diff -0.5" in out
    assert "the drop 0.5 exceeds max_drop 0.2" in out


def test_update_baseline_then_the_same_model_is_green(project: pytest.Pytester) -> None:
    write_cases(project.path / "fixtures" / "golden" / "tiny.jsonl", CASES[:3])
    first = run(project, "--update-baseline")
    first.assert_outcomes(passed=4, xfailed=1, skipped=1)
    first.stdout.fnmatch_lines(["*baseline created: *tiny.json*"])
    stored = json.loads((project.path / "fixtures/baselines/tiny.json").read_text())
    assert stored["cases"]["never"]["outcome"] == "failed"
    assert stored["cases"]["speaks"]["outcome"] == "passed"
    assert set(stored["metrics"]["accuracy"]["per_item"]) == {"speaks", "answers", "never"}
    second = run(project)
    second.assert_outcomes(passed=5, xfailed=1)
    assert second.ret == 0
    again = run(project, "--update-baseline")
    again.stdout.fnmatch_lines(["*baseline unchanged: *tiny.json*"])


def test_selection_by_keyword_and_tag_marker(project: pytest.Pytester) -> None:
    by_tag = run(project, "-m", "critical")
    by_tag.assert_outcomes(passed=1, failed=1)
    by_keyword = run(project, "-k", "speaks or answers")
    by_keyword.assert_outcomes(passed=2)


def test_prediction_cache_reuses_answers_and_can_be_bypassed(project: pytest.Pytester) -> None:
    run(project).assert_outcomes(passed=4, failed=2, skipped=1)
    first = {c["key"]: c for c in latest_results(project)["cases"]}  # type: ignore[attr-defined]
    assert not any(c["cached"] for c in first.values())
    run(project).assert_outcomes(passed=4, failed=2, skipped=1)
    second = {c["key"]: c for c in latest_results(project)["cases"]}  # type: ignore[attr-defined]
    assert all(c["cached"] for c in second.values())
    assert {k: c["answer"] for k, c in first.items()} == {k: c["answer"] for k, c in second.items()}
    run(project, "--no-prediction-cache").assert_outcomes(passed=4, failed=2, skipped=1)
    third = {c["key"]: c for c in latest_results(project)["cases"]}  # type: ignore[attr-defined]
    assert not any(c["cached"] for c in third.values())


def test_xdist_two_workers_same_verdicts_and_one_generation_per_case(
    project: pytest.Pytester,
) -> None:
    result = run(project, "-n", "2")
    result.assert_outcomes(passed=4, failed=2, skipped=1)
    results = latest_results(project)
    assert len(results["cases"]) == 4  # type: ignore[arg-type]
    models = results["models"]
    assert models and set(models) <= {"gw0", "gw1"}  # type: ignore[arg-type]
    assert all(m["fingerprint"] for m in models.values())  # type: ignore[attr-defined]
    import sqlite3

    db = sqlite3.connect(project.path / "cache" / "predictions.sqlite")
    (rows,) = db.execute("SELECT COUNT(*) FROM predictions").fetchone()
    assert rows == 4
    assert len(list((project.path / "reports").glob("2*"))) == 1


def test_malformed_case_file_stops_before_anything_runs(project: pytest.Pytester) -> None:
    path = project.path / "fixtures" / "golden" / "tiny.jsonl"
    path.write_text(path.read_text() + '{"id": "broken", "input": \n', encoding="utf-8")
    result = run(project)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*releasegate: *tiny.jsonl, line 5*"])
    assert "Traceback" not in result.stdout.str()
    assert "passed" not in result.stdout.str().splitlines()[-1]


def test_unknown_config_key_is_a_usage_error(project: pytest.Pytester) -> None:
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\nmodle = "x"\n', encoding="utf-8")
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown key 'modle' (did you mean 'model'?)*"])


def test_missing_model_folder_is_one_clear_error(project: pytest.Pytester) -> None:
    result = run(project, "--model", "./checkpoints/step-10000")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*model folder './checkpoints/step-10000' does not exist*"])
    assert "Traceback" not in result.stdout.str()


def test_a_run_without_golden_tests_leaves_no_report(project: pytest.Pytester) -> None:
    project.makepyfile(test_plain="def test_nothing():\n    pass\n")
    result = project.runpytest_subprocess("test_plain.py")
    result.assert_outcomes(passed=1)
    assert not (project.path / "reports").exists() or not any((project.path / "reports").iterdir())
    assert "junit" not in result.stdout.str()


def test_retrained_checkpoint_at_the_same_path_is_not_served_stale_answers(
    project: pytest.Pytester, shared_models: Path
) -> None:
    import shutil

    from safetensors.torch import load_file, save_file

    source = next(p for p in shared_models.iterdir() if (p / "config.json").is_file())
    checkpoint = project.path / "checkpoint"
    shutil.copytree(source, checkpoint)
    first = run(project, "--model", str(checkpoint))
    first.assert_outcomes(passed=4, failed=2, skipped=1)
    before = {c["key"]: c for c in latest_results(project)["cases"]}  # type: ignore[attr-defined]
    weights = checkpoint / "model.safetensors"
    tensors = load_file(weights)
    name = next(k for k in tensors if k.endswith("embed_tokens.weight"))
    tensors[name] = tensors[name] * 0.0
    os.remove(weights)
    save_file(tensors, weights, metadata={"format": "pt"})
    second = run(project, "--model", str(checkpoint))
    after = {c["key"]: c for c in latest_results(project)["cases"]}  # type: ignore[attr-defined]
    assert second.ret in (0, 1)
    assert not any(c["cached"] for c in after.values())
    assert any(after[k]["answer"] != before[k]["answer"] for k in before)


def test_a_model_without_a_chat_template_errors_its_known_failures_too(
    project: pytest.Pytester, shared_models: Path
) -> None:
    """The real model with its chat template removed cannot be prompted: every case is an
    ERROR saying so, the ones that failed on the baseline included (not a green "xfailed")."""
    source = next(p for p in shared_models.iterdir() if (p / "config.json").is_file())
    checkpoint = project.path / "no-template"
    checkpoint.mkdir()
    for path in source.iterdir():
        if path.name != "chat_template.jinja":
            (checkpoint / path.name).symlink_to(path)
    write_baseline(project, {case["id"]: "failed" for case in CASES}, accuracy=0.0)
    result = run(project, "--model", str(checkpoint), "-k", "test_case")
    result.assert_outcomes(errors=4)
    assert result.ret != 0
    assert result.stdout.str().count("has no chat template") >= 4
