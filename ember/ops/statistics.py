"""Statistics: diff, aminmax, quantile, nanquantile.

Most of these are compositions of other ember ops (slicing, sort, gather, lerp), so their
gradients come for free and their ``grad_fn`` names follow torch's, which composes them the
same way. quantile propagates NaN (a slice holding NaN gives NaN, and its gradient goes to
the NaN); nanquantile skips NaN (an all-NaN slice gives NaN).

>>> import ember
>>> ember.diff(ember.tensor([1.0, 4.0, 9.0]))
tensor([3., 5.])
>>> ember.quantile(ember.tensor([0.0, 1.0, 2.0, 3.0]), 0.5)
tensor(1.5000)
>>> ember.aminmax(ember.tensor([2.0, -1.0, 5.0]))
ember.return_types.aminmax(
min=tensor(-1.),
max=tensor(5.))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, record, record_multi, wrap, wrap_dim
from ._errstate import quiet
from .reduction import _axes, _expand_back, _finish, _return_type

__all__ = ["diff", "aminmax", "quantile", "nanquantile"]
TENSOR_METHODS: tuple = ("diff", "aminmax", "quantile", "nanquantile")


# -- diff --------------------------------------------------------------------------------------
class CopyBackwards(Node):
    """``diff`` with ``n=0``: a copy of the input (torch's first edge is empty)."""

    def backward(self, grad: Tensor) -> tuple:
        return (None, grad)


# torch names the position even when the argument came by keyword (where it does not).
_POSITION = {"n": 2, "dim": 3, "prepend": 4, "append": 5}


def _check_border(name: str, t: Any, input: Tensor, d: int) -> None:
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise TypeError(f"diff(): argument '{name}' (position {_POSITION[name]}) must be "
                        f"Tensor, not {type(t).__name__}")
    if t.ndim != input.ndim:
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    for i, (a, b) in enumerate(zip(input.shape, t.shape)):
        if i != d and a != b:
            raise RuntimeError(
                "diff expects the shape of tensor to prepend or append to match that of input "
                f"except along the differencing dimension; input.size({i}) = {a}, but got "
                f"tensor.size({i}) = {b}")


def _need_int(name: str, value: Any) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"diff(): argument '{name}' (position {_POSITION[name]}) must be int, "
                        f"not {type(value).__name__}")
    return int(value)


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference along ``dim``, after joining ``prepend`` and
    ``append`` to ``input`` (bool tensors differ by exclusive or)."""
    n, dim = _need_int("n", n), _need_int("dim", dim)
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.ndim)
    _check_border("prepend", prepend, input, d)
    _check_border("append", append, input, d)
    if n == 0:  # torch ignores prepend/append here and copies
        res = wrap(input._data.copy())
        record(res, CopyBackwards, None, input)
        return res
    parts = [t for t in (prepend, input, append) if t is not None]
    x = input if len(parts) == 1 else _join(parts, d)
    lead = (slice(None),) * d
    for _ in range(n):
        if x.shape[d] == 0:  # torch hands an empty (joined) input back as it is
            break
        later, earlier = x[lead + (slice(1, None),)], x[lead + (slice(None, -1),)]
        with quiet():  # inf - inf
            x = later != earlier if x.dtype is D.bool else later - earlier
    return x


def _join(parts: list, d: int) -> Tensor:
    from .join import cat
    return cat(parts, d)


# -- aminmax -----------------------------------------------------------------------------------
_aminmax = _return_type("aminmax", ("min", "max"))


def _evenly(grad: Tensor, x: Tensor, res: Tensor, axes: tuple, keepdim: bool) -> Tensor:
    """An extreme's gradient, shared evenly among the elements equal to it."""
    mask = (x == _expand_back(res, x.shape, axes, keepdim)).to(grad.dtype)
    count = mask.sum(axes, keepdim=True) if axes else mask
    return _expand_back(grad, x.shape, axes, keepdim) * mask / count


class AminmaxBackward0(Node):
    def backward(self, grad_min: Any, grad_max: Any) -> tuple:
        x, lo, hi = self.saved()
        total = None
        for g, res in ((grad_min, lo), (grad_max, hi)):
            if g is not None:
                part = _evenly(g, x, res, self.axes, self.keepdim)
                total = part if total is None else total + part
        return (total,)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``(min, max)`` of all elements, or along ``dim``; NaN propagates."""
    data = input._data
    if data.dtype.kind == "c":
        raise NotImplementedError(
            f"\"aminmax_cpu\" not implemented for '{D.scalar_type_name(input.dtype)}'")
    if dim is None:
        if data.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
    elif not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    else:
        d = wrap_dim(int(dim), data.ndim)
        if data.ndim and data.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    axes = _axes(dim, data.ndim)
    kd = keepdim and data.ndim > 0
    lo = wrap(np.asarray(np.minimum.reduce(data, axis=axes, keepdims=kd)))
    hi = wrap(np.asarray(np.maximum.reduce(data, axis=axes, keepdims=kd)))
    node = record_multi([lo, hi], AminmaxBackward0, input)
    if node is not None:
        node.axes, node.keepdim = axes, kd
        node.save(input, lo.detach(), hi.detach())
    return _aminmax(lo, hi)


# -- quantile ----------------------------------------------------------------------------------
class SqueezeBackward4(Node):
    """The last step of quantile: the result takes its final shape."""

    def backward(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.shape),)


class TransposeBackward1(Node):
    """Quantile of several q: their dimension moves from last to first."""

    def backward(self, grad: Tensor) -> tuple:
        return (grad.movedim(0, -1),)


def _reshaped(t: Tensor, data: np.ndarray, node_type: type) -> Tensor:
    res = wrap(data)
    node = record(res, node_type, t)
    if node is not None:
        node.shape = t.shape
    return res


_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_checks(input: Tensor, q: Any, interpolation: str) -> np.ndarray:
    """q as a 1-d array of the input's dtype, after torch's checks in torch's order."""
    if not isinstance(q, Tensor):
        if not isinstance(q, (int, float, np.integer, np.floating)):
            raise TypeError(f"quantile() received an invalid combination of arguments - got "
                            f"(Tensor, {type(q).__name__}), but expected a Tensor or a float q")
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q:g}")
    if interpolation not in _MODES:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if isinstance(q, Tensor) and q.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if input._data.dtype not in (np.float32, np.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if isinstance(q, Tensor) and q.dtype is not input.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    return np.asarray(q._data if isinstance(q, Tensor) else q, input._data.dtype).reshape(-1)


def _ranks(values: np.ndarray, qs: np.ndarray, ignore_nan: bool) -> np.ndarray:
    """Fractional positions of the quantiles in each sorted row, shape (..., len(q))."""
    nan = np.isnan(values)
    if ignore_nan:  # among the numbers only; an all-NaN row reads position 0 (a NaN)
        count = np.add.reduce(~nan, axis=-1, keepdims=True).astype(values.dtype)
        return np.maximum(qs * (count - 1), 0)
    last = values.shape[-1] - 1
    ranks = np.broadcast_to(qs * values.dtype.type(last), values.shape[:-1] + qs.shape)
    return np.where(np.logical_or.reduce(nan, axis=-1, keepdims=True), last, ranks)


def _interpolate(rows: Tensor, ranks: np.ndarray, mode: str) -> Tensor:
    def pick(positions: np.ndarray) -> Tensor:
        return rows.gather(-1, wrap(positions.astype(np.int64)))

    if mode in ("lower", "higher", "nearest"):
        rounding = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}[mode]
        return pick(rounding(ranks))  # np.round: halves to even, as torch
    below, above = np.floor(ranks), np.ceil(ranks)
    weights = ranks - below
    if mode == "midpoint":
        weights = np.where(weights > 0, 0.5, 0).astype(ranks.dtype)
    from .pointwise import lerp
    return lerp(pick(below), pick(above), wrap(np.ascontiguousarray(weights)))


def _quantile(input: Tensor, q: Any, dim: int | None, keepdim: bool, interpolation: str,
              out: Tensor | None, ignore_nan: bool) -> Tensor:
    qs = _quantile_checks(input, q, interpolation)
    shape = input.shape
    if dim is None:
        rows, kept = input.reshape(-1), (1,) * len(shape) if keepdim else ()
    else:
        d = wrap_dim(int(dim), input.ndim)
        rows = input.movedim(d, -1) if input.ndim else input.reshape(1)
        kept = tuple(1 if i == d else s for i, s in enumerate(shape) if keepdim or i != d)
    if isinstance(q, Tensor) and not ((q._data >= 0) & (q._data <= 1)).all():  # NaN fails
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    rows = rows.sort(-1).values  # stable, NaN last
    with quiet():
        res = _interpolate(rows, _ranks(rows._data, qs, ignore_nan), interpolation)
    if isinstance(q, Tensor) and q.ndim == 1:
        res = _reshaped(res, np.moveaxis(res._data, -1, 0), TransposeBackward1)
        kept = (len(qs),) + kept
    return _finish(_reshaped(res, res._data.reshape(kept), SqueezeBackward4), out, "quantile")


def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear", out: Tensor | None = None) -> Tensor:
    """The ``q``-th quantiles (q a float or a 1-d tensor) of all elements or along ``dim``;
    a slice holding NaN gives NaN. Several q add a leading dimension."""
    return _quantile(input, q, dim, keepdim, interpolation, out, False)


def nanquantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear", out: Tensor | None = None) -> Tensor:
    """``quantile`` ignoring NaN (a slice of NaN only gives NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, out, True)
