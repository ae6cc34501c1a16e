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

import openpyxl
from openpyxl.styles import Alignment, Font

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "golden" / "intents.xlsx"
FIXED_TIME = datetime(2025, 1, 1)  # noqa: DTZ001 - a constant, not a clock reading

LABELS = {
    "order_status": "asks where an order is or when it will arrive",
    "refund_request": "wants money back, or asks about a refund",
    "return_item": "wants to send an item back",
    "shipping_time": "asks how long delivery takes or where we deliver, before ordering",
    "change_address": "wants an order delivered to a different address",
    "cancel_order": "wants to cancel an order",
    "payment_issue": "has a problem paying or being charged",
    "product_question": "asks about a product: size, material, colour, stock",
    "complaint": "is unhappy with the service or a product",
    "greeting": "says hello or thanks, with no request",
}

# (id, message, expected label, tags, notes). Tags: "zh" for Chinese messages, "hard" where two
# intents are plausible and the label is the one the team settled on (see notes).
CASES: list[tuple[str, str, str, str, str]] = [
    ("int-order-status-where", "Where is my order? I ordered a lamp last Monday.", "order_status", "", ""),
    ("int-order-status-arrival", "When will my order #48213 arrive?", "order_status", "", ""),
    ("int-order-status-shipped-yet", "Has my order shipped yet?", "order_status", "", ""),
    ("int-order-status-tracking-stuck", "My tracking page hasn't updated in three days. Is my parcel lost?", "order_status", "hard", "worried, but asks where the parcel is: not a complaint"),
    ("int-order-status-zh", "我的订单到哪里了？", "order_status", "zh", ""),
    ("int-refund-not-received", "I returned the chair two weeks ago and still haven't got my money back.", "refund_request", "", ""),
    ("int-refund-broken-vase", "I want a refund for the broken vase.", "refund_request", "", ""),
    ("int-refund-when", "When will my refund be processed?", "refund_request", "", ""),
    ("int-refund-missing-part", "One cushion cover was missing from the set. Can I get my money back for it?", "refund_request", "", ""),
    ("int-refund-zh", "我要退款，钱什么时候退回来？", "refund_request", "zh", ""),
    ("int-return-how", "How do I send back a rug that doesn't fit my living room?", "return_item", "", ""),
    ("int-return-too-short", "The curtains are too short, I'd like to return them.", "return_item", "", ""),
    ("int-return-label", "Can you email me a return label for the mirror?", "return_item", "", ""),
    ("int-return-gift", "I got a vase as a gift and want to return it.", "return_item", "", ""),
    ("int-return-zh", "这个台灯不喜欢，想退货。", "return_item", "zh", ""),
    ("int-shipping-toronto", "How long does delivery take to Toronto?", "shipping_time", "", ""),
    ("int-shipping-by-friday", "If I order today, can I get it by Friday?", "shipping_time", "", ""),
    ("int-shipping-uk", "Do you deliver to the UK, and how long does it take?", "shipping_time", "", ""),
    ("int-shipping-saturday", "Do you deliver on Saturdays?", "shipping_time", "", ""),
    ("int-shipping-zh", "下单后几天能送到？", "shipping_time", "zh", ""),
    ("int-address-moved", "I just moved. Can you send my order to my new address?", "change_address", "", ""),
    ("int-address-typo", "I made a typo in the street name on the order I just placed.", "change_address", "", ""),
    ("int-address-office", "Please deliver to my office at 55 King Street instead of my home.", "change_address", "", ""),
    ("int-address-neighbour", "Can the parcel go to my neighbour at number 14 instead?", "change_address", "", ""),
    ("int-address-zh", "收货地址填错了，能帮我改一下吗？", "change_address", "zh", ""),
    ("int-cancel-changed-mind", "I changed my mind, please cancel my order.", "cancel_order", "", ""),
    ("int-cancel-duplicate", "I accidentally ordered the same sofa twice. Please cancel one of them.", "cancel_order", "", ""),
    ("int-cancel-before-shipping", "Can I still cancel before it ships?", "cancel_order", "", ""),
    ("int-cancel-too-slow", "This is taking forever and I don't want it anymore. Cancel it.", "cancel_order", "hard", "annoyed, but the request is a cancellation: not a complaint"),
    ("int-cancel-zh", "我想取消订单。", "cancel_order", "zh", ""),
    ("int-payment-declined", "My card keeps getting declined at checkout.", "payment_issue", "", ""),
    ("int-payment-charged-twice", "I was charged twice for the same order.", "payment_issue", "hard", "money back is implied, but the problem is the double charge"),
    ("int-payment-paypal-error", "PayPal shows an error when I try to pay.", "payment_issue", "", ""),
    ("int-payment-gift-card", "My gift card code isn't working at checkout.", "payment_issue", "", ""),
    ("int-payment-zh", "付款的时候一直提示支付失败。", "payment_issue", "zh", ""),
    ("int-product-dimensions", "What are the dimensions of the Oslo oak coffee table?", "product_question", "", ""),
    ("int-product-material", "Is the Aria throw blanket made of wool or acrylic?", "product_question", "", ""),
    ("int-product-restock", "Will the linen duvet cover be back in stock soon?", "product_question", "", ""),
    ("int-product-bulb", "Which bulb does the Nova floor lamp take?", "product_question", "", ""),
    ("int-product-dishwasher", "Are the stoneware plates dishwasher safe?", "product_question", "", ""),
    ("int-product-colour-zh", "这款沙发有灰色的吗？", "product_question", "zh", ""),
    ("int-complaint-driver", "Your delivery driver was really rude to me.", "complaint", "", ""),
    ("int-complaint-quality", "The quality of this table is terrible. Very disappointed.", "complaint", "", ""),
    ("int-complaint-hold", "I've been on hold for an hour. This is unacceptable.", "complaint", "", ""),
    ("int-complaint-packaging", "The box arrived soaking wet and the packaging was awful.", "complaint", "", ""),
    ("int-complaint-zh", "你们的服务太差了！", "complaint", "zh", ""),
    ("int-greeting-hello", "Hello!", "greeting", "", ""),
    ("int-greeting-morning", "Good morning, is anyone there?", "greeting", "", ""),
    ("int-greeting-thanks", "Thanks, that's all I needed. Have a nice day!", "greeting", "", ""),
    ("int-greeting-hey", "Hey there", "greeting", "", ""),
    ("int-greeting-zh", "你好", "greeting", "zh", ""),
]

HEADER = ("id", "input", "expected", "tags", "notes")
BLANK_ROW_AFTER = 25  # one empty row in the middle of the sheet: the loader must skip it


def build_workbook() -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    cases = workbook.active
    cases.title = "Cases"
    cases.append(HEADER)
    for number, row in enumerate(CASES, start=1):
        cases.append(row)
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
    ids = [case[0] for case in CASES]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SystemExit(f"duplicate case ids: {duplicates}")
    unknown = sorted({case[2] for case in CASES} - set(LABELS))
    if unknown:
        raise SystemExit(f"labels not in LABELS: {unknown}")
    OUT.write_bytes(reproducible_bytes(build_workbook()))
    print(f"wrote {OUT} ({len(CASES)} cases)")


if __name__ == "__main__":
    main()
