"""``autocast``: run chosen ops in a lower precision inside a region, as ``torch.autocast``.

Inside ``autocast(device_type, dtype)`` the matrix products and convolutions (``matmul``,
``mm``, ``bmm``, ``addmm``, ``baddbmm``, ``linear``, ``conv*d``, ``conv_transpose*d``,
``prelu``, ``scaled_dot_product_attention``, ...) cast their floating inputs (float64 aside)
to ``dtype`` and so return ``dtype`` results; the numerically sensitive ops on torch's float32
list (the losses, ``prod``, ``cdist``, the linear-algebra decompositions, the FFTs, ...) cast
float16 inputs up to float32. Every other op runs on what it is given. Regions nest, and
``autocast(..., enabled=False)`` turns autocast off inside an enclosing region.

CPU autocast: ``dtype=ember.float16`` gives the result dtypes torch's CPU autocast gives. torch
defaults to bfloat16 on the CPU, a dtype ember does not have; ``autocast("cpu")`` without a
dtype therefore does what torch does for a dtype its CPU autocast does not support: it warns
and disables itself, so the region runs in the inputs' own precision (float32 for a float32
model), and code written for torch keeps running. Pass ``dtype=ember.float16`` for half
precision. ``get_autocast_dtype("cpu")`` is None until a dtype is set.

CUDA autocast (float16 by default) needs ``ember.cuda.is_available()``; without a GPU it warns
("CUDA is not available. Disabling autocast.": torch's message also mentions torch_xla) and
disables itself, as torch does.

How it works: ember has no dispatcher, so while autocast is on the listed functions are
replaced by casting wrappers in ``ember``, ``ember.linalg``, ``ember.fft``,
``ember.nn.functional`` (and the modules ember's layers call them through) and on ``Tensor``,
and put back when the last region closes. The autocast state is per thread and a wrapper casts
only in the thread that enabled it, but the replacement itself is visible to every thread
(``ember.mm`` is a wrapper while any thread is inside autocast); a function reference taken
before the region started is not affected.

>>> x = ember.ones(2, 3)
>>> with ember.amp.autocast("cpu", dtype=ember.float16):
...     y = ember.nn.functional.linear(x, ember.ones(4, 3))
...     z = y + x.sum()
>>> y.dtype, z.dtype
(ember.float16, ember.float16)
"""

from __future__ import annotations

import collections.abc
import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype
from .._backend import device as _device
from .._tensor import Tensor
from . import _state
from ._state import (get_autocast_dtype, is_autocast_cache_enabled, is_autocast_enabled,
                     set_autocast_cache_enabled, set_autocast_dtype, set_autocast_enabled)

__all__ = ["autocast_decorator", "autocast", "is_autocast_available", "custom_fwd",
           "custom_bwd"]

# The lower-precision dtypes ember can compute in on the CPU (torch also lists bfloat16).
_CPU_DTYPES = (_dtype.float16,)


def is_autocast_available(device_type: str) -> bool:
    """Whether ember can autocast on ``device_type`` ('cpu' and 'cuda'; not 'meta')."""
    _state._check_type(device_type, str, "_is_autocast_available", "device_type", 1, "str")
    return _device(device_type).type in _state.AUTOCAST_DEVICE_TYPES


class autocast:  # noqa: N801 - torch's name
    """Context manager (and decorator) for a mixed-precision region; see the module docs."""

    def __init__(self, device_type: str, dtype: _dtype.dtype | None = None,
                 enabled: bool = True, cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(self.device):
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{self.device}'")
        self._cache_enabled = (is_autocast_cache_enabled() if cache_enabled is None
                               else cache_enabled)
        if enabled:
            problem = self._unsupported()
            if problem:
                warnings.warn(problem, stacklevel=2)
                enabled = False
        self._enabled = enabled

    def _unsupported(self) -> str | None:
        """Why autocast must turn itself off, or None."""
        if self.device == "cuda":
            from .. import cuda
            if not cuda.is_available():
                return "CUDA is not available. Disabling autocast."
            return None
        if self.fast_dtype in _CPU_DTYPES:
            return None
        name = self.device.upper()
        if self.fast_dtype is None:  # torch's bfloat16 default
            return (f"{name} autocast defaults to bfloat16, a dtype ember does not have. "
                    "Disabling autocast.\nPass dtype=ember.float16 to autocast in half "
                    "precision.")
        supported = ", ".join(map(str, _CPU_DTYPES))
        return (f"In {name} autocast, but the target dtype is not supported. Disabling "
                f"autocast.\n{name} Autocast only supports dtypes of {supported} currently.")

    def __enter__(self) -> autocast:
        self.prev_cache_enabled = is_autocast_cache_enabled()
        self.prev = is_autocast_enabled(self.device)
        self.prev_fastdtype = get_autocast_dtype(self.device)
        set_autocast_enabled(self.device, self._enabled)
        if self.fast_dtype is None:
            _state.restore_autocast_dtype(self.device, None)
        else:
            set_autocast_dtype(self.device, self.fast_dtype)
        _state.autocast_increment_nesting()
        set_autocast_cache_enabled(self._cache_enabled)
        return self

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> bool:
        # Leaving the outermost region drops the cached casts of weights.
        if _state.autocast_decrement_nesting() == 0:
            _state.clear_autocast_cache()
        set_autocast_enabled(self.device, self.prev)
        _state.restore_autocast_dtype(self.device, self.prev_fastdtype)
        set_autocast_cache_enabled(self.prev_cache_enabled)
        return False

    def __call__(self, func: Callable) -> Callable:
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                "Did you mean to use autocast as a context manager? For example:\n"
                "    with ember.autocast(device_type=...):\n"
                "        output = model(input)")
        return autocast_decorator(self, func)


def autocast_decorator(autocast_instance: autocast, func: Callable) -> Callable:
    """``func`` run inside ``autocast_instance`` at every call."""
    @functools.wraps(func)
    def decorate_autocast(*args: Any, **kwargs: Any) -> Any:
        with autocast_instance:
            return func(*args, **kwargs)

    return decorate_autocast


def _cast(value: Any, device_type: str, dtype: _dtype.dtype) -> Any:
    """``value`` with its floating tensors on ``device_type`` (float64 aside) cast to
    ``dtype``, through lists, tuples, mappings and other iterables."""
    if isinstance(value, Tensor):
        eligible = (value.is_floating_point() and value.device.type == device_type
                    and value.dtype != _dtype.float64)
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes, np.ndarray)):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype)
                for k, v in value.items()}
    if isinstance(value, collections.abc.Iterable):
        cast = (_cast(v, device_type, dtype) for v in value)
        return type(value)(cast) if isinstance(value, (list, tuple)) else cast
    return value


def _check_device_type(device_type: object) -> None:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")


def custom_fwd(fwd: Callable | None = None, *, device_type: str,
               cast_inputs: _dtype.dtype | None = None) -> Callable:
    """Decorator for the ``forward`` of an ``autograd.Function`` used inside autocast.

    With ``cast_inputs``, inside an enabled region the floating inputs are cast to it and
    ``forward`` runs with autocast off; without, ``forward`` runs in the current state.
    """
    _check_device_type(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args: Any, **kwargs: Any) -> Any:
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False
        if not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)
        with autocast(device_type=device_type, enabled=False):
            return fwd(*_cast(args, device_type, cast_inputs),
                       **_cast(kwargs, device_type, cast_inputs))

    return decorate_fwd


def custom_bwd(bwd: Callable | None = None, *, device_type: str) -> Callable:
    """Decorator for the ``backward`` of an ``autograd.Function``: it runs in the autocast
    state its ``forward`` (decorated with ``custom_fwd``) ran in."""
    _check_device_type(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args: Any, **kwargs: Any) -> Any:
        ctx = args[0]
        with autocast(device_type=device_type, enabled=ctx._fwd_used_autocast,
                      dtype=ctx._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd
