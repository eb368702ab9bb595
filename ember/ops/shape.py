"""Shape ops: views (view, reshape, permute, transpose, squeeze, unsqueeze, expand, ...)
and copies (cat, stack, repeat, flip, clone, contiguous), plus split/chunk/unbind.

A view shares its base's array memory and version counter, as in torch.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..autograd.graph import Node
from ._core import Tensor, record, record_multi, sum_to, wrap, wrap_dim

__all__ = ["view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute",
           "transpose", "swapaxes", "t", "movedim", "expand", "expand_as", "broadcast_to",
           "repeat", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "split",
           "chunk", "unbind", "flip", "narrow", "clone", "contiguous", "tile", "view_as",
           "reshape_as", "make_view"]


def make_view(base: Tensor, data: Any) -> Tensor:
    """A tensor over ``data`` (a view of ``base``'s array) sharing its version counter."""
    out = wrap(data)
    out._version = base._version
    out._base = base._base if base._base is not None else base
    return out


def _shape_arg(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer_shape(shape: tuple, numel: int) -> tuple:
    if -1 in shape:
        if shape.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred")
        known = math.prod(s for s in shape if s != -1)
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    if math.prod(shape) != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class ViewBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.shape),)


def view(input: Tensor, *shape: Any) -> Tensor:
    """Same data, new shape; raises when the strides make that impossible (use reshape)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and hasattr(shape[0], "np"):
        return _view_dtype(input, shape[0])
    data = input._data
    new_shape = _infer_shape(_shape_arg(shape), data.size)
    try:
        out_data = data.view()
        out_data.shape = new_shape  # assigning shape refuses to copy
    except AttributeError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    out = make_view(input, out_data)
    node = record(out, ViewBackward0, input)
    if node is not None:
        node.shape = data.shape
    return out


def _view_dtype(input: Tensor, dtype: Any) -> Tensor:
    return make_view(input, input._data.view(dtype.np))


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """``view`` when possible, else a copy."""
    data = input._data
    new_shape = _infer_shape(_shape_arg(shape), data.size)
    out_data = data.reshape(new_shape)
    out = make_view(input, out_data) if np.shares_memory(out_data, data) or data.size == 0 \
        else wrap(out_data)
    node = record(out, ViewBackward0, input)
    if node is not None:
        node.shape = data.shape
    return out


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, other.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, other.shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    shape = input._data.shape
    if not shape:
        return reshape(input, 1)
    s, e = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return reshape(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    shape = input._data.shape
    d = wrap_dim(dim, len(shape))
    sizes = tuple(sizes)
    if -1 in sizes:
        sizes = _infer_shape(sizes, shape[d])
    elif math.prod(sizes) != shape[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({shape[d]}) in the input tensor")
    return view(input, shape[:d] + sizes + shape[d + 1:])


class SqueezeBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.shape),)


class SqueezeBackward1(SqueezeBackward0):
    pass


class SqueezeBackward2(SqueezeBackward0):
    pass


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    data = input._data
    if dim is None:
        node_type, axes = SqueezeBackward0, tuple(i for i, s in enumerate(data.shape) if s == 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        node_type = SqueezeBackward1 if isinstance(dim, int) else SqueezeBackward2
        axes = tuple(d for d in (wrap_dim(x, data.ndim) for x in dims) if data.ndim and data.shape[d] == 1)
    out = make_view(input, data.squeeze(axes) if axes else data.view())
    node = record(out, node_type, input)
    if node is not None:
        node.shape = data.shape
    return out


class UnsqueezeBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.squeeze(self.dim),)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    data = input._data
    d = wrap_dim(dim, data.ndim + 1)
    out = make_view(input, np.expand_dims(data, d))
    node = record(out, UnsqueezeBackward0, input)
    if node is not None:
        node.dim = d
    return out


class PermuteBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.permute(*np.argsort(self.dims).tolist()),)


def permute(input: Tensor, *dims: Any) -> Tensor:
    dims = _shape_arg(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {nd} is not equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    out = make_view(input, input._data.transpose(dims))
    node = record(out, PermuteBackward0, input)
    if node is not None:
        node.dims = dims
    return out


class TransposeBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.transpose(self.d0, self.d1),)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    nd = input._data.ndim
    d0, d1 = wrap_dim(dim0, nd), wrap_dim(dim1, nd)
    out = make_view(input, np.swapaxes(input._data, d0, d1) if nd else input._data.view())
    node = record(out, TransposeBackward0, input)
    if node is not None:
        node.d0, node.d1 = d0, d1
    return out


swapaxes = transpose


class TBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.t(),)


def t(input: Tensor) -> Tensor:
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    out = make_view(input, input._data.T)
    record(out, TBackward0, input)
    return out


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [wrap_dim(s, nd) for s in src]
    dst = [wrap_dim(d, nd) for d in dst]
    rest = [i for i in range(nd) if i not in src]
    perm = [None] * nd
    for s, d in zip(src, dst):
        perm[d] = s
    it = iter(rest)
    perm = [p if p is not None else next(it) for p in perm]
    return permute(input, *perm)


class ExpandBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (sum_to(grad, self.shape),)


def expand(input: Tensor, *sizes: Any) -> Tensor:
    sizes = _shape_arg(sizes)
    data = input._data
    lead = len(sizes) - data.ndim
    if lead < 0:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(data.shape)}}}, size={list(sizes)}):"
                           " the number of sizes provided ({len(sizes)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({data.ndim})")
    target = tuple(data.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    try:
        out_data = np.broadcast_to(data, target)
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor must match the existing size at "
                           f"non-singleton dimension. Target sizes: {list(sizes)}.  Tensor sizes:"
                           f" {list(data.shape)}") from None
    out = make_view(input, out_data)
    node = record(out, ExpandBackward0, input)
    if node is not None:
        node.shape = data.shape
    return out


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other.shape)


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    return expand(input, tuple(size))


class RepeatBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        # Split each dim into (repeats, size) and sum the repeats away.
        reps, shape = self.repeats, self.shape
        shape = (1,) * (len(reps) - len(shape)) + tuple(shape)
        inter = []
        for r, s in zip(reps, shape):
            inter += [r, s]
        g = grad.reshape(inter).sum(tuple(range(0, 2 * len(reps), 2)))
        return (g.reshape(self.shape),)


def repeat(input: Tensor, *repeats: Any) -> Tensor:
    reps = _shape_arg(repeats)
    if len(reps) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    out = wrap(np.tile(input._data, reps))
    node = record(out, RepeatBackward0, input)
    if node is not None:
        node.repeats, node.shape = reps, input._data.shape
    return out


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    dims = tuple(dims)
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


class CatBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        out, start = [], 0
        for size in self.sizes:
            out.append(grad.narrow(self.dim, start, size) if size is not None else None)
            start += size or 0
        return tuple(out)


def cat(tensors: Sequence[Tensor], dim: int = 0, *, out: Any = None) -> Tensor:
    """Join tensors along an existing dimension (1-D empty tensors are skipped, as in torch)."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    kept = [x for x in tensors if not (x._data.ndim == 1 and x._data.size == 0)] or tensors[:1]
    from .._dtype import result_type
    dt = result_type(*kept).np
    d = wrap_dim(dim, kept[0]._data.ndim)
    try:
        res = wrap(np.concatenate([x._data for x in kept], axis=d, dtype=dt))
    except ValueError:
        raise RuntimeError(_cat_error(kept, d)) from None
    node = record(res, CatBackward0, *tensors)
    if node is not None:
        node.dim = d
        node.sizes = [x._data.shape[d] if x in kept else 0 for x in tensors]
    return res


def _cat_error(ts: list, d: int) -> str:
    first = ts[0]._data.shape
    for i, x in enumerate(ts[1:], 1):
        if x._data.ndim != len(first):
            return (f"Tensors must have same number of dimensions: got {len(first)} and "
                    f"{x._data.ndim}")
        for j, (a, b) in enumerate(zip(first, x._data.shape)):
            if j != d and a != b:
                return (f"Sizes of tensors must match except in dimension {d}. Expected size "
                        f"{a} but got size {b} for tensor number {i} in the list.")
    return "torch.cat(): invalid arguments"


concat = concatenate = cat


class StackBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return tuple(grad.select(self.dim, i) for i in range(self.n))


def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Any = None) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(x._data.shape)} at entry {i}")
    from .._dtype import result_type
    d = wrap_dim(dim, len(shape) + 1)
    res = wrap(np.stack([x._data for x in tensors], axis=d).astype(
        result_type(*tensors).np, copy=False))
    node = record(res, StackBackward0, *tensors)
    if node is not None:
        node.dim, node.n = d, len(tensors)
    return res


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat([x if x._data.ndim > 1 else x.reshape(1, -1) for x in tensors], 0)


class SplitBackward0(Node):
    def backward(self, *grads: Any) -> tuple:
        from .creation import zeros
        parts = [g if g is not None else zeros(s, dtype=self.dtype)
                 for g, s in zip(grads, self.shapes)]
        return (cat(parts, self.dim),)


class SplitWithSizesBackward0(SplitBackward0):
    pass


class UnbindBackward0(Node):
    def backward(self, *grads: Any) -> tuple:
        from .creation import zeros
        parts = [g if g is not None else zeros(self.shape, dtype=self.dtype) for g in grads]
        return (stack(parts, self.dim),)


def _views_along(input: Tensor, d: int, bounds: list) -> list:
    data = input._data
    index = [slice(None)] * data.ndim
    outs = []
    for lo, hi in bounds:
        index[d] = slice(lo, hi)
        outs.append(make_view(input, data[tuple(index)]))
    return outs


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    data = tensor._data
    d = wrap_dim(dim, data.ndim)
    n = data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        bounds = [(i, min(i + step, n)) for i in range(0, n, step)] if step else [(0, 0)]
        bounds = bounds or [(0, 0)]
        node_type = SplitBackward0
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
        edges = np.cumsum([0] + sizes).tolist()
        bounds = list(zip(edges[:-1], edges[1:]))
        node_type = SplitWithSizesBackward0
    outs = _views_along(tensor, d, bounds)
    node = record_multi(outs, node_type, tensor)
    if node is not None:
        node.dim, node.dtype = d, tensor.dtype
        node.shapes = [o._data.shape for o in outs]
    return tuple(outs)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    n = input._data.shape[wrap_dim(dim, input._data.ndim)]
    return split(input, max(-(-n // chunks), 1), dim)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    data = input._data
    d = wrap_dim(dim, data.ndim)
    outs = [make_view(input, data[(slice(None),) * d + (i,)]) for i in range(data.shape[d])]
    node = record_multi(outs, UnbindBackward0, input) if outs else None
    if node is not None:
        node.dim, node.dtype, node.shape = d, input.dtype, outs[0]._data.shape
    return tuple(outs)


class FlipBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.flip(self.dims),)


def flip(input: Tensor, *dims: Any) -> Tensor:
    dims = _shape_arg(dims)
    nd = input._data.ndim
    dims = tuple(wrap_dim(d, nd) for d in dims)
    res = wrap(np.flip(input._data, dims).copy() if nd else input._data.copy())
    node = record(res, FlipBackward0, input)
    if node is not None:
        node.dims = dims
    return res


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    start = int(start)
    if start < 0:
        start += n
    if start < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    index = (slice(None),) * d + (slice(start, start + length),)
    return input[index]


class CloneBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad,)


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    res = wrap(input._data.copy())
    record(res, CloneBackward0, input)
    return res


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    if input._data.flags.c_contiguous:
        return input
    res = wrap(np.ascontiguousarray(input._data))
    record(res, CloneBackward0, input)
    return res
