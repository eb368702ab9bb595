"""Scans and order statistics: cumprod, cummax, cummin, logcumsumexp, nansum, nanmean,
median, nanmedian, kthvalue, mode.

NaN follows torch: cummax/cummin and median propagate it (median's index is then the first
NaN's), nanmedian and nansum skip it. Where several elements tie, the index of median,
nanmedian and kthvalue is the tied element that comes first in a stable sort, and mode's is
the last occurrence; torch's selection algorithm usually, not always, picks the same one
(likewise for the NaN that kthvalue, mode and an all-NaN nanmedian return).

>>> import ember
>>> ember.tensor([1.0, 3.0, 2.0]).cummax(0)
ember.return_types.cummax(
values=tensor([1., 3., 3.]),
indices=tensor([0, 1, 1]))
>>> ember.tensor([3.0, 1.0, 4.0, 2.0]).median()
tensor(2.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, record, wrap, wrap_dim
from ._errstate import quiet
from .extrema import MaxBackward0, _empty_error
from .reduction import _acc_dtype, _axes, _expand_back, _return_type

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "nansum", "nanmean", "median",
           "nanmedian", "kthvalue", "mode"]
TENSOR_METHODS: tuple = tuple(__all__)  # torch has every one of them as a Tensor method


def _along(data: np.ndarray, dim: int) -> tuple:
    """A wrapped ``dim`` and ``data`` as an array with at least one axis (0-d scans as 1-d)."""
    d = wrap_dim(int(dim), data.ndim)
    return d, (data.reshape(1) if data.ndim == 0 else data)


def _reverse_cumsum(t: Tensor, d: int) -> Tensor:
    return t.flip(d).cumsum(d).flip(d)


# -- cumprod ----------------------------------------------------------------------------------
class CumsumBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.flip(self.dim).cumsum(self.dim).flip(self.dim),)


def cumsum(input: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
    """Running sums along ``dim`` (integers accumulate in int64)."""
    data = input._data
    d, arr = _along(data, dim)
    acc = _scan_dtype(data, dtype, "cumsum_out_cpu")
    res = wrap(np.cumsum(arr, axis=d, dtype=acc).reshape(data.shape))
    node = record(res, CumsumBackward0, input)
    if node is not None:
        node.dim = d
    return res


def _scan_dtype(data: np.ndarray, dtype: D.dtype | None, kernel: str) -> Any:
    """The accumulation dtype of a running sum or product (integers and bool in int64)."""
    if dtype is None:
        return np.int64 if data.dtype.kind in "biu" else None
    if dtype == D.bool:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    return dtype.np


class CumprodBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        d = self.dim
        g = grad.to(res.dtype)
        if not x.ndim:
            return (g.to(x.dtype),)
        xs = x.to(res.dtype)
        if not (x._data == 0).any():
            # sum_{j>=i} g_j * out_j / x_i: differentiable again when no factor is zero
            return ((_reverse_cumsum(g * res, d) / xs).to(x.dtype),)
        return (wrap(_cumprod_grad_with_zeros(xs._data, g._data, d)).to(x.dtype),)


def _cumprod_grad_with_zeros(x: np.ndarray, g: np.ndarray, d: int) -> np.ndarray:
    """d out_j / d x_i without dividing by zero: before a slice's first zero ``z`` the
    quotient formula holds; at ``z`` the factor x_z is left out of the products; after
    ``z`` every product contains x_z, so the gradient is zero."""
    x, g = np.moveaxis(x, d, -1), np.moveaxis(g, d, -1)
    n = x.shape[-1]
    pos = np.arange(n)
    is_zero = x == 0
    z = np.where(is_zero.any(-1), np.argmax(is_zero, -1), n)[..., None]
    before = pos < z
    out = np.multiply.accumulate(x, axis=-1)
    rev = np.add.accumulate((g * out)[..., ::-1], axis=-1)[..., ::-1]
    res = np.where(before, rev / np.where(before, x, 1), 0)
    skipped = np.multiply.accumulate(np.where(pos == z, 1, x), axis=-1)
    at_zero = np.add.reduce(np.where(pos >= z, g * skipped, 0), axis=-1, keepdims=True)
    res = np.where(pos == z, at_zero, res)
    return np.ascontiguousarray(np.moveaxis(res, -1, d))


def cumprod(input: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
    """Running products along ``dim`` (integers and bool accumulate in int64)."""
    data = input._data
    d, arr = _along(data, dim)
    acc = _scan_dtype(data, dtype, "cumprod_out_cpu")
    res = wrap(np.multiply.accumulate(arr, axis=d, dtype=acc).reshape(data.shape))
    node = record(res, CumprodBackward0, input)
    if node is not None:
        node.dim = d
        node.save(input, res.detach())
    return res


# -- cummax / cummin --------------------------------------------------------------------------
class CummaxBackward0(Node):
    """Each output's gradient goes to the element it copied; one element may feed many."""

    def backward(self, grad: Tensor, grad_indices: Any = None) -> tuple:
        (indices,) = self.saved()
        if not self.shape:
            return (grad,)
        from .creation import zeros
        return (zeros(self.shape, dtype=grad.dtype).scatter_add(self.dim, indices, grad),)


class CumminBackward0(CummaxBackward0):
    pass


def _cumulative_extreme(input: Tensor, dim: int, largest: bool) -> Any:
    data = input._data
    name = "cummax" if largest else "cummin"
    if data.ndim == 0 and dim not in (0, -1):
        raise IndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
    d, arr = _along(data, dim)
    ufunc = np.maximum if largest else np.minimum  # both propagate NaN, as torch does
    values = ufunc.accumulate(arr, axis=d) if arr.size else arr.copy()
    # An element takes over when it equals the running extreme (ties: the later one wins)
    # or is NaN (each NaN takes over from the previous one).
    takes_over = arr == values
    if arr.dtype.kind in "fc":
        takes_over |= np.isnan(arr)
    shape = [1] * arr.ndim
    shape[d] = arr.shape[d]
    pos = np.where(takes_over, np.arange(arr.shape[d]).reshape(shape), 0)
    indices = np.maximum.accumulate(pos, axis=d) if arr.size else pos
    vals = wrap(values.reshape(data.shape))
    idx = wrap(indices.astype(np.int64).reshape(data.shape))
    node = record(vals, CummaxBackward0 if largest else CumminBackward0, input)
    if node is not None:
        node.dim, node.shape = d, data.shape
        node.save(idx)
    return _return_type(name)(vals, idx)


def cummax(input: Tensor, dim: int) -> Any:
    """``(values, indices)``: the running maximum along ``dim`` and where it was found."""
    return _cumulative_extreme(input, dim, True)


def cummin(input: Tensor, dim: int) -> Any:
    """``(values, indices)``: the running minimum along ``dim`` and where it was found."""
    return _cumulative_extreme(input, dim, False)


# -- logcumsumexp -----------------------------------------------------------------------------
class LogcumsumexpBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        if not x.ndim:
            return (grad,)
        d = self.dim
        # grad_i = sum_{j>=i} g_j exp(x_i - out_j), summed in log space for stability,
        # positive and negative parts of g apart (the log of a negative is undefined).
        def part(g: Tensor) -> Tensor:
            rev = logcumsumexp((g.log() - res).flip(d), d).flip(d)
            return (x + rev).exp()
        return (part(grad.clamp(min=0)) - part((-grad).clamp(min=0)),)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(x)))`` along ``dim``, without overflow."""
    data = input._data
    if data.dtype.kind not in "fc":
        raise NotImplementedError('"logcumsumexp_out_cpu" not implemented for '
                                  f"'{D.scalar_type_name(input.dtype)}'")
    d, arr = _along(data, dim)
    with quiet():  # inf - inf inside logaddexp: NaN without a warning, as in torch
        value = np.logaddexp.accumulate(arr, axis=d) if arr.size else arr.copy()
    res = wrap(value.reshape(data.shape))
    node = record(res, LogcumsumexpBackward0, input)
    if node is not None:
        node.dim = d
        node.save(input, res.detach())
    return res


# -- nansum / nanmean -------------------------------------------------------------------------
class NansumBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        g = _expand_back(grad.to(x.dtype), x.shape, self.axes, self.keepdim)
        # A product, not masked_fill: an infinite gradient (nanmean of only NaN) gives NaN.
        with quiet():
            return (g * x.isnan().logical_not().to(g.dtype),)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *,
           dtype: D.dtype | None = None) -> Tensor:
    """Sum that treats NaN as zero."""
    data = input._data
    if data.dtype.kind == "c":
        raise RuntimeError("nansum on CPU does not support complex inputs")
    axes = _axes(dim, data.ndim)
    kd = keepdim and data.ndim > 0
    acc = _acc_dtype(data, dtype)
    clean = np.where(np.isnan(data), 0, data) if data.dtype.kind == "f" else data
    with quiet():  # inf + -inf: NaN without a warning, as in torch
        res = wrap(np.asarray(np.add.reduce(clean, axis=axes, dtype=acc, keepdims=kd)))
    if acc is np.float32 and dtype is None:  # half accumulates in float32, as in ``sum``
        res._data = res._data.astype(np.float16)
    node = record(res, NansumBackward0, input)
    if node is not None:
        node.axes, node.keepdim = axes, kd
        node.save(input)
    return res


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
            dtype: D.dtype | None = None) -> Tensor:
    """Mean of the non-NaN elements (NaN where there are none)."""
    if input._data.dtype.kind not in "fc":
        raise RuntimeError("nanmean(): expected input to have floating point or complex "
                           f"dtype but got {D.scalar_type_name(input.dtype)}")
    # As in torch, a composite: its gradient flows through DivBackward0 and NansumBackward0.
    count = input.isnan().logical_not().sum(dim, keepdim)
    total = nansum(input, dim, keepdim, dtype=dtype)
    with quiet():
        return total / count


# -- median / nanmedian / kthvalue --------------------------------------------------------------
class MedianBackward0(Node):
    """Full median: the gradient is shared evenly by the elements equal to the result."""

    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        mask = (x == res) | (x.isnan() & res.isnan())
        mask = mask.to(grad.dtype)
        return (grad * mask / mask.sum(),)


class NanmedianBackward0(MedianBackward0):
    pass


class MedianBackward1(MaxBackward0):  # with dim: the gradient goes to the returned index
    pass


class NanmedianBackward1(MaxBackward0):
    pass


class KthvalueBackward0(MaxBackward0):
    pass


class ModeBackward0(MaxBackward0):
    pass


def _refuse_bool(data: np.ndarray, kernel: str) -> None:
    if data.dtype.kind == "b":
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _nan_count(data: np.ndarray, axis: Any) -> Any:
    # ``x != x`` is NaN for floats and always False for integers (where isnan refuses).
    return np.add.reduce(data != data, axis=axis, dtype=np.int64)


def _full_median(input: Tensor, skip_nan: bool) -> Tensor:
    data = input._data
    _refuse_bool(data, "median_cpu")  # nanmedian too names this kernel
    flat = np.sort(data.reshape(-1))  # NaN sorts last
    nans = int(_nan_count(flat, None)) if flat.size else 0
    if flat.size == 0 or (nans and not skip_nan) or nans == flat.size:
        value = np.asarray(np.nan, data.dtype)
    else:
        value = flat[(flat.size - nans - 1) // 2]
    res = wrap(np.asarray(value, data.dtype))
    node = record(res, NanmedianBackward0 if skip_nan else MedianBackward0, input)
    if node is not None:
        node.save(input, res.detach())
    return res


def _pick_sorted(input: Tensor, dim: int, keepdim: bool, name: str, node_type: type,
                 position: Any) -> Any:
    """``(values, indices)`` of the element at sorted ``position`` along ``dim``.

    ``position(n, nans)`` gives, per slice, the place in a stable ascending sort (NaN last)
    from the slice's length and its NaN count."""
    data = input._data
    d = wrap_dim(int(dim), data.ndim)
    if data.ndim == 0:
        order, at = np.zeros((), np.int64), None
    else:
        if data.shape[d] == 0:
            raise _empty_error("median" if name == "nanmedian" else name, d)
        order = np.argsort(data, axis=d, kind="stable")
        at = np.expand_dims(np.asarray(position(data.shape[d], _nan_count(data, d))), d)
    return _returned(input, order, at, d, keepdim, name, node_type)


def _returned(input: Tensor, order: np.ndarray, at: Any, d: int, keepdim: bool, name: str,
              node_type: type) -> Any:
    """Values and indices for sorted positions ``at`` (None for a 0-d input)."""
    data = input._data
    if at is None:
        values, indices = data.copy(), order
    else:
        indices = np.take_along_axis(order, at.astype(np.intp), axis=d)
        values = np.take_along_axis(data, indices, axis=d)
        if not keepdim:
            values, indices = values.squeeze(d), indices.squeeze(d)
    vals, idx = wrap(values), wrap(indices.astype(np.int64))
    node = record(vals, node_type, input)
    if node is not None:
        node.dim, node.keepdim, node.shape = d, keepdim, data.shape
        node.save(idx)
    return _return_type(name)(vals, idx)


def _median_position(n: int, nans: np.ndarray) -> np.ndarray:
    # With NaN, the first NaN (the first in a stable sort where NaN comes last).
    return np.where(nans > 0, n - nans, (n - 1) // 2)


def _nanmedian_position(n: int, nans: np.ndarray) -> np.ndarray:
    # The lower middle of the non-NaN values; with only NaN, the first NaN.
    return np.where(nans == n, 0, (n - nans - 1) // 2)


def median(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median of all elements (NaN if any is NaN); with ``dim``,
    ``(values, indices)`` along it."""
    if dim is None:
        return _full_median(input, False)
    _refuse_bool(input._data, "median_out")
    return _pick_sorted(input, dim, keepdim, "median", MedianBackward1, _median_position)


def nanmedian(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """``median`` that ignores NaN (NaN only where every element is NaN)."""
    if dim is None:
        return _full_median(input, True)
    _refuse_bool(input._data, "median_out")
    return _pick_sorted(input, dim, keepdim, "nanmedian", NanmedianBackward1,
                        _nanmedian_position)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """``(values, indices)`` of the ``k``-th smallest element along ``dim`` (1-based)."""
    data = input._data
    _refuse_bool(data, "kthvalue_cpu")
    d = wrap_dim(int(dim), data.ndim)
    if not 1 <= k <= (data.shape[d] if data.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _pick_sorted(input, d, keepdim, "kthvalue", KthvalueBackward0,
                        lambda n, nans: np.full(np.shape(nans), k - 1))


# -- mode -------------------------------------------------------------------------------------
def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """``(values, indices)`` of the most frequent value along ``dim`` (the smallest of
    equally frequent ones) and its last occurrence."""
    data = input._data
    d = wrap_dim(int(dim), data.ndim)
    if data.ndim == 0:
        return _returned(input, np.zeros((), np.int64), None, d, keepdim, "mode",
                         ModeBackward0)
    if data.shape[d] == 0:
        raise _empty_error("mode", d)
    order = np.argsort(data, axis=d, kind="stable")
    s = np.moveaxis(np.take_along_axis(data, order, axis=d), d, -1)
    n = s.shape[-1]
    pos = np.arange(n)
    starts = np.concatenate([np.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]],
                            axis=-1)
    run_start = np.maximum.accumulate(np.where(starts, pos, 0), axis=-1)
    ends = np.concatenate([starts[..., 1:], np.ones(s.shape[:-1] + (1,), bool)], axis=-1)
    # Run lengths at each run's last element; argmax takes the first (smallest) longest run.
    lengths = np.where(ends, pos - run_start + 1, 0)
    at = np.moveaxis(np.argmax(lengths, axis=-1)[..., None], -1, d)
    return _returned(input, order, at, d, keepdim, "mode", ModeBackward0)
