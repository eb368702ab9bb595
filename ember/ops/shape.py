"""Shape ops: views (view, reshape, permute, transpose, squeeze, unsqueeze, expand, ...)
and copies (repeat, flip, clone, contiguous); joining and splitting come from ``join``.

A view shares its base's array memory and version counter, as in torch:

>>> import ember
>>> x = ember.zeros(2, 3)
>>> v = x.view(6)
>>> v[0] = 1.0
>>> x[0, 0]
tensor(1.)
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, record, sum_to, wrap, wrap_dim

__all__ = ["view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute",
           "transpose", "swapaxes", "swapdims", "t", "movedim", "moveaxis", "expand",
           "expand_as", "broadcast_to", "repeat", "cat", "concat", "concatenate", "stack",
           "hstack", "vstack", "split", "chunk", "unbind", "flip", "narrow", "clone",
           "contiguous", "tile", "view_as", "reshape_as", "ravel", "make_view"]


def make_view(base: Tensor, data: Any) -> Tensor:
    """A tensor over ``data`` (a view of ``base``'s array) sharing its version counter."""
    out = wrap(data)
    out._version = base._version
    out._base = base._base if base._base is not None else base
    return out


def _shape_arg(shape: tuple, fn: str = "view", arg: str = "size", symint: bool = True) -> tuple:
    """Sizes given as ``f(2, 3)`` or ``f((2, 3))``, as ints; anything that is not an integer
    (``2.0``, a float tensor) raises torch's TypeError for ``fn``'s argument ``arg``."""
    packed = len(shape) == 1 and isinstance(shape[0], (tuple, list))
    if packed:
        shape = tuple(shape[0])
    try:
        return tuple(map(operator.index, shape))
    except TypeError:
        raise _shape_type_error(shape, fn, arg, symint, packed) from None


def _shape_type_error(shape: tuple, fn: str, arg: str, symint: bool, packed: bool) -> TypeError:
    pos = next(i for i, s in enumerate(shape) if not _is_index(s))
    kind = type(shape[pos]).__name__
    if len(shape) == 1 and not packed:
        if fn == "view":
            return TypeError(f"view() received an invalid combination of arguments - got "
                             f"({kind}), but expected one of:\n * (ember.dtype dtype)\n      "
                             f"didn't match because some of the arguments have invalid types: "
                             f"(!{kind}!)\n * (tuple of ints size)\n      didn't match because "
                             f"some of the arguments have invalid types: (!{kind}!)\n")
        return TypeError(f"{fn}(): argument '{arg}' (position 1) must be tuple of ints, not "
                         f"{kind}")
    if not symint:
        return TypeError(f"{fn}(): argument '{arg}' (position 1) must be tuple of ints, but "
                         f"found element of type {kind} at pos {pos}")
    return TypeError(f"{fn}(): argument '{arg}' failed to unpack the object at pos {pos + 1} "
                     f"with error \"type must be tuple of ints,but got {kind}\"")


def _is_index(value: Any) -> bool:
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def _infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolve one ``-1`` and check that ``shape`` holds ``numel`` elements."""
    infer = None
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                               f"{list(shape)}")
    if infer is not None:
        known = math.prod(s for s in shape if s != -1)
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[:infer] + (numel // known,) + shape[infer + 1:]
    elif math.prod(shape) != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _reshaped(data: np.ndarray, shape: tuple) -> tuple:
    """``data`` reshaped, and whether that is a view (NumPy copies when strides forbid it)."""
    out = data.reshape(shape)
    owner = data if data.base is None else data.base
    return out, out.base is owner or out.base is data or data.size == 0


class ViewBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.shape),)


class UnsafeViewBackward0(ViewBackward0):
    pass


class ReshapeAliasBackward0(ViewBackward0):
    pass


class CloneBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad,)


def view(input: Tensor, *shape: Any) -> Tensor:
    """Same data, new shape; raises when the strides make that impossible (use reshape)."""
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        return make_view(input, input._data.view(shape[0].np))
    data = input._data
    out_data, is_view = _reshaped(data, _infer_shape(_shape_arg(shape), data.size))
    if not is_view:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    out = make_view(input, out_data)
    node = record(out, ViewBackward0, input)
    if node is not None:
        node.shape = data.shape
    return out


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """``view`` when the strides allow it, else a copy (recorded as clone + unsafe view)."""
    data = input._data
    out_data, is_view = _reshaped(data, _infer_shape(_shape_arg(shape, "reshape", "shape"),
                                                     data.size))
    if is_view:
        out = make_view(input, out_data)
        # torch records a strided (non-contiguous) alias under its own name
        node = record(out, ViewBackward0 if data.flags.c_contiguous else ReshapeAliasBackward0,
                      input)
    else:  # torch records the copy as a clone followed by an unsafe view of it
        out = wrap(out_data)
        copied = wrap(out_data.reshape(data.shape))
        node = None
        if record(copied, CloneBackward0, input) is not None:
            node = record(out, UnsafeViewBackward0, copied)
    if node is not None:
        node.shape = data.shape
    return out


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, other._data.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, other._data.shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one (a view when possible)."""
    shape = input._data.shape
    if not shape:
        wrap_dim(start_dim, 0), wrap_dim(end_dim, 0)  # a 0-d tensor still checks the dims
        return reshape(input, 1)
    s, e = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return reshape(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def ravel(input: Tensor) -> Tensor:
    return reshape(contiguous(input), -1)


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one of which may be -1)."""
    shape = input._data.shape
    d = wrap_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = math.prod(s for s in sizes if s != -1)
    if (math.prod(sizes) != shape[d] if -1 not in sizes
            else known == 0 or shape[d] % known):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({shape[d]}) in the input tensor")
    if -1 in sizes:
        sizes = _infer_shape(sizes, shape[d])
    return view(input, shape[:d] + sizes + shape[d + 1:])


class SqueezeBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.shape),)


class SqueezeBackward1(SqueezeBackward0):
    pass


class SqueezeBackward2(SqueezeBackward0):
    pass


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Drop size-1 dims (all of them, or those among ``dim`` that have size 1)."""
    data = input._data
    if dim is None:
        node_type = SqueezeBackward0
        axes = tuple(i for i, s in enumerate(data.shape) if s == 1)
    else:
        single = isinstance(dim, (int, np.integer))
        node_type = SqueezeBackward1 if single else SqueezeBackward2
        listed = [wrap_dim(int(d), data.ndim) for d in ((dim,) if single else dim)]
        dims = set(listed)
        if len(dims) != len(listed):
            dup = next(d for d in listed if listed.count(d) > 1)
            raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
        axes = tuple(d for d in sorted(dims) if data.ndim and data.shape[d] == 1)
    out = make_view(input, data.squeeze(axes) if axes else data.view())
    node = record(out, node_type, input)
    if node is not None:
        node.shape = data.shape
    return out


class UnsqueezeBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.squeeze(self.dim),)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim``."""
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
    """Reorder dims (a view): ``x.permute(2, 0, 1)``."""
    dims = _shape_arg(dims, "permute", "dims")
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
    """Swap two dims (a view)."""
    nd = input._data.ndim
    d0, d1 = wrap_dim(dim0, nd), wrap_dim(dim1, nd)
    out = make_view(input, np.swapaxes(input._data, d0, d1) if nd else input._data.view())
    node = record(out, TransposeBackward0, input)
    if node is not None:
        node.d0, node.d1 = d0, d1
    return out


swapaxes = swapdims = transpose


class TBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.t(),)


def t(input: Tensor) -> Tensor:
    """Transpose of a matrix (0-d and 1-d tensors are returned as views of themselves)."""
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    out = make_view(input, input._data.T)
    record(out, TBackward0, input)
    return out


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination`` (a permute)."""
    nd = input._data.ndim
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({source} "
                           f"dims) should contain the same number of dims as destination "
                           f"({destination} dims)")
    src, dst = [wrap_dim(s, nd) for s in source], [wrap_dim(d, nd) for d in destination]
    for name, given, dims in (("source", source, src), ("destination", destination, dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({given})")
    perm: list = [None] * nd
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(i for i in range(nd) if i not in src)
    return permute(input, *[p if p is not None else next(rest) for p in perm])


moveaxis = movedim


class ExpandBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (sum_to(grad, self.shape),)


def _expand_target(data: np.ndarray, sizes: tuple) -> tuple:
    lead = len(sizes) - data.ndim
    if lead < 0:
        raise RuntimeError(f"expand(ember.{D.from_np(data.dtype)._legacy}{{{list(data.shape)}}}, "
                           f"size={list(sizes)}): the number of sizes provided ({len(sizes)}) "
                           "must be greater or equal to the number of dimensions in the tensor "
                           f"({data.ndim})")
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            target.append(s)
            continue
        have = data.shape[i - lead]
        if s == -1:
            s = have
        elif have != 1 and s != have:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({have}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(data.shape)}")
        target.append(s)
    return tuple(target)


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """Broadcast size-1 dims to ``sizes`` without copying (-1 keeps a dim)."""
    data = input._data
    out = make_view(input, np.broadcast_to(data, _expand_target(data, _shape_arg(sizes, "expand"))))
    node = record(out, ExpandBackward0, input)
    if node is not None:
        node.shape = data.shape
    return out


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    return expand(input, tuple(size))


class RepeatBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        # View each dim as (repeats, size) and sum the repeats away.
        reps, shape = self.repeats, self.shape
        padded = (1,) * (len(reps) - len(shape)) + tuple(shape)
        split = []
        for r, s in zip(reps, padded):
            split += [r, s]
        g = grad.reshape(split).sum(tuple(range(0, 2 * len(reps), 2)))
        return (g.reshape(shape),)


def repeat(input: Tensor, *repeats: Any) -> Tensor:
    """Tile the tensor ``repeats[i]`` times along each dim (a copy)."""
    reps = _shape_arg(repeats, "repeat", "repeats")
    if len(reps) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    if any(r < 0 for r in reps):
        padded = (1,) * (len(reps) - input._data.ndim) + input._data.shape
        target = [n * r for n, r in zip(padded, reps)]
        raise RuntimeError("Trying to create tensor with negative dimension "
                           f"{next(t for t in target if t < 0)}: {target}")
    out = wrap(np.tile(input._data, reps))
    node = record(out, RepeatBackward0, input)
    if node is not None:
        node.repeats, node.shape = reps, input._data.shape
    return out


def tile(input: Tensor, *dims: Any) -> Tensor:
    """Repeat the tensor along each dim; missing leading dims count as 1: ``x.tile(2)``."""
    dims = _shape_arg(dims, "tile", "dims", symint=False)
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


class FlipBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.flip(self.dims),)


def flip(input: Tensor, *dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, as in torch)."""
    dims = _shape_arg(dims, "flip", "dims", symint=False)
    nd = input._data.ndim
    dims = tuple(wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    res = wrap(np.flip(input._data, dims).copy() if nd else input._data.copy())
    node = record(res, FlipBackward0, input)
    if node is not None:
        node.dims = dims
    return res


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The view ``input[..., start:start + length, ...]`` along ``dim``."""
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    start = int(start)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but "
                         f"got {start})")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start < 0:
        start += n
    if start < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    from .indexing import slice_dim
    return slice_dim(input, d, start, start + length, 1)


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy with its own memory; gradients flow back unchanged."""
    res = wrap(input._data.copy())
    record(res, CloneBackward0, input)
    return res


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """``input`` itself when C-contiguous, else a contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


# Joining (cat, stack) and splitting (split, chunk, unbind) live in their own module.
from .join import (cat, chunk, concat, concatenate, hstack, split, stack,  # noqa: E402
                   unbind, vstack)
