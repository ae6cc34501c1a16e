"""The trend rules on a real history file: each fires on the curve it is for, and only there."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from releasegate.cli import main
from releasegate.exceptions import HistoryError
from releasegate.gate.baselines import CaseBaseline, MetricBaseline, SuiteBaseline
from releasegate.gate.judging import score_case, show_expected
from releasegate.gate.verdicts import gate_metric
from releasegate.golden.suites import load_suite
from releasegate.history import CaseOutcome, HistoryStore, MetricPoint, RunRecord
from releasegate.history.checkpoints import find_checkpoints
from releasegate.history.plot import plot_trends
from releasegate.history.trends import check_curve, trend_rows
from releasegate.judge.kinds import register

REPO = Path(__file__).resolve().parents[2]


def record(
    store: HistoryStore,
    step: int,
    points: list[MetricPoint],
    *,
    run_id: str | None = None,
    cases: tuple[CaseOutcome, ...] = (),
) -> str:
    rid = run_id or f"step{step}"
    store.record(
        RunRecord(
            run_id=rid,
            time=f"2026-01-01T00:{step:02d}:00+0000",
            model=f"checkpoint-{step}",
            model_path=None,
            fingerprint=rid,
            step=step,
            metrics=tuple(points),
            cases=cases,
        )
    )
    return rid


def binary(n: int, right: int, *, prefix: str = "c") -> dict[str, float]:
    return {f"{prefix}{i:03d}": 1.0 if i < right else 0.0 for i in range(n)}


def test_a_significant_fall_is_caught_with_its_flipped_items(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite")
    runs = [
        record(store, 0, [MetricPoint("faq", "accuracy", 0.6, items=binary(50, 30))]),
        record(store, 10, [MetricPoint("faq", "accuracy", 0.62, items=binary(50, 31))]),
        record(store, 20, [MetricPoint("faq", "accuracy", 0.2, items=binary(50, 10))]),
    ]
    findings = check_curve(store, runs, base_run=runs[0])
    assert [(f.rule, f.step) for f in findings] == [("fall", 20)]
    text = "\n".join(findings[0].lines())
    assert "0.62 at step 10 -> 0.2" in text and "significant" in text and "mcnemar" in text
    assert "c010" in text and "c009" not in text  # c010..c030 flipped; c009 still right


def test_a_fall_beyond_max_drop_fires_only_when_the_data_show_it(tmp_path: Path) -> None:
    """The gate's own rule (issue 21): a fall beyond max_drop that is noise (10 items, one
    flipped) does not fire, since the release gate would not fail it either; a fall the data
    show to be beyond max_drop (40 items, 20 flipped) does."""
    store = HistoryStore(tmp_path / "h.sqlite")
    runs = [
        record(store, 0, [MetricPoint("faq", "accuracy", 0.6, max_drop=0.05, items=binary(10, 6))]),
        record(
            store, 10, [MetricPoint("faq", "accuracy", 0.5, max_drop=0.05, items=binary(10, 5))]
        ),
    ]
    assert check_curve(store, runs) == []
    other = HistoryStore(tmp_path / "h2.sqlite")
    runs = [
        record(
            other, 0, [MetricPoint("faq", "accuracy", 0.9, max_drop=0.05, items=binary(40, 36))]
        ),
        record(
            other, 10, [MetricPoint("faq", "accuracy", 0.4, max_drop=0.05, items=binary(40, 16))]
        ),
    ]
    (finding,) = check_curve(other, runs)
    assert finding.rule == "fall" and "significantly beyond its max_drop 0.05" in finding.message


def test_a_corpus_metric_falls_by_the_no_drop_gates_own_paired_test(tmp_path: Path) -> None:
    """chrF is not a mean of per-case values: the rule re-scores both runs' stored answers with
    the suite's checks and asks the gate itself, so its p-value is the gate's, to the digit."""
    suite = load_suite(
        REPO / "fixtures" / "golden" / "cs_zh.yaml", schemas_dir=REPO / "fixtures" / "schemas"
    )
    spec = suite.metric("chrf")
    reference = {case.id: show_expected(case.expected) for case in suite.cases}
    # The later checkpoint answers a third of the questions with a stock phrase.
    vague = {case.id: "您好,请联系客服。" for case in suite.cases[::3]}
    store = HistoryStore(tmp_path / "h.sqlite")
    runs, scored_runs = [], []
    for step, answers in ((10, reference), (20, {**reference, **vague})):
        scored = [score_case(suite, case, answers[case.id]) for case in suite.cases]
        value = spec.metric(scored)
        point = MetricPoint(
            "cs_zh", "chrf", value.value, max_drop=0.0,  # the plain paired test decides
            items=dict(zip(reference, value.per_item, strict=True)),
        )  # fmt: skip
        cases = tuple(
            CaseOutcome("cs_zh", item.case_id, item.result.passed, "passed", item.answer)
            for item in scored
        )
        runs.append(record(store, step, [point], cases=cases))
        scored_runs.append((scored, value))
    (before, old), (now, _) = scored_runs
    baseline = SuiteBaseline(
        "cs_zh",
        cases={
            i.case_id: CaseBaseline("passed" if i.result.passed else "failed", i.answer)
            for i in before
        },
        metrics={
            "chrf": MetricBaseline(old.value, dict(zip(reference, old.per_item, strict=True)))
        },
    )
    gated = gate_metric(
        suite, replace(spec, max_drop=0.0), "no_drop", now, baseline, alpha=0.05,
        samples=1000,
    )  # fmt: skip
    assert gated.comparison is not None and gated.comparison.test == "permutation"
    (finding,) = check_curve(store, runs, suites={"cs_zh": suite})
    text = "\n".join(finding.lines())
    assert finding.rule == "fall" and "significant" in finding.message
    assert f"permutation p={gated.comparison.p_value:.3g} on {len(suite.cases)} shared" in text
    worse = [flip.item for flip in gated.flips if flip.direction == "worse"]
    assert f"{len(worse)} worse items: {worse[0]}" in text and set(worse) <= set(vague)
    # Without the suite, chrF's per-case values are not what the metric averages: no test; the
    # fall is held to its max_drop (0 here) alone, and says why.
    (untested,) = check_curve(store, runs)
    assert "cannot be re-scored; held to its max_drop alone" in " ".join(untested.lines())


def test_a_judge_metric_is_paired_by_answer_as_the_gate_pairs_it(tmp_path: Path) -> None:
    """A judge's verdict belongs to the answer it judged: a case answered as before did not
    move, whatever its stored score says (a judge re-scored it), as with human reviews; the
    cases whose answers changed and scored lower are the fall."""
    register()  # the judge kind (its entry point may predate the installed metadata)
    golden = tmp_path / "golden"
    golden.mkdir()
    ids = [f"c{i:02d}" for i in range(30)]
    (golden / "shop.jsonl").write_text(
        "".join(json.dumps({"id": i, "input": f"q {i}?", "expected": "x"}) + "\n" for i in ids),
        encoding="utf-8",
    )
    (golden / "shop.yaml").write_text(
        "name: shop\ncases: shop.jsonl\ncheck: contains\n"
        "judge: {backend: openai, base_url: 'http://127.0.0.1:9/v1', model: j}\n"
        "metrics:\n  - {name: judge_score, max_drop: 0.1}\n",
        encoding="utf-8",
    )
    suite = load_suite(golden / "shop.yaml", schemas_dir=REPO / "fixtures" / "schemas")

    def run(step: int, changed: int, unchanged_score: float) -> str:
        # the first *changed* cases answered anew and scored 1; the rest as before
        scores = {i: 1.0 if n < changed else unchanged_score for n, i in enumerate(ids)}
        cases = tuple(
            CaseOutcome("shop", i, True, "passed", "new" if n < changed else "same")
            for n, i in enumerate(ids)
        )
        point = MetricPoint(
            "shop", "judge_score", sum(scores.values()) / len(ids), max_drop=0.1, items=scores
        )
        return record(store, step, [point], cases=cases)

    store = HistoryStore(tmp_path / "h.sqlite")
    # every answer as before; the stored scores fell (another judge): nothing moved
    runs = [run(0, 0, 5.0), run(10, 0, 3.0)]
    assert check_curve(store, runs, suites={"shop": suite}) == []
    # 15 answers changed and scored 1: those are the fall, the others did not move
    falling = [runs[0], run(20, 15, 3.0)]
    (finding,) = check_curve(store, falling, suites={"shop": suite})
    text = "\n".join(finding.lines())
    assert finding.rule == "fall" and "15 worse items: c00" in text and "c15" not in text


def test_chance_level_benchmark_and_majority_label_classifier(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite")
    mmlu = dict(chance=0.25, items=binary(100, 26, prefix="q"))
    intents = dict(chance=0.3, items=binary(20, 6))
    runs = [
        record(
            store,
            0,
            [
                MetricPoint("general/mmlu_x", "acc", 0.55, **{**mmlu, "items": binary(100, 55)}),
                MetricPoint("intents", "accuracy", 0.7, **{**intents, "items": binary(20, 14)}),
            ],
        ),
        record(
            store,
            10,
            [
                MetricPoint("general/mmlu_x", "acc", 0.26, **mmlu),  # type: ignore[arg-type]
                MetricPoint("intents", "accuracy", 0.3, **intents),  # type: ignore[arg-type]
            ],
        ),
    ]
    findings = check_curve(store, runs, base_run=runs[0])
    chance = {(f.suite, f.step) for f in findings if f.rule == "chance"}
    assert chance == {("general/mmlu_x", 10), ("intents", 10)}
    assert all("suspicious: at chance" in f.message for f in findings if f.rule == "chance")
    below = [f for f in findings if f.rule == "below base"]
    assert [(f.suite, f.step) for f in below] == [("general/mmlu_x", 10)]  # golden suites: no


def test_a_base_model_at_chance_is_said_but_fails_only_its_checkpoints(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite")
    at_chance = dict(chance=0.25, items=binary(100, 25, prefix="q"))
    runs = [
        record(store, step, [MetricPoint("general/mmlu_x", "acc", 0.25, **at_chance)])  # type: ignore[arg-type]
        for step in (0, 10)
    ]
    base, checkpoint = check_curve(store, runs, base_run=runs[0])
    assert (base.step, base.blocking) == (0, False)
    assert base.lines()[0].startswith("CHANCE (base model; not a failure)")
    assert (checkpoint.step, checkpoint.blocking) == (10, True)
    assert "the base model is at chance here too" in "\n".join(checkpoint.lines())


def test_a_benchmark_below_base_within_tolerance_passes(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite")
    runs = [
        record(store, 0, [MetricPoint("general/m", "acc", 0.50, max_drop=0.05)]),
        record(store, 10, [MetricPoint("general/m", "acc", 0.47, max_drop=0.05)]),
        record(store, 20, [MetricPoint("general/m", "acc", 0.47, max_drop=0.05)]),
        record(store, 30, [MetricPoint("general/m", "acc", 0.40, max_drop=0.05)]),
    ]
    findings = check_curve(store, runs, base_run=runs[0])
    assert [(f.rule, f.step) for f in findings] == [("fall", 30), ("below base", 30)]


def test_trend_table_plot_and_history_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = HistoryStore(tmp_path / "reports" / "history.sqlite")
    for step, value in ((0, 0.4), (10, 0.5), (20, 0.55)):
        record(
            store,
            step,
            [MetricPoint("faq", "accuracy", value), MetricPoint("general/m", "acc", 0.3)],
        )
    rows = trend_rows(store.series())
    assert rows[0] == ["suite", "metric", "step 0", "step 10", "step 20"]
    assert rows[1] == ["faq", "accuracy", "0.4", "0.5", "0.55"]
    png = plot_trends(store.series(), tmp_path / "t.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "pyproject.toml").write_text("[tool.releasegate]\n", encoding="utf-8")
    assert main(["--root", str(tmp_path), "history", "--suite", "faq", "--last", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["suite", "metric", "step", "10", "step", "20"]
    assert out[1].split() == ["faq", "accuracy", "0.5", "0.55"] and len(out) == 2
    # A checkpoint scored after a later one (a resumed or parallel sweep): the sweep's table
    # is still in step order.
    store.record(
        RunRecord(
            run_id="step5",
            time="2026-01-01T01:00:00+0000",
            model="checkpoint-5",
            model_path=None,
            fingerprint="step5",
            step=5,
            metrics=(MetricPoint("faq", "accuracy", 0.45),),
        )
    )
    assert trend_rows(store.series())[0][2:] == ["step 0", "step 10", "step 20", "step 5"]
    assert trend_rows(store.series(), by_step=True)[0][2:] == [
        "step 0",
        "step 5",
        "step 10",
        "step 20",
    ]


def test_checkpoint_folders_bad_input(tmp_path: Path) -> None:
    run = tmp_path / "run"
    good = run / "checkpoint-20"
    good.mkdir(parents=True)
    (good / "model.safetensors").write_bytes(b"x")
    (run / "checkpoint-10").mkdir()
    with pytest.raises(HistoryError, match=r"checkpoint-10 holds no weights"):
        find_checkpoints(run, cache_dir=tmp_path)
    assert [c.step for c in find_checkpoints(run, every=20, cache_dir=tmp_path)] == [20]
    (good / "trainer_state.json").write_text('{"global_step": 2', encoding="utf-8")
    with pytest.raises(HistoryError, match=r"checkpoint-20/trainer_state.json: corrupt"):
        find_checkpoints(run, every=20, cache_dir=tmp_path)
    adapter = run / "checkpoint-30"
    adapter.mkdir()
    (adapter / "adapter_model.safetensors").write_bytes(b"x")
    (adapter / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": str(tmp_path / "gone")}), encoding="utf-8"
    )
    with pytest.raises(HistoryError, match=r"checkpoint-30: its base model '.*gone' is missing"):
        find_checkpoints(run, every=30, cache_dir=tmp_path)
    with pytest.raises(HistoryError, match="no checkpoints in"):
        find_checkpoints(run, every=7, cache_dir=tmp_path)
