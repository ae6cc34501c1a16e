"""Run settings: [tool.releasegate] in pyproject.toml, command-line overrides, validation."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from releasegate.config import (
    DEFAULT_MODEL_ALIAS,
    Settings,
    default_cache_dir,
    find_pyproject,
    load_settings,
    read_table,
    settings_keys,
    settings_schema,
)
from releasegate.exceptions import ConfigError


def write_pyproject(root: Path, body: str) -> Path:
    path = root / "pyproject.toml"
    path.write_text('[project]\nname = "demo"\n\n' + body, encoding="utf-8")
    return path


def settings_from(root: Path, body: str, **overrides: object) -> Settings:
    return load_settings(read_table(write_pyproject(root, body)), overrides, root=root)


@pytest.fixture(autouse=True)
def no_cache_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's own cache variables out of these tests."""
    monkeypatch.delenv("RELEASEGATE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def test_defaults_are_greedy_and_use_the_default_model(tmp_path: Path) -> None:
    settings = load_settings({}, {}, root=tmp_path)
    assert settings.model == DEFAULT_MODEL_ALIAS
    assert settings.backend == "hf"
    assert settings.temperature == 0.0
    assert settings.prediction_cache is True
    assert settings.suites == ()
    assert settings.golden_dir == tmp_path.resolve() / "fixtures" / "golden"
    assert settings.baselines_dir == tmp_path.resolve() / "fixtures" / "baselines"
    assert settings.reports_dir == tmp_path.resolve() / "reports"
    assert settings.cache_dir == tmp_path / "xdg" / "releasegate"


def test_chunk_size_defaults_to_batch_size(tmp_path: Path) -> None:
    assert load_settings({"batch_size": 7}, {}, root=tmp_path).effective_chunk_size == 7
    both = load_settings({"batch_size": 7, "chunk_size": 3}, {}, root=tmp_path)
    assert both.effective_chunk_size == 3


def test_every_settings_field_is_a_schema_key_and_back() -> None:
    # The schema is derived from Settings, and the plugin builds its options from the schema.
    assert set(settings_keys()) == {f.name for f in fields(Settings)}
    assert all(schema["description"] for schema in settings_keys().values())


def test_the_derived_schema_is_a_valid_json_schema_with_each_fields_type() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(dict(settings_schema()))
    keys = settings_keys()
    assert keys["max_new_tokens"]["type"] == "integer"
    assert keys["chunk_size"]["type"] == "integer"  # int | None: may be left out
    assert keys["golden_dir"]["type"] == "string"  # a Path is written as text
    assert keys["suites"]["type"] == "array"
    assert keys["prediction_cache"]["type"] == "boolean"
    assert keys["general"]["type"] == "object"
    assert "type" not in keys["dtype"]  # an enum names the choices itself


def test_allow_outside_cases_is_off_unless_turned_on(tmp_path: Path) -> None:
    """One declaration gives the key, its schema (a boolean, off) and the plugin's option."""
    key = settings_keys()["allow_outside_cases"]
    assert (key["type"], key["default"]) == ("boolean", False)
    assert Settings().allow_outside_cases is False
    on = settings_from(tmp_path, "[tool.releasegate]\nallow_outside_cases = true\n")
    assert on.allow_outside_cases is True
    with pytest.raises(ConfigError, match="allow_outside_cases"):
        settings_from(tmp_path, '[tool.releasegate]\nallow_outside_cases = "yes"\n')


def test_table_is_read_from_pyproject(tmp_path: Path) -> None:
    settings = settings_from(
        tmp_path,
        "[tool.releasegate]\n"
        'model = "org/my-model"\n'
        "max_new_tokens = 10\n"
        'dtype = "bfloat16"\n'
        'suites = ["b", "a"]\n'
        "prediction_cache = false\n",
    )
    assert settings.model == "org/my-model"
    assert settings.max_new_tokens == 10
    assert settings.dtype == "bfloat16"
    assert settings.suites == ("b", "a")
    assert settings.prediction_cache is False
    assert settings.batch_size == Settings().batch_size  # untouched keys keep their default


def test_pyproject_without_the_table_gives_defaults(tmp_path: Path) -> None:
    assert read_table(write_pyproject(tmp_path, "[tool.other]\nx = 1\n")) == {}
    assert read_table(tmp_path / "missing.toml") == {}
    assert read_table(None) == {}


def test_command_line_overrides_win(tmp_path: Path) -> None:
    settings = settings_from(
        tmp_path,
        "[tool.releasegate]\nmax_new_tokens = 10\nbatch_size = 4\n",
        max_new_tokens=99,
    )
    assert settings.max_new_tokens == 99
    assert settings.batch_size == 4


def test_none_override_means_not_given(tmp_path: Path) -> None:
    settings = settings_from(
        tmp_path,
        '[tool.releasegate]\nmax_new_tokens = 10\nmodel = "org/m"\n',
        max_new_tokens=None,
        model=None,
        golden_dir=None,
    )
    assert settings.max_new_tokens == 10
    assert settings.model == "org/m"
    assert settings.golden_dir == tmp_path.resolve() / "fixtures" / "golden"


def test_relative_paths_resolve_against_root_not_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    root = tmp_path / "project"
    root.mkdir()
    settings = settings_from(
        root,
        '[tool.releasegate]\ngolden_dir = "suites/golden"\ncache_dir = "../shared-cache"\n',
        reports_dir="out/reports",
    )
    assert settings.golden_dir == root.resolve() / "suites" / "golden"
    assert settings.cache_dir == tmp_path.resolve() / "shared-cache"  # ".." resolved away
    assert settings.reports_dir == root.resolve() / "out" / "reports"
    assert all(
        Path(value).is_absolute()
        for key, value in settings.public().items()
        if key.endswith("_dir")
    )


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "abs" / "golden"
    settings = load_settings({"golden_dir": str(target)}, {}, root=tmp_path / "root")
    assert settings.golden_dir == target


def test_unknown_key_names_it_with_a_did_you_mean(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from(tmp_path, '[tool.releasegate]\nmodle = "org/m"\n')
    message = str(info.value)
    assert "'modle'" in message
    assert "did you mean 'model'" in message
    assert "[tool.releasegate]" in message


def test_unknown_command_line_key_says_command_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="command line") as info:
        load_settings({}, {"bach_size": 3}, root=tmp_path)
    assert "did you mean 'batch_size'" in str(info.value)


def test_wrong_type_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from(tmp_path, '[tool.releasegate]\nmax_new_tokens = "ten"\n')
    message = str(info.value)
    assert "max_new_tokens" in message
    assert "'ten'" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_new_tokens", 0),
        ("max_new_tokens", True),
        ("device", "gpu"),
        ("dtype", "float64"),
        ("top_p", 0),
        ("suites", "shop_faq"),
        ("prediction_cache", "yes"),
    ],
)
def test_invalid_values_are_rejected_naming_the_field(
    tmp_path: Path, key: str, value: object
) -> None:
    with pytest.raises(ConfigError, match=key):
        load_settings({key: value}, {}, root=tmp_path)


def test_invalid_override_is_rejected_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="max_new_tokens"):
        load_settings({}, {"max_new_tokens": -1}, root=tmp_path)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, "[tool.releasegate\nmodel = 1\n")
    with pytest.raises(ConfigError) as info:
        read_table(path)
    assert str(path) in str(info.value)
    assert "TOML" in str(info.value)


def test_table_that_is_not_a_table_is_rejected(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, '[tool]\nreleasegate = "on"\n')
    with pytest.raises(ConfigError, match="must be a table"):
        read_table(path)


def test_cache_dir_env_var_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASEGATE_CACHE_DIR", str(tmp_path / "rgcache"))
    assert default_cache_dir() == tmp_path / "rgcache"
    assert load_settings({}, {}, root=tmp_path).cache_dir == tmp_path / "rgcache"


def test_cache_dir_in_table_beats_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASEGATE_CACHE_DIR", str(tmp_path / "env"))
    settings = load_settings({"cache_dir": str(tmp_path / "table")}, {}, root=tmp_path)
    assert settings.cache_dir == tmp_path / "table"


def test_xdg_cache_home_is_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x" / "releasegate"


def test_public_is_plain_json_data(tmp_path: Path) -> None:
    settings = load_settings({"suites": ["a"]}, {}, root=tmp_path)
    public = settings.public()
    assert json.loads(json.dumps(public)) == public
    assert public["suites"] == ["a"]
    assert public["golden_dir"] == str(settings.golden_dir)


def test_every_endpoint_setting_is_a_key_with_the_same_default() -> None:
    """The openai backend's EndpointSpec is filled from the [tool.releasegate] keys of the same
    names: each must exist there, with the default the backend documents."""
    from releasegate.models.backend import EndpointSpec

    settings = {f.name: f.default for f in fields(Settings)}
    for spec_field in fields(EndpointSpec):
        assert spec_field.name in settings, spec_field.name
        assert settings[spec_field.name] == spec_field.default, spec_field.name


def test_find_pyproject_prefers_pytests_own_file_when_it_holds_the_table(tmp_path: Path) -> None:
    outer = write_pyproject(tmp_path, '[tool.releasegate]\nmodel = "outer"\n')
    (tmp_path / "sub").mkdir()
    write_pyproject(tmp_path / "sub", "[tool.releasegate]\n")
    found = find_pyproject([tmp_path / "sub" / "model_tests"], rootdir=tmp_path, inifile=outer)
    assert found == outer


def test_find_pyproject_looks_up_from_the_test_paths(tmp_path: Path) -> None:
    """pytest chose an outer file that only configures pytest: the project's own file, nearest
    to the test paths, holds [tool.releasegate]."""
    outer = write_pyproject(tmp_path, "[tool.pytest.ini_options]\naddopts = '-ra'\n")
    (tmp_path / "a" / "b").mkdir(parents=True)
    inner = write_pyproject(tmp_path / "a", "[tool.releasegate]\n")
    tests = tmp_path / "a" / "b" / "model_tests"
    assert find_pyproject([tests], rootdir=tmp_path, inifile=outer) == inner
    assert find_pyproject([tests / "test_golden.py"], rootdir=tmp_path, inifile=outer) == inner
    assert find_pyproject([tmp_path / "other"], rootdir=tmp_path, inifile=outer) is None
    assert find_pyproject([], rootdir=tmp_path, inifile=None) is None


def test_find_pyproject_stops_at_the_rootdir(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.releasegate]\n")
    (tmp_path / "repo").mkdir()
    found = find_pyproject([tmp_path / "repo" / "t"], rootdir=tmp_path / "repo", inifile=None)
    assert found is None


def test_find_pyproject_refuses_test_paths_of_two_projects(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        write_pyproject(tmp_path / name, "[tool.releasegate]\n")
    paths = [tmp_path / "one" / "model_tests", tmp_path / "two" / "model_tests"]
    with pytest.raises(ConfigError, match="belong to different projects") as caught:
        find_pyproject(paths, rootdir=tmp_path, inifile=None)
    assert str(tmp_path / "one" / "pyproject.toml") in str(caught.value)
    assert str(tmp_path / "two" / "pyproject.toml") in str(caught.value)


def test_a_pattern_is_worded_by_what_the_key_accepts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"device": "gpu"}, {}, root=tmp_path)
    assert str(info.value) == (
        "[tool.releasegate]: 'device': 'gpu' is not one of auto, cpu, cuda, cuda:N, mps"
    )
    with pytest.raises(ConfigError, match="'base_url': 'localhost:8000' is not an http"):
        load_settings({}, {"base_url": "localhost:8000"}, root=tmp_path)


def test_a_list_of_paths_key_is_read_as_absolute_paths(tmp_path: Path) -> None:
    """What a key typed ``tuple[Path, ...]`` (a list of files, like training data) gets on
    loading: each item a path, made absolute against the project folder, and plain text again
    in reports."""
    from releasegate.config.loading import _holds_paths, _resolved, _typed
    from releasegate.config.settings import _plain

    hint = tuple[Path, ...]
    typed = _typed(hint, ["data/a.jsonl", "~/b.jsonl"])
    assert typed == (Path("data/a.jsonl"), Path("~/b.jsonl").expanduser())
    assert _holds_paths(hint) and _holds_paths(Path | None) and not _holds_paths(tuple[str, ...])
    resolved = _resolved(typed, tmp_path)
    assert resolved[0] == tmp_path.resolve() / "data" / "a.jsonl"
    assert _plain(resolved) == [str(p) for p in resolved]
