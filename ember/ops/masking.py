"""Mask-driven ops: masked_fill, masked_select, and nonzero (the positions a mask holds).

>>> import ember
>>> x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> x.masked_fill(x > 2, 0.0)
tensor([[1., 2.],
        [0., 0.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, check_scalar, record, sum_to, wrap

__all__ = ["masked_fill", "masked_fill_", "masked_select", "nonzero"]


class MaskedFillBackward0(Node):  # scalar value
    def backward(self, grad: Tensor) -> tuple:
        (mask,) = self.saved()
        return (sum_to(grad.masked_fill(mask, 0), self.shape),)


class MaskedFillBackward1(Node):  # 0-d tensor value: it receives the masked gradient's sum
    def backward(self, grad: Tensor) -> tuple:
        (mask,) = self.saved()
        g_self = sum_to(grad.masked_fill(mask, 0), self.shape) if self.needs[0] else None
        g_value = None
        if self.needs[1]:
            g_value = grad.masked_fill(~mask, 0).sum()
        return g_self, g_value


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with ``value`` where ``mask`` (bool, broadcastable) is True."""
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{D.type_meta_name(mask._data.dtype)}")
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    data = input._data
    try:
        np.broadcast_shapes(mask._data.shape, data.shape)
    except ValueError:
        from .arithmetic import _size_error
        raise _size_error(mask._data.shape, data.shape) from None
    if not isinstance(value, Tensor):
        value = check_scalar(value, data.dtype)
    v = value._data if isinstance(value, Tensor) else value
    res = wrap(np.where(mask._data, np.asarray(v).astype(data.dtype), data))
    if isinstance(value, Tensor):
        node = record(res, MaskedFillBackward1, input, value)
        if node is not None:
            node.needs = (input._requires_grad, value._requires_grad)
    else:
        node = record(res, MaskedFillBackward0, input)
    if node is not None:
        node.shape = data.shape
        node.save(mask)
    return res


def masked_fill_(self: Tensor, mask: Tensor, value: Any) -> Tensor:
    from .arithmetic import _inplace
    return _inplace(self, masked_fill(self, mask, value))


class MaskedSelectBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (mask,) = self.saved()
        from .creation import zeros
        full = zeros(self.out_shape, dtype=grad.dtype)
        full[mask.expand(self.out_shape)] = grad
        return (sum_to(full, self.shape),)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements where ``mask`` is True, as a 1-d tensor (shapes broadcast)."""
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    try:
        shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        from .arithmetic import _size_error
        raise _size_error(mask._data.shape, input._data.shape) from None
    res = wrap(np.broadcast_to(input._data, shape)[np.broadcast_to(mask._data, shape)])
    node = record(res, MaskedSelectBackward0, input)
    if node is not None:
        node.shape, node.out_shape = input._data.shape, shape
        node.save(mask)
    return res


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero elements: an ``(n, ndim)`` tensor, or one tensor per dim."""
    data = input._data if input._data.ndim else input._data.reshape(1)
    idx = np.nonzero(data)
    if as_tuple:
        return tuple(wrap(i.astype(np.int64)) for i in idx)
    if input._data.ndim == 0:
        return wrap(np.zeros((idx[0].size, 0), dtype=np.int64))
    return wrap(np.stack(idx, axis=-1).astype(np.int64))
