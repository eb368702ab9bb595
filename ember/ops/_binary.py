"""Shared machinery of the elementwise ops: gradient reduction, ``out=``, in-place storage.

A node keeps, per input that needs a gradient, the input's shape and dtype (``_meta``);
``_reduce`` sums a broadcast gradient back to that shape and casts it back to that dtype, as
torch's engine does for mixed-dtype operands. ``_inplace`` stores an out-of-place result into
a tensor and moves the history onto it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..autograd.views import rebase_view
from ._core import Tensor, check_inplace, record, state, sum_to, wrap

__all__: list = []

_ndarray = np.ndarray


# -- shared helpers ---------------------------------------------------------------------------
def _meta(x: Any) -> tuple | None:
    """(shape, numpy dtype) of an input that will receive a gradient, else None."""
    if isinstance(x, Tensor) and x._requires_grad:
        d = x._data
        return d.shape, d.dtype
    return None


def _reduce(grad: Tensor, meta: tuple | None) -> Tensor | None:
    """The gradient for one input: un-broadcast, in the input's own dtype."""
    if meta is None:
        return None
    g = sum_to(grad, meta[0])
    return g if g._data.dtype == meta[1] else g.to(D.from_np(meta[1]))


def _zeros(meta: tuple | None) -> Tensor | None:
    return None if meta is None else wrap(np.zeros(meta[0], meta[1]))


def _shape(x: Any) -> tuple:
    return np.shape(x._data if isinstance(x, Tensor) else x)


def _size_error(a_shape: tuple, b_shape: tuple) -> RuntimeError:
    """torch's message for operands that do not broadcast together."""
    n = max(len(a_shape), len(b_shape))
    pa = (1,) * (n - len(a_shape)) + tuple(a_shape)
    pb = (1,) * (n - len(b_shape)) + tuple(b_shape)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b "
                                f"({pb[i]}) at non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(a_shape)} and {list(b_shape)} cannot be broadcast")


def _cast_error(result: D.dtype, target: D.dtype) -> RuntimeError:
    return RuntimeError(f"result type {D.scalar_type_name(result)} can't be cast to the desired "
                        f"output type {D.scalar_type_name(target)}")


def _write_out(result: Tensor, out: Tensor | None, name: str) -> Tensor:
    """Honour ``out=``: copy into the given tensor (resizing it like torch when shapes differ)."""
    if out is None:
        return result
    if result._requires_grad and state.enabled:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    check_inplace(out)
    rd, od = result._data.dtype, out._data.dtype
    if rd != od and not np.can_cast(rd, od, "same_kind"):
        raise _cast_error(D.from_np(rd), D.from_np(od))
    if out._data.shape != result._data.shape:
        if out._data.size:
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(result.shape)}. This behavior is deprecated, and in a future "
                          "PyTorch release outputs will not be resized unless they have zero "
                          "elements. You can explicitly reuse an out tensor t by resizing it, "
                          "inplace, to zero elements with t.resize_(0).", UserWarning,
                          stacklevel=3)
        out._data = np.empty(result._data.shape, dtype=od)
    np.copyto(out._data, result._data, casting="unsafe")
    out._version[0] += 1
    return out


class _NotDifferentiable(Node):
    """The grad_fn of ops torch cannot differentiate (floor_divide, ``2 % x``)."""

    op = ""

    def backward(self, grad: Tensor) -> tuple:
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


_NotDifferentiable.__name__ = _NotDifferentiable.__qualname__ = "NotImplemented"


def _record_not_differentiable(res: Tensor, op: str, *inputs: Any) -> None:
    node = record(res, _NotDifferentiable, *(x for x in inputs if isinstance(x, Tensor)))
    if node is not None:
        node.op = op


# -- in-place ------------------------------------------------------------------------------
def _inplace(t: Tensor, result: Tensor) -> Tensor:
    """Store an out-of-place result into ``t`` and make ``t`` carry its history.

    If the new node saved ``t`` itself (``x.mul_(y)`` needs the old ``x`` for y's gradient),
    it keeps a copy of the old values instead, since ``t`` is about to change.
    """
    check_inplace(t)
    if result._data.shape != t._data.shape:
        raise RuntimeError(f"output with shape {list(t.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    if result._data.dtype != t._data.dtype and not np.can_cast(
            result._data.dtype, t._data.dtype, "same_kind"):
        raise _cast_error(result.dtype, t.dtype)
    node = result.grad_fn
    if node is not None and node._saved and any(s is t for s in node._saved):
        _snapshot_saved(node, t)
    np.copyto(t._data, result._data, casting="unsafe")
    t._version[0] += 1
    if node is not None:
        t.grad_fn, t._requires_grad, t._output_nr = node, True, 0
        if t._base is not None:  # written through a view: the base's history changes too
            rebase_view(t)
    return t


def _snapshot_saved(node: Node, t: Tensor) -> None:
    copy = wrap(t._data.copy())
    node._saved = tuple(copy if s is t else s for s in node._saved)
    node._versions = tuple(0 if s is t else v for s, v in zip(node._saved, node._versions))


def _tracks(self: Tensor, other: Any) -> bool:
    return state.enabled and (self._requires_grad or (
        isinstance(other, Tensor) and other._requires_grad))


def _fast_inplace(np_fn: Any, self: Tensor, other: Any) -> Tensor:
    """``self op= other`` straight into self's memory (nothing to record)."""
    o = other._data if isinstance(other, Tensor) else other
    try:
        np_fn(self._data, o, out=self._data, casting="same_kind")
    except TypeError:
        if isinstance(other, np.ndarray):  # an operand already scaled by alpha
            other = wrap(other)
        raise _cast_error(D.result_type(self, other), self.dtype) from None
    except ValueError:
        raise _inplace_shape_error(self, other) from None
    self._version[0] += 1
    return self


def _inplace_shape_error(self: Tensor, other: Any) -> RuntimeError:
    a, b = self._data.shape, _shape(other)
    try:
        shape = np.broadcast_shapes(a, b)
    except ValueError:
        return _size_error(a, b)
    return RuntimeError(f"output with shape {list(a)} doesn't match the broadcast shape "
                        f"{list(shape)}")


def _checked(self: Tensor, other: Any, fn: Any, **kwargs: Any) -> Tensor:
    try:
        return fn(self, other, **kwargs)
    except RuntimeError as e:
        if "must match the size" in str(e):
            raise _inplace_shape_error(self, other) from None
        raise
