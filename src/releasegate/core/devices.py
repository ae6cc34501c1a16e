"""Which device each pytest-xdist worker uses, how many workers ``-n auto`` means, and threads.

One model per device: worker ``gwN`` takes GPU N modulo the GPUs there are. On a CPU machine
every worker holds its own copy of the model and the cores are split between them.

What ``-n auto`` should mean on a CPU was measured on the 2-core development machine with the
whole demo release suite (178 cases, default model, fp32, batches of 16, nothing cached)::

    pytest model_tests -n 0 --no-prediction-cache    1 process x 2 torch threads   160 s
    pytest model_tests -n 2 --no-prediction-cache    2 workers x 1 torch thread    129 s

``benchmarks/workers_on_cpu.py`` compares the same two layouts on raw generation alone (32
golden-like chat prompts, 48 new tokens, greedy, batches of 16, identical answers both ways).
Five runs each, taken while no other process used more than 0.5 CPU-seconds during the run::

    1 process  x 2 threads   generate 11.9-12.9 s (median 12.3)   with start-up, load 17.1-18.7 s
    2 processes x 1 thread   generate  8.9- 9.8 s (median  9.3)   with start-up, load 14.6-15.7 s

While other work kept the machine's load average at 2-5, the gap grew to 196 and 479 s against
29 and 31 s: torch's threads wait for each other in every operation, and one of them is often
descheduled. So on a CPU ``-n auto`` means one single-threaded worker per core, up to
:data:`MAX_CPU_WORKERS` and as many copies of the model as memory holds.
"""

from __future__ import annotations

import glob
import os
import re
import sys
from dataclasses import dataclass

from ..exceptions import ConfigError

__all__ = [
    "DEVICE_CHOICES",
    "DEVICE_GRAMMAR",
    "MAX_CPU_WORKERS",
    "DeviceRequest",
    "auto_num_workers",
    "available_memory",
    "configure_torch_threads",
    "cpu_count",
    "cuda_device_count",
    "device_for_worker",
    "explicit_threads",
    "mps_available",
    "parse_device",
]

MAX_CPU_WORKERS = 8
"""Most workers ``-n auto`` starts on a machine without a GPU. One per core was measured best on
2 cores; beyond 8 it is untested, and each worker holds its own copy of the model."""

_MEMORY_PER_WEIGHT_BYTE = 1.5
"""Resident memory of a worker per byte of weights (torch, activations, KV cache included)."""

DEVICE_GRAMMAR = "auto|cpu|mps|cuda(?::[0-9]+)?"
"""The devices a user may name, written once: :func:`parse_device` matches it, the settings
schema uses it as the ``device`` key's pattern (so a bad device is refused before anything runs)
and the model spec checks its device by it."""
DEVICE_CHOICES = "auto, cpu, cuda, cuda:N, mps"
""":data:`DEVICE_GRAMMAR` in words, for messages and help."""

_DEVICE = re.compile(DEVICE_GRAMMAR)
_WORKER = re.compile(r"gw(\d+)")


def cuda_device_count() -> int:
    """GPUs torch can see; 0 without CUDA. Does not create a CUDA context (the controller
    process stays fork-safe): torch answers from NVML or the driver's device count.

    On Linux without a GPU kernel driver (no NVIDIA, ROCm or WSL device node) torch can see no
    device, so the answer is 0 without importing torch: a second saved wherever ``-n auto`` or
    ``device = "auto"`` is resolved on a CPU machine (a fully cached re-run imports no torch)."""
    if sys.platform.startswith("linux") and not _gpu_driver_present():
        return 0
    import torch

    if not torch.cuda.is_available():
        return 0
    return int(torch.cuda.device_count())


def _gpu_driver_present() -> bool:
    """Whether a GPU driver's device node exists (NVIDIA, AMD ROCm's ``/dev/kfd``, WSL's
    ``/dev/dxg``); without one, CUDA and ROCm builds of torch see no device."""
    nodes = ("/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia", "/dev/kfd", "/dev/dxg")
    return any(os.path.exists(node) for node in nodes) or bool(glob.glob("/dev/nvidia[0-9]*"))


def mps_available() -> bool:
    import torch

    return bool(torch.backends.mps.is_available())


@dataclass(frozen=True)
class DeviceRequest:
    """A device as the user named it, parsed by :data:`DEVICE_GRAMMAR`."""

    kind: str
    """``auto``, ``cpu``, ``mps`` or ``cuda``."""
    index: int | None
    """N of ``cuda:N``; None for every other kind and for a bare ``cuda``."""


def parse_device(requested: str) -> DeviceRequest:
    """*requested* parsed; anything outside :data:`DEVICE_GRAMMAR` is a :class:`ConfigError`."""
    if not isinstance(requested, str) or _DEVICE.fullmatch(requested) is None:
        raise ConfigError(f"device '{requested}' is not one of {DEVICE_CHOICES}")
    kind, _, index = requested.partition(":")
    return DeviceRequest(kind=kind, index=int(index) if index else None)


def device_for_worker(requested: str, worker_id: str | None) -> str:
    """The concrete device for xdist worker *worker_id* (``gw0``, ``gw1``...; None or
    ``master`` outside xdist).

    ``auto`` and a bare ``cuda`` spread the workers over the GPUs (``gwN`` -> ``cuda:N mod
    count``); ``auto`` without CUDA is ``cpu``; ``cuda:K``, ``cpu`` and ``mps`` are kept.
    """
    parsed = parse_device(requested)
    kind, index = parsed.kind, parsed.index
    if kind == "cpu":
        return kind
    if kind == "mps":
        if not mps_available():
            raise ConfigError("device 'mps' was asked for, but torch sees no Apple GPU")
        return kind
    count = cuda_device_count()
    if count == 0:
        if kind == "auto":
            return "cpu"
        raise ConfigError(
            f"device '{requested}' was asked for, but torch sees no CUDA device "
            f"({_torch_build()}); use device 'auto' or 'cpu'"
        )
    if index is not None:
        if index >= count:
            raise ConfigError(
                f"device '{requested}' was asked for, but torch sees {count} CUDA device(s)"
            )
        return requested
    return f"cuda:{_worker_number(worker_id) % count}"


def auto_num_workers(model_bytes: int | None = None) -> int:
    """What ``-n auto`` means: one worker per GPU; on a CPU machine one single-threaded worker
    per core (up to :data:`MAX_CPU_WORKERS`), fewer if *model_bytes* (the weights' size on
    disk, when known) times the workers would not fit in the memory available now."""
    gpus = cuda_device_count()
    if gpus:
        return gpus
    workers = min(cpu_count(), MAX_CPU_WORKERS)
    if model_bytes:
        fits = int(available_memory() // (model_bytes * _MEMORY_PER_WEIGHT_BYTE))
        workers = min(workers, fits)
    return max(1, workers)


def available_memory() -> int:
    """Bytes of memory available to new processes now (Linux ``MemAvailable``)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def cpu_count() -> int:
    """Cores this process may run on (its affinity mask, e.g. a container's cpuset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def configure_torch_threads(num_workers: int) -> int:
    """Give this process its share of the cores when *num_workers* processes run side by side;
    returns the thread count set.

    An explicit ``OMP_NUM_THREADS`` (a positive whole number) wins: whoever set it knows what
    else runs on the machine (several pytest sessions, a server beside the tests).
    """
    import torch

    threads = explicit_threads() or max(1, cpu_count() // max(1, num_workers))
    torch.set_num_threads(threads)
    return threads


def explicit_threads() -> int | None:
    """``OMP_NUM_THREADS`` when it is set to a positive whole number, else None."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _worker_number(worker_id: str | None) -> int:
    match = _WORKER.fullmatch(worker_id or "")
    return int(match.group(1)) if match else 0


def _torch_build() -> str:
    import torch

    cuda = torch.version.cuda
    return f"torch {torch.__version__}, " + (f"CUDA {cuda}" if cuda else "a CPU-only build")
