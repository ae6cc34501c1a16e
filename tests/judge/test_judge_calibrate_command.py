"""``releasegate judge calibrate`` on a project written here: 60 answered cases in a run, reviews
written to the review memory, and the scripted judge on loopback (tests/judge/scripted_judge.py)
whose scores are known, so the figures it must print are known."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from scripted_judge import ScriptedJudge
from test_judge_figures import hand_kappa

from releasegate.cli import main
from releasegate.judge.kinds import register
from releasegate.review.records import ReviewRecord, answer_hash
from releasegate.review.rubric import Criterion, Rubric
from tiny_project import write_project, write_run

RUBRIC = Rubric(criteria=(Criterion("overall"),))
CASES = [{"id": f"c{i:02d}", "input": f"Question {i}?", "expected": f"fact {i}"} for i in range(60)]
ANSWERS = {case["id"]: f"Answer {i}: fact {i}." for i, case in enumerate(CASES)}
HUMAN = dict(zip(ANSWERS, itertools.cycle([1, 2, 3, 4, 5]), strict=False))
"""Reviewer ann's score of each case's answer (and bob's, on the first 20)."""

MANIFEST = """\
name: tiny
cases: tiny.jsonl
check: contains
review:
  scale: 1-5
  criteria: [overall]
judge:
  backend: openai
  base_url: URL
  model: judge-7b
  max_retries: 0
"""


def project(root: Path, url: str, *, reviews: Sequence[ReviewRecord] | None = None) -> Path:
    """The project, its run-1 answering every case, and the reviews (default: ann on all 60,
    bob agreeing with her on the first 20)."""
    register()
    config = f'[project]\nname = "shop"\n\n[tool.releasegate]\ncache_dir = "{root / "cache"}"\n'
    write_project(root, config=config, manifest=MANIFEST.replace("URL", url), cases=CASES)
    write_run(root, "run-1", ANSWERS, cases=CASES)
    if reviews is None:
        reviews = [review(c, "ann", s) for c, s in HUMAN.items()]
        reviews += [review(c, "bob", s) for c, s in list(HUMAN.items())[:20]]
    folder = root / "fixtures" / "reviews"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.jsonl").write_text("".join(r.to_json() + "\n" for r in reviews), "utf-8")
    return root


def review(case_id: str, reviewer: str, score: float, **extra: object) -> ReviewRecord:
    return ReviewRecord(
        "tiny",
        case_id,
        answer_hash(ANSWERS[case_id]),
        RUBRIC.hash,
        {"overall": score},
        reviewer,
        run_id="run-1",
        extra=dict(extra),
    )


@pytest.fixture
def judge_scores() -> dict[str, int]:
    """The scripted judge's table: each answer's text -> the reviewers' score."""
    return {ANSWERS[c]: s for c, s in HUMAN.items()}


def serve(script: str, scores: Mapping[str, int], **options: Any) -> Iterator[str]:
    judge = ScriptedJudge(script, dict(scores), **options)
    with judge.running() as url:
        yield url


def calibrate(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--root", str(root), "judge", "calibrate", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def stored(root: Path) -> Any:
    """The one judge entry of the suite's calibration file."""
    document = json.loads((root / "fixtures" / "judges" / "tiny.json").read_text("utf-8"))
    (entry,) = document["judges"].values()
    return entry


def test_a_fair_judge_is_calibrated_and_a_rerun_makes_no_calls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], judge_scores: dict[str, int]
) -> None:
    for url in serve("fair", judge_scores):
        root = project(tmp_path / "shop", url)
        code, out, err = calibrate(root, capsys, "--suite", "tiny")
        assert code == 0, err
        assert "on 60 reviewed answer(s)" in out
        assert "calibrated: kappa 1.00 on 60 answers (reviewers 1.00)" in out
        assert "judge: 60 calls, 0 cached" in out
        entry = stored(root)
        assert entry["answers"] == 60
        assert entry["criteria"]["overall"]["pairs"] == 80
        assert entry["reviewers"]["overall"]["answers"] == 20
        code, out, _ = calibrate(root, capsys)
        assert code == 0 and "judge: 0 calls, 60 cached" in out


def test_a_noisy_judge_has_the_kappa_computed_by_hand_within_its_interval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], judge_scores: dict[str, int]
) -> None:
    scripted = ScriptedJudge("noisy", judge_scores, seed=5)
    with scripted.running() as url:
        root = project(tmp_path / "shop", url)
        code, out, err = calibrate(root, capsys, "--suite", "tiny")
    assert code == 0, err
    pairs = [(scripted.score_for(ANSWERS[c]), s) for c, s in HUMAN.items()]
    pairs += [(scripted.score_for(ANSWERS[c]), s) for c, s in list(HUMAN.items())[:20]]
    by_hand = hand_kappa(pairs, 1, 5, quadratic=True)
    figures = stored(root)["criteria"]["overall"]
    low, high = figures["kappa_interval"]
    assert figures["kappa"] == pytest.approx(by_hand)
    assert low <= by_hand <= high and high - low > 0.01
    assert f"{by_hand:.2f} [{low:.2f}, {high:.2f}]" in out


def test_a_weak_judge_is_advisory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for url in serve("fair", {}, default=5):  # five for everything
        root = project(tmp_path / "shop", url)
        code, out, err = calibrate(root, capsys, "--suite", "tiny")
    assert code == 0, err
    assert "advisory: kappa 0.00 on 60 answers, below 0.6" in out
    assert "+2.00" in out  # bias: 5 against the reviewers' mean of 3


def test_what_is_left_out_is_counted_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], judge_scores: dict[str, int]
) -> None:
    lost = ReviewRecord(
        "tiny",
        "c00",
        answer_hash("An answer no run holds."),
        RUBRIC.hash,
        {"overall": 2.0},
        "ann",
        run_id="run-gone",
    )
    reviews = [review(c, "ann", s) for c, s in HUMAN.items()]
    reviews += [review("c01", "bob", 5, saw_judge=True), lost]
    for url in serve("fair", judge_scores):
        root = project(tmp_path / "shop", url, reviews=reviews)
        code, out, err = calibrate(root, capsys, "--suite", "tiny")
    assert code == 0, err
    assert "left out: 1 review(s) given with the judge's scores in view (--show-judge)" in out
    assert (
        "left out: 1 reviewed answer(s) whose text no run under reports/ holds any more: "
        f"c00 (answer {lost.answer_hash})"
    ) in out
    entry = stored(root)
    assert (entry["answers"], entry["missing"], entry["saw_judge"]) == (60, 1, 1)


def test_an_unparseable_judge_calibrates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], judge_scores: dict[str, int]
) -> None:
    for url in serve("unparseable", judge_scores):
        root = project(tmp_path / "shop", url)
        code, _, err = calibrate(root, capsys, "--suite", "tiny")
    assert code == 2
    assert "tiny: no reviewed answer to calibrate the judge on" in err
    assert "60 answer(s) the judge's output left unscored); the judge stays advisory" in err
    assert "The judge gave no usable score" in err and "Both answers have merit" in err
    assert not (root / "fixtures" / "judges" / "tiny.json").exists()


def test_no_reviews_and_no_judge_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], judge_scores: dict[str, int]
) -> None:
    for url in serve("fair", judge_scores):
        root = project(tmp_path / "shop", url, reviews=[])
        code, _, err = calibrate(root, capsys, "--suite", "tiny")
        assert code == 2 and "no reviewed answer to calibrate the judge on (no reviews)" in err
        assert "Review answers of this suite with the judge's scores hidden" in err
        code, out, err = calibrate(root, capsys)
        assert code == 2 and "no suite has both a judge and reviews" in err
        assert "tiny: no reviews yet" in out
        code, _, err = calibrate(root, capsys, "--suite", "nope")
        assert code == 2 and "no suite 'nope'" in err
