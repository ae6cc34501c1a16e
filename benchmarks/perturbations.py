# ruff: noqa: RUF001  (the Chinese shop questions use full-width punctuation, as Chinese does)
"""What making robustness variants costs a suite load (issue 25: "generating 3 variants for
10,000 cases at most 2 s").

Builds ``--cases`` golden cases in memory, half English and half Chinese shop questions made
from a few templates (deterministically, so every run times the same texts), and times, in CPU
seconds (``time.process_time``, best of ``--repeat``), ``expand`` of a ``robustness:`` section
with each perturbation alone and with all nine together, ``--variants`` variants each: what
``load_suite`` spends on them. The first run of each is timed too (``cold``): it builds the
OpenCC converters and reads the homophone table, once per process.

    python benchmarks/perturbations.py [--cases 10000] [--variants 3] [--repeat 3] [--only typo]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

import releasegate
from releasegate.golden.cases import GoldenCase
from releasegate.robustness.config import RobustnessSection
from releasegate.robustness.perturbations import PERTURBATIONS

TARGET_SECONDS = 2.0
"""Each perturbation, for 3 variants of 10,000 cases (issue 25)."""

_EN = (
    "How do I return the {product} I bought last week? Order {n}.",
    "Can I get a refund for my {product}, or only store credit?",
    "Where is my parcel? The tracking number is SF{n} and it has not moved.",
    "Is shipping free for a {product} over $49.99?",
    "I was charged twice for order {n}, what should I do?",
    "Can I change the delivery address of order {n} to my office?",
)
_ZH = (
    "我买的{product}怎么退货？订单号是{n}。",
    "{product}坏了，可以换一个新的吗？",
    "快递单号SF{n}三天没有更新了，怎么回事？",
    "退款多久能到账？我是用银行卡付的钱。",
    "订单{n}的收货地址写错了，能改吗？",
    "{product}有发票吗？我要报销。",
)
_PRODUCTS_EN = ("kettle", "phone case", "rice cooker", "pair of shoes", "desk lamp")
_PRODUCTS_ZH = ("电水壶", "手机壳", "电饭煲", "运动鞋", "台灯")


def shop_cases(n: int) -> list[GoldenCase]:
    """*n* cases, English and Chinese in turn, each question unlike its neighbours'."""
    cases = []
    for i in range(n):
        chinese = i % 2 == 1
        templates, products = (_ZH, _PRODUCTS_ZH) if chinese else (_EN, _PRODUCTS_EN)
        text = templates[i // 2 % len(templates)].format(
            product=products[i // 12 % len(products)], n=100000 + i * 7919 % 900000
        )
        cases.append(GoldenCase(suite="bench", id=f"c{i:05d}", input=text, expected="x"))
    return cases


def timed(section: RobustnessSection, cases: Sequence[GoldenCase], repeat: int) -> dict[str, float]:
    """CPU seconds of the first expand (cold) and the best of *repeat*, with what it made."""
    times = []
    made = unchanged = 0
    for _ in range(max(1, repeat)):
        started = time.process_time()
        variants, skipped = section.expand(cases, language="en")
        times.append(time.process_time() - started)
        made, unchanged = len(variants), len(skipped)
    return {
        "cold_s": round(times[0], 3),
        "best_s": round(min(times), 3),
        "variants": made,
        "unchanged": unchanged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--variants", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only",
        action="append",
        choices=list(PERTURBATIONS),
        help="time only this perturbation (again for more; default: each, then all nine)",
    )
    args = parser.parse_args()
    cases = shop_cases(args.cases)
    figures: dict[str, object] = {
        "engine": releasegate.__file__,
        "cases": args.cases,
        "variants_per_case": args.variants,
        "repeat": args.repeat,
        "target_s_per_perturbation": TARGET_SECONDS,
    }
    over = []
    for name in args.only or PERTURBATIONS:
        section = RobustnessSection(perturbations=(name,), variants=args.variants)
        figures[name] = result = timed(section, cases, args.repeat)
        if result["best_s"] > TARGET_SECONDS:
            over.append(name)
    if not args.only:
        together = RobustnessSection(perturbations=tuple(PERTURBATIONS), variants=args.variants)
        figures["all_nine"] = timed(together, cases, args.repeat)
    figures["over_target"] = over
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
