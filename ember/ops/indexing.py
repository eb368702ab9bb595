"""Indexing: ``t[key]``, select and slice (``t[key] = v`` is in ``assign``).

A key is read left to right, as torch reads it: ``None`` inserts a dim (unsqueeze), an int
selects (select), a slice narrows (slice; a full ``:`` inside a tuple is skipped), and
integer/bool tensors or lists are advanced indices applied last in one gather (index).
Basic steps return views; advanced indexing copies. With autograd each step records its
own node, so ``x[0, 1:3]`` has ``SliceBackward0`` over ``SelectBackward0`` as in torch.

>>> import ember
>>> x = ember.arange(12.0).view(3, 4)
>>> x[1, 1:3]
tensor([5., 6.])
>>> x[x > 9]
tensor([10., 11.])
>>> x[ember.tensor([0, 2]), 0] = -1.0
>>> x[:, 0]
tensor([-1.,  4., -1.])
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..autograd.graph import Node
from ._core import Tensor, record, state, wrap, wrap_dim
from .shape import make_view

__all__ = ["getitem", "setitem", "select", "slice_dim", "index_put_", "index_put",
           "gather", "scatter", "scatter_", "scatter_add", "scatter_add_", "index_select",
           "index_add", "index_add_", "index_fill", "index_fill_", "masked_fill",
           "masked_fill_", "masked_select", "nonzero", "take_along_dim"]

_INTS = (int, np.integer)


# -- reading a key -------------------------------------------------------------------------
class _Plan:
    """A key resolved against a shape: basic steps, then advanced indices."""

    __slots__ = ("steps", "basic", "adv", "whole")

    def __init__(self) -> None:
        self.steps: list = []    # ("unsqueeze", d) | ("select", d, i) | ("slice", d, a, b, s)
        self.basic: list = []    # the same steps as one NumPy basic index
        self.adv: list = []      # (dim after the basic steps, index array)
        self.whole = True        # no step at all: the key addresses the whole tensor


_INDEX_TENSOR_DTYPES = (np.dtype(np.int64), np.dtype(np.int32))
_SEQUENCES = (list, tuple, range)

_LIST_KEY_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
    "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will "
    "be interpreted as tensor index, x[ember.tensor(seq)], which will result either in an "
    "error or a different result")


def list_key(key: list, stacklevel: int) -> Any:
    """A list key read the way torch reads it: a short list holding a tensor, a sequence,
    a slice, None or ``...`` stands for a tuple (with a deprecation warning); any other list
    is one advanced index."""
    if len(key) < 32 and any(k is None or k is Ellipsis or isinstance(
            k, (Tensor, np.ndarray, slice, str, bytes) + _SEQUENCES) for k in key):
        warnings.warn(_LIST_KEY_WARNING, UserWarning, stacklevel=stacklevel + 1)
        return tuple(key)
    return key


def _index_array(k: Any) -> np.ndarray:
    """An advanced index (tensor, sequence, array) as a bool or int64 NumPy array."""
    if isinstance(k, Tensor):
        arr = k._data
        if arr.dtype.kind == "b" or arr.dtype == np.uint8:
            return arr.astype(bool, copy=False)
        if arr.dtype in _INDEX_TENSOR_DTYPES:
            return arr.astype(np.int64, copy=False)
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    # Sequences and NumPy arrays become tensors first: floats truncate, uint8 is a mask.
    arr = k if isinstance(k, np.ndarray) else np.asarray(
        [x.item() if isinstance(x, Tensor) else x for x in k])
    kind = arr.dtype.kind
    if kind == "b" or arr.dtype == np.uint8 and isinstance(k, np.ndarray):
        return arr.astype(bool, copy=False)
    if kind in "iuf" or arr.size == 0:
        return arr.astype(np.int64, copy=False)
    if kind in "US":
        raise TypeError(f"new(): invalid data type '{'str' if kind == 'U' else 'bytes'}'")
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _type_name(k: Any) -> str:
    t = type(k)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _classify(k: Any) -> tuple:
    if k is None:
        return ("none", None)
    if k is Ellipsis:
        return ("ellipsis", None)
    if isinstance(k, bool):
        return ("bool", k)
    if isinstance(k, _INTS):
        return ("int", int(k))
    if isinstance(k, slice):
        return ("slice", k)
    if isinstance(k, Tensor) and k._data.ndim == 0:
        # A 0-d byte tensor is a mask, like a bool one; other integer kinds select.
        if k._data.dtype.kind == "b" or k._data.dtype == np.uint8:
            return ("bool", bool(k._data))
        if k._data.dtype.kind in "iu":
            return ("int", int(k._data))
    if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind in "biu":
        return ("bool", bool(k)) if k.dtype.kind == "b" else ("int", int(k))
    if isinstance(k, (Tensor, np.ndarray) + _SEQUENCES):
        return ("adv", _index_array(k))
    if isinstance(k, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(k).__name__}'")
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {_type_name(k)})")


def _consumed(kind: str, value: Any) -> int:
    if kind in ("int", "slice"):
        return 1
    if kind == "adv":
        return value.ndim if value.dtype == np.bool_ else 1
    return 0


def _items(key: Any, ndim: int) -> tuple:
    """The classified key items and how many dims they consume (validated)."""
    items = [_classify(k) for k in (key if isinstance(key, tuple) else (key,))]
    used = sum(_consumed(kind, v) for kind, v in items)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if sum(kind == "ellipsis" for kind, _ in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    return items, used


def _plan(key: Any, shape: tuple) -> _Plan:
    tuple_mode = isinstance(key, tuple)
    ndim = len(shape)
    items, used = _items(key, ndim)
    plan, d, src, n_adv = _Plan(), 0, 0, 0
    for kind, v in items:
        if kind == "ellipsis":
            n = ndim - used
            plan.basic.extend([slice(None)] * n)
            d, src = d + n, src + n
        elif kind in ("none", "bool"):
            plan.steps.append(("unsqueeze", d))
            plan.basic.append(None)
            if kind == "bool":  # True keeps the new dim's one place, False none
                plan.adv.append((d, np.arange(int(v), dtype=np.int64)))
            d += 1
        elif kind == "int":
            size = shape[src]
            if not -size <= v < size:
                raise IndexError(f"index {v} is out of bounds for dimension {src} with size "
                                 f"{size}")
            plan.steps.append(("select", d, v + size if v < 0 else v))
            plan.basic.append(v)
            src += 1
        elif kind == "slice":
            start, stop, step = _slice_bounds(v, shape[src])
            if not tuple_mode or (start, stop, step) != (0, shape[src], 1):
                plan.steps.append(("slice", d, start, stop, step))
            plan.basic.append(v)
            d, src = d + 1, src + 1
        else:
            _check_advanced(v, shape, src, n_adv)
            n_adv += 1
            plan.adv.append((d, v))
            plan.basic.extend([slice(None)] * _consumed(kind, v))
            d, src = d + _consumed(kind, v), src + _consumed(kind, v)
    plan.whole = not plan.steps and not plan.adv
    return plan


def _slice_bounds(s: slice, size: int) -> tuple:
    if s.step is not None and int(s.step) == 0:
        raise ValueError("slice step cannot be zero")
    if s.step is not None and int(s.step) < 0:
        raise ValueError("step must be greater than zero")
    return s.indices(size)


def _check_advanced(arr: np.ndarray, shape: tuple, src: int, position: int) -> None:
    if arr.dtype == np.bool_:
        for j, n in enumerate(arr.shape):
            if n != shape[src + j]:
                raise IndexError(f"The shape of the mask {list(arr.shape)} at index {j} does "
                                 f"not match the shape of the indexed tensor {list(shape)} at "
                                 f"index {src + j}")
        return
    size = shape[src]
    if arr.size and (arr.max() >= size or arr.min() < -size):
        bad = int(arr[(arr >= size) | (arr < -size)].flat[0])
        raise IndexError(f"index {bad} is out of bounds for dimension {position} with size "
                         f"{size}")


def _adv_key(plan: _Plan, ndim: int) -> tuple:
    key: list = [slice(None)] * ndim
    for d, arr in plan.adv:
        key[d] = arr
    # A bool mask spans several dims but takes one place in the key.
    for d, arr in sorted(plan.adv, key=lambda e: -e[0]):
        if arr.dtype == np.bool_ and arr.ndim > 1:
            del key[d + 1:d + arr.ndim]
    return tuple(key)


def _region(data: np.ndarray, plan: _Plan) -> np.ndarray:
    return data[tuple(plan.basic) + (Ellipsis,)]  # always an array view, even for 0-d


# -- reading: t[key] -------------------------------------------------------------------------
def getitem(input: Tensor, key: Any) -> Tensor:
    """``input[key]`` with torch's semantics (see the module docstring)."""
    data = input._data
    kt = type(key)
    if (kt is int or kt is slice) and data.ndim:  # the common cases, kept short
        if kt is int:
            n = data.shape[0]
            if not -n <= key < n:
                raise IndexError(f"index {key} is out of bounds for dimension 0 with size {n}")
            if not (state.enabled and input._requires_grad):
                return make_view(input, data[key])
            return select(input, 0, key)
        if key.step is None or key.step > 0:
            if not (state.enabled and input._requires_grad):
                return make_view(input, data[key])
            return slice_dim(input, 0, *key.indices(data.shape[0]))
    if kt is list:
        key = list_key(key, 2)
    plan = _plan(key, data.shape)
    if not (state.enabled and input._requires_grad):
        view = make_view(input, _region(data, plan))
        return _index(view, plan) if plan.adv else view
    cur = input
    for step in plan.steps:
        cur = _STEPS[step[0]](cur, *step[1:])
    if plan.adv:
        return _index(cur, plan)
    return alias(cur) if cur is input else cur


class AliasBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad,)


def alias(input: Tensor) -> Tensor:
    out = make_view(input, input._data.view())
    record(out, AliasBackward0, input)
    return out


class SelectBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (_embed(grad, self.shape, (slice(None),) * self.dim + (self.index,),
                       SelectBackwardBackward0),)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The view ``input[..., index, ...]`` with ``index`` at dim ``dim``."""
    data = input._data
    d = wrap_dim(dim, data.ndim)
    n = data.shape[d]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(data.shape)} at dimension {d}")
    index = index + n if index < 0 else index
    out = make_view(input, data[(slice(None),) * d + (index,)])
    node = record(out, SelectBackward0, input)
    if node is not None:
        node.shape, node.dim, node.index = data.shape, d, index
    return out


class SliceBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (_embed(grad, self.shape, self.key, SliceBackwardBackward0),)


def slice_dim(input: Tensor, dim: int, start: int, stop: int, step: int = 1) -> Tensor:
    """The view ``input[..., start:stop:step, ...]`` along ``dim``."""
    data = input._data
    key = (slice(None),) * dim + (slice(start, stop, step),)
    out = make_view(input, data[key])
    node = record(out, SliceBackward0, input)
    if node is not None:
        node.shape, node.key = data.shape, key
    return out


def _unsqueeze(input: Tensor, dim: int) -> Tensor:
    return input.unsqueeze(dim)


_STEPS = {"unsqueeze": _unsqueeze, "select": select, "slice": slice_dim}


class IndexBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        self.saved()  # the index tensors: raises after the graph was freed
        return (_embed(grad, self.shape, self.key, IndexBackwardBackward0, accumulate=True),)


def _index(input: Tensor, plan: _Plan) -> Tensor:
    data = input._data
    key = _adv_key(plan, data.ndim)
    res = wrap(data[key])
    node = record(res, IndexBackward0, input)
    if node is not None:
        node.shape, node.key = data.shape, key
        node.save(*(wrap(arr) for _, arr in plan.adv))
    return res


# -- gradients of reading: place a gradient into zeros -------------------------------------
class _EmbedBackward(Node):
    """Double backward of an index gradient: read the same places back."""

    def backward(self, grad: Tensor) -> tuple:
        return (wrap(grad._data[self.key]) if not state.enabled else _read(grad, self.key),)


class SelectBackwardBackward0(_EmbedBackward):
    pass


class SliceBackwardBackward0(_EmbedBackward):
    pass


class IndexBackwardBackward0(_EmbedBackward):
    pass


def _read(grad: Tensor, key: tuple) -> Tensor:
    res = wrap(grad._data[key])
    node = record(res, IndexBackward0, grad)
    if node is not None:
        node.shape, node.key = grad._data.shape, key
    return res


def _embed(grad: Tensor, shape: tuple, key: tuple, node_type: type,
           accumulate: bool = False) -> Tensor:
    """Zeros of ``shape`` holding ``grad`` at ``key`` (repeated indices add up)."""
    out = np.zeros(shape, dtype=grad._data.dtype)
    if accumulate and not _unique_positions(key):
        np.add.at(out, key, grad._data)
    else:
        out[key] = grad._data
    res = wrap(out)
    node = record(res, node_type, grad)
    if node is not None:
        node.key = key
    return res


def _unique_positions(key: tuple) -> bool:
    """True when an advanced key cannot address a position twice (a single bool mask)."""
    arrays = [k for k in key if isinstance(k, np.ndarray)]
    return len(arrays) == 1 and arrays[0].dtype == np.bool_


# Writing (``t[key] = v``, index_put) lives in its own module, built on the same plans.
from .assign import index_put, index_put_, setitem  # noqa: E402


# The index-driven ops (gather, scatter, masked_fill, ...) live in their own module.
from .masking import masked_fill, masked_fill_, masked_select, nonzero  # noqa: E402
from .scatter_gather import (gather, index_add, index_add_, index_fill,  # noqa: E402
                             index_fill_, index_select, scatter, scatter_, scatter_add,
                             scatter_add_, take_along_dim)
