"""What a judge returns and what the rest of releasegate knows of a judge.

A :class:`Judgment` is one answer scored on the rubric (pointwise); a :class:`PairJudgment` is
one answer compared with the baseline's answer to the same case, asked in both orders
(pairwise): a verdict that flips with the order is a tie, which is what turns a judge's
position bias into ties instead of wins. :class:`JudgeIdentity` names everything that can change
a verdict (model fingerprint, template, settings, rubric): verdicts are cached by it, and a
calibration holds only for it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol

from ..golden.check_protocol import CheckResult
from ..review.rubric import Rubric

__all__ = [
    "CalibrationStatus",
    "JudgeIdentity",
    "JudgeRunner",
    "Judgment",
    "PairItem",
    "PairJudgment",
    "PairVerdict",
    "PointwiseItem",
    "Winner",
]

Winner = Literal["A", "B", "tie"]
"""A pairwise verdict on the answers as shown: the first (A), the second (B), or neither."""


@dataclass(frozen=True)
class JudgeIdentity:
    """Everything that can change a judge's verdict on the same input."""

    backend: str
    """``hf`` or ``openai``."""
    model: str
    """The judge's model as configured (a folder, a hub id, or the served model's name)."""
    fingerprint: str
    """The judge model's fingerprint (weights, or what the endpoint says it serves)."""
    template_hash: str
    """sha256 (first 16 hex digits) of the prompt templates' text, pointwise and pairwise."""
    settings: Mapping[str, Any] = field(default_factory=dict)
    """Generation settings that change an output (temperature, seed, max_new_tokens)."""
    rubric_hash: str = ""
    """:attr:`releasegate.review.rubric.Rubric.hash` of the rubric it scores on."""

    @property
    def key(self) -> str:
        """One hex digest of the whole identity: the cache's and the calibration file's key."""
        text = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.model,
            "fingerprint": self.fingerprint,
            "template_hash": self.template_hash,
            "settings": dict(self.settings),
            "rubric_hash": self.rubric_hash,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JudgeIdentity:
        return cls(
            backend=str(data["backend"]),
            model=str(data["model"]),
            fingerprint=str(data["fingerprint"]),
            template_hash=str(data["template_hash"]),
            settings=dict(data.get("settings", {})),
            rubric_hash=str(data.get("rubric_hash", "")),
        )

    def differences(self, other: JudgeIdentity) -> list[str]:
        """What differs between two identities, in words (``["the template", "the model
        fingerprint"]``): why a calibration is stale."""
        names = {
            "backend": "the backend",
            "model": "the model",
            "fingerprint": "the model fingerprint",
            "template_hash": "the template",
            "settings": "the generation settings",
            "rubric_hash": "the rubric",
        }
        mine, theirs = self.to_json(), other.to_json()
        return [words for key, words in names.items() if mine[key] != theirs[key]]


@dataclass(frozen=True)
class Judgment:
    """One answer scored by the judge on the rubric (pointwise)."""

    scores: Mapping[str, float] | None
    """Score per rubric criterion, each on the rubric's scale; None: the output could not be
    parsed (unscored: never a pass, never a fail)."""
    reason: str
    """The judge's parsed reason (its ``reason`` field, else the text before the score line);
    for an unscored output, why it could not be parsed."""
    raw: str
    """The judge's output exactly as it came (listed when the unscored share is too high)."""
    cached: bool = False
    """Read from the verdict cache (no judge call made)."""

    @property
    def unscored(self) -> bool:
        return self.scores is None

    @property
    def overall(self) -> float | None:
        """Mean over the criteria; None when unscored."""
        if self.scores is None:
            return None
        return sum(self.scores.values()) / len(self.scores)

    def passed(self, rubric: Rubric) -> bool | None:
        """Whether the overall score reaches the rubric's pass mark; None when unscored."""
        overall = self.overall
        return None if overall is None else overall >= rubric.pass_mark

    def as_check_result(self, rubric: Rubric) -> CheckResult:
        """This judgment as a case check's verdict (``check: judge``)."""
        if self.scores is None:
            return CheckResult(False, f"judge output unscored: {self.reason}", unscored=True)
        overall = self.overall
        assert overall is not None
        parts = ", ".join(f"{name} {score:g}" for name, score in self.scores.items())
        high = rubric.scale.high
        verdict = "meets" if overall >= rubric.pass_mark else "below"
        reason = (
            f"judge: {overall:.3g}/{high} ({parts}), {verdict} the pass mark "
            f"{rubric.pass_mark:g}: {self.reason}"
        )
        return CheckResult(overall >= rubric.pass_mark, reason, score=overall)


@dataclass(frozen=True)
class PairVerdict:
    """The judge's verdict on one presentation order of a pair."""

    winner: Winner | None
    """As shown (A: the first answer); None: the output could not be parsed."""
    reason: str
    raw: str
    cached: bool = False


@dataclass(frozen=True)
class PairJudgment:
    """This run's answer (the candidate) against the baseline's, asked in both orders."""

    candidate_first: PairVerdict
    """The candidate shown as A, the baseline as B."""
    baseline_first: PairVerdict
    """The baseline shown as A, the candidate as B."""

    @property
    def unscored(self) -> bool:
        return self.candidate_first.winner is None or self.baseline_first.winner is None

    def _picks(self) -> tuple[str, str]:
        """Each order's verdict in the candidate's terms: ``candidate``, ``baseline``, ``tie``."""
        first = {"A": "candidate", "B": "baseline", "tie": "tie"}
        second = {"A": "baseline", "B": "candidate", "tie": "tie"}
        a, b = self.candidate_first.winner, self.baseline_first.winner
        assert a is not None and b is not None
        return first[a], second[b]

    @property
    def outcome(self) -> Literal["win", "loss", "tie", "unscored"]:
        """The candidate's result: a win or a loss only when both orders say so; a verdict that
        flips with the order, or a tie in either, is a tie."""
        if self.unscored:
            return "unscored"
        one, two = self._picks()
        if one == two == "candidate":
            return "win"
        if one == two == "baseline":
            return "loss"
        return "tie"

    @property
    def value(self) -> float | None:
        """1 for a win, 0.5 for a tie, 0 for a loss; None when unscored."""
        return {"win": 1.0, "tie": 0.5, "loss": 0.0}.get(self.outcome)

    @property
    def consistent(self) -> bool | None:
        """Whether the verdict survives the swap (the same answer, or a tie, both times); None
        when unscored."""
        if self.unscored:
            return None
        one, two = self._picks()
        return one == two

    @property
    def first_picks(self) -> tuple[int, int]:
        """(verdicts that picked the answer shown first, verdicts that picked either): for the
        first-position pick rate."""
        verdicts = [self.candidate_first.winner, self.baseline_first.winner]
        decided = [v for v in verdicts if v in ("A", "B")]
        return sum(1 for v in decided if v == "A"), len(decided)


class PointwiseItem(NamedTuple):
    """One answer to score."""

    case_id: str
    question: str
    """The case's input as the judge reads it (chat turns as ``role: content`` lines)."""
    expected: str
    """The expected answer as text ("" when the case has none)."""
    answer: str


class PairItem(NamedTuple):
    """One pair to compare: this run's answer and the baseline's, to the same case."""

    case_id: str
    question: str
    expected: str
    candidate: str
    baseline: str


class JudgeRunner(Protocol):
    """A configured judge (:class:`releasegate.judge.runner.Judge`): scores and compares
    answers, reading its verdict cache first, calling the judge model for the rest (batched on
    hf, concurrently on an endpoint)."""

    @property
    def identity(self) -> JudgeIdentity: ...

    @property
    def rubric(self) -> Rubric: ...

    @property
    def calls(self) -> int:
        """Judge model calls made by this process so far (one per prompt sent)."""
        ...

    @property
    def cache_hits(self) -> int:
        """Verdicts read from the cache by this process so far."""
        ...

    def score(self, items: Sequence[PointwiseItem]) -> list[Judgment]:
        """One judgment per item, in order; raises
        :class:`~releasegate.exceptions.JudgeError` (naming the URL or model and what to do)
        when the judge cannot be reached; the judgments already made are cached first."""
        ...

    def compare(self, items: Sequence[PairItem]) -> list[PairJudgment]:
        """One pair judgment per item, in order, each asked in both orders (two calls, or two
        cache reads); identical answers are the caller's business (a tie, no call)."""
        ...


@dataclass(frozen=True)
class CalibrationStatus:
    """Whether a judge's verdicts gate (fail the run) or are advisory (reported only)."""

    gating: bool
    reason: str
    """One line: ``calibrated: kappa 0.71 on 64 answers (reviewers 0.78)``, or why advisory:
    ``advisory: kappa 0.31 on 58 answers, below 0.6``, ``advisory: not calibrated (run
    releasegate judge calibrate --suite shop_faq)``, ``advisory: calibrated for another judge
    (the template changed)``."""
    figures: Mapping[str, Any] = field(default_factory=dict)
    """The calibration's figures as stored (per criterion kappa, interval, n, ...), for reports."""
