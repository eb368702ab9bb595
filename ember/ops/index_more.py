"""More index-driven ops: unique, unique_consecutive, argwhere, isin, scatter_reduce,
index_copy, index_reduce, masked_scatter and put.

unique keeps every NaN apart (NaN equals nothing, itself included), as torch does, and
always returns its values sorted (``sorted`` changes nothing). The reductions of
scatter_reduce and index_reduce divide integer means rounding down.

>>> import ember
>>> ember.unique(ember.tensor([3, 1, 3, 2]), return_counts=True)
(tensor([1, 2, 3]), tensor([1, 1, 2]))
>>> ember.tensor([1.0, 2.0, 3.0]).scatter_reduce(0, ember.tensor([0, 0]),
...                                              ember.tensor([5.0, 7.0]), "amax")
tensor([7., 2., 3.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node, NotDifferentiable
from ._binary import _inplace, _size_error
from ._core import Tensor, binary_operands, record, sum_to, wrap, wrap_dim
from .creation import zeros
from .join import cat
from .masking import nonzero
from .rearrange import flat_positions
from .scatter_gather import (_check_bounds, _check_scatter_shape, _index_data, _positions,
                             check_source_shape, gather, scatter, scatter_add)

__all__ = ["unique", "unique_consecutive", "argwhere", "isin", "scatter_reduce", "index_copy",
           "masked_scatter", "put", "index_reduce"]
# The in-place forms are Tensor methods only, as in torch.
TENSOR_METHODS: tuple = ("unique", "unique_consecutive", "argwhere", "scatter_reduce",
                         "scatter_reduce_", "index_copy", "index_copy_", "masked_scatter",
                         "masked_scatter_", "put", "put_", "index_reduce", "index_reduce_")


# -- unique / unique_consecutive -----------------------------------------------------------
class Unique2Backward0(NotDifferentiable):
    what = "_unique2"


class UniqueDimBackward0(NotDifferentiable):
    what = "unique_dim"


class UniqueConsecutiveBackward0(NotDifferentiable):
    what = "unique_consecutive"


def _rows(data: np.ndarray, dim: int | None, kernel: str) -> tuple:
    """``data`` as a 2-d array whose rows are the items to compare, and the axis they
    come from (None: every element is an item)."""
    if data.dtype.kind == "c":
        name = D.scalar_type_name(data.dtype)
        raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')
    if dim is None:
        return data.reshape(-1, 1), None
    if data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, data.ndim)
    if any(n == 0 for i, n in enumerate(data.shape) if i != d) and data.shape[d]:
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                           "unique cannot be applied")
    width = int(np.prod(data.shape)) // data.shape[d] if data.shape[d] else 0
    return np.moveaxis(data, d, 0).reshape(data.shape[d], width), d


def _groups(rows: np.ndarray) -> tuple:
    """(first row of each run of equal rows, run lengths, run number of every row)."""
    # ``!=`` is True for NaN against anything, so NaNs never share a run.
    starts = np.ones(len(rows), dtype=bool)
    if len(rows) > 1:
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1) if rows.shape[1] else False
    first = np.flatnonzero(starts)
    counts = np.diff(np.append(first, len(rows)))
    return first, counts, np.cumsum(starts) - 1


def _unique_result(input: Tensor, values: np.ndarray, inverse: np.ndarray, counts: np.ndarray,
                   d: int | None, flags: tuple, node_type: type) -> Any:
    """The output tensor (with its no-derivative node), then the requested extras."""
    data = input._data
    if d is None:
        out = values.reshape(-1)
        inverse = inverse.reshape(data.shape)
    else:
        rest = data.shape[:d] + data.shape[d + 1:]
        out = np.moveaxis(values.reshape((len(values),) + rest), 0, d)
    res = wrap(np.ascontiguousarray(out))
    record(res, node_type, input)
    extras = tuple(wrap(a.astype(np.int64)) for a, want in zip((inverse, counts), flags) if want)
    return (res,) + extras if extras else res


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct elements of ``input`` (or its distinct slices along ``dim``), sorted;
    with ``return_inverse`` where each element came to, with ``return_counts`` how often
    each occurs."""
    data = input._data
    rows, d = _rows(data, dim, "unique" if dim is None else "unique_dim")
    if len(rows) and rows.shape[1]:
        order = np.lexsort(rows.T[::-1])  # stable, NaN last
    else:
        order = np.arange(len(rows))
    first, counts, run = _groups(rows[order])
    inverse = np.empty(len(rows), dtype=np.int64)
    inverse[order] = run
    node = Unique2Backward0 if dim is None else UniqueDimBackward0
    return _unique_result(input, rows[order][first], inverse, counts, d,
                          (return_inverse, return_counts), node)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:
    """``input`` with every run of equal consecutive elements (or slices along ``dim``)
    collapsed to one."""
    data = input._data
    rows, d = _rows(data, dim, "unique" if dim is None else "unique_dim")
    first, counts, run = _groups(rows)
    return _unique_result(input, rows[first], run, counts, d, (return_inverse, return_counts),
                          UniqueConsecutiveBackward0)


# -- argwhere / isin ------------------------------------------------------------------------
def argwhere(input: Tensor) -> Tensor:
    """The index of every non-zero element, one row each: an ``(n, ndim)`` tensor."""
    return nonzero(input)


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """Whether each of ``elements`` is among ``test_elements`` (either may be a scalar),
    compared in their promoted dtype; ``invert`` negates the answer."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(
            "isin() received an invalid combination of arguments - got "
            f"({type(elements).__name__}, {type(test_elements).__name__}), but expected one "
            "of:\n * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, "
            "bool invert = False, Tensor out = None)\n * (Number element, Tensor "
            "test_elements, *, bool assume_unique = False, bool invert = False, Tensor out = "
            "None)\n * (Tensor elements, Number test_element, *, bool assume_unique = False, "
            "bool invert = False, Tensor out = None)\n")
    for t in (elements, test_elements):
        if isinstance(t, Tensor) and t._data.dtype.kind in "bc":
            raise RuntimeError("Unsupported input type encountered for isin(): "
                               f"{D.scalar_type_name(t.dtype)}")
    a, b = binary_operands(elements, test_elements)
    found = np.isin(np.asarray(a), np.asarray(b), invert=bool(invert))
    return wrap(np.asarray(found, dtype=bool))


# -- scatter_reduce -------------------------------------------------------------------------
_REDUCERS = {"sum": np.add, "prod": np.multiply, "mean": np.add, "amax": np.maximum,
             "amin": np.minimum}


def _identity(reduce: str, dtype: np.dtype) -> Any:
    """The value a reduction starts from when ``self`` takes no part in it."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = True if dtype.kind == "b" else (np.inf if dtype.kind == "f" else np.iinfo(dtype).max)
    return big if reduce == "amin" else (False if dtype.kind == "b" else -big)


def _reduce_at(out: np.ndarray, pos: tuple, vals: Any, reduce: str, include_self: bool) -> None:
    """Reduce ``vals`` into ``out`` (in place) at the positions ``pos``."""
    target = out if out.ndim else out.reshape(1)
    if not include_self:
        target[pos] = _identity(reduce, out.dtype)
    _REDUCERS[reduce].at(target, pos, vals)
    if reduce == "mean":
        if out.dtype.kind == "b":
            raise NotImplementedError(
                '"scatter_gather_tensor_cpu_reduce_mean" not implemented for \'Bool\'')
        counts = np.full(target.shape, int(include_self), dtype=np.int64)
        np.add.at(counts, pos, 1)
        counts[counts == 0] = 1
        if out.dtype.kind in "iu":
            target[...] = np.floor_divide(target, counts)
        else:
            target[...] = target / counts


class ScatterReduceBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, src, index, res = self.saved()
        d, reduce = self.dim, self.reduce
        if index._data.size == 0:  # nothing was scattered
            return grad, src * 0
        if reduce == "sum":
            g_self, g_src = grad, gather(grad, d, index)
        elif reduce == "mean":
            n = (grad * 0 + float(self.include_self)).scatter_add(d, index, src * 0 + 1)
            n = n.masked_fill(n == 0, 1)
            g_self = grad / n
            g_src = gather(grad, d, index) / gather(n, d, index)
        elif reduce == "prod":
            g_self, g_src = _prod_grads(grad, x, src, index, res, d, self.include_self)
        else:
            value = gather(res, d, index)
            self_hit, src_hit = x == res, src == value
            share = self_hit.to(grad.dtype).scatter_add(d, index, src_hit.to(grad.dtype))
            spread = grad / share
            g_self = spread.masked_fill(~self_hit, 0)
            g_src = gather(spread, d, index).masked_fill(~src_hit, 0)
        if not self.include_self:
            g_self = scatter(g_self, d, index, 0)
        return g_self, g_src


def _prod_grads(grad: Tensor, x: Tensor, src: Tensor, index: Tensor, res: Tensor, d: int,
                include_self: bool) -> tuple:
    """Gradients of a scatter product: each factor gets the product of the others, computed
    without dividing by a zero factor."""
    safe_x = x.masked_fill(x == 0, 1)
    g_self = grad * scatter_reduce(safe_x, d, index, src, "prod",
                                   include_self=include_self) / safe_x
    src_zero = src == 0
    zeros_at = scatter_add(x * 0, d, index, src_zero.to(x.dtype))
    lone_zero = src_zero & (gather(zeros_at, d, index) == 1)
    without = scatter_reduce(x, d, index, src.masked_fill(lone_zero, 1), "prod",
                             include_self=include_self)
    g_src = gather(grad * without, d, index).masked_fill(~lone_zero, 0) + (
        gather(grad * res, d, index) / src.masked_fill(src_zero, 1)).masked_fill(lone_zero, 0)
    return g_self, g_src


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """A copy of ``input`` with each element of ``src`` reduced (``"sum"``, ``"prod"``,
    ``"mean"``, ``"amax"`` or ``"amin"``) into the position ``index`` names along ``dim``;
    without ``include_self`` the old values there take no part."""
    if not isinstance(src, Tensor):
        raise TypeError("scatter_reduce(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    if reduce not in _REDUCERS:
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, "
                           f"got {reduce}")
    data = input._data
    d = wrap_dim(dim, data.ndim)
    idx = _index_data(index, "scatter")
    if src._data.dtype != data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    out = data.copy()
    if idx.size:
        _check_scatter_shape(data.shape, idx, d, src)
        _check_bounds(idx, data.shape[d] if data.ndim else 1, d)
        vals = src._data if src._data.ndim else src._data.reshape(1)
        vals = vals[tuple(slice(0, s) for s in idx.shape)]
        _reduce_at(out, _positions(idx, d), vals, reduce, include_self)
    res = wrap(out)
    node = record(res, ScatterReduceBackward0, input, src)
    if node is not None:
        node.dim, node.reduce, node.include_self = d, reduce, bool(include_self)
        node.save(input, src, index, res.detach())
    return res


def scatter_reduce_(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    return _inplace(self, scatter_reduce(self, dim, index, src, reduce,
                                         include_self=include_self))


# -- index_copy -----------------------------------------------------------------------------
class IndexCopyBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        g_self = grad.index_fill(self.dim, index, 0) if self.needs[0] else None
        g_src = None
        if self.needs[1]:
            g_src = grad.index_select(self.dim, index).reshape(self.src_shape)
        return g_self, g_src


def _check_index_copy(input: Tensor, d: int, index: Tensor, source: Tensor) -> np.ndarray:
    """The index of ``index_copy`` as a vector, after torch's checks in torch's order."""
    arr, shape, src_shape = index._data, input._data.shape, source._data.shape
    if arr.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {arr.ndim})")
    if arr.dtype != np.int64:
        raise RuntimeError("index_copy_(): Expected a long tensor for index, but got "
                           f"{D.scalar_type_name(index.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {D.scalar_type_name(input.dtype)} and (source) "
                           f"{D.scalar_type_name(source.dtype)}")
    if shape and src_shape and len(shape) != len(src_shape):
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({len(src_shape)}), "
                         f"destination dimensionality ({len(shape)})")
    n = src_shape[d] if src_shape else 1
    if arr.size != n:
        raise IndexError(f"index_copy_(): Number of indices ({arr.size}) should be equal to "
                         f"source.size(dim) ({n})")
    rest, src_rest = shape[:d] + shape[d + 1:], src_shape[:d] + src_shape[d + 1:]
    if rest != src_rest:
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {' '.join(map(str, rest))} at dimension {d} and source slice "
            f"shape: {' '.join(map(str, src_rest))} at dimension 0.")
    idx = arr.reshape(-1)
    size = shape[d] if shape else 1
    if idx.size and (idx.max() >= size or idx.min() < 0):
        bad = int(idx[(idx >= size) | (idx < 0)][0])
        raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {d} with "
                         f"size {size}")
    return idx


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` whose slices ``index[k]`` along ``dim`` are ``source``'s k-th."""
    data = input._data
    d = wrap_dim(dim, data.ndim)
    idx = _check_index_copy(input, d, index, source)
    out = data.copy()
    src = source._data
    np.moveaxis(out if out.ndim else out.reshape(1), d, 0)[idx] = (
        np.moveaxis(src, d, 0) if src.ndim else src.reshape(1))
    res = wrap(out)
    node = record(res, IndexCopyBackward0, input, source)
    if node is not None:
        node.dim, node.src_shape = d, src.shape
        node.needs = (input._requires_grad, source._requires_grad)
        node.save(index)
    return res


def index_copy_(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    return _inplace(self, index_copy(self, dim, index, source))


# -- masked_scatter -------------------------------------------------------------------------
class MaskedScatterBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (mask,) = self.saved()
        g_self = sum_to(grad.masked_fill(mask, 0), self.shape) if self.needs[0] else None
        g_src = None
        if self.needs[1]:
            picked = grad.masked_select(mask)
            rest = zeros(self.src_numel - picked.numel(), dtype=grad.dtype)
            g_src = cat([picked, rest]).reshape(self.src_shape)
        return g_self, g_src


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` (broadcast with ``mask``) whose elements where ``mask`` is True
    are, in order, the first elements of ``source``."""
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {D.scalar_type_name(mask.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but "
                           f"got{D.scalar_type_name(input.dtype)} and "
                           f"{D.scalar_type_name(source.dtype)}")
    data = input._data
    try:
        shape = np.broadcast_shapes(data.shape, mask._data.shape)
    except ValueError:
        raise _size_error(mask._data.shape, data.shape) from None
    where = np.broadcast_to(mask._data, shape)
    n = int(where.sum())
    if source._data.size < n:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out = np.broadcast_to(data, shape).copy()
    out[where] = source._data.reshape(-1)[:n]
    res = wrap(out)
    node = record(res, MaskedScatterBackward0, input, source)
    if node is not None:
        node.shape, node.src_shape, node.src_numel = data.shape, source._data.shape, \
            source._data.size
        node.needs = (input._requires_grad, source._requires_grad)
        node.save(wrap(where))
    return res


def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    if mask._data.dtype == np.bool_:
        mask = mask.expand(self._data.shape)  # the mask broadcasts to self, never the reverse
    return _inplace(self, masked_scatter(self, mask, source))


# -- put ------------------------------------------------------------------------------------
class PutBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        g_self = g_src = None
        if self.needs[0]:
            g_self = grad if self.accumulate else put(grad, index, zeros(
                self.src_shape, dtype=grad.dtype))
        if self.needs[1]:
            g_src = grad.take(index).reshape(self.src_shape)
        return g_self, g_src


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``source``'s elements written (or, with ``accumulate``,
    added) at the flat positions ``index`` names (negative ones count from the end)."""
    data, idx = input._data, index._data
    if idx.dtype != np.int64:
        raise RuntimeError("put_(): Expected a long tensor for index, but got "
                           f"{D.scalar_type_name(index.dtype)}")
    if source._data.dtype != data.dtype:
        raise RuntimeError("put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {D.scalar_type_name(input.dtype)} and source.dtype = "
                           f"{D.scalar_type_name(source.dtype)}")
    if source._data.size != idx.size:
        raise IndexError("put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source._data.size}, "
                         f"index.numel() = {idx.size}")
    positions = flat_positions(idx, data.size, "put_(): Tried to put elements into an empty "
                               "tensor")
    out = data.copy()
    flat = out.reshape(-1)
    if accumulate:
        np.add.at(flat, positions, source._data.reshape(-1))
    else:
        flat[positions] = source._data.reshape(-1)
    res = wrap(out)
    node = record(res, PutBackward0, input, source)
    if node is not None:
        node.accumulate, node.src_shape = bool(accumulate), source._data.shape
        node.needs = (input._requires_grad, source._requires_grad)
        node.save(index)
    return res


def put_(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    return _inplace(self, put(self, index, source, accumulate))


# -- index_reduce ---------------------------------------------------------------------------
class IndexReduceBackward0(ScatterReduceBackward0):
    """scatter_reduce's gradient, with the index spread over ``source``'s shape."""


def _check_index_reduce(input: Tensor, d: int, index: Tensor, source: Tensor,
                        reduce: str) -> np.ndarray:
    """The index of ``index_reduce`` as a vector, after torch's checks in torch's order."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError("index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    arr, shape, src_shape = index._data, input._data.shape, source._data.shape
    if arr.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector, but got dim: "
                         f"{arr.ndim} with type: {D.scalar_type_name(index.dtype)} and size: "
                         f"{list(arr.shape)}")
    if arr.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{D.scalar_type_name(index.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_reduce_(): self ({D.scalar_type_name(input.dtype)}) and "
                           f"source ({D.scalar_type_name(source.dtype)}) must have the same "
                           "scalar type")
    check_source_shape("index_reduce_", shape, src_shape, d, arr.size)
    idx = arr.reshape(-1)
    if idx.size and (idx.max() >= (shape[d] if shape else 1) or idx.min() < 0):
        raise IndexError("index out of range in self")
    return idx


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """A copy of ``input`` with each slice ``k`` of ``source`` along ``dim`` reduced
    (``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``) into the slice ``index[k]``; without
    ``include_self`` the old values there take no part."""
    data = input._data
    d = wrap_dim(dim, data.ndim)
    idx = _check_index_reduce(input, d, index, source, reduce)
    # Every element of slice k goes to slice index[k]: scatter_reduce with the index spread.
    src = source._data
    along = [1] * max(src.ndim, 1)
    along[d] = idx.size
    spread = np.broadcast_to(idx.astype(np.int64).reshape(along), src.shape or (1,))
    out = data.copy()
    if idx.size:
        vals = src if src.ndim else src.reshape(1)
        _reduce_at(out, _positions(spread, d), vals, reduce, include_self)
    res = wrap(out)
    node = record(res, IndexReduceBackward0, input, source)
    if node is not None:
        node.dim, node.reduce, node.include_self = d, reduce, bool(include_self)
        full = wrap(np.array(spread.reshape(src.shape)))
        node.save(input, source, full, res.detach())
    return res


def index_reduce_(self: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                  include_self: bool = True) -> Tensor:
    return _inplace(self, index_reduce(self, dim, index, source, reduce,
                                       include_self=include_self))
