"""The progress of lm-eval's requests, shown in place of lm-eval's own output.

lm-eval's logging is turned down during a run (a line per task override and per dataset), and
its tqdm bars are swallowed by pytest's capture, so a benchmark of some thousand questions used
to run in silence. While :func:`shown_requests` is active, each request method lm-eval calls on
the model (``loglikelihood``, ``loglikelihood_rolling``, ``generate_until``) is a step of
:mod:`releasegate.core.progress` with as many items as requests, advanced as each answer comes
back: lm-eval's models hand every finished answer to their ``cache_hook`` (``add_partial``),
which is counted on its way. The requests, their batching and their answers are untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..core.progress import Step, progress

__all__ = ["REQUEST_METHODS", "shown_requests"]

REQUEST_METHODS = ("loglikelihood", "loglikelihood_rolling", "generate_until")
_KIND = {
    "loglikelihood": "scoring choices",
    "loglikelihood_rolling": "scoring texts",
    "generate_until": "generating answers",
}


class _CountingHook:
    """The model's cache hook, counting each finished answer before passing it on."""

    def __init__(self, inner: Any, step: Step) -> None:
        self._inner = inner
        self._step = step

    def add_partial(self, attr: str, req: Any, res: Any) -> None:
        if self._step.total is None or self._step.done < self._step.total:
            self._step.advance()
        if self._inner is not None:
            self._inner.add_partial(attr, req, res)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _counted(model: Any, name: str, method: Callable[..., Any], label: str) -> Callable[..., Any]:
    def call(requests: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
        with progress(f"{label}: {_KIND[name]}", total=len(requests)) as step:
            hook = getattr(model, "cache_hook", None)
            model.cache_hook = _CountingHook(hook, step)
            try:
                answers = method(requests, *args, **kwargs)
            finally:
                model.cache_hook = hook
            step.advance(len(requests) - step.done)  # answers no hook was handed
            return answers

    return call


@contextmanager
def shown_requests(model: Any, label: str) -> Iterator[None]:
    """While active, lm-eval's requests to *model* show their progress under *label* (the
    tasks' names); the model is as it was afterwards."""
    replaced: dict[str, Any] = {}
    own = vars(model) if hasattr(model, "__dict__") else None
    if own is not None:
        for name in REQUEST_METHODS:
            method = getattr(model, name, None)
            if callable(method):
                replaced[name] = own.get(name, _ABSENT)
                own[name] = _counted(model, name, method, label)
    try:
        yield
    finally:
        if own is not None:
            for name, before in replaced.items():
                if before is _ABSENT:
                    own.pop(name, None)
                else:
                    own[name] = before


_ABSENT = object()
