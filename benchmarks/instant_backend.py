"""A backend that answers instantly, for measuring releasegate's own overhead per case.

It echoes a fixed answer without any model, so a run's wall time is collection, scheduling,
caching, judging and reporting alone. Used by ``benchmarks/overhead.py`` only: never in tests,
where answers come from the real default model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from releasegate.models.backend import Generation, GenerationSettings, ModelSpec, Prompt


class InstantBackend:
    name = "instant"

    def __init__(self, spec: ModelSpec) -> None:
        self.fingerprint = hashlib.sha256(b"instant").hexdigest()

    def describe(self) -> dict[str, Any]:
        return {"model": "instant", "device": "none"}

    def render(self, prompt: Prompt) -> str:
        if prompt.text is not None:
            return prompt.text
        return "\n".join(m["content"] for m in prompt.messages or ())

    def generate(
        self, rendered: Sequence[str], settings: GenerationSettings, *, batch_size: int
    ) -> list[Generation]:
        return [Generation(text="yes", output_tokens=1, seconds=0.0) for _ in rendered]

    def close(self) -> None:
        pass
