"""Joining and splitting: cat, stack, hstack, vstack, split, chunk, unbind.

The pieces returned by split, chunk and unbind are views of the input.

>>> import ember
>>> a, b = ember.ones(2, 3).split([1, 1])
>>> ember.cat([a, b], 1).shape
ember.Size([1, 6])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, record, record_multi, wrap, wrap_dim
from .shape import make_view

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "split", "chunk",
           "unbind"]


class CatBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        out, start = [], 0
        for size in self.sizes:
            if size is None:  # a skipped 1-d empty input
                out.append(wrap(np.zeros((0,), dtype=grad._data.dtype)))
                continue
            out.append(grad.narrow(self.dim, start, size))
            start += size
        return tuple(out)


def cat(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Join tensors along an existing dim (1-d empty tensors are skipped, as in torch)."""
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("ember.cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if x._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    kept = [x for x in tensors if not (x._data.ndim == 1 and x._data.size == 0)] or tensors[:1]
    d = wrap_dim(dim, kept[0]._data.ndim)
    _check_cat(kept, d)
    # Skipped empty inputs still take part in the type promotion.
    dt = D.result_type(*tensors).np if len(tensors) > 1 else kept[0]._data.dtype
    shape = list(kept[0]._data.shape)
    shape[d] = sum(x._data.shape[d] for x in kept)
    res = wrap(np.concatenate([x._data for x in kept], axis=d,
                              out=np.empty(shape, dtype=dt), casting="unsafe"))
    node = record(res, CatBackward0, *tensors)
    if node is not None:
        kept_ids = {id(x) for x in kept}
        node.dim = d
        node.sizes = [x._data.shape[d] if id(x) in kept_ids else None for x in tensors]
    if out is not None:
        from .arithmetic import _write_out
        return _write_out(res, out, "cat")
    return res


def _check_cat(ts: list, d: int) -> None:
    first = ts[0]._data.shape
    for i, x in enumerate(ts[1:], 1):
        if x._data.ndim != len(first):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(first)} "
                               f"and {x._data.ndim}")
        for j, (a, b) in enumerate(zip(first, x._data.shape)):
            if j != d and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {a} but got size {b} for tensor number {i} "
                                   "in the list.")


concat = concatenate = cat


def _tensor_list(tensors: Any, fn: str) -> list:
    """The tensors of cat/stack's first argument, which must be a sequence of tensors."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(x).__name__}")
    return list(tensors)


class StackBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return tuple(grad.select(self.dim, i) for i in range(self.n))


def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(x._data.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1)
    dt = D.result_type(*tensors).np if len(tensors) > 1 else tensors[0]._data.dtype
    res = wrap(np.stack([x._data for x in tensors], axis=d, dtype=dt))
    node = record(res, StackBackward0, *tensors)
    if node is not None:
        node.dim, node.n = d, len(tensors)
    if out is not None:
        from .arithmetic import _write_out
        return _write_out(res, out, "stack")
    return res


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along the columns: 0-d tensors become 1-d (as ``atleast_1d`` makes them)."""
    tensors = _tensor_list(tensors, "hstack")
    if not tensors:
        raise RuntimeError("hstack expects a non-empty TensorList")
    tensors = [x.reshape(1) if x._data.ndim == 0 else x for x in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Stack rows: 1-d tensors become rows (as ``atleast_2d`` makes them), then ``cat``."""
    tensors = _tensor_list(tensors, "vstack")
    if not tensors:
        raise RuntimeError("vstack expects a non-empty TensorList")
    return cat([x if x._data.ndim > 1 else x.unsqueeze(0) if x._data.ndim == 1
                else x.reshape(1, 1) for x in tensors], 0)


class SplitBackward0(Node):
    def backward(self, *grads: Any) -> tuple:
        from .creation import zeros
        parts = [g if g is not None else zeros(s, dtype=self.dtype)
                 for g, s in zip(grads, self.shapes)]
        return (cat(parts, self.dim),)


class SplitWithSizesBackward0(SplitBackward0):
    pass


def _views_along(input: Tensor, d: int, bounds: list) -> list:
    data = input._data
    index: list = [slice(None)] * data.ndim
    outs = []
    for lo, hi in bounds:
        index[d] = slice(lo, hi)
        outs.append(make_view(input, data[tuple(index)]))
    return outs


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Views of consecutive pieces along ``dim``: equal ``int`` sizes or a list of sizes."""
    data = tensor._data
    d = wrap_dim(dim, data.ndim)
    n = data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={step}")
        if step == 0 and n:
            raise RuntimeError("split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        bounds = [(i, min(i + step, n)) for i in range(0, n, step)] if step else [(0, 0)]
        node_type = SplitBackward0
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
        edges = np.cumsum([0] + sizes).tolist()
        bounds = list(zip(edges[:-1], edges[1:]))
        node_type = SplitWithSizesBackward0
    outs = _views_along(tensor, d, bounds or [(0, 0)])
    node = record_multi(outs, node_type, tensor)
    if node is not None:
        node.dim, node.dtype = d, tensor.dtype
        node.shapes = [o._data.shape for o in outs]
    return tuple(outs)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` equal views along ``dim`` (the last may be smaller)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if n == 0:  # an empty dim gives ``chunks`` empty pieces, not one
        return split(input, [0] * chunks, d)
    return split(input, -(-n // chunks), d)


class UnbindBackward0(Node):
    def backward(self, *grads: Any) -> tuple:
        from .creation import zeros
        parts = [g if g is not None else zeros(self.shape, dtype=self.dtype) for g in grads]
        return (stack(parts, self.dim),)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along ``dim``, as views."""
    data = input._data
    if data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, data.ndim)
    index = (slice(None),) * d
    outs = [make_view(input, data[index + (i,)]) for i in range(data.shape[d])]
    node = record_multi(outs, UnbindBackward0, input) if outs else None
    if node is not None:
        node.dim, node.dtype, node.shape = d, input.dtype, outs[0]._data.shape
    return tuple(outs)
