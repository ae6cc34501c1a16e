"""General benchmarks without a model: configuration, MMLU conversion, lm-eval results, the
comparison with a baseline and its refusals, and the project's metrics for private tasks."""

from __future__ import annotations

import dataclasses
import json
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from at_once import first_failure, run_at_once
from releasegate.benchmarks.general import (
    ItemResult,
    TaskResult,
    lm_eval_command,
    lm_eval_version,
    load_general,
)
from releasegate.benchmarks.lmeval import (
    aggregation_function,
    bleu_zh,
    bleu_zh_aggregate,
    field_f1,
    field_f1_aggregate,
    local_dataset,
    rouge_l_cjk,
)
from releasegate.benchmarks.mmlu import MmluSource, prepare_mmlu, read_csv
from releasegate.benchmarks.results import config_hash, task_result_from
from releasegate.benchmarks.running import BenchmarkRunner
from releasegate.config import load_settings, read_table
from releasegate.core.records import ModelDescription
from releasegate.exceptions import ConfigError, GoldenFileError
from releasegate.gate.baselines import BaselineStore, BenchmarkBaseline
from releasegate.gate.benchmarks import benchmark_mismatch, compare_benchmark

REPO = Path(__file__).resolve().parents[2]
SHARED_MMLU = REPO.parent / "shared" / "data" / "mmlu"
"""All 57 subjects, beside the repository on the project's machines and CI, not in a user's clone
(the subjects the default manifest uses are in fixtures/data/mmlu)."""

# --------------------------------------------------------------------------------------------
# Configuration


def test_table_with_defaults_and_per_task_overrides(tmp_path: Path) -> None:
    config = load_general(
        {
            "num_fewshot": 5,
            "limit": 50,
            "max_drop": 0.05,
            "tasks": [
                "mmlu_marketing",
                {"name": "mmlu_management", "limit": 10, "max_drop": 0.1, "min": {"acc": 0.2}},
            ],
        },
        root=tmp_path,
    )
    assert config is not None
    marketing, management = config.tasks
    assert (marketing.num_fewshot, marketing.limit, marketing.max_drop) == (5, 50, 0.05)
    assert (management.num_fewshot, management.limit, management.max_drop) == (5, 10, 0.1)
    assert management.metrics == ("acc",) and management.min == {"acc": 0.2}
    assert marketing.run_key != management.run_key  # different limits: two lm-eval calls
    assert marketing.test_id("acc", no_drop=True) == "general/mmlu_marketing::acc::no_drop"


def test_no_table_means_no_benchmarks(tmp_path: Path) -> None:
    assert load_general({}, root=tmp_path) is None


def test_manifest_paths_are_relative_to_it_and_the_table_overrides(tmp_path: Path) -> None:
    (tmp_path / "fixtures" / "tasks").mkdir(parents=True)
    (tmp_path / "fixtures" / "general.yaml").write_text(
        "mmlu_dir: ../mmlu\ninclude: [tasks]\nlimit: 20\ntasks: [mmlu_marketing]\n",
        encoding="utf-8",
    )
    config = load_general({"manifest": "fixtures/general.yaml", "limit": 5}, root=tmp_path)
    assert config is not None
    assert config.mmlu_dir == (tmp_path / "mmlu").resolve()
    assert config.include == ((tmp_path / "fixtures" / "tasks").resolve(),)
    assert config.tasks[0].limit == 5
    assert config.source.endswith("general.yaml")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"taks": ["x"]}, "did you mean 'tasks'"),
        ({"tasks": [{"name": "x", "limt": 3}]}, "tasks.0"),
        ({"tasks": ["x", "x"]}, "x listed twice"),
        ({"tasks": [{"name": "x", "min": {"f1": 0.5}}]}, "'min' names f1"),
        ({"include": ["nowhere"], "tasks": ["x"]}, "is not a folder"),
        ({"manifest": "missing.yaml"}, "does not exist"),
        ({"limit": 0, "tasks": ["x"]}, "'limit'"),
    ],
)
def test_bad_configuration_is_one_clear_error(
    tmp_path: Path, table: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_general(table, root=tmp_path)


def test_bad_manifest_names_the_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "general.yaml").write_text("tasks: [{name: x, num_fewshot: -1}]\n", "utf-8")
    with pytest.raises(GoldenFileError, match=r"general.yaml, field 'tasks.0.num_fewshot'"):
        load_general({"manifest": "general.yaml"}, root=tmp_path)


def test_lm_eval_commands_group_tasks_like_releasegate_runs_them(tmp_path: Path) -> None:
    config = load_general(
        {"limit": 20, "tasks": ["a", "b", {"name": "c", "num_fewshot": 5}]}, root=tmp_path
    )
    assert config is not None
    commands = lm_eval_command(config, [tmp_path], "pretrained=/m", 8)
    assert len(commands) == 2
    assert "--tasks a,b" in commands[0] and "--limit 20" in commands[0]
    assert "--tasks c" in commands[1] and "--num_fewshot 5" in commands[1]
    assert f"--include_path {tmp_path}" in commands[0]


# --------------------------------------------------------------------------------------------
# MMLU from its CSV layout


def make_mmlu(root: Path, rows: str = "What is 1+1?,1,2,3,4,B\n") -> Path:
    for folder in ("dev", "test", "val"):
        (root / folder).mkdir(parents=True)
        (root / folder / f"marketing_{folder}.csv").write_text(rows, encoding="utf-8")
    return root


def test_conversion_keeps_lm_eval_prompt_and_replaces_only_the_data(tmp_path: Path) -> None:
    folder = prepare_mmlu(make_mmlu(tmp_path / "mmlu"), tmp_path / "cache")
    config = yaml.safe_load((folder / "mmlu_marketing.yaml").read_text(encoding="utf-8"))
    import lm_eval

    builtin = Path(lm_eval.__file__).parent / "tasks" / "mmlu" / "default"
    template = yaml.safe_load((builtin / "_default_template_yaml").read_text(encoding="utf-8"))
    own = yaml.safe_load((builtin / "mmlu_marketing.yaml").read_text(encoding="utf-8"))
    for key in ("doc_to_text", "doc_to_choice", "doc_to_target", "fewshot_config", "metric_list"):
        assert config[key] == template[key]
    assert config["description"] == own["description"]
    assert config["task"] == "mmlu_marketing" and config["tag"] == own["tag"]
    assert config["dataset_path"] == "json"
    assert set(config["dataset_kwargs"]["data_files"]) == {"test", "dev", "validation"}
    record = json.loads((folder / "data" / "marketing_test.jsonl").read_text().splitlines()[0])
    assert record == {
        "question": "What is 1+1?",
        "subject": "marketing",
        "choices": ["1", "2", "3", "4"],
        "answer": 1,
    }


def test_conversion_is_done_once_and_redone_when_the_source_changes(tmp_path: Path) -> None:
    source = make_mmlu(tmp_path / "mmlu")
    first = prepare_mmlu(source, tmp_path / "cache")
    assert prepare_mmlu(source, tmp_path / "cache") == first
    (source / "test" / "marketing_test.csv").write_text("Q?,a,b,c,d,C\nR?,a,b,c,d,D\n", "utf-8")
    second = prepare_mmlu(source, tmp_path / "cache")
    assert second != first
    assert len((second / "data" / "marketing_test.jsonl").read_text().splitlines()) == 2


def test_workers_converting_mmlu_together_convert_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """xdist workers start together on a fresh cache: one converts, the others wait for it."""
    from releasegate.benchmarks import mmlu

    source = make_mmlu(tmp_path / "mmlu")
    leftover = tmp_path / "cache" / "mmlu" / f".{MmluSource(source).digest()}.tmp-killed"
    leftover.mkdir(parents=True)  # what a conversion killed half way leaves
    reads: list[Path] = []
    real_read = mmlu.read_csv

    def slow_read(path: Path, subject: str) -> list[dict[str, Any]]:
        reads.append(path)
        time.sleep(0.1)  # long enough for every other worker to reach the lock
        return real_read(path, subject)

    monkeypatch.setattr(mmlu, "read_csv", slow_read)
    results: list[Path] = []
    start = threading.Barrier(4)

    def worker() -> None:
        start.wait()
        results.append(prepare_mmlu(source, tmp_path / "cache"))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert len(reads) == 3  # dev, val and test of the one subject, read once
    assert (results[0] / "DONE").is_file() and not leftover.exists()


GROUPS = {f"shop_{n}": ["mmlu_marketing", "mmlu_management"] for n in range(40)}


def _write_groups(folder: Path, number: int, me: int) -> str:
    config = load_general({"groups": GROUPS, "tasks": ["shop_0"]}, root=folder)
    assert config is not None
    (written,) = BenchmarkRunner(config, cache_dir=folder / "cache", batch_size=4).include_paths
    return f"{len(list(written.glob('*.yaml')))} groups"


def test_workers_writing_groups_together_all_succeed(tmp_path: Path) -> None:
    """Before, two workers wrote each group through the same temporary file: the second rename
    found it gone (FileNotFoundError in about one round of three)."""
    outcomes = run_at_once(_write_groups, tmp_path, processes=6, rounds=10)
    assert not first_failure(outcomes), first_failure(outcomes)
    assert [o.said for o in outcomes] == [f"{len(GROUPS)} groups"] * 60


@pytest.mark.parametrize(
    ("rows", "message"),
    [("Q?,a,b,c,D\n", r"line 1: has 5 columns"), ("Q?,a,b,c,d,E\n", r"line 1, field 'answer'")],
)
def test_a_bad_csv_row_names_file_and_row(tmp_path: Path, rows: str, message: str) -> None:
    path = tmp_path / "x_test.csv"
    path.write_text(rows, encoding="utf-8")
    with pytest.raises(GoldenFileError, match=message):
        read_csv(path, "x")


def test_a_folder_not_in_mmlu_layout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="original CSV layout"):
        prepare_mmlu(tmp_path, tmp_path / "cache")


@pytest.mark.skipif(
    not SHARED_MMLU.is_dir(), reason=f"needs all 57 MMLU subjects at {SHARED_MMLU} (not in a clone)"
)
def test_the_shared_copy_converts_every_subject(tmp_path: Path) -> None:
    folder = prepare_mmlu(SHARED_MMLU, tmp_path)
    assert len(list(folder.glob("mmlu_*.yaml"))) == 57
    lines = (folder / "data" / "marketing_test.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 234


def test_groups_are_written_as_lm_eval_group_yaml(tmp_path: Path) -> None:
    config = load_general(
        {"groups": {"mmlu_shop": ["mmlu_marketing", "mmlu_management"]}, "tasks": ["mmlu_shop"]},
        root=tmp_path,
    )
    assert config is not None
    runner = BenchmarkRunner(config, cache_dir=tmp_path, batch_size=4)
    (folder,) = runner.include_paths
    group = yaml.safe_load((folder / "mmlu_shop.yaml").read_text(encoding="utf-8"))
    assert group["task"] == ["mmlu_marketing", "mmlu_management"]
    assert group["aggregate_metric_list"][0]["weight_by_size"] is True


# --------------------------------------------------------------------------------------------
# lm-eval results -> TaskResult, and comparisons with a baseline


def mc_sample(doc_id: int, lls: list[float], target: int, *, text: str = "q") -> dict[str, Any]:
    acc = 1.0 if max(range(4), key=lls.__getitem__) == target else 0.0
    return {
        "doc_id": doc_id,
        "doc": {"question": text},
        "target": target,
        "arguments": [(f"{text}\nAnswer:", f" {c}") for c in "ABCD"],
        "filtered_resps": [(ll, False) for ll in lls],
        "metrics": ["acc"],
        "doc_hash": f"hash-{text}-{doc_id}",
        "acc": acc,
    }


CONFIG = {
    "task": "t",
    "doc_to_text": "{{question}}",
    "num_fewshot": 0,
    "dataset_kwargs": {"data_files": {"test": "/somewhere/t.jsonl"}},
    "metadata": {"version": 1.0, "config_source": "/somewhere/t.yaml"},
    "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
}


def lm_eval_output(samples: list[dict[str, Any]]) -> dict[str, Any]:
    acc = sum(s["acc"] for s in samples) / len(samples)
    return {
        "results": {"t": {"acc,none": acc, "acc_stderr,none": 0.1, "alias": "t"}},
        "configs": {"t": CONFIG},
        "samples": {"t": samples},
        "higher_is_better": {"t": {"acc": True}},
        "group_subtasks": {"t": []},
    }


def result_of(correct: list[bool], *, text: str = "q") -> TaskResult:
    samples = [
        mc_sample(i, [0.0, -1.0, -2.0, -3.0] if ok else [-3.0, 0.0, -1.0, -2.0], 0, text=text)
        for i, ok in enumerate(correct)
    ]
    return task_result_from("t", lm_eval_output(samples), limit=10, seconds=1.0, metrics=["acc"])


def test_task_result_keeps_per_question_answers_and_scores() -> None:
    result = result_of([True, False, True])
    assert result.metrics == {"acc": pytest.approx(2 / 3)}
    assert result.stderr == {"acc": 0.1}
    assert result.items["1"].answer == "B" and result.items["1"].target == "A"
    assert result.items["0"].scores == {"acc": 1.0}
    assert result.lm_eval_version == lm_eval_version()
    assert TaskResult.from_json(json.loads(json.dumps(result.to_json()))) == result


def test_unknown_metric_is_named_with_what_there_is() -> None:
    with pytest.raises(ConfigError, match=r"no metric 'f1' \(it has acc\)"):
        task_result_from(
            "t",
            lm_eval_output([mc_sample(0, [0, -1, -2, -3], 0)]),
            limit=1,
            seconds=0,
            metrics=["f1"],
        )


def test_config_hash_ignores_where_the_data_lives_but_not_the_prompt() -> None:
    moved = {
        **CONFIG,
        "dataset_kwargs": {"data_files": {"test": "/elsewhere/t.jsonl"}},
        "metadata": {"version": 1.0, "config_source": "/elsewhere/t.yaml"},
    }
    assert config_hash(moved) == config_hash(CONFIG)
    assert config_hash({**CONFIG, "doc_to_text": "Q: {{question}}"}) != config_hash(CONFIG)
    assert config_hash({**CONFIG, "num_fewshot": 5}) != config_hash(CONFIG)


def baseline_of(result: TaskResult, **changes: Any) -> BenchmarkBaseline:
    document = {**result.to_json(), **changes}
    return BenchmarkBaseline.from_json(document)


def test_identical_run_compares_clean() -> None:
    result = result_of([True, False, True, True])
    baseline = baseline_of(result)
    assert benchmark_mismatch("x", result, baseline, lm_eval_version=lm_eval_version()) is None
    comparison, flips = compare_benchmark(
        "acc", result, baseline, higher_is_better=True, samples=200, confidence=0.9
    )
    assert comparison.test == "unchanged" and comparison.p_value == 1.0
    assert flips == []


def test_flips_carry_both_answers_and_the_expected_one() -> None:
    before = result_of([True, True, False, True])
    now = result_of([False, True, True, True])
    comparison, flips = compare_benchmark(
        "acc", now, baseline_of(before), higher_is_better=True, samples=200, confidence=0.9
    )
    assert (comparison.worse, comparison.better) == (1, 1)
    assert [(f.item, f.direction) for f in flips] == [("0", "worse"), ("2", "better")]
    assert (flips[0].before_answer, flips[0].now_answer, flips[0].expected) == ("A", "B", "A")


def test_an_accuracys_wrong_answer_turned_another_wrong_one_is_no_flip() -> None:
    before = result_of([True, False])
    wrong = before.items["1"]
    now = dataclasses.replace(
        before, items={**before.items, "1": dataclasses.replace(wrong, answer="C")}
    )
    comparison, flips = compare_benchmark(
        "acc", now, baseline_of(before), higher_is_better=True, samples=200, confidence=0.9
    )
    assert flips == [] and (comparison.worse, comparison.better) == (0, 0)


def test_a_corpus_metrics_items_flip_by_their_own_score() -> None:
    """Field F1 is aggregated over the corpus; each item's direction is its own F1 (the metric of
    it alone), and an answer that changed without changing its score is only "changed"."""
    expected = '{"city": "Leeds", "postcode": "LS1"}'
    right, wrong = '{"city": "Leeds", "postcode": "LS1"}', '{"city": "York", "postcode": null}'

    def run(answers: list[str]) -> TaskResult:
        items = {
            str(i): ItemResult(f"h{i}", expected, answer, {"field_f1": [expected, answer]})
            for i, answer in enumerate(answers)
        }
        return TaskResult(
            "shop_address", lm_eval_version(), "c", 0, None,
            {"field_f1": field_f1_aggregate([[expected, a] for a in answers])}, {}, items,
            aggregation={"field_f1": "field_f1_aggregate"},
        )  # fmt: skip

    before = run([right, right, wrong, right])
    now = run([wrong, right, right, right.replace(", ", ",\n  ")])
    comparison, flips = compare_benchmark(
        "field_f1", now, baseline_of(before), higher_is_better=True, samples=200, confidence=0.9,
        aggregation=aggregation_function,
    )  # fmt: skip
    directions = [(f.item, f.direction) for f in flips]
    assert directions == [("0", "worse"), ("3", "changed"), ("2", "better")]
    assert (flips[0].before, flips[0].now) == (1.0, 0.0)
    assert (comparison.test, comparison.worse, comparison.better) == ("bootstrap", 1, 1)


def test_an_unchanged_answer_whose_stored_score_was_rounded_is_no_flip() -> None:
    """A per-question score that is not 1/0 (a similarity, a log-likelihood ratio), stored at a
    baseline's 6 decimals and compared with the full-precision score of the same answer, did not
    move: no flip, 0 worse, 0 better."""
    result = result_of([True, False, True, True])
    scored = {
        key: dataclasses.replace(item, scores={"score": (int(key) + 1) / 7})
        for key, item in result.items.items()
    }
    now = dataclasses.replace(
        result, items=scored, metrics={"score": sum(i.scores["score"] for i in scored.values()) / 4}
    )
    document = json.loads(json.dumps(now.to_json()))
    for item in document["items"].values():
        item["scores"]["score"] = round(item["scores"]["score"], 6)
    comparison, flips = compare_benchmark(
        "score", now, BenchmarkBaseline.from_json(document), higher_is_better=True, samples=200,
        confidence=0.9,
    )  # fmt: skip
    assert flips == []
    assert (comparison.worse, comparison.better) == (0, 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lm_eval_version": "0.0.1"}, "recorded with lm-eval 0.0.1"),
        ({"config_hash": "0000"}, "task configuration changed"),
        ({"limit": 99}, "limit 99"),
    ],
)
def test_unlike_baselines_are_refused_clearly(changes: dict[str, Any], message: str) -> None:
    result = result_of([True, False])
    refused = benchmark_mismatch(
        "general/t::acc::no_drop",
        result,
        baseline_of(result, **changes),
        lm_eval_version=lm_eval_version(),
    )
    assert refused is not None
    assert message in refused and "releasegate baseline --model" in refused


def test_changed_questions_under_the_same_ids_are_refused() -> None:
    before = result_of([True, False], text="old")
    refused = benchmark_mismatch(
        "x",
        result_of([True, False], text="new"),
        baseline_of(before),
        lm_eval_version=lm_eval_version(),
    )
    assert refused is not None and "2 question(s) differ" in refused


def test_benchmark_baselines_round_trip_and_bad_files_say_how_to_fix(tmp_path: Path) -> None:
    store = BaselineStore(tmp_path)
    result = result_of([True, False])
    assert store.write_benchmark(result, ModelDescription(model="m")).action == "created"
    assert store.write_benchmark(result, ModelDescription(model="m")).action == "unchanged"
    loaded = store.load_benchmark("t")
    assert loaded is not None and loaded.config_hash == result.config_hash
    store.benchmark_path("t").write_text('{"task": "t"}', encoding="utf-8")
    with pytest.raises(Exception, match="releasegate baseline --model"):
        store.load_benchmark("t")


# --------------------------------------------------------------------------------------------
# Project metrics for private lm-eval tasks


def test_field_f1_matches_the_golden_suite_metric() -> None:
    expected = json.dumps({"city": "London", "postcode": "NW1 6XE", "name": None})
    items = [
        field_f1([expected], ['{"city": "London", "postcode": "NW1 6XE"}']),
        field_f1([expected], ['Sure! {"city": "Paris", "postcode": "NW1 6XE"}']),
        field_f1([expected], ["no json at all"]),
    ]
    # 3 of 4 predicted fields right, 4 gold fields over the 2 answered items + 2 unanswered.
    correct, predicted, gold = 3, 4, 6
    precision, recall = correct / predicted, correct / gold
    assert field_f1_aggregate(items) == pytest.approx(2 * precision * recall / (precision + recall))


def test_bleu_zh_tokenises_chinese() -> None:
    items = [
        bleu_zh(["订单已经发货了"], ["订单已经发货了"]),
        bleu_zh(["七天无理由退货"], ["七天内可以退货"]),
    ]
    score = bleu_zh_aggregate(items)
    assert 0 < score < 100
    assert bleu_zh_aggregate([items[0]]) == pytest.approx(100.0)


def test_rouge_keeps_cjk_characters() -> None:
    assert rouge_l_cjk(["请提供订单号"], ["请提供您的订单号"]) > 0.5


def test_local_dataset_reads_files_relative_to_the_task(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cases.jsonl").write_text(
        '{"id": "a", "input": "x", "expected": {"city": "Rome"}}\n', encoding="utf-8"
    )
    load = local_dataset(tmp_path / "utils.py", test="data/cases.jsonl")
    dataset = load()
    assert list(dataset) == ["test"]
    assert json.loads(dataset["test"][0]["expected_json"]) == {"city": "Rome"}
    with pytest.raises(FileNotFoundError, match="relative to"):
        local_dataset(tmp_path / "utils.py", test="missing.jsonl")


def test_the_shipped_private_task_is_found_by_lm_eval() -> None:
    from lm_eval.tasks import TaskManager

    folder = Path(__file__).resolve().parents[2] / "fixtures" / "tasks"
    manager = TaskManager(include_path=str(folder), include_defaults=False)
    assert "shop_address" in manager.all_tasks
    loaded = manager.load(["shop_address"])
    task = loaded["tasks"]["shop_address"] if "tasks" in loaded else loaded["shop_address"]
    docs = list(task.test_docs())
    assert len(docs) == 33
    assert json.loads(task.doc_to_target(docs[0]))["city"] == "London"
    assert textwrap.dedent(task.doc_to_text(docs[0])).startswith("Customer message:")


def test_the_default_manifest_needs_nothing_outside_the_repository(tmp_path: Path) -> None:
    """A user's clone has nothing beside it: before, the manifest read MMLU from ../shared."""
    from lm_eval.tasks import TaskManager

    settings = load_settings(read_table(REPO / "pyproject.toml"), {}, root=REPO)
    config = load_general(settings.general, root=REPO)
    assert config is not None and config.mmlu_dir is not None
    needed = {
        "golden_dir": settings.golden_dir,
        "baselines_dir": settings.baselines_dir,
        "schemas_dir": settings.schemas_dir,
        "general manifest": Path(config.source),
        "mmlu_dir": config.mmlu_dir,
        **{f"include {path.name}": path for path in config.include},
    }
    for what, path in needed.items():
        assert path.resolve().is_relative_to(REPO), f"{what} {path} is outside {REPO}"
        assert path.exists(), f"{what} {path} does not exist"
    assert config.mmlu_dir.resolve() == REPO / "fixtures" / "data" / "mmlu"
    assert (config.mmlu_dir / "LICENSE").is_file()

    folder = prepare_mmlu(config.mmlu_dir, tmp_path)
    assert (folder / "SOURCE").read_text(encoding="utf-8").strip() == str(config.mmlu_dir)
    subjects = [t.name for t in config.tasks if t.name.startswith("mmlu_")]
    assert subjects == ["mmlu_marketing", "mmlu_management", "mmlu_business_ethics"]
    manager = TaskManager(include_path=str(folder), include_defaults=False)
    loaded = manager.load(subjects)
    tasks = loaded.get("tasks", loaded)
    for name in subjects:
        subject = name.removeprefix("mmlu_")
        rows = read_csv(config.mmlu_dir / "test" / f"{subject}_test.csv", subject)
        docs = list(tasks[name].test_docs())
        assert len(docs) == len(rows) > 0
        assert docs[0]["question"] == rows[0]["question"]
        assert len(list(tasks[name].fewshot_docs())) == 5  # dev/, the few-shot pool


def test_a_bad_mmlu_row_stops_collection_naming_file_and_row(pytester: pytest.Pytester) -> None:
    make_mmlu(pytester.path / "mmlu", rows="Q?,a,b,c,d,E\n")
    pytester.makefile(
        ".toml",
        pyproject=textwrap.dedent(
            f"""
            [tool.releasegate]
            cache_dir = "{pytester.path / "cache"}"
            [tool.releasegate.general]
            mmlu_dir = "mmlu"
            tasks = ["mmlu_marketing"]
            """
        ),
    )
    test = "def test_benchmark(general_benchmark):\n    general_benchmark.assert_passes()\n"
    pytester.makepyfile(test_general=test)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*releasegate: *marketing_test.csv, line 1, field 'answer': answer 'E' is not one of*"]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_cached_result_is_reused_and_a_damaged_one_is_run_again(tmp_path: Path) -> None:
    """Results are memoised in the cache folder through core.memo: a result there is reused
    without building the model; a damaged file (cut short, another version's) is not trusted:
    the task runs again."""
    config = load_general({"groups": GROUPS, "tasks": ["shop_0"]}, root=tmp_path)
    assert config is not None
    runner = BenchmarkRunner(config, cache_dir=tmp_path / "cache", batch_size=4)
    result = TaskResult(
        "shop_0", lm_eval_version(), "c", 0, None, {"acc": 0.5}, {"acc": None},
        {"0": ItemResult("h0", "A", "A", {"acc": 1.0}),
         "1": ItemResult("h1", "B", "A", {"acc": 0.0})},
    )  # fmt: skip
    path = runner._cache_path(config.task("shop_0"), "model-key")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(result.to_json()), encoding="utf-8")

    class ModelBuilt(Exception):
        pass

    def no_model() -> None:
        raise ModelBuilt

    assert runner.results(no_model, model_key="model-key")["shop_0"] == result
    for damaged in (path.read_text(encoding="utf-8")[:40], '{"task": "shop_0"}'):
        path.write_text(damaged, encoding="utf-8")
        fresh = BenchmarkRunner(config, cache_dir=tmp_path / "cache", batch_size=4)
        with pytest.raises(ModelBuilt):
            fresh.results(no_model, model_key="model-key")
