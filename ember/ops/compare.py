"""Comparisons, logical and bitwise ops (bool results, never differentiable), and ``where``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.graph import Node
from ._core import Tensor, binary_operands, record, sum_to, wrap

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "equal", "allclose", "isclose",
           "logical_and", "logical_or", "logical_xor", "logical_not",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "where"]


def _compare(np_fn):
    def op(input: Any, other: Any, *, out: Any = None) -> Tensor:
        ad, bd = binary_operands(input, other)
        return wrap(np_fn(ad, bd))
    op.__name__ = np_fn.__name__
    return op


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and elements."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    ad, bd = binary_operands(input, other)
    return wrap(np.isclose(ad, bd, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    return bool(np.all(isclose(input, other, rtol, atol, equal_nan)._data))


def _logical(np_fn):
    def op(input: Any, other: Any) -> Tensor:
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        return wrap(np_fn(a, b))
    op.__name__ = np_fn.__name__
    return op


logical_and = _logical(np.logical_and)
logical_or = _logical(np.logical_or)
logical_xor = _logical(np.logical_xor)


def logical_not(input: Tensor) -> Tensor:
    return wrap(np.logical_not(input._data))


def _bitwise(np_fn, name: str):
    def op(input: Any, other: Any) -> Tensor:
        ad, bd = binary_operands(input, other)
        kinds = {getattr(x, "dtype", np.dtype("i")).kind for x in (ad, bd)}
        if kinds - set("biu"):
            raise RuntimeError(f'"{name}_cpu" not implemented for \'Float\'')
        return wrap(np_fn(ad, bd))
    op.__name__ = np_fn.__name__
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input: Tensor) -> Tensor:
    if input._data.dtype.kind not in "biu":
        raise RuntimeError("\"bitwise_not_cpu\" not implemented for 'Float'")
    return wrap(np.invert(input._data))


class WhereBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (cond,) = self.saved()
        zero = grad * 0
        ga = sum_to(grad.where(cond, zero), self.a_shape) if self.needs[0] else None
        gb = sum_to(zero.where(cond, grad), self.b_shape) if self.needs[1] else None
        return None, ga, gb


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (broadcasting)."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    ad, bd = binary_operands(input, other)
    cond = condition._data
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype.name.capitalize()}")
    res = wrap(np.where(cond, ad, bd))
    node = record(res, WhereBackward0, condition, input, other)
    if node is not None:
        node.save(condition)
        node.needs = tuple(isinstance(x, Tensor) and x._requires_grad for x in (input, other))
        node.a_shape = input._data.shape if isinstance(input, Tensor) else ()
        node.b_shape = other._data.shape if isinstance(other, Tensor) else ()
    return res
