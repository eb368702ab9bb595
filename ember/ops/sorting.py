"""Sorting along a dimension: sort, argsort, topk.

Every order is stable: equal elements keep their order (for ``descending`` too), and NaN
counts as larger than every number, as in torch, so it comes last ascending and first
descending. torch's default (``stable=False``) may order ties differently for more than 16
elements; any order of ties is a correct answer there, and ``stable=True`` gives exactly
torch's. The gradient of the values goes back to the positions the indices name.

>>> import ember
>>> ember.tensor([3.0, 1.0, 2.0]).sort()
ember.return_types.sort(
values=tensor([1., 2., 3.]),
indices=tensor([1, 2, 0]))
>>> ember.tensor([3.0, 1.0, 2.0]).topk(2).indices
tensor([0, 2])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core import Tensor, record, wrap, wrap_dim
from .extrema import MaxBackward0
from .reduction import _values_indices

__all__ = ["sort", "argsort", "topk"]


# Values picked by ``indices`` along ``dim``: as for ``max(dim, keepdim=True)``, each gradient
# goes back where its value came from, and the positions no value came from get zero.
class SortBackward0(MaxBackward0):
    pass


class TopkBackward0(MaxBackward0):
    pass


def _order(data: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable sorting indices of ``data`` along ``axis`` (NaN largest)."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    # A stable ascending sort of the reversed array, read backwards, is a stable descending
    # sort: ties come out in their original order, and NaN (last ascending) comes first.
    backwards = np.argsort(np.flip(data, axis), axis=axis, kind="stable")
    return (data.shape[axis] - 1) - np.flip(backwards, axis)


def _picked(input: Tensor, order: np.ndarray, axis: int, node_type: type) -> tuple:
    """(values, indices) tensors for ``order``, with the gradient recorded on the values."""
    data = input._data
    values = wrap(np.take_along_axis(data, order, axis=axis) if data.ndim else data.copy())
    indices = wrap(order.astype(np.int64, copy=False))
    node = record(values, node_type, input)
    if node is not None:
        node.dim, node.shape, node.keepdim = axis, data.shape, True
        node.save(indices)
    return values, indices


def _refuse_complex(data: np.ndarray, message: str) -> None:
    if data.dtype.kind == "c":
        raise RuntimeError(message)


_SORT_COMPLEX = " Sort does not support complex dtypes on CPU"  # torch's text, space and all


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False,
         out: Any = None) -> Any:
    """``(values, indices)`` of ``input`` sorted along ``dim`` (always stably, so
    ``stable`` changes nothing)."""
    data = input._data
    _refuse_complex(data, _SORT_COMPLEX)
    axis = wrap_dim(int(dim), data.ndim)
    order = _order(data, axis, descending) if data.ndim else np.zeros((), np.int64)
    values, indices = _picked(input, order, axis, SortBackward0)
    return _values_indices("sort", values, indices, out)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *,
            stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (always stably)."""
    data = input._data
    _refuse_complex(data, _SORT_COMPLEX)
    axis = wrap_dim(int(dim), data.ndim)
    if data.ndim == 0:
        return wrap(np.zeros((), np.int64))
    return wrap(_order(data, axis, descending).astype(np.int64, copy=False))


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True,
         *, out: Any = None) -> Any:
    """The ``k`` largest (or smallest) elements along ``dim``, as ``(values, indices)``,
    largest first (smallest first for ``largest=False``; ``sorted`` changes nothing)."""
    data = input._data
    if data.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    _refuse_complex(data, " topk does not support complex dtypes on CPU")
    axis = wrap_dim(int(dim), data.ndim)
    if not 0 <= k <= (data.shape[axis] if data.ndim else 1):
        raise RuntimeError("selected index k out of range")
    if data.ndim:
        order = np.take(_order(data, axis, largest), np.arange(k), axis=axis)
    else:  # torch gives the element back for k = 0 as well
        order = np.zeros((), np.int64)
    values, indices = _picked(input, order, axis, TopkBackward0)
    return _values_indices("topk", values, indices, out)
