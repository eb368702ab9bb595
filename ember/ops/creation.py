"""Tensor factories (zeros, full, eye, the ``*_like`` family), conversions (to), in-place
fills, and the triangular and cumulative helpers.

Tensors from data live in from_data.py, ranges in ranges.py and random factories in
sampling.py; all are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from .._allocator import aligned_array
from .._backend import CPU, as_device, module_for, to_device
from ..autograd.graph import Node
from ._core import Tensor, check_inplace, check_scalar, overflow_error, rebase_history, record, wrap
from ._factory_args import _SCALARS, _check_dtype_arg, _finish, _into, _out_dtype, _size
from .from_data import as_tensor, from_numpy, scalar_tensor, tensor
from .ranges import arange, linspace, logspace
from .sampling import *  # noqa: F403 - rand, randn, ... belong to the factory family
from .sampling import __all__ as _sampling_all

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
           "linspace", "logspace", "eye", "zeros_like", "ones_like", "full_like", "empty_like",
           "to_copy", "fill_", "zero_", "copy_", "scalar_tensor", "tril", "triu", "diag",
           *_sampling_all]


def _factory(fill: str, size: tuple, dtype: D.dtype | None, device: Any, requires_grad: bool,
             value: Any = None, out: Tensor | None = None) -> Tensor:
    if not size:
        raise TypeError(f'{fill}() missing 1 required positional arguments: "size"')
    if dtype is not None or out is not None:
        _check_dtype_arg(dtype, fill)
        dtype = _out_dtype(dtype, out)
    dt = (dtype or D.get_default_dtype()).np
    xp = module_for(as_device(device) or CPU)
    shape = _size(size, fill)
    if xp is np:  # on a cache line, as torch allocates (see ember._allocator)
        data = aligned_array(shape, dt, fill == "zeros")
        if fill == "ones":
            data.fill(1)
        elif fill == "full":
            np.copyto(data, value, casting="unsafe")  # as np.full writes its value
    elif fill == "zeros":
        data = xp.zeros(shape, dtype=dt)
    elif fill == "ones":
        data = xp.ones(shape, dtype=dt)
    elif fill == "empty":
        data = xp.empty(shape, dtype=dt)
    else:
        data = xp.full(shape, value, dtype=dt)
    return _into(_finish(data, requires_grad, None), out, fill)


def zeros(*size: Any, out: Any = None, dtype: D.dtype | None = None, layout: Any = None,
          device: Any = None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _factory("zeros", size, dtype, device, requires_grad, out=out)


def ones(*size: Any, out: Any = None, dtype: D.dtype | None = None, layout: Any = None,
         device: Any = None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _factory("ones", size, dtype, device, requires_grad, out=out)


def empty(*size: Any, out: Any = None, dtype: D.dtype | None = None, layout: Any = None,
          device: Any = None, pin_memory: bool = False, requires_grad: bool = False,
          memory_format: Any = None) -> Tensor:
    """An uninitialized tensor."""
    return _factory("empty", size, dtype, device, requires_grad, out=out)


def full(size: Sequence[int], fill_value: Any, *, out: Any = None, dtype: D.dtype | None = None,
         layout: Any = None, device: Any = None, pin_memory: bool = False,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value (3 -> int64)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if isinstance(fill_value, Tensor) and fill_value._data.size == 1:
        fill_value = fill_value.item()
    if not isinstance(fill_value, _SCALARS):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(fill_value).__name__}")
    _check_dtype_arg(dtype, "full")
    dtype = _out_dtype(dtype, out)
    if dtype is None:  # a NumPy bool counts as a plain number, as in torch
        dtype = (D.get_default_dtype() if isinstance(fill_value, np.bool_)
                 else D.scalar_dtype(fill_value))
    try:
        value = check_scalar(fill_value.item() if isinstance(fill_value, np.generic)
                             else fill_value, dtype.np)
    except ValueError:  # beyond 64 bits: a fill reports it as an overflow of the dtype
        raise overflow_error(dtype.np) from None
    return _factory("full", (tuple(size),), dtype, device, requires_grad, value, out)


def _like(input: Tensor, dtype: D.dtype | None, device: Any, name: str) -> tuple:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    _check_dtype_arg(dtype, name)
    return dtype or input.dtype, device or input.device


def zeros_like(input: Tensor, *, dtype: D.dtype | None = None, layout: Any = None,
               device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    dt, dev = _like(input, dtype, device, "zeros_like")
    return zeros(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: D.dtype | None = None, layout: Any = None,
              device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    dt, dev = _like(input, dtype, device, "ones_like")
    return ones(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: D.dtype | None = None, layout: Any = None,
               device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    dt, dev = _like(input, dtype, device, "empty_like")
    return empty(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: D.dtype | None = None,
              layout: Any = None, device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    dt, dev = _like(input, dtype, device, "full_like")
    return full(tuple(input.shape), fill_value, dtype=dt, device=dev,
                requires_grad=requires_grad)


def eye(n: int, m: int | None = None, *, out: Any = None, dtype: D.dtype | None = None,
        layout: Any = None, device: Any = None, pin_memory: bool = False,
        requires_grad: bool = False) -> Tensor:
    """A 2-D tensor with ones on the diagonal."""
    for name, pos, v in (("n", 1, n), ("m", 2, m)):
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool)):
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    _check_dtype_arg(dtype, "eye")
    dt = _out_dtype(dtype, out) or D.get_default_dtype()
    return _into(_finish(np.eye(n, m, dtype=dt.np), requires_grad, device), out, "eye")


# -- conversion ------------------------------------------------------------------------------
class ToCopyBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        if grad._data.dtype.kind == "c" and self.dtype.np.kind != "c":
            grad = grad.real  # a real input's gradient is the real part, as in torch
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
        if data.dtype.kind == "c" and dtype.np.kind != "c":
            data = _real_part(data)
        data = data.astype(dtype.np)
    elif data is input._data:
        data = data.copy()
    res = wrap(data)
    if dtype is None or dtype.is_floating_point or dtype.is_complex:
        node = record(res, ToCopyBackward0, input)
        if node is not None:
            node.dtype = input.dtype
    return res


_warned_complex_to_real = [False]


def _real_part(data: Any) -> Any:
    """A complex array's real part, with torch's one-time warning that the imaginary part is
    dropped (NumPy would warn on every cast, in its own words)."""
    if not _warned_complex_to_real[0]:
        _warned_complex_to_real[0] = True
        import warnings
        warnings.warn("Casting complex values to real discards the imaginary part",
                      UserWarning, stacklevel=4)
    return data.real


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
        v = check_scalar(value.item() if isinstance(value, np.generic) else value,
                         self._data.dtype)
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


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    return wrap(np.diag(input._data, diagonal).copy())
