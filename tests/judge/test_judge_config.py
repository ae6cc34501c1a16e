"""The judge's configuration: the manifest's ``judge:`` over ``[tool.releasegate.judge]``, each
bad key one error naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from judge_project import judged_suite, project_settings

from releasegate.exceptions import ConfigError, GoldenFileError, JudgeError
from releasegate.judge.config import PROJECT_TABLE, JudgeSpec, judge_spec, read_judge_section
from releasegate.review.rubric import Scale


def spec_of(root: Path, manifest: str, project: dict[str, object] | None = None) -> JudgeSpec:
    suite = judged_suite(root / "golden", manifest)
    settings = project_settings(root, project)
    table = read_judge_section(
        settings.judge, where=f"pyproject.toml {PROJECT_TABLE}", base_dir=root
    )
    spec = judge_spec(table, suite.judge, settings)
    assert spec is not None
    return spec


def test_defaults_are_greedy_and_the_contracts_thresholds(tmp_path: Path) -> None:
    spec = spec_of(tmp_path, "model: smollm2-135m-instruct")
    assert (spec.backend, spec.model, spec.temperature, spec.seed) == (
        "hf",
        "smollm2-135m-instruct",
        0.0,
        0,
    )
    assert spec.max_new_tokens == 256
    assert (spec.max_unscored, spec.margin, spec.min_reviews, spec.min_kappa) == (
        0.02,
        0.05,
        50,
        0.6,
    )
    assert spec.max_below_reviewers == 0.1
    assert spec.allow_self_judge is False
    assert spec.rubric is None and spec.template is None and spec.pairwise_template is None
    # greedy: the seed cannot change a verdict, so it is not part of the identity's settings
    assert spec.settings_key() == {"temperature": 0.0, "max_new_tokens": 256}


def test_the_manifest_overrides_the_project_key_by_key(tmp_path: Path) -> None:
    project = {"model": "org/big-judge", "min_kappa": 0.7, "max_new_tokens": 64}
    spec = spec_of(tmp_path, "min_kappa: 0.8\ntemperature: 0.5\nseed: 3", project)
    assert spec.model == "org/big-judge"  # the project's, not overridden
    assert spec.min_kappa == 0.8  # the manifest's wins
    assert spec.max_new_tokens == 64
    assert spec.settings_key() == {"temperature": 0.5, "max_new_tokens": 64, "seed": 3}
    assert spec.where.startswith(str(tmp_path / "golden" / "shop.yaml"))


def test_the_project_alone_declares_a_judge_for_every_suite(tmp_path: Path) -> None:
    spec = spec_of(tmp_path, "", {"model": "org/judge"})
    assert spec.model == "org/judge"


def test_no_judge_anywhere_is_none(tmp_path: Path) -> None:
    suite = judged_suite(tmp_path, "")
    assert suite.judge is None
    assert judge_spec(None, suite.judge, project_settings(tmp_path)) is None


def test_endpoint_keys_default_to_the_projects_endpoint_settings(tmp_path: Path) -> None:
    spec = spec_of(
        tmp_path,
        "backend: openai\nbase_url: http://127.0.0.1:9/v1\nmodel: judge-7b\nconcurrency: 2",
        None,
    )
    settings = project_settings(tmp_path)
    assert spec.concurrency == 2  # the judge's own
    assert spec.request_timeout == settings.request_timeout
    assert spec.max_retries == settings.max_retries
    assert spec.api_key_env == settings.api_key_env


def test_a_rubric_under_judge_is_parsed_like_review(tmp_path: Path) -> None:
    spec = spec_of(tmp_path, "model: m\nrubric: {scale: 1-3, criteria: [accuracy, tone]}")
    assert spec.rubric is not None
    assert spec.rubric.scale == Scale(1, 3)
    assert [c.name for c in spec.rubric.criteria] == ["accuracy", "tone"]


def test_a_template_path_is_read_relative_to_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "golden").mkdir()
    (tmp_path / "golden" / "mine.txt").write_text(
        "{question} {expected} {answer} {rubric}", encoding="utf-8"
    )
    spec = spec_of(tmp_path, "model: m\ntemplate: mine.txt")
    assert spec.template == (tmp_path / "golden" / "mine.txt").resolve()


@pytest.mark.parametrize(
    ("manifest", "field", "words"),
    [
        ("model: m\nmin_kappa: 1.5", "judge.min_kappa", "maximum of 1"),
        ("model: m\nmin_kappa: -1.5", "judge.min_kappa", "minimum of -1"),
        ("model: m\nmax_unscored: 1.2", "judge.max_unscored", "maximum of 1"),
        ("model: m\nmargin: -0.1", "judge.margin", "minimum of 0"),
        ("model: m\nmin_reviews: 0", "judge.min_reviews", "minimum of 1"),
        ("model: m\ntemperature: -1", "judge.temperature", "minimum of 0"),
        ("model: m\nmax_new_tokens: 0", "judge.max_new_tokens", "minimum of 1"),
        ("model: m\nbackend: vllm", "judge.backend", "'hf', 'openai'"),
        ("model: m\nbase_url: ftp://x", "judge.base_url", "does not match"),
        ("model: m\nkappa: 0.5", "'judge'", "unknown key 'kappa' (did you mean 'min_kappa'?)"),
        ("model: m\nallow_self_judge: yes please", "judge.allow_self_judge", "boolean"),
        ("model: m\ntemplate: missing.txt", "judge.template", "does not exist"),
        ("model: m\nrubric: {scale: 5-1}", "judge.rubric", "review scale '5-1'"),
        ("model: m\nrubric: {scale: 1-5, pass_mark: 9}", "judge.rubric", "outside the scale"),
    ],
)
def test_each_bad_manifest_key_is_one_error_naming_the_manifest_and_field(
    tmp_path: Path, manifest: str, field: str, words: str
) -> None:
    with pytest.raises(GoldenFileError) as caught:
        judged_suite(tmp_path, manifest)
    message = str(caught.value)
    assert str(tmp_path / "shop.yaml") in message
    assert f"field {field}" in message or f"field '{field}'" in message
    assert words in message


@pytest.mark.parametrize(
    ("table", "field", "words"),
    [
        ({"model": "m", "min_kappa": 2}, "min_kappa", "maximum of 1"),
        ({"model": "m", "judge_model": "x"}, "(the table)", "unknown key 'judge_model'"),
        ({"model": "m", "max_unscored": -0.5}, "max_unscored", "minimum of 0"),
    ],
)
def test_each_bad_project_key_is_one_error_naming_the_table_and_field(
    tmp_path: Path, table: dict[str, object], field: str, words: str
) -> None:
    where = f"{tmp_path / 'pyproject.toml'} {PROJECT_TABLE}"
    with pytest.raises(ConfigError) as caught:
        read_judge_section(table, where=where, base_dir=tmp_path)
    assert str(caught.value).startswith(f"{where}: {field}: ")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("manifest", "words"),
    [
        ("min_kappa: 0.7", "'model' is required"),
        ("backend: openai\nmodel: m", "needs 'base_url'"),
        ("model: m\nbase_url: http://127.0.0.1:1/v1", "base_url is for backend 'openai'"),
    ],
)
def test_an_incomplete_judge_is_refused_once_merged(
    tmp_path: Path, manifest: str, words: str
) -> None:
    with pytest.raises(ConfigError, match=words) as caught:
        spec_of(tmp_path, manifest)
    assert str(tmp_path / "golden" / "shop.yaml") in str(caught.value)


def test_the_suite_keeps_what_its_manifest_said(tmp_path: Path) -> None:
    suite = judged_suite(tmp_path, "model: m\nmin_reviews: 80")
    assert suite.judge is not None
    assert suite.judge.values["min_reviews"] == 80


def test_a_template_the_judge_cannot_fill_stops_the_suite_from_loading(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("{question} {expected} {rubric}", encoding="utf-8")
    with pytest.raises(JudgeError) as caught:
        judged_suite(tmp_path, "model: m\ntemplate: mine.txt")
    assert str(tmp_path / "mine.txt") in str(caught.value)
    assert "lacks the placeholder {answer}" in str(caught.value)


def test_the_projects_template_is_read_relative_to_the_project(tmp_path: Path) -> None:
    (tmp_path / "judge").mkdir()
    (tmp_path / "judge" / "pair.txt").write_text(
        "{question} {expected} {answer_a} {answer_b} {rubric}", encoding="utf-8"
    )
    spec = spec_of(tmp_path, "", {"model": "m", "pairwise_template": "judge/pair.txt"})
    assert spec.pairwise_template == (tmp_path / "judge" / "pair.txt").resolve()


def test_a_bad_rubric_in_the_project_table_names_the_table(tmp_path: Path) -> None:
    where = f"{tmp_path / 'pyproject.toml'} {PROJECT_TABLE}"
    with pytest.raises(ConfigError) as caught:
        read_judge_section(
            {"model": "m", "rubric": {"scale": "1-5", "pass_mark": 0}},
            where=where,
            base_dir=tmp_path,
        )
    assert str(caught.value).startswith(f"{where}: judge.rubric: ")
    assert "outside the scale" in str(caught.value)
