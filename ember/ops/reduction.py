"""Reductions: sum, mean, prod, var, std, logsumexp, norm (and, from ``extrema``, the rest).

``dim`` is an int or a sequence of ints (None or ``()``: every dimension); a 0-d tensor
accepts ``dim=0`` or ``-1``. Backward formulas broadcast the reduced gradient back with
``reshape`` + ``expand``, so they are differentiable again (double backward).

>>> import ember
>>> x = ember.tensor([[1.0, 5.0], [3.0, 2.0]])
>>> x.sum(1)
tensor([6., 5.])
>>> x.max(dim=1)
ember.return_types.max(
values=tensor([5., 3.]),
indices=tensor([1, 0]))
"""

from __future__ import annotations

import math
import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, record, record_multi, wrap, wrap_dim

__all__ = ["sum", "mean", "prod", "var", "std", "logsumexp", "var_mean", "std_mean",
           "max", "min", "amax", "amin", "argmax", "argmin", "all", "any", "count_nonzero"]

_NO_DIM = object()  # ``sum(x)`` and ``sum(x, dim=None)`` record different grad_fns in torch


class return_types:  # noqa: N801 - torch's module name, kept as a namespace
    """``ember.return_types``: the named tuples that ops return, filled in as they are made."""


def _return_type(name: str, fields: tuple = ("values", "indices")) -> type:
    """``ember.return_types.<name>``: a named tuple printed as torch prints its own."""
    cls = getattr(return_types, name, None)
    if cls is None:
        cls = namedtuple(name, fields)

        def __repr__(self: tuple) -> str:
            body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
            return f"ember.return_types.{name}(\n{body})"

        cls.__repr__ = __repr__
        cls.__module__ = "ember.return_types"
        setattr(return_types, name, cls)
    return cls


def _values_indices(name: str, values: Tensor, indices: Tensor, out: Any) -> Any:
    """``ember.return_types.<name>(values, indices)``; with ``out=(v, i)``, both written there
    and returned as ``<name>_out``."""
    if out is None:
        return _return_type(name)(values, indices)
    _finish(values, out[0], name)
    _finish(indices, out[1], name)
    return _return_type(name + "_out")(out[0], out[1])


def _axes(dim: Any, ndim: int) -> tuple:
    """NumPy axes for ``dim`` (all of them for None or ``()``), validated like torch."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        d = wrap_dim(int(dim), ndim)
        return (d,) if ndim else ()
    if isinstance(dim, Tensor):
        return _axes(dim.tolist(), ndim)
    dims = tuple(wrap_dim(int(d), ndim) for d in dim)
    seen = set()
    for d in dims:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    if not dims:
        return tuple(range(ndim))
    return tuple(sorted(dims)) if ndim else ()


def _expand_back(grad: Tensor, shape: tuple, axes: tuple, keepdim: bool) -> Tensor:
    """Broadcast a gradient reduced over ``axes`` back to ``shape``."""
    if not keepdim and axes:
        kept = list(shape)
        for a in axes:
            kept[a] = 1
        grad = grad.reshape(tuple(kept))
    return grad.expand(shape) if grad._data.shape != shape else grad


def _finish(res: Tensor, out: Tensor | None, name: str) -> Tensor:
    if out is None:
        return res
    from .arithmetic import _write_out
    return _write_out(res, out, name)


def _float_input(data: np.ndarray, dtype: D.dtype | None) -> np.ndarray:
    if dtype is not None:
        return data.astype(dtype.np, copy=False)
    return data if data.dtype.kind in "fc" else data.astype(D.get_default_dtype().np)


# -- sum / mean ---------------------------------------------------------------------------
class SumBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        shape = self.shape
        g = grad.reshape((1,) * len(shape)) if shape else grad
        return (g.expand(shape) if shape else g,)


class SumBackward1(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (_expand_back(grad, self.shape, self.axes, self.keepdim),)


_float16 = np.dtype(np.float16)


def _acc_dtype(data: np.ndarray, dtype: D.dtype | None) -> Any:
    """The accumulation dtype: int64 for integers and bool (as torch), float32 for half."""
    if dtype is not None:
        return dtype.np
    kind = data.dtype.kind
    if kind in "biu":
        return np.int64
    return np.float32 if data.dtype == _float16 else None


def sum(input: Tensor, dim: Any = _NO_DIM, keepdim: bool = False, *,  # noqa: A001
        dtype: D.dtype | None = None, out: Tensor | None = None) -> Tensor:
    """Sum of all elements, or over ``dim`` (an int or a tuple of ints).

    >>> import ember
    >>> ember.ones(2, 3).sum((0, 1), keepdim=True)
    tensor([[6.]])
    """
    data = input._data
    acc = _acc_dtype(data, dtype)
    # ``np.add.reduce`` is what ``ndarray.sum`` runs, without its Python wrapper (whose
    # module NumPy would name for an inf - inf warning; ember's filter silences its own).
    if dim is _NO_DIM:
        res = wrap(np.add.reduce(data, axis=None, dtype=acc))
        node_type, axes, keepdim = SumBackward0, None, False
    else:
        axes = _axes(dim, data.ndim)
        res = wrap(np.asarray(np.add.reduce(data, axis=axes, dtype=acc, keepdims=keepdim)))
        node_type = SumBackward1
    if acc is np.float32 and dtype is None:
        res._data = res._data.astype(np.float16)
    node = record(res, node_type, input)
    if node is not None:
        node.shape, node.axes, node.keepdim = data.shape, axes, keepdim
    return _finish(res, out, "sum")


class MeanBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        shape = self.shape
        g = grad / self.count
        return (g.reshape((1,) * len(shape)).expand(shape) if shape else g,)


class MeanBackward1(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (_expand_back(grad / self.count, self.shape, self.axes, self.keepdim),)


def mean(input: Tensor, dim: Any = _NO_DIM, keepdim: bool = False, *,
         dtype: D.dtype | None = None, out: Tensor | None = None) -> Tensor:
    """Arithmetic mean; integer inputs need an explicit floating ``dtype``, as in torch."""
    data = input._data if dtype is None else input._data.astype(dtype.np, copy=False)
    if data.dtype.kind not in "fc":
        which = "Input" if dtype is None else "Optional"
        raise RuntimeError(
            f"mean(): could not infer output dtype. {which} dtype must be either a floating "
            f"point or complex dtype. Got: {D.scalar_type_name(data.dtype)}")
    acc = np.float32 if data.dtype == _float16 else None
    if dim is _NO_DIM:
        node_type, axes, keepdim = MeanBackward0, None, False
        count = data.size
    else:
        node_type, axes = MeanBackward1, _axes(dim, data.ndim)
        count = math.prod([data.shape[a] for a in axes])
    total = np.add.reduce(data, axis=axes, dtype=acc, keepdims=keepdim)  # as in ``sum``
    if count:
        value = np.true_divide(total, count, dtype=total.dtype)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.true_divide(total, count, dtype=total.dtype)  # nan, as in torch
    res = wrap(value if value.dtype == data.dtype else value.astype(data.dtype))
    node = record(res, node_type, input)
    if node is not None:
        node.shape, node.axes, node.keepdim, node.count = data.shape, axes, keepdim, count
    return _finish(res, out, "mean")


# -- prod -----------------------------------------------------------------------------------
class ProdBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        return (_prod_grad(x, res, grad, None, False),)


class ProdBackward1(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        return (_prod_grad(x, res, grad, self.dim, self.keepdim),)


def _prod_grad(x: Tensor, res: Tensor, grad: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    """d prod / d x_i is the product of the other elements."""
    axes = tuple(range(x.ndim)) if dim is None else (dim,) if x.ndim else ()
    g = _expand_back(grad, x.shape, axes, keepdim or dim is None and not x.ndim)
    if not (x._data == 0).any():
        r = _expand_back(res, x.shape, axes, keepdim)
        return g * (r / x)  # differentiable formula when no factor is zero
    # With zeros, exclusive products from both sides avoid dividing by zero.
    return g * wrap(_exclusive_products(x._data, dim))


def _exclusive_products(data: np.ndarray, dim: int | None) -> np.ndarray:
    moved = data.reshape(-1) if dim is None or data.ndim == 0 else np.moveaxis(data, dim, -1)
    ones = np.ones(moved.shape[:-1] + (1,), dtype=data.dtype)
    # ``multiply.accumulate`` rather than ``np.cumprod``: a warning about inf * 0 is then
    # raised from this module, where ember's filter silences it as torch is silent.
    left = np.multiply.accumulate(np.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
    right = np.multiply.accumulate(np.concatenate([ones, moved[..., :0:-1]], axis=-1),
                                   axis=-1)[..., ::-1]
    others = left * right
    if dim is None or data.ndim == 0:
        return others.reshape(data.shape)
    return np.ascontiguousarray(np.moveaxis(others, -1, dim))


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
         dtype: D.dtype | None = None, out: Tensor | None = None) -> Tensor:
    """Product of all elements, or along one ``dim``."""
    data = input._data
    acc = _acc_dtype(data, dtype)
    if dim is None:
        res = wrap(np.asarray(np.multiply.reduce(data, axis=None, dtype=acc)))
        node = record(res, ProdBackward0, input)
    else:
        if not isinstance(dim, (int, np.integer)):
            raise TypeError(f"prod() received an invalid combination of arguments - got "
                            f"({type(dim).__name__}), but expected one of:\n"
                            " * (*, ember.dtype dtype = None)\n"
                            " * (int dim, bool keepdim = False, *, ember.dtype dtype = None)\n")
        d = wrap_dim(int(dim), data.ndim)
        res = wrap(np.asarray(np.multiply.reduce(data, axis=d if data.ndim else None,
                                                 dtype=acc, keepdims=keepdim and data.ndim > 0)))
        node = record(res, ProdBackward1, input)
        if node is not None:
            node.dim, node.keepdim = d, keepdim
    if res._data.dtype != data.dtype and dtype is None and data.dtype.kind == "f":
        res._data = res._data.astype(data.dtype)
    if node is not None:
        node.save(input, res.detach())
    return _finish(res, out, "prod")


# -- var / std -----------------------------------------------------------------------------
def _var_grad(grad: Tensor, x: Tensor, axes: tuple, keepdim: bool, denom: int) -> Tensor:
    centered = x - x.mean(axes, keepdim=True)
    g = _expand_back(grad, x.shape, axes, keepdim)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 2.0 / denom if denom > 0 else float("nan")
    return g * centered * scale


def _std_grad(grad: Tensor, x: Tensor, res: Tensor, axes: tuple, keepdim: bool,
              denom: int) -> Tensor:
    # d std = d var / (2 std); where std == 0 the gradient is defined as 0.
    g = (grad / (res * 2)).masked_fill(res == 0, 0)
    return _var_grad(g, x, axes, keepdim, denom)


class VarBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (_var_grad(grad, x, self.axes, self.keepdim, self.denom),)


class StdBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        return (_std_grad(grad, x, res, self.axes, self.keepdim, self.denom),)


class VarMeanBackward0(Node):
    def backward(self, grad_var: Any, grad_mean: Any) -> tuple:
        (x,) = self.saved()
        return (_moment_pair_grad(self, x, _var_grad(grad_var, x, self.axes, self.keepdim,
                                                     self.denom) if grad_var is not None
                                  else None, grad_mean),)


class StdMeanBackward0(Node):
    def backward(self, grad_std: Any, grad_mean: Any) -> tuple:
        x, res = self.saved()
        g = None if grad_std is None else _std_grad(grad_std, x, res, self.axes, self.keepdim,
                                                     self.denom)
        return (_moment_pair_grad(self, x, g, grad_mean),)


def _moment_pair_grad(node: Node, x: Tensor, g: Any, grad_mean: Any) -> Tensor:
    if grad_mean is not None:
        gm = _expand_back(grad_mean / node.count, x.shape, node.axes, node.keepdim)
        g = gm if g is None else g + gm
    return g


def _parse_moment_args(dim: Any, unbiased: Any, correction: Any) -> tuple:
    if isinstance(dim, bool):  # var(x, False): the flag is ``unbiased``
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _moments(input: Tensor, dim: Any, correction: Any, keepdim: bool, name: str) -> tuple:
    data = input._data
    if data.dtype.kind not in "fc":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    axes = _axes(dim, data.ndim)
    count = math.prod(data.shape[a] for a in axes)
    denom = count - correction
    if denom <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    kd = keepdim and data.ndim > 0
    # A non-positive denominator divides by zero (inf, or nan for an empty sum), as in torch.
    denom = denom if denom > 0 else 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_v = np.mean(data, axis=axes, keepdims=True)
        sq = np.abs(data - mean_v) ** 2
        var_v = np.asarray(np.sum(sq, axis=axes, keepdims=kd) / np.asarray(denom, sq.dtype))
    return data, axes, count, denom, var_v, mean_v


def _moment(input: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any,
            take_sqrt: bool) -> Tensor:
    dim, correction = _parse_moment_args(dim, unbiased, correction)
    name = "std" if take_sqrt else "var"
    data, axes, count, denom, var_v, _ = _moments(input, dim, correction, keepdim, name)
    res = wrap(np.sqrt(var_v) if take_sqrt else var_v)
    node = record(res, StdBackward0 if take_sqrt else VarBackward0, input)
    if node is not None:
        node.axes, node.keepdim, node.denom = axes, keepdim and data.ndim > 0, denom
        node.save(input, res.detach()) if take_sqrt else node.save(input)
    return res


def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: Any = None, out: Tensor | None = None) -> Tensor:
    """Variance with Bessel's correction by default (``correction=1``)."""
    return _finish(_moment(input, dim, unbiased, keepdim, correction, False), out, "var")


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: Any = None, out: Tensor | None = None) -> Tensor:
    """Standard deviation with Bessel's correction by default."""
    return _finish(_moment(input, dim, unbiased, keepdim, correction, True), out, "std")


def _moment_and_mean(input: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any,
                     take_sqrt: bool) -> tuple:
    dim, correction = _parse_moment_args(dim, unbiased, correction)
    name = "std_mean" if take_sqrt else "var_mean"
    data, axes, count, denom, var_v, mean_v = _moments(input, dim, correction, keepdim, name)
    kd = keepdim and data.ndim > 0
    first = wrap(np.sqrt(var_v) if take_sqrt else var_v)
    second = wrap(np.asarray(mean_v if kd else mean_v.reshape(var_v.shape)))
    node = record_multi([first, second], StdMeanBackward0 if take_sqrt else VarMeanBackward0,
                        input)
    if node is not None:
        node.axes, node.keepdim, node.denom, node.count = axes, kd, denom, count
        node.save(input, first.detach()) if take_sqrt else node.save(input)
    return first, second


def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: Any = None) -> tuple:
    """``(var, mean)`` in one pass."""
    return _moment_and_mean(input, dim, unbiased, keepdim, correction, False)


def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: Any = None) -> tuple:
    """``(std, mean)`` in one pass."""
    return _moment_and_mean(input, dim, unbiased, keepdim, correction, True)


# -- logsumexp -------------------------------------------------------------------------------
class LogsumexpBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        r = _expand_back(res, x.shape, self.axes, self.keepdim)
        g = _expand_back(grad, x.shape, self.axes, self.keepdim)
        return (g * (x - r).exp(),)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False, *,
              out: Tensor | None = None) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed stably by shifting by the maximum."""
    data = _float_input(input._data, None)
    axes = _axes(dim, data.ndim)
    kd = keepdim and data.ndim > 0
    if data.size == 0:
        value = np.log(np.sum(np.exp(data), axis=axes, keepdims=kd))
    else:
        m = np.max(data, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)  # all -inf (or +inf) slices must not give nan
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            s = np.log(np.sum(np.exp(data - m), axis=axes, keepdims=True)) + m
        value = s if kd else np.squeeze(s, axis=axes)
    res = wrap(np.asarray(value))
    node = record(res, LogsumexpBackward0, input)
    if node is not None:
        node.axes, node.keepdim = axes, kd
        node.save(input, res.detach())
    return _finish(res, out, "logsumexp")


# max/min/argmax/all/any live in their own module; re-exported here as one family.
from .extrema import (all, amax, amin, any, argmax, argmin, count_nonzero,  # noqa: E402
                      max, min)
