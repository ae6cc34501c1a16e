"""Issue 24's three figures in one sitting, each against its target:

- the swap: on the scripted always-first judge, position consistency 0 and win rate 0.5
  exactly; on a scripted fair judge, consistency 1 (``judge_swap.py``);
- calibration: on the scripted judge whose scores are the reviewers' plus a known noise, kappa
  within its bootstrap interval of the value computed by hand (``judge_calibration.py``);
- the judge's overhead per case on a fully cached re-run (no judge call): within 10 % of the
  same run without a judge, whole pytest runs timed in turn (``judge_rerun.py``).

Each piece has its own script with the details and options; this one prints the verdicts.

    python benchmarks/judge.py [--pairs 200] [--answers 200] [--cases 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os

from judge_calibration import noisy_judge_calibration
from judge_rerun import rerun_overhead
from judge_swap import swap_figures


def _line(name: str, figure: str, target: str, met: bool) -> None:
    print(f"{name:<44} {figure:<40} {target:<34} {'met' if met else 'NOT MET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--answers", type=int, default=200)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    first = swap_figures("always_first", args.pairs)
    fair = swap_figures("fair", args.pairs)
    calibration = noisy_judge_calibration(args.answers)
    overhead = rerun_overhead(args.cases, args.repeat)
    print(f"load average after: {os.getloadavg()[0]:.2f}\n")
    consistency, rate = first["position_consistency"], first["win_rate"]
    _line(
        f"always-first judge, {args.pairs} pairs",
        f"consistency {consistency:.4f}, win rate {rate:.4f}",
        "consistency 0, win rate 0.5 exactly",
        consistency == 0 and rate == 0.5,
    )
    _line(
        f"fair judge, {args.pairs} pairs",
        f"consistency {fair['position_consistency']:.4f}",
        "consistency 1",
        fair["position_consistency"] == 1,
    )
    low, high = calibration["kappa_interval"]
    _line(
        f"noisy judge, {calibration['answers']} answers",
        f"kappa {calibration['kappa']:.4f} [{low:.4f}, {high:.4f}], by hand "
        f"{calibration['kappa_by_hand']:.4f}",
        "by hand within the interval",
        bool(calibration["within_interval"]),
    )
    _line(
        f"cached re-run, {args.cases} cases",
        f"{overhead['plain_wall_ms_per_case']:.3f} -> {overhead['judged_wall_ms_per_case']:.3f}"
        f" ms/case: {overhead['wall_ratio']:.2f}x (CPU {overhead['cpu_ratio']:.2f}x)",
        "at most 1.10x",
        overhead["wall_ratio"] <= 1.10,
    )
    print(f"\nthe judged re-runs: {overhead['judge_line']}")


if __name__ == "__main__":
    main()
