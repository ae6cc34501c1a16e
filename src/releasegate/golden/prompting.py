"""How a golden case becomes the prompt sent to the model.

Chat suites send messages (an optional system prompt, then the case's input, or the case's own
conversation) that the backend renders with the model's chat template; plain suites send the
suite's template with ``{input}`` replaced. The rendered text is what gets recorded and cached.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models.backend import Prompt
from .cases import GoldenCase

__all__ = ["PromptSpec", "build_prompt"]


@dataclass(frozen=True)
class PromptSpec:
    """A suite's prompting."""

    chat: bool = True
    """Use the model's chat template (True) or send plain text (False)."""
    system: str | None = None
    """System prompt prepended to chat conversations that have none."""
    template: str | None = None
    """Text around a text input; ``{input}`` marks where the input goes."""


def build_prompt(case: GoldenCase, spec: PromptSpec) -> Prompt:
    """The :class:`Prompt` for *case* under the suite's *spec*."""
    if isinstance(case.input, str):
        text = spec.template.replace("{input}", case.input) if spec.template else case.input
        if not spec.chat:
            return Prompt(text=text)
        messages: tuple[dict[str, str], ...] = ({"role": "user", "content": text},)
    else:
        messages = tuple(dict(message) for message in case.input)
        if not spec.chat:
            return Prompt(text="\n".join(m["content"] for m in messages))
    if spec.system and not any(m.get("role") == "system" for m in messages):
        messages = ({"role": "system", "content": spec.system}, *messages)
    return Prompt(messages=messages)
