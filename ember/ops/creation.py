"""Tensor factories (tensor, zeros, arange, randn, ...), conversions (to), and in-place fills."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import _dtype as D
from .._backend import CPU, as_device, module_for, to_device
from .._random import numpy_rng
from ..autograd.graph import Node
from ._core import Tensor, bump_version, check_inplace, record, wrap

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
           "linspace", "logspace", "eye", "rand", "randn", "randint", "randperm", "zeros_like",
           "ones_like", "full_like", "empty_like", "rand_like", "randn_like", "randint_like",
           "to_copy", "fill_", "zero_", "copy_", "uniform_", "normal_", "bernoulli",
           "multinomial", "scalar_tensor", "tril", "triu", "cumsum", "diag"]


def _finish(data: np.ndarray, requires_grad: bool, device: Any) -> Tensor:
    dev = as_device(device)
    if dev is not None and dev.type != "cpu":
        data = to_device(data, dev)
    t = wrap(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data: Any) -> D.dtype:
    """torch.tensor's inference: bools, ints (int64), floats (default dtype), nested lists."""
    kinds = set()
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            kinds.add(x.dtype)
        elif isinstance(x, np.ndarray):
            kinds.add(D.from_np(x.dtype))
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (bool, np.bool_)):
            kinds.add(D.bool)
        elif isinstance(x, (int, np.integer)):
            kinds.add(D.int64)
        elif isinstance(x, (float, np.floating)):
            kinds.add(D.get_default_dtype())
        elif isinstance(x, complex):
            kinds.add(D.default_complex())
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    if not kinds:
        return D.get_default_dtype()
    out = None
    for k in kinds:
        out = k if out is None else D.promote_types(out, k)
    return out


def _to_array(data: Any, dtype: D.dtype | None) -> np.ndarray:
    if isinstance(data, Tensor):
        arr = data._numpy_host()
        return arr.astype(dtype.np) if dtype is not None else arr.copy()
    if isinstance(data, np.ndarray):
        return np.array(data, dtype=dtype.np if dtype is not None else None, copy=True)
    dt = dtype or _infer_dtype(data)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _untensor(data)
    try:
        return np.array(data, dtype=dt.np)
    except ValueError as e:
        raise ValueError(f"expected sequence of equal length: {e}") from None
    except OverflowError:
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow") from None


def _flat(data: Any):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _untensor(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_untensor(x) for x in data]
    return data


def tensor(data: Any, *, dtype: D.dtype | None = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays or tensors)."""
    return _finish(_to_array(data, dtype), requires_grad, device)


def scalar_tensor(s: Any, *, dtype: D.dtype | None = None, device: Any = None) -> Tensor:
    return tensor(s, dtype=dtype or D.get_default_dtype(), device=device)


def as_tensor(data: Any, dtype: D.dtype | None = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a tensor or ndarray when no conversion is needed."""
    if isinstance(data, Tensor):
        out = data if dtype is None or dtype == data.dtype else data.to(dtype)
        return out if device is None else out.to(device)
    if isinstance(data, np.ndarray) and (dtype is None or dtype.np == data.dtype):
        return _finish(data, False, device) if data.dtype in D._FROM_NP else tensor(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (changes show both ways)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_np(ndarray.dtype)
    return wrap(ndarray)


def _size(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"zeros(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
    return tuple(int(s) for s in size)


def _factory(fill: str, size: tuple, dtype: D.dtype | None, device: Any, requires_grad: bool,
             value: Any = None) -> Tensor:
    dt = (dtype or D.get_default_dtype()).np
    xp = module_for(as_device(device) or CPU)
    shape = _size(size)
    if fill == "zeros":
        data = xp.zeros(shape, dtype=dt)
    elif fill == "ones":
        data = xp.ones(shape, dtype=dt)
    elif fill == "empty":
        data = xp.empty(shape, dtype=dt)
    else:
        data = xp.full(shape, value, dtype=dt)
    t = wrap(data)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size: Any, out: Any = None, dtype: D.dtype | None = None, device: Any = None,
          requires_grad: bool = False, layout: Any = None) -> Tensor:
    return _factory("zeros", size, dtype, device, requires_grad)


def ones(*size: Any, out: Any = None, dtype: D.dtype | None = None, device: Any = None,
         requires_grad: bool = False, layout: Any = None) -> Tensor:
    return _factory("ones", size, dtype, device, requires_grad)


def empty(*size: Any, out: Any = None, dtype: D.dtype | None = None, device: Any = None,
          requires_grad: bool = False, layout: Any = None, memory_format: Any = None) -> Tensor:
    return _factory("empty", size, dtype, device, requires_grad)


def full(size: Sequence[int], fill_value: Any, *, out: Any = None, dtype: D.dtype | None = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = D.scalar_dtype(fill_value)
    return _factory("full", tuple(size), dtype, device, requires_grad, fill_value)


def _like(input: Tensor, dtype: D.dtype | None) -> tuple:
    return dtype or input.dtype, input.device


def zeros_like(input: Tensor, *, dtype: D.dtype | None = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    dt, dev = _like(input, dtype)
    return zeros(input.shape, dtype=dt, device=device or dev, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: D.dtype | None = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    dt, dev = _like(input, dtype)
    return ones(input.shape, dtype=dt, device=device or dev, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: D.dtype | None = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    dt, dev = _like(input, dtype)
    return empty(input.shape, dtype=dt, device=device or dev, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: D.dtype | None = None,
              device: Any = None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(input, dtype)
    return full(input.shape, fill_value, dtype=dt, device=device or dev,
                requires_grad=requires_grad)


def rand_like(input: Tensor, *, dtype: D.dtype | None = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: D.dtype | None = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *,
                 dtype: D.dtype | None = None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype)


def arange(start: Any, end: Any = None, step: Any = 1, *, out: Any = None,
           dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; ints give int64."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = D.int64 if all(isinstance(v, (int, np.integer)) for v in vals) \
            else D.get_default_dtype()
    n = max(math.ceil((vals[1] - vals[0]) / vals[2]), 0)
    # Compute in float64/int64 then cast, so float32 ranges match torch's rounding.
    data = (vals[0] + np.arange(n, dtype=np.float64 if dtype.is_floating_point else np.int64)
            * vals[2]).astype(dtype.np)
    return _finish(data, requires_grad, device)


def linspace(start: Any, end: Any, steps: int, *, out: Any = None, dtype: D.dtype | None = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    dt = dtype or D.get_default_dtype()
    data = np.linspace(float(start), float(end), int(steps), dtype=np.float64).astype(dt.np)
    return _finish(data, requires_grad, device)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *,
             dtype: D.dtype | None = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    dt = dtype or D.get_default_dtype()
    data = np.logspace(float(start), float(end), int(steps), base=base).astype(dt.np)
    return _finish(data, requires_grad, device)


def eye(n: int, m: int | None = None, *, out: Any = None, dtype: D.dtype | None = None,
        device: Any = None, requires_grad: bool = False) -> Tensor:
    dt = dtype or D.get_default_dtype()
    return _finish(np.eye(n, m, dtype=dt.np), requires_grad, device)


def rand(*size: Any, generator: Any = None, out: Any = None, dtype: D.dtype | None = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from ember's generator."""
    dt = dtype or D.get_default_dtype()
    rng = numpy_rng(generator)
    data = rng.random(_size(size), dtype=dt.np if dt.np in (np.float32, np.float64)
                      else np.float64).astype(dt.np, copy=False)
    return _finish(data, requires_grad, device)


def randn(*size: Any, generator: Any = None, out: Any = None, dtype: D.dtype | None = None,
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from ember's generator."""
    dt = dtype or D.get_default_dtype()
    rng = numpy_rng(generator)
    data = rng.standard_normal(_size(size), dtype=dt.np if dt.np in (np.float32, np.float64)
                               else np.float64).astype(dt.np, copy=False)
    return _finish(data, requires_grad, device)


def randint(low: int = 0, high: Any = None, size: Any = None, *, generator: Any = None,
            dtype: D.dtype | None = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Integers in [low, high); ``randint(high, size)`` form accepted."""
    if size is None:
        low, high, size = 0, low, high
    rng = numpy_rng(generator)
    data = rng.integers(low, high, size=tuple(size), dtype=np.int64)
    return _finish(data.astype((dtype or D.int64).np, copy=False), requires_grad, device)


def randperm(n: int, *, generator: Any = None, dtype: D.dtype | None = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    rng = numpy_rng(generator)
    return _finish(rng.permutation(n).astype((dtype or D.int64).np), requires_grad, device)


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None) -> Tensor:
    probs = input._data if p is None else np.full(input.shape, p)
    draw = numpy_rng(generator).random(input.shape) < probs
    return wrap(draw.astype(input._data.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Any = None) -> Tensor:
    rng = numpy_rng(generator)
    probs = np.atleast_2d(input._data.astype(np.float64))
    rows = []
    for row in probs:
        row = row / row.sum()
        rows.append(rng.choice(len(row), size=num_samples, replace=replacement, p=row))
    out = np.asarray(rows, dtype=np.int64)
    return wrap(out if input._data.ndim == 2 else out[0])


# -- conversion ------------------------------------------------------------------------------
class ToCopyBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.to(self.dtype),)


def to_copy(input: Tensor, dtype: D.dtype | None, device: Any, copy: bool = False) -> Tensor:
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
def fill_(self: Tensor, value: Any) -> Tensor:
    check_inplace(self)
    self._data[...] = value._data if isinstance(value, Tensor) else value
    bump_version(self)
    return self


def zero_(self: Tensor) -> Tensor:
    return fill_(self, 0)


def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    from .arithmetic import _inplace
    check_inplace(self)
    if src._requires_grad:
        from .shape import expand
        return _inplace(self, to_copy(expand(src, self.shape), self.dtype, None, True))
    np.copyto(self._data, np.broadcast_to(src._numpy_host(), self._data.shape), casting="unsafe")
    bump_version(self)
    return self


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    check_inplace(self)
    self._data[...] = numpy_rng(generator).uniform(a, b, self._data.shape)
    bump_version(self)
    return self


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    check_inplace(self)
    rng = numpy_rng(generator)
    sample = rng.standard_normal(self._data.shape, dtype=np.float32
                                 if self._data.dtype == np.float32 else np.float64)
    self._data[...] = sample * std + mean if (std != 1 or mean != 0) else sample
    bump_version(self)
    return self


# -- small structural helpers ----------------------------------------------------------------
class TrilBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (tril(grad, self.k),)


class TriuBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (triu(grad, self.k),)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    res = wrap(np.tril(input._data, diagonal))
    node = record(res, TrilBackward0, input)
    if node is not None:
        node.k = diagonal
    return res


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    res = wrap(np.triu(input._data, diagonal))
    node = record(res, TriuBackward0, input)
    if node is not None:
        node.k = diagonal
    return res


class CumsumBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.flip(self.dim).cumsum(self.dim).flip(self.dim),)


def cumsum(input: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
    data = input._data
    acc = dtype.np if dtype is not None else (np.int64 if data.dtype.kind in "biu" else None)
    res = wrap(np.cumsum(data, axis=dim if data.ndim else None, dtype=acc).reshape(data.shape))
    node = record(res, CumsumBackward0, input)
    if node is not None:
        node.dim = dim
    return res


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    return wrap(np.diag(input._data, diagonal).copy())
