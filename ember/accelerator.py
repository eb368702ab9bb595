"""``ember.accelerator``: the torch 2.x device-agnostic accelerator API."""

from __future__ import annotations

from . import cuda
from ._backend import device

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available() -> bool:
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """``device(type='cuda')`` when a GPU is usable, else None (as torch on a CPU machine)."""
    return device("cuda") if cuda.is_available() else None


def device_count() -> int:
    return cuda.device_count()
