"""A scripted judge: an OpenAI-compatible server on loopback (tests/fake_openai.py's FakeServer)
that judges by a script, for the tests that need a judge whose behaviour is known.

Why a fake: no real model has a known bias. Position bias, a judge that always picks the first
answer, output that cannot be parsed, a judge slower than its time-out, a judge whose scores are
the reviewers' plus a known noise: each is a fault or a property a test must be able to set
exactly, and to check the swap, the unscored bar and calibration against. The real path end to
end (a real model judging) is tested with the default model judging itself
(test_judge_real_model.py).

The judge reads the prompt the way a model would: the answer (or answers A and B) between the
shipped templates' markers (``[Answer]`` ... ``[End of answer]``, or the Chinese ones), in the
last user message of the chat request. Scripts:

- ``fair``: the answer's score from :attr:`ScriptedJudge.scores` (:attr:`default` otherwise) for
  every criterion; pairwise, the better-scored answer whatever the order, a tie when equal;
- ``always_first``: pointwise as ``fair``; pairwise always ``A``;
- ``position_biased``: pairwise ``A`` unless B scores at least :attr:`bias` more;
- ``unparseable``: prose with no score or winner;
- ``slow``: ``fair``, after :attr:`delay` seconds;
- ``noisy``: the answer's score plus :meth:`noise_for` it (a known offset, seeded), clipped to
  the scale: a judge whose agreement with the reviewers is known in advance;
- ``junk``: an HTML page instead of a completion.

Answers in :attr:`fail_on` are answered HTTP 500 (a partial failure); answers in
:attr:`slow_on` after :attr:`delay` seconds (one slow verdict among fast ones).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from fake_openai import FakeServer, Received, Reply

__all__ = ["SCRIPTS", "ScriptedJudge", "answers_in"]

SCRIPTS = ("fair", "always_first", "position_biased", "unparseable", "slow", "noisy", "junk")

_ONE = re.compile(r"(?:\[Answer\]|【回答】)\n(.*?)\n(?:\[End of answer\]|【回答结束】)", re.S)
_PAIR = {
    side: re.compile(
        rf"(?:\[Answer {side}\]|【回答 {side}】)\n(.*?)\n"
        rf"(?:\[End of answer {side}\]|【回答 {side} 结束】)",
        re.S,
    )
    for side in "AB"
}


def answers_in(prompt: str) -> tuple[str, ...]:
    """The answer a pointwise prompt shows (one), or the answers A and B of a pairwise one."""
    a, b = _PAIR["A"].search(prompt), _PAIR["B"].search(prompt)
    if a and b:
        return a[1], b[1]
    one = _ONE.search(prompt)
    if one is None:
        raise AssertionError(f"the scripted judge finds no answer in the prompt:\n{prompt}")
    return (one[1],)


@dataclass
class ScriptedJudge:
    """The script and its table; :meth:`running` serves it."""

    script: str = "fair"
    scores: Mapping[str, int] = field(default_factory=dict)
    """An answer's true score (the reviewers' in calibration tests), by its exact text."""
    default: int = 3
    criteria: tuple[str, ...] = ("overall",)
    scale: tuple[int, int] = (1, 5)
    seed: int = 0
    """``noisy``: picks each answer's offset."""
    delay: float = 0.0
    bias: int = 2
    fail_on: frozenset[str] = frozenset()
    slow_on: frozenset[str] = frozenset()
    """Answers whose verdict comes after :attr:`delay` seconds whatever the script."""
    server: FakeServer | None = None

    def __post_init__(self) -> None:
        if self.script not in SCRIPTS:
            raise ValueError(f"unknown script {self.script!r}; one of {SCRIPTS}")

    def score_for(self, answer: str) -> int:
        """What this judge scores *answer* (every criterion)."""
        score = self.scores.get(answer, self.default)
        if self.script == "noisy":
            low, high = self.scale
            score = min(high, max(low, score + self.noise_for(answer)))
        return score

    def noise_for(self, answer: str) -> int:
        """The ``noisy`` judge's offset for *answer*: -1, 0, 0 or +1, fixed by the seed."""
        digest = hashlib.sha256(f"{self.seed}\n{answer}".encode()).digest()
        return (-1, 0, 0, 1)[digest[0] % 4]

    def verdict(self, prompt: str) -> str:
        """What the judge writes for *prompt*."""
        answers = answers_in(prompt)
        if self.script == "unparseable":
            return "Both answers have merit, and I would rather not commit to a number."
        if len(answers) == 1:
            score = self.score_for(answers[0])
            return json.dumps(
                {"scores": dict.fromkeys(self.criteria, score), "reason": f"scripted {score}"}
            )
        a, b = (self.score_for(answer) for answer in answers)
        if self.script == "always_first":
            winner = "A"
        elif self.script == "position_biased":
            winner = "B" if b - a >= self.bias else "A"
        else:
            winner = "A" if a > b else "B" if b > a else "tie"
        return f"Answer A scores {a}, answer B {b}.\n" + json.dumps(
            {"winner": winner, "reason": f"scripted {a} vs {b}"}
        )

    def reply(self, number: int, request: Received) -> Reply:
        prompt = str(request.body["messages"][-1]["content"])
        if any(answer in self.fail_on for answer in answers_in(prompt)):
            return Reply(status=500, body=b'{"error": {"message": "scripted failure"}}')
        if self.script == "junk":
            return Reply(body=b"<html><body>Welcome to nginx!</body></html>")
        slow = self.script == "slow" or any(a in self.slow_on for a in answers_in(prompt))
        return Reply(text=self.verdict(prompt), delay=self.delay if slow else 0.0)

    def prompts(self) -> list[str]:
        """The prompts the judge has been sent, in arrival order."""
        assert self.server is not None
        return [
            str(r.body["messages"][-1]["content"])
            for r in self.server.received
            if r.path.endswith("completions")
        ]

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve on a loopback port; yields the base URL."""
        self.server = FakeServer(self.reply)
        with self.server.running() as url:
            yield url
