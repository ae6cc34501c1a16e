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
from tiny_project import write_cases, write_project

pytestmark = pytest.mark.slow


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
    from releasegate.models.default_model import ensure_default_model

    return ensure_default_model(default_cache_dir()).parent


@pytest.fixture
def project(pytester: pytest.Pytester, shared_models: Path) -> pytest.Pytester:
    cache = pytester.path / "cache"
    cache.mkdir()
    (cache / "models").symlink_to(shared_models, target_is_directory=True)
    config = f'[tool.releasegate]\nmax_new_tokens = 8\nbatch_size = 4\ncache_dir = "{cache}"\n'
    write_project(pytester.path, config=config, manifest=MANIFEST, cases=CASES)
    return pytester


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


SPREADSHEET_CASES = [
    {
        "id": "退款 问题/1",
        "input": "Say hello to the customer.",
        "expected": "hello",
        "check": {"name": "regex", "pattern": "\\S"},
    },
    {
        "id": "a::b[1]",
        "input": "What is your return policy?",
        "expected": "returns",
        "check": {"name": "regex", "pattern": "\\S"},
    },
    {"id": "a b", "input": "Reply with the code word.", "expected": "ZQXJ-never-said"},
    {"id": "a/b", "input": "Reply with the secret.", "expected": "QQQZ-never-said"},
]

CHUNKS_CONFTEST = textwrap.dedent(
    """
    import json, os
    from pathlib import Path

    def pytest_collection_finish(session):
        # which cases each process generates together (what the chunk scheduler decided)
        from releasegate.pytest_plugin.stash import SESSION_KEY

        chunks = session.config.stash[SESSION_KEY].chunk_of
        name = os.environ.get("PYTEST_XDIST_WORKER", "main")
        Path(session.config.rootpath, f"chunks-{name}.json").write_text(
            json.dumps(chunks, ensure_ascii=False), encoding="utf-8"
        )
    """
)

UNCHANGED_TEXT = textwrap.dedent(
    """
    name: text
    cases: text.jsonl
    prompt:
      system: You are a shop assistant. Answer in one short sentence.
    generation:
      max_new_tokens: 8
    check: {name: regex, pattern: "\\\\S"}
    metrics:
      - {name: accuracy, max_drop: 0.0}
      - {name: bleu, max_drop: 0.0}
      - {name: chrf, max_drop: 0.0}
      - {name: rougeL, max_drop: 0.0}
      - {name: field_f1, max_drop: 0.0}
    """
)

UNCHANGED_LABELS = textwrap.dedent(
    """
    name: labels
    cases: labels.jsonl
    labels: [refund, shipping, greeting]
    prompt:
      system: "Reply with one label: refund, shipping or greeting."
    generation:
      max_new_tokens: 4
    check: label
    metrics:
      - {name: f1, average: macro, max_drop: 0.0}
    """
)


def test_case_ids_as_spreadsheets_hold_them_under_two_workers(project: pytest.Pytester) -> None:
    """Ids with spaces, slashes, brackets, '::' and Chinese, from a workbook, keep their text in
    baselines and reports, get ASCII test ids that pytest, -k and xdist handle, and are
    selectable as written."""
    import openpyxl

    golden = project.path / "fixtures" / "golden"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["ID", "Input", "Expected", "Check"])
    for case in SPREADSHEET_CASES:
        check = json.dumps(case["check"]) if "check" in case else None
        sheet.append([case["id"], case["input"], case["expected"], check])
    workbook.save(golden / "tiny.xlsx")
    (golden / "tiny.jsonl").unlink()
    manifest = golden / "tiny.yaml"
    manifest.write_text(
        manifest.read_text("utf-8").replace("cases: tiny.jsonl", "cases: tiny.xlsx"), "utf-8"
    )
    (project.path / "model_tests" / "conftest.py").write_text(CHUNKS_CONFTEST, encoding="utf-8")
    raw_ids = [str(case["id"]) for case in SPREADSHEET_CASES]

    first = run(project, "-n", "2", "--update-baseline")
    first.assert_outcomes(passed=4, xfailed=2, skipped=1)
    stored = json.loads((project.path / "fixtures/baselines/tiny.json").read_text("utf-8"))
    assert set(stored["cases"]) == set(raw_ids)
    assert stored["cases"]["a b"]["outcome"] == "failed"
    assert stored["cases"]["退款 问题/1"]["outcome"] == "passed"
    assert set(stored["metrics"]["accuracy"]["per_item"]) == set(raw_ids)

    second = run(project, "-n", "2")
    second.assert_outcomes(passed=5, xfailed=2)  # the baseline is found by the ids as written
    assert second.ret == 0
    results = latest_results(project)
    cases = {c["key"]: c for c in results["cases"]}  # type: ignore[attr-defined]
    assert set(cases) == {f"tiny/{case_id}" for case_id in raw_ids}
    assert all(c["cached"] for c in cases.values())
    assert cases["tiny/a/b"]["status"] == "known failure"
    nodeids = [c["nodeid"] for c in cases.values()]
    assert len(set(nodeids)) == 4
    for nodeid in nodeids:
        assert nodeid.isascii() and nodeid.count("::") == 1 and nodeid.count("[") == 1, nodeid
    no_drop = next(m for m in results["metrics"] if m["test"] == "no_drop")  # type: ignore[attr-defined]
    assert no_drop["outcome"] == "passed" and not no_drop["flips"]
    # both workers cut the same chunks, and every case is in one
    chunk_files = sorted(project.path.glob("chunks-gw*.json"))
    assert len(chunk_files) == 2
    chunks = [json.loads(path.read_text("utf-8")) for path in chunk_files]
    assert chunks[0] == chunks[1]
    assert set(chunks[0]) == {f"tiny/{case_id}" for case_id in raw_ids}

    # -k matches the ids as written, and the test ids themselves
    run(project, "-k", "退款").assert_outcomes(passed=1)
    run(project, "-k", "a::b[1]").assert_outcomes(passed=1)
    run(project, "-k", "test_case and a_b").assert_outcomes(passed=1, xfailed=2)
    # a node id as pytest printed it runs that one test
    again = project.runpytest_subprocess(cases["tiny/a b"]["nodeid"], "-p", "no:cacheprovider")
    again.assert_outcomes(xfailed=1)


def test_the_same_model_run_twice_from_its_own_baseline_lists_no_flips(
    project: pytest.Pytester,
) -> None:
    """Every answer is the baseline's (the second run is served from the cache), so no metric,
    whatever its kind, lists a flip or counts a case as worse or better."""
    golden = project.path / "fixtures" / "golden"
    (golden / "text.yaml").write_text(UNCHANGED_TEXT, encoding="utf-8")
    questions = [
        ("ship", "How long does delivery take?", "Delivery takes three to five days."),
        ("refund", "When do I get my refund?", "Your refund arrives within five working days."),
        ("hours", "When is customer service open?", "We are open from nine to six."),
        ("city", 'Reply with JSON {"city": ...}: I live in Leeds.', '{"city": "Leeds"}'),
    ]
    write_cases(
        golden / "text.jsonl",
        [
            {"id": i, "input": q, "expected": json.loads(e) if e.startswith("{") else e}
            for i, q, e in questions
        ],
    )
    (golden / "labels.yaml").write_text(UNCHANGED_LABELS, encoding="utf-8")
    messages = [
        ("l1", "I want my money back", "refund"),
        ("l2", "Where is my parcel?", "shipping"),
        ("l3", "Hello there!", "greeting"),
        ("l4", "Refund me please", "refund"),
        ("l5", "Thanks a lot", "greeting"),
    ]
    write_cases(
        golden / "labels.jsonl", [{"id": i, "input": q, "expected": e} for i, q, e in messages]
    )
    first = run(project, "--update-baseline")
    assert "baseline created" in first.stdout.str(), first.stdout.str()
    second = run(project)
    results = latest_results(project)
    no_drop = [m for m in results["metrics"] if m["test"] == "no_drop"]  # type: ignore[union-attr,index]
    assert {(m["suite"], m["metric"]) for m in no_drop} >= {
        ("text", "bleu"),
        ("text", "chrf"),
        ("text", "rougeL"),
        ("text", "field_f1"),
        ("labels", "f1_macro"),
        ("tiny", "accuracy"),
    }
    for record in no_drop:
        label = f"{record['suite']}::{record['metric']}"
        assert record["flips"] == [], label
        assert (record["comparison"]["worse"], record["comparison"]["better"]) == (0, 0), label
        assert record["comparison"]["difference"] == 0.0, label
    assert "Flips" not in (project.path / "reports" / "latest" / "summary.md").read_text()
    assert "worse" not in second.stdout.str().replace("0 worse", "")


CHANGED_SUITE = textwrap.dedent(
    """
    name: text
    cases: text.jsonl
    prompt:
      system: You are a shop assistant. Answer in one short sentence.
    generation:
      max_new_tokens: 6
    check: {name: regex, pattern: "\\\\S"}
    metrics:
      - {name: bleu, max_drop: 100.0}
    """
)


def test_a_suite_changed_since_its_baseline_is_paired_on_the_cases_both_have(
    project: pytest.Pytester,
) -> None:
    """Cases added since the baseline are counted and left out of the corpus metric's paired
    test; when fewer than half the suite's cases are in the baseline, the comparison is refused
    with the command that re-records it."""
    golden = project.path / "fixtures" / "golden"
    (golden / "tiny.yaml").unlink()
    (golden / "text.yaml").write_text(CHANGED_SUITE, encoding="utf-8")
    questions = ["How long is delivery?", "Can I return shoes?", "Do you ship abroad?"]
    cases = [
        {"id": f"q{i}", "input": q, "expected": "Delivery takes three days."}
        for i, q in enumerate(questions)
    ]
    write_cases(golden / "text.jsonl", cases)
    run(project, "--update-baseline").assert_outcomes(passed=4, skipped=1)
    added = {"id": "q-new", "input": "Is gift wrap free?", "expected": "Gift wrap is free."}
    write_cases(golden / "text.jsonl", [*cases, added])
    grown = run(project, "-k", "no_drop")
    grown.assert_outcomes(passed=1)
    message = next(m for m in latest_results(project)["metrics"] if m["test"] == "no_drop")[
        "message"
    ]  # type: ignore[index]
    assert "of 3 (1 case(s) added and 0 removed since the baseline, not compared)" in message
    assert "nan" not in message
    # the terminal summary's row: the values compared on the 3 shared cases, and the change
    metrics = latest_results(project)["metrics"]
    assert isinstance(metrics, list)
    compared = next(m for m in metrics if m["test"] == "no_drop")["comparison"]
    row = next(line for line in grown.outlines if "bleu (no drop" in line).split()
    assert "(no drop, on 3 shared cases; 1 added, 0 removed since the baseline)" in " ".join(row)
    assert row[-6] == f"{compared['now']:.4g}" and row[-2] == f"{compared['baseline']:.4g}"
    renamed = [{**c, "id": f"r{i}"} for i, c in enumerate([*cases, added])]
    write_cases(golden / "text.jsonl", renamed)
    refused = run(project, "-k", "no_drop")
    refused.assert_outcomes(failed=1)
    out = refused.stdout.str()
    assert (
        "text::bleu: the suite changed since its baseline: 0 of its 4 cases are in the "
        "baseline (4 added, 3 removed)" in out
    )
    assert "pytest model_tests --suite text --update-baseline" in out


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


TORCH_PROBE = textwrap.dedent(
    """
    import json, os, sys

    def pytest_sessionfinish(session):
        # workerinput, not PYTEST_XDIST_WORKER: this run's controller inherits that variable
        # when the outer test session runs under xdist itself.
        workerinput = getattr(session.config, "workerinput", None)
        worker = workerinput["workerid"] if workerinput else "main"
        heavy = sorted(m for m in ("torch", "transformers", "lm_eval") if m in sys.modules)
        with open(f"imported-{worker}.json", "w") as handle:
            json.dump(heavy, handle)
    """
)


def test_a_fully_cached_rerun_loads_no_weights_and_reports_the_same(
    project: pytest.Pytester,
) -> None:
    """With every answer cached, no process loads the weights or imports torch, and the report
    carries the same verdicts, prompts and model description as the first run."""
    project.makeconftest(TORCH_PROBE)
    # The first run in one process, the cached one under two workers: what a process learnt
    # (rendered prompts, the description) serves processes laid out differently.
    first_run = run(project, "-n", "0")
    first_run.assert_outcomes(passed=4, failed=2, skipped=1)
    first_run.stdout.fnmatch_lines(["model weights loaded by: main"])
    first = latest_results(project)
    second_run = run(project, "-n", "2")
    second_run.assert_outcomes(passed=4, failed=2, skipped=1)
    second_run.stdout.fnmatch_lines(
        ["model weights: not loaded (every answer and benchmark result was cached)"]
    )
    second = latest_results(project)
    for worker in ("main", "gw0", "gw1"):  # main: the controller of the second run
        imported = json.loads((project.path / f"imported-{worker}.json").read_text())
        assert imported == [], f"{worker} imported {imported} on a fully cached run"

    def verdicts(results: dict[str, object]) -> dict[str, tuple[object, ...]]:
        cases = results["cases"]
        assert isinstance(cases, list)
        return {c["key"]: (c["outcome"], c["answer"], c["prompt"]) for c in cases}

    assert verdicts(second) == verdicts(first)

    def metric_verdicts(results: dict[str, object]) -> dict[tuple[str, ...], object]:
        metrics = results["metrics"]
        assert isinstance(metrics, list)
        return {(m["suite"], m["metric"], m["test"]): (m["value"], m["passed"]) for m in metrics}

    assert metric_verdicts(second) == metric_verdicts(first)
    described = list(first["models"].values())  # type: ignore[attr-defined]
    assert described and all(m == described[0] for m in described)
    models = second["models"]
    # Which workers ran golden tests depends on scheduling; each describes the same model.
    assert isinstance(models, dict) and models
    assert all(m == described[0] for m in models.values())
    assert described[0]["parameters"] > 0 and described[0]["device"] == "cpu"


def test_the_model_backend_fixture_is_the_loaded_model(project: pytest.Pytester) -> None:
    """Weights load lazily for golden tests; a user's own test asking for ``model_backend``
    still gets the backend itself, weights and tokenizer loaded."""
    (project.path / "model_tests" / "test_own.py").write_text(
        "def test_own(model_backend):\n"
        "    assert model_backend.model is not None and model_backend.tokenizer is not None\n",
        encoding="utf-8",
    )
    result = project.runpytest_subprocess("model_tests/test_own.py", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
