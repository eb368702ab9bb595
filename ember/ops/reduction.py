"""Reductions: sum, mean, prod, var, std, max/min, argmax/argmin, logsumexp, all, any, norm."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, normalize_dims, record, wrap, wrap_dim

__all__ = ["sum", "mean", "prod", "var", "std", "max", "min", "amax", "amin", "argmax",
           "argmin", "logsumexp", "all", "any", "norm", "count_nonzero", "var_mean", "std_mean"]

# torch.return_types.max and friends print as e.g. "torch.return_types.max(values=..., ...)".
_values_indices = {}


def _return_type(name: str):
    if name not in _values_indices:
        cls = namedtuple(name, ["values", "indices"])
        cls.__repr__ = lambda self: (f"ember.return_types.{name}(\nvalues={self.values!r},\n"
                                     f"indices={self.indices!r})")
        _values_indices[name] = cls
    return _values_indices[name]


def _expand_back(grad: Tensor, shape: tuple, dims: tuple | None, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back to the input's shape."""
    if dims is None:
        return grad.reshape((1,) * len(shape)).expand(shape) if shape else grad
    if not keepdim:
        for d in dims:
            grad = grad.unsqueeze(d)
    return grad.expand(shape)


# -- sum / mean ---------------------------------------------------------------------------
class SumBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (_expand_back(grad, self.shape, None, False),)


class SumBackward1(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (_expand_back(grad, self.shape, self.dims, self.keepdim),)


def _sum_dtype(data, dtype: D.dtype | None):
    if dtype is not None:
        return dtype.np
    # Integer and bool sums accumulate in int64, as in torch.
    return np.int64 if data.dtype.kind in "biu" else None


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A001
        dtype: D.dtype | None = None) -> Tensor:
    """Sum over all elements or over ``dim`` (an int or a tuple of ints)."""
    data = input._data
    dims = normalize_dims(dim, data.ndim) if dim is not None and dim != () else None
    if dims is not None and data.ndim == 0:
        dims = ()
    res = wrap(np.asarray(data.sum(axis=dims, keepdims=keepdim if dims is not None else False,
                                   dtype=_sum_dtype(data, dtype))))
    node = record(res, SumBackward0 if dims is None else SumBackward1, input)
    if node is not None:
        node.shape, node.dims, node.keepdim = data.shape, dims, keepdim
    return res


class MeanBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (_expand_back(grad / self.count, self.shape, None, False),)


class MeanBackward1(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (_expand_back(grad / self.count, self.shape, self.dims, self.keepdim),)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
         dtype: D.dtype | None = None) -> Tensor:
    """Arithmetic mean; integer inputs are refused, as in torch."""
    data = input._data if dtype is None else input._data.astype(dtype.np)
    if data.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {D.from_np(data.dtype).name.capitalize()}")
    dims = normalize_dims(dim, data.ndim) if dim is not None and dim != () else None
    if dims is not None and data.ndim == 0:
        dims = ()
    with np.errstate(invalid="ignore", divide="ignore"):
        res = wrap(np.asarray(data.mean(axis=dims, keepdims=keepdim if dims is not None else False)))
    node = record(res, MeanBackward0 if dims is None else MeanBackward1, input)
    if node is not None:
        node.shape, node.dims, node.keepdim = data.shape, dims, keepdim
        node.count = data.size // max(res._data.size, 1) if data.size else 1
    return res


# -- prod -----------------------------------------------------------------------------------
class ProdBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (_prod_grad(x, grad, None, False),)


class ProdBackward1(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (_prod_grad(x, grad, self.dim, self.keepdim),)


def _prod_grad(x: Tensor, grad: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    """d prod / d x_i is the product of the other elements: exclusive cumulative products
    from both sides give it without dividing, so zeros are handled exactly.
    (The factor is treated as a constant: a second derivative of prod is not supported.)"""
    data = x._data
    moved = data.reshape(-1) if dim is None else np.moveaxis(data, dim, -1)
    ones = np.ones(moved.shape[:-1] + (1,), dtype=data.dtype)
    left = np.cumprod(np.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, moved[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = left * right
    if dim is None:
        return grad * wrap(others.reshape(data.shape))
    g = grad if keepdim else grad.unsqueeze(dim)
    return g * wrap(np.ascontiguousarray(np.moveaxis(others, -1, dim)))


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
         dtype: D.dtype | None = None) -> Tensor:
    data = input._data
    if dim is None:
        res = wrap(np.asarray(data.prod(dtype=_sum_dtype(data, dtype))))
        node = record(res, ProdBackward0, input)
    else:
        d = wrap_dim(dim, data.ndim)
        res = wrap(np.asarray(data.prod(axis=d if data.ndim else None, keepdims=keepdim,
                                        dtype=_sum_dtype(data, dtype))))
        node = record(res, ProdBackward1, input)
        if node is not None:
            node.dim, node.keepdim = d, keepdim
    if node is not None:
        node.save(input)
    return res


# -- var / std -----------------------------------------------------------------------------
class VarBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        dims = self.dims
        centered = x - x.mean(dims, keepdim=True) if dims is not None else x - x.mean()
        g = _expand_back(grad, x.shape, dims, self.keepdim)
        return (g * centered * (2.0 / self.denom),)


class StdBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        dims = self.dims
        centered = x - x.mean(dims, keepdim=True) if dims is not None else x - x.mean()
        g = _expand_back(grad / res, x.shape, dims, self.keepdim)
        return (g * centered * (1.0 / self.denom),)


def _moments(input: Tensor, dim, correction, keepdim, unbiased, node_type):
    if unbiased is not None:
        correction = 1 if unbiased else 0
    if correction is None:
        correction = 1
    data = input._data
    dims = normalize_dims(dim, data.ndim) if dim is not None and dim != () else None
    count = data.size if dims is None else int(np.prod([data.shape[d] for d in dims]))
    denom = count - correction
    with np.errstate(invalid="ignore", divide="ignore"):
        var_data = np.asarray(data.var(axis=dims, ddof=correction,
                                       keepdims=keepdim if dims is not None else False))
    out = np.sqrt(var_data) if node_type is StdBackward0 else var_data
    res = wrap(out)
    node = record(res, node_type, input)
    if node is not None:
        node.dims, node.keepdim, node.denom = dims, keepdim, max(denom, 0)
        node.save(input, res.detach()) if node_type is StdBackward0 else node.save(input)
    return res


def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: int | None = None) -> Tensor:
    """Variance with Bessel's correction by default (``correction=1``)."""
    if isinstance(unbiased, bool) and dim is None and not keepdim:
        pass
    elif isinstance(dim, bool):
        unbiased, dim = dim, None
    return _moments(input, dim, correction, keepdim, unbiased, VarBackward0)


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: int | None = None) -> Tensor:
    """Standard deviation with Bessel's correction by default."""
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    return _moments(input, dim, correction, keepdim, unbiased, StdBackward0)


def var_mean(input: Tensor, dim: Any = None, *, correction: int | None = None,
             keepdim: bool = False) -> tuple:
    return var(input, dim, keepdim=keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input: Tensor, dim: Any = None, *, correction: int | None = None,
             keepdim: bool = False) -> tuple:
    return std(input, dim, keepdim=keepdim, correction=correction), mean(input, dim, keepdim)


# -- max / min -------------------------------------------------------------------------------
class MaxBackward1(Node):  # full reduction: gradient shared evenly among tied maxima
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        mask = (x == res).to(grad.dtype)
        return (mask * (grad / mask.sum()),)


class MinBackward1(MaxBackward1):
    pass


class AmaxBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        r = res if self.keepdim else _expand_back(res, x.shape, self.dims, False)
        mask = (x == _expand_back(r, x.shape, self.dims, True)).to(grad.dtype)
        count = mask.sum(self.dims, keepdim=True)
        return (mask * _expand_back(grad, x.shape, self.dims, self.keepdim) / count,)


class AminBackward0(AmaxBackward0):
    pass


class MaxBackward0(Node):  # with dim: the gradient goes to the returned index
    def backward(self, grad: Tensor, grad_indices: Any = None) -> tuple:
        (indices,) = self.saved()
        from .creation import zeros
        g = grad if self.keepdim else grad.unsqueeze(self.dim)
        idx = indices if self.keepdim else indices.unsqueeze(self.dim)
        z = zeros(self.shape, dtype=grad.dtype)
        return (z.scatter(self.dim, idx, g),)


class MinBackward0(MaxBackward0):
    pass


def _extreme(input: Tensor, dim: Any, keepdim: bool, largest: bool, other: Any = None):
    if isinstance(dim, Tensor):  # max(a, b) is maximum
        from .arithmetic import maximum, minimum
        return (maximum if largest else minimum)(input, dim)
    data = input._data
    name = "max" if largest else "min"
    if dim is None:
        if data.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        res = wrap(np.asarray(data.max() if largest else data.min()))
        node = record(res, MaxBackward1 if largest else MinBackward1, input)
        if node is not None:
            node.save(input, res.detach())
        return res
    d = wrap_dim(dim, data.ndim)
    axis = d if data.ndim else None
    idx = np.asarray((data.argmax if largest else data.argmin)(axis=axis, keepdims=keepdim))
    vals = np.take_along_axis(data, idx if keepdim else np.expand_dims(idx, d), axis=d) \
        if data.ndim else data.copy()
    if not keepdim and data.ndim:
        vals = vals.squeeze(d)
    values, indices = wrap(vals), wrap(idx.astype(np.int64, copy=False))
    node = record(values, MaxBackward0 if largest else MinBackward0, input)
    if node is not None:
        node.dim, node.keepdim, node.shape = d, keepdim, data.shape
        node.save(indices)
    return _return_type(name)(values, indices)


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, out: Any = None):  # noqa: A001
    """Largest element, or (values, indices) along ``dim``, or ``maximum`` of two tensors."""
    return _extreme(input, dim, keepdim, True)


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, out: Any = None):  # noqa: A001
    return _extreme(input, dim, keepdim, False)


def _amax_amin(input: Tensor, dim: Any, keepdim: bool, largest: bool) -> Tensor:
    data = input._data
    dims = normalize_dims(dim, data.ndim) if dim is not None and dim != () else tuple(range(data.ndim))
    res = wrap(np.asarray((np.max if largest else np.min)(data, axis=dims, keepdims=keepdim)))
    node = record(res, AmaxBackward0 if largest else AminBackward0, input)
    if node is not None:
        node.dims, node.keepdim = dims, keepdim
        node.save(input, res.detach())
    return res


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    return _amax_amin(input, dim, keepdim, True)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    return _amax_amin(input, dim, keepdim, False)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    data = input._data
    if dim is None:
        return wrap(np.asarray(data.argmax(), dtype=np.int64).reshape((1,) * data.ndim
                                                                      if keepdim else ()))
    d = wrap_dim(dim, data.ndim)
    return wrap(np.asarray(data.argmax(axis=d if data.ndim else None, keepdims=keepdim),
                           dtype=np.int64))


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    data = input._data
    if dim is None:
        return wrap(np.asarray(data.argmin(), dtype=np.int64).reshape((1,) * data.ndim
                                                                      if keepdim else ()))
    d = wrap_dim(dim, data.ndim)
    return wrap(np.asarray(data.argmin(axis=d if data.ndim else None, keepdims=keepdim),
                           dtype=np.int64))


# -- logsumexp -------------------------------------------------------------------------------
class LogsumexpBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        r = _expand_back(res, x.shape, self.dims, self.keepdim)
        g = _expand_back(grad, x.shape, self.dims, self.keepdim)
        return (g * (x - r).exp(),)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` computed stably by shifting by the maximum."""
    data = input._data
    if data.dtype.kind not in "fc":
        data = data.astype(D.get_default_dtype().np)
    dims = normalize_dims(dim, data.ndim) if dim != () else tuple(range(data.ndim))
    if data.ndim == 0:
        res = wrap(data.copy())
    else:
        m = np.max(data, axis=dims, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)  # all -inf (or inf) slices must not produce nan
        with np.errstate(divide="ignore"):
            s = np.log(np.sum(np.exp(data - m), axis=dims, keepdims=True)) + m
        res = wrap(s if keepdim else s.squeeze(dims))
    node = record(res, LogsumexpBackward0, input)
    if node is not None:
        node.dims, node.keepdim = dims, keepdim
        node.save(input, res.detach())
    return res


# -- all / any / count -------------------------------------------------------------------
def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    data = input._data
    dims = normalize_dims(dim, data.ndim) if dim is not None else None
    res = np.all(data, axis=dims, keepdims=keepdim if dims is not None else False)
    return wrap(np.asarray(res, dtype=np.uint8 if data.dtype == np.uint8 else np.bool_))


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    data = input._data
    dims = normalize_dims(dim, data.ndim) if dim is not None else None
    res = np.any(data, axis=dims, keepdims=keepdim if dims is not None else False)
    return wrap(np.asarray(res, dtype=np.uint8 if data.dtype == np.uint8 else np.bool_))


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    dims = normalize_dims(dim, input.ndim) if dim is not None else None
    return wrap(np.asarray(np.count_nonzero(input._data, axis=dims), dtype=np.int64))


# -- norm -------------------------------------------------------------------------------------
class LinalgVectorNormBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        p, dims, keepdim = self.p, self.dims, self.keepdim
        g = _expand_back(grad, x.shape, dims, keepdim)
        r = _expand_back(res, x.shape, dims, keepdim)
        if p == 2:
            scale = x / r.masked_fill(r == 0, 1)
        elif p == 1:
            scale = x.sign()
        elif p == float("inf") or p == float("-inf"):
            mask = (x.abs() == r).to(x.dtype)
            scale = x.sign() * mask / mask.sum(dims, keepdim=True).expand(x.shape) \
                if dims is not None else x.sign() * mask / mask.sum()
        else:
            scale = x.sign() * x.abs() ** (p - 1) / r.masked_fill(r == 0, 1) ** (p - 1)
        return (g * scale,)


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: D.dtype | None = None) -> Tensor:
    """Vector p-norm over all elements or ``dim`` ('fro' is the 2-norm)."""
    if p == "fro" or p is None:
        p = 2
    data = input._data
    if data.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {input.dtype.name.capitalize()}")
    dims = normalize_dims(dim, data.ndim) if dim is not None else None
    a = np.abs(data)
    kd = keepdim if dims is not None else False
    if p == float("inf"):
        out = np.max(a, axis=dims, keepdims=kd) if a.size else np.zeros(())
    elif p == float("-inf"):
        out = np.min(a, axis=dims, keepdims=kd)
    elif p == 0:
        out = np.sum(a != 0, axis=dims, keepdims=kd).astype(data.dtype)
    elif p == 2:
        out = np.sqrt(np.sum(a * a, axis=dims, keepdims=kd))
    else:
        out = np.sum(a ** p, axis=dims, keepdims=kd) ** (1.0 / p)
    res = wrap(np.asarray(out, dtype=data.dtype.type(0).real.dtype))
    node = record(res, LinalgVectorNormBackward0, input)
    if node is not None:
        node.p, node.dims, node.keepdim = p, dims, keepdim
        node.save(input, res.detach())
    return res
