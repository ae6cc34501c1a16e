"""Deliberately damaged copies of a model, to prove that a gate catches a real regression.

A gate that never fails proves nothing. :func:`damage_model` writes a copy of a model with
Gaussian noise added to the weights of some decoder layers (a fixed seed, so the copy is the
same every time); running the suite on it must fail the no-drop gates and list the flipped
items. ``releasegate damage`` does it from the command line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

__all__ = ["damage_model"]

_LAYER = re.compile(r"\.layers\.(\d+)\.")


def damage_model(
    source: Path,
    target: Path,
    *,
    std: float,
    layers: Sequence[int] | None = None,
    seed: int = 0,
    relative: bool = True,
) -> int:
    """Copy the model folder *source* to *target* with noise in the chosen decoder *layers*
    (all when None); return the number of tensors changed.

    Each weight matrix ``W`` of those layers gets ``N(0, std)`` noise, scaled by the tensor's own
    standard deviation when *relative* (so ``std=0.1`` is "10% noise" whatever the layer's
    scale). Norms and biases (1-D tensors) are left alone.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(source)
    generator = torch.Generator().manual_seed(seed)
    chosen = None if layers is None else set(layers)
    changed = 0
    with torch.no_grad():
        for name, parameter in sorted(model.named_parameters()):
            found = _LAYER.search(name)
            if found is None or parameter.dim() < 2:
                continue
            if chosen is not None and int(found.group(1)) not in chosen:
                continue
            scale = std * (float(parameter.std()) if relative else 1.0)
            noise = torch.randn(parameter.shape, generator=generator) * scale
            parameter.add_(noise.to(parameter.dtype))
            changed += 1
    if changed == 0:
        raise ValueError(
            f"no weight matched layers {sorted(chosen or [])} in {source}; "
            "is it a decoder model with '.layers.N.' parameters?"
        )
    target.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    return changed
