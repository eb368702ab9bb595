"""Index-driven ops: gather, scatter, scatter_add, index_select, index_add, index_fill,
take_along_dim (the mask-driven ones are in masking.py).

>>> import ember
>>> x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> x.gather(1, ember.tensor([[1], [0]]))
tensor([[2.],
        [3.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, check_scalar, record, wrap, wrap_dim

__all__ = ["gather", "scatter", "scatter_", "scatter_add", "scatter_add_", "index_select",
           "index_add", "index_add_", "index_fill", "index_fill_", "take_along_dim"]


_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32))


def _index_data(index: Tensor, name: str) -> np.ndarray:
    arr = index._data
    if arr.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return arr.reshape(1) if arr.ndim == 0 else arr



def _positions(idx: np.ndarray, d: int) -> tuple:
    """Full NumPy index addressing ``out[..., idx[i, j, ...], ...]`` along dim ``d``."""
    grids = list(np.indices(idx.shape, sparse=True))
    grids[d] = idx
    return tuple(grids)


def _check_bounds(idx: np.ndarray, size: int, d: int) -> None:
    """Indices must lie in ``[0, size)``: these ops do not wrap negative ones."""
    if idx.size and (idx.max() >= size or idx.min() < 0):
        bad = int(idx[(idx >= size) | (idx < 0)].flat[0])
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")


def _check_gather_shape(data: np.ndarray, idx: np.ndarray, d: int, name: str) -> None:
    if idx.ndim != max(data.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor")
    shape = data.shape if data.ndim else (1,)
    for i, (n, m) in enumerate(zip(idx.shape, shape)):
        if i != d and n > m:
            raise RuntimeError(f"Size does not match at dimension {i} expected index "
                               f"{list(idx.shape)} to be no larger than self {list(shape)} "
                               f"apart from dimension {d}")


# -- gather --------------------------------------------------------------------------------
class GatherBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        from .creation import zeros
        return (scatter_add(zeros(self.shape, dtype=grad.dtype), self.dim, index, grad),)


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False,
           out: Tensor | None = None) -> Tensor:
    """``out[i][j] = input[i][index[i][j]]`` for ``dim=1`` (and likewise for other dims)."""
    data = input._data
    d = wrap_dim(dim, data.ndim)
    idx = _index_data(index, "gather")
    if idx.size:
        _check_gather_shape(data, idx, d, "gather")
        src = data if data.ndim else data.reshape(1)
        _check_bounds(idx, src.shape[d], d)
        value = src[_positions(idx, d)]
    else:  # an empty index is taken as it is, whatever its shape
        value = np.empty(idx.shape, dtype=data.dtype)
    res = wrap(value.reshape(()) if index._data.ndim == 0 else value)
    node = record(res, GatherBackward0, input)
    if node is not None:
        node.dim, node.shape = d, data.shape
        node.save(index)
    if out is not None:
        from .arithmetic import _write_out
        return _write_out(res, out, "gather")
    return res


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` along ``dim`` (on the flattened input when ``dim`` is None); the other
    dims of ``input`` and ``indices`` broadcast together. Along ``dim``, negative indices
    count from the end."""
    if dim is None:
        return gather(input.view(-1), 0, indices.view(-1))
    data, idx = input._data, indices._data
    d = wrap_dim(dim, data.ndim)
    if idx.ndim != data.ndim:
        raise RuntimeError("ember.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {data.ndim} dimensions for input, "
                           f"and {idx.ndim} dimensions for indices")
    if idx.dtype != np.int64:
        raise RuntimeError("ember.take_along_dim(): dtype of indices should be Long but got "
                           f"{D.scalar_type_name(indices.dtype)}")
    rest_in = data.shape[:d] + (1,) + data.shape[d + 1:]
    rest_idx = idx.shape[:d] + (1,) + idx.shape[d + 1:]
    try:
        rest = np.broadcast_shapes(rest_in, rest_idx)
    except ValueError:
        from .arithmetic import _size_error
        raise _size_error(rest_in, rest_idx) from None
    size = data.shape[d] if data.ndim else 1
    if idx.size and idx.min() < 0:
        idx = np.where((idx < 0) & (idx >= -size), idx + size, idx)
    expanded = input.expand(rest[:d] + (size,) + rest[d + 1:]) if data.ndim else input
    index = wrap(np.broadcast_to(idx, rest[:d] + (idx.shape[d],) + rest[d + 1:]))
    return gather(expanded, d, index)


# -- scatter ---------------------------------------------------------------------------------
class ScatterBackward0(Node):  # scatter(input, dim, index, src: Tensor)
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        g_self = scatter(grad, self.dim, index, 0.0) if self.needs[0] else None
        g_src = gather(grad, self.dim, index) if self.needs[1] else None
        return g_self, g_src


class ScatterBackward1(Node):  # scatter(input, dim, index, value: scalar)
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        return (scatter(grad, self.dim, index, 0.0),)


class ScatterAddBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        return grad, gather(grad, self.dim, index)


class NotImplemented_(Node):  # noqa: N801 - printed as torch's "NotImplemented"
    def backward(self, grad: Tensor) -> tuple:
        raise RuntimeError("the derivative for 'scatter' with a reduce argument is not "
                           "implemented")


NotImplemented_.__name__ = NotImplemented_.__qualname__ = "NotImplemented"


def _check_scatter_shape(shape: tuple, idx: np.ndarray, d: int, src: Any) -> None:
    """torch's checks of an index against ``self`` (and a tensor ``src``), in its order."""
    ndim = max(len(shape), 1)
    if idx.ndim != ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    shape = shape or (1,)
    src_shape = (src._data.shape or (1,)) if isinstance(src, Tensor) else None
    wrong = False
    for i, n in enumerate(idx.shape):
        if i != d and n > shape[i]:
            wrong = True
            break
        if src_shape is not None:
            if i >= len(src_shape):  # torch asks src for a size it does not have
                wrap_dim(i, len(src_shape))
            if n > src_shape[i]:
                wrong = True
                break
    if src_shape is not None and len(src_shape) != idx.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if wrong:
        msg = (f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} "
               f"apart from dimension {d}")
        if src_shape is not None:
            msg += f" and to be no larger size than src {list(src_shape)}"
        raise RuntimeError(msg)


def _scatter_into(input: Tensor, dim: int, index: Tensor, src: Any, reduce: str | None,
                  name: str) -> tuple:
    data = input._data
    d = wrap_dim(dim, data.ndim)
    idx = _index_data(index, "scatter")
    if isinstance(src, Tensor):
        if src._data.dtype != data.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    else:
        src = check_scalar(src, data.dtype)
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    out = data.copy()
    if not idx.size:
        return wrap(out), d
    _check_scatter_shape(data.shape, idx, d, src)
    target = out if out.ndim else out.reshape(1)
    _check_bounds(idx, target.shape[d], d)
    pos = _positions(idx, d)
    if isinstance(src, Tensor):
        vals = src._data if src._data.ndim else src._data.reshape(1)
        vals = vals[tuple(slice(0, s) for s in idx.shape)]
    else:
        vals = src
    if reduce == "add":
        np.add.at(target, pos, vals)
    elif reduce == "multiply":
        np.multiply.at(target, pos, vals)
    else:
        target[pos] = vals
    return wrap(out), d


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor or a scalar) written at ``index``."""
    if src is None:
        src = value
    res, d = _scatter_into(input, dim, index, src, reduce, "scatter")
    if reduce is not None:
        record(res, NotImplemented_, input, *((src,) if isinstance(src, Tensor) else ()))
        return res
    if isinstance(src, Tensor):
        node = record(res, ScatterBackward0, input, src)
        if node is not None:
            node.needs = (input._requires_grad, src._requires_grad)
    else:
        node = record(res, ScatterBackward1, input)
    if node is not None:
        node.dim = d
        node.save(index)
    return res


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` (repeated indices add up)."""
    if not isinstance(src, Tensor):
        raise TypeError("scatter_add(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    res, d = _scatter_into(input, dim, index, src, "add", "scatter_add")
    node = record(res, ScatterAddBackward0, input, src)
    if node is not None:
        node.dim = d
        node.save(index)
    return res


def scatter_(self: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
             reduce: str | None = None) -> Tensor:
    from .arithmetic import _inplace
    return _inplace(self, scatter(self, dim, index, src, value=value, reduce=reduce))


def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    from .arithmetic import _inplace
    return _inplace(self, scatter_add(self, dim, index, src))


# -- index_select / index_add / index_fill ------------------------------------------------
class IndexSelectBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        from .creation import zeros
        return (index_add(zeros(self.shape, dtype=grad.dtype), self.dim, index, grad),)


def _index_vector(index: Any, name: str) -> np.ndarray:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    if index._data.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if index._data.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{name}(): Expected dtype int32 or int64 for index")
    return index._data.reshape(-1)


def _check_select_bounds(idx: np.ndarray, size: int, d: int, ndim: int) -> None:
    """index_select takes no negative index; torch words the refusal per kernel: one for
    dim 1 of a tensor with several dims, another for every other case."""
    if not idx.size or (idx.max() < size and idx.min() >= 0):
        return
    if ndim > 1 and d == 1:
        bad = int(idx[(idx >= size) | (idx < 0)][0])
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
    raise IndexError("index out of range in self")


def index_select(input: Tensor, dim: int, index: Tensor, *,
                 out: Tensor | None = None) -> Tensor:
    """The slices ``input[..., index[k], ...]`` along ``dim``, stacked in order."""
    data = input._data
    d = wrap_dim(dim, data.ndim)
    idx = _index_vector(index, "index_select")
    _check_select_bounds(idx, data.shape[d] if data.ndim else 1, d, data.ndim)
    res = wrap(np.take(data, idx, axis=d) if data.ndim else data.copy())
    node = record(res, IndexSelectBackward0, input)
    if node is not None:
        node.dim, node.shape = d, data.shape
        node.save(index)
    if out is not None:
        from .arithmetic import _write_out
        return _write_out(res, out, "index_select")
    return res


class IndexAddBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        g_src = index_select(grad, self.dim, index)
        return grad, g_src * self.alpha if self.alpha != 1 else g_src


def _check_index_add(input: Tensor, d: int, index: Tensor, source: Tensor) -> np.ndarray:
    """The index of ``index_add`` as a vector, after torch's checks in torch's order."""
    arr = index._data
    if arr.dtype not in _INDEX_DTYPES:
        raise RuntimeError("index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{D.scalar_type_name(index.dtype)}")
    if arr.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                         f"{arr.ndim} with type: {D.scalar_type_name(index.dtype)} and size: "
                         f"{list(arr.shape)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_add_(): self ({D.scalar_type_name(input.dtype)}) and source "
                           f"({D.scalar_type_name(source.dtype)}) must have the same scalar type")
    idx, shape, src_shape = arr.reshape(-1), input._data.shape, source._data.shape
    if shape and src_shape:
        check_source_shape("index_add_", shape, src_shape, d, idx.size)
    _check_bounds(idx, shape[d] if shape else 1, d)
    return idx


def check_source_shape(op: str, shape: tuple, src_shape: tuple, d: int, n_index: int) -> None:
    """``source`` of an ``index_*`` op: one slice per index along ``d``, ``input``'s shape
    elsewhere."""
    if d < len(src_shape) and n_index != src_shape[d]:
        raise RuntimeError(f"{op}(): Number of indices ({n_index}) should be equal to "
                           f"source.size(dim): ({src_shape[d]}), for dim: {d}")
    if len(src_shape) != len(shape) or any(
            n != m for i, (n, m) in enumerate(zip(shape, src_shape)) if i != d):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(shape)} source.shape "
                           f"= {list(src_shape)}")


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: Any = 1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` slices added at ``index`` along ``dim``."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _check_index_add(input, d, index, source)
    src = source._data
    out = input._data.copy()
    if out.dtype.kind in "iu" and isinstance(alpha, float):
        alpha = int(alpha)  # an integer tensor scales by the integer part of alpha
    moved = np.moveaxis(out, d, 0) if out.ndim else out.reshape(1)
    vals = src * alpha if alpha != 1 else src
    np.add.at(moved, idx, np.moveaxis(vals, d, 0) if vals.ndim else vals)
    res = wrap(out)
    node = record(res, IndexAddBackward0, input, source)
    if node is not None:
        node.dim, node.alpha = d, alpha
        node.save(index)
    return res


def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *,
               alpha: Any = 1) -> Tensor:
    from .arithmetic import _inplace
    return _inplace(self, index_add(self, dim, index, source, alpha=alpha))


class IndexFillBackward0(Node):  # scalar value
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        return (index_fill(grad, self.dim, index, 0.0),)


class IndexFillBackward1(Node):  # 0-d tensor value: it receives the filled slices' sum
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        kept = index_fill(grad, self.dim, index, 0.0)
        g_value = (grad.sum() - kept.sum()).to(self.value_dtype) if self.needs[1] else None
        return kept if self.needs[0] else None, g_value


def _index_fill_vector(index: Tensor, size: int, d: int) -> np.ndarray:
    arr = index._data
    if arr.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if arr.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    idx = arr.reshape(-1)
    if idx.size and (idx.max() >= size or idx.min() < -size):
        bad = int(idx[(idx >= size) | (idx < -size)][0])
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {size}")
    return idx


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_fill_vector(index, input._data.shape[d] if input._data.ndim else 1, d)
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    if not isinstance(value, Tensor):
        value = check_scalar(value, input._data.dtype)
    out = input._data.copy()
    v = value._data if isinstance(value, Tensor) else value
    if out.ndim:
        out[(slice(None),) * d + (idx,)] = v
    elif idx.size:
        out[...] = v
    res = wrap(out)
    if isinstance(value, Tensor):
        node = record(res, IndexFillBackward1, input, value)
        if node is not None:
            node.needs = (input._requires_grad, value._requires_grad)
            node.value_dtype = value.dtype
    else:
        node = record(res, IndexFillBackward0, input)
    if node is not None:
        node.dim = d
        node.save(index)
    return res


def index_fill_(self: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    from .arithmetic import _inplace
    return _inplace(self, index_fill(self, dim, index, value))


# -- masks ---------------------------------------------------------------------------------
