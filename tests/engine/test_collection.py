"""The collection rules (engine/collection.py), on a small project on disk, without pytest
running: which tests the suites and benchmarks become, their ids, marks and skips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from releasegate.config import load_project
from releasegate.engine.collection import (
    NO_BENCHMARKS,
    benchmark_params,
    case_params,
    case_refs,
    extra_keyword,
    marker_name,
    metric_params,
)
from releasegate.engine.session import CaseRef, MetricRef, ReleaseSession
from releasegate.golden.cases import GoldenCase
from releasegate.golden.suites import Suite
from releasegate.judge.kinds import register

MANIFEST = """\
name: shop
cases: shop.jsonl
check: {name: contains, mode: any}
metrics:
  - {name: accuracy, min: 0.3, max_drop: 0.1}
  - {name: rougeL, min: 0.1}
"""


def _session(root: Path, *, update_baseline: bool = False) -> ReleaseSession:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[tool.releasegate]\ngolden_dir = "golden"\nbaselines_dir = "baselines"\n',
        encoding="utf-8",
    )
    golden = root / "golden"
    golden.mkdir()
    (golden / "shop.yaml").write_text(MANIFEST, encoding="utf-8")
    rows = [
        {"id": "q1", "input": "Where is my order?", "expected": ["tracking"], "tags": ["smoke"]},
        {"id": "退款 问题/1", "input": "Refund?", "expected": ["30 days"], "tags": ["a-b c"]},
    ]
    (golden / "shop.jsonl").write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    project = load_project(root=root)
    return ReleaseSession(
        settings=project.settings,
        run_id="r1",
        root=project.root,
        update_baseline=update_baseline,
    )


def _marks(param: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(mark.name, dict(mark.kwargs)) for mark in param.marks]


# the markers are registered with a pytest run's config (add_marker), not this test's
@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")
def test_each_case_is_one_param_with_its_tags_as_markers(tmp_path: Path) -> None:
    session = _session(tmp_path / "p")
    lines: list[str] = []
    known: list[str] = []

    def known_failure(session: ReleaseSession, suite: Suite, case: GoldenCase) -> list[Any]:
        known.append(case.id)
        return [pytest.mark.xfail(reason="known")] if case.id == "q1" else []

    params = case_params(session, add_marker=lines.append, known_failure=known_failure)
    assert [p.values[0] for p in params] == [CaseRef("shop", "q1"), CaseRef("shop", "退款 问题/1")]
    assert params[0].id == "shop/q1"
    assert params[1].id.startswith("shop/1-")  # made safe for a node id
    assert [m[0] for m in _marks(params[0])] == ["smoke", "xfail"]
    assert [m[0] for m in _marks(params[1])] == ["a_b_c"]
    assert lines == ["smoke: golden cases tagged 'smoke'", "a_b_c: golden cases tagged 'a-b c'"]
    assert known == ["q1", "退款 问题/1"]
    assert marker_name("a-b c") == "a_b_c"


def test_no_drop_is_skipped_without_a_baseline_and_runs_with_one(tmp_path: Path) -> None:
    session = _session(tmp_path / "p")
    params = metric_params(session)
    assert [p.id for p in params] == ["shop::accuracy", "shop::accuracy::no_drop", "shop::rougeL"]
    assert params[1].values[0] == MetricRef("shop", "accuracy", "no_drop")
    (name, kwargs) = _marks(params[1])[0]
    assert name == "skip"
    assert "no baseline value for shop::accuracy" in kwargs["reason"]
    baselines = tmp_path / "p" / "baselines"
    baselines.mkdir()
    (baselines / "shop.json").write_text(
        json.dumps(
            {
                "suite": "shop",
                "metrics": {"accuracy": {"value": 0.5}, "rougeL": {"value": 0.2}},
                "cases": {"q1": {"outcome": "passed"}, "退款 问题/1": {"outcome": "failed"}},
            }
        ),
        encoding="utf-8",
    )
    fresh = ReleaseSession(settings=session.settings, run_id="r2", root=session.root)
    assert _marks(metric_params(fresh)[1]) == []


def test_update_baseline_skips_every_comparison(tmp_path: Path) -> None:
    params = metric_params(_session(tmp_path / "p", update_baseline=True))
    assert _marks(params[1]) == [("skip", {"reason": "--update-baseline: nothing to compare"})]


def test_update_baseline_skips_the_win_rate_whose_value_is_a_comparison(tmp_path: Path) -> None:
    """judge_win_rate compares this run's answers with the baseline's: while the baseline is
    being recorded it has nothing to compare, like a no-drop test; judge_score is a value."""
    register()  # the judge kind (its entry point may predate the installed metadata)
    judged = MANIFEST.replace(
        "metrics:\n",
        "judge: {backend: openai, base_url: 'http://127.0.0.1:9/v1', model: j}\n"
        "metrics:\n  - {name: judge_win_rate}\n  - {name: judge_score, min: 3}\n",
    )
    root = tmp_path / "p"
    session = _session(root, update_baseline=True)
    (root / "golden" / "shop.yaml").write_text(judged, encoding="utf-8")
    updating = ReleaseSession(
        settings=session.settings, run_id="r2", root=session.root, update_baseline=True
    )
    params = {p.id: _marks(p) for p in metric_params(updating)}
    assert params["shop::judge_win_rate"] == [
        ("skip", {"reason": "--update-baseline: nothing to compare"})
    ]
    assert params["shop::judge_score"] == []
    normal = ReleaseSession(settings=session.settings, run_id="r3", root=session.root)
    assert {p.id: _marks(p) for p in metric_params(normal)}["shop::judge_win_rate"] == []


def test_no_benchmarks_is_one_skip_that_says_why(tmp_path: Path) -> None:
    params = benchmark_params(_session(tmp_path / "p"))
    assert params == [NO_BENCHMARKS]
    assert "add [tool.releasegate.general]" in _marks(params[0])[1][1]["reason"]


def test_a_case_is_found_by_its_key_as_written(tmp_path: Path) -> None:
    ref = CaseRef("shop", "退款 问题/1")
    assert extra_keyword("test_case[shop/1-8e4fc544]", {"golden_case": ref}) == ref.key
    assert extra_keyword(f"test_case[{ref.key}]", {"golden_case": ref}) is None
    assert extra_keyword("test_metric[shop::accuracy]", {"suite_metric": "x"}) is None
    refs = case_refs([("a", {"golden_case": ref}), ("b", {"suite_metric": 1}), ("c", None)])
    assert refs == {"a": ref}
