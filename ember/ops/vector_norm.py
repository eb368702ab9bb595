"""``norm``: vector norms of any order over all or some dimensions (``Tensor.norm``).

>>> import ember
>>> ember.tensor([3.0, 4.0]).norm()
tensor(5.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, record, wrap
from .reduction import _axes, _expand_back, _finish

__all__ = ["norm"]


class LinalgVectorNormBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        p, axes, keepdim = self.p, self.axes, self.keepdim
        g = _expand_back(grad, x.shape, axes, keepdim)
        r = _expand_back(res, x.shape, axes, keepdim)
        if p == 0:
            return (g * 0,)
        if p == 1:
            return (g * x.sign(),)
        if p == 2:
            return (g * x / r.masked_fill(r == 0, 1),)
        if math.isinf(p):
            mask = (x.abs() == r).to(x.dtype)
            count = mask.sum(axes, keepdim=True) if axes else mask
            return (g * x.sign() * mask / count,)
        scale = x * x.abs() ** (p - 2) / r.masked_fill(r == 0, 1) ** (p - 1)
        return (g * scale.masked_fill(x == 0, 0) if p < 2 else g * scale,)


def _vector_norm(a: np.ndarray, p: float, axes: tuple, kd: bool) -> np.ndarray:
    if a.size == 0 and math.isinf(p):
        return np.zeros(np.sum(a, axis=axes, keepdims=kd).shape, a.dtype)
    if p == float("inf"):
        return np.max(a, axis=axes, keepdims=kd)
    if p == float("-inf"):
        return np.min(a, axis=axes, keepdims=kd)
    if p == 0:
        return np.sum(a != 0, axis=axes, keepdims=kd).astype(a.dtype)
    if p == 1:
        return np.sum(a, axis=axes, keepdims=kd)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=axes, keepdims=kd))
    return np.sum(a ** p, axis=axes, keepdims=kd) ** (1.0 / p)


def _refuse_empty_norm(data: np.ndarray, p: float, dim: Any, axes: tuple) -> None:
    """Negative and infinite norms have no value over nothing (no identity element)."""
    start = f"linalg.vector_norm cannot compute the {p:g} norm on "
    if dim is None:
        raise RuntimeError(start + "an empty tensor because the operation does not have an "
                           "identity")
    if math.prod(data.shape[a] for a in range(data.ndim) if a not in axes):  # a result
        from .extrema import _first_empty
        # torch's message has no space after the dimension.
        raise RuntimeError(start + f"the dimension {_first_empty(dim, data)}because this "
                           "dimension is empty and the operation does not have an identity")


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         out: Tensor | None = None, dtype: D.dtype | None = None) -> Tensor:
    """Vector p-norm over all elements or over ``dim`` (``'fro'`` is the 2-norm)."""
    if p == "fro" and isinstance(dim, (tuple, list)) and len(dim) > 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(str(d) for d in dim))
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm(): p={p!r} (matrix norms) is not supported")
    data = input._data
    if data.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {D.scalar_type_name(input.dtype)}")
    if dtype is not None:
        data = data.astype(dtype.np)
    axes = _axes(dim, data.ndim)
    kd = keepdim and data.ndim > 0
    if data.size == 0 and (p < 0 or math.isinf(p)):
        _refuse_empty_norm(data, float(p), dim, axes)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = _vector_norm(np.abs(data), float(p), axes, kd)
    res = wrap(np.asarray(value, dtype=data.real.dtype))
    node = record(res, LinalgVectorNormBackward0, input)
    if node is not None:
        node.p, node.axes, node.keepdim = float(p), axes, kd
        node.save(input, res.detach())
    return _finish(res, out, "norm")
