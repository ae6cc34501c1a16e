"""The judge's templates: the shipped ones in both languages, a project's own checked (one error
naming the file and the placeholder), rendering in one pass, and the hash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from releasegate.exceptions import JudgeError
from releasegate.judge.prompts import PLACEHOLDERS, load_templates, render_rubric
from releasegate.review.rubric import parse_rubric

RUBRIC = parse_rubric(
    {
        "scale": "1-5",
        "pass_mark": 4,
        "criteria": [
            {"name": "correctness", "description": "Does it state the policy right?"},
            "tone",
        ],
    },
    where="test",
)
assert RUBRIC is not None


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("language", ["en", "zh", "zh-TW", "fr"])
def test_the_shipped_templates_hold_every_placeholder_and_ask_for_json(language: str) -> None:
    templates = load_templates(language)
    values = {name: f"<{name.upper()}>" for name in PLACEHOLDERS["pairwise"] + ("answer",)}
    pointwise = templates.pointwise.render(**values)
    pairwise = templates.pairwise.render(**values)
    for name in PLACEHOLDERS["pointwise"]:
        assert f"<{name.upper()}>" in pointwise
    for name in PLACEHOLDERS["pairwise"]:
        assert f"<{name.upper()}>" in pairwise
    assert '{"scores": {' in pointwise and '"reason"' in pointwise
    assert '{"winner": "A"' in pairwise
    chinese = bool(re.search(r"[\u4e00-\u9fff]", pointwise))
    assert chinese == language.startswith("zh")


def test_the_shipped_templates_ship_in_the_package_data() -> None:
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8")
    assert '"judge/templates/*.txt"' in pyproject


def test_rendering_is_one_pass_and_json_braces_stay_text(tmp_path: Path) -> None:
    text = (
        'Q {question} E {expected} A {answer} R {rubric} write {{answer}} as {"scores": {"x": 1}}'
    )
    templates = load_templates("en", pointwise=write(tmp_path, "p.txt", text))
    rendered = templates.pointwise.render(
        question="{expected}", expected="e", answer="says {answer} and {rubric}", rubric="r"
    )
    assert rendered == (
        'Q {expected} E e A says {answer} and {rubric} R r write {answer} as {"scores": {"x": 1}}'
    )


def test_the_rubric_renders_the_scale_pass_mark_and_criteria_with_descriptions() -> None:
    assert RUBRIC is not None
    text = render_rubric(RUBRIC, "en")
    assert "from 1 (worst) to 5 (best)" in text and "4 or more" in text
    assert "- correctness: Does it state the policy right?" in text
    assert "- tone" in text.splitlines()
    zh = render_rubric(RUBRIC, "zh")
    assert "量表" in zh and "- correctness: Does it state the policy right?" in zh
    pass_fail = parse_rubric({"scale": "pass/fail"}, where="test")
    assert pass_fail is not None
    assert "1 (pass) or 0 (fail)" in render_rubric(pass_fail, "en")


def test_a_template_without_a_placeholder_it_needs_is_one_error_naming_file_and_placeholder(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "mine.txt", "Q {question} E {expected} R {rubric} (no answer)")
    with pytest.raises(JudgeError) as caught:
        load_templates("en", pointwise=path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "lacks the placeholder {answer}" in message and "add it" in message


def test_a_pairwise_template_needs_both_answers(tmp_path: Path) -> None:
    path = write(tmp_path, "pair.txt", "{question} {expected} {answer_a} {answer} {rubric}")
    with pytest.raises(
        JudgeError,
        match=r"pair\.txt: the pairwise template has the placeholder "
        r"\{answer\}, which is not one of",
    ):
        load_templates("en", pairwise=path)


def test_an_unknown_placeholder_is_refused_with_the_escape_named(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.txt", "{question} {expected} {answer} {rubric} {context}")
    with pytest.raises(JudgeError) as caught:
        load_templates("en", pointwise=path)
    assert "{context}" in str(caught.value) and "{{context}}" in str(caught.value)


def test_a_template_that_is_not_utf8_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes("{question} {expected} {answer} {rubric} 回答".encode("gbk"))
    with pytest.raises(JudgeError, match=r"gbk\.txt: the pointwise template is not UTF-8"):
        load_templates("en", pointwise=path)


def test_the_hash_follows_the_text_of_both_templates(tmp_path: Path) -> None:
    base = load_templates("en")
    assert base.hash == load_templates("fr").hash  # both English
    assert base.hash != load_templates("zh").hash
    own = write(tmp_path, "p.txt", base.pointwise.text + "\nBe brief.")
    assert load_templates("en", pointwise=own).hash != base.hash
    assert re.fullmatch(r"[0-9a-f]{16}", base.hash)
