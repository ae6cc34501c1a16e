"""Run one step in several processes released together, round after round, as pytest-xdist
workers start together on a fresh machine, and collect what went wrong.

The processes are spawned once and live through every round (spawning per round would spend
the test's time starting interpreters, and spread the starts apart); a barrier releases them
together at the start of each round.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CTX = multiprocessing.get_context("spawn")

Step = Callable[[Path, int, int], str]
"""``step(folder of the round, round number, process number)`` -> a line saying what it saw;
an exception is a failure. Must be a module-level function (it is pickled to the processes)."""


@dataclass(frozen=True)
class Outcome:
    round: int
    process: int
    said: str
    """What the step returned, or the exception it raised as ``Type: message``."""
    failed: bool


def _child(step: Step, root: str, rounds: int, me: int, barrier: Any, results: Any) -> None:
    for number in range(rounds):
        folder = Path(root) / f"round-{number}"
        try:
            barrier.wait(120)
            results.put(Outcome(number, me, step(folder, number, me), failed=False))
        except Exception as exc:
            results.put(Outcome(number, me, f"{type(exc).__name__}: {exc}", failed=True))
            barrier.abort()  # the others stop too, at their next barrier
            return


def run_at_once(step: Step, root: Path, *, processes: int, rounds: int) -> list[Outcome]:
    """Every outcome, in the order they came; stops collecting at the first failure."""
    barrier = CTX.Barrier(processes)
    results = CTX.Queue()
    children = [
        CTX.Process(target=_child, args=(step, str(root), rounds, me, barrier, results))
        for me in range(processes)
    ]
    for child in children:
        child.start()
    outcomes: list[Outcome] = []
    try:
        for _ in range(processes * rounds):
            outcomes.append(results.get(timeout=300))
            if outcomes[-1].failed:
                break
    finally:
        for child in children:
            child.join(30)
            if child.exitcode is None:
                child.kill()
                child.join()
    return outcomes


def first_failure(outcomes: list[Outcome]) -> str:
    """The first failed outcome as a line, or "" when none failed."""
    for o in outcomes:
        if o.failed:
            return f"round {o.round}, process {o.process}: {o.said}"
    return ""
