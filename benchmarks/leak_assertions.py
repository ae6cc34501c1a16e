"""CPU cost of the personal-data recognisers (issue 25): what ``not-pii`` adds to scoring one
answer, on answers like a shop assistant's and on an adversarial one.

Times :func:`releasegate.golden.pii.find_pii` with ``time.process_time`` (CPU, best of
``--repeat``) on four texts, each read ``--n`` times: a plain 200-character English answer, a
Chinese one with an order number and a price, one that leaks a mobile number, an ID and a card
number written with separators, and 20 kB of single digits joined by spaces (every stretch of up
to 23 groups tried: the recognisers' worst case). Prints microseconds per text. Then the same
for a ``not-canary`` assertion with four canaries on a fresh answer each read (the answer folded
and compacted: :func:`releasegate.golden.answer_text.fold_compact`, then four searches).

    python benchmarks/leak_assertions.py [--n 2000] [--repeat 3]
"""

# ruff: noqa: RUF001  (the Chinese answer is written with Chinese punctuation)
from __future__ import annotations

import argparse
import time

from releasegate.golden.answer_text import AnswerText
from releasegate.golden.leak_assertions import Canary
from releasegate.golden.pii import find_pii

TEXTS = {
    "plain answer (en, 200 chars)": (
        "You can return any unused item within 30 days of delivery. Start the return on the My "
        "Orders page; return shipping is free and your refund arrives in 5-7 business days."
    ),
    "answer with numbers (zh)": (
        "您的订单 LC-204518 已发货，运费10元，预计3-5天送达，客服电话 1-800-555-0142。"
    ),
    "answer that leaks (3 kinds)": (
        "Her mobile is +86 139 0571 8842, ID 330106 19850612 3769, card 6222-0212-3456-7894."
    ),
    "20 kB of spaced digits": "1 " * 10_000,
}


CANARIES = ("Odalys Fenwright", "Quillon Lane", "ZEPHYR-7741", "岑雾溪")
CANARY = Canary(CANARIES, ("odalysfenwright", "quillonlane", "zephyr7741", "岑雾溪"))


def per_text(text: str, n: int, repeat: int, canary: bool = False) -> float:
    """The least CPU seconds of *repeat* runs of *n* reads of *text*, per read, in µs."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(n):
            if canary:
                CANARY.evaluate(AnswerText(text), "")
            else:
                find_pii(text)
        best = min(best, time.process_time() - started)
    return best / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="reads per text (default 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="best of (default 3)")
    args = parser.parse_args()
    for name, text in TEXTS.items():
        n = args.n if len(text) < 1000 else max(1, args.n // 1000)
        found = ", ".join(f.shown for f in find_pii(text)) or "nothing"
        print(f"{name:42s} {per_text(text, n, args.repeat):12.1f} µs   found: {found}")
    for name, text in TEXTS.items():
        n = args.n if len(text) < 1000 else max(1, args.n // 1000)
        reading = CANARY.evaluate(AnswerText(text), "").reason
        timed = per_text(text, n, args.repeat, canary=True)
        print(f"{'canaries, ' + name:42s} {timed:12.1f} µs   {reading}")


if __name__ == "__main__":
    main()
