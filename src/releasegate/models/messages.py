"""One chat message, the unit of a conversation a backend is prompted with.

It lives with the backends (:class:`~releasegate.models.backend.Prompt` holds them), below the
golden cases that are written in it (:class:`~releasegate.golden.cases.GoldenCase`'s ``input``),
so that models need nothing of golden.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

__all__ = ["ChatMessage"]

ChatMessage: TypeAlias = Mapping[str, str]
"""One chat message: ``{"role": "user" | "system" | "assistant", "content": "..."}``."""
