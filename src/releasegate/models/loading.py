"""Loading a backend by name: the registered backends (imported only when chosen) and the lazy
``hf`` backend whose weights load only when an answer must be generated
(:mod:`releasegate.models.lazy`).

Apart from :mod:`.backend` (the contract, which imports no backend) so that the contract sits
below the backends that implement it and this module above them.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping

from ..exceptions import ModelLoadError, UnknownNameError
from .adapters import folder_fingerprint
from .backend import Backend, ModelSpec
from .fingerprint import WEIGHT_PATTERNS, file_sha256
from .lazy import BackendIdentity, LazyBackend, digest
from .sources import hf_source

__all__ = ["lazy_backend", "load_backend"]


_BACKENDS: Mapping[str, str] = {
    "hf": "releasegate.models.hf:HFBackend",
    "openai": "releasegate.models.openai:OpenAIBackend",
}
"""Backend name -> ``module:callable`` taking a :class:`ModelSpec`; imported only when chosen."""


def load_backend(name: str, spec: ModelSpec) -> Backend:
    """Load the backend *name* for *spec*; the backend's module is imported only now.

    *name* is a registered name (``hf``) or ``package.module:Factory`` for a backend of your
    own: any callable that takes a :class:`ModelSpec` and returns a :class:`Backend`."""
    target = name if ":" in name else _BACKENDS.get(name)
    if target is None:
        raise UnknownNameError("backend", name, _BACKENDS)
    module_name, _, attribute = target.partition(":")
    factory: Callable[[ModelSpec], Backend] = getattr(
        importlib.import_module(module_name), attribute
    )
    return factory(spec)


def lazy_backend(
    name: str, spec: ModelSpec, *, worker_id: str | None, load: Callable[[], Backend]
) -> Backend:
    """The backend *name* for *spec*, its weights loaded (by *load*) only when an answer must
    be generated or something about the model is not yet remembered in the cache folder (see
    :mod:`releasegate.models.lazy`). Backends other than ``hf`` are loaded at once."""
    if name != "hf":
        return load()
    from importlib.metadata import PackageNotFoundError, version

    try:
        source, path, folder = hf_source(spec)
        fingerprint = folder_fingerprint(folder, cache_dir=spec.cache_dir)  # adapters: + base
        libraries = {lib: version(lib) for lib in ("torch", "transformers")}
    except (ModelLoadError, PackageNotFoundError):
        return load()  # not on this machine yet (a hub model to download): load as before
    others = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not any(p.match(pattern) for pattern in WEIGHT_PATTERNS)
    )
    files = {p.name: file_sha256(p, cache_dir=spec.cache_dir) for p in others}
    identity = BackendIdentity(
        name=name,
        fingerprint=fingerprint,
        description_key=digest(name, fingerprint, spec.model, source, path, libraries),
        placement_key=digest(
            spec.device,
            spec.dtype,
            worker_id,
            os.environ.get("CUDA_VISIBLE_DEVICES"),
            libraries["torch"],
        ),
        render_key=digest(name, files, libraries["transformers"]),
    )

    def placement() -> dict[str, str]:
        from ..core.devices import device_for_worker

        device = device_for_worker(spec.device, worker_id)
        if spec.dtype != "auto":
            return {"device": device, "dtype": spec.dtype}
        if not device.startswith("cuda"):
            return {"device": device, "dtype": "float32"}  # resolve_dtype's choice off CUDA
        from .hf import resolve_dtype  # bfloat16 or float16: asks the GPU

        return {
            "device": device,
            "dtype": str(resolve_dtype(spec.dtype, device)).removeprefix("torch."),
        }

    memo_dir = spec.cache_dir / "backends"
    return LazyBackend(identity, load, memo_dir=memo_dir, placement=placement)
