"""The demo suites' must-nots (issue 23), on the real manifests and case files of fixtures/golden.

Each must-not a support team wrote for shop_faq and cs_zh must fire on a realistic bad answer
(one that spells the forbidden thing in full-width letters, with a zero-width space or in
traditional characters included: a must-not that misses them passes a release it should block)
and pass on the good answers, the case's own reference answer first. Each suite has exactly one
critical assertion, and it passes on every answer the default model gave when its baseline was
recorded: a critical failure fails the release whatever the baseline says.

The examples of docs/golden-files.md are loaded too (the case in JSONL, manifest, CSV and XLSX
form; the groups example; every documented refusal message), so the docs say what the code does.
"""

# Full-width letters, digits and Chinese punctuation are the very data these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
import yaml

from releasegate.exceptions import GoldenFileError
from releasegate.gate.judging import score_case
from releasegate.golden.assertion_tree import AssertedCheck, AssertionNode
from releasegate.golden.check_protocol import AssertionOutcome, CheckResult
from releasegate.golden.suites import Suite, discover_suites

ROOT = Path(__file__).resolve().parents[2]
DEMO = ("shop_faq", "cs_zh")

SUITE_WIDE = {
    "shop_faq": (
        "no competitor named",
        "no cash on delivery promised",
        "no invented phone number",
        "at most 200 characters",
    ),
    "cs_zh": ("不提及竞争对手", "不承诺货到付款", "不编造电话号码", "不超过50字"),
}
CRITICAL = {"shop_faq": "no competitor named", "cs_zh": "不提及竞争对手"}


@pytest.fixture(scope="module")
def demo() -> dict[str, Suite]:
    suites = discover_suites(
        ROOT / "fixtures" / "golden", schemas_dir=ROOT / "fixtures" / "schemas", only=DEMO
    )
    return {suite.name: suite for suite in suites}


def judged(suite: Suite, case_id: str, answer: str) -> CheckResult:
    case = suite.case(case_id)  # a robustness variant too
    return score_case(suite, case, answer).result


def outcome_of(result: CheckResult, name: str) -> AssertionOutcome:
    found = [outcome for outcome in result.assertions if outcome.name == name]
    assert len(found) == 1, [outcome.name for outcome in result.assertions]
    return found[0]


def critical_nodes(node: AssertionNode) -> list[AssertionNode]:
    below = [found for child in node.children for found in critical_nodes(child)]
    return [node, *below] if node.critical else below


def test_demo_suites_load_with_their_must_nots_on_every_case(demo: dict[str, Suite]) -> None:
    assert sorted(demo) == sorted(DEMO)
    for name, suite in demo.items():
        assert set(SUITE_WIDE[name]) <= set(suite.assertion_names)
        for case in suite.cases:
            check = suite.check_for(case)
            assert isinstance(check, AssertedCheck), case.id
            assert check.base is not None, case.id  # the case's own check still judges it
            carried = [child.name for child in check.root.children]
            assert carried[: len(SUITE_WIDE[name])] == list(SUITE_WIDE[name]), case.id


def test_case_files_add_their_own_must_nots(demo: dict[str, Suite]) -> None:
    """shop_faq.jsonl writes them as `assert` lists, cs_zh.csv as spreadsheet columns."""
    shop, zh = demo["shop_faq"], demo["cs_zh"]
    assert {
        "no return of a Final Sale item promised",
        "no delivery to Australia promised",
        "no gift card expiry invented",
        "no Sunday opening promised",
        "no store invented",
    } <= set(shop.assertion_names)
    assert {"不承诺政策外的退货或配送", "加急不免费", "是非题简短作答"} <= set(zh.assertion_names)
    (late,) = [case for case in zh.cases if case.id == "zh-return-late"]
    assert late.assertions is not None
    assert [item["type"] for item in late.assertions] == ["not-regex"]


@pytest.mark.parametrize("name", DEMO)
def test_each_demo_suite_has_exactly_one_critical_assertion(
    demo: dict[str, Suite], name: str
) -> None:
    suite = demo[name]
    critical: dict[str, str] = {}
    for case in suite.cases:
        check = suite.check_for(case)
        assert isinstance(check, AssertedCheck)
        for node in critical_nodes(check.root):
            critical[node.name] = node.type
    assert critical == {CRITICAL[name]: "not-mentions"}


# (suite, case, assertion, realistic bad answers): each answer must fail that assertion.
MUST_NOTS = [
    (
        "shop_faq",
        "faq-payment-methods",
        "no competitor named",
        [
            "We accept Visa and PayPal. For cash, try Ａｍａｚｏｎ.",
            "You can also buy our lamps on e\u200bBay.",
            "Our sofas are cheaper on Wayfair.",
            "我们接受Visa，也可以去亞馬遜购买。",
        ],
    ),
    (
        "shop_faq",
        "faq-payment-cash-on-delivery",
        "no cash on delivery promised",
        [
            "Yes, you can pay cash on delivery.",
            "Sure, we accept payment on delivery for orders under $500.",
            "Ｙｅｓ, ｙｏｕ ｃａｎ ｐａｙ ｏｎ ｄｅｌｉｖｅｒｙ.",
            "Cash on delivery is available in the US.",
        ],
    ),
    (
        "shop_faq",
        "faq-support-phone",
        "no invented phone number",
        [
            "Call us on 1-800-555-0199.",
            "Our number is (312) 555-0187.",
            "Phone +44 20 7946 0958 from the UK.",
            "Call １-８００-５５５-０１９９.",
        ],
    ),
    (
        "shop_faq",
        "faq-returns-window",
        "at most 200 characters",
        [
            "You have 30 days from delivery to return an item. Items must be unused and in their "
            "original packaging. Start the return on the My Orders page; return shipping is free "
            "and we refund you within 5-7 business days of receiving it."
        ],
    ),
    (
        "shop_faq",
        "faq-returns-final-sale",
        "no return of a Final Sale item promised",
        ["Yes, you can return it within 30 days.", "You can still return it if it is unused."],
    ),
    (
        "shop_faq",
        "faq-shipping-australia",
        "no delivery to Australia promised",
        ["Yes, we ship to Australia.", "We do ship to Australia in 7-14 business days."],
    ),
    (
        "shop_faq",
        "faq-giftcard-expiry",
        "no gift card expiry invented",
        ["Yes, gift cards do expire.", "A gift card expires after 12 months."],
    ),
    (
        "shop_faq",
        "faq-support-sunday",
        "no Sunday opening promised",
        ["Yes, from 9:00 to 18:00.", "Support is open on Sundays until noon."],
    ),
    (
        "shop_faq",
        "faq-physical-store",
        "no store invented",
        ["Yes! Visit our store on Michigan Avenue.", "You can come by the showroom downtown."],
    ),
    (
        "cs_zh",
        "zh-payment-methods",
        "不提及竞争对手",
        ["支持支付宝和微信支付，也可以去淘寶下单。", "京東上也有卖。", "拼多多更便宜哦。"],
    ),
    (
        "cs_zh",
        "zh-payment-cash-on-delivery",
        "不承诺货到付款",
        [
            "您可以選擇貨到付款。",
            "可以货到付款。",
            "支持货到付款，签收时付钱。",
            "货到付款也可以。",
        ],
    ),
    (
        "cs_zh",
        "zh-support-hotline",
        "不编造电话号码",
        [
            "客服热线是400-888-0188。",
            "请拨打13800138000。",
            "请拨打 138 0013 8000。",
            "请拨打１３８００１３８０００。",
            "客服电话是123-456-7890。",
            "请致电021-62345678。",
        ],
    ),
    (
        "cs_zh",
        "zh-return-window",
        "不超过50字",
        [
            "签收后7天内可以无理由退货，商品需未使用、包装完好。请在“我的订单”页面申请退货，"
            "仓库收到退货后3-5个工作日内原路退款，如有疑问请联系客服。"
        ],
    ),
    (
        "cs_zh",
        "zh-return-late",
        "不承诺政策外的退货或配送",
        ["可以無理由退貨。", "还可以退，请在“我的订单”页面申请。"],
    ),
    (
        "cs_zh",
        "zh-shipping-hong-kong",
        "不承诺政策外的退货或配送",
        ["可以寄到香港，运费10元。", "可以配送到港澳台。"],
    ),
    ("cs_zh", "zh-express-fee", "加急不免费", ["顺丰加急免費。", "顺丰次日达是免费的。"]),
    ("cs_zh", "zh-payment-huabei", "是非题简短作答", ["可以的，" + "花呗分期" * 8 + "。"]),
]

# Good answers besides the case's reference answer: must-nots must not fire on them.
GOOD = {
    ("shop_faq", "faq-payment-methods"): [
        "We accept Visa, Mastercard, American Express, PayPal, Apple Pay or a Lumen gift card."
    ],
    ("shop_faq", "faq-payment-cash-on-delivery"): [
        "No, we don't accept cash on delivery; pay by card or PayPal.",
        "Sorry, we cannot accept pay on delivery.",
        "We don\u2019t offer cash on delivery.",
        "No. Cash on delivery is not available.",
    ],
    ("shop_faq", "faq-support-phone"): [
        "Call 1-800-555-0142, 9:00-18:00 Monday to Saturday.",
        "Our number is (800) 555-0142.",
        "Call +1 800 555 0142.",
    ],
    ("shop_faq", "faq-returns-window"): ["30 days from delivery, unused and in the box."],
    ("shop_faq", "faq-giftcard-expiry"): ["No, gift cards never expire.", "They do not expire."],
    ("shop_faq", "faq-support-sunday"): [
        "No, support is not open on Sunday.",
        "No, we are closed on Sunday.",
        "Sure: support is closed on Sunday, open 9:00-18:00 Monday to Saturday.",
    ],
    ("shop_faq", "faq-physical-store"): [
        "No, Lumen & Co is online only.",
        "No, but you can visit our shop online at lumenandco.com.",
    ],
    ("cs_zh", "zh-payment-cash-on-delivery"): [
        "不支持货到付款，可以用支付宝或微信支付。",
        "暂不支持货到付款。",
        "不可以货到付款。",
    ],
    ("cs_zh", "zh-support-hotline"): ["客服热线：400-888-0123，周一至周六9:00-18:00。"],
    ("cs_zh", "zh-return-late"): ["不可以无理由退货了：需要在签收后7天内申请。"],
    ("cs_zh", "zh-shipping-hong-kong"): ["可以寄到香港吗？暂不支持，只配送中国大陆。"],
}


def _must_not_cases() -> list[tuple[str, str, str, str]]:
    return [
        (suite, case, name, answer)
        for suite, case, name, answers in MUST_NOTS
        for answer in answers
    ]


@pytest.mark.parametrize(("suite_name", "case_id", "name", "answer"), _must_not_cases())
def test_each_must_not_fires_on_a_realistic_bad_answer(
    demo: dict[str, Suite], suite_name: str, case_id: str, name: str, answer: str
) -> None:
    result = judged(demo[suite_name], case_id, answer)
    outcome = outcome_of(result, name)
    assert outcome.outcome == "fail", outcome
    if outcome.weight > 0:
        assert not result.passed
    if name == CRITICAL[suite_name]:
        assert result.reason.startswith(f"critical {name} failed"), result.reason


@pytest.mark.parametrize(("suite_name", "case_id", "name"), [(s, c, n) for s, c, n, _ in MUST_NOTS])
def test_each_must_not_passes_on_the_good_answers(
    demo: dict[str, Suite], suite_name: str, case_id: str, name: str
) -> None:
    suite = demo[suite_name]
    (case,) = [case for case in suite.cases if case.id == case_id]
    good = list(GOOD.get((suite_name, case_id), []))
    if isinstance(case.expected, str):
        good.insert(0, case.expected)
    assert good, "a must-not is tested on at least one good answer"
    for answer in good:
        outcome = outcome_of(judged(suite, case_id, answer), name)
        assert outcome.outcome == "pass", (answer, outcome)


@pytest.mark.parametrize("name", DEMO)
def test_every_reference_answer_passes_every_assertion(demo: dict[str, Suite], name: str) -> None:
    """A reference answer is what the team would ship: no must-not of theirs may fire on it."""
    suite = demo[name]
    checked = 0
    for case in suite.cases:
        if not isinstance(case.expected, str) or case.expected in ("yes", "no"):
            continue
        result = judged(suite, case.id, case.expected)
        failed = [o for o in result.assertions if o.type != "check" and o.outcome != "pass"]
        assert failed == [], case.id
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("name", DEMO)
def test_the_critical_assertion_passes_on_every_recorded_answer_of_the_default_model(
    demo: dict[str, Suite], name: str
) -> None:
    """The answers in the stored baseline are the default model's (greedy, so they are what it
    answers today): the critical must-not must not fail the release on any of them."""
    suite = demo[name]
    recorded = json.loads((ROOT / "fixtures" / "baselines" / f"{name}.json").read_text("utf-8"))
    answers = {case_id: entry["answer"] for case_id, entry in recorded["cases"].items()}
    assert len(answers) == len(suite.test_cases)  # the robustness variants too
    for case in suite.test_cases:
        result = judged(suite, case.id, answers[case.id])
        assert outcome_of(result, CRITICAL[name]).outcome == "pass", (case.id, answers[case.id])


def docs_examples() -> list[str]:
    """The code blocks of docs/golden-files.md's "One case in three formats", in order."""
    text = (ROOT / "docs" / "golden-files.md").read_text("utf-8")
    section = text.split("### One case in three formats", 1)[1].split("\n### ", 1)[0]
    return [body for _, body in re.findall(r"```(\w*)\n(.*?)```", section, re.DOTALL)]


def test_the_docs_example_case_loads_alike_in_all_three_formats(tmp_path: Path) -> None:
    alone, manifest, row, sheet = docs_examples()
    suite_wide = yaml.safe_load(manifest)
    formats = {
        "jsonl": ({"cases": "faq.jsonl", "check": suite_wide["check"]}, alone.replace("\n", "")),
        "manifest": (suite_wide, row),
        "spreadsheet": ({**suite_wide, "cases": "faq.csv"}, sheet),
        "workbook": ({**suite_wide, "cases": "faq.xlsx"}, sheet),
    }
    suites = {}
    for name, (document, cases) in formats.items():
        folder = tmp_path / name
        folder.mkdir()
        if name == "workbook":  # the same rows typed into an Excel sheet
            workbook = openpyxl.Workbook()
            for line in csv.reader(io.StringIO(cases)):
                workbook.active.append([cell or None for cell in line])
            workbook.save(folder / document["cases"])
        else:
            (folder / document["cases"]).write_text(cases, "utf-8")
        (folder / "faq.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
        (suites[name],) = discover_suites(folder, schemas_dir=folder)
    answers = [
        "No, we do not accept cash on delivery; pay by card or PayPal.",
        "Yes, you can pay cash on delivery.",
        "We take cards only, or try Ａｍａｚｏｎ.",
        "Pay by card. " * 20,
        "No.",
    ]
    for answer in answers:
        seen = {
            name: [
                (o.name, o.outcome, o.critical) for o in judged(suite, "faq-cod", answer).assertions
            ]
            for name, suite in suites.items()
        }
        assert seen["jsonl"] == seen["manifest"] == seen["spreadsheet"] == seen["workbook"], answer
        assert len(seen["jsonl"]) == 5  # the check and four assertions
    warranty = judged(suites["spreadsheet"], "faq-warranty", "A lifetime warranty, 2 years.")
    assert [(o.name, o.outcome, o.critical) for o in warranty.assertions[-2:]] == [
        ("not-contains 'lifetime'", "fail", True),
        ("not-contains '10 years'", "pass", True),
    ]
    assert warranty.reason.startswith("critical not-contains 'lifetime' failed")


@pytest.mark.parametrize("name", DEMO)
def test_recorded_answers_keep_their_verdict_where_the_case_is_tagged_critical(
    demo: dict[str, Suite], name: str
) -> None:
    """A case tagged critical must pass whatever the baseline says: the must-nots may not fail
    a critical case on an answer that passed it when the baseline was recorded (shop_faq's
    faq-tracking-where answers right in 217 characters: the length bound is reported only)."""
    suite = demo[name]
    recorded = json.loads((ROOT / "fixtures" / "baselines" / f"{name}.json").read_text("utf-8"))
    critical = [case for case in suite.cases if case.critical]
    assert critical
    for case in critical:
        entry = recorded["cases"][case.id]
        result = judged(suite, case.id, entry["answer"])
        assert result.passed == (entry["outcome"] == "passed"), (case.id, result.reason)


@pytest.mark.parametrize(
    ("suite_name", "case_id", "name", "answer"),
    [
        (
            "shop_faq",
            "faq-tracking-where",
            "at most 200 characters",
            'You can track your order on the "My Orders" page. You can also track your order on '
            "the website, which is located at the bottom of the website page. You can also track "
            "your order on the website using a tracking number.",
        ),
        ("cs_zh", "zh-tracking-number", "不超过50字", "发货后会短信通知快递单号。" * 5),
    ],
)
def test_the_length_bound_is_reported_without_failing_a_right_answer(
    demo: dict[str, Suite], suite_name: str, case_id: str, name: str, answer: str
) -> None:
    result = judged(demo[suite_name], case_id, answer)
    outcome = outcome_of(result, name)
    assert (outcome.outcome, outcome.weight) == ("fail", 0.0)
    assert result.passed, result.reason


def test_a_regex_cell_splits_on_new_lines_only(tmp_path: Path) -> None:
    """An Excel cell of two patterns typed with Alt+Enter is two must-nots; the | inside each
    stays the pattern's own "or"."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "input", "expected", "must_not_match:no promise"])
    workbook.active.append(
        ["faq-1", "Can I pay cash on delivery?", "No.", "\\b(can|may) pay cash\n货到付款|到付"]
    )
    workbook.save(tmp_path / "faq.xlsx")
    (tmp_path / "faq.yaml").write_text("cases: faq.xlsx\ncheck: normalized\n", "utf-8")
    (suite,) = discover_suites(tmp_path, schemas_dir=tmp_path)
    result = judged(suite, "faq-1", "No. 可以到付。")
    assert [(o.name, o.type, o.outcome) for o in result.assertions[1:]] == [
        ("no promise", "not-regex", "pass"),
        ("no promise #2", "not-regex", "fail"),
    ]


def docs_refusals() -> list[str]:
    """The example messages of docs/golden-files.md's "Bad assertions are refused ..."."""
    text = (ROOT / "docs" / "golden-files.md").read_text("utf-8")
    section = text.split("### Bad assertions are refused when the suite loads", 1)[1]
    (block,) = re.findall(r"```\n(.*?)```", section.split("\n## ", 1)[0], re.DOTALL)
    return block.splitlines()


def _faq(assertion: dict[str, object]) -> str:
    return json.dumps(
        {
            "id": "faq-1",
            "input": "Can I pay cash on delivery?",
            "expected": ["no"],
            "assert": [assertion],
        }
    )


_HEADER = "id,input,expected,must_not_contain,must_not_match,max_chars,critical\n"
# What each documented message is the refusal of, in the docs' order: (file name, its text,
# the manifest's extra keys).
REFUSED: list[tuple[str, str, dict[str, object]]] = [
    (
        "faq.jsonl",
        '{"id": "q1", "input": "x?", "expected": ["a"]}\n'
        + _faq({"type": "not-contain", "value": "cash on delivery"}),
        {},
    ),
    ("faq.jsonl", _faq({"type": "length", "max": 200, "not": True}), {}),
    (
        "faq.jsonl",
        _faq(
            {
                "at_least": {
                    "n": 3,
                    "of": [
                        {"type": "contains", "value": "card"},
                        {"type": "contains", "value": "PayPal"},
                    ],
                }
            }
        ),
        {},
    ),
    ("faq.jsonl", _faq({"type": "not-regex", "value": "(cash|pay on delivery"}), {}),
    ("faq.jsonl", _faq({"type": "length", "max": "two hundred"}), {}),
    ("faq.jsonl", _faq({"type": "not-contains", "value": "cash", "not": True}), {}),
    ("faq.jsonl", _faq({"type": "not-contains", "value": ["cash on delivery", "COD"]}), {}),
    (
        "faq.jsonl",
        _faq({"type": "contains", "value": "no"}),
        {
            "assert": [{"type": "not-mentions", "value": "rivals"}],
            "entities": {"competitors": {"Amazon": ["亚马逊"]}},
        },
    ),
    (
        "faq.csv",
        "id,input,expected,must_not_contain:\nfaq-1,Can I pay cash on delivery?,no,COD\n",
        {},
    ),
    (
        "faq.csv",
        "id,input,expected,must_not_contain,\nfaq-1,Can I pay cash on delivery?,no,x,COD\n",
        {},
    ),
    ("faq.csv", _HEADER + "faq-1,Can I pay cash on delivery?,no,COD,,about 200,\n", {}),
    ("faq.csv", _HEADER + "faq-1,Can I pay cash on delivery?,no,COD,,200,Amazon\n", {}),
]


def test_the_documented_refusals_are_the_real_messages(tmp_path: Path) -> None:
    documented = docs_refusals()
    assert len(documented) == len(REFUSED)
    for index, ((name, text, extra), message) in enumerate(zip(REFUSED, documented, strict=True)):
        folder = tmp_path / str(index) / "fixtures" / "golden"
        folder.mkdir(parents=True)
        (folder / name).write_text(text, "utf-8")
        manifest = {"cases": name, "check": {"name": "contains", "mode": "any"}, **extra}
        (folder / "faq.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), "utf-8")
        with pytest.raises(GoldenFileError) as info:
            discover_suites(folder, schemas_dir=folder)
        where, _, _ = message.partition(", ")
        assert where == f"fixtures/golden/{'faq.yaml' if extra else name}"
        assert str(info.value) == f"{tmp_path / str(index) / where}{message.removeprefix(where)}"


def test_the_docs_group_example_judges_as_it_says(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "golden-files.md").read_text("utf-8")
    section = text.split("**Groups.**", 1)[1]
    (example,) = re.findall(r"```yaml\n(.*?)```", section.split("\n### ", 1)[0], re.DOTALL)
    manifest = {"cases": "faq.jsonl", "check": "contains", **yaml.safe_load(example)}
    (tmp_path / "faq.yaml").write_text(yaml.safe_dump(manifest), "utf-8")
    case = {"id": "faq-damaged", "input": "My vase arrived broken.", "expected": ["photo"]}
    (tmp_path / "faq.jsonl").write_text(json.dumps(case) + "\n", "utf-8")
    (suite,) = discover_suites(tmp_path, schemas_dir=tmp_path)
    good = judged(suite, "faq-damaged", "Send a photo on My Orders within 48 hours.")
    assert good.passed, good.reason
    short = judged(suite, "faq-damaged", "Send us a photo on My Orders.")
    assert outcome_of(short, "two of the three facts").outcome == "fail"
    assert short.reason.startswith("two of the three facts: 1 of 3 passed")
    declined = judged(suite, "faq-damaged", "I can't help, but a photo in 48 hours on My Orders.")
    assert outcome_of(declined, "does not refuse").outcome == "fail"
    assert declined.passed  # weight 0: reported only
