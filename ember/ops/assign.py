"""Writing through an index: ``t[key] = value``, ``index_put_`` and ``index_put``.

The key is read exactly as ``t[key]`` reads it (see ``indexing``); the autograd node is the
one torch records: ``CopySlices`` when writing through basic steps, ``IndexPutBackward0``
for advanced keys, ``FillBackward3``/``CopyBackwards`` when the whole tensor is written.

>>> import ember
>>> x = ember.zeros(2, 3)
>>> x[0, 1:] = 1.0
>>> x[x == 0] = -1.0
>>> x
tensor([[-1.,  1.,  1.],
        [-1., -1., -1.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..autograd.views import rebase_view
from ._core import (_F32_MAX, _INT64_END, _INT64_MIN, Tensor, check_scalar, edge, state,
                    sum_to, wrap)
from .indexing import (_adv_key, _Plan, _plan, _region, _type_name, _unique_positions,
                       list_key)
from .shape import _expand_target

__all__ = ["setitem", "index_put_", "index_put"]


# -- writing: t[key] = value ---------------------------------------------------------------
class CopySlices(Node):
    """Gradient of ``t[key] = value``: the old ``t`` gets zeros where it was overwritten
    (or the whole gradient when values were added), ``value`` the gradient read at ``key``."""

    accumulate = False

    def backward(self, grad: Tensor) -> tuple:
        g_self = g_value = None
        if self.needs[0]:
            if self.accumulate:
                g_self = grad
            else:
                g_self = grad.clone()
                g_self[self.key] = 0
        if self.needs[1]:
            g_value = grad[self.key]
            shape, dtype = self.value_meta
            g_value = sum_to(g_value, shape)
            if g_value.dtype != dtype:
                g_value = g_value.to(dtype)
        return g_self, g_value


class IndexPutBackward0(CopySlices):
    pass


class CopyBackwards(CopySlices):
    pass


class FillBackward3(CopySlices):
    pass


_SCALARS = (int, float, bool)
def setitem(self: Tensor, key: Any, value: Any) -> None:
    """``self[key] = value`` in place (value: a tensor or a Python scalar)."""
    kt = type(key)
    if ((kt is int or kt is slice and (key.step is None or key.step > 0))
            and type(value) in _SCALARS and not (state.enabled and self._requires_grad)
            and self._data.ndim):
        data = self._data
        # A float tensor takes any int64 and any float that float32 holds: no call needed.
        if type(value) is bool or data.dtype.kind == "f" and (
                -_F32_MAX <= value <= _F32_MAX if type(value) is float
                else _INT64_MIN <= value < _INT64_END):
            pass
        else:
            value = check_scalar(value, data.dtype)
        try:
            data[key] = value
        except IndexError:
            pass  # let the full path raise torch's message
        else:
            self._version[0] += 1
            return
    if key is False:
        return  # torch writes nothing and leaves the history alone
    _assign(self, key, value, False, self, True)


def _assign(target: Tensor, key: Any, value: Any, accumulate: bool, source: Tensor,
            from_setitem: bool = False) -> None:
    """Write (or add) ``value`` at ``key`` into ``target``, recording the graph edge of the
    old contents as ``source``'s (``target`` itself, or the input of an out-of-place op).

    ``t[key] = value`` (``from_setitem``) drops the value's leading size-1 dims first, as
    torch does; ``index_put_`` takes the value as it is.
    """
    if not isinstance(value, (Tensor, int, float, bool, complex, np.generic)):
        raise TypeError(f"can't assign a {_type_name(value)} to a "
                        f"ember.{target.dtype._legacy}")
    if type(key) is list:
        key = list_key(key, 4)  # warns at the caller of ``t[key] = v``
    if from_setitem:
        key = _true_as_none(key)
    # A lone key is read as a one-item tuple, so ``t[:] = v`` writes the whole tensor.
    plan = _plan(key if isinstance(key, tuple) else (key,), target._data.shape)
    tracking = state.enabled and (source._requires_grad or (
        isinstance(value, Tensor) and value._requires_grad))
    if tracking and source is target:
        _check_leaf(target, plan)
    if isinstance(value, Tensor):
        value = _fit_value(value, target, plan, accumulate, from_setitem)
        data = value._data
        if _fills_mask(plan, data, accumulate):
            data = data.reshape(())
    else:
        data = check_scalar(value, target._data.dtype)
    _write(target._data, plan, data, accumulate)
    target._version[0] += 1
    if tracking:
        _record_assign(target, key, plan, value, accumulate, source)


def _true_as_none(key: Any) -> Any:
    """In ``t[key] = v`` a ``True`` only adds a dim of size 1, as ``None`` does (the value
    is then copied into that view, not put through an index)."""
    if key is True:
        return None
    if type(key) is tuple and any(k is True for k in key):
        return tuple(None if k is True else k for k in key)
    return key


def _check_leaf(t: Tensor, plan: _Plan) -> None:
    base = t._base
    if base is not None and base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    if t._requires_grad and t.grad_fn is None:
        what = "a view of a leaf Variable" if plan.steps else "a leaf Variable"
        raise RuntimeError(f"{what} that requires grad is being used in an in-place operation.")



def _fills_mask(plan: _Plan, value: np.ndarray, accumulate: bool) -> bool:
    """True when one bool mask receives a one-element value: torch then fills the mask (as
    ``masked_fill`` does), so the value's dtype and shape need not match."""
    return (not accumulate and value.size == 1 and len(plan.adv) == 1
            and plan.adv[0][1].dtype == np.bool_)


def _drop_leading_ones(value: Tensor) -> Tensor:
    shape = value._data.shape
    n = 0
    while n < len(shape) and shape[n] == 1:
        n += 1
    return value.view(shape[n:]) if n else value


def _fit_value(value: Tensor, target: Tensor, plan: _Plan, accumulate: bool,
               from_setitem: bool) -> Tensor:
    """Broadcast ``value`` to the written region, or raise torch's message."""
    region = _region(target._data, plan)
    if plan.adv:
        if from_setitem:
            value = _drop_leading_ones(value)
        if _fills_mask(plan, value._data, accumulate):
            return value
        _check_put_shape(value, region, plan)
        if value._data.dtype != region.dtype:
            raise RuntimeError("Index put requires the source and destination dtypes match, got "
                               f"{D.scalar_type_name(target.dtype)} for the destination and "
                               f"{D.scalar_type_name(value.dtype)} for the source.")
        return value
    vshape = value._data.shape
    if not vshape or vshape == region.shape:
        return value  # a 0-d value fills the region
    # Leading 1s are dropped (torch records this view whenever the shapes differ).
    while vshape and vshape[0] == 1:
        vshape = vshape[1:]
    value = value.view(vshape)
    if vshape != region.shape:
        value = value.expand(_expand_target(value._data, region.shape))
    return value


def _check_put_shape(value: Tensor, region: np.ndarray, plan: _Plan) -> None:
    probe = np.broadcast_to(np.zeros((), dtype=bool), region.shape)
    shape = probe[_adv_key(plan, region.ndim)].shape
    vshape = value._data.shape
    if len(vshape) > len(shape) or any(v not in (1, s) for v, s in
                                       zip(vshape[::-1], shape[::-1])):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} "
                           f"cannot be broadcast to indexing result of shape {list(shape)}")


def _write(data: np.ndarray, plan: _Plan, value: Any, accumulate: bool) -> None:
    region = _region(data, plan)
    key = _adv_key(plan, region.ndim) if plan.adv else Ellipsis
    if not accumulate:
        region[key] = value
    elif plan.adv and not _unique_positions(key):
        np.add.at(region, key, value)  # repeated indices each add their value
    else:
        region[key] += value


def _record_assign(target: Tensor, key: Any, plan: _Plan, value: Any, accumulate: bool,
                   source: Tensor) -> None:
    is_tensor = isinstance(value, Tensor)
    if accumulate or plan.adv and not plan.steps:
        node_type = IndexPutBackward0
    elif plan.whole:
        node_type = FillBackward3 if not is_tensor or value._data.ndim == 0 else CopyBackwards
    else:
        node_type = CopySlices
    node = node_type()
    node.next_functions = (edge(source), edge(value) if is_tensor else (None, 0))
    node.key, node.accumulate = key, accumulate
    node.needs = (source._requires_grad, is_tensor and value._requires_grad)
    node.value_meta = (value._data.shape, value.dtype) if is_tensor else None
    target.grad_fn, target._requires_grad, target._output_nr = node, True, 0
    if target._base is not None:  # written through a view: the base's history changes too
        rebase_view(target)


def _put_indices(input: Tensor, indices: Any, values: Any, name: str) -> tuple:
    """``indices`` as a key, after the argument checks torch makes (tensors only)."""
    if not isinstance(values, Tensor):
        raise TypeError(f"{name}(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    indices = tuple(indices)
    for i, index in enumerate(indices):
        if not isinstance(index, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(index).__name__}")
    if len(indices) > input._data.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input._data.ndim} "
                         f"(got {len(indices)})")
    return indices


def index_put_(self: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """``self[indices] = values`` in place; with ``accumulate``, repeated indices add up."""
    _assign(self, _put_indices(self, indices, values, "index_put_"), values, accumulate, self)
    return self


def index_put(input: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """Out-of-place ``index_put_``."""
    key = _put_indices(input, indices, values, "index_put")
    out = wrap(input._data.copy())
    _assign(out, key, values, accumulate, input)
    return out
