"""Model fingerprints: a digest of the weights, so a changed checkpoint never reuses old answers.

The prediction cache keys answers by this digest. Reading a 500 MB checkpoint on every run would
cost a second or more, so each file's digest is remembered in a small JSON file, keyed by what
changes when a file is rewritten: path, size, mtime_ns, ctime_ns and inode. ctime cannot be set
back by a user (``os.utime`` moves it forward), which closes the gap of a checkpoint rewritten
with the same size and an mtime copied back.

A file modified in the last :data:`RACY_SECONDS` is hashed but not remembered: timestamps have a
granularity of a clock tick or more (seconds on some filesystems), so a file rewritten within the
same tick as it was hashed would look unchanged (git calls this "racily clean"). Checkpoints are
written long before they are evaluated, so in practice every file is read once.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from ..config import default_cache_dir
from ..core.memo import merge_json_object, read_json_object
from ..exceptions import ModelLoadError

__all__ = [
    "RACY_SECONDS",
    "WEIGHT_PATTERNS",
    "file_sha256",
    "hub_snapshot_dir",
    "model_fingerprint",
    "weights_fingerprint",
]

WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.gguf", "*.pt")
"""Files whose contents make up the weights of a model folder (besides ``config.json``)."""

TRAINER_STATE = frozenset({"optimizer.pt", "scheduler.pt", "scaler.pt", "training_args.bin"})
"""Files a transformers ``Trainer`` checkpoint holds beside the weights: they change only when the
weights change too, and the optimizer state alone is twice the model's size, so they are skipped."""

RACY_SECONDS = 2.0
"""Files modified more recently than this are hashed every time instead of remembered."""

_MEMO_FILE = "fingerprints.json"
_MEMO_MAX_ENTRIES = 2000
_CHUNK = 1 << 20
_VERSION = b"releasegate-weights-fingerprint-v1\n"


def weights_fingerprint(folder: Path, *, cache_dir: Path | None = None) -> str:
    """sha256 over the names and contents of *folder*'s weight files and its ``config.json``.

    The same weights give the same fingerprint wherever the folder is; different values,
    a renamed shard or a changed config give a different one. *cache_dir* holds the memo
    (default: the releasegate cache folder).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelLoadError(f"cannot fingerprint '{folder}': not a folder")
    files = sorted(
        {
            path
            for pattern in WEIGHT_PATTERNS
            for path in folder.glob(pattern)
            if path.is_file() and path.name not in TRAINER_STATE
        }
    )
    if not files:
        raise ModelLoadError(
            f"model folder '{folder}' has no weight files ({', '.join(WEIGHT_PATTERNS)})"
        )
    config = folder / "config.json"
    if config.is_file():
        files.append(config)
    memo = _Memo(cache_dir if cache_dir is not None else default_cache_dir())
    digest = hashlib.sha256(_VERSION)
    for path in files:
        digest.update(f"{path.name}\0{memo.sha256(path)}\n".encode())
    memo.save()
    return digest.hexdigest()


def file_sha256(path: Path, *, cache_dir: Path | None = None) -> str:
    """sha256 of one file's contents, remembered like the weights' digests."""
    memo = _Memo(cache_dir if cache_dir is not None else default_cache_dir())
    value = memo.sha256(Path(path))
    memo.save()
    return value


def hub_snapshot_dir(repo_id: str) -> Path:
    """The local snapshot folder of a hub model, without touching the network."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(str(snapshot_download(repo_id, local_files_only=True)))
    except LocalEntryNotFoundError as exc:
        raise ModelLoadError(
            f"hub model '{repo_id}' is not in the local Hugging Face cache "
            f"({os.environ.get('HF_HUB_CACHE') or 'default location'}); download it once with "
            f"'hf download {repo_id}' on a machine with network, or give a local folder"
        ) from exc


def model_fingerprint(model: str | Path, *, cache_dir: Path | None = None) -> str:
    """Fingerprint of a local model folder or of a hub id's local snapshot."""
    path = Path(model).expanduser()
    if path.is_dir():
        return weights_fingerprint(path, cache_dir=cache_dir)
    return weights_fingerprint(hub_snapshot_dir(str(model)), cache_dir=cache_dir)


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _Memo:
    """File digests by (path, size, mtime_ns, ctime_ns, inode), in one JSON file.

    Several pytest-xdist workers may update it at once: each saves through
    :func:`releasegate.core.memo.merge_json_object` (under the cache folder's file lock, merging
    its new entries into what is on disk then, replacing the file atomically), so a reader sees
    one writer's whole file and no writer drops another's entries.
    """

    def __init__(self, cache_dir: Path) -> None:
        self.path = cache_dir / _MEMO_FILE
        self.entries = self._load()
        self.changed = False

    def _load(self) -> dict[str, str]:
        data = read_json_object(self.path)
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}

    def sha256(self, path: Path) -> str:
        resolved = path.resolve()  # hub snapshots are symlinks into blobs/
        stat = resolved.stat()
        key = json.dumps(
            [str(resolved), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
        )
        known = self.entries.get(key)
        if known is not None:
            return known
        started = time.time_ns()
        value = _hash_file(resolved)
        newest = max(stat.st_mtime_ns, stat.st_ctime_ns)
        if started - newest > RACY_SECONDS * 1e9:
            self.entries[key] = value
            self.changed = True
        return value

    def save(self) -> None:
        if not self.changed:
            return
        # Merged with what other processes saved since this one loaded. A read-only cache
        # folder, or a lock held past the wait, costs a re-hash next time, not a failure.
        merge_json_object(
            self.path,
            self.entries,
            what=f"the fingerprint memo {self.path}",
            timeout=30,
            keep_last=_MEMO_MAX_ENTRIES,
            indent=0,
        )
        self.changed = False
