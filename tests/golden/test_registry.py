"""The metric registry: kinds of other packages register themselves through entry points.

golden must not import the packages that build on it (review, perplexity), so the registry finds
their kinds through the entry-point group ``releasegate.metric_kinds``. These tests run fresh
interpreters (the registry loads the entry points once per process) on real package metadata:
releasegate's own, and small distributions written into tmp_path (a ``*.dist-info`` folder on
``sys.path`` is an installed distribution to ``importlib.metadata``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import cast

import pytest

import releasegate
from releasegate.exceptions import ConfigError
from releasegate.golden.classification import Accuracy
from releasegate.golden.metrics import METRICS, Metric, MetricContext, build_metric, source_of
from releasegate.golden.registry import ENTRY_POINT_GROUP, register_metric_kind
from releasegate.golden.suites import MetricSpec, load_suite
from releasegate.review.rubric import DEFAULT_RUBRIC

SRC = Path(releasegate.__file__).parents[1]
CONTEXT = MetricContext(language="en", base_dir=Path("."))


def run_python(code: str, *front: Path) -> dict[str, object]:
    """Run *code* in a fresh interpreter with *front* first on its path; it prints one JSON."""
    path = [*map(str, front), str(SRC), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def distribution(site: Path, name: str, entry_points: str, module: str = "") -> Path:
    """An installed distribution *name* in *site*: its metadata, entry points and module."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    if module:
        (site / f"{name}.py").write_text(textwrap.dedent(module))
    return site


def write_suite(folder: Path, extra: str) -> Path:
    (folder / "tiny.jsonl").write_text(
        '{"id": "a", "input": "hi", "expected": "hello"}\n'
        '{"id": "b", "input": "bye", "expected": "goodbye"}\n',
        encoding="utf-8",
    )
    manifest = folder / "tiny.yaml"
    manifest.write_text(f"name: tiny\ncases: tiny.jsonl\n{extra}", encoding="utf-8")
    return manifest


def test_releasegate_declares_its_kinds_as_entry_points() -> None:
    from importlib.metadata import entry_points

    found = {e.name: e.value for e in entry_points(group=ENTRY_POINT_GROUP)}
    assert found == {
        "review": "releasegate.review.metrics:register",
        "perplexity": "releasegate.perplexity.metrics:register",
        "judge": "releasegate.judge.kinds:register",
        "robustness": "releasegate.robustness.kinds:register",
    }


def test_golden_finds_the_kinds_without_importing_them(tmp_path: Path) -> None:
    manifest = write_suite(
        tmp_path,
        "review: {criteria: [tone]}\nmetrics:\n  - {name: accuracy}\n"
        "  - {name: human_score, criterion: tone, min: 3}\n",
    )
    result = run_python(
        f"""
        import json, sys
        from pathlib import Path
        from releasegate.golden.metrics import MetricContext, build_metric
        from releasegate.golden.suites import load_suite
        def loaded():
            return sorted(m for m in ("releasegate.review", "releasegate.perplexity")
                          if m in sys.modules)
        before = loaded()
        build_metric("accuracy", MetricContext("en", Path(".")), where="x")
        after_built_in = loaded()
        suite = load_suite(Path({str(manifest)!r}), schemas_dir=Path("."))
        print(json.dumps({{
            "before": before,
            "after_built_in": after_built_in,
            "after_suite": loaded(),
            "metrics": [s.name for s in suite.metrics],
            "in_baseline": [s.in_baseline for s in suite.metrics],
            "criteria": [c.name for c in suite.rubric.criteria],
        }}))
        """
    )
    assert result["before"] == []
    assert result["after_built_in"] == []  # a built-in name loads no entry point
    assert result["after_suite"] == ["releasegate.perplexity", "releasegate.review"]
    assert result["metrics"] == ["accuracy", "human_score[tone]"]
    assert result["in_baseline"] == [True, False]
    assert result["criteria"] == ["tone"]


THIRD_PARTY = """
from dataclasses import dataclass
from typing import ClassVar
from releasegate.golden.metric_types import MetricValue, mean_of
from releasegate.golden.registry import register_metric_kind


@dataclass(frozen=True)
class AnswerLength:
    name: str = "answer_length"
    higher_is_better: bool = False
    bounds: tuple[float, float] | None = None
    additive: bool = True
    source: ClassVar[str] = "answers"

    def __call__(self, cases):
        per_item = tuple(float(len(case.answer)) for case in cases)
        return MetricValue(mean_of(per_item), per_item)


def register():
    register_metric_kind("answer_length", lambda params, context: AnswerLength())
"""


def test_a_third_party_kind_registers_through_its_entry_point(tmp_path: Path) -> None:
    site = distribution(
        tmp_path / "site",
        "lengthkind",
        f"[{ENTRY_POINT_GROUP}]\nanswer_length = lengthkind:register\n",
        THIRD_PARTY,
    )
    manifest = write_suite(tmp_path, "metrics:\n  - {name: answer_length, max: 10}\n")
    result = run_python(
        f"""
        import json
        from pathlib import Path
        from releasegate.exceptions import UnknownNameError
        from releasegate.golden.checks import CheckResult
        from releasegate.golden.metrics import ScoredCase, build_metric, MetricContext
        from releasegate.golden.suites import load_suite
        suite = load_suite(Path({str(manifest)!r}), schemas_dir=Path("."))
        spec = suite.metrics[0]
        cases = [ScoredCase("a", "abcd", "x", CheckResult(True, "")),
                 ScoredCase("b", "ab", "x", CheckResult(False, ""))]
        try:
            build_metric("answer_lenght", MetricContext("en", Path(".")), where="m.yaml")
        except UnknownNameError as err:
            message = str(err)
        print(json.dumps({{"name": spec.name, "max": spec.max, "value": spec.metric(cases).value,
                           "message": message}}))
        """,
        site,
    )
    assert (result["name"], result["max"], result["value"]) == ("answer_length", 10, 3.0)
    message = str(result["message"])
    assert message.startswith(
        "m.yaml: unknown metric 'answer_lenght'. Did you mean 'answer_length'?"
    )
    for name in ("accuracy", "answer_length", "human_score", "log_likelihood", "perplexity"):
        assert name in message


def test_a_broken_entry_point_is_one_error_naming_it(tmp_path: Path) -> None:
    site = distribution(
        tmp_path / "site", "brokenkind", f"[{ENTRY_POINT_GROUP}]\nbroken = nosuchmodule:register\n"
    )
    result = run_python(
        """
        import json
        from pathlib import Path
        from releasegate.exceptions import ConfigError
        from releasegate.golden.metrics import build_metric, MetricContext
        context = MetricContext("en", Path("."))
        built = build_metric("accuracy", context, where="m.yaml").name
        try:
            build_metric("human_score", context, where="m.yaml")
        except ConfigError as err:
            message = str(err)
        print(json.dumps({"built": built, "message": message}))
        """,
        site,
    )
    assert result["built"] == "accuracy"  # golden's own names need no entry point
    message = str(result["message"])
    assert "metric kinds 'broken' (nosuchmodule:register" in message
    assert "cannot be loaded: ModuleNotFoundError" in message


def test_without_package_metadata_the_error_says_to_reinstall(tmp_path: Path) -> None:
    """releasegate's metadata with no entry points (an install from before they were declared),
    first on the path, hides the real one."""
    site = distribution(tmp_path / "site", "releasegate", "[pytest11]\nreleasegate = x\n")
    with_review = write_suite(tmp_path, "review: {criteria: [tone]}\n")
    result = run_python(
        f"""
        import json
        from pathlib import Path
        from releasegate.exceptions import ReleasegateError
        from releasegate.golden.metrics import build_metric, MetricContext
        from releasegate.golden.suites import load_suite
        messages = []
        try:
            build_metric("human_score", MetricContext("en", Path(".")), where="m.yaml")
        except ReleasegateError as err:
            messages.append(str(err))
        try:
            load_suite(Path({str(with_review)!r}), schemas_dir=Path("."))
        except ReleasegateError as err:
            messages.append(str(err))
        print(json.dumps({{"messages": messages}}))
        """,
        site,
    )
    unknown, section = result["messages"]  # type: ignore[misc]
    assert unknown.startswith("m.yaml: unknown metric 'human_score'.")
    assert "reinstall it with 'pip install -e .'" in unknown
    assert "tiny.yaml: section 'review' is read by a metric kind that is not installed" in section


def test_another_factory_under_a_taken_name_is_refused() -> None:
    def other(params: object, context: MetricContext) -> Accuracy:
        return Accuracy(name="other")

    with pytest.raises(ConfigError, match="metric kind 'accuracy' is registered twice"):
        register_metric_kind("accuracy", other)
    assert build_metric("accuracy", CONTEXT, where="m").name == "accuracy"
    factory = METRICS["human_score"]
    register_metric_kind("human_score", factory)  # the same one again: nothing changes
    assert METRICS["human_score"] is factory


def test_each_metric_declares_its_source() -> None:
    assert source_of(build_metric("accuracy", CONTEXT, where="m")) == "answers"
    assert source_of(build_metric("bleu", CONTEXT, where="m")) == "answers"
    assert source_of(build_metric("human_pass_rate", CONTEXT, where="m")) == "reviews"
    assert source_of(build_metric("perplexity", CONTEXT, where="m")) == "model"
    assert source_of(build_metric("log_likelihood", CONTEXT, where="m")) == "model"

    class Odd:
        source = "vibes"

    with pytest.raises(ConfigError, match="declares source 'vibes'"):
        source_of(Odd())


def test_a_judge_metric_is_scored_again_not_kept_in_the_baseline() -> None:
    """A judge's verdicts belong to the answers it judged: the baseline keeps no value of a
    metric of source "judge" (its no-drop test judges the baseline's answers), as of a human
    one; every other source is kept."""

    class Judged:
        source = "judge"

    assert source_of(Judged()) == "judge"
    assert not MetricSpec(cast(Metric, Judged())).in_baseline
    assert not MetricSpec(build_metric("human_score", CONTEXT, where="m")).in_baseline
    assert MetricSpec(build_metric("accuracy", CONTEXT, where="m")).in_baseline
    assert MetricSpec(build_metric("perplexity", CONTEXT, where="m")).in_baseline


def test_a_suite_without_review_is_reviewed_on_the_default_rubric(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path, "metrics: [{name: accuracy}]\n"), schemas_dir=tmp_path)
    assert suite.review is None
    assert suite.rubric == DEFAULT_RUBRIC
