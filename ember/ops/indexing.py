"""Indexing: ``t[key]``, ``t[key] = v``, gather, scatter, index_select, masked_fill, nonzero.

Basic indexing (ints, slices, None, Ellipsis) returns views; advanced indexing (integer or
bool tensors, lists) copies, as in torch. Gradients of indexing scatter back into zeros,
with duplicate indices accumulating.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.graph import Node
from ._core import Tensor, bump_version, check_inplace, edge, needs_grad, record, sum_to, wrap, wrap_dim
from .shape import make_view

__all__ = ["getitem", "setitem", "gather", "scatter", "scatter_add", "index_select",
           "masked_fill", "masked_fill_", "nonzero", "select", "take_along_dim", "index_add",
           "masked_select", "scatter_", "index_put_"]


def _convert_key(key: Any) -> tuple[Any, bool]:
    """Translate a torch-style key into a NumPy key; report whether it is advanced."""
    if not isinstance(key, tuple):
        key = (key,)
    out, advanced = [], False
    for k in key:
        if isinstance(k, Tensor):
            arr = k._data
            if arr.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if arr.ndim == 0 and arr.dtype.kind != "b":
                out.append(int(arr))  # a 0-d integer tensor indexes like an int
                continue
            out.append(arr if arr.dtype != np.uint8 else arr.astype(bool))
            advanced = True
        elif isinstance(k, (list, np.ndarray)):
            out.append(np.asarray([x.item() if isinstance(x, Tensor) else x for x in k])
                       if isinstance(k, list) else k)
            advanced = True
        elif isinstance(k, bool):
            out.append(np.asarray(k))
            advanced = True
        else:
            out.append(k)
    return tuple(out), advanced


def _basic_name(key: tuple) -> str:
    """The grad_fn torch reports for a basic index: its last non-trivial step."""
    name = "AliasBackward0"
    for k in key:
        if k is None:
            name = "UnsqueezeBackward0"
        elif isinstance(k, (int, np.integer)):
            name = "SelectBackward0"
        elif isinstance(k, slice) and k != slice(None):
            name = "SliceBackward0"
    return name


class _IndexGrad(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (index_scatter(grad, self.shape, self.key, self.advanced),)


class SliceBackward0(_IndexGrad):
    pass


class SelectBackward0(_IndexGrad):
    pass


class UnsqueezeBackward0(_IndexGrad):
    pass


class AliasBackward0(_IndexGrad):
    pass


class IndexBackward0(_IndexGrad):
    pass


_BASIC = {c.__name__: c for c in (SliceBackward0, SelectBackward0, UnsqueezeBackward0,
                                  AliasBackward0)}


def getitem(input: Tensor, key: Any) -> Tensor:
    data = input._data
    np_key, advanced = _convert_key(key)
    try:
        out_data = data[np_key]
    except IndexError as e:
        raise IndexError(_index_message(str(e), data.shape, np_key)) from None
    if advanced:
        out = wrap(np.array(out_data, copy=True) if out_data.base is not None else out_data)
        node_type = IndexBackward0
    else:
        out = make_view(input, out_data)
        node_type = _BASIC[_basic_name(np_key)]
    node = record(out, node_type, input)
    if node is not None:
        node.shape, node.key, node.advanced = data.shape, np_key, advanced
    return out


def _index_message(msg: str, shape: tuple, key: tuple) -> str:
    if "out of bounds" in msg:
        dim = 0
        for k in key:
            if isinstance(k, (int, np.integer)) and not -shape[dim] <= k < shape[dim]:
                return f"index {k} is out of bounds for dimension {dim} with size {shape[dim]}"
            dim += k is not None and k is not Ellipsis
    if "too many indices" in msg:
        return f"too many indices for tensor of dimension {len(shape)}"
    return msg


class IndexScatterBackward(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (getitem(grad, self.key),)


def index_scatter(grad: Tensor, shape: tuple, key: tuple, advanced: bool) -> Tensor:
    """Zeros of ``shape`` with ``grad`` added at ``key`` (duplicates accumulate)."""
    out = np.zeros(shape, dtype=grad._data.dtype)
    if advanced:
        np.add.at(out, key, grad._data)
    else:
        out[key] = grad._data
    res = wrap(out)
    node = record(res, IndexScatterBackward, grad)
    if node is not None:
        node.key = key
    return res


class CopySlices(Node):
    """Gradient of ``t[key] = value``: zero at the overwritten places for the old ``t``."""

    def backward(self, grad: Tensor) -> tuple:
        g_self = masked_key(grad, self.key, self.shape) if self.needs[0] else None
        g_value = None
        if self.needs[1]:
            g_value = sum_to(getitem(grad, self.key), self.value_shape)
        return g_self, g_value


def masked_key(grad: Tensor, key: tuple, shape: tuple) -> Tensor:
    mask = np.ones(shape, dtype=bool)
    mask[key] = False
    return grad * wrap(mask.astype(grad._data.dtype))


def setitem(self: Tensor, key: Any, value: Any) -> None:
    check_inplace(self)
    np_key, _ = _convert_key(key)
    v = value._data if isinstance(value, Tensor) else value
    try:
        self._data[np_key] = v
    except ValueError as e:
        raise RuntimeError(str(e)) from None
    bump_version(self)
    if needs_grad(self, value):
        node = CopySlices()
        node.next_functions = (edge(self), edge(value))
        node.key, node.shape = np_key, self._data.shape
        node.value_shape = value._data.shape if isinstance(value, Tensor) else ()
        node.needs = (self._requires_grad, isinstance(value, Tensor) and value._requires_grad)
        self.grad_fn, self._requires_grad, self._output_nr = node, True, 0


def index_put_(self: Tensor, indices: tuple, values: Tensor, accumulate: bool = False) -> Tensor:
    if accumulate:
        check_inplace(self)
        np.add.at(self._data, _convert_key(tuple(indices))[0], values._data)
        bump_version(self)
        return self
    setitem(self, tuple(indices), values)
    return self


def select(input: Tensor, dim: int, index: int) -> Tensor:
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    return getitem(input, (slice(None),) * d + (index,))


# -- gather / scatter ----------------------------------------------------------------------
def _check_index(index: Tensor, name: str) -> np.ndarray:
    if index._data.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    return index._data


class GatherBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        from .creation import zeros
        return (scatter_add(zeros(self.shape, dtype=grad.dtype), self.dim, index, grad), None)


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j] = input[i][index[i][j]]`` along ``dim``."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _check_index(index, "gather")
    data = input._data
    if idx.ndim != data.ndim and data.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    sub = data[tuple(slice(0, s) for s in idx.shape[:d]) + (slice(None),) +
               tuple(slice(0, s) for s in idx.shape[d + 1:])] if data.ndim else data
    res = wrap(np.take_along_axis(sub, idx, axis=d) if data.ndim else data.copy())
    node = record(res, GatherBackward0, input, index)
    if node is not None:
        node.dim, node.shape = d, data.shape
        node.save(index)
    return res


take_along_dim = None  # defined below


def _scatter_positions(shape_idx: tuple, idx: np.ndarray, d: int) -> tuple:
    grids = list(np.indices(shape_idx, sparse=True))
    grids[d] = idx
    return tuple(grids)


class ScatterBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        g_self = scatter(grad, self.dim, index, 0.0) if self.needs[0] else None
        g_src = gather(grad, self.dim, index) if self.needs[1] else None
        return g_self, None, g_src


class ScatterBackward1(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        return scatter(grad, self.dim, index, 0.0), None


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """Write ``src`` (a tensor or scalar) into a copy of ``input`` at ``index`` along ``dim``."""
    if src is None:
        src = value
    d = wrap_dim(dim, input._data.ndim)
    idx = _check_index(index, "scatter")
    out = input._data.copy()
    pos = _scatter_positions(idx.shape, idx, d)
    if isinstance(src, Tensor):
        vals = src._data[tuple(slice(0, s) for s in idx.shape)]
    else:
        vals = src
    if reduce == "add":
        np.add.at(out, pos, vals)
    elif reduce == "multiply":
        np.multiply.at(out, pos, vals)
    else:
        out[pos] = vals
    res = wrap(out)
    if isinstance(src, Tensor):
        node = record(res, ScatterBackward0, input, index, src)
        if node is not None:
            node.needs = (input._requires_grad, src._requires_grad)
    else:
        node = record(res, ScatterBackward1, input, index)
    if node is not None:
        node.dim = d
        node.save(index)
    return res


class ScatterAddBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        return grad, None, gather(grad, self.dim, index)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    d = wrap_dim(dim, input._data.ndim)
    idx = _check_index(index, "scatter_add")
    out = input._data.copy()
    np.add.at(out, _scatter_positions(idx.shape, idx, d),
              src._data[tuple(slice(0, s) for s in idx.shape)])
    res = wrap(out)
    node = record(res, ScatterAddBackward0, input, index, src)
    if node is not None:
        node.dim = d
        node.save(index)
    return res


def scatter_(self: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
             reduce: str | None = None) -> Tensor:
    from .arithmetic import _inplace
    return _inplace(self, scatter(self.clone() if self._requires_grad else self, dim, index,
                                  src, value=value, reduce=reduce))


class IndexSelectBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        return index_add_zeros(self.shape, self.dim, index, grad), None


def index_add_zeros(shape: tuple, dim: int, index: Tensor, grad: Tensor) -> Tensor:
    from .creation import zeros
    return index_add(zeros(shape, dtype=grad.dtype), dim, index, grad)


class IndexAddBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved()
        return grad, None, index_select(grad, self.dim, index) * self.alpha


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    d = wrap_dim(dim, input._data.ndim)
    out = input._data.copy()
    moved = np.moveaxis(out, d, 0)
    np.add.at(moved, index._data, np.moveaxis(source._data * alpha if alpha != 1
                                              else source._data, d, 0))
    res = wrap(out)
    node = record(res, IndexAddBackward0, input, index, source)
    if node is not None:
        node.dim, node.alpha = d, alpha
        node.save(index)
    return res


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    d = wrap_dim(dim, input._data.ndim)
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
    res = wrap(np.take(input._data, index._data.reshape(-1), axis=d) if input._data.ndim
               else input._data.copy())
    node = record(res, IndexSelectBackward0, input, index)
    if node is not None:
        node.dim, node.shape = d, input._data.shape
        node.save(index)
    return res


class MaskedFillBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (mask,) = self.saved()
        return sum_to(grad.masked_fill(mask, 0), self.shape), None


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with ``value`` where ``mask`` (bool, broadcastable) is True."""
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    v = value._data if isinstance(value, Tensor) else value
    res = wrap(np.where(mask._data, np.asarray(v, dtype=input._data.dtype), input._data))
    node = record(res, MaskedFillBackward0, input, mask)
    if node is not None:
        node.shape = input._data.shape
        node.save(mask)
    return res


def masked_fill_(self: Tensor, mask: Tensor, value: Any) -> Tensor:
    from .arithmetic import _inplace
    return _inplace(self, masked_fill(self, mask, value))


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    return getitem(input.expand(shape) if input._data.shape != shape else input,
                   mask.expand(shape) if mask._data.shape != shape else mask)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    idx = np.nonzero(input._data) if input._data.ndim else np.nonzero(input._data.reshape(1))
    if as_tuple:
        return tuple(wrap(i.astype(np.int64)) for i in idx)
    return wrap(np.stack(idx, axis=-1).astype(np.int64) if idx else
                np.zeros((0, 0), dtype=np.int64))


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    return gather(input, dim, indices)
