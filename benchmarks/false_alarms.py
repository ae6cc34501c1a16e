"""False-alarm rate of the no-drop gates' paired tests, by simulation.

Nothing changes between baseline and re-run but noise (each item redrawn with some probability
from the same distribution), so every significant result is a false alarm. The rate must be at
most the level (alpha). Prints one line per setting with the rate and its simulation error.

    .venv/bin/python benchmarks/false_alarms.py [--trials 20000]
"""

from __future__ import annotations

import argparse
import math
import time

from releasegate.gate.stats import false_alarm_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20000)
    parser.add_argument("--alpha", type=float, default=0.05)
    args = parser.parse_args()
    settings = [
        ("mcnemar", 100, 0.1),
        ("mcnemar", 300, 0.2),
        ("mcnemar", 1000, 0.05),
        ("bootstrap", 30, 0.3),
        ("bootstrap", 100, 0.3),
        ("bootstrap", 400, 0.3),
    ]
    print(f"alpha {args.alpha}, {args.trials} trials per row")
    for test, items, flip_rate in settings:
        started = time.perf_counter()
        rate = false_alarm_rate(
            test,
            items=items,
            flip_rate=flip_rate,
            alpha=args.alpha,
            trials=args.trials,
            bootstrap_samples=1000,
        )
        error = math.sqrt(max(rate * (1 - rate), 1e-12) / args.trials)
        print(
            f"{test:9} items {items:5} flip rate {flip_rate:4.2f}: false alarms {rate:.4f} "
            f"± {error:.4f} (1 s.e.)  [{time.perf_counter() - started:.1f} s]"
        )


if __name__ == "__main__":
    main()
