"""Tensor factories (tensor, zeros, arange, linspace, ...), conversions (to), in-place fills.

Random factories live in sampling.py and are re-exported here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import CPU, as_device, module_for, to_device
from ..autograd.graph import Node
from ._core import Tensor, check_inplace, rebase_history, record, wrap
from ._errstate import quiet
from .sampling import *  # noqa: F403 - rand, randn, ... belong to the factory family
from .sampling import __all__ as _sampling_all

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
           "linspace", "logspace", "eye", "zeros_like", "ones_like", "full_like", "empty_like",
           "to_copy", "fill_", "zero_", "copy_", "scalar_tensor", "tril", "triu", "cumsum",
           "diag", *_sampling_all]


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


# -- tensor / as_tensor / from_numpy ----------------------------------------------------------
def _infer_dtype(data: Any) -> D.dtype:
    """torch.tensor's inference: bools, ints (int64), floats (default dtype), nested lists;
    NumPy scalars and arrays and tensors bring their own dtype."""
    found = None
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        if isinstance(x, Tensor):
            d = x.dtype
        elif isinstance(x, (np.ndarray, np.generic)):
            d = D.from_np(x.dtype)
        elif isinstance(x, (bool, int, float, complex)):
            d = D.scalar_dtype(x)
        elif isinstance(x, str):
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
        found = d if found is None else D.promote_types(found, d)
    return D.get_default_dtype() if found is None else found


def _ragged_error(data: Any) -> Exception:
    """torch's message for nested sequences whose lengths disagree."""
    shape, x = [], data
    while isinstance(x, (list, tuple)):
        shape.append(len(x))
        x = x[0] if len(x) else None
    stack = [(data, 0)]
    while stack:
        x, dim = stack.pop()
        if dim == len(shape):
            if isinstance(x, (list, tuple)):
                return TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
            continue
        if not isinstance(x, (list, tuple, np.ndarray, Tensor)):
            return TypeError("not a sequence")
        if len(x) != shape[dim]:
            return ValueError(f"expected sequence of length {shape[dim]} at dim {dim} "
                              f"(got {len(x)})")
        stack.extend((y, dim + 1) for y in x)
    return ValueError("expected sequences of equal length")


def _untensor(data: Any) -> Any:
    if isinstance(data, Tensor):
        if data._data.size != 1 and data._data.ndim:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return data.item()
    if isinstance(data, (list, tuple)):
        return [_untensor(x) for x in data]
    return data


def _to_array(data: Any, dtype: D.dtype | None) -> np.ndarray:
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=3)
        arr = data._numpy_host()
        return arr.astype(dtype.np) if dtype is not None else arr.copy()
    if isinstance(data, np.ndarray):
        D.from_np(data.dtype)
        return np.array(data, dtype=dtype.np if dtype is not None else None, copy=True)
    dt = dtype or _infer_dtype(data)
    if isinstance(data, (list, tuple)):
        data = _untensor(data)
    try:
        with quiet():  # 1e40 becomes inf in float32, silently as in torch
            return np.array(data, dtype=dt.np)
    except ValueError:
        raise _ragged_error(data) from None
    except OverflowError:
        if dtype is None:
            raise ValueError("Overflow when unpacking long long") from None
        raise RuntimeError(f"value cannot be converted to type {dt.name} without "
                           "overflow") from None


def _c_name(dt: D.dtype) -> str:
    return {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t",
            "int64": "int64_t"}.get(dt.name, dt.name)


def tensor(data: Any, *, dtype: D.dtype | None = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays or tensors).

    >>> ember.tensor([[1, 2], [3, 4]]).dtype
    ember.int64
    """
    return _finish(_to_array(data, dtype), requires_grad, device)


def scalar_tensor(s: Any, *, dtype: D.dtype | None = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    return tensor(s, dtype=dtype or D.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def as_tensor(data: Any, dtype: D.dtype | None = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a tensor or ndarray when no conversion is needed."""
    if isinstance(data, Tensor):
        out = data if dtype is None or dtype == data.dtype else data.to(dtype)
        return out if device is None else out.to(device)
    if isinstance(data, np.ndarray) and (dtype is None or dtype.np == data.dtype):
        D.from_np(data.dtype)
        return _finish(data, False, device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (changes show both ways).

    >>> a = np.zeros(2); t = ember.from_numpy(a); a[0] = 1; t
    tensor([1., 0.], dtype=ember.float64)
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_np(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    return wrap(ndarray)


# -- constant factories ------------------------------------------------------------------------
def _size(size: tuple, name: str) -> tuple:
    """The shape from ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``, validated as torch does."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(s).__name__}")
    if any(s < 0 for s in size):
        if name == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{next(s for s in size if s < 0)}: {list(size)}")
    return tuple(int(s) for s in size)


def _factory(fill: str, size: tuple, dtype: D.dtype | None, device: Any, requires_grad: bool,
             value: Any = None) -> Tensor:
    if not size:
        raise TypeError(f'{fill}() missing 1 required positional arguments: "size"')
    dt = (dtype or D.get_default_dtype()).np
    xp = module_for(as_device(device) or CPU)
    shape = _size(size, fill)
    if fill == "zeros":
        data = xp.zeros(shape, dtype=dt)
    elif fill == "ones":
        data = xp.ones(shape, dtype=dt)
    elif fill == "empty":
        data = xp.empty(shape, dtype=dt)
    else:
        data = xp.full(shape, value, dtype=dt)
    return _finish(data, requires_grad, None)


def zeros(*size: Any, out: Any = None, dtype: D.dtype | None = None, layout: Any = None,
          device: Any = None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _factory("zeros", size, dtype, device, requires_grad)


def ones(*size: Any, out: Any = None, dtype: D.dtype | None = None, layout: Any = None,
         device: Any = None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _factory("ones", size, dtype, device, requires_grad)


def empty(*size: Any, out: Any = None, dtype: D.dtype | None = None, layout: Any = None,
          device: Any = None, pin_memory: bool = False, requires_grad: bool = False,
          memory_format: Any = None) -> Tensor:
    """An uninitialized tensor."""
    return _factory("empty", size, dtype, device, requires_grad)


def full(size: Sequence[int], fill_value: Any, *, out: Any = None, dtype: D.dtype | None = None,
         layout: Any = None, device: Any = None, pin_memory: bool = False,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value (3 -> int64)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = D.scalar_dtype(fill_value)
    return _factory("full", (tuple(size),), dtype, device, requires_grad, fill_value)


def _like(input: Tensor, dtype: D.dtype | None, device: Any) -> tuple:
    return dtype or input.dtype, device or input.device


def zeros_like(input: Tensor, *, dtype: D.dtype | None = None, layout: Any = None,
               device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return zeros(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: D.dtype | None = None, layout: Any = None,
              device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return ones(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: D.dtype | None = None, layout: Any = None,
               device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return empty(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: D.dtype | None = None,
              layout: Any = None, device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return full(tuple(input.shape), fill_value, dtype=dt, device=dev,
                requires_grad=requires_grad)


# -- ranges ---------------------------------------------------------------------------------
def arange(start: Any, end: Any = None, step: Any = 1, *, out: Any = None,
           dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
           pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; all-integer arguments give int64.

    >>> ember.arange(1, 2.5, 0.5)
    tensor([1.0000, 1.5000, 2.0000])
    """
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = D.int64 if ints else D.get_default_dtype()
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = max(math.ceil((end - start) / step), 0)
    # Computed in double (or int64), then cast: float32 ranges round as torch's do.
    acc = np.float64 if dtype.is_floating_point else np.int64
    data = (start + np.arange(n, dtype=acc) * step).astype(dtype.np)
    return _finish(data, requires_grad, device)


def linspace(start: Any, end: Any, steps: int, *, out: Any = None, dtype: D.dtype | None = None,
             layout: Any = None, device: Any = None, pin_memory: bool = False,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if not isinstance(steps, (int, np.integer)):
        raise TypeError(f"linspace(): argument 'steps' (position 3) must be int, not "
                        f"{type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    start, end = (float(v.item() if isinstance(v, Tensor) else v) for v in (start, end))
    return _finish(_linspace(start, end, int(steps), dt), requires_grad, device)


def _linspace(start: float, end: float, steps: int, dt: D.dtype) -> np.ndarray:
    if steps == 1:
        return np.array([start], dtype=dt.np)
    if not dt.is_floating_point:
        return np.linspace(start, end, steps).astype(dt.np)
    # In the output precision, stepping from both ends towards the middle, as torch does,
    # so that the last value is exactly ``end``.
    f = dt.np.type
    step = f((end - start) / (steps - 1)) if steps > 1 else f(0)
    i = np.arange(steps, dtype=dt.np)
    half = steps // 2
    return np.where(i < half, f(start) + step * i, f(end) - step * (steps - 1 - i)).astype(dt.np)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, out: Any = None,
             dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
             pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    dt = dtype or D.get_default_dtype()
    data = np.logspace(float(start), float(end), int(steps), base=base).astype(dt.np)
    return _finish(data, requires_grad, device)


def eye(n: int, m: int | None = None, *, out: Any = None, dtype: D.dtype | None = None,
        layout: Any = None, device: Any = None, pin_memory: bool = False,
        requires_grad: bool = False) -> Tensor:
    """A 2-D tensor with ones on the diagonal."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n if n < 0 else m}")
    dt = dtype or D.get_default_dtype()
    return _finish(np.eye(n, m, dtype=dt.np), requires_grad, device)


# -- conversion ------------------------------------------------------------------------------
class ToCopyBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.to(self.dtype),)


def to_copy(input: Tensor, dtype: D.dtype | None, device: Any, copy: bool = False) -> Tensor:
    """``input.to(dtype, device)``: the input itself when nothing changes (and no copy)."""
    data = input._data
    same_dtype = dtype is None or dtype.np == data.dtype
    same_device = device is None or device == input.device
    if same_dtype and same_device and not copy:
        return input
    if not same_device:
        data = to_device(data, device)
    if not same_dtype:
        data = data.astype(dtype.np)
    elif data is input._data:
        data = data.copy()
    res = wrap(data)
    if dtype is None or dtype.is_floating_point or dtype.is_complex:
        node = record(res, ToCopyBackward0, input)
        if node is not None:
            node.dtype = input.dtype
    return res


def _legacy_constructor(*args: Any, **kwargs: Any) -> Tensor:
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        return tensor(args[0], dtype=D.get_default_dtype())
    return zeros(*args, **kwargs)


# -- in-place fills --------------------------------------------------------------------------
class FillBackward2(Node):  # fill_ with a number: the old values no longer matter
    def backward(self, grad: Tensor) -> tuple:
        return (grad * 0,)


class FillBackward3(Node):  # fill_ with a 0-d tensor: its gradient is the sum
    def backward(self, grad: Tensor) -> tuple:
        return grad * 0, grad.sum()


class ZeroBackward0(FillBackward2):
    pass


def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every element to ``value`` (a number or a 0-d tensor)."""
    check_inplace(self)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        v = value._data
    else:
        v = value
        if self._data.dtype.kind in "iu" and isinstance(value, (int, np.integer)):
            info = np.iinfo(self._data.dtype)
            if not info.min <= value <= info.max:
                raise RuntimeError(f"value cannot be converted to type "
                                   f"{_c_name(self.dtype)} without overflow")
    self._data[...] = v
    self._version[0] += 1
    if isinstance(value, Tensor) and value._requires_grad:
        rebase_history(self, FillBackward3, self, value)
    elif self.grad_fn is not None:
        rebase_history(self, FillBackward2, self)
    return self


def zero_(self: Tensor) -> Tensor:
    """Set every element to zero."""
    check_inplace(self)
    self._data[...] = 0
    self._version[0] += 1
    if self.grad_fn is not None:
        rebase_history(self, ZeroBackward0, self)
    return self


class CopyBackwards(Node):
    def backward(self, grad: Tensor) -> tuple:
        from .arithmetic import _reduce
        return grad * 0, _reduce(grad, self.src_meta)


def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copy ``src``'s values into ``self`` (broadcasting and converting the dtype)."""
    from .arithmetic import _inplace_shape_error, _meta, _size_error
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")
    check_inplace(self)
    if src._data.ndim > self._data.ndim:
        raise _inplace_shape_error(self, src)
    try:
        np.copyto(self._data, src._numpy_host() if type(self._data) is np.ndarray else src._data,
                  casting="unsafe")
    except ValueError:
        raise _size_error(self._data.shape, src._data.shape) from None
    self._version[0] += 1
    if src._requires_grad or self.grad_fn is not None:
        node = rebase_history(self, CopyBackwards, self, src)
        if node is not None:
            node.src_meta = _meta(src)
    return self


# -- small structural helpers ----------------------------------------------------------------
class TrilBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (tril(grad, self.k),)


class TriuBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (triu(grad, self.k),)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below ``diagonal``); the rest zeroed."""
    res = wrap(np.tril(input._data, diagonal))
    node = record(res, TrilBackward0, input)
    if node is not None:
        node.k = diagonal
    return res


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above ``diagonal``); the rest zeroed."""
    res = wrap(np.triu(input._data, diagonal))
    node = record(res, TriuBackward0, input)
    if node is not None:
        node.k = diagonal
    return res


class CumsumBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.flip(self.dim).cumsum(self.dim).flip(self.dim),)


def cumsum(input: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
    """Running sums along ``dim`` (integers accumulate in int64)."""
    data = input._data
    acc = dtype.np if dtype is not None else (np.int64 if data.dtype.kind in "biu" else None)
    res = wrap(np.cumsum(data, axis=dim if data.ndim else None, dtype=acc).reshape(data.shape))
    node = record(res, CumsumBackward0, input)
    if node is not None:
        node.dim = dim
    return res


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    return wrap(np.diag(input._data, diagonal).copy())
