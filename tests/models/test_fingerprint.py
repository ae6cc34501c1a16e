"""Weights fingerprints: equal weights, equal fingerprint; any rewrite of the weights, a new one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from releasegate.exceptions import ModelLoadError
from releasegate.models import fingerprint
from releasegate.models.fingerprint import file_sha256, model_fingerprint, weights_fingerprint


def write_checkpoint(folder: Path, value: float, *, config: str = '{"hidden_size": 4}') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    save_file(
        {"weight": np.full((4, 4), value, dtype=np.float32)}, str(folder / "model.safetensors")
    )
    (folder / "config.json").write_text(config, encoding="utf-8")
    return folder


@pytest.fixture
def memo_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Records every file actually read to compute a digest."""
    calls: list[Path] = []
    real = fingerprint._hash_file

    def spy(path: Path) -> str:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(fingerprint, "_hash_file", spy)
    return calls


@pytest.fixture
def no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remember digests of files written a moment ago (normally they are re-read for 2 s)."""
    monkeypatch.setattr(fingerprint, "RACY_SECONDS", 0.0)


def test_rewritten_checkpoint_at_same_path_gets_new_fingerprint(
    tmp_path: Path, memo_dir: Path
) -> None:
    folder = write_checkpoint(tmp_path / "ckpt", 1.0)
    before = weights_fingerprint(folder, cache_dir=memo_dir)
    write_checkpoint(folder, 2.0)  # same size, same names, same inode
    after = weights_fingerprint(folder, cache_dir=memo_dir)
    assert before != after
    assert len(before) == 64 and int(before, 16) >= 0


def test_rewrite_detected_even_when_memoised_and_mtime_restored(
    tmp_path: Path, memo_dir: Path, no_racy_window: None
) -> None:
    folder = write_checkpoint(tmp_path / "ckpt", 1.0)
    weights = folder / "model.safetensors"
    before = weights_fingerprint(folder, cache_dir=memo_dir)
    stat = weights.stat()
    write_checkpoint(folder, 3.0)
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # ctime still moves on
    assert weights.stat().st_size == stat.st_size
    assert weights_fingerprint(folder, cache_dir=memo_dir) != before


def test_same_content_gives_same_fingerprint_anywhere(tmp_path: Path, memo_dir: Path) -> None:
    one = weights_fingerprint(write_checkpoint(tmp_path / "a", 1.0), cache_dir=memo_dir)
    two = weights_fingerprint(write_checkpoint(tmp_path / "b", 1.0), cache_dir=memo_dir)
    assert one == two
    write_checkpoint(tmp_path / "a", 1.0)  # rewritten with identical values
    assert weights_fingerprint(tmp_path / "a", cache_dir=memo_dir) == one


def test_config_and_file_names_are_part_of_the_fingerprint(tmp_path: Path, memo_dir: Path) -> None:
    base = weights_fingerprint(write_checkpoint(tmp_path / "a", 1.0), cache_dir=memo_dir)
    other_config = write_checkpoint(tmp_path / "b", 1.0, config='{"hidden_size": 5}')
    assert weights_fingerprint(other_config, cache_dir=memo_dir) != base
    renamed = write_checkpoint(tmp_path / "c", 1.0)
    (renamed / "model.safetensors").rename(renamed / "model-00001-of-00001.safetensors")
    assert weights_fingerprint(renamed, cache_dir=memo_dir) != base


def test_trainer_state_and_other_files_do_not_count(tmp_path: Path, memo_dir: Path) -> None:
    folder = write_checkpoint(tmp_path / "checkpoint-10", 1.0)
    before = weights_fingerprint(folder, cache_dir=memo_dir)
    (folder / "optimizer.pt").write_bytes(os.urandom(64))
    (folder / "training_args.bin").write_bytes(os.urandom(64))
    (folder / "README.md").write_text("notes", encoding="utf-8")
    assert weights_fingerprint(folder, cache_dir=memo_dir) == before
    (folder / "adapter.bin").write_bytes(b"\x00" * 8)
    assert weights_fingerprint(folder, cache_dir=memo_dir) != before


def test_repeated_calls_read_nothing(
    tmp_path: Path, memo_dir: Path, hash_calls: list[Path], no_racy_window: None
) -> None:
    folder = write_checkpoint(tmp_path / "ckpt", 1.0)
    first = weights_fingerprint(folder, cache_dir=memo_dir)
    assert len(hash_calls) == 2  # weights and config.json
    assert weights_fingerprint(folder, cache_dir=memo_dir) == first
    assert len(hash_calls) == 2
    assert (memo_dir / "fingerprints.json").is_file()


def test_files_written_a_moment_ago_are_not_memoised(
    tmp_path: Path, memo_dir: Path, hash_calls: list[Path]
) -> None:
    folder = write_checkpoint(tmp_path / "ckpt", 1.0)
    weights_fingerprint(folder, cache_dir=memo_dir)
    weights_fingerprint(folder, cache_dir=memo_dir)
    assert len(hash_calls) == 4
    assert not (memo_dir / "fingerprints.json").exists()


def test_corrupt_or_unwritable_memo_only_costs_time(
    tmp_path: Path, memo_dir: Path, no_racy_window: None
) -> None:
    folder = write_checkpoint(tmp_path / "ckpt", 1.0)
    expected = weights_fingerprint(folder, cache_dir=tmp_path / "fresh")
    memo_dir.mkdir()
    (memo_dir / "fingerprints.json").write_text("{not json", encoding="utf-8")
    assert weights_fingerprint(folder, cache_dir=memo_dir) == expected
    json.loads((memo_dir / "fingerprints.json").read_text(encoding="utf-8"))  # repaired
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("", encoding="utf-8")
    assert weights_fingerprint(folder, cache_dir=blocked / "cache") == expected


def test_workers_saving_the_memo_together_keep_each_others_entries(
    tmp_path: Path, memo_dir: Path, hash_calls: list[Path], no_racy_window: None
) -> None:
    """Two xdist workers load the memo of a fresh cache at the same time, each hashes its own
    checkpoint, each saves: before, the later save dropped the earlier one's entries."""
    one = write_checkpoint(tmp_path / "one", 1.0) / "model.safetensors"
    two = write_checkpoint(tmp_path / "two", 2.0) / "model.safetensors"
    first, second = fingerprint._Memo(memo_dir), fingerprint._Memo(memo_dir)
    first.sha256(one)
    second.sha256(two)
    first.save()
    second.save()
    hash_calls.clear()
    assert file_sha256(one, cache_dir=memo_dir) == file_sha256(one, cache_dir=tmp_path / "x")
    assert file_sha256(two, cache_dir=memo_dir) == file_sha256(two, cache_dir=tmp_path / "x")
    assert hash_calls.count(one) == 1 and hash_calls.count(two) == 1  # only the "x" reads


def test_file_sha256_matches_hashlib(tmp_path: Path, memo_dir: Path) -> None:
    import hashlib

    path = tmp_path / "x.gguf"
    path.write_bytes(b"abc" * 1000)
    assert file_sha256(path, cache_dir=memo_dir) == hashlib.sha256(b"abc" * 1000).hexdigest()


def test_folder_without_weights_is_an_error(tmp_path: Path, memo_dir: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelLoadError, match="no weight files"):
        weights_fingerprint(tmp_path, cache_dir=memo_dir)
    with pytest.raises(ModelLoadError, match="not a folder"):
        weights_fingerprint(tmp_path / "missing", cache_dir=memo_dir)


def fake_hub_cache(root: Path, repo_id: str, value: float) -> Path:
    """The layout huggingface_hub keeps: blobs, refs/main, snapshots/<commit>/ of symlinks."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    commit = "0123456789abcdef0123456789abcdef01234567"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit, encoding="utf-8")
    staged = write_checkpoint(root / "staged", value)
    (repo / "blobs").mkdir()
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for name in ("model.safetensors", "config.json"):
        blob = repo / "blobs" / f"blob-{name}"
        (staged / name).rename(blob)
        (snapshot / name).symlink_to(os.path.relpath(blob, snapshot))
    return snapshot


def test_hub_id_is_fingerprinted_from_its_local_snapshot(
    tmp_path: Path, memo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants

    hub = tmp_path / "hub"
    snapshot = fake_hub_cache(hub, "acme/tiny-model", 1.0)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    by_id = model_fingerprint("acme/tiny-model", cache_dir=memo_dir)
    assert by_id == weights_fingerprint(snapshot, cache_dir=memo_dir)
    assert by_id == weights_fingerprint(
        write_checkpoint(tmp_path / "copy", 1.0), cache_dir=memo_dir
    )
    with pytest.raises(ModelLoadError, match=r"acme/absent.*not in the local Hugging Face cache"):
        model_fingerprint("acme/absent", cache_dir=memo_dir)
