"""The session's judge models: :class:`JudgeService`, one judge per suite that declares one.

It is the :class:`~releasegate.judge.context.JudgeContext` the judge metrics are handed, and
what the case tests of a judged suite get their verdicts from: the answers of a case's chunk are
judged together (one :meth:`~releasegate.judge.runner.Judge.score` call, cached by the judge's
identity and the exact prompt), and each verdict is kept for the chunk's other cases and for the
suite's metrics.

Two rules live here, where the model under test and the judge meet:

- **No self-judging.** A judge whose fingerprint is the model under test's, or the baseline's
  model's, would grade its own answers. It is refused (:class:`ConfigError`) unless the judge
  says ``allow_self_judge: true``; then every report carries a note saying so.
- **A judge gates only when calibrated** against the reviewers
  (:func:`releasegate.judge.calibration.calibration_status`); otherwise its verdicts are
  advisory: a ``check: judge`` case is skipped with its verdict and why.

The judge's backend reuses the session's where it is the same model (:func:`judge_for`), so a
self-judge never loads the weights twice.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..core.records import JudgeRecord, JudgeSummary, ModelDescription, Prediction
from ..exceptions import ConfigError, JudgeError
from ..gate.judging import show_expected
from ..golden.cases import GoldenCase
from ..golden.checks import CheckResult
from ..golden.judge_check import uses_judge
from ..golden.suites import Suite
from ..judge.bars import question_of
from ..judge.calibration import calibration_path, calibration_status
from ..judge.config import JudgeSpec
from ..judge.runner import Judge, judge_for
from ..judge.types import (
    CalibrationStatus,
    JudgeIdentity,
    Judgment,
    PairItem,
    PairJudgment,
    PointwiseItem,
)
from ..models.backend import Backend
from ..review.rubric import Rubric

__all__ = [
    "CaseJudgment",
    "JudgeService",
    "JudgeUnavailableWarning",
    "RememberedJudge",
    "judge_record",
]


class JudgeUnavailableWarning(UserWarning):
    """A suite's judge could not be reached: its cases with checks of their own were judged
    without it (pytest lists the warning in its summary)."""


SELF_JUDGE = (
    "the judge is the model under test; use another model, or set allow_self_judge: true "
    "(every report will say so)"
)


@dataclass(frozen=True)
class CaseJudgment:
    """The judge's verdict on one case's answer, as the case test uses it."""

    judgment: Judgment
    check_result: CheckResult
    """The verdict as a check's (``Judgment.as_check_result``): a ``check: judge`` case's."""
    record: JudgeRecord
    """What the case's record keeps (its ``advisory`` set when the judge does not gate)."""


def judge_record(judgment: Judgment, passed: bool | None, *, advisory: str = "") -> JudgeRecord:
    """What a case's record keeps of *judgment* (*passed*: against the rubric's pass mark)."""
    return JudgeRecord(
        scores=None if judgment.scores is None else dict(judgment.scores),
        overall=judgment.overall,
        passed=passed,
        reason=judgment.reason,
        unscored=judgment.unscored,
        cached=judgment.cached,
        advisory=advisory,
    )


class RememberedJudge:
    """A suite's :class:`Judge`, each verdict kept for the rest of the process: the case tests
    judge a suite's answers chunk by chunk, then its judge metrics ask about the same answers
    (the same items, so the same prompts); they are answered here, not by rendering, hashing
    and reading the verdict cache a second time. A verdict answered here counts as cached (the
    judge was not called for it). The :class:`~releasegate.judge.types.JudgeRunner` the
    metrics get."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        self._kept: dict[PointwiseItem, Judgment] = {}
        self._reused = 0

    @property
    def spec(self) -> JudgeSpec:
        return self.judge.spec

    @property
    def identity(self) -> JudgeIdentity:
        return self.judge.identity

    @property
    def rubric(self) -> Rubric:
        return self.judge.rubric

    @property
    def calls(self) -> int:
        return self.judge.calls

    @property
    def cache_hits(self) -> int:
        return self.judge.cache_hits + self._reused

    def backend(self) -> Backend:
        return self.judge.backend()

    def score(self, items: Sequence[PointwiseItem]) -> list[Judgment]:
        missing = list(dict.fromkeys(item for item in items if item not in self._kept))
        if missing:
            self._kept.update(zip(missing, self.judge.score(missing), strict=True))
        self._reused += len(items) - len(missing)
        return [self._kept[item] for item in items]

    def compare(self, items: Sequence[PairItem]) -> list[PairJudgment]:
        return self.judge.compare(items)

    def close(self) -> None:
        self.judge.close()


@dataclass
class JudgeService:
    """Every judge of one process (the controller or an xdist worker), built on first use."""

    settings: Settings
    root: Path
    model_under_test: Callable[[], Backend]
    """The session's backend (its fingerprint: a lazy ``hf`` backend gives it unloaded)."""
    baseline_model: Callable[[str], ModelDescription | None]
    """The baseline's model of a suite (None: no baseline, or one that kept no model)."""
    _judges: dict[str, RememberedJudge | None] = field(default_factory=dict)
    _checked: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Suites whose judge passed the self-judge rule, with their notes."""
    _status: dict[str, CalibrationStatus] = field(default_factory=dict)
    _judged: dict[tuple[str, str], CaseJudgment] = field(default_factory=dict)
    """(case key, answer) -> the judge's verdict, judged in this process."""
    _down: dict[str, JudgeError] = field(default_factory=dict)
    """Suites whose judge could not be reached from the case tests, with why."""

    # -- JudgeContext --------------------------------------------------------------------------

    def runner_for(self, suite: Suite) -> RememberedJudge:
        judge = self.judge_of(suite)
        if judge is None:
            raise JudgeError(
                f"suite '{suite.name}' has no judge model: add a judge: section (backend, "
                f"model) to {suite.manifest_path} or a [tool.releasegate.judge] table to the "
                "project"
            )
        self._check_self_judge(suite, judge)
        return judge

    def status_for(self, suite: Suite) -> CalibrationStatus:
        if suite.name not in self._status:
            judge = self.runner_for(suite)
            path = calibration_path(self.settings.judges_dir, suite.name)
            self._status[suite.name] = calibration_status(judge.identity, judge.spec, path)
        return self._status[suite.name]

    def notes_for(self, suite: Suite) -> tuple[str, ...]:
        self.runner_for(suite)
        return self._checked[suite.name]

    # -- the case tests -------------------------------------------------------------------------

    def judge_of(self, suite: Suite) -> RememberedJudge | None:
        """*suite*'s judge (None: it declares none), built once; configuration errors (a
        template, an incomplete judge) are raised here."""
        if suite.name not in self._judges and suite.judge is None and not self.settings.judge:
            self._judges[suite.name] = None  # none declared: the session's model untouched
        if suite.name not in self._judges:
            judge = judge_for(suite, self.settings, root=self.root, backend=self.model_under_test())
            self._judges[suite.name] = None if judge is None else RememberedJudge(judge)
        return self._judges[suite.name]

    def judges(self, suite: Suite) -> bool:
        """Whether *suite* has a judge (its cases are then judged, and their records keep it)."""
        return self.judge_of(suite) is not None

    def case_judgments(
        self, suite: Suite, answered: Sequence[tuple[GoldenCase, str]]
    ) -> dict[str, CaseJudgment]:
        """The judge's verdict on each ``(case, answer)`` by case key: those not judged yet in
        this process in one :meth:`~releasegate.judge.runner.Judge.score` call (the judge's
        cache first). Raises :class:`JudgeError` naming the endpoint when it cannot be
        reached (the verdicts that came back are cached), :class:`ConfigError` for a judge
        that is the model under test without ``allow_self_judge``."""
        judge = self.runner_for(suite)
        todo = list(
            dict.fromkeys((c.key, a) for c, a in answered if (c.key, a) not in self._judged)
        )
        if todo:
            cases = {c.key: c for c, _ in answered}
            # the metrics' items exactly (the same prompt, so one cached verdict serves both)
            items = [
                PointwiseItem(c.id, question_of(c), show_expected(c.expected), a)
                for c, a in ((cases[key], answer) for key, answer in todo)
            ]
            status = self.status_for(suite)
            advisory = "" if status.gating else status.reason
            for (key, answer), judgment in zip(todo, judge.score(items), strict=True):
                self._judged[(key, answer)] = CaseJudgment(
                    judgment,
                    judgment.as_check_result(judge.rubric),
                    judge_record(judgment, judgment.passed(judge.rubric), advisory=advisory),
                )
        return {case.key: self._judged[(case.key, answer)] for case, answer in answered}

    def judged(self, case: GoldenCase, answer: str) -> CaseJudgment | None:
        """The verdict on *case*'s *answer* if this process has judged it already (with its
        chunk, or for the metrics), else None: the common path of a case test, which then
        needs neither its chunk's cases nor the judge."""
        return self._judged.get((case.key, answer))

    def case_judgment(
        self,
        suite: Suite,
        answered: tuple[GoldenCase, str],
        chunk: Sequence[GoldenCase],
        remembered: Callable[[str], Prediction | None],
    ) -> CaseJudgment | None:
        """The verdict on one *answered* case, judged together with the other cases of its
        *chunk* whose answers this process holds (*remembered*: by case key).

        A judge that cannot be reached raises :class:`JudgeError` for a case the judge decides
        (``check: judge``: its test is an ERROR naming the judge); a case judged by a check of
        its own is judged without it (None: its record has no judge verdict), with one warning
        per suite, since its verdict never depended on the judge. Once a suite's judge has
        failed, this process does not ask it again (each ask would wait out its retries)."""
        case, answer = answered
        known = self._judged.get((case.key, answer))
        if known is not None:  # judged with its chunk already: the common path
            return known
        decides = uses_judge(suite.check_for(case))
        if case.variant_of and not decides:
            return None  # a variant is its check's to judge; the judge scores the cases as written
        down = self._down.get(suite.name)
        if down is not None:
            if decides:
                raise JudgeError(str(down))
            return None
        together = [answered]
        for other in chunk:
            if other.variant_of and not uses_judge(suite.check_for(other)):
                continue
            prediction = remembered(other.key) if other.key != case.key else None
            if prediction is not None:
                together.append((other, prediction.answer))
        try:
            return self.case_judgments(suite, together)[case.key]
        except JudgeError as exc:
            self._down[suite.name] = exc
            warnings.warn(
                f"{suite.name}: the judge could not judge this run's answers, so the reports "
                f"carry no judge verdict for its cases; the judge metrics and check: judge cases "
                f"are errors. {exc}",
                JudgeUnavailableWarning,
                stacklevel=1,
            )
            if decides:
                raise
            return None

    def check_verdicts(self, suite: Suite, answers: Mapping[str, str]) -> dict[str, CheckResult]:
        """For a suite's metrics: the judge's verdict as a check's result on each answer
        (*answers*: case key -> answer) of the cases whose check is the judge; {} for a suite
        none of whose cases is (no judge call made)."""
        judged = [c for c in suite.test_cases if uses_judge(suite.check_for(c))]
        if not judged:
            return {}
        found = self.case_judgments(suite, [(c, answers[c.key]) for c in judged])
        return {key: j.check_result for key, j in found.items()}

    # -- the self-judge rule --------------------------------------------------------------------

    def _check_self_judge(self, suite: Suite, judge: RememberedJudge) -> None:
        if suite.name in self._checked:
            return
        fingerprint = judge.identity.fingerprint
        whose = []
        if fingerprint == self.model_under_test().fingerprint:
            whose.append("the model under test")
        baseline = self.baseline_model(suite.name)
        if baseline is not None and baseline.fingerprint == fingerprint:
            whose.append("the baseline's model")
        notes: tuple[str, ...] = ()
        if whose:
            who = " and ".join(whose)
            if not judge.spec.allow_self_judge:
                raise ConfigError(
                    f"{judge.spec.where}: {SELF_JUDGE.replace('the model under test', who, 1)} "
                    f"(judge {judge.spec.model}, fingerprint {fingerprint[:12]})"
                )
            notes = (
                f"self-judge: the judge ({judge.spec.model}, fingerprint {fingerprint[:12]}) is "
                f"{who}, allowed by allow_self_judge: true; it grades its own answers, so its "
                "verdicts may favour them",
            )
        self._checked[suite.name] = notes

    # -- the report ---------------------------------------------------------------------------

    def summaries(self) -> dict[str, JudgeSummary]:
        """Each judge used in this process, by suite: identity, self-judge, calibration status,
        calls and cache hits (the controller sums the workers')."""
        out = {}
        for name, judge in sorted(self._judges.items()):
            if judge is None or name not in self._checked:
                continue
            status = self._status.get(name)
            notes = self._checked[name]
            out[name] = JudgeSummary(
                identity=judge.identity.to_json(),
                self_judge=bool(notes),
                gating=status.gating if status is not None else False,
                status=status.reason if status is not None else "advisory: not asked in this run",
                calls=judge.calls,
                cache_hits=judge.cache_hits,
                notes=notes,
                figures=dict(status.figures) if status is not None else {},
            )
        return out

    def close(self) -> None:
        for judge in self._judges.values():
            if judge is not None:
                judge.close()
