"""Devices and the array module behind them.

This is the one place that knows which array library serves a device: NumPy for "cpu",
CuPy for "cuda" when it is installed. Ops ask ``array_module(array)`` or ``module_for(device)``
and never import an array library themselves.
"""

from __future__ import annotations

import numpy as np

__all__ = ["device", "array_module", "module_for", "device_of", "cuda_module"]


class device:
    """Where a tensor lives: ``device("cpu")``, ``device("cuda", 0)``, ``device("cuda:1")``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError("device() received an invalid combination of arguments - "
                            f"got ({type!r})")
        if ":" in type:
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, meta device type at start of device string: " + type)
        self.type, self.index = type, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")
_cupy = None
_cupy_checked = False


def cuda_module():
    """CuPy when it is installed and sees a GPU, else None (imported lazily, once)."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # noqa: PLC0415 - optional heavy dependency
            if cupy.cuda.runtime.getDeviceCount() > 0:
                _cupy = cupy
        except Exception:  # noqa: BLE001 - any failure means "no usable GPU"
            _cupy = None
    return _cupy


def module_for(dev: device):
    """The array module that allocates on ``dev``."""
    if dev.type == "cpu":
        return np
    if dev.type == "cuda":
        cp = cuda_module()
        if cp is None:
            raise AssertionError("Torch not compiled with CUDA enabled")
        return cp
    raise RuntimeError(f"unsupported device {dev}")


def array_module(arr: object):
    """The array module owning ``arr``: NumPy for ndarrays, CuPy for CuPy arrays."""
    if type(arr) is np.ndarray:
        return np
    cp = cuda_module()
    if cp is not None and isinstance(arr, cp.ndarray):
        return cp
    return np


def device_of(arr: object) -> device:
    if type(arr) is np.ndarray:
        return CPU
    return device("cuda", int(arr.device.id))


def to_device(arr, dev: device):
    """Copy ``arr`` to ``dev`` (no copy when it is already there)."""
    if dev.type == "cpu":
        return arr if type(arr) is np.ndarray else arr.get()
    cp = module_for(dev)
    with cp.cuda.Device(dev.index or 0):
        return cp.asarray(arr)


def as_device(dev: object) -> device | None:
    if dev is None or isinstance(dev, device):
        return dev
    if isinstance(dev, int):
        return device("cuda", dev)
    return device(dev)
