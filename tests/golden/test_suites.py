"""Loading golden suites: manifest + case file, validated whole before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from releasegate.config import load_settings, read_table
from releasegate.exceptions import GoldenFileError, ReleasegateError, UnknownNameError
from releasegate.golden.prompting import PromptSpec
from releasegate.golden.suites import Suite, discover_suites, load_suite, project_suites
from tiny_project import write_cases

LABELS = ["order_status", "refund", "shipping"]


def write_suite(
    folder: Path,
    stem: str,
    rows: list[dict[str, Any]] | None = None,
    **manifest: Any,
) -> Path:
    """A manifest ``<stem>.yaml`` (``cases: <stem>.jsonl`` unless given) and its case file."""
    folder.mkdir(parents=True, exist_ok=True)
    document = {"cases": f"{stem}.jsonl", **manifest}
    if rows is None:
        rows = [{"id": "q1", "input": "Where is my order?", "expected": "tracking"}]
    write_cases(folder / document["cases"], rows)
    path = folder / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def load(path: Path) -> Suite:
    return load_suite(path, schemas_dir=path.parent / "schemas")


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    return tmp_path / "golden"


def test_full_manifest_loads(golden: Path) -> None:
    path = write_suite(
        golden,
        "intents",
        rows=[
            {"id": "a1", "input": "Where is my parcel?", "expected": "shipping"},
            {"id": 2, "input": "I want my money back", "expected": "refund", "tags": ["critical"]},
        ],
        name="intent_cls",
        description="Intent classification",
        language="en",
        labels=LABELS,
        prompt={"chat": False, "template": "Intent of: {input}\nIntent:", "system": "Be brief."},
        generation={"max_new_tokens": 8},
        check="label",
        metrics=[
            {"name": "accuracy", "min": 0.5, "max_drop": 0.1},
            {"name": "f1", "average": "macro", "min": 0.2, "max": 0.99},
        ],
    )
    suite = load(path)
    assert suite.name == "intent_cls"
    assert suite.manifest_path == path
    assert suite.cases_path == (golden / "intents.jsonl").resolve()
    assert [case.id for case in suite.cases] == ["a1", "2"]
    assert all(case.suite == "intent_cls" for case in suite.cases)
    assert suite.cases[1].critical
    assert suite.check.name == "label"
    assert suite.labels == tuple(LABELS)
    assert suite.language == "en"
    assert suite.description == "Intent classification"
    assert suite.generation == {"max_new_tokens": 8}
    assert suite.prompt == PromptSpec(
        chat=False, system="Be brief.", template="Intent of: {input}\nIntent:"
    )
    names = [spec.name for spec in suite.metrics]
    assert names == ["accuracy", "f1_macro"]
    accuracy, f1 = suite.metrics
    assert (accuracy.min, accuracy.max, accuracy.max_drop) == (0.5, None, 0.1)
    assert (f1.min, f1.max, f1.max_drop) == (0.2, 0.99, None)
    assert accuracy.bar == ">= 0.5"
    assert f1.bar == ">= 0.2, <= 0.99"
    assert suite.metric("f1_macro") is f1
    assert suite.case("2") is suite.cases[1]
    assert suite.check_for(suite.cases[0]) is suite.check


def test_minimal_manifest_takes_defaults(golden: Path) -> None:
    suite = load(write_suite(golden, "shop_faq"))
    assert suite.name == "shop_faq"  # the file stem
    assert suite.check.name == "normalized"
    assert suite.metrics == ()
    assert suite.prompt == PromptSpec()
    assert suite.language == "en"
    assert suite.labels == ()


def test_chinese_suite_keeps_its_text(golden: Path) -> None:
    path = write_suite(
        golden,
        "cs_zh",
        rows=[{"id": "退款-1", "input": "怎么退款", "expected": ["七天", "退款"]}],
        language="zh",
        check={"name": "contains", "mode": "all"},
        metrics=[{"name": "rougeL", "min": 0.1}],
    )
    suite = load(path)
    assert suite.language == "zh"
    assert suite.cases[0].key == "cs_zh/退款-1"
    assert suite.cases[0].expected == ("七天", "退款")
    assert suite.metric("rougeL").bar == ">= 0.1"


def test_unknown_case_and_metric_lookups_suggest(golden: Path) -> None:
    suite = load(write_suite(golden, "s", metrics=[{"name": "accuracy"}]))
    with pytest.raises(UnknownNameError, match="Did you mean 'accuracy'"):
        suite.metric("acuracy")
    with pytest.raises(UnknownNameError, match="Did you mean 'q1'"):
        suite.case("q11")


# ---------------------------------------------------------------------------------------------
# Manifest schema


@pytest.mark.parametrize(
    ("manifest", "field_name", "fragment"),
    [
        ({"cases": "s.jsonl", "cheks": "exact"}, "(top level)", "did you mean 'check'"),
        ({"description": "no cases"}, "(top level)", "'cases'"),
        ({"cases": "s.jsonl", "prompt": {"template": "Q: "}}, "prompt.template", "input"),
        ({"cases": "s.jsonl", "prompt": {"chat": "yes"}}, "prompt.chat", "boolean"),
        ({"cases": "s.jsonl", "name": "shop faq"}, "name", "does not match"),
        ({"cases": "s.jsonl", "metrics": [{"name": "accuracy", "max_drop": -1}]}, "metrics.0", ""),
        ({"cases": "s.jsonl", "generation": {"max_new_tokens": 0}}, "generation", ""),
        ({"cases": "s.jsonl", "labels": []}, "labels", ""),
    ],
)
def test_manifest_breaking_its_schema_names_file_and_field(
    golden: Path, manifest: dict[str, Any], field_name: str, fragment: str
) -> None:
    golden.mkdir()
    write_cases(golden / "s.jsonl", [{"id": "q1", "input": "x", "expected": "y"}])
    path = golden / "s.yaml"
    path.write_text(yaml.safe_dump(manifest), encoding="utf-8")
    with pytest.raises(GoldenFileError) as info:
        load(path)
    error = info.value
    assert error.path == path
    assert error.field is not None and error.field.startswith(field_name)
    assert str(path) in str(error)
    assert fragment in str(error)


def test_manifest_that_is_not_a_mapping(golden: Path) -> None:
    golden.mkdir()
    path = golden / "s.yaml"
    path.write_text("- cases: s.jsonl\n", encoding="utf-8")
    with pytest.raises(GoldenFileError, match="mapping") as info:
        load(path)
    assert info.value.path == path


def test_invalid_yaml_names_the_line(golden: Path) -> None:
    golden.mkdir()
    path = golden / "s.yaml"
    path.write_text('cases: s.jsonl\ndescription: "open\nlabels: [a, b\n', encoding="utf-8")
    with pytest.raises(GoldenFileError, match="not valid YAML") as info:
        load(path)
    assert info.value.path == path
    assert info.value.line is not None and info.value.line >= 2
    assert f"line {info.value.line}" in str(info.value)


def test_manifest_not_utf8(golden: Path) -> None:
    golden.mkdir()
    path = golden / "s.yaml"
    path.write_bytes("cases: s.jsonl\ndescription: 退款\n".encode("gbk"))
    with pytest.raises(GoldenFileError, match="UTF-8"):
        load(path)


def test_workbook_with_the_cases_on_a_later_sheet(golden: Path) -> None:
    import openpyxl

    golden.mkdir(parents=True)
    workbook = openpyxl.Workbook()
    workbook.active.title = "Instructions"
    workbook.active.append(["Write one case a row on the sheet 'Cases'"])
    cases = workbook.create_sheet("Cases")
    cases.append(["id", "input", "expected"])
    cases.append(["q1", "Where is my order?", "tracking"])
    workbook.save(golden / "faq.xlsx")
    manifest = golden / "faq.yaml"
    manifest.write_text("cases: faq.xlsx\n", encoding="utf-8")
    with pytest.raises(GoldenFileError) as info:
        load(manifest)
    message = str(info.value)
    assert message.startswith(f"{(golden / 'faq.xlsx').resolve()}, line 1, field 'id': ")
    assert "its other sheets are 'Cases'" in message
    assert "set it in the manifest, like sheet: 'Cases'" in message
    manifest.write_text("cases: faq.xlsx\nsheet: 'Cases'\n", encoding="utf-8")
    assert [case.id for case in load(manifest).cases] == ["q1"]


def test_missing_case_file(golden: Path) -> None:
    golden.mkdir()
    path = golden / "s.yaml"
    path.write_text("cases: nowhere.jsonl\n", encoding="utf-8")
    with pytest.raises(GoldenFileError) as info:
        load(path)
    assert info.value.path == path
    assert info.value.field == "cases"
    assert "nowhere.jsonl" in str(info.value)


def test_case_file_path_is_relative_to_the_manifest(tmp_path: Path, golden: Path) -> None:
    write_cases(tmp_path / "data" / "rows.jsonl", [{"id": "a", "input": "x", "expected": "y"}])
    (tmp_path / "pyproject.toml").write_text("[tool.releasegate]\n", encoding="utf-8")
    golden.mkdir()
    path = golden / "s.yaml"
    path.write_text("cases: ../data/rows.jsonl\n", encoding="utf-8")
    assert load(path).cases_path == (tmp_path / "data" / "rows.jsonl").resolve()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder (its pyproject.toml marks the root) with a golden folder, inside a
    folder that also holds files outside the project."""
    root = tmp_path / "project"
    (root / "fixtures" / "golden").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.releasegate]\n", encoding="utf-8")
    return root


SECRET = "SECRET_TOKEN=do-not-print-me"


@pytest.mark.parametrize(
    "target",
    ["../../../outside/rows.jsonl", "{outside}/rows.jsonl", "/etc/passwd", "{outside}/notes.py"],
)
def test_a_case_file_outside_the_project_is_refused(
    tmp_path: Path, project: Path, target: str
) -> None:
    """Regression: a manifest could read, and quote in its errors, any file of the machine."""
    outside = tmp_path / "outside"
    write_cases(outside / "rows.jsonl", [{"id": "a", "input": SECRET, "expected": "y"}])
    (outside / "notes.py").write_text(f"{SECRET}\n", encoding="utf-8")
    named = target.format(outside=outside)
    manifest = project / "fixtures" / "golden" / "s.yaml"
    manifest.write_text(f"cases: {named}\n", encoding="utf-8")
    with pytest.raises(GoldenFileError) as info:
        discover_suites(manifest.parent, schemas_dir=project / "schemas")
    message = str(info.value)
    assert (info.value.path, info.value.field) == (manifest, "cases")
    assert f"case file '{named}' is outside the project {project.resolve()}" in message
    assert "allow_outside_cases = true in [tool.releasegate] (or --allow-outside-cases)" in message
    assert SECRET not in message and "root:" not in message


def test_a_symbolic_link_out_of_the_project_is_refused(tmp_path: Path, project: Path) -> None:
    write_cases(tmp_path / "rows.jsonl", [{"id": "a", "input": SECRET, "expected": "y"}])
    golden = project / "fixtures" / "golden"
    (golden / "rows.jsonl").symlink_to(tmp_path / "rows.jsonl")
    (golden / "s.yaml").write_text("cases: rows.jsonl\n", encoding="utf-8")
    with pytest.raises(GoldenFileError, match="is outside the project"):
        discover_suites(golden, schemas_dir=project / "schemas")


def test_allow_outside_cases_reads_them(tmp_path: Path, project: Path) -> None:
    write_cases(tmp_path / "shared" / "rows.jsonl", [{"id": "a", "input": "x", "expected": "y"}])
    golden = project / "fixtures" / "golden"
    (golden / "s.yaml").write_text("cases: ../../../shared/rows.jsonl\n", encoding="utf-8")
    (suite,) = discover_suites(golden, schemas_dir=project / "schemas", allow_outside_cases=True)
    assert [case.id for case in suite.cases] == ["a"]
    # inside the project, ../ is fine: the golden folder is not the limit
    write_cases(project / "data" / "rows.jsonl", [{"id": "b", "input": "x", "expected": "y"}])
    (golden / "s.yaml").write_text("cases: ../../data/rows.jsonl\n", encoding="utf-8")
    (suite,) = discover_suites(golden, schemas_dir=project / "schemas")
    assert [case.id for case in suite.cases] == ["b"]


def test_project_suites_apply_the_settings_allow_outside_cases(
    tmp_path: Path, project: Path
) -> None:
    """The one entry the commands read suites through takes allow_outside_cases from the
    project's settings: off (the default) refuses a case file outside the project, on reads it."""
    write_cases(tmp_path / "shared" / "rows.jsonl", [{"id": "a", "input": "x", "expected": "y"}])
    golden = project / "fixtures" / "golden"
    (golden / "s.yaml").write_text("cases: ../../../shared/rows.jsonl\n", encoding="utf-8")
    pyproject = project / "pyproject.toml"
    settings = load_settings(read_table(pyproject), {}, root=project)
    assert settings.golden_dir == golden
    with pytest.raises(GoldenFileError, match="is outside the project"):
        project_suites(settings, root=project)
    pyproject.write_text("[tool.releasegate]\nallow_outside_cases = true\n", encoding="utf-8")
    settings = load_settings(read_table(pyproject), {}, root=project)
    (suite,) = project_suites(settings, only=["s"], root=project)
    assert [case.id for case in suite.cases] == ["a"]


def test_a_golden_folder_the_settings_put_elsewhere_reads_its_own_cases(
    tmp_path: Path, project: Path
) -> None:
    """golden_dir is the project's own setting: its case files are not 'outside'."""
    shared = tmp_path / "shared-golden"
    write_suite(shared, "faq")
    (suite,) = discover_suites(shared, schemas_dir=project / "schemas", root=project)
    assert suite.cases_path == (shared / "faq.jsonl").resolve()
    (shared / "faq.yaml").write_text("cases: ../outside.jsonl\n", encoding="utf-8")
    write_cases(tmp_path / "outside.jsonl", [{"id": "a", "input": "x", "expected": "y"}])
    with pytest.raises(GoldenFileError) as info:
        discover_suites(shared, schemas_dir=project / "schemas", root=project)
    assert f"outside the project {project} or the golden folder {shared}" in str(info.value)


@pytest.mark.parametrize("name", ["s.yaml", "notes.py", "settings.cfg"])
def test_a_file_that_is_not_a_case_file_is_not_quoted(project: Path, name: str) -> None:
    golden = project / "fixtures" / "golden"
    (golden / name).write_text(f"{SECRET}\npassword: hunter2\n", encoding="utf-8")
    if name != "s.yaml":
        (golden / "s.yaml").write_text(f"cases: {name}\n", encoding="utf-8")
    else:
        (golden / "t.yaml").write_text("cases: s.yaml\n", encoding="utf-8")
        (golden / "s.yaml").unlink()
        (golden / "s.yaml").write_text(f"cases: t.yaml\n# {SECRET}\n", encoding="utf-8")
    with pytest.raises(ReleasegateError) as info:
        discover_suites(golden, schemas_dir=project / "schemas")
    assert "unsupported case file type" in str(info.value)
    assert SECRET not in str(info.value) and "hunter2" not in str(info.value)


# ---------------------------------------------------------------------------------------------
# Checks and metrics by name


def test_unknown_check_name_suggests_the_close_one(golden: Path) -> None:
    path = write_suite(golden, "s", check="contans")
    with pytest.raises(UnknownNameError) as info:
        load(path)
    assert info.value.kind == "check"
    assert "Did you mean 'contains'?" in str(info.value)
    assert str(path) in str(info.value)


def test_unknown_metric_name_suggests_the_close_one(golden: Path) -> None:
    path = write_suite(golden, "s", metrics=[{"name": "accuracy"}, {"name": "rougel", "min": 0}])
    with pytest.raises(UnknownNameError) as info:
        load(path)
    assert info.value.kind == "metric"
    assert "Did you mean 'rougeL'?" in str(info.value)
    assert "metrics[1]" in str(info.value)
    assert str(path) in str(info.value)


def test_bad_check_parameter_is_a_releasegate_error(golden: Path) -> None:
    path = write_suite(golden, "s", check={"name": "contains", "mode": "some"})
    with pytest.raises(ReleasegateError) as info:
        load(path)
    assert str(path) in str(info.value)
    assert "mode" in str(info.value)


def test_duplicate_metric_is_rejected(golden: Path) -> None:
    path = write_suite(
        golden, "s", metrics=[{"name": "accuracy", "min": 0.5}, {"name": "accuracy", "max_drop": 0}]
    )
    with pytest.raises(GoldenFileError, match="listed twice") as info:
        load(path)
    assert info.value.field == "metrics"
    assert info.value.path == path


def test_same_metric_with_different_variants_is_not_a_duplicate(golden: Path) -> None:
    path = write_suite(
        golden,
        "s",
        labels=LABELS,
        rows=[{"id": "q1", "input": "x", "expected": "refund"}],
        check="label",
        metrics=[{"name": "f1", "average": "macro"}, {"name": "f1", "label": "refund"}],
    )
    assert [spec.name for spec in load(path).metrics] == ["f1_macro", "f1[refund]"]


def test_per_case_check_overrides_the_suite_check(golden: Path) -> None:
    path = write_suite(
        golden,
        "s",
        rows=[
            {"id": "plain", "input": "x", "expected": "yes"},
            {"id": "rx", "input": "x", "expected": r"\d{5}", "check": "regex"},
            {
                "id": "kw",
                "input": "x",
                "expected": ["a", "b"],
                "check": {"name": "contains", "mode": "any"},
            },
        ],
        check="exact",
    )
    suite = load(path)
    plain, rx, kw = suite.cases
    assert suite.check_for(plain).name == "exact"
    assert suite.check_for(rx).name == "regex"
    assert suite.check_for(kw).name == "contains"
    assert suite.check_for(kw)("only b here", kw.expected).passed
    assert set(suite.case_checks) == {"rx", "kw"}


def test_unknown_per_case_check_names_case_file_and_line(golden: Path) -> None:
    path = write_suite(
        golden,
        "s",
        rows=[
            {"id": "q1", "input": "x", "expected": "y"},
            {"id": "q2", "input": "x", "expected": "y", "check": "regexp"},
        ],
    )
    with pytest.raises(GoldenFileError) as info:
        load(path)
    assert info.value.path == (golden / "s.jsonl").resolve()
    assert info.value.line == 2
    assert info.value.field == "check"
    assert "Did you mean 'regex'?" in str(info.value)


def test_label_not_in_labels_names_case_file_line_and_expected(golden: Path) -> None:
    path = write_suite(
        golden,
        "s",
        rows=[
            {"id": "q1", "input": "x", "expected": "refund"},
            {"id": "q2", "input": "x", "expected": "shiping"},
        ],
        labels=LABELS,
        check="label",
    )
    with pytest.raises(GoldenFileError) as info:
        load(path)
    assert info.value.path == (golden / "s.jsonl").resolve()
    assert info.value.line == 2
    assert info.value.field == "expected"
    assert "'shiping'" in str(info.value)
    assert "Did you mean 'shipping'?" in str(info.value)


def test_invalid_regex_in_expected_names_case_file_line_and_expected(golden: Path) -> None:
    path = write_suite(
        golden,
        "s",
        rows=[
            {"id": "q1", "input": "x", "expected": "ok"},
            {"id": "q2", "input": "x", "expected": "fine"},
            {"id": "q3", "input": "x", "expected": "(unclosed"},
        ],
        check="regex",
    )
    with pytest.raises(GoldenFileError) as info:
        load(path)
    assert info.value.line == 3
    assert info.value.field == "expected"
    assert "(unclosed" in str(info.value)
    assert "s.jsonl, line 3, field 'expected'" in str(info.value)


def test_bad_case_row_stops_the_whole_suite(golden: Path) -> None:
    path = write_suite(
        golden,
        "s",
        rows=[
            {"id": "q1", "input": "x", "expected": "y"},
            {"id": " ", "input": "x", "expected": "y"},
        ],
    )
    with pytest.raises(GoldenFileError) as info:
        load(path)
    assert info.value.line == 2
    assert info.value.field == "id"


def test_file_stem_used_as_name_must_be_a_valid_suite_name(golden: Path) -> None:
    path = write_suite(golden, "shop faq")
    with pytest.raises(GoldenFileError) as info:
        load(path)
    assert info.value.field == "name"


# ---------------------------------------------------------------------------------------------
# Discovery


def test_discover_sorts_by_suite_name_not_file_name(golden: Path) -> None:
    write_suite(golden, "a_file", name="zeta")
    write_suite(golden, "b_file", name="alpha")
    write_suite(golden, "c_file")  # named c_file
    (golden / "notes.txt").write_text("not a manifest", encoding="utf-8")
    suites = discover_suites(golden, schemas_dir=golden)
    assert [s.name for s in suites] == ["alpha", "c_file", "zeta"]


def test_discover_reads_yml_too(golden: Path) -> None:
    write_suite(golden, "one")
    (golden / "one.yaml").rename(golden / "two.yml")
    assert [s.name for s in discover_suites(golden, schemas_dir=golden)] == ["two"]


def test_discover_only_selects(golden: Path) -> None:
    for stem in ("a", "b", "c"):
        write_suite(golden, stem)
    suites = discover_suites(golden, schemas_dir=golden, only=["c", "a", "c"])
    assert [s.name for s in suites] == ["a", "c"]


def test_discover_unknown_suite_name(golden: Path) -> None:
    write_suite(golden, "shop_faq")
    write_suite(golden, "intents")
    with pytest.raises(UnknownNameError) as info:
        discover_suites(golden, schemas_dir=golden, only=["shop_fq"])
    assert info.value.kind == "suite"
    assert "Did you mean 'shop_faq'?" in str(info.value)


def test_two_manifests_with_the_same_name(golden: Path) -> None:
    first = write_suite(golden, "one", name="shop")
    second = write_suite(golden, "two", name="shop")
    with pytest.raises(GoldenFileError) as info:
        discover_suites(golden, schemas_dir=golden)
    assert info.value.field == "name"
    assert str(first) in str(info.value)
    assert str(second) in str(info.value)


def test_missing_golden_dir(tmp_path: Path) -> None:
    with pytest.raises(GoldenFileError, match="golden folder not found"):
        discover_suites(tmp_path / "nope", schemas_dir=tmp_path)


def test_one_broken_manifest_stops_discovery(golden: Path) -> None:
    write_suite(golden, "good")
    write_suite(golden, "bad", check="nonsense")
    with pytest.raises(UnknownNameError, match=r"bad\.yaml"):
        discover_suites(golden, schemas_dir=golden)
