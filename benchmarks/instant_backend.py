"""A fake model, for speed: a backend that answers at once, from a table, with no weights.

Two uses, neither of which is about what a model says:

- ``benchmarks/overhead.py`` measures releasegate's own overhead per case: with no model, a
  run's wall time is collection, scheduling, caching, judging and reporting alone (every answer
  is ``yes``);
- ``tests/pytest_plugin/test_plugin_fake.py`` tests the regression semantics (FAILED / XFAIL /
  XPASS / critical, metric bars, no-drop) in seconds: the test decides each answer, so each
  case lands in the state the test wants. The same semantics are tested on the real model in
  ``tests/pytest_plugin/test_plugin.py``.

Its "model" is a folder whose ``config.json`` holds the table: ``{"answers": {<input>:
<answer>}, "default": <answer>}``; a prompt whose rendered text ends with an input gets that
input's answer, any other the default. The fingerprint is the table's digest, so a changed
table is a changed model (no cached answer of the old one is reused). Use it as
``backend = "instant_backend:InstantBackend"`` with this folder on ``PYTHONPATH``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from releasegate.models.backend import Generation, GenerationSettings, ModelSpec, Prompt


class InstantBackend:
    """A fake backend (for speed, not for what it says): answers from a table, instantly."""

    name = "instant"

    def __init__(self, spec: ModelSpec) -> None:
        config = Path(spec.model).expanduser() / "config.json"
        table: dict[str, Any] = (
            json.loads(config.read_text(encoding="utf-8")) if config.is_file() else {}
        )
        self._answers: dict[str, str] = dict(table.get("answers", {}))
        self._default = str(table.get("default", "yes"))
        digest = json.dumps([self._answers, self._default], sort_keys=True, ensure_ascii=False)
        self.fingerprint = hashlib.sha256(b"instant" + digest.encode()).hexdigest()

    def describe(self) -> dict[str, Any]:
        return {"model": "instant", "device": "none"}

    def render(self, prompt: Prompt) -> str:
        if prompt.text is not None:
            return prompt.text
        return "\n".join(m["content"] for m in prompt.messages or ())

    def answer(self, rendered: str) -> str:
        """The table's answer to the input *rendered* ends with, else the default."""
        for question, answer in self._answers.items():
            if rendered.endswith(question):
                return answer
        return self._default

    def generate(
        self, rendered: Sequence[str], settings: GenerationSettings, *, batch_size: int
    ) -> list[Generation]:
        return [Generation(text=self.answer(r), output_tokens=1, seconds=0.0) for r in rendered]

    def close(self) -> None:
        pass
