"""Baselines: reviewable JSON per suite, merged on update, validated on read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasegate.core.records import ModelDescription
from releasegate.exceptions import BaselineError
from releasegate.gate.baselines import BaselineStore, CaseBaseline, MetricBaseline, SuiteBaseline


def baseline(
    suite: str = "shop_faq",
    cases: dict[str, CaseBaseline] | None = None,
    metrics: dict[str, MetricBaseline] | None = None,
    **extra: object,
) -> SuiteBaseline:
    if cases is None:
        cases = {
            "q2": CaseBaseline("failed", "I do not know", score=0.25),
            "q1": CaseBaseline("passed", "Your parcel ships in 2 days"),
        }
    if metrics is None:
        metrics = {"accuracy": MetricBaseline(0.5, {"q2": 0.0, "q1": 1.0})}
    return SuiteBaseline(suite=suite, cases=cases, metrics=metrics, **extra)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> BaselineStore:
    return BaselineStore(tmp_path / "baselines")


def test_no_file_means_no_baseline(store: BaselineStore) -> None:
    assert store.load("shop_faq") is None


def test_write_creates_sorted_indented_json(store: BaselineStore) -> None:
    result = store.write(
        baseline(
            model=ModelDescription(model="org/m", fingerprint="abc"),
            generation={"max_new_tokens": 8},
        )
    )
    assert result.action == "created"
    assert result.path == store.path_for("shop_faq")
    assert result.path.parent == store.directory
    text = result.path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert '\n  "cases": {\n    "q1": {' in text  # two-space indent, one key a line
    document = json.loads(text)
    assert list(document["cases"]) == ["q1", "q2"]
    assert list(document["metrics"]["accuracy"]["per_item"]) == ["q1", "q2"]
    assert document["cases"]["q2"] == {
        "outcome": "failed",
        "answer": "I do not know",
        "score": 0.25,
    }
    assert "score" not in document["cases"]["q1"]
    assert document["model"] == {"model": "org/m", "fingerprint": "abc"}
    assert document["generation"] == {"max_new_tokens": 8}
    assert not list(store.directory.glob("*.tmp"))


def test_chinese_stays_readable(store: BaselineStore) -> None:
    path = store.write(
        baseline(
            suite="cs_zh", cases={"退款": CaseBaseline("passed", "七天内可以退款")}, metrics={}
        )
    ).path
    text = path.read_text(encoding="utf-8")
    assert "七天内可以退款" in text
    assert '"退款"' in text
    assert "\\u" not in text


def test_load_round_trips(store: BaselineStore) -> None:
    written = baseline(model=ModelDescription(fingerprint="abc"), generation={"max_new_tokens": 8})
    store.write(written)
    loaded = BaselineStore(store.directory).load("shop_faq")
    assert loaded == written


def test_values_are_rounded_for_stable_diffs(store: BaselineStore) -> None:
    store.write(
        baseline(
            cases={"q1": CaseBaseline("passed", "a", score=1 / 3)},
            metrics={"rougeL": MetricBaseline(2 / 3, {"q1": 2 / 3})},
        )
    )
    loaded = BaselineStore(store.directory).load("shop_faq")
    assert loaded is not None
    assert loaded.cases["q1"].score == pytest.approx(1 / 3, abs=1e-6)
    assert loaded.metrics["rougeL"].value == pytest.approx(2 / 3, abs=1e-6)
    assert len(repr(loaded.metrics["rougeL"].value)) <= len("0.666667")


def test_second_write_of_same_content_is_unchanged(store: BaselineStore) -> None:
    path = store.write(baseline()).path
    before = path.stat().st_mtime_ns
    result = store.write(baseline())
    assert result.action == "unchanged"
    assert path.stat().st_mtime_ns == before


def test_changed_content_is_updated_and_reloaded(store: BaselineStore) -> None:
    store.write(baseline())
    assert store.load("shop_faq") is not None
    changed = baseline(cases={"q2": CaseBaseline("passed", "Two days")})
    assert store.write(changed).action == "updated"
    loaded = store.load("shop_faq")  # not the stale cached copy
    assert loaded is not None
    assert loaded.cases["q2"] == CaseBaseline("passed", "Two days")


def test_merge_keeps_entries_of_cases_that_did_not_run(store: BaselineStore) -> None:
    store.write(baseline())
    store.write(
        baseline(
            cases={"q3": CaseBaseline("passed", "new case")},
            metrics={"rougeL": MetricBaseline(0.4)},
        )
    )
    loaded = store.load("shop_faq")
    assert loaded is not None
    assert set(loaded.cases) == {"q1", "q2", "q3"}
    assert loaded.cases["q1"].answer == "Your parcel ships in 2 days"
    assert set(loaded.metrics) == {"accuracy", "rougeL"}


def test_merge_keeps_model_when_new_run_has_none(store: BaselineStore) -> None:
    store.write(baseline(model=ModelDescription(fingerprint="abc")))
    store.write(baseline(cases={"q1": CaseBaseline("failed", "x")}))
    loaded = store.load("shop_faq")
    assert loaded is not None
    assert loaded.model.fingerprint == "abc" and loaded.model.to_json() == {"fingerprint": "abc"}


def test_all_case_ids_removes_unused_entries_and_reports_them(store: BaselineStore) -> None:
    store.write(
        baseline(
            cases={
                "q1": CaseBaseline("passed", "a"),
                "gone_b": CaseBaseline("passed", "b"),
                "gone_a": CaseBaseline("failed", "c"),
            }
        )
    )
    result = store.write(
        baseline(cases={"q1": CaseBaseline("passed", "a2")}),
        all_case_ids=frozenset({"q1", "q9"}),
    )
    assert result.action == "updated"
    assert result.removed_cases == ("gone_a", "gone_b")
    loaded = store.load("shop_faq")
    assert loaded is not None
    assert set(loaded.cases) == {"q1"}


def test_first_write_with_all_case_ids_removes_nothing(store: BaselineStore) -> None:
    result = store.write(baseline(), all_case_ids=frozenset({"q1", "q2"}))
    assert result.action == "created"
    assert result.removed_cases == ()


def test_malformed_json_says_where_and_what_to_do(store: BaselineStore) -> None:
    path = store.path_for("shop_faq")
    path.parent.mkdir(parents=True)
    path.write_text('{"suite": "shop_faq", "cases": {', encoding="utf-8")
    with pytest.raises(BaselineError) as info:
        store.load("shop_faq")
    assert str(path) in str(info.value)
    assert "--update-baseline" in str(info.value)


@pytest.mark.parametrize(
    ("document", "field_name"),
    [
        ({"suite": "shop_faq", "cases": {}}, ""),  # no metrics
        ({"suite": "shop_faq", "cases": {"q1": {"outcome": "ok"}}, "metrics": {}}, "cases.q1"),
        ({"suite": "shop_faq", "cases": {"q1": {"answer": "x"}}, "metrics": {}}, "cases.q1"),
        ({"suite": "shop_faq", "cases": {}, "metrics": {"acc": {"value": "0.5"}}}, "metrics.acc"),
        ({"suite": "shop_faq", "cases": {}, "metrics": {}, "extra": 1}, ""),
    ],
)
def test_schema_violation_names_file_and_says_update_baseline(
    store: BaselineStore, document: dict[str, object], field_name: str
) -> None:
    path = store.path_for("shop_faq")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(BaselineError) as info:
        store.load("shop_faq")
    assert str(path) in str(info.value)
    assert field_name in str(info.value)
    assert "--update-baseline" in str(info.value)


def test_suite_name_mismatch(store: BaselineStore) -> None:
    store.write(baseline(suite="other"))
    store.path_for("other").rename(store.path_for("shop_faq"))
    with pytest.raises(BaselineError) as info:
        store.load("shop_faq")
    assert "'other'" in str(info.value)
    assert "'shop_faq'" in str(info.value)
    assert str(store.path_for("shop_faq")) in str(info.value)


def test_update_regenerates_a_malformed_file(store: BaselineStore) -> None:
    path = store.path_for("shop_faq")
    path.parent.mkdir(parents=True)
    path.write_text("<<<<<<< HEAD\n", encoding="utf-8")  # a botched merge
    result = store.write(baseline())
    assert result.action in {"created", "updated"}
    assert BaselineStore(store.directory).load("shop_faq") == baseline()


def test_whole_write_replaces_the_file_instead_of_merging(store: BaselineStore) -> None:
    store.write(
        baseline(
            cases={"q1": CaseBaseline("passed", "a"), "gone": CaseBaseline("failed", "b")},
            metrics={"bleu": MetricBaseline(0.3)},
            model=ModelDescription(fingerprint="old"),
        )
    )
    result = store.write(baseline(model=ModelDescription(fingerprint="new")), whole=True)
    assert result.action == "updated"
    assert result.removed_cases == ("gone",)
    loaded = BaselineStore(store.directory).load("shop_faq")
    assert loaded == baseline(model=ModelDescription(fingerprint="new"))  # no "gone", no "bleu"


def test_partial_run_of_another_model_is_not_merged(store: BaselineStore) -> None:
    store.write(baseline(model=ModelDescription(model="org/base", fingerprint="old")))
    before = store.path_for("shop_faq").read_bytes()
    with pytest.raises(BaselineError) as info:
        store.plan(
            baseline(
                cases={"q1": CaseBaseline("failed", "x")},
                model=ModelDescription(model="org/tuned", fingerprint="new"),
            )
        )
    assert str(store.path_for("shop_faq")) in str(info.value)
    assert "org/base" in str(info.value) and "org/tuned" in str(info.value)
    assert "run the whole suite" in str(info.value)
    assert store.path_for("shop_faq").read_bytes() == before


@pytest.mark.parametrize(
    "content",
    [
        '<<<<<<< HEAD\n{"suite": "shop_faq"}\n=======\n{}\n>>>>>>> other\n',
        '{"suite": "shop_faq", "cases": {"q1": {"outcome": "pas',
        '{"suite": "shop_faq", "cases": {"q1": {"outcome": "maybe"}}, "metrics": {}}',
    ],
    ids=["conflict-markers", "truncated", "schema-invalid"],
)
@pytest.mark.parametrize("whole", [True, False], ids=["whole", "partial"])
def test_broken_file_is_named_and_replaced_not_read(
    store: BaselineStore, content: str, whole: bool
) -> None:
    path = store.path_for("shop_faq")
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    planned = store.plan(baseline(), whole=whole)
    assert path.read_text(encoding="utf-8") == content  # planning writes nothing
    assert planned.result.action == "updated"
    assert str(path) in planned.result.replaced_broken
    assert "--update-baseline" not in planned.result.replaced_broken  # it is being run
    store.commit(planned)
    assert BaselineStore(store.directory).load("shop_faq") == baseline()


def test_readable_file_is_not_reported_broken(store: BaselineStore) -> None:
    store.write(baseline())
    assert (
        store.write(baseline(model=ModelDescription(fingerprint="x")), whole=True).replaced_broken
        == ""
    )


def test_merge_conflict_markers_are_named_as_such(store: BaselineStore) -> None:
    store.write(baseline())
    path = store.path_for("shop_faq")
    text = path.read_text(encoding="utf-8")
    path.write_text(f"<<<<<<< HEAD\n{text}=======\n{text}>>>>>>> tuned\n", encoding="utf-8")
    with pytest.raises(BaselineError) as info:
        BaselineStore(store.directory).load("shop_faq")
    assert "merge-conflict markers (line 1: '<<<<<<< HEAD')" in str(info.value)
    assert str(path) in str(info.value)
    assert "--update-baseline" in str(info.value)


def test_a_benchmark_baseline_is_a_typed_record_that_writes_the_file_it_read() -> None:
    """The demo's benchmark baselines (written before the record was typed) read into
    BenchmarkBaseline and write back byte for byte: the on-disk format did not change."""
    import json

    from releasegate.gate.baselines import BenchmarkBaseline

    folder = Path(__file__).resolve().parents[2] / "fixtures" / "baselines" / "general"
    files = sorted(folder.glob("*.json"))
    assert files, folder
    for path in files:
        text = path.read_text(encoding="utf-8")
        baseline = BenchmarkBaseline.from_json(json.loads(text))
        assert baseline.items and baseline.metrics and baseline.model.fingerprint
        again = json.dumps(baseline.to_json(), indent=1, ensure_ascii=False, sort_keys=True)
        assert again + "\n" == text, path.name
