"""``<suite>::isolation`` through the plugin, with pytester, on the Chinese suite and the demo
training file: green as shipped, red with file, row, text and similarity when a golden question
is planted in a copy. No model runs (the isolation test needs none)."""

# ruff: noqa: RUF001

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from releasegate.config import default_cache_dir
from releasegate.scaffold import TEST_GOLDEN

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    cache = pytester.path / "cache"
    cache.mkdir()
    (cache / "models").symlink_to(default_cache_dir() / "models", target_is_directory=True)
    golden = pytester.path / "fixtures" / "golden"
    golden.mkdir(parents=True)
    for name in ("cs_zh.yaml", "cs_zh.csv"):
        shutil.copy(ROOT / "fixtures" / "golden" / name, golden / name)
    train = pytester.path / "train"
    train.mkdir()
    shutil.copy(ROOT / "fixtures" / "train" / "shop_policy.jsonl", train / "shop_policy.jsonl")
    pytester.makefile(
        ".toml",
        pyproject=textwrap.dedent(
            f"""
            [tool.releasegate]
            cache_dir = "{cache}"
            train_data = ["train/shop_policy.jsonl"]
            """
        ),
    )
    (pytester.mkdir("model_tests") / "test_golden.py").write_text(TEST_GOLDEN, encoding="utf-8")
    return pytester


def test_the_demo_training_file_passes(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(
        "model_tests", "-k", "isolation", "-v", "-p", "no:randomly"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_metric[[]cs_zh::isolation[]] PASSED*"])


def test_a_planted_golden_question_fails_the_isolation_test(project: pytest.Pytester) -> None:
    path = project.path / "train" / "shop_policy.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = {
        "messages": [
            {"role": "user", "content": "周日有客服吗？"},
            {"role": "assistant", "content": "周日休息。"},
        ]
    }
    lines.insert(99, json.dumps(row, ensure_ascii=False))  # line 100
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = project.runpytest_subprocess("model_tests", "-k", "isolation", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cs_zh::isolation: * 1 golden case(s) found in the training data:*",
            "*cs_zh/zh-support-sunday (input) '周日有客服吗？' ~ train/shop_policy.jsonl row 100 "
            "(messages[[]0[]].content) '周日有客服吗？': exact*",
        ]
    )
    results = json.loads(next(project.path.glob("reports/*/results.json")).read_text("utf-8"))
    (record,) = [m for m in results["metrics"] if m["metric"] == "isolation"]
    assert record["outcome"] == "failed" and record["value"] == 1.0
    assert record["leaks"][0]["row"] == 100
    # the run's page lists the leak: case, training file, row, similarity
    page = next(project.path.glob("reports/*/report.html")).read_text("utf-8")
    leaks = page[page.index('<h2 id="leaks">') :]
    leaks = leaks[: leaks.index("</table>")]
    assert "cs_zh/zh-support-sunday" in leaks and "train/shop_policy.jsonl" in leaks
    assert '<td class="n">100</td>' in leaks and "exact" in leaks
    assert 'href="#leaks"' in page and "cs_zh</td><td>isolation" in page


def test_a_missing_training_file_is_an_error_naming_it(project: pytest.Pytester) -> None:
    (project.path / "train" / "shop_policy.jsonl").unlink()
    result = project.runpytest_subprocess("model_tests", "-k", "isolation", "-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*shop_policy.jsonl does not exist; fix the path*"])


def test_a_training_file_that_gives_no_text_is_an_error_not_a_pass(
    project: pytest.Pytester,
) -> None:
    """Regression: chat messages keyed ``text`` gave 0 texts and a green isolation test while a
    golden question was in the file."""
    row = {"messages": [{"role": "user", "text": "周日有客服吗？"}]}
    (project.path / "train" / "shop_policy.jsonl").write_text(
        json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    result = project.runpytest_subprocess("model_tests", "-k", "isolation", "-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*shop_policy.jsonl: 1 rows but no text in the messages layout's fields; they hold "
            "messages: list of object with keys role, text (1)*"
        ]
    )


def test_rows_without_text_are_reported_by_the_isolation_test(project: pytest.Pytester) -> None:
    path = project.path / "train" / "shop_policy.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[6] = json.dumps({"messages": [{"role": "user", "text": "周日有客服吗？"}]})
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = project.runpytest_subprocess("model_tests", "-k", "isolation", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    results = json.loads(next(project.path.glob("reports/*/results.json")).read_text("utf-8"))
    (record,) = [m for m in results["metrics"] if m["metric"] == "isolation"]
    assert record["details"]["rows_without_text"] == 1.0
    assert "1 training row(s) gave no text and were not looked in: " in record["message"]
    assert "train/shop_policy.jsonl row 7;" in record["message"]


def test_cases_outside_the_project_need_allow_outside_cases(
    project: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "cs_zh.csv"
    shutil.move(project.path / "fixtures" / "golden" / "cs_zh.csv", outside)
    manifest = project.path / "fixtures" / "golden" / "cs_zh.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("cases: cs_zh.csv", f"cases: {outside}"), "utf-8")
    refused = project.runpytest_subprocess("model_tests", "-k", "isolation", "-p", "no:randomly")
    assert refused.ret != 0
    refused.stdout.fnmatch_lines(["*case file '*cs_zh.csv' is outside the project*"])
    allowed = project.runpytest_subprocess(
        "model_tests", "-k", "isolation", "-p", "no:randomly", "--allow-outside-cases"
    )
    allowed.assert_outcomes(passed=1)


def test_without_train_data_there_is_no_isolation_test(project: pytest.Pytester) -> None:
    pyproject = project.path / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('train_data = ["train/shop_policy.jsonl"]', ""), "utf-8")
    result = project.runpytest_subprocess("model_tests", "-k", "isolation", "--collect-only", "-q")
    assert "isolation" not in result.stdout.str().replace("-k isolation", "")
