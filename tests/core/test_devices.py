"""Devices per xdist worker, what ``-n auto`` means, and the threads each worker gets."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from releasegate.config import load_settings
from releasegate.core import devices
from releasegate.core.devices import (
    MAX_CPU_WORKERS,
    auto_num_workers,
    configure_torch_threads,
    device_for_worker,
    parse_device,
)
from releasegate.exceptions import ConfigError
from releasegate.models.backend import ModelSpec


@pytest.fixture
def gpus(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Pretend the machine has ``gpus[0]`` CUDA devices (0 by default)."""
    count = [0]
    monkeypatch.setattr(devices, "cuda_device_count", lambda: count[0])
    yield count


@pytest.mark.parametrize(
    ("worker", "expected"),
    [("gw0", "cuda:0"), ("gw1", "cuda:1"), ("gw2", "cuda:0"), ("gw5", "cuda:1"), (None, "cuda:0")],
)
def test_auto_and_bare_cuda_spread_workers_over_gpus(
    gpus: list[int], worker: str | None, expected: str
) -> None:
    gpus[0] = 2
    assert device_for_worker("auto", worker) == expected
    assert device_for_worker("cuda", worker) == expected


def test_master_and_unknown_worker_ids_take_the_first_gpu(gpus: list[int]) -> None:
    gpus[0] = 4
    assert device_for_worker("auto", "master") == "cuda:0"
    assert device_for_worker("auto", "gw7") == "cuda:3"


def test_auto_without_cuda_is_cpu(gpus: list[int]) -> None:
    assert device_for_worker("auto", "gw3") == "cpu"


def test_explicit_devices_are_kept(gpus: list[int]) -> None:
    gpus[0] = 2
    assert device_for_worker("cuda:1", "gw0") == "cuda:1"
    assert device_for_worker("cpu", "gw1") == "cpu"


def test_unavailable_or_malformed_devices_are_config_errors(gpus: list[int]) -> None:
    with pytest.raises(ConfigError, match="no CUDA device"):
        device_for_worker("cuda", "gw0")
    gpus[0] = 2
    with pytest.raises(ConfigError, match="sees 2 CUDA device"):
        device_for_worker("cuda:2", None)
    for bad in ("gpu", "cuda:x", "cpu:0", "CUDA"):
        with pytest.raises(ConfigError, match="not one of"):
            device_for_worker(bad, None)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("auto", True),
        ("cpu", True),
        ("mps", True),
        ("cuda", True),
        ("cuda:0", True),
        ("cuda:12", True),
        ("gpu", False),
        ("cuda:", False),
        ("cuda:x", False),
        ("cpu:0", False),
        ("CUDA", False),
        (" cpu", False),
        ("cuda:1\n", False),
    ],
)
def test_settings_model_spec_and_workers_read_devices_alike(
    tmp_path: Path, text: str, valid: bool
) -> None:
    """One grammar: the settings check, the model spec and the worker's device choice accept
    and refuse the same device strings."""
    readers = [
        lambda: parse_device(text),
        lambda: load_settings({"device": text}, {}, root=tmp_path),
        lambda: ModelSpec(model="org/m", device=text),
    ]
    for read in readers:
        if valid:
            read()
        else:
            with pytest.raises(ConfigError, match="device"):
                read()


def test_mps_needs_an_apple_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices, "mps_available", lambda: False)
    with pytest.raises(ConfigError, match="mps"):
        device_for_worker("mps", None)
    monkeypatch.setattr(devices, "mps_available", lambda: True)
    assert device_for_worker("mps", "gw1") == "mps"


def test_real_cuda_count_matches_torch() -> None:
    expected = torch.cuda.device_count() if torch.cuda.is_available() else 0
    assert devices.cuda_device_count() == expected


@pytest.mark.skipif(
    devices._gpu_driver_present() or not sys.platform.startswith("linux"),
    reason="needs a Linux machine without a GPU driver",
)
def test_no_gpu_driver_means_no_cuda_device_without_importing_torch() -> None:
    """``-n auto`` on a CPU machine is resolved without the second that importing torch takes
    (torch agrees: see the test above)."""
    code = (
        "import sys; from releasegate.core.devices import auto_num_workers, device_for_worker; "
        "auto_num_workers(); print(device_for_worker('auto', 'gw1'), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["cpu", "False"]


def test_auto_num_workers_is_one_per_gpu(gpus: list[int]) -> None:
    gpus[0] = 3
    assert auto_num_workers() == 3
    assert auto_num_workers(model_bytes=10**15) == 3  # one model per GPU, not in host memory


@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 2), (6, 6), (64, MAX_CPU_WORKERS)])
def test_auto_num_workers_on_cpu_is_one_per_core(
    gpus: list[int], monkeypatch: pytest.MonkeyPatch, cores: int, expected: int
) -> None:
    monkeypatch.setattr(devices.os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert auto_num_workers() == expected


def test_auto_num_workers_on_cpu_fits_the_models_in_memory(
    gpus: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devices.os, "sched_getaffinity", lambda pid: set(range(8)))
    monkeypatch.setattr(devices, "available_memory", lambda: 24 * 2**30)
    assert auto_num_workers(model_bytes=540 * 2**20) == 8  # the default model, fp32
    assert auto_num_workers(model_bytes=6 * 2**30) == 2
    assert auto_num_workers(model_bytes=28 * 2**30) == 1  # never fewer than one


def test_available_memory_is_plausible() -> None:
    assert 2**26 < devices.available_memory() < 2**50


@pytest.fixture
def restore_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("cores", "workers", "expected"), [(8, 2, 4), (8, 3, 2), (2, 4, 1), (2, 1, 2)]
)
def test_threads_are_the_cores_shared_out(
    monkeypatch: pytest.MonkeyPatch,
    restore_threads: None,
    cores: int,
    workers: int,
    expected: int,
) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(devices.os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert configure_torch_threads(workers) == expected
    assert torch.get_num_threads() == expected


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ("1", 1), ("0", 4), ("", 4), ("x", 4)])
def test_an_explicit_omp_num_threads_wins_when_it_is_a_positive_count(
    monkeypatch: pytest.MonkeyPatch, restore_threads: None, value: str, expected: int
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    monkeypatch.setattr(devices.os, "sched_getaffinity", lambda pid: set(range(8)))
    assert configure_torch_threads(2) == expected
    assert torch.get_num_threads() == expected
