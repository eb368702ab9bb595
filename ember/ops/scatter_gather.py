"""Index-driven ops: gather, scatter, scatter_add, index_select, index_add, index_fill,
masked_fill, masked_select, nonzero, take_along_dim.

>>> import ember
>>> x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> x.gather(1, ember.tensor([[1], [0]]))
tensor([[2.],
        [3.]])
>>> x.masked_fill(x > 2, 0.0)
tensor([[1., 2.],
        [0., 0.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.graph import Node
from ._core import Tensor, record, sum_to, wrap, wrap_dim

__all__ = ["gather", "scatter", "scatter_", "scatter_add", "scatter_add_", "index_select",
           "index_add", "index_add_", "index_fill", "index_fill_", "masked_fill",
           "masked_fill_", "masked_select", "nonzero", "take_along_dim"]


def _index_data(index: Tensor, name: str) -> np.ndarray:
    arr = index._data
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return arr.reshape(1) if arr.ndim == 0 else arr


def _positions(idx: np.ndarray, d: int) -> tuple:
    """Full NumPy index addressing ``out[..., idx[i, j, ...], ...]`` along dim ``d``."""
    grids = list(np.indices(idx.shape, sparse=True))
    grids[d] = idx
    return tuple(grids)


def _check_bounds(idx: np.ndarray, size: int, d: int) -> None:
    if idx.size and (idx.max() >= size or idx.min() < -size):
        bad = int(idx[(idx >= size) | (idx < -size)].flat[0])
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
    _check_gather_shape(data, idx, d, "gather")
    src = data if data.ndim else data.reshape(1)
    _check_bounds(idx, src.shape[d], d)
    value = src[_positions(idx, d)]
    res = wrap(value.reshape(()) if data.ndim == 0 else value)
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
    dims of ``input`` and ``indices`` broadcast together."""
    if dim is None:
        return gather(input.view(-1), 0, indices.view(-1))
    data, idx = input._data, indices._data
    d = wrap_dim(dim, data.ndim)
    if idx.ndim != data.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {data.ndim} dimensions for input, "
                           f"and {idx.ndim} dimensions for indices")
    rest = np.broadcast_shapes(data.shape[:d] + (1,) + data.shape[d + 1:],
                               idx.shape[:d] + (1,) + idx.shape[d + 1:])
    expanded = input.expand(rest[:d] + (data.shape[d],) + rest[d + 1:])
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


def _scatter_into(input: Tensor, dim: int, index: Tensor, src: Any, reduce: str | None,
                  name: str) -> tuple:
    data = input._data
    d = wrap_dim(dim, data.ndim)
    idx = _index_data(index, name)
    out = data.copy()
    target = out if out.ndim else out.reshape(1)
    _check_bounds(idx, target.shape[d], d)
    pos = _positions(idx, d)
    vals = src._data[tuple(slice(0, s) for s in idx.shape)] if isinstance(src, Tensor) else src
    if isinstance(src, Tensor) and src._data.ndim == 0:
        vals = src._data.reshape(1)
    if reduce == "add":
        np.add.at(target, pos, vals)
    elif reduce == "multiply":
        np.multiply.at(target, pos, vals)
    elif reduce is not None:
        raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
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


def _index_vector(index: Tensor, name: str) -> np.ndarray:
    if index._data.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32 or int64 for index")
    return index._data.reshape(-1)


def index_select(input: Tensor, dim: int, index: Tensor, *,
                 out: Tensor | None = None) -> Tensor:
    """The slices ``input[..., index[k], ...]`` along ``dim``, stacked in order."""
    data = input._data
    d = wrap_dim(dim, data.ndim)
    idx = _index_vector(index, "index_select")
    size = data.shape[d] if data.ndim else 1
    if idx.size and (idx.max() >= size or idx.min() < -size):
        raise IndexError("index out of range in self")
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


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: Any = 1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` slices added at ``index`` along ``dim``."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_vector(index, "index_add_")
    src = source._data
    if input._data.ndim and src.ndim and idx.size != src.shape[d]:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({src.shape[d]}), for dim: {d}")
    out = input._data.copy()
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


class IndexFillBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        return (index_fill(grad, self.dim, index, 0.0),)


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_vector(index, "index_fill_")
    out = input._data.copy()
    v = value._data if isinstance(value, Tensor) else value
    if out.ndim:
        out[(slice(None),) * d + (idx,)] = v
    elif idx.size:
        out[...] = v
    res = wrap(out)
    node = record(res, IndexFillBackward0, input)
    if node is not None:
        node.dim = d
        node.save(index)
    return res


def index_fill_(self: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    from .arithmetic import _inplace
    return _inplace(self, index_fill(self, dim, index, value))


# -- masks ---------------------------------------------------------------------------------
class MaskedFillBackward0(Node):  # scalar value
    def backward(self, grad: Tensor) -> tuple:
        (mask,) = self.saved()
        return (sum_to(grad.masked_fill(mask, 0), self.shape),)


class MaskedFillBackward1(Node):  # 0-d tensor value: it receives the masked gradient's sum
    def backward(self, grad: Tensor) -> tuple:
        (mask,) = self.saved()
        g_self = sum_to(grad.masked_fill(mask, 0), self.shape) if self.needs[0] else None
        g_value = None
        if self.needs[1]:
            g_value = grad.masked_fill(~mask, 0).sum()
        return g_self, g_value


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with ``value`` where ``mask`` (bool, broadcastable) is True."""
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_c_type(mask)}")
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    data = input._data
    try:
        np.broadcast_shapes(mask._data.shape, data.shape)
    except ValueError:
        from .arithmetic import _size_error
        raise _size_error(mask._data.shape, data.shape) from None
    v = value._data if isinstance(value, Tensor) else value
    res = wrap(np.where(mask._data, np.asarray(v).astype(data.dtype), data))
    if isinstance(value, Tensor):
        node = record(res, MaskedFillBackward1, input, value)
        if node is not None:
            node.needs = (input._requires_grad, value._requires_grad)
    else:
        node = record(res, MaskedFillBackward0, input)
    if node is not None:
        node.shape = data.shape
        node.save(mask)
    return res


def _c_type(t: Tensor) -> str:
    names = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
             "uint8": "unsigned char", "float32": "float", "float64": "double",
             "float16": "c10::Half"}
    return names.get(t._data.dtype.name, t._data.dtype.name)


def masked_fill_(self: Tensor, mask: Tensor, value: Any) -> Tensor:
    from .arithmetic import _inplace
    return _inplace(self, masked_fill(self, mask, value))


class MaskedSelectBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (mask,) = self.saved()
        from .creation import zeros
        full = zeros(self.out_shape, dtype=grad.dtype)
        full[mask.expand(self.out_shape)] = grad
        return (sum_to(full, self.shape),)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements where ``mask`` is True, as a 1-d tensor (shapes broadcast)."""
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    res = wrap(np.broadcast_to(input._data, shape)[np.broadcast_to(mask._data, shape)])
    node = record(res, MaskedSelectBackward0, input)
    if node is not None:
        node.shape, node.out_shape = input._data.shape, shape
        node.save(mask)
    return res


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero elements: an ``(n, ndim)`` tensor, or one tensor per dim."""
    data = input._data if input._data.ndim else input._data.reshape(1)
    idx = np.nonzero(data)
    if as_tuple:
        return tuple(wrap(i.astype(np.int64)) for i in idx)
    if input._data.ndim == 0:
        return wrap(np.zeros((idx[0].size, 0), dtype=np.int64))
    return wrap(np.stack(idx, axis=-1).astype(np.int64))
