"""``ember.cuda``: GPU support through CuPy, when CuPy and a GPU are present."""

from __future__ import annotations

from ._backend import cuda_module

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize"]


def is_available() -> bool:
    """True only when CuPy is installed and sees at least one GPU."""
    return cuda_module() is not None


def device_count() -> int:
    cp = cuda_module()
    return 0 if cp is None else int(cp.cuda.runtime.getDeviceCount())


def current_device() -> int:
    cp = cuda_module()
    if cp is None:
        raise AssertionError("Torch not compiled with CUDA enabled")
    return int(cp.cuda.Device().id)


def manual_seed(seed: int) -> None:
    """Seeding is shared with the CPU generator (ember draws random numbers on the host)."""


manual_seed_all = manual_seed


def synchronize(device: object = None) -> None:
    cp = cuda_module()
    if cp is not None:
        cp.cuda.Device().synchronize()
