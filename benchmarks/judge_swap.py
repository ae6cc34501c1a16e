"""The swap, measured: a real judge (:class:`releasegate.judge.runner.Judge`) against the
scripted judge server on loopback (tests/judge/scripted_judge.py), comparing N pairs of
answers in both orders, then tallied as ``judge_win_rate`` tallies them.

    python benchmarks/judge_swap.py [--pairs 200]

Issue 24's figures: on the scripted always-first judge, position consistency 0 and win rate
0.5 exactly; on a scripted fair judge, consistency 1 (and a first-position pick rate of 0.5
where the better answer is shown first as often as second). :func:`swap_figures` is what
``benchmarks/judge.py`` may call for them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for helpers in (ROOT / "tests", ROOT / "tests" / "judge"):  # the scripted judge and its server
    if str(helpers) not in sys.path:
        sys.path.insert(0, str(helpers))

from judge_project import judged_suite, project_settings  # noqa: E402
from scripted_judge import ScriptedJudge  # noqa: E402

from releasegate.judge.pairwise import tally_pairs  # noqa: E402
from releasegate.judge.runner import judge_for  # noqa: E402
from releasegate.judge.types import PairItem  # noqa: E402

__all__ = ["swap_figures"]


def swap_figures(script: str, pairs: int) -> dict[str, float]:
    """``judge_win_rate``'s details for *pairs* pairs judged by the scripted judge *script*:
    half of them the candidate better (score 5 against 3), half the baseline better, so a fair
    judge's win rate is 0.5 too, by its verdicts, not by ties."""
    better = [f"Refunds take 5 days ({i})." for i in range(pairs)]
    worse = [f"Refunds take a while ({i})." for i in range(pairs)]
    scores = {**dict.fromkeys(better, 5), **dict.fromkeys(worse, 3)}
    items = [
        PairItem(
            f"c{i}",
            f"How long do refunds take ({i})?",
            "Within 5 days.",
            better[i] if i % 2 == 0 else worse[i],
            worse[i] if i % 2 == 0 else better[i],
        )
        for i in range(pairs)
    ]
    scripted = ScriptedJudge(script, scores)
    with tempfile.TemporaryDirectory() as folder, scripted.running() as url:
        root = Path(folder)
        suite = judged_suite(
            root / "golden", f"backend: openai\nbase_url: {url}\nmodel: judge-7b\nmax_retries: 0"
        )
        judge = judge_for(suite, project_settings(root), root=root)
        assert judge is not None
        try:
            judgments = judge.compare(items)
        finally:
            judge.close()
    tally = tally_pairs([item.case_id for item in items], list(judgments))
    return {"win_rate": tally.value, **tally.details()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=200)
    args = parser.parse_args()
    for script in ("always_first", "fair"):
        figures = swap_figures(script, args.pairs)
        print(
            f"{script:<16} pairs {figures['pairs']:.0f}: win rate {figures['win_rate']:.4f}, "
            f"position consistency {figures['position_consistency']:.4f}, first-position pick "
            f"rate {figures.get('first_position_rate', float('nan')):.4f} "
            f"({figures['wins']:.0f} wins, {figures['losses']:.0f} losses, "
            f"{figures['ties']:.0f} ties)"
        )


if __name__ == "__main__":
    main()
