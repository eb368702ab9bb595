"""Extremes and logical reductions: max/min (with indices), amax/amin, argmax/argmin,
all, any, count_nonzero.

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

from ..autograd.graph import Node
from ._core import Tensor, record, wrap, wrap_dim
from .reduction import _axes, _expand_back, _finish, _values_indices

__all__ = ["max", "min", "amax", "amin", "argmax", "argmin", "all", "any", "count_nonzero"]


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


def _extreme(input: Tensor, dim: Any, keepdim: bool, largest: bool, out: Any) -> Any:
    name = "max" if largest else "min"
    if isinstance(dim, Tensor):  # max(a, b) is maximum(a, b)
        from .arithmetic import maximum, minimum
        return (maximum if largest else minimum)(input, dim, out=out)
    data = input._data
    if dim is None:
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
    if data.size == 0:
        if dim == () or dim is None or not builtins.all(data.shape[a] for a in axes):
            raise _empty_error(name, None if dim in ((), None) else
                               next(a for a in axes if data.shape[a] == 0))
    fn = np.max if largest else np.min
    res = wrap(np.asarray(fn(data, axis=axes, keepdims=keepdim and data.ndim > 0)))
    node = record(res, AmaxBackward0 if largest else AminBackward0, input)
    if node is not None:
        node.axes, node.keepdim = axes, keepdim and data.ndim > 0
        node.save(input, res.detach())
    return _finish(res, out, name)


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
    if data.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
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
