# ruff: noqa: RUF001  (Chinese questions and their full-width punctuation are the subject here)
"""The nine perturbations on Chinese and English questions: what each changes and what it
leaves alone, the edit contract (inside the text, never overlapping), and variant texts as a
pure function of their inputs."""

from __future__ import annotations

import fnmatch
import random
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from releasegate.robustness.edits import Edit, apply_edits, disjoint
from releasegate.robustness.forms import _TABLES, _converter, _counterpart
from releasegate.robustness.homophones import homophone_table, parse_table
from releasegate.robustness.noise import ZERO_WIDTH
from releasegate.robustness.paraphrase import TEMPLATES
from releasegate.robustness.perturbations import (
    PERTURBATIONS,
    not_made_reason,
    variant_text,
    variant_texts,
)

EN = "How do I return an item I bought last week? My order is A1234."
ZH = "怎么退货？我的快递单号是多少，运费谁付？"
ZH_TRADITIONAL = "怎麼退貨？我的快遞單號是多少？"


def variants(text: str, name: str, count: int = 3, case_id: str = "c1") -> tuple[str, ...]:
    return variant_texts(text, name, seed=0, case_id=case_id, count=count, language="en")


def test_all_nine_perturbations_are_registered_under_their_names() -> None:
    assert list(PERTURBATIONS) == [
        "width",
        "script",
        "typo",
        "homophone",
        "punctuation",
        "whitespace",
        "zero_width",
        "case",
        "paraphrase",
    ]
    assert all(p.name == name and p.summary for name, p in PERTURBATIONS.items())


@pytest.mark.parametrize("text", [EN, ZH])
@pytest.mark.parametrize("name", ["width", "punctuation", "whitespace", "zero_width", "paraphrase"])
def test_perturbations_of_any_text_make_three_different_variants_in_both_languages(
    name: str, text: str
) -> None:
    made = variants(text, name)
    assert len(made) == 3 and len(set(made)) == 3 and text not in made


def test_width_turns_half_width_forms_full_and_full_ones_half() -> None:
    full = "ＡＰＰ怎么退款？"
    for variant in variants("APP 2件怎么退款?", "width"):
        assert variant != "APP 2件怎么退款?"
        assert set(variant) <= set("APP 2件怎么退款?ＡＰＰ\u3000２？")
    made = variants(full, "width")
    assert made and all(set(v) <= set(full) | set("APP?") for v in made)
    english = variants("Is 20% off OK?", "width")
    assert all(re.fullmatch(r"[\x20-\x7e\u3000\uff01-\uff5e]+", v) for v in english)
    assert any("％" in v or "Ｏ" in v for v in english)


def test_width_maps_the_chinese_full_stop_and_dot_by_the_text_language() -> None:
    edits = PERTURBATIONS["width"].edits("退货。", "zh")
    assert Edit(2, 3, ".") in edits
    assert Edit(2, 3, "。") in PERTURBATIONS["width"].edits("退货.", "zh")
    assert Edit(2, 3, "．") in PERTURBATIONS["width"].edits("OK.", "en")


def test_width_look_up_tables_are_the_counterpart_rule_on_every_character() -> None:
    """The tables are built from the rule for the characters it maps; none may be missed."""
    for chinese in (False, True):
        table = _TABLES[chinese]
        for code in range(0x10000):
            char = chr(code)
            assert table.get(char) == _counterpart(char, chinese), (hex(code), chinese)


def test_script_converts_simplified_to_traditional_and_back_in_whole_or_in_part() -> None:
    made = variants(ZH, "script")
    assert "怎麼退貨？我的快遞單號是多少，運費誰付？" in made
    assert all(v != ZH for v in made)
    back = variants(ZH_TRADITIONAL, "script")
    assert "怎么退货？我的快递单号是多少？" in back
    partial = [v for v in made + back if v not in {"怎麼退貨？我的快遞單號是多少，運費誰付？"}]
    assert partial, "some variants convert only a part (mixed scripts)"


def test_script_builds_each_opencc_converter_once_per_process() -> None:
    variants(ZH, "script", case_id="x1")
    before = _converter.cache_info()
    variants(ZH_TRADITIONAL, "script", case_id="x2")
    variants(ZH, "script", case_id="x3")
    after = _converter.cache_info()
    assert after.currsize == before.currsize <= 2 and after.hits > before.hits


def test_typo_changes_latin_words_only_not_digits_codes_or_addresses() -> None:
    text = "Can I return it? Order A1234, see www.shop.example/returns or mail help@shop.example"
    for n in range(1, 30):
        variant = variant_text(text, "typo", seed=0, case_id=f"c{n}", n=1, language="en")
        assert variant != text
        assert "A1234" in variant and "www.shop.example/returns" in variant
        assert "help@shop.example" in variant
        assert len(re.findall(r"[A-Za-z]", variant)) - len(re.findall(r"[A-Za-z]", text)) in (
            -2,
            -1,
            0,
            1,
            2,
        )


def test_typo_uses_keyboard_neighbours_and_keeps_capitals() -> None:
    edits = PERTURBATIONS["typo"].edits("Go", "en")
    assert Edit(0, 1, "F") in edits and Edit(0, 1, "H") in edits  # g's neighbours f, h
    assert Edit(0, 2, "oG") in edits and Edit(1, 2, "oo") in edits
    assert Edit(0, 1, "") not in edits  # a two-letter word keeps its letters


def test_typo_on_a_mixed_question_leaves_the_chinese_untouched() -> None:
    for variant in variants("我的order在哪里？", "typo"):
        assert variant.startswith("我的") and variant.endswith("在哪里？")
        assert variant[2:-4] != "order"


def test_homophone_swaps_table_characters_in_chinese_questions() -> None:
    table = homophone_table()
    for variant in variants(ZH, "homophone"):
        changed = [(a, b) for a, b in zip(ZH, variant, strict=True) if a != b]
        assert 1 <= len(changed) <= 2
        assert all(b in table[a] for a, b in changed)


def test_homophone_table_is_shipped_well_formed_with_the_shop_characters() -> None:
    table = homophone_table()
    assert 80 <= len(table) <= 200
    for char in "退货款费运送快递单号码买卖钱价包邮付订发票换修取消收址地吗么怎会员账户":
        assert char in table, char
    for char, near in [("货", "贷"), ("己", "已"), ("未", "末"), ("拨", "拔"), ("侯", "候")]:
        assert near in table[char]


def test_the_homophone_table_ships_in_the_package_data() -> None:
    """Nothing is downloaded at run time: an installed releasegate must hold the table."""
    root = Path(__file__).resolve().parents[2]
    globs = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["releasegate"]
    table = (root / "src" / "releasegate" / "robustness" / "data" / "homophones.txt").relative_to(
        root / "src" / "releasegate"
    )
    assert any(fnmatch.fnmatch(table.as_posix(), glob) for glob in globs), globs


def test_a_bad_homophone_table_line_is_refused_with_its_line() -> None:
    with pytest.raises(ValueError, match=r"table.txt, line 2: '退货 贷'"):
        parse_table("# comment\n退货 贷\n", where="table.txt")
    with pytest.raises(ValueError, match="line 2: '退' is given twice"):
        parse_table("退 蜕\n退 褪\n", where="table.txt")


def test_punctuation_drops_doubles_swaps_or_adds_noise_but_leaves_numbers() -> None:
    made = variants("Is it $9.99, or 1,000 points?", "punctuation", count=3)
    assert all("9.99" in v and "1,000" in v for v in made)
    edits = PERTURBATIONS["punctuation"].edits("退货？", "zh")
    assert {Edit(2, 3, ""), Edit(2, 3, "？？"), Edit(2, 3, "?")} <= set(edits)
    assert Edit(3, 3, "~") in edits and Edit(3, 3, "。。。") in edits
    assert Edit(4, 4, "...") in PERTURBATIONS["punctuation"].edits("Why?", "en")


def test_whitespace_adds_spaces_tabs_line_breaks_and_spaces_inside_chinese() -> None:
    edits = PERTURBATIONS["whitespace"].edits("退货 OK", "zh")
    assert Edit(1, 1, " ") in edits  # between 退 and 货
    assert Edit(2, 3, "\t") in edits and Edit(2, 3, "  ") in edits
    assert Edit(0, 0, "\n") in edits and Edit(5, 5, " ") in edits
    for variant in variants(EN, "whitespace"):
        assert variant.split() == EN.split()


def test_zero_width_inserts_invisible_characters_only() -> None:
    for text in (EN, ZH):
        for variant in variants(text, "zero_width"):
            assert "".join(c for c in variant if c not in ZERO_WIDTH) == text
            assert 1 <= sum(c in ZERO_WIDTH for c in variant) <= 3


def test_case_lowers_uppers_or_toggles_latin_letters_only() -> None:
    made = variants(EN, "case", count=6)
    assert all(v.lower() == EN.lower() and v != EN for v in made)
    mixed = variants("我的APP订单", "case")
    assert mixed and all(
        v[:2] == "我的" and v[-2:] == "订单" and v[2:5].lower() == "app" for v in mixed
    )
    assert Edit(0, 1, "h") in PERTURBATIONS["case"].edits(EN, "en")  # first letter lowered


def test_paraphrase_wraps_the_question_in_a_template_of_its_language() -> None:
    for text, language in [(EN, "en"), (ZH, "zh")]:
        for variant in variants(text, "paraphrase"):
            assert text[1:] in variant and variant != text
            assert any(
                t.replace("{q}", text) == variant
                or t.replace("{q}", text[0].lower() + text[1:]) == variant
                for t in TEMPLATES[language]
            )
    made = variants("How do I get a refund?", "paraphrase", count=10)
    assert "Hi, how do I get a refund?" in made and "Hello! How do I get a refund?" in made
    assert len(TEMPLATES["en"]) >= 8 and len(TEMPLATES["zh"]) >= 8
    assert all(not v.startswith("请问请问") for v in variants("请问怎么退货？", "paraphrase", 5))


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("typo", ZH, "it has no Latin letters to mistype"),
        ("typo", "订单A1234到了吗? 邮箱 kf@shop.cn", "codes mixing letters and digits, or web"),
        ("case", ZH, "it has no Latin letters whose case could change"),
        ("script", EN, "it has no Chinese characters"),
        ("script", "你好", "written the same in simplified and traditional script"),
        ("homophone", EN, "it has no Chinese characters"),
        ("homophone", "嗯嗯", "none of its Chinese characters is in the homophone table"),
        ("width", "你好", "no letters, digits, punctuation or spaces that have another width"),
        ("zero_width", "好", "fewer than two characters"),
        ("paraphrase", "  ", "it is empty"),
    ],
)
def test_a_perturbation_that_cannot_act_says_why(name: str, text: str, reason: str) -> None:
    assert variants(text, name) == ()
    said = not_made_reason(text, name, language="en", made=0)
    assert said.startswith(f"the perturbation '{name}' makes no change to this question: ")
    assert reason in said
    assert variant_text(text, name, seed=0, case_id="c1", n=1, language="en") == text


def test_a_perturbation_with_few_changes_makes_fewer_variants_and_says_so() -> None:
    made = variants("退货。", "script", count=3)  # one character to convert: one variant
    assert made == ("退貨。",)
    said = not_made_reason("退货。", "script", language="zh", made=1)
    assert "makes only 1 different variant of this question" in said
    assert variant_text("退货。", "script", seed=0, case_id="c1", n=2, language="zh") == "退货。"


def test_apply_edits_refuses_overlapping_or_outside_edits() -> None:
    assert apply_edits("abc", [Edit(2, 3, "Z"), Edit(0, 0, ">")]) == ">abZ"
    with pytest.raises(ValueError, match="overlap"):
        apply_edits("abc", [Edit(0, 2, "x"), Edit(1, 3, "y")])
    with pytest.raises(ValueError, match="overlap"):
        apply_edits("abc", [Edit(1, 1, "x"), Edit(1, 1, "y")])
    with pytest.raises(ValueError, match="outside a text of 3 characters"):
        apply_edits("abc", [Edit(2, 4, "x")])


TEXTS = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="退货款费运快递单号怎么吗？，。! ?,.abcXYZ z19@", max_size=40),
    st.sampled_from([EN, ZH, ZH_TRADITIONAL, "APP怎么退款?", "Ｈｅｌｌｏ　世界"]),
)


@settings(max_examples=60, deadline=None)
@given(text=TEXTS, name=st.sampled_from(list(PERTURBATIONS)), seed=st.integers(0, 2**32))
def test_every_edit_stays_inside_the_text_and_chosen_edits_never_overlap(
    text: str, name: str, seed: int
) -> None:
    perturbation = PERTURBATIONS[name]
    edits = perturbation.edits(text, "en")
    assert edits == perturbation.edits(text, "en")  # a fixed order
    for edit in edits:
        assert 0 <= edit.start <= edit.end <= len(text)
        assert apply_edits(text, [edit]) != text
    if edits:
        chosen = perturbation.choose(edits, random.Random(seed))
        assert chosen and disjoint(chosen) and all(edit in edits for edit in chosen)
        apply_edits(text, chosen)  # never raises
    else:
        assert perturbation.no_change(text, "en")


@settings(max_examples=40, deadline=None)
@given(
    text=TEXTS,
    name=st.sampled_from(list(PERTURBATIONS)),
    seed=st.integers(0, 10),
    case_id=st.text(min_size=1, max_size=8),
)
def test_variant_texts_are_a_pure_function_of_their_inputs(
    text: str, name: str, seed: int, case_id: str
) -> None:
    args = {"seed": seed, "case_id": case_id, "count": 3, "language": "zh"}
    made = variant_texts(text, name, **args)  # type: ignore[arg-type]
    state = random.getstate()
    try:
        random.seed(12345)  # the global generator plays no part
        assert variant_texts(text, name, **args) == made  # type: ignore[arg-type]
    finally:
        random.setstate(state)  # nor does this test leave it changed for others
    assert len(set(made)) == len(made) and text not in made
    for n, variant in enumerate(made, 1):
        assert variant_text(text, name, seed=seed, case_id=case_id, n=n, language="zh") == variant


def test_zero_width_edits_shared_between_texts_are_those_of_each_text() -> None:
    """The insertions are made once and shared by texts of any length (their cost): a longer
    text after a shorter one, and a shorter after a longer, get exactly their own."""
    zero_width = PERTURBATIONS["zero_width"]
    for length in (0, 1, 2, 3, 70, 300, 5, 1000, 64):
        text = "x" * length
        assert zero_width.edits(text, "en") == tuple(
            Edit(at, at, char) for at in range(1, length) for char in ZERO_WIDTH
        )


EN_DOC = "How do I get a refund?"
ZH_DOC = "怎么退货？运费谁付？"


@pytest.mark.parametrize(
    ("name", "case_id", "text", "variant"),
    [
        ("width", "faq-refund", EN_DOC, "Hoｗ ｄo\u3000Ｉ ｇｅｔ\u3000a\u3000ｒｅfｕnｄ?"),
        ("width", "退货", ZH_DOC, "怎么退货?运费谁付?"),
        ("script", "退货", ZH_DOC, "怎么退貨？运费谁付？"),
        ("typo", "faq-refund", EN_DOC, "Hoe do I gwt a refund?"),
        ("homophone", "退货", ZH_DOC, "咋么退货？运费谁付？"),
        ("punctuation", "faq-refund", EN_DOC, "How do I get a refund~"),
        ("punctuation", "退货", ZH_DOC, "怎么退货?运费谁付？？？"),
        ("whitespace", "faq-refund", EN_DOC, "How do I\tget a refund?"),
        ("whitespace", "退货", ZH_DOC, " 怎么退货？运费 谁付？"),
        ("zero_width", "faq-refund", EN_DOC, "How do I get a refun\u200dd?"),
        ("zero_width", "退货", ZH_DOC, "怎么退\u200b货？运\u200c费谁付\u200c？"),
        ("case", "faq-refund", EN_DOC, "how do I get a refund?"),
        ("paraphrase", "faq-refund", EN_DOC, "Hi, how do I get a refund?"),
        ("paraphrase", "退货", ZH_DOC, "打扰一下，怎么退货？运费谁付？"),
    ],
)
def test_variants_are_pinned_as_docs_robustness_shows_them(
    name: str, case_id: str, text: str, variant: str
) -> None:
    """A change to how variants are drawn changes every suite's variants, so every cached
    answer and baseline entry of a variant with them: it must be deliberate (update these and
    the examples of docs/robustness.md together, and say so in the release notes)."""
    made = variant_text(text, name, seed=0, case_id=case_id, n=1, language="en")
    assert made == variant
    docs = (Path(__file__).resolve().parents[2] / "docs" / "robustness.md").read_text("utf-8")
    shown = variant.replace("\t", "\\t").replace("\u3000", "\\u3000")
    for char in ZERO_WIDTH:
        shown = shown.replace(char, f"\\u{ord(char):04x}")
    assert f"`{shown}`" in docs


@st.composite
def text_and_edits(draw: st.DrawFn) -> tuple[str, list[Edit]]:
    text = draw(st.text(alphabet="ab退货 ?", max_size=12))
    spans = st.tuples(st.integers(0, len(text) + 1), st.integers(0, 3), st.text("xy", max_size=2))
    edits = [Edit(s, s + n, t) for s, n, t in draw(st.lists(spans, max_size=4))]
    return text, edits


@settings(max_examples=300, deadline=None)
@given(case=text_and_edits())
def test_apply_edits_makes_each_edit_or_refuses_a_set_that_has_no_one_result(
    case: tuple[str, list[Edit]],
) -> None:
    """Against the plain rule: right to left, each span replaced; refused exactly when an edit
    is outside the text or two overlap (or start at one place)."""
    text, edits = case
    inside = all(0 <= e.start <= e.end <= len(text) for e in edits)
    if inside and disjoint(edits):
        expected = text
        for edit in sorted(edits, key=lambda e: e.start, reverse=True):
            expected = expected[: edit.start] + edit.text + expected[edit.end :]
        assert apply_edits(text, edits) == expected
        assert apply_edits(text, list(reversed(edits))) == expected
    else:
        with pytest.raises(ValueError, match=r"outside a text|overlap"):
            apply_edits(text, edits)
