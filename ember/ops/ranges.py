"""Evenly spaced values: ``arange``, ``linspace`` and ``logspace``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from ._core import Tensor
from ._errstate import quiet
from ._factory_args import _SCALARS, _check_dtype_arg, _finish, _into, _out_dtype

__all__ = ["arange", "linspace", "logspace"]


def _range_number(v: Any, fn: str, arg: str, pos: int) -> Any:
    """A range bound as a Python number (0-d tensors read as their value)."""
    if isinstance(v, Tensor) and v._data.ndim == 0:
        return v.item()
    if not isinstance(v, _SCALARS):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Number, not "
                        f"{type(v).__name__}")
    if isinstance(v, (complex, np.complexfloating)):
        raise RuntimeError("value cannot be converted to type double without overflow")
    return v


def _arange_args(start: Any, end: Any, step: Any, dtype: D.dtype) -> tuple:
    """Integer ranges truncate their bounds and step to integers first, as torch does."""
    if dtype.is_floating_point:
        return start, end, step
    if step != 0 and int(step) == 0:
        raise ValueError("step must be nonzero")
    return int(start), int(end), int(step)


def arange(start: Any = 0, end: Any = None, step: Any = 1, *, out: Any = None,
           dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
           pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; all-integer arguments give int64.

    >>> ember.arange(1, 2.5, 0.5)
    tensor([1.0000, 1.5000, 2.0000])
    """
    if end is None:
        start, end = 0, start
    start = _range_number(start, "arange", "start", 1)
    end = _range_number(end, "arange", "end", 1 if start == 0 else 2)
    step = _range_number(step, "arange", "step", 3)
    _check_dtype_arg(dtype, "arange")
    dtype = _out_dtype(dtype, out)
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = D.int64 if ints else D.get_default_dtype()
    if dtype == D.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    start, end, step = _arange_args(start, end, step, dtype)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = max(math.ceil((end - start) / step), 0)
    if n > np.iinfo(np.int64).max // 8:
        raise RuntimeError("invalid size, possible overflow?")
    # Computed in double (or int64), then cast: float32 ranges round as torch's do.
    acc = np.float64 if dtype.is_floating_point else np.int64
    data = (start + np.arange(n, dtype=acc) * step).astype(dtype.np)
    return _into(_finish(data, requires_grad, device), out, "arange")


def _space_args(start: Any, end: Any, steps: Any, fn: str) -> tuple:
    """linspace/logspace's checks on their arguments; the bounds as Python numbers."""
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"{fn}(): argument 'steps' (position 3) must be int, not "
                        f"{type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    bounds = []
    for name, v in (("start", start), ("end", end)):
        if isinstance(v, Tensor):
            if v._data.ndim:
                raise RuntimeError(f"{fn} only supports 0-dimensional start and end tensors, "
                                   f"but got {name} with {v._data.ndim} dimension(s).")
            v = v.item()
        bounds.append(v)
    return bounds[0], bounds[1], int(steps)


def _space_dtype(start: Any, end: Any, dtype: D.dtype | None, fn: str) -> D.dtype:
    cplx = any(isinstance(v, (complex, np.complexfloating)) for v in (start, end))
    inferred = D.default_complex() if cplx else D.get_default_dtype()
    if dtype is None:
        return inferred
    if dtype == D.bool:
        raise NotImplementedError(f"\"{fn}_cpu\" not implemented for 'Bool'")
    if cplx and not dtype.is_complex:
        raise RuntimeError(f"ember.{fn}(): inferred dtype {D.type_meta_name(inferred)} can't be "
                           "safely "
                           f"cast to passed dtype {D.scalar_type_name(dtype)}")
    return dtype


def linspace(start: Any, end: Any, steps: int, *, out: Any = None, dtype: D.dtype | None = None,
             layout: Any = None, device: Any = None, pin_memory: bool = False,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start, end, steps = _space_args(start, end, steps, "linspace")
    _check_dtype_arg(dtype, "linspace")
    dt = _space_dtype(start, end, _out_dtype(dtype, out), "linspace")
    data = _linspace(start, end, steps, dt)
    return _into(_finish(data, requires_grad, device), out, "linspace")


def _linspace(start: Any, end: Any, steps: int, dt: D.dtype) -> np.ndarray:
    if steps == 1:
        return np.array([start], dtype=dt.np)
    if not (dt.is_floating_point or dt.is_complex):
        return np.linspace(float(start), float(end), steps).astype(dt.np)
    # In the output precision, stepping from both ends towards the middle so that the last
    # value is exactly ``end``. Each value is one fused multiply-add, as in torch: emulated
    # by a wider type in which the product and sum are exact before the final rounding.
    f = dt.np.type
    step = (f(end) - f(start)) / f(steps - 1) if steps > 1 else f(0)
    wide = {np.float32: np.float64, np.float64: np.longdouble}.get(dt.np.type, dt.np.type)
    i = np.arange(steps).astype(wide)
    from_start = wide(f(start)) + wide(step) * i
    from_end = wide(f(end)) - wide(step) * (steps - 1 - i)
    return np.where(np.arange(steps) < steps // 2, from_start, from_end).astype(dt.np)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, out: Any = None,
             dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
             pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    start, end, steps = _space_args(start, end, steps, "logspace")
    _check_dtype_arg(dtype, "logspace")
    dt = _space_dtype(start, end, _out_dtype(dtype, out), "logspace")
    if dt.np.kind in "iu":  # integer powers of truncated integer bounds
        start, end = int(start), int(end)
    wide = np.complex128 if dt.is_complex else np.float64
    exponents = np.linspace(start, end, steps, dtype=wide)
    with quiet():
        data = np.power(wide(base), exponents).astype(dt.np)
    return _into(_finish(data, requires_grad, device), out, "logspace")

