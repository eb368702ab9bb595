"""What the tensor factories share: argument checks (sizes, dtypes, ``out=``) and the
finishing of a new tensor (device, ``requires_grad``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import as_device, to_device
from ._core import Tensor, check_inplace, wrap


def _finish(data: Any, requires_grad: bool, device: Any) -> Tensor:
    dev = as_device(device)
    if dev is not None and dev.type != "cpu":
        data = to_device(data, dev)
    t = wrap(data)
    if requires_grad:
        if data.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._requires_grad = True
    return t


_SCALARS = (bool, int, float, complex, np.generic)


def _check_dtype_arg(dtype: Any, fn: str) -> None:
    if dtype is not None and not isinstance(dtype, D.dtype):
        raise TypeError(f"{fn}(): argument 'dtype' must be ember.dtype, not "
                        f"{type(dtype).__name__}")


def _type_name(x: Any) -> str:
    """The type's name as torch's argument errors print it (``numpy.float64``, ``list``)."""
    if isinstance(x, Tensor):
        return "Tensor"
    kind = type(x)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def _as_dim(s: Any, first: bool) -> int | None:
    """``s`` as one size, or None where torch's parser refuses it (a bool only leads)."""
    if isinstance(s, Tensor):
        return int(s.item()) if s._data.size == 1 and s._data.dtype.kind in "iu" else None
    if isinstance(s, (int, np.integer)) and not (first and isinstance(s, (bool, np.bool_))):
        return int(s)
    return None


def _size(size: tuple, name: str) -> tuple:
    """The shape from ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``, validated as torch does."""
    packed = len(size) == 1 and isinstance(size[0], (tuple, list))
    if packed:
        size = tuple(size[0])
    if all(type(s) is int and s >= 0 for s in size):  # the common case, checked cheaply
        return size
    shape = []
    for i, s in enumerate(size):
        dim = _as_dim(s, i == 0)
        if dim is None and i == 0:
            if packed:
                raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                                f"but found element of type {_type_name(s)} at pos 0")
            if len(size) > 1:
                raise TypeError(f"{name}() takes 1 positional argument but {len(size)} were "
                                "given")
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                            f"not {_type_name(s)}")
        if dim is None:
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{_type_name(s)}\"")
        shape.append(dim)
    if any(s < 0 for s in shape):
        if name == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{next(s for s in shape if s < 0)}: {shape}")
    return tuple(shape)


def _out_dtype(dtype: D.dtype | None, out: Tensor | None) -> D.dtype | None:
    """A factory writing into ``out`` makes ``out``'s dtype (and refuses any other)."""
    if out is None:
        return dtype
    if dtype is not None and dtype != out.dtype:
        raise RuntimeError(f"dtype {D.scalar_type_name(dtype)} does not match dtype of out "
                           f"parameter ({D.scalar_type_name(out.dtype)})")
    return out.dtype


def _into(res: Tensor, out: Tensor | None, name: str) -> Tensor:
    """Store a factory's result in ``out`` (resized to the result's shape) and return it."""
    if out is None:
        return res
    if out._requires_grad:
        raise RuntimeError(f"aten::{name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    check_inplace(out)
    if out._data.shape != res._data.shape:
        out._data = np.empty(res._data.shape, dtype=out._data.dtype)
    out._data[...] = res._data
    out._version[0] += 1
    if res._requires_grad:
        out._requires_grad = True
    return out

