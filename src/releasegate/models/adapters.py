"""PEFT adapters (LoRA and kin): a checkpoint folder that holds ``adapter_config.json`` and
adapter weights instead of a whole model, loaded on top of its base model and merged, so the
rest of the engine (generation, lm-eval) sees an ordinary transformers model.

The base is the one the adapter names (``base_model_name_or_path``), or the one given in
``RELEASEGATE_ADAPTER_BASE`` (what ``releasegate checkpoints --base`` sets for the runs it
starts); the default model's alias works too. A base that cannot be found is one error naming
the adapter and the base, before any weight is read.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..exceptions import ModelLoadError
from .default_model import ensure_default_model, is_default_model
from .fingerprint import weights_fingerprint

__all__ = [
    "ADAPTER_BASE_ENV",
    "adapter_base",
    "adapter_fingerprint",
    "folder_fingerprint",
    "is_adapter_folder",
    "load_adapted_model",
]

ADAPTER_BASE_ENV = "RELEASEGATE_ADAPTER_BASE"
"""Environment variable naming the base model of every adapter a run loads."""


def is_adapter_folder(folder: Path) -> bool:
    return (folder / "adapter_config.json").is_file()


def adapter_base(folder: Path, *, cache_dir: Path, override: str | None = None) -> Path:
    """The folder of the base model adapter *folder* belongs on.

    *override* (else ``$RELEASEGATE_ADAPTER_BASE``) wins over the adapter's own record; the
    default model's alias resolves to its converted folder. Raises :class:`ModelLoadError` when
    the base is not a model folder here (offline, a hub id cannot be fetched)."""
    config_path = folder / "adapter_config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(
            f"{config_path}: cannot read the adapter's configuration: {exc}"
        ) from exc
    recorded = config.get("base_model_name_or_path") if isinstance(config, dict) else None
    base = override or os.environ.get(ADAPTER_BASE_ENV) or recorded
    if not base:
        raise ModelLoadError(
            f"PEFT adapter {folder}: {config_path.name} names no base model; give it with "
            f"--base (releasegate checkpoints) or {ADAPTER_BASE_ENV}"
        )
    if is_default_model(str(base)):
        return ensure_default_model(cache_dir)
    path = Path(str(base)).expanduser()
    if not (path / "config.json").is_file():
        raise ModelLoadError(
            f"PEFT adapter {folder}: its base model '{base}' is missing (no model folder with "
            "config.json there); give the base model's folder with --base (releasegate "
            f"checkpoints) or {ADAPTER_BASE_ENV}"
        )
    return path.resolve()


def adapter_fingerprint(adapter: str, base: str) -> str:
    """The identity of base + adapter: the same adapter on another base is another model."""
    return hashlib.sha256(f"adapter:{adapter}\nbase:{base}".encode()).hexdigest()


def folder_fingerprint(folder: Path, *, cache_dir: Path, base: str | None = None) -> str:
    """A model folder's fingerprint: its weights', or for an adapter, the adapter's together
    with its base's (what the ``hf`` backend reports once loaded, so a run's identity is known
    before the weights are read)."""
    fingerprint = weights_fingerprint(folder, cache_dir=cache_dir)
    if not is_adapter_folder(folder):
        return fingerprint
    base_folder = adapter_base(folder, cache_dir=cache_dir, override=base)
    return adapter_fingerprint(fingerprint, weights_fingerprint(base_folder, cache_dir=cache_dir))


def load_adapted_model(folder: Path, base: Path, *, dtype: Any, offline: bool) -> Any:
    """The base model with the adapter merged into it (``merge_and_unload``): no PEFT wrapper
    reaches generation or lm-eval, and generation costs what the base model's does."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype, local_files_only=offline)
    try:
        adapted = PeftModel.from_pretrained(model, folder, local_files_only=offline)
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"PEFT adapter {folder} does not load on {base}: {exc}") from exc
    return adapted.merge_and_unload()
