"""An import spanning several suites writes every suite's review file or none: each file's lock
is taken and each file read before the first is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from review_project import CASES, FIRST_ANSWERS, MANIFEST, static_project, write_run
from reviewers import fill

from releasegate.cli import main
from releasegate.core.locks import exclusive_lock
from releasegate.exceptions import LockTimeoutError
from releasegate.review.records import ReviewRecord
from releasegate.review.store import ReviewStore
from tiny_project import write_cases


def two_suite_project(root: Path) -> Path:
    """The review project with a second suite, 'other' (same cases), and a run answering both."""
    static_project(root)
    golden = root / "fixtures" / "golden"
    manifest = MANIFEST.replace("PENDING", "fail").replace("tiny", "other")
    (golden / "other.yaml").write_text(manifest, encoding="utf-8")
    write_cases(golden / "other.jsonl", CASES)
    write_run(root, "run-other", FIRST_ANSWERS, suite="other")
    other = json.loads((root / "reports" / "run-other" / "results.json").read_text("utf-8"))
    folder = write_run(root, "run-1", FIRST_ANSWERS)
    document = json.loads((folder / "results.json").read_text("utf-8"))
    document["cases"] += other["cases"]
    (folder / "results.json").write_text(json.dumps(document), encoding="utf-8")
    return root


def test_a_broken_review_file_of_one_suite_imports_nothing_into_the_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = two_suite_project(tmp_path / "shop")
    sheet = root / "review.xlsx"
    assert main(["--root", str(root), "review", "export", "--out", str(sheet)]) == 0
    fill(sheet, {"hello": [5, 5]}, reviewer="Ann", sheet="other")
    fill(sheet, {"hello": [4, 4]}, reviewer="Ann", sheet="tiny")
    reviews = root / "fixtures" / "reviews"
    reviews.mkdir(parents=True)
    # 'tiny' sorts after 'other': before, other.jsonl was written before tiny.jsonl was read.
    (reviews / "tiny.jsonl").write_text("<<<<<<< HEAD\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--root", str(root), "review", "import", str(sheet)]) == 2
    assert f"{reviews / 'tiny.jsonl'}, line 1: not a review record" in capsys.readouterr().err
    assert not (reviews / "other.jsonl").exists()
    assert (reviews / "tiny.jsonl").read_text(encoding="utf-8") == "<<<<<<< HEAD\n"


def _record(suite: str, reviewer: str) -> ReviewRecord:
    return ReviewRecord(
        suite=suite,
        case_id="hello",
        answer_hash="0123456789abcdef",
        rubric_hash="rubric",
        scores={"overall": 4.0},
        reviewer=reviewer,
        comment="",
        reviewed_at="2026-01-01T00:00:00Z",
        sheet="review.xlsx#" + suite,
        run_id="run-1",
        fingerprint="fake-shop-v1",
    )


def test_a_lock_held_on_one_suite_writes_no_suite(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "reviews")
    store.add("a", [_record("a", "Ann")])
    before = store.path_for("a").read_bytes()
    # Another import holds 'b': the lock times out before anything is written, 'a' included.
    with (
        exclusive_lock(store.path_for("b"), what="another import"),
        pytest.raises(LockTimeoutError, match="the review file"),
    ):
        store.add_all({"a": [_record("a", "Bob")], "b": [_record("b", "Bob")]}, timeout=0.2)
    assert store.path_for("a").read_bytes() == before
    assert not store.path_for("b").exists()
    changes = store.add_all({"a": [_record("a", "Bob")], "b": [_record("b", "Bob")]})
    assert [(c.suite, c.added) for c in changes] == [("a", 1), ("b", 1)]
    assert len(store.load("a")) == 2 and len(store.load("b")) == 1
