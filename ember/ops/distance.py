"""p-norm distances: ``cdist`` between every pair of rows of two batches, and ``dist``
between two tensors.

Both work from the differences (torch's ``donot_use_mm_for_euclid_dist``): for p = 2 torch
may instead expand ``|x|^2 - 2 x.y + |y|^2`` as matrix products, which is faster for large
inputs but loses precision when points are close; ``compute_mode`` is validated and changes
nothing here.

>>> import ember
>>> ember.cdist(ember.zeros(1, 2), ember.tensor([[3.0, 4.0]]))
tensor([[5.]])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, binary_operands, record, sum_to, wrap

__all__ = ["cdist", "dist"]
TENSOR_METHODS: tuple = ("dist",)


# -- p-norm distances: cdist and dist ----------------------------------------------------
def _pnorm(diff: np.ndarray, p: float, axis: Any) -> np.ndarray:
    a = np.abs(diff)
    if p == 0:
        return (a != 0).sum(axis).astype(diff.dtype)
    if p == math.inf:
        return a.max(axis, initial=0)
    if p == 1:
        return a.sum(axis)
    if p == 2:
        return np.sqrt((a * a).sum(axis))
    return (a ** p).sum(axis) ** (1 / p)


def _pnorm_grad(diff: Tensor, norm: Tensor, grad: Tensor, p: float) -> Tensor:
    """Gradient of ``norm = ||diff||_p`` (norm already broadcast against diff) w.r.t. diff.

    Where the norm (or, for p < 1, an element) is 0 the derivative is undefined; it is
    taken as 0 there, as torch does. Safe substitutes replace those entries before dividing
    so that neither the value nor a double backward meets inf * 0.
    """
    if p == 0:
        return diff * 0
    if p == 1:
        return grad * diff.sign()
    if p == math.inf:
        return grad * diff.sign() * (diff.abs() == norm)
    zero_norm = norm == 0
    safe_norm = norm.masked_fill(zero_norm, 1)
    if p == 2:
        return (grad * diff / safe_norm).masked_fill(zero_norm, 0)
    zero = (diff == 0) | zero_norm
    safe_abs = diff.abs().masked_fill(zero, 1)
    scale = safe_abs.pow(p - 2) / safe_norm.pow(p - 1)
    return (grad * diff * scale).masked_fill(zero, 0)


class CdistBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x1, x2, res = self.saved()
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        g = _pnorm_grad(diff, res.unsqueeze(-1), grad.unsqueeze(-1), self.p)
        g1 = sum_to(g.sum(-2), self.shapes[0]) if self.needs[0] else None
        g2 = sum_to(-g.sum(-3), self.shapes[1]) if self.needs[1] else None
        return g1, g2


_COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                  "donot_use_mm_for_euclid_dist")


def _check_cdist(x1: Tensor, x2: Tensor, p: float) -> tuple:
    a, b = x1._data, x2._data
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t._data.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{a.shape[-1]} X2: {b.shape[-1]}")
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{D.scalar_type_name(t.dtype)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {D.scalar_type_name(x1.dtype)} but found "
                           f"{D.scalar_type_name(x2.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    try:
        return np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        from .arithmetic import _size_error
        raise _size_error(a.shape[:-2], b.shape[:-2]) from None


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """p-norm distance between each row of ``x1`` (..., P, M) and of ``x2`` (..., R, M).

    Always computed from the differences (the exact way torch calls
    ``donot_use_mm_for_euclid_dist``): ``compute_mode`` is validated but changes nothing.
    """
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    _check_cdist(x1, x2, p)
    diff = x1._data[..., :, None, :] - x2._data[..., None, :, :]
    res = wrap(np.asarray(_pnorm(diff, float(p), -1)))
    node = record(res, CdistBackward0, x1, x2)
    if node is not None:
        node.p, node.shapes = float(p), (x1._data.shape, x2._data.shape)
        node.needs = (x1._requires_grad, x2._requires_grad)
        node.save(x1, x2, res)
    return res


class DistBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        if self.p == 0:  # torch's p = 0 gradient is undefined, and its engine refuses it
            raise RuntimeError("Expected a proper Tensor but got None (or an undefined Tensor "
                               "in C++) for argument #0 'self'")
        a, b, res = self.saved()
        g = _pnorm_grad(a - b, res, grad, self.p)
        ga = sum_to(g, self.shapes[0]) if self.needs[0] else None
        gb = sum_to(-g, self.shapes[1]) if self.needs[1] else None
        return ga, gb


def dist(input: Tensor, other: Tensor, p: Any = 2) -> Tensor:
    """p-norm of ``input - other`` (broadcast) over all elements."""
    a, b = binary_operands(input, other)
    try:
        diff = a - b
    except ValueError:
        from .arithmetic import _size_error
        raise _size_error(a.shape, b.shape) from None
    p = float(p)
    if diff.size == 0 and (p < 0 or p == math.inf):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an empty "
                           "tensor because the operation does not have an identity")
    res = wrap(np.asarray(_pnorm(diff, p, None), dtype=diff.dtype))
    node = record(res, DistBackward0, input, other)
    if node is not None:
        node.p, node.shapes = p, (input._data.shape, other._data.shape)
        node.needs = (input._requires_grad, other._requires_grad)
        node.save(input, other, res)
    return res

