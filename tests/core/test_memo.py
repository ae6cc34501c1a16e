"""JSON memos in the cache folder: one lock, one atomic write, first-use races."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from at_once import first_failure, run_at_once
from releasegate.core.locks import exclusive_lock, lock_path
from releasegate.core.memo import (
    MemoFile,
    compute_json_once,
    merge_json_object,
    read_json,
    read_json_object,
)


def test_an_absent_or_damaged_memo_reads_as_nothing(tmp_path: Path) -> None:
    memo = tmp_path / "memo.json"
    assert read_json(memo) is None and read_json_object(memo) == {}
    memo.write_text('{"a": 1', encoding="utf-8")  # cut short
    assert read_json(memo) is None and read_json_object(memo) == {}
    memo.write_text("[1, 2]", encoding="utf-8")  # JSON, not an object
    assert read_json(memo) == [1, 2] and read_json_object(memo) == {}


def test_merging_keeps_what_another_process_wrote_and_drops_the_oldest(tmp_path: Path) -> None:
    memo = tmp_path / "cache" / "memo.json"
    assert merge_json_object(memo, {"a": 1, "b": 2}, what="a memo")
    assert merge_json_object(memo, {"b": 3, "c": "é"}, what="a memo", keep_last=2, indent=0)
    assert json.loads(memo.read_text(encoding="utf-8")) == {"b": 3, "c": "é"}
    assert [p.name for p in memo.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_memo_that_cannot_be_written_is_skipped_not_raised(tmp_path: Path) -> None:
    # A cache "folder" that is a file: no lock file, no memo can be made there, even as root
    # (whom a read-only folder would not stop).
    blocked = tmp_path / "cache"
    blocked.write_text("not a folder", encoding="utf-8")
    assert not merge_json_object(blocked / "memo.json", {"a": 1}, what="a memo")
    memo = MemoFile(blocked / "memo.json")
    memo.put("a", 1)
    memo.save()  # the run goes on; the work is redone next time
    assert memo.get("a") == 1 and blocked.read_text(encoding="utf-8") == "not a folder"


def test_a_lock_held_past_the_wait_skips_the_merge(tmp_path: Path) -> None:
    memo = tmp_path / "memo.json"
    with exclusive_lock(memo, what="another writer"):
        assert not merge_json_object(memo, {"a": 1}, what="a memo", timeout=0.1)
    assert not memo.exists()


def test_a_value_computed_once_is_read_back_and_a_damaged_one_recomputed(tmp_path: Path) -> None:
    memo = tmp_path / "cache" / "value.json"
    calls: list[int] = []

    def compute() -> dict[str, Any]:
        calls.append(1)
        return {"value": len(calls)}

    def load(document: Any) -> dict[str, Any] | None:
        return document if isinstance(document, dict) and "value" in document else None

    def once() -> dict[str, Any]:
        return compute_json_once(memo, compute, load=load, dump=dict, what="a value")

    assert once() == {"value": 1}
    assert once() == {"value": 1} and len(calls) == 1
    memo.write_text('{"other": true}', encoding="utf-8")  # not a usable document
    assert once() == {"value": 2}
    assert json.loads(memo.read_text(encoding="utf-8")) == {"value": 2}
    assert lock_path(memo).exists()  # the one lock of core.locks, not one of its own


def _compute_at_once(folder: Path, number: int, me: int) -> str:
    """Every process asks for the same memo at once; each computation leaves a mark."""
    marks = folder / "computed"

    def compute() -> dict[str, Any]:
        with marks.open("a", encoding="utf-8") as handle:
            handle.write(f"{me}\n")
        return {"by": me}

    value = compute_json_once(
        folder / "memo.json",
        compute,
        load=lambda d: d if isinstance(d, dict) else None,
        dump=dict,
        what="a memo",
    )
    return f"got {value}"


def test_processes_computing_at_once_compute_once_and_write_one_file(tmp_path: Path) -> None:
    outcomes = run_at_once(_compute_at_once, tmp_path, processes=4, rounds=5)
    assert first_failure(outcomes) == ""
    assert len(outcomes) == 20
    for number in range(5):
        folder = tmp_path / f"round-{number}"
        computed = (folder / "computed").read_text(encoding="utf-8").split()
        assert len(computed) == 1, f"round {number}: computed by {computed}"
        said = {o.said for o in outcomes if o.round == number}
        assert said == {f"got {{'by': {computed[0]}}}"}
        assert sorted(p.name for p in folder.iterdir()) == [
            ".memo.json.lock",
            "computed",
            "memo.json",
        ]


def _add_at_once(folder: Path, number: int, me: int) -> str:
    """Every process adds its own key to one memo file (a lazy backend's, say) at once."""
    memo = MemoFile(folder / "rendered.json")
    memo.put(f"process-{me}", me)
    memo.save()
    return "saved"


def test_memo_files_added_to_at_once_keep_every_process_s_entry(tmp_path: Path) -> None:
    outcomes = run_at_once(_add_at_once, tmp_path, processes=4, rounds=5)
    assert first_failure(outcomes) == ""
    for number in range(5):
        folder = tmp_path / f"round-{number}"
        saved = json.loads((folder / "rendered.json").read_text(encoding="utf-8"))
        assert saved == {f"process-{me}": me for me in range(4)}
        assert MemoFile(folder / "rendered.json").get("process-3") == 3
