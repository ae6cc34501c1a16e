"""Which training step a model is: ``--step``, else its folder's name, else its
``trainer_state.json``.

Checkpoint folders carry the step in their names in the layouts the common trainers write
(``checkpoint-500`` from the Hugging Face Trainer, ``step-500``, DeepSpeed's ``global_step500``);
a folder named otherwise may still hold the Trainer's ``trainer_state.json``, whose
``global_step`` says it. A model that is none of these is not a checkpoint (step None).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..exceptions import HistoryError

__all__ = ["step_from_name", "step_of"]

_STEP_NAME = re.compile(r"^(?:checkpoint-|step-|global_step)(\d+)$")


def step_from_name(name: str) -> int | None:
    """The step a checkpoint folder's name says (``checkpoint-500`` -> 500), or None."""
    found = _STEP_NAME.match(name)
    return int(found.group(1)) if found else None


def step_of(model: str, *, explicit: int | None = None) -> int | None:
    """The step of *model* (a folder or a name): *explicit* when given, else the folder's name
    (or its parent's, for a model saved in a subfolder of a checkpoint), else
    ``trainer_state.json``'s ``global_step``; None for a model that is not a checkpoint.

    A ``trainer_state.json`` that cannot be read is an error, not a silent "no step": the run
    would be recorded at the wrong place on the curve.
    """
    if explicit is not None:
        if explicit < 0:
            raise HistoryError(f"--step must be 0 or more, got {explicit}")
        return explicit
    path = Path(model).expanduser()
    for name in (path.name, path.parent.name):
        step = step_from_name(name)
        if step is not None:
            return step
    state = path / "trainer_state.json"
    if not state.is_file():
        return None
    try:
        data = json.loads(state.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HistoryError(
            f"{state}: cannot read the checkpoint's training state ({exc}); give the step with "
            "--step N, or repair or remove the file"
        ) from exc
    step = data.get("global_step") if isinstance(data, dict) else None
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise HistoryError(
            f"{state}: 'global_step' must be a whole number of 0 or more, got {step!r}; give "
            "the step with --step N, or repair or remove the file"
        )
    return step
