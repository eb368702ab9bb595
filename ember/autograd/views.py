"""In-place changes through views: the base tensor's history is rebased.

After ``v = y[0]; v.mul_(2)``, the values of ``y`` changed too, so ``y`` must now carry a
node that routes its gradient through the in-place op for the viewed elements
(``CopySlices``), and ``v`` becomes a view of that new ``y`` (``AsStridedBackward0``), as in
torch:

>>> import ember
>>> x = ember.ones(2, 2, requires_grad=True)
>>> y = x * 1
>>> y[0].mul_(3)
tensor([3., 3.], grad_fn=<AsStridedBackward0>)
>>> y.grad_fn.name()
'CopySlices'
>>> y.sum().backward()
>>> x.grad
tensor([[3., 3.],
        [1., 1.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .graph import Node

__all__ = ["rebase_view"]


def _positions(base: np.ndarray, view: np.ndarray) -> np.ndarray | None:
    """For each element of ``view`` (a view of ``base``'s memory), its flat C-order index in
    ``base``; None when the two cannot be related (another dtype, negative strides)."""
    item = base.itemsize
    if view.itemsize != item or min(base.strides + view.strides, default=0) < 0:
        return None
    if base.size == 0 or view.size == 0:
        return np.zeros(view.shape, dtype=np.int64)
    span = 1 + sum((n - 1) * s // item for n, s in zip(base.shape, base.strides))
    buf = np.zeros(span, dtype=np.int64)
    slots = as_strided(buf, base.shape, tuple(s // item * 8 for s in base.strides))
    slots[...] = np.arange(base.size).reshape(base.shape)
    offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // item
    picked = as_strided(buf[offset:], view.shape, tuple(s // item * 8 for s in view.strides))
    return np.ascontiguousarray(picked)


class _CopySlices(Node):
    """The base's node after an in-place op ``fn`` on one of its views."""

    def name(self) -> str:
        return "CopySlices"

    def backward(self, grad: Any) -> tuple:
        flat = grad.reshape(-1)
        g_view = flat[self.index].view(self.view_shape)
        res = self.fn(g_view)
        out = flat.clone()
        out[self.index] = 0.0 if res[0] is None else res[0].reshape(-1)
        return (out.view(self.base_shape),) + tuple(res[1:])

    def release(self) -> None:
        super().release()
        self.fn.release()


_CopySlices.__name__ = _CopySlices.__qualname__ = "CopySlices"


class AsStridedBackward0(Node):
    """The view after the in-place op: a window onto its base's new values."""

    def backward(self, grad: Any) -> tuple:
        from ..ops.creation import zeros
        flat = zeros(self.base_numel, dtype=grad.dtype)
        flat = flat.index_put((self.index,), grad.reshape(-1), accumulate=True)
        return (flat.view(self.base_shape),)


def rebase_view(t: Any) -> None:
    """Called by in-place ops once ``t`` (a view) has its new ``grad_fn``: move the new
    history onto the base and make ``t`` a view of it again."""
    base = t._base
    fn = t.grad_fn
    if base is None or fn is None:
        return
    ids = _positions(base._data, t._data)
    if ids is None:
        return
    from .._tensor import tensor_from_array
    from ..ops._core import edge
    index = tensor_from_array(ids.reshape(-1))
    node = _CopySlices()
    node.next_functions = (edge(base),) + tuple(fn.next_functions[1:])
    node.fn, node.index = fn, index
    node.view_shape, node.base_shape = t._data.shape, base._data.shape
    base.grad_fn, base._requires_grad, base._output_nr = node, True, 0
    view_node = AsStridedBackward0()
    view_node.next_functions = ((node, 0),)
    view_node.index, view_node.base_numel = index, base._data.size
    view_node.base_shape = base._data.shape
    t.grad_fn, t._output_nr = view_node, 0
