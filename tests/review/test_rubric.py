"""A manifest's review: rubric is checked when the suite loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasegate.exceptions import ReleasegateError
from releasegate.golden.suites import load_suite
from releasegate.review.rubric import Scale

HEAD = """\
name: tiny
cases: tiny.jsonl
check: {name: regex, pattern: "\\\\S"}
"""


def suite_with(tmp_path: Path, text: str) -> Path:
    (tmp_path / "tiny.jsonl").write_text('{"id": "a", "input": "hi", "expected": "x"}\n')
    manifest = tmp_path / "tiny.yaml"
    manifest.write_text(HEAD + text, encoding="utf-8")
    return manifest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "review: {criteria: [tone]}\nmetrics:\n  - {name: human_score, criterion: tonne}\n",
            "tiny.yaml, field 'metrics[0]': criterion 'tonne' is not one of the review criteria "
            "(tone)",
        ),
        ("review: {scale: 5-1}\n", "review scale '5-1' must be 'pass/fail' or a range"),
        ("review: {scale: 1-5, pass_mark: 6}\n", "review pass_mark 6 is outside the scale 1-5"),
        ("review: {pending: later}\n", "pending"),
        ("review: {criteria: [tone, tone]}\n", "distinct names"),
    ],
)
def test_a_bad_rubric_is_one_error_naming_the_manifest(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ReleasegateError, match=r"tiny\.yaml") as raised:
        load_suite(suite_with(tmp_path, text), schemas_dir=tmp_path)
    assert message in str(raised.value)


def test_a_rubric_loads_with_its_defaults(tmp_path: Path) -> None:
    suite = load_suite(suite_with(tmp_path, "review: {criteria: [tone]}\n"), schemas_dir=tmp_path)
    assert suite.review is not None
    assert (suite.review.scale, suite.review.pass_mark, suite.review.pending) == (
        Scale(1, 5),
        4.0,
        "fail",
    )


@pytest.mark.parametrize(
    ("raw", "score"),
    [
        (5, 5.0),
        (5.0, 5.0),
        ("4", 4.0),
        (" 3 ", 3.0),
        ("5分", None),
        ("five", None),
        (0, None),
        (4.5, None),
        (True, None),
    ],
)
def test_what_a_score_cell_may_hold(raw: object, score: float | None) -> None:
    assert Scale(1, 5).parse(raw) == score


def test_pass_fail_cells_in_either_language() -> None:
    scale = Scale(0, 1, pass_fail=True)
    assert [scale.parse(v) for v in ("pass", "FAIL", "通过", "不通过", "ok")] == [
        1.0,
        0.0,
        1.0,
        0.0,
        None,
    ]
