"""More joining, splitting and layout ops: tensor_split and its h/v/d forms, atleast_Nd,
column/row/d stacking, flipud/fliplr, block_diag, broadcast_shapes, combinations, diagflat,
vander, and the strided views unfold and as_strided (with narrow_copy, empty_strided).

Most are compositions of ember's own ops (slices, views, cat, flip, ...), so the recorded
``grad_fn`` chain is the one torch records; block_diag, narrow_copy, unfold and as_strided
have their own backward nodes.

>>> import ember
>>> [p.tolist() for p in ember.tensor_split(ember.arange(5), 2)]
[[0, 1, 2], [3, 4]]
>>> ember.arange(5).unfold(0, 2, 2)
tensor([[0, 1],
        [2, 3]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from .._size import Size
from ..autograd.graph import Node
from ._core import Tensor, record, wrap, wrap_dim
from .join import _tensor_list, cat, vstack
from .shape import contiguous, flip, make_view, reshape

__all__ = ["tensor_split", "hsplit", "vsplit", "dsplit", "atleast_1d", "atleast_2d",
           "atleast_3d", "column_stack", "row_stack", "dstack", "flipud", "fliplr",
           "block_diag", "broadcast_shapes", "combinations", "diagflat", "vander",
           "as_strided", "narrow_copy", "empty_strided"]
TENSOR_METHODS: tuple = ("tensor_split", "hsplit", "vsplit", "dsplit", "unfold", "as_strided",
                         "narrow_copy", "new_empty_strided", "fliplr", "flipud", "diagflat")


# -- splitting -------------------------------------------------------------------------------
def _split_arg(arg: Any) -> tuple:
    """``("sections", n)`` or ``("indices", [...])`` from tensor_split's second argument."""
    if isinstance(arg, Tensor):
        if arg._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {arg._data.ndim} dims")
        if arg.dtype != D.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {D.scalar_type_name(arg.dtype)}")
        if arg._data.ndim == 0:
            return "sections", int(arg._data)
        return "indices", [int(i) for i in arg._data]
    if isinstance(arg, (int, np.integer)) and not isinstance(arg, bool):
        return "sections", int(arg)
    if isinstance(arg, (list, tuple)):
        return "indices", [int(i) for i in arg]
    raise TypeError(f"tensor_split(): argument 'indices_or_sections' must be int, tuple of "
                    f"ints or Tensor, not {type(arg).__name__}")


def tensor_split(input: Tensor, indices_or_sections: Any = None, dim: int = 0, *,
                 sections: int | None = None, indices: Sequence[int] | None = None,
                 tensor_indices_or_sections: Tensor | None = None) -> tuple:
    """Views of ``input`` along ``dim``: ``n`` near-equal sections (the first ones one
    longer) or the pieces between the given indices (Python slice bounds)."""
    arg = next((a for a in (indices_or_sections, sections, indices,
                            tensor_indices_or_sections) if a is not None), None)
    if input._data.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    kind, value = _split_arg(arg)
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if kind == "sections":
        if value <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {value}")
        size, extra = divmod(n, value)
        edges = np.cumsum([0] + [size + (i < extra) for i in range(value)]).tolist()
    else:
        edges = [0] + [slice(i).indices(n)[1] for i in value] + [n]
    from .indexing import slice_dim
    return tuple(slice_dim(input, d, lo, max(lo, hi), 1) for lo, hi in zip(edges, edges[1:]))


def _split_dir(input: Tensor, arg: Any, name: str, least: int, dim: int) -> tuple:
    """hsplit/vsplit/dsplit: an int must divide the dim evenly; a list gives indices."""
    nd = input._data.ndim
    if nd < least:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {least} dimension, "
                           f"but got a tensor with {nd} dimensions!")
    if isinstance(arg, Tensor) or not isinstance(arg, (int, np.integer, list, tuple)):
        raise TypeError(f"{name}(): argument 'sections' must be int or tuple of ints, not "
                        f"{type(arg).__name__}")
    if isinstance(arg, (int, np.integer)):
        n = input._data.shape[dim]
        if arg == 0 or n % arg:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {n} is not divisible by the split_size "
                               f"{arg}!")
    return tensor_split(input, arg, dim)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """Split columns (dim 1; dim 0 for a 1-d tensor)."""
    return _split_dir(input, indices_or_sections, "hsplit", 1, int(input._data.ndim > 1))


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """Split rows (dim 0) of a tensor with at least 2 dims."""
    return _split_dir(input, indices_or_sections, "vsplit", 2, 0)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """Split along depth (dim 2) of a tensor with at least 3 dims."""
    return _split_dir(input, indices_or_sections, "dsplit", 3, 2)


# -- at least N dims, stacking ---------------------------------------------------------------
def _each(tensors: tuple, one: Any) -> Any:
    """One tensor in, one out; several (or one sequence) in, a tuple out."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return one(tensors[0])
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return tuple(one(t) for t in tensors)


def _at_least(t: Tensor, n: int) -> Tensor:
    nd = t._data.ndim
    if nd >= n:
        return t
    if nd == 0:
        return reshape(t, (1,) * n)
    if nd == 1:  # a vector becomes a row, then (for 3 dims) gains a trailing dim
        t = t.unsqueeze(0)
    return t.unsqueeze(-1) if n == 3 else t


def atleast_1d(*tensors: Any) -> Any:
    """0-d tensors as 1-d views; others unchanged."""
    return _each(tensors, lambda t: _at_least(t, 1))


def atleast_2d(*tensors: Any) -> Any:
    """0-d as ``(1, 1)``, 1-d as a row ``(1, n)``; others unchanged."""
    return _each(tensors, lambda t: _at_least(t, 2))


def atleast_3d(*tensors: Any) -> Any:
    """0-d as ``(1, 1, 1)``, 1-d ``(n,)`` as ``(1, n, 1)``, 2-d ``(m, n)`` as ``(m, n, 1)``."""
    return _each(tensors, lambda t: _at_least(t, 3))


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 1, 0-d and 1-d tensors becoming columns."""
    tensors = _tensor_list(tensors, "column_stack")
    if not tensors:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    return cat([reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t
                for t in tensors], 1)


def row_stack(tensors: Sequence[Tensor]) -> Tensor:
    """``vstack`` under its other name."""
    return vstack(tensors)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 2 once every tensor has at least 3 dims (as ``atleast_3d``)."""
    tensors = _tensor_list(tensors, "dstack")
    if not tensors:
        raise RuntimeError("dstack expects a non-empty TensorList")
    return cat([_at_least(t, 3) for t in tensors], 2)


def flipud(input: Tensor) -> Tensor:
    """Reverse the rows (dim 0)."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


def fliplr(input: Tensor) -> Tensor:
    """Reverse the columns (dim 1)."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


# -- block_diag ------------------------------------------------------------------------------
class BlockDiagBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        out = []
        for (r, c), (h, w), shape, dtype in zip(self.corners, self.sizes, self.shapes,
                                                self.dtypes):
            g = reshape(grad[r:r + h, c:c + w], shape)
            out.append(g if g.dtype == dtype else g.to(dtype))
        return tuple(out)


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-d as 1x1, 1-d as rows) placed along the diagonal of a zero matrix."""
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError("ember.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t._data.ndim} dimensions")
    if not tensors:  # torch's answer for no blocks is one empty row
        return wrap(np.zeros((1, 0), dtype=D.get_default_dtype().np))
    dt = D.result_type(*tensors).np
    sizes = [(1, 1) if t._data.ndim == 0 else (1, t._data.shape[0]) if t._data.ndim == 1
             else t._data.shape for t in tensors]
    rows, cols = np.cumsum([0] + [s[0] for s in sizes]), np.cumsum([0] + [s[1] for s in sizes])
    data = np.zeros((int(rows[-1]), int(cols[-1])), dtype=dt)
    corners = [(int(r), int(c)) for r, c in zip(rows, cols)]
    for t, (r, c), (h, w) in zip(tensors, corners, sizes):
        data[r:r + h, c:c + w] = t._data.reshape(h, w)
    res = wrap(data)
    node = record(res, BlockDiagBackward0, *tensors)
    if node is not None:
        node.corners, node.sizes = corners, sizes
        node.shapes = [t._data.shape for t in tensors]
        node.dtypes = [t.dtype for t in tensors]
    return res


# -- broadcast_shapes ------------------------------------------------------------------------
def broadcast_shapes(*shapes: Any) -> Any:
    """The shape that tensors of all ``shapes`` (ints or sequences) broadcast to."""
    given = []
    for s in shapes:
        if isinstance(s, (int, np.integer)):
            s = (int(s),)
        elif not isinstance(s, (tuple, list)):
            raise RuntimeError("Input shapes should be of type ints, a tuple of ints, or a list "
                               f"of ints, got {s}")
        given.append(s)
    result = [1] * max((len(s) for s in given), default=0)
    for k, s in enumerate(given):
        for i in range(-1, -len(s) - 1, -1):
            n = s[i]
            if n < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            if n == 1 or n == result[i]:
                continue
            if result[i] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {n} at {i}! "
                                   f"Mismatching argument at index {k} had {s}; but expected "
                                   f"shape should be broadcastable to {result}")
            result[i] = int(n)
    return Size(result)


# -- combinations, diagflat, vander ----------------------------------------------------------
def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """Rows of ``r`` elements of a 1-d tensor in increasing index order (as
    ``itertools.combinations``, or ``combinations_with_replacement``)."""
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return wrap(np.empty((0,), dtype=input._data.dtype))
    from .masking import masked_select
    from .rearrange import meshgrid
    n = input._data.shape[0]
    ids = np.indices((n,) * r)
    keep = np.ones((n,) * r, dtype=bool)
    for a, b in zip(ids, ids[1:]):  # index tuples that never decrease (or always increase)
        keep &= (a <= b) if with_replacement else (a < b)
    mask = wrap(keep)
    from .join import stack
    return stack([masked_select(g, mask) for g in meshgrid(*[input] * r, indexing="ij")], 1)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A square matrix with the flattened input on diagonal ``offset``."""
    from .linalg_extra import diag_embed
    return diag_embed(contiguous(input).view(-1), offset)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """Columns of powers of ``x``: ``x**(N-1), ..., x, 1`` (ascending when ``increasing``);
    integer and bool inputs give int64. Differentiable for any ``N`` (torch's backward
    refuses ``N > 1``)."""
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    from .scans import cumprod
    dt = D.promote_types(x.dtype, D.int64)
    res = wrap(np.empty((x._data.shape[0], n), dtype=dt.np))
    # Written in place through views, so the history is the copy-into-slices chain torch
    # records; cumprod reads a clone so that the second write leaves its saved input intact
    # (torch's own graph here fails in backward on that in-place change).
    if n > 0:
        res.select(1, 0).fill_(1)
    if n > 1:
        res[:, 1:].copy_(x.unsqueeze(1))
        res[:, 1:].copy_(cumprod(res[:, 1:].clone(), 1))
    return res if increasing else flip(res, 1)


# -- strided views ---------------------------------------------------------------------------
def _root(data: np.ndarray) -> np.ndarray:
    """The array that owns ``data``'s memory: a tensor's storage."""
    while isinstance(data.base, np.ndarray):
        data = data.base
    return data


def _storage_view(input: Tensor, shape: tuple, strides: tuple, offset: int) -> Tensor:
    """A view of ``input``'s storage: ``shape`` with element ``strides`` from element
    ``offset``. Built over the owning array so that ``storage_offset`` stays meaningful."""
    root, item = _root(input._data), input._data.itemsize
    byte_strides = tuple(s * item for s in strides)
    if root.flags.c_contiguous or root.flags.f_contiguous:
        data = np.ndarray(shape, input._data.dtype, buffer=root, offset=offset * item,
                          strides=byte_strides)
    else:  # an owner that cannot lend its buffer: step from the input's first element
        shift = offset - input.storage_offset()
        step = item if shift >= 0 else -item
        line = np.lib.stride_tricks.as_strided(input._data, (abs(shift) + 1,), (step,))
        data = np.lib.stride_tricks.as_strided(line[abs(shift):], shape, byte_strides)
    return make_view(input, data)


def _geometry(t: Tensor) -> tuple:
    item = t._data.itemsize
    return t._data.shape, tuple(s // item for s in t._data.strides), t.storage_offset()


def _positions(shape: tuple, strides: tuple, offset: int) -> np.ndarray:
    """Storage index of every element of a strided layout, as an int64 array of ``shape``."""
    pos = np.full(shape, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        pos += (np.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (len(shape) - d - 1))
    return pos


class UnfoldBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        from .creation import zeros
        if not self.shape:
            return (grad.sum(),)
        d, shape = self.dim, self.shape
        idx = (np.arange(self.windows)[:, None] * self.step + np.arange(self.size)).reshape(-1)
        moved = grad.movedim(-1, d + 1).reshape(shape[:d] + (idx.size,) + shape[d + 1:])
        return (zeros(shape, dtype=grad.dtype).index_add(d, wrap(idx), moved),)


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """A view of every ``size``-long window along ``dimension``, ``step`` apart; the windows'
    elements form a new last dim."""
    data = input._data
    d = wrap_dim(dimension, data.ndim)
    n = data.shape[d] if data.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    shape, strides, offset = _geometry(input)
    windows = (n - size) // step + 1
    if data.ndim:
        out_shape = shape[:d] + (windows,) + shape[d + 1:] + (size,)
        out_strides = strides[:d] + (strides[d] * step,) + strides[d + 1:] + (strides[d],)
    else:
        out_shape, out_strides = (size,), (1,)
    out = _storage_view(input, out_shape, out_strides, offset)
    node = record(out, UnfoldBackward0, input)
    if node is not None:
        node.dim, node.size, node.step, node.windows, node.shape = d, size, step, windows, shape
    return out


class AsStridedBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        from .creation import zeros
        out_pos = _positions(*self.out_geometry).reshape(-1)
        in_pos = _positions(*self.in_geometry)
        length = int(max(out_pos.max(initial=-1), in_pos.max(initial=-1))) + 1
        store = zeros(length, dtype=grad.dtype).index_add(0, wrap(out_pos), grad.reshape(-1))
        counts = np.bincount(in_pos.reshape(-1), minlength=length)
        if counts.max(initial=0) > 1:  # input elements sharing memory share its gradient
            store = store / wrap(np.maximum(counts, 1).astype(grad._data.dtype))
        return (store[wrap(in_pos.reshape(-1))].reshape(self.in_geometry[0]),)


def _check_strided(size: tuple, stride: tuple) -> None:
    if min(stride, default=0) < 0 or min(size, default=0) < 0:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")


def _span(size: tuple, stride: tuple, offset: int) -> int:
    """Storage elements a layout needs (none when it holds no element)."""
    if 0 in size:
        return 0
    return offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1


def as_strided(input: Tensor, size: Sequence[int], stride: Sequence[int],
               storage_offset: int | None = None) -> Tensor:
    """A view of ``input``'s storage with any sizes, element strides and offset."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if min(stride, default=0) < 0:
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    _check_strided(size, stride)
    offset = input.storage_offset() if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    item, have = input._data.itemsize, _root(input._data).size
    need = _span(size, stride, offset)
    if need > have:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {item} requiring a storage size of "
                           f"{need * item} are out of bounds for storage of size {have * item}")
    out = _storage_view(input, size, stride, offset)
    node = record(out, AsStridedBackward0, input)
    if node is not None:
        node.in_geometry, node.out_geometry = _geometry(input), (size, stride, offset)
    return out


class NarrowCopyBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        from .creation import zeros
        idx = wrap(np.arange(self.start, self.start + grad._data.shape[self.dim]))
        return (zeros(self.shape, dtype=grad.dtype).index_add(self.dim, idx, grad),)


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``narrow`` as a new tensor (a copy, not a view). Unlike torch's, its backward also
    handles a negative ``start``."""
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({input._data.shape[wrap_dim(dim, input._data.ndim)]}).")
    from .shape import narrow
    piece = narrow(input, dim, start, length)
    res = wrap(piece._data.copy())
    node = record(res, NarrowCopyBackward0, input)
    if node is not None:
        d = wrap_dim(dim, input._data.ndim)
        node.dim, node.shape = d, input._data.shape
        node.start = int(start) % input._data.shape[d] if start < 0 else int(start)
    return res


def empty_strided(size: Sequence[int], stride: Sequence[int], *, dtype: Any = None,
                  layout: Any = None, device: Any = None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """An uninitialized tensor laid out with the given element strides over a storage just
    large enough for them."""
    from ._factory_args import _check_dtype_arg, _finish
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality "
                           f"of strides ({len(stride)})")
    if min(size, default=0) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(size)}")
    _check_strided(size, stride)
    _check_dtype_arg(dtype, "empty_strided")
    dt = (dtype or D.get_default_dtype()).np
    buf = np.empty(_span(size, stride, 0), dtype=dt)
    data = np.ndarray(size, dt, buffer=buf, strides=tuple(s * buf.itemsize for s in stride))
    return _finish(data, requires_grad, device)


def new_empty_strided(self: Tensor, size: Sequence[int], stride: Sequence[int], *,
                      dtype: Any = None, layout: Any = None, device: Any = None,
                      requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """``empty_strided`` with this tensor's dtype unless given."""
    return empty_strided(size, stride, dtype=dtype or self.dtype, device=device,
                         requires_grad=requires_grad)
