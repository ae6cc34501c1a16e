"""The robustness variants in a run's reports (issue 25): the cases whose verdict flips under a
perturbation, with the variant's text as the model got it, in summary.md and report.html; the
blocking flips (the original passes, the variant fails) first; "none" when variants ran and
nothing flipped; no section without variants. The texts are untrusted and a perturbation's
invisible characters must be seen.

The records are the ones a run writes (:class:`RunReport`, results.json read back by
:func:`releasegate.core.records.load_run`).
"""

# Chinese (full-width) punctuation is the very data these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from page_parsing import parse

from releasegate.core.records import CaseRecord, load_run
from releasegate.reports.html import write_page
from releasegate.reports.robustness_report import SECTION_TITLE, variant_flips, variant_text
from releasegate.reports.writers import RunReport


def _case(
    case_id: str,
    passed: bool,
    *,
    question: Any,
    answer: str = "",
    variant_of: str = "",
    perturbation: str = "",
    suite: str = "shop",
) -> CaseRecord:
    outcome = "passed" if passed else "failed"
    return CaseRecord(
        suite=suite,
        id=case_id,
        key=f"{suite}/{case_id}",
        source="shop.jsonl:1",
        tags=("variant",) if variant_of else (),
        critical=False,
        input=question,
        expected="7",
        prompt=str(question),
        answer=answer or f"answer to {case_id}",
        check="contains",
        passed=passed,
        check_passed=passed,
        reason="" if passed else "missing keywords: 7",
        score=None,
        prediction=None,
        status=outcome,
        baseline=None,
        baseline_answer=None,
        output_tokens=3,
        seconds=0.1,
        cached=True,
        variant_of=variant_of,
        perturbation=perturbation,
    )


CHAT = [
    {"role": "system", "content": "You are the shop's assistant."},
    {"role": "user", "content": "How long do refunds take?"},
    {"role": "assistant", "content": "Which order?"},
    {"role": "user", "content": "Order 12,\u200b the blue coat"},
]


def flipping_run() -> list[CaseRecord]:
    """Three originals (English, Chinese, a chat) with variants; three flips, two of them
    blocking (one a zero-width variant whose text looks like its original's)."""
    return [
        _case("faq-refund", True, question="How long do refunds take?"),
        _case(
            "faq-refund~typo-1",
            True,
            question="How lnog do refunds take?",
            variant_of="faq-refund",
            perturbation="typo",
        ),
        _case(
            "faq-refund~zero_width-1",
            False,
            question="How long do re\u200bfunds take?",
            answer="I <b>cannot</b> help with that.",
            variant_of="faq-refund",
            perturbation="zero_width",
        ),
        _case("退货-运费", True, question="退货要付运费吗？"),
        _case(
            "退货-运费~script-1",
            False,
            question="退貨要付運費嗎？",
            answer="请联系客服。",
            variant_of="退货-运费",
            perturbation="script",
        ),
        _case("尺码", False, question="这件外套偏大吗？"),
        _case(
            "尺码~width-1",
            True,
            question="这件外套偏大吗?",
            answer="偏大一码，7号。",
            variant_of="尺码",
            perturbation="width",
        ),
        _case("chat-order", True, question=CHAT),
        _case(
            "chat-order~zero_width-1",
            True,
            question=CHAT,
            variant_of="chat-order",
            perturbation="zero_width",
        ),
        _case("faq-hours", True, question="When are you open?"),
    ]


def _write(tmp_path: Path, cases: list[CaseRecord]) -> Path:
    report = RunReport(run_id="r1", directory=tmp_path / "r1")
    for case in cases:
        report.add(f"test_case[{case.key}]", case, "passed" if case.passed else "failed")
    return report.write(settings={"model": "m"}, root=tmp_path)


def _section(summary: str) -> str:
    start = summary.index(f"## {SECTION_TITLE}")
    end = summary.find("\n## ", start + 1)
    return summary[start : end if end >= 0 else None]


def test_summary_md_lists_the_flips_blocking_first_with_the_variants_text(tmp_path: Path) -> None:
    folder = _write(tmp_path, flipping_run())
    section = _section((folder / "summary.md").read_text(encoding="utf-8"))
    assert "5 variant(s) of 4 case(s): 3 flips: 2 fail where the original passes, 1 pass" in section
    rows = [line for line in section.splitlines() if line.startswith("| shop |")]
    assert [row.split("`")[3] for row in rows] == [
        "faq-refund~zero_width-1",
        "退货-运费~script-1",
        "尺码~width-1",
    ]
    zero_width, script, width = rows
    # the invisible character is seen; the answer is text, not markup
    assert "How long do re\\u200bfunds take?" in zero_width
    assert "I &lt;b&gt;cannot&lt;/b&gt; help with that." in zero_width
    assert "| zero_width |" in zero_width and "| passed | **failed** |" in zero_width
    assert "退貨要付運費嗎？" in script and "请联系客服。" in script
    assert "| failed | passed |" in width and "这件外套偏大吗?" in width
    # a variant with its original's verdict is no flip; an original without variants is absent
    assert "typo-1" not in section and "chat-order" not in section and "faq-hours" not in section


def test_the_page_shows_the_flips_with_the_invisible_characters_as_escapes(tmp_path: Path) -> None:
    folder = _write(tmp_path, flipping_run())
    page = write_page(folder, run=load_run(folder)).read_text(encoding="utf-8")
    assert '<a href="#robustness">robustness</a>' in page
    section = page[page.index('id="robustness"') :]
    section = section[: section.index("</table>")]
    rows = section.split("<tr>")[2:]
    assert len(rows) == 3
    assert "faq-refund~zero_width-1" in rows[0] and "退货-运费~script-1" in rows[1]
    assert "How long do re\\u200bfunds take?" in rows[0]
    assert "\u200b" not in section
    assert "I &lt;b&gt;cannot&lt;/b&gt; help" in rows[0]
    assert "尺码~width-1" in rows[2] and 'class="v-improvement">passed' in rows[2]
    assert not any(tag == "b" for tag, _ in parse(section).tags)


def test_a_chat_variant_shows_its_last_user_message(tmp_path: Path) -> None:
    assert variant_text(CHAT) == "Order 12,\u200b the blue coat"
    assert variant_text("plain") == "plain"
    cases = [
        _case("chat-order", True, question=CHAT),
        _case(
            "chat-order~zero_width-1",
            False,
            question=CHAT,
            variant_of="chat-order",
            perturbation="zero_width",
        ),
    ]
    folder = _write(tmp_path, cases)
    section = _section((folder / "summary.md").read_text(encoding="utf-8"))
    assert "Order 12,\\u200b the blue coat" in section
    assert "Which order?" not in section and "shop's assistant" not in section


def test_variants_that_all_keep_their_verdict_say_none(tmp_path: Path) -> None:
    cases = [case for case in flipping_run() if case.id in ("faq-refund", "faq-refund~typo-1")]
    folder = _write(tmp_path, cases)
    section = _section((folder / "summary.md").read_text(encoding="utf-8"))
    assert "1 variant(s) of 1 case(s): none flips" in section
    assert "| shop |" not in section
    page = write_page(folder, run=load_run(folder)).read_text(encoding="utf-8")
    assert "none flips" in page[page.index('id="robustness"') :]


def test_a_run_without_variants_has_no_robustness_section(tmp_path: Path) -> None:
    cases = [case for case in flipping_run() if not case.variant_of]
    folder = _write(tmp_path, cases)
    assert SECTION_TITLE not in (folder / "summary.md").read_text(encoding="utf-8")
    page = write_page(folder, run=load_run(folder)).read_text(encoding="utf-8")
    assert 'id="robustness"' not in page and "#robustness" not in page
    assert variant_flips(cases) is None


def test_variants_pair_with_their_original_within_their_own_suite() -> None:
    """Two suites may both have a case ``q``: a variant is set against its own suite's."""
    cases = [
        _case("q", True, question="q?", suite="a"),
        _case("q", False, question="q?", suite="b"),
        _case("q~case-1", False, question="Q?", variant_of="q", perturbation="case", suite="a"),
        _case("q~case-1", False, question="Q?", variant_of="q", perturbation="case", suite="b"),
        _case("r~case-1", False, question="R?", variant_of="r", perturbation="case", suite="b"),
    ]
    found = variant_flips(cases)
    assert found is not None
    assert (found.variants, found.originals) == (2, 2)  # r's original did not run
    assert [(flip.suite, flip.variant, flip.blocking) for flip in found.flips] == [
        ("a", "q~case-1", True)
    ]


def test_flips_are_ordered_by_case_and_variant_number() -> None:
    cases = [_case("q", True, question="q?")] + [
        _case(f"q~typo-{n}", False, question="q?", variant_of="q", perturbation="typo")
        for n in (10, 2, 1)
    ]
    found = variant_flips(cases)
    assert found is not None
    assert [flip.variant for flip in found.flips] == ["q~typo-1", "q~typo-2", "q~typo-10"]


def test_a_skipped_variant_or_original_is_no_flip() -> None:
    """A skipped test has no verdict: not a failure of its perturbation."""
    original = _case("q", True, question="q?")
    skipped = replace(
        _case("q~typo-1", False, question="q?", variant_of="q", perturbation="typo"),
        outcome="skipped",
    )
    failing = _case("q~case-1", False, question="Q?", variant_of="q", perturbation="case")
    found = variant_flips([original, skipped, failing])
    assert found is not None and found.variants == 1
    assert [flip.variant for flip in found.flips] == ["q~case-1"]
    assert variant_flips([replace(original, outcome="skipped"), failing]) is None
