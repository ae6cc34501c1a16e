"""Why a model did not load, said in one line.

transformers and safetensors fail in many ways when a checkpoint is not what they expect: a
weights file cut short while it was copied, a ``config.json`` whose architecture needs the
model's own Python code (``auto_map``, ``trust_remote_code``), a size mismatch. Their messages
run to many lines (and, for custom code, ask a question on stdin). Every case of a run shows the
error of its model, so it must be one line that names the folder, says what is wrong and what to
do: :func:`load_failure` makes that :class:`~releasegate.exceptions.ModelLoadError`.

releasegate never runs a checkpoint's own code: a model is loaded with
``trust_remote_code=False``, so a folder that needs it is refused with this message instead.
"""

from __future__ import annotations

from pathlib import Path

from ..exceptions import ModelLoadError

__all__ = ["damaged_weights", "load_failure"]


def damaged_weights(folder: Path) -> tuple[Path, str] | None:
    """The first ``*.safetensors`` file of *folder* whose header cannot be read, with the
    reason; None when each one opens (or there is none)."""
    try:
        from safetensors import safe_open
    except ImportError:  # pragma: no cover - safetensors comes with transformers
        return None
    for path in sorted(folder.glob("*.safetensors")):
        try:
            with safe_open(str(path), framework="pt"):
                pass
        except Exception as exc:  # safetensors raises its own Rust error type
            return path, _first_line(exc)
    return None


def load_failure(
    model: str, folder: Path | None, exc: BaseException, *, hint: str = ""
) -> ModelLoadError:
    """The one-line error for *model* (loaded from *folder*, None for a hub id not yet
    downloaded) that failed to load with *exc*."""
    name = f"cannot load model '{model}'{hint}"
    text = str(exc)
    if "trust_remote_code" in text or "custom code" in text:
        where = f"{folder / 'config.json'}" if folder is not None else "its config.json"
        return ModelLoadError(
            f"{name}: {where} needs the checkpoint's own Python code (auto_map), and "
            "releasegate does not run code from a model folder (trust_remote_code is off); "
            "use a checkpoint of an architecture your transformers version knows, or save it "
            "again with a built-in model class"
        )
    if folder is not None and folder.is_dir():
        damaged = damaged_weights(folder)
        if damaged is not None:
            path, reason = damaged
            return ModelLoadError(
                f"{name}: the weights file {path} is damaged or incomplete ({reason}); "
                "it was probably cut short while being written or copied: copy or save the "
                "checkpoint again"
            )
    return ModelLoadError(f"{name}: {type(exc).__name__}: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    """The first non-empty line of *exc*'s message, shortened to 300 characters."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    return first if len(first) <= 300 else first[:297] + "..."
