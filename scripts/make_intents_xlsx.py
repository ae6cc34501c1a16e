# Chinese messages use full-width punctuation, as Chinese customers type it.
# ruff: noqa: RUF001
"""Write fixtures/golden/intents.xlsx, the intent-classification demo suite, from the list below.

The spreadsheet is what the suite reads (teams keep golden cases in Excel); this script is its
single source of truth, so a reviewer reads and diffs the cases here. After editing CASES run

    python scripts/make_intents_xlsx.py

and commit both files. The output is byte-for-byte reproducible (fixed timestamps), so an
unchanged list gives an unchanged file. The sheet named "Cases" holds the cases, with one blank
row on purpose (blank rows are ignored by the loader); the sheet "Labels" documents the labels
for people editing the workbook and is not read by releasegate (the manifest holds the labels).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import openpyxl
from openpyxl.styles import Alignment, Font

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "golden" / "intents.xlsx"
FIXED_TIME = datetime(2025, 1, 1)

LABELS = {
    "tracking": "asks where an order is or when it will arrive",
    "refund": "wants money back, or asks about a refund",
    "return": "wants to send an item back",
    "delivery": "asks how long delivery takes or where we deliver, before ordering",
    "address": "wants an order delivered to a different address",
    "cancel": "wants to cancel an order",
    "payment": "has a problem paying or being charged",
    "product": "asks about a product: size, material, colour, stock",
    "complaint": "is unhappy with the service or a product",
    "greeting": "says hello or thanks, with no request",
}


class IntentCase(NamedTuple):
    """One row of the "Cases" sheet."""

    id: str
    label: str
    message: str
    tags: str = ""
    """Space-separated: "zh" (Chinese message), "hard" (two intents plausible; notes say why),
    "critical" (must pass whatever the baseline says)."""
    notes: str = ""


CASES: list[IntentCase] = [
    IntentCase(
        "int-tracking-where", "tracking", "Where is my order? I ordered a lamp last Monday."
    ),
    IntentCase("int-tracking-arrival", "tracking", "When will my order #48213 arrive?"),
    IntentCase("int-tracking-shipped-yet", "tracking", "Has my order shipped yet?"),
    IntentCase(
        "int-tracking-stuck",
        "tracking",
        "My tracking page hasn't updated in three days. Is my parcel lost?",
        tags="hard",
        notes="worried, but asks where the parcel is: not a complaint",
    ),
    IntentCase("int-tracking-zh", "tracking", "我的订单到哪里了？", tags="zh"),
    IntentCase(
        "int-refund-not-received",
        "refund",
        "I returned the chair two weeks ago and still haven't got my money back.",
    ),
    IntentCase(
        "int-refund-broken-vase", "refund", "I want a refund for the broken vase.", tags="critical"
    ),
    IntentCase("int-refund-when", "refund", "When will my refund be processed?"),
    IntentCase(
        "int-refund-missing-part",
        "refund",
        "One cushion cover was missing from the set. Can I get my money back for it?",
    ),
    IntentCase("int-refund-zh", "refund", "我要退款，钱什么时候退回来？", tags="zh"),
    IntentCase(
        "int-return-how", "return", "How do I send back a rug that doesn't fit my living room?"
    ),
    IntentCase(
        "int-return-too-short", "return", "The curtains are too short, I'd like to return them."
    ),
    IntentCase("int-return-label", "return", "Can you email me a return label for the mirror?"),
    IntentCase("int-return-gift", "return", "I got a vase as a gift and want to return it."),
    IntentCase("int-return-zh", "return", "这个台灯不喜欢，想退货。", tags="zh"),
    IntentCase("int-delivery-toronto", "delivery", "How long does delivery take to Toronto?"),
    IntentCase("int-delivery-by-friday", "delivery", "If I order today, can I get it by Friday?"),
    IntentCase(
        "int-delivery-uk", "delivery", "Do you deliver to the UK, and how long does it take?"
    ),
    IntentCase("int-delivery-saturday", "delivery", "Do you deliver on Saturdays?"),
    IntentCase("int-delivery-zh", "delivery", "下单后几天能送到？", tags="zh"),
    IntentCase(
        "int-address-moved", "address", "I just moved. Can you send my order to my new address?"
    ),
    IntentCase(
        "int-address-typo",
        "address",
        "I made a typo in the street name on the order I just placed.",
    ),
    IntentCase(
        "int-address-office",
        "address",
        "Please deliver to my office at 55 King Street instead of my home.",
    ),
    IntentCase(
        "int-address-neighbour",
        "address",
        "Can the parcel go to my neighbour at number 14 instead?",
    ),
    IntentCase("int-address-zh", "address", "收货地址填错了，能帮我改一下吗？", tags="zh"),
    IntentCase("int-cancel-changed-mind", "cancel", "I changed my mind, please cancel my order."),
    IntentCase(
        "int-cancel-duplicate",
        "cancel",
        "I accidentally ordered the same sofa twice. Please cancel one of them.",
    ),
    IntentCase("int-cancel-before-shipping", "cancel", "Can I still cancel before it ships?"),
    IntentCase(
        "int-cancel-too-slow",
        "cancel",
        "This is taking forever and I don't want it anymore. Cancel it.",
        tags="hard",
        notes="annoyed, but the request is a cancellation: not a complaint",
    ),
    IntentCase("int-cancel-zh", "cancel", "我想取消订单。", tags="zh"),
    IntentCase("int-payment-declined", "payment", "My card keeps getting declined at checkout."),
    IntentCase(
        "int-payment-charged-twice",
        "payment",
        "I was charged twice for the same order.",
        tags="hard",
        notes="money back is implied, but the problem is the double charge",
    ),
    IntentCase("int-payment-paypal-error", "payment", "PayPal shows an error when I try to pay."),
    IntentCase("int-payment-gift-card", "payment", "My gift card code isn't working at checkout."),
    IntentCase("int-payment-zh", "payment", "付款的时候一直提示支付失败。", tags="zh"),
    IntentCase(
        "int-product-dimensions", "product", "What are the dimensions of the Oslo oak coffee table?"
    ),
    IntentCase(
        "int-product-material", "product", "Is the Aria throw blanket made of wool or acrylic?"
    ),
    IntentCase(
        "int-product-restock", "product", "Will the linen duvet cover be back in stock soon?"
    ),
    IntentCase("int-product-bulb", "product", "Which bulb does the Nova floor lamp take?"),
    IntentCase("int-product-dishwasher", "product", "Are the stoneware plates dishwasher safe?"),
    IntentCase("int-product-colour-zh", "product", "这款沙发有灰色的吗？", tags="zh"),
    IntentCase(
        "int-complaint-driver",
        "complaint",
        "Your delivery driver was really rude to me.",
        tags="hard",
        notes="mentions delivery, but is a complaint",
    ),
    IntentCase(
        "int-complaint-quality",
        "complaint",
        "The quality of this table is terrible. Very disappointed.",
    ),
    IntentCase(
        "int-complaint-hold", "complaint", "I've been on hold for an hour. This is unacceptable."
    ),
    IntentCase(
        "int-complaint-packaging",
        "complaint",
        "The box arrived soaking wet and the packaging was awful.",
    ),
    IntentCase("int-complaint-zh", "complaint", "你们的服务太差了！", tags="zh"),
    IntentCase("int-greeting-hello", "greeting", "Hello!", tags="critical"),
    IntentCase("int-greeting-morning", "greeting", "Good morning, is anyone there?"),
    IntentCase("int-greeting-thanks", "greeting", "Thanks, that's all I needed. Have a nice day!"),
    IntentCase("int-greeting-hey", "greeting", "Hey there"),
    IntentCase("int-greeting-zh", "greeting", "你好", tags="zh"),
]

HEADER = ("id", "input", "expected", "tags", "notes")
BLANK_ROW_AFTER = 25  # one empty row in the middle of the sheet: the loader must skip it


def build_workbook() -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    cases = workbook.active
    cases.title = "Cases"
    cases.append(HEADER)
    for number, case in enumerate(CASES, start=1):
        cases.append((case.id, case.message, case.label, case.tags, case.notes))
        if number == BLANK_ROW_AFTER:
            cases.append(())
    for cell in cases[1]:
        cell.font = Font(bold=True)
    cases.freeze_panes = "A2"
    for column, width in zip("ABCDE", (34, 70, 18, 10, 60), strict=True):
        cases.column_dimensions[column].width = width

    labels = workbook.create_sheet("Labels")
    labels.append(("label", "meaning"))
    for label, meaning in LABELS.items():
        labels.append((label, meaning))
    labels["A1"].font = labels["B1"].font = Font(bold=True)
    labels.column_dimensions["A"].width = 18
    labels.column_dimensions["B"].width = 70
    for row in labels.iter_rows():
        for cell in row:
            cell.alignment = Alignment(vertical="top")

    workbook.properties.creator = "releasegate"
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    return workbook


def reproducible_bytes(workbook: openpyxl.Workbook) -> bytes:
    """Save, then rewrite the zip with fixed times: openpyxl stamps the clock time on the zip
    entries and on the document's "modified" property whatever the workbook says."""
    raw = io.BytesIO()
    workbook.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    return out.getvalue()


def main() -> None:
    ids = [case.id for case in CASES]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SystemExit(f"duplicate case ids: {duplicates}")
    unknown = sorted({case.label for case in CASES} - set(LABELS))
    if unknown:
        raise SystemExit(f"labels not in LABELS: {unknown}")
    OUT.write_bytes(reproducible_bytes(build_workbook()))
    print(f"wrote {OUT} ({len(CASES)} cases)")


if __name__ == "__main__":
    main()
