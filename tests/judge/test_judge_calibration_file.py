"""The calibration file (fixtures/judges/<suite>.json) and the rule that lets a judge gate:
files written here, each advisory branch and the gating one."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from releasegate.exceptions import JudgeError
from releasegate.judge.calibration import (
    calibration_path,
    calibration_status,
    read_calibrations,
    write_calibration,
)
from releasegate.judge.config import JudgeSpec
from releasegate.judge.figures import Calibration, calibrate
from releasegate.judge.types import JudgeIdentity, Judgment
from releasegate.review.records import ReviewRecord
from releasegate.review.rubric import Criterion, Rubric

RUBRIC = Rubric(criteria=(Criterion("correct"), Criterion("tone")))
JUDGE = JudgeIdentity(
    "openai", "judge-7b", "fp-judge", "tmpl-1", {"temperature": 0.0, "seed": 0}, RUBRIC.hash
)


def bars(**given: Any) -> JudgeSpec:
    """A judge's spec with the gating rule's bars (min_reviews 50, min_kappa 0.6,
    max_below_reviewers 0.1 unless given)."""
    return JudgeSpec(model="judge-7b", backend="openai", **given)


def figures(
    human: list[int], judge: list[int], *, second: list[int] | None = None, tone: int | None = None
) -> Calibration:
    """A calibration of *judge* against reviewer ann's *human* scores (and bob's *second*), on
    correct; tone as correct unless one score throughout is given."""

    def scores(value: int) -> dict[str, float]:
        return {"correct": value, "tone": value if tone is None else tone}

    records = [
        ReviewRecord("shop_faq", f"c{i}", f"h{i}", RUBRIC.hash, scores(s), "ann")
        for i, s in enumerate(human)
    ]
    records += [
        ReviewRecord("shop_faq", f"c{i}", f"h{i}", RUBRIC.hash, scores(s), "bob")
        for i, s in enumerate(second or [])
    ]
    judgments = {(f"c{i}", f"h{i}"): Judgment(scores(s), "", "") for i, s in enumerate(judge)}
    return calibrate("shop_faq", records, RUBRIC, judgments, samples=200)


GOOD_HUMAN = [1, 2, 3, 4, 5] * 12
GOOD_JUDGE = [1, 2, 3, 4, 5] * 11 + [2, 2, 3, 4, 4]


def test_an_entry_is_written_beside_the_other_judges_and_read_back(tmp_path: Path) -> None:
    path = calibration_path(tmp_path / "judges", "shop_faq")
    other = replace(JUDGE, model="judge-13b", fingerprint="fp-13b")
    when = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
    write_calibration(path, JUDGE, figures(GOOD_HUMAN, GOOD_JUDGE), now=when)
    write_calibration(path, other, figures(GOOD_HUMAN, GOOD_HUMAN))
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["suite"] == "shop_faq"
    assert set(document["judges"]) == {JUDGE.key, other.key}
    entry = document["judges"][JUDGE.key]
    assert entry["identity"] == JUDGE.to_json()
    assert entry["calibrated_at"] == "2026-12-07T22:00:00+00:00"
    assert entry["answers"] == 60 and entry["unscored"] == 0
    assert set(entry["criteria"]) == {"correct", "tone"}
    assert 0.9 < entry["criteria"]["correct"]["kappa"] < 1.0
    assert entry["reviewers"] == {"correct": None, "tone": None}
    assert read_calibrations(path)[other.key]["criteria"]["correct"]["kappa"] == 1.0
    # Re-calibrating a judge replaces its entry only.
    write_calibration(path, JUDGE, figures(GOOD_HUMAN, GOOD_HUMAN))
    again = read_calibrations(path)
    assert set(again) == {JUDGE.key, other.key}
    assert again[JUDGE.key]["criteria"]["correct"]["kappa"] == 1.0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "not valid JSON (line 1"),
        ("[1, 2]", "not a judge calibration"),
        ('{"suite": "other_suite", "judges": {}}', "of suite 'other_suite', not 'shop_faq'"),
        ('{"suite": "shop_faq", "judges": {"abc": {"answers": 3}}}', "'identity' is missing"),
    ],
)
def test_a_file_that_is_not_a_calibration_is_one_error_naming_it(
    tmp_path: Path, text: str, words: str
) -> None:
    path = calibration_path(tmp_path, "shop_faq")
    path.write_text(text, encoding="utf-8")
    for attempt in (
        lambda: calibration_status(JUDGE, bars(), path),
        lambda: write_calibration(path, JUDGE, figures(GOOD_HUMAN, GOOD_JUDGE)),
    ):
        with pytest.raises(JudgeError) as caught:
            attempt()
        message = str(caught.value)
        assert str(path) in message and words in message
        assert "releasegate judge calibrate --suite shop_faq" in message
        assert "git checkout" in message
    assert path.read_text(encoding="utf-8") == text  # refused, not overwritten


def test_an_entry_filed_under_another_key_is_refused(tmp_path: Path) -> None:
    path = calibration_path(tmp_path, "shop_faq")
    write_calibration(path, JUDGE, figures(GOOD_HUMAN, GOOD_JUDGE))
    document = json.loads(path.read_text(encoding="utf-8"))
    document["judges"]["0123456789abcdef"] = document["judges"].pop(JUDGE.key)
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(JudgeError, match="not the key it is filed under"):
        read_calibrations(path)


def test_not_calibrated_is_advisory_and_says_what_to_run(tmp_path: Path) -> None:
    status = calibration_status(JUDGE, bars(), calibration_path(tmp_path, "shop_faq"))
    assert not status.gating
    assert (
        status.reason
        == "advisory: not calibrated: run releasegate judge calibrate --suite shop_faq"
    )


def test_a_calibration_of_another_judge_is_stale(tmp_path: Path) -> None:
    path = calibration_path(tmp_path, "shop_faq")
    write_calibration(path, JUDGE, figures(GOOD_HUMAN, GOOD_JUDGE))
    new_template = replace(JUDGE, template_hash="tmpl-2")
    status = calibration_status(new_template, bars(), path)
    assert not status.gating
    assert status.reason == (
        f"advisory: calibrated for another judge (the template changed) in {path}: re-run "
        "releasegate judge calibrate --suite shop_faq"
    )
    both = replace(JUDGE, template_hash="tmpl-2", rubric_hash="r2")
    assert "(the template and the rubric changed)" in calibration_status(both, bars(), path).reason


def test_a_good_judge_on_enough_answers_gates(tmp_path: Path) -> None:
    path = calibration_path(tmp_path, "shop_faq")
    write_calibration(path, JUDGE, figures(GOOD_HUMAN, GOOD_JUDGE, second=GOOD_HUMAN))
    status = calibration_status(JUDGE, bars(), path)
    assert status.gating, status.reason
    assert status.reason.startswith("calibrated: kappa 0.9")
    assert status.reason.endswith("on 60 answers (reviewers 1.00)")
    assert status.figures["answers"] == 60


def test_too_few_reviewed_answers_is_advisory(tmp_path: Path) -> None:
    path = calibration_path(tmp_path, "shop_faq")
    write_calibration(path, JUDGE, figures(GOOD_HUMAN[:42], GOOD_JUDGE[:42]))
    status = calibration_status(JUDGE, bars(), path)
    assert not status.gating
    assert status.reason == "advisory: 42 reviewed answers, fewer than 50"
    assert calibration_status(JUDGE, bars(min_reviews=40), path).gating


def test_a_weak_judge_is_advisory_with_its_kappa(tmp_path: Path) -> None:
    path = calibration_path(tmp_path, "shop_faq")
    weak = [3, 5, 1, 2, 4] * 12  # unrelated to the reviewers' scores
    write_calibration(path, JUDGE, figures(GOOD_HUMAN, weak))
    calibrated = read_calibrations(path)[JUDGE.key]["criteria"]["correct"]["kappa"]
    status = calibration_status(JUDGE, bars(), path)
    assert not status.gating
    assert status.reason.startswith(f"advisory: kappa {calibrated:.2f} (correct) on 60 answers")
    assert status.reason.endswith("below 0.6")


def test_a_judge_far_below_the_reviewers_is_advisory(tmp_path: Path) -> None:
    path = calibration_path(tmp_path, "shop_faq")
    # Reviewers agree perfectly (1.0); the judge is off by one or two on half the answers.
    judge = [1, 2, 3, 4, 5] * 6 + [2, 1, 4, 5, 3] * 6
    write_calibration(path, JUDGE, figures(GOOD_HUMAN, judge, second=GOOD_HUMAN))
    kappa = read_calibrations(path)[JUDGE.key]["criteria"]["correct"]["kappa"]
    assert 0.6 < kappa < 0.9
    status = calibration_status(JUDGE, bars(), path)
    assert not status.gating
    assert status.reason == (
        f"advisory: kappa {kappa:.2f} (correct) on 60 answers, more than 0.1 below the "
        "reviewers' 1.00"
    )
    assert calibration_status(JUDGE, bars(max_below_reviewers=0.5), path).gating


def test_an_undefined_kappa_is_advisory(tmp_path: Path) -> None:
    path = calibration_path(tmp_path, "shop_faq")
    write_calibration(path, JUDGE, figures(GOOD_HUMAN, GOOD_HUMAN, tone=4))
    status = calibration_status(JUDGE, bars(), path)
    assert not status.gating
    assert status.reason.startswith("advisory: kappa undefined (tone) on 60 answers")


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from releasegate.judge.calibration import write_calibration
    from releasegate.judge.figures import Agreement, Calibration, CriterionFigures
    from releasegate.judge.types import JudgeIdentity

    figures = CriterionFigures("overall", Agreement(0.7, (0.6, 0.8), 0.5, 60, 60), 0.1, None, None)
    calibration = Calibration("shop_faq", "r", "quadratic", 60, 0, 0, 0, 1000, 0, (figures,))
    for n in range(15):
        identity = JudgeIdentity("openai", f"{sys.argv[2]}-{n}", "fp", "t", {}, "r")
        write_calibration(Path(sys.argv[1]), identity, calibration)
    """
)


def test_two_calibrations_written_at_once_keep_every_judge(tmp_path: Path) -> None:
    path = calibration_path(tmp_path / "judges", "shop_faq")
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    writers = [
        subprocess.Popen([sys.executable, str(script), str(path), name]) for name in ("a", "b")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    models = {entry["identity"]["model"] for entry in read_calibrations(path).values()}
    assert models == {f"{name}-{n}" for name in ("a", "b") for n in range(15)}


def test_the_same_figures_again_leave_the_file_as_it_was(tmp_path: Path) -> None:
    path = calibration_path(tmp_path, "shop_faq")
    first = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
    write_calibration(path, JUDGE, figures(GOOD_HUMAN, GOOD_JUDGE), now=first)
    text = path.read_text(encoding="utf-8")
    later = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    entry = write_calibration(path, JUDGE, figures(GOOD_HUMAN, GOOD_JUDGE), now=later)
    assert entry["calibrated_at"] == "2026-12-07T22:00:00+00:00"
    assert path.read_text(encoding="utf-8") == text
    write_calibration(path, JUDGE, figures(GOOD_HUMAN, GOOD_HUMAN), now=later)
    assert read_calibrations(path)[JUDGE.key]["calibrated_at"] == "2026-12-08T09:00:00+00:00"
