"""Rearranging and index-building ops: roll, rot90, repeat_interleave, take, meshgrid,
broadcast_tensors, cartesian_prod, triu_indices, tril_indices.

Where torch builds an op out of others (repeat_interleave, meshgrid, cartesian_prod,
broadcast_tensors), ember composes the same ember ops, so the recorded ``grad_fn`` chain and
the views are torch's. roll, rot90 and take have their own backward nodes.

>>> import ember
>>> ember.roll(ember.tensor([1, 2, 3]), 1)
tensor([3, 1, 2])
>>> ember.repeat_interleave(ember.tensor([1, 2]), 2)
tensor([1, 1, 2, 2])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, record, wrap, wrap_dim
from .join import stack
from .scatter_gather import index_add, index_select

__all__ = ["roll", "rot90", "repeat_interleave", "take", "meshgrid", "broadcast_tensors",
           "cartesian_prod", "triu_indices", "tril_indices", "searchsorted", "bucketize",
           "bincount", "histc"]
TENSOR_METHODS: tuple = ("roll", "rot90", "repeat_interleave", "take", "bincount", "histc")


def _int_tuple(x: Any) -> tuple:
    return (int(x),) if isinstance(x, (int, np.integer)) else tuple(int(v) for v in x)


# -- roll ------------------------------------------------------------------------------------
class RollBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (roll(grad, tuple(-s for s in self.shifts), self.dims),)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements circularly along ``dims`` (of the flattened tensor when None)."""
    data = input._data
    shifts = _int_tuple(shifts)
    dims_t = None if dims is None else _int_tuple(dims)
    if dims_t is None and len(shifts) != 1 or dims_t is not None and len(shifts) != len(dims_t):
        n = 0 if dims_t is None else len(dims_t)
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{n}")
    if not shifts:
        raise RuntimeError("`shifts` required")
    if dims_t is None:
        value = np.roll(data.reshape(-1), shifts[0]).reshape(data.shape)
    else:
        if data.ndim == 0:
            raise IndexError(f"Dimension specified as {dims_t[0]} but tensor has no dimensions")
        axes = tuple(wrap_dim(d, data.ndim) for d in dims_t)
        value = np.roll(data, shifts, axes)
    out = wrap(value if value.flags.c_contiguous else value.copy())
    node = record(out, RollBackward0, input)
    if node is not None:
        node.shifts, node.dims = shifts, dims_t
    return out


# -- rot90 -----------------------------------------------------------------------------------
class Rot90Backward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (rot90(grad, -self.k, self.dims),)


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times, from the first of ``dims`` towards the second."""
    data = input._data
    dims = _int_tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if data.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {data.ndim}")
    a, b = (wrap_dim(d, data.ndim) for d in dims)
    if a == b:
        raise RuntimeError("expected rotation dims to be different, but got "
                           f"dim0 = {dims[0]} and dim1 = {dims[1]}")
    out = wrap(np.rot90(data, int(k), (a, b)).copy())
    node = record(out, Rot90Backward0, input)
    if node is not None:
        node.k, node.dims = int(k), (a, b)
    return out


# -- repeat_interleave -----------------------------------------------------------------------
def _repeat_counts(repeats: Tensor) -> np.ndarray:
    """The repeats of the one-argument form, checked as torch checks them."""
    r = repeats._data
    if r.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if r.dtype.kind not in "iu":
        raise NotImplementedError('"repeat_interleave_cpu" not implemented for '
                                  f"'{D.scalar_type_name(r.dtype)}'")
    if r.size and r.min() < 0:
        raise RuntimeError("repeats can not be negative")
    return r


def _indices_from_counts(repeats: Tensor, output_size: int | None) -> Tensor:
    r = _repeat_counts(repeats)
    idx = np.repeat(np.arange(r.size, dtype=r.dtype), r)
    if output_size is not None and output_size != idx.size:
        raise RuntimeError("allocated size does not match required size")
    return wrap(idx)


def _check_output_size(expected: int, output_size: int | None) -> None:
    if output_size is not None and output_size != expected:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {expected} "
                           f"but got {output_size}")


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``dim`` (of the flattened input when
    None); ``repeat_interleave(counts)`` gives ``[0] * counts[0] + [1] * counts[1] + ...``."""
    if repeats is None:
        return _indices_from_counts(input, output_size)
    if dim is None:
        input, dim = input.flatten(), 0
    d = wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d] if input._data.ndim else 1
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if r.ndim == 0 or r.size == 1:  # one count for every element
            repeats = wrap(np.broadcast_to(r.reshape(-1), (size,)).copy())
        elif r.size != size:
            raise RuntimeError("repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {r.size} and input.size(0) = {size}")
        index = _indices_from_counts(repeats, None)
        _check_output_size(index._data.size, output_size)
        return index_select(input, d, index)
    repeats = int(repeats)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    _check_output_size(size * repeats, output_size)
    # torch's composition: a new dim after ``d`` expanded to ``repeats``, copied, merged.
    shape = list(input.shape) or [1]
    expanded = input.unsqueeze(d + 1).expand(*shape[:d + 1], repeats, *shape[d + 1:])
    shape[d] *= repeats
    return expanded.clone().view(shape if input._data.ndim else [repeats])


# -- take ------------------------------------------------------------------------------------
class TakeBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        from .creation import zeros
        flat = zeros(self.numel, dtype=grad.dtype)
        return (index_add(flat, 0, index, grad.reshape(-1)).view(self.shape),)


def flat_positions(idx: np.ndarray, n: int, empty_message: str) -> np.ndarray:
    """``idx`` as non-negative positions into ``n`` flattened elements (negative ones count
    from the end), after torch's emptiness and range checks."""
    if idx.size and n == 0:
        raise IndexError(empty_message)
    bad = idx[(idx >= n) | (idx < -n)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {int(bad.flat[0])} on a tensor "
                         f"of {n} elements.")
    return np.where(idx < 0, idx + n, idx).reshape(-1)


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of the flattened ``input`` at ``index``, in ``index``'s shape."""
    data, idx = input._data, index._data
    if idx.dtype != np.int64:
        raise RuntimeError("take(): Expected a long tensor for index, but got "
                           f"{D.scalar_type_name(idx.dtype)}")
    n = data.size
    flat_index = flat_positions(idx, n, "take(): tried to take from an empty tensor")
    out = wrap(data.reshape(-1)[flat_index].reshape(idx.shape))
    node = record(out, TakeBackward0, input)
    if node is not None:
        node.numel, node.shape = n, data.shape
        node.save(wrap(flat_index))
    return out


# -- broadcast_tensors / meshgrid / cartesian_prod -------------------------------------------
def broadcast_tensors(*tensors: Tensor) -> tuple:
    """Views of the tensors expanded to their common shape (a tensor already of that shape
    is returned itself, as torch does)."""
    shape: tuple = ()
    for t in tensors:
        shape = _broadcast_pair(shape, t._data.shape)
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in tensors)


def _broadcast_pair(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i}")
    return tuple(y if x == 1 else x for x, y in zip(a, b))


_MESHGRID_WARNING = ("ember.meshgrid: in an upcoming release, it will be required to pass the "
                     "indexing argument.")


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """Coordinate grids: output ``i`` is tensor ``i`` expanded along every other tensor's
    dim. ``indexing="xy"`` swaps the first two dims (the default, ``"ij"``, warns)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(_MESHGRID_WARNING, UserWarning, stacklevel=2)
        indexing = "ij"
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError("ember.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t}")
    if any(t.dtype != tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if indexing not in ("ij", "xy"):
        raise RuntimeError('ember.meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}")
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        order[0], order[1] = 1, 0
    sizes = [tensors[i]._data.size for i in order]
    outs = []
    for i, t in enumerate(tensors):
        shape = [1] * len(tensors)
        shape[order.index(i)] = -1
        outs.append(t.view(shape).expand(sizes))
    return tuple(outs)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-D tensor, one combination per row."""
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


# -- triu_indices / tril_indices -------------------------------------------------------------
def _check_index_args(row: int, col: int, dtype: Any, name: str) -> Any:
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dtype = D.int64 if dtype is None else dtype
    if dtype not in (D.int64, D.int32):  # the only index types torch builds these in
        raise NotImplementedError(f"\"{name}\" not implemented for "
                                  f"'{D.scalar_type_name(dtype)}'")
    return dtype


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """``(2, N)`` row and column indices of the upper triangle of a ``row x col`` matrix, on
    and above diagonal ``offset``, row by row."""
    dtype = _check_index_args(row, col, dtype, "triu_indices")
    r, c = np.triu_indices(row, offset, col)
    return wrap(np.stack([r, c]).astype(dtype.np).reshape(2, -1))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """``(2, N)`` row and column indices of the lower triangle of a ``row x col`` matrix, on
    and below diagonal ``offset``, row by row."""
    dtype = _check_index_args(row, col, dtype, "tril_indices")
    r, c = np.tril_indices(row, offset, col)
    return wrap(np.stack([r, c]).astype(dtype.np).reshape(2, -1))


# -- searchsorted / bucketize / bincount / histc (counting: no gradient) ---------------------
def _as_values(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _check_search(bounds: np.ndarray, values: np.ndarray, side: str | None, right: bool,
                  sorter: Tensor | None) -> bool:
    """torch's argument checks for searchsorted; returns whether to search from the right."""
    where = "ember.searchsorted(): "
    if bounds.ndim == 0:
        raise RuntimeError(where + "boundaries tensor should have positive dimension, but got "
                           "0 dimension")
    if side is not None and side not in ("left", "right"):
        raise RuntimeError(where + f"side can only be 'left' or 'right' but got {side}")
    if side == "left" and right:
        raise RuntimeError(where + "side and right can't be set to opposites, got side of left "
                           "while right was True")
    if sorter is not None:
        if sorter._data.dtype != np.int64:
            raise RuntimeError(where + "sorter must be a tensor of long dtype but got dtype "
                               f"{D.scalar_type_name(sorter._data.dtype)}")
        if sorter._data.shape != bounds.shape:
            raise RuntimeError(where + "boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(bounds.shape)}and got sorter tensor "
                               f"{list(sorter._data.shape)}")
    if bounds.ndim > 1 and bounds.shape[:-1] != values.shape[:-1]:
        raise RuntimeError(where + "boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, "
                           f"but we got boundaries tensor {list(bounds.shape)} and input value "
                           f"tensor {list(values.shape)}")
    return right or side == "right"


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None,
                 sorter: Tensor | None = None) -> Tensor:
    """For each value, the index where inserting it keeps the innermost dim of
    ``sorted_sequence`` sorted (after the last equal element when ``right``)."""
    bounds, values = sorted_sequence._data, _as_values(input)
    after = _check_search(bounds, values, side, right, sorter)
    if sorter is not None:
        bounds = np.take_along_axis(bounds, sorter._data, -1)
    how = "right" if after else "left"
    if bounds.ndim == 1:
        found = np.searchsorted(bounds, values, how)
    else:  # one search per row of boundaries
        rows = bounds.reshape(-1, bounds.shape[-1])
        vals = values.reshape(rows.shape[0], -1)
        found = np.stack([np.searchsorted(b, v, how) for b, v in zip(rows, vals)])
        found = found.reshape(values.shape)
    return wrap(np.asarray(found, dtype=np.int32 if out_int32 else np.int64))


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each value among the 1-D ``boundaries`` (searchsorted turned round)."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim"
                           f"({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How many times each non-negative integer occurs (the sum of its ``weights``)."""
    data = input._data
    if data.dtype.kind not in "iu":
        raise NotImplementedError('"bincount_cpu" not implemented for '
                                  f"'{D.scalar_type_name(data.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if data.ndim != 1 or (data.size and data.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None or data.size == 0:  # torch counts an empty input as integers
        return wrap(np.bincount(data, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != data.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    # torch keeps float32 weights in float32 and counts every other weight in float64.
    dtype = np.float32 if w.dtype == np.float32 else np.float64
    return wrap(np.bincount(data, w.astype(np.float64), minlength).astype(dtype))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Counts of the elements in ``bins`` equal-width bins over ``[min, max]`` (the data's
    own range when both are 0); elements outside the range are not counted."""
    data = input._data
    if data.dtype.kind != "f":
        raise NotImplementedError('"histogram_cpu" not implemented for '
                                  f"'{D.scalar_type_name(data.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"ember.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:  # an empty range is widened by one on each side
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"ember.histc: range of [{lo}, {hi}] is not finite")
    if lo > hi:
        raise RuntimeError("ember.histc: max must be larger than min")
    flat = data.reshape(-1)
    kept = flat[(flat >= lo) & (flat <= hi)]
    # Same binning arithmetic as torch, in the input's precision: the maximum joins the
    # last bin.
    pos = ((kept - data.dtype.type(lo)) * bins / data.dtype.type(hi - lo)).astype(np.int64)
    counts = np.bincount(np.minimum(pos, bins - 1), minlength=bins)
    return wrap(counts.astype(data.dtype))
