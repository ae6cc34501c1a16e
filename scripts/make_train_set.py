# Chinese rows use full-width punctuation; an English answer is one line, as the model learns it.
# ruff: noqa: RUF001, E501
"""Write fixtures/train/shop_policy.jsonl, the demo fine-tuning set of Lumen & Co's shop policy.

The set teaches the same policy the golden suites test (fixtures/golden/cs_zh.yaml and
shop_faq.yaml), but through other questions: each row asks about a named product, an order
situation or a customer's circumstance that no golden case uses, and words the answer in its own
sentence. It is the training side of the train/eval isolation demo, so it must stay apart from the
golden cases; `releasegate isolation` checks that it does.

The script is deterministic (no randomness): the rows are the product of fixed lists, in a fixed
order. Run it from the repository root and commit the regenerated file with any change here:

    .venv/bin/python scripts/make_train_set.py
"""

from __future__ import annotations

import json
from pathlib import Path

from releasegate.core.atomic import write_text_atomic

OUT = Path("fixtures/train/shop_policy.jsonl")

# Products no golden case names (the golden cases use chairs, vases, lamps, rugs, cushions,
# candle holders and sofas).
ZH_ITEMS = ["书架", "餐桌", "窗帘", "床头柜", "衣柜", "落地镜", "毛毯", "收纳箱", "置物架", "挂钟"]
EN_ITEMS = [
    "bookshelf",
    "dining table",
    "pair of curtains",
    "bedside table",
    "wardrobe",
    "floor mirror",
    "throw blanket",
    "storage box",
    "wall clock",
    "coat rack",
]

# (question template, answer template): {item} is a product from the list above.
ZH_TEMPLATES: list[tuple[str, str]] = [
    (
        "我上周五收到的{item}不太喜欢，现在退回去来得及吗？",
        "如果签收还没超过七天，而且{item}没有使用、包装也完整，就可以申请无理由退货。",
    ),
    (
        "{item}拆了包装但一次都没用过，能不能退？",
        "只要{item}没有使用过，包装保留完整，签收七天以内都能在订单页面发起退货。",
    ),
    (
        "新买的{item}有一处开裂，这种情况算质量问题吗？",
        "开裂属于质量问题。签收十五天以内可以给您免费换一件新的{item}，来回运费都由商城负担。",
    ),
    (
        "快递送来的{item}外箱压坏了，里面也有划痕，我该找谁？",
        "麻烦您在签收两天（48小时）之内拍几张照片发给客服，我们核实后免费给您重新寄一件{item}。",
    ),
    (
        "我只买一个{item}，价格八十多块，要付邮费吗？",
        "单笔订单没到99元的话需要付10元运费，凑够99元就免运费了。",
    ),
    (
        "今天上午下单的{item}，大概什么时候能寄出？",
        "我们会在您付款后的两天之内把{item}寄出，普通快递一般三到五天能送到。",
    ),
    (
        "{item}能不能走顺丰，明天就送到？",
        "可以选顺丰次日达，需要在当天下午两点以前下单，另外多付20元。",
    ),
    (
        "我人在澳门，下单的{item}能送过来吗？",
        "很抱歉，目前只发中国大陆地区，澳门、香港、台湾和海外地址都还不能配送。",
    ),
    (
        "我的{item}现在运到哪儿了，在哪能看到？",
        "打开“我的订单”，点进这笔订单就能看到{item}的物流进度；寄出时我们也会发短信告诉您快递单号。",
    ),
    (
        "{item}的订单地址填错了小区名，还没发货，能自己改吗？",
        "还没发货的话，您在“我的订单”里就能直接改收货地址；如果已经寄出，请找客服帮忙处理。",
    ),
    (
        "不想要这个{item}了，订单还没发出，怎么撤销？",
        "订单没发货之前可以在“我的订单”里直接取消，付的钱会按原来的支付方式退回。",
    ),
    (
        "买{item}能用银联信用卡付吗？",
        "可以，银联卡、支付宝和微信支付都能用，还可以选择花呗分期。",
    ),
    (
        "刚买的{item}三天后就便宜了五十块，能补给我吗？",
        "买后七天以内降价的，可以在订单里申请退还差价。",
    ),
    (
        "买{item}的电子发票要去哪里开？",
        "进入这笔订单的订单详情页，就可以申请开具电子发票。",
    ),
    (
        "这次买{item}花了200元，能攒多少积分？",
        "每花1元得1积分，这一单能攒200分；每100积分下次可以当5元用。",
    ),
]

EN_TEMPLATES: list[tuple[str, str]] = [
    (
        "I got my {item} ten days ago and changed my mind. Can I still send it back?",
        "Yes. Returns are accepted for 30 days after delivery, as long as the {item} is unused and still in its original packaging.",
    ),
    (
        "What's the process for sending back a {item} I no longer want?",
        "Open the order on the My Orders page and start a return there; the return label costs you nothing.",
    ),
    (
        "The {item} I bought was in the clearance section as Final Sale. Could I return it anyway?",
        "Unfortunately not. Anything sold as Final Sale is not eligible for a return.",
    ),
    (
        "The {item} showed up with a cracked corner. What happens now?",
        "Please email a picture of the damage within 48 hours of delivery and we will ship you a new {item} at no cost.",
    ),
    (
        "My basket is just one {item} at $42. Will I be charged for delivery?",
        "Orders under $50 have a $4.95 shipping fee; once your basket is over $50, shipping is free.",
    ),
    (
        "Is there a faster option than standard shipping for my {item}?",
        "Express delivery costs $12.95 and arrives the next business day when you order before 2pm, Monday to Friday.",
    ),
    (
        "I live in Toronto. Can you send a {item} there, and how long would it take?",
        "Yes, we deliver to Canada. It takes 7-14 business days, and any customs duties are paid by you.",
    ),
    (
        "Could you ship my {item} to an address in Germany?",
        "Sorry, we can only deliver within the US, Canada and the UK.",
    ),
    (
        "My {item} shipped yesterday. How do I follow the delivery?",
        "Use the tracking number in your shipping email, or check the order on the My Orders page.",
    ),
    (
        "I ordered a {item} ten minutes ago with the wrong street number. Can I fix it?",
        "Yes, you can change the address yourself on the My Orders page within one hour of ordering.",
    ),
    (
        "Can I pay for a {item} with Apple Pay or a Lumen gift card?",
        "Both work. We take Visa, Mastercard, American Express, PayPal, Apple Pay and Lumen gift cards, all in US dollars.",
    ),
    (
        "The {item} I bought nine days ago is now on sale. Do I lose out?",
        "You're covered: when a price falls in the first 14 days after you buy, we pay back what you overpaid.",
    ),
    (
        "How long is the {item} covered if something breaks from normal use?",
        "Furniture and lighting come with a two-year warranty.",
    ),
    (
        "Can I try the {item} in person at one of your shops first?",
        "We don't have physical shops; Lumen & Co sells online only.",
    ),
    (
        "I'm buying a {item} for $120. How many reward points will that give me?",
        "You earn one Lumen Rewards point per dollar, so 120 points, which is worth $6 off a later order.",
    ),
]


def rows() -> list[dict[str, list[dict[str, str]]]]:
    """Every (template, product) pair once, alternating Chinese and English, in a fixed order."""
    out: list[dict[str, list[dict[str, str]]]] = []
    for index in range(max(len(ZH_TEMPLATES), len(EN_TEMPLATES))):
        for templates, items in ((ZH_TEMPLATES, ZH_ITEMS), (EN_TEMPLATES, EN_ITEMS)):
            if index >= len(templates):
                continue
            question, answer = templates[index]
            # Seven products per template, starting at a different product each time, so 210 rows.
            for offset in range(7):
                item = items[(index + offset) % len(items)]
                out.append(
                    {
                        "messages": [
                            {"role": "user", "content": question.format(item=item)},
                            {"role": "assistant", "content": answer.format(item=item)},
                        ]
                    }
                )
    return out


def main() -> None:
    """Write the file (one JSON object a line, UTF-8, Chinese unescaped so it reads in a diff)."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows())
    write_text_atomic(OUT, text)
    print(f"wrote {OUT} ({text.count(chr(10))} rows)")


if __name__ == "__main__":
    main()
