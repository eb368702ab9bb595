"""Extremes and logical reductions: max/min (with indices), amax/amin, argmax/argmin,
all, any, count_nonzero; and the NaN-ignoring elementwise extremes fmax/fmin.

>>> import ember
>>> x = ember.tensor([[1.0, 5.0], [3.0, 2.0]])
>>> x.argmax(1)
tensor([1, 0])
>>> (x > 2).any(0)
tensor([True, True])
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._binary import _meta, _reduce, _shape, _size_error, _write_out
from ._core import Tensor, binary_operands, record, wrap, wrap_dim
from .reduction import _axes, _expand_back, _finish, _values_indices

__all__ = ["max", "min", "amax", "amin", "argmax", "argmin", "all", "any", "count_nonzero",
           "fmax", "fmin", "maximum", "minimum"]


# -- max / min -------------------------------------------------------------------------------
class _EvenlyShared(Node):
    """Gradient of a full max/min/amax/amin: shared evenly among tied extremes."""

    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        axes, keepdim = self.axes, self.keepdim
        mask = (x == _expand_back(res, x.shape, axes, keepdim)).to(grad.dtype)
        count = mask.sum(axes, keepdim=True) if axes else mask
        return (_expand_back(grad, x.shape, axes, keepdim) * mask / count,)


class MaxBackward1(_EvenlyShared):  # max() over everything
    pass


class MinBackward1(_EvenlyShared):
    pass


class AmaxBackward0(_EvenlyShared):
    pass


class AminBackward0(_EvenlyShared):
    pass


class MaxBackward0(Node):  # max(dim): the gradient goes to the returned index
    def backward(self, grad: Tensor, grad_indices: Any = None) -> tuple:
        (indices,) = self.saved()
        if not self.shape:
            return (grad,)
        d = self.dim
        g = grad if self.keepdim else grad.unsqueeze(d)
        idx = indices if self.keepdim else indices.unsqueeze(d)
        from .creation import zeros
        return (zeros(self.shape, dtype=grad.dtype).scatter(d, idx, g),)


class MinBackward0(MaxBackward0):
    pass


def _empty_error(name: str, dim: int | None) -> Exception:
    if dim is None:
        return RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                            "input.numel() == 0. Specify the reduction dim with the 'dim' "
                            "argument.")
    return IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")


def _refuse_complex(data: np.ndarray, kernel: str) -> None:
    """Complex numbers have no order: torch's kernels refuse them."""
    if data.dtype.kind == "c":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{D.scalar_type_name(data.dtype)}'")


def _extreme(input: Tensor, dim: Any, keepdim: bool, largest: bool, out: Any) -> Any:
    name = "max" if largest else "min"
    if isinstance(dim, Tensor):  # max(a, b) is maximum(a, b)
        from .arithmetic import maximum, minimum
        return (maximum if largest else minimum)(input, dim, out=out)
    data = input._data
    if dim is None:
        _refuse_complex(data, f"{name}_all")
        if data.size == 0:
            raise _empty_error(name, None)
        res = wrap(np.asarray(data.max() if largest else data.min()))
        node = record(res, MaxBackward1 if largest else MinBackward1, input)
        if node is not None:
            node.axes, node.keepdim = tuple(range(data.ndim)), False
            node.save(input, res.detach())
        return _finish(res, out, name)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"(dim={type(dim).__name__}, )")
    d = wrap_dim(int(dim), data.ndim)
    if data.dtype.kind == "c":
        raise RuntimeError(f"{name}(): does not support complex input")
    values, indices = _values_and_indices(data, d, keepdim, largest, name)
    node = record(values, MaxBackward0 if largest else MinBackward0, input)
    if node is not None:
        node.dim, node.keepdim, node.shape = d, keepdim, data.shape
        node.save(indices)
    return _values_indices(name, values, indices, out)


def _values_and_indices(data: np.ndarray, d: int, keepdim: bool, largest: bool,
                        name: str) -> tuple:
    if data.ndim == 0:
        return wrap(data.copy()), wrap(np.zeros((), dtype=np.int64))
    if data.shape[d] == 0:
        raise _empty_error(name, d)
    idx = (data.argmax if largest else data.argmin)(axis=d, keepdims=True)
    vals = np.take_along_axis(data, idx, axis=d)
    if not keepdim:
        idx, vals = idx.squeeze(d), vals.squeeze(d)
    return wrap(vals), wrap(idx.astype(np.int64, copy=False))


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A001
        out: Any = None) -> Any:
    """Largest element; with ``dim``, ``(values, indices)``; with a tensor, ``maximum``."""
    return _extreme(input, dim, keepdim, True, out)


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A001
        out: Any = None) -> Any:
    """Smallest element; with ``dim``, ``(values, indices)``; with a tensor, ``minimum``."""
    return _extreme(input, dim, keepdim, False, out)


def _amax_amin(input: Tensor, dim: Any, keepdim: bool, largest: bool, out: Any) -> Tensor:
    data = input._data
    name = "amax" if largest else "amin"
    axes = _axes(dim, data.ndim)
    _refuse_complex(data, f"{name[1:]}_values_cpu")
    if data.size == 0:
        if dim == () or dim is None or not builtins.all(data.shape[a] for a in axes):
            raise _empty_error(name, None if dim in ((), None) else _first_empty(dim, data))
    fn = np.max if largest else np.min
    res = wrap(np.asarray(fn(data, axis=axes, keepdims=keepdim and data.ndim > 0)))
    node = record(res, AmaxBackward0 if largest else AminBackward0, input)
    if node is not None:
        node.axes, node.keepdim = axes, keepdim and data.ndim > 0
        node.save(input, res.detach())
    return _finish(res, out, name)


def _first_empty(dim: Any, data: np.ndarray) -> Any:
    """The first of the dims, as the caller wrote it, along which ``data`` is empty."""
    dims = dim.tolist() if isinstance(dim, Tensor) else dim
    for d in (dims if isinstance(dims, (tuple, list)) else (dims,)):
        if data.shape[wrap_dim(int(d), data.ndim)] == 0:
            return d
    return None


def amax(input: Tensor, dim: Any = (), keepdim: bool = False, *,
         out: Tensor | None = None) -> Tensor:
    """Largest values over ``dim`` (all dims by default); ties share the gradient."""
    return _amax_amin(input, dim, keepdim, True, out)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False, *,
         out: Tensor | None = None) -> Tensor:
    """Smallest values over ``dim`` (all dims by default); ties share the gradient."""
    return _amax_amin(input, dim, keepdim, False, out)


def _arg_extreme(input: Tensor, dim: Any, keepdim: bool, largest: bool) -> Tensor:
    data = input._data
    fn = data.argmax if largest else data.argmin  # the methods skip NumPy's dispatch layer
    name = "argmax" if largest else "argmin"
    if data.dtype.kind in "bc":
        kind = "bool" if data.dtype.kind == "b" else "complex"
        raise RuntimeError(f"{name}(): does not support {kind} input")
    if dim is None:
        if data.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        idx = np.asarray(fn(), dtype=np.int64)
        return wrap(idx.reshape((1,) * data.ndim) if keepdim else idx)
    d = wrap_dim(int(dim), data.ndim)
    if data.ndim == 0:
        return wrap(np.zeros((), dtype=np.int64))
    if data.shape[d] == 0:
        raise _empty_error(name, d)
    return wrap(np.asarray(fn(axis=d, keepdims=keepdim), dtype=np.int64))


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor when ``dim`` is None)."""
    return _arg_extreme(input, dim, keepdim, True)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (of the flattened tensor when ``dim`` is None)."""
    return _arg_extreme(input, dim, keepdim, False)


# -- all / any / count -------------------------------------------------------------------
def _logical_reduce(fn: Any, input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    data = input._data
    if dim is None:
        axes, kd = None, False
    elif isinstance(dim, (tuple, list)) and not dim:
        axes, kd = (), keepdim  # an empty dim list reduces nothing, as in torch
    else:
        axes, kd = _axes(dim, data.ndim), keepdim and data.ndim > 0
    res = fn(data, axis=axes, keepdims=kd)
    return wrap(np.asarray(res, dtype=np.uint8 if data.dtype == np.uint8 else np.bool_))


def all(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A001
        out: Tensor | None = None) -> Tensor:
    """True where every element (over ``dim``) is non-zero."""
    return _finish(_logical_reduce(np.all, input, dim, keepdim), out, "all")


def any(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A001
        out: Tensor | None = None) -> Tensor:
    """True where some element (over ``dim``) is non-zero."""
    return _finish(_logical_reduce(np.any, input, dim, keepdim), out, "any")


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """Number of non-zero elements (over ``dim``), as int64."""
    axes = None if dim is None else _axes(dim, input._data.ndim)
    return wrap(np.asarray(np.count_nonzero(input._data, axis=axes), dtype=np.int64))


# -- fmax / fmin ------------------------------------------------------------------------------
class FmaxBackward0(Node):  # the gradient follows the value picked (``input`` on ties)
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        return _follow_pick(grad, (a >= b) | b.isnan(), self.meta)


class FminBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        return _follow_pick(grad, (a <= b) | b.isnan(), self.meta)


def _follow_pick(grad: Tensor, input_picked: Tensor, meta: tuple) -> tuple:
    from .compare import where
    ga = None if meta[0] is None else _reduce(where(input_picked, grad, 0.0), meta[0])
    gb = None if meta[1] is None else _reduce(where(input_picked, 0.0, grad), meta[1])
    return ga, gb


def fmax(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise maximum that ignores NaN (NaN only where both operands are NaN)."""
    return _extremum(np.fmax, FmaxBackward0, input, other, out, "fmax")


def fmin(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise minimum that ignores NaN (NaN only where both operands are NaN)."""
    return _extremum(np.fmin, FminBackward0, input, other, out, "fmin")


# -- maximum / minimum ----------------------------------------------------------------------
class MaximumBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        # Ties split the gradient evenly between both operands, as torch does.
        return _split_by(grad, (a > b), (a == b), self.meta)


class MinimumBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        return _split_by(grad, (a < b), (a == b), self.meta)


def _split_by(grad: Tensor, a_wins: Tensor, tie: Tensor, meta: tuple) -> tuple:
    wa = a_wins.to(grad.dtype) + tie.to(grad.dtype) * 0.5
    ga = None if meta[0] is None else _reduce(grad * wa, meta[0])
    gb = None if meta[1] is None else _reduce(grad * (1 - wa), meta[1])
    return ga, gb


def _extremum(np_fn: Any, node_type: type, input: Tensor, other: Tensor, out: Any,
              name: str) -> Tensor:
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    ad, bd = binary_operands(input, other)
    if ad.dtype.kind == "c":  # no order on complex numbers
        raise RuntimeError(f"{name} not implemented for complex tensors.")
    try:
        res = wrap(np_fn(ad, bd))
    except ValueError:
        raise _size_error(_shape(ad), _shape(bd)) from None
    node = record(res, node_type, input, other)
    if node is not None:
        node.meta = (_meta(input), _meta(other))
        node.save(input, other)
    return res if out is None else _write_out(res, out, name)


def maximum(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise maximum (NaN propagates)."""
    return _extremum(np.maximum, MaximumBackward0, input, other, out, "maximum")


def minimum(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise minimum (NaN propagates)."""
    return _extremum(np.minimum, MinimumBackward0, input, other, out, "minimum")
