"""Autocast state, kept per thread: which device types autocast, to which dtype, whether casts of
weights are cached, and how deeply ``autocast`` regions are nested.

These are the functions torch exposes at top level (``get_autocast_dtype``,
``is_autocast_enabled``, ...); ``ember.amp.autocast`` is built on them.

>>> get_autocast_dtype("cuda"), is_autocast_enabled("cpu")
(ember.float16, False)
"""

from __future__ import annotations

import threading
import warnings

from .. import _dtype
from .._backend import device as _device

__all__ = ["get_autocast_dtype", "set_autocast_dtype", "is_autocast_enabled",
           "set_autocast_enabled", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
           "clear_autocast_cache", "autocast_increment_nesting", "autocast_decrement_nesting",
           "get_autocast_cpu_dtype", "get_autocast_gpu_dtype", "set_autocast_cpu_dtype",
           "set_autocast_gpu_dtype", "is_autocast_cpu_enabled", "set_autocast_cpu_enabled"]

AUTOCAST_DEVICE_TYPES = ("cpu", "cuda")
# CPU autocast defaults to bfloat16, which ember does not have: ``None`` stands in for it, and
# ``autocast`` turns itself off (with a warning) when asked to use it.
_DEFAULT_DTYPES = {"cpu": None, "cuda": _dtype.float16}
_UNKNOWN_DEVICE = "unknown device type for autocast in get_autocast_dispatch_key_from_device_type"


class _ThreadState(threading.local):
    """One copy per thread (autocast regions in one thread do not affect another)."""

    def __init__(self) -> None:
        self.enabled = dict.fromkeys(AUTOCAST_DEVICE_TYPES, False)
        self.dtypes = dict(_DEFAULT_DTYPES)
        self.cache_enabled = True
        self.nesting = 0
        self.cache: dict = {}
        self.casting = False  # whether this thread holds the op wrappers installed


state = _ThreadState()


def _type_name(value: object) -> str:
    cls = type(value)
    if cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__.split('.')[0]}.{cls.__name__}"


def _check_type(value: object, expected: type, func: str, arg: str, position: int,
                shown: str) -> None:
    if not isinstance(value, expected):
        raise TypeError(f"{func}(): argument '{arg}' (position {position}) must be {shown}, "
                        f"not {_type_name(value)}")


def device_type_of(device_type: str, func: str, unknown: str = _UNKNOWN_DEVICE) -> str:
    """The device type named by ``device_type`` ('cpu:0' -> 'cpu'), checked for autocast."""
    _check_type(device_type, str, func, "device_type", 1, "str")
    kind = _device(device_type).type  # an unknown device name raises ember's usual error
    if kind not in AUTOCAST_DEVICE_TYPES:
        raise RuntimeError(unknown)
    return kind


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether autocast is on for ``device_type`` (for CUDA when no device type is given)."""
    return state.enabled[device_type_of(device_type, "is_autocast_enabled")]


def set_autocast_enabled(device_type: str | bool, enabled: bool | None = None) -> None:
    """Turn autocast on or off for ``device_type`` (``set_autocast_enabled(flag)``: CUDA)."""
    if enabled is None:  # the one-argument form, for CUDA
        _check_type(device_type, bool, "set_autocast_enabled", "enabled", 1, "bool")
        device_type, enabled = "cuda", device_type
    kind = device_type_of(device_type, "set_autocast_enabled")
    _check_type(enabled, bool, "set_autocast_enabled", "enabled", 2, "bool")
    state.enabled[kind] = enabled
    from . import _casting  # the op wrappers follow the state of every device type
    _casting.sync(state)


def get_autocast_dtype(device_type: str) -> _dtype.dtype | None:
    """The lower-precision dtype autocast uses on ``device_type``.

    None for the CPU until one is set: torch's CPU default is bfloat16, not an ember dtype.
    """
    return state.dtypes[device_type_of(device_type, "get_autocast_dtype",
                                       unknown="unsupported scalarType")]


def set_autocast_dtype(device_type: str, dtype: _dtype.dtype) -> None:
    kind = device_type_of(device_type, "set_autocast_dtype")
    _check_type(dtype, _dtype.dtype, "set_autocast_dtype", "dtype", 2, "ember.dtype")
    state.dtypes[kind] = dtype


def restore_autocast_dtype(device_type: str, dtype: _dtype.dtype | None) -> None:
    """``set_autocast_dtype`` that also accepts None (the CPU's missing bfloat16 default)."""
    state.dtypes[device_type_of(device_type, "set_autocast_dtype")] = dtype


def is_autocast_cache_enabled() -> bool:
    return state.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool (got {_type_name(enabled)})")
    state.cache_enabled = enabled


def clear_autocast_cache() -> None:
    """Forget the cached lower-precision copies of weights made inside autocast regions."""
    state.cache.clear()


def autocast_increment_nesting() -> int:
    state.nesting += 1
    return state.nesting


def autocast_decrement_nesting() -> int:
    state.nesting -= 1
    return state.nesting


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"ember.{old} is deprecated. Please use ember.{new} instead.",
                  DeprecationWarning, stacklevel=3)


def get_autocast_cpu_dtype() -> _dtype.dtype | None:
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return state.dtypes["cpu"]


def get_autocast_gpu_dtype() -> _dtype.dtype:
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return state.dtypes["cuda"]


def is_autocast_cpu_enabled() -> bool:
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return state.enabled["cpu"]


def set_autocast_cpu_enabled(enabled: bool) -> None:
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def set_autocast_cpu_dtype(dtype: _dtype.dtype) -> None:
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def set_autocast_gpu_dtype(dtype: _dtype.dtype) -> None:
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)
