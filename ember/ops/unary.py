"""Elementwise unary math: exp, log, sqrt, trig, abs, rounding, clamp, and their in-place forms.

Integer and bool inputs to floating functions produce the default float dtype, as in torch.
Each in-place form computes the out-of-place result and stores it through ``_inplace``,
which checks dtypes, bumps the version counter and moves the history onto the tensor.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, check_scalar, record, wrap
from ._errstate import quiet
from ._binary import _inplace, _meta, _reduce, _write_out
from .arithmetic import pow

__all__ = ["neg", "reciprocal", "exp", "log", "log1p", "log2", "log10", "expm1", "sqrt", "rsqrt",
           "sin", "cos", "tan", "abs", "sign", "floor", "ceil", "round", "trunc", "clamp", "clip",
           "square", "erf", "isnan", "isinf", "isfinite", "nan_to_num", "exp_", "log_", "log1p_",
           "log2_", "log10_", "expm1_", "sqrt_", "rsqrt_", "sin_", "cos_", "tan_", "abs_", "sign_",
           "floor_", "ceil_", "round_", "trunc_", "clamp_", "clip_", "square_", "erf_",
           "nan_to_num_", "neg_", "reciprocal_"]


def _float_data(t: Tensor) -> np.ndarray:
    d = t._data
    return d if d.dtype.kind in "fc" else d.astype(D._defaults.float.np)


def _unary(np_fn: Callable, node_type: type, t: Tensor, save: str | None, out: Any,
           name: str) -> Tensor:
    """Apply ``np_fn`` and record ``node_type`` saving the input ('in') or result ('out')."""
    with quiet():
        res = wrap(np_fn(_float_data(t)))
    node = record(res, node_type, t)
    if node is not None and save is not None:
        node.save(t if save == "in" else res.detach())
    return res if out is None else _write_out(res, out, name)


# -- negation and reciprocal ---------------------------------------------------------------
class NegBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (-grad,)


def neg(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``-input``; bool tensors are refused (use ``~`` / ``logical_not``)."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    res = wrap(np.negative(input._data))
    record(res, NegBackward0, input)
    return res if out is None else _write_out(res, out, "neg")


class ReciprocalBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (res,) = self.saved()
        return (-grad * (res * res),)


def reciprocal(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``1 / input``; integer tensors give the default float dtype."""
    data = input._data
    if data.dtype.kind in "biu":
        data = data.astype(D._defaults.float.np)
    with quiet():
        res = wrap(np.reciprocal(data))
    node = record(res, ReciprocalBackward0, input)
    if node is not None:
        node.save(res.detach())
    return res if out is None else _write_out(res, out, "reciprocal")


# -- exponentials and logarithms ----------------------------------------------------------------
class ExpBackward0(Node):
    def backward(self, grad):
        (res,) = self.saved()
        return (grad * res,)


def exp(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``e ** input``."""
    return _unary(np.exp, ExpBackward0, input, "out", out, "exp")


class Expm1Backward0(Node):
    def backward(self, grad):
        (res,) = self.saved()
        return (grad * (res + 1),)


def expm1(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``exp(input) - 1``, accurate near 0."""
    return _unary(np.expm1, Expm1Backward0, input, "out", out, "expm1")


class LogBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad / x,)


def log(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Natural logarithm (``-inf`` at 0, NaN below)."""
    return _unary(np.log, LogBackward0, input, "in", out, "log")


class Log2Backward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad / (x * float(np.log(2.0))),)


def log2(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _unary(np.log2, Log2Backward0, input, "in", out, "log2")


class Log10Backward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad / (x * float(np.log(10.0))),)


def log10(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _unary(np.log10, Log10Backward0, input, "in", out, "log10")


class Log1PBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad / (x + 1),)


def log1p(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``log(1 + input)``, accurate near 0."""
    return _unary(np.log1p, Log1PBackward0, input, "in", out, "log1p")


class SqrtBackward0(Node):
    def backward(self, grad):
        (res,) = self.saved()
        return (grad / (res * 2),)


def sqrt(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _unary(np.sqrt, SqrtBackward0, input, "out", out, "sqrt")


class RsqrtBackward0(Node):
    def backward(self, grad):
        (res,) = self.saved()
        return (grad * (res * res * res) * -0.5,)


def _rsqrt(a: np.ndarray) -> np.ndarray:
    return np.reciprocal(np.sqrt(a))


def rsqrt(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``1 / sqrt(input)``."""
    return _unary(_rsqrt, RsqrtBackward0, input, "out", out, "rsqrt")


# -- trigonometry and erf ----------------------------------------------------------------------
class SinBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad * x.cos(),)


def sin(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _unary(np.sin, SinBackward0, input, "in", out, "sin")


class CosBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad * -x.sin(),)


def cos(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _unary(np.cos, CosBackward0, input, "in", out, "cos")


class TanBackward0(Node):
    def backward(self, grad):
        (res,) = self.saved()
        return (grad * (res * res + 1),)


def tan(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _unary(np.tan, TanBackward0, input, "out", out, "tan")


class ErfBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad * (x * x * -1).exp() * float(2 / np.sqrt(np.pi)),)


def _erf(a: np.ndarray) -> np.ndarray:
    from scipy.special import erf as sp_erf  # scipy is loaded only when erf is used
    return sp_erf(a).astype(a.dtype, copy=False)


def erf(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The Gauss error function."""
    return _unary(_erf, ErfBackward0, input, "in", out, "erf")


# -- sign-like and rounding ---------------------------------------------------------------------
def _refuse_bool(t: Tensor, kernel: str) -> None:
    if t._data.dtype == np.bool_:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


class AbsBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad * x.sign(),)


def abs(input: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """Absolute value (integers stay integers)."""
    _refuse_bool(input, "abs_cpu")
    res = wrap(np.abs(input._data))
    node = record(res, AbsBackward0, input)
    if node is not None:
        node.save(input)
    return res if out is None else _write_out(res, out, "abs")


class _ZeroGrad(Node):
    """Piecewise-constant functions: the gradient is zero wherever it exists."""

    def backward(self, grad):
        return (grad * 0,)


class SignBackward0(_ZeroGrad):
    pass


def sign(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """-1, 0 or 1 by the sign of each element (bools are their own sign)."""
    d = input._data
    if d.dtype == np.bool_:
        res = wrap(d.copy())
    elif d.dtype.kind == "f":
        res = wrap(np.where(np.isnan(d), 0, np.sign(d)))  # torch gives 0 for NaN
    else:
        res = wrap(np.sign(d))
    record(res, SignBackward0, input)
    return res if out is None else _write_out(res, out, "sign")


class FloorBackward0(_ZeroGrad):
    pass


class CeilBackward0(_ZeroGrad):
    pass


class RoundBackward0(_ZeroGrad):
    pass


class RoundBackward1(_ZeroGrad):  # round with decimals=
    pass


class TruncBackward0(_ZeroGrad):
    pass


def _rounding(np_fn: Callable, node_type: type, t: Tensor, kernel: str, out: Any,
              name: str) -> Tensor:
    _refuse_bool(t, kernel)
    if t._data.dtype.kind in "iu":  # already integral: a copy, never differentiable
        res = wrap(t._data.copy())
    else:
        res = wrap(np_fn(t._data))
        record(res, node_type, t)
    return res if out is None else _write_out(res, out, name)


def floor(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _rounding(np.floor, FloorBackward0, input, "floor_vml_cpu", out, "floor")


def ceil(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _rounding(np.ceil, CeilBackward0, input, "ceil_vml_cpu", out, "ceil")


def trunc(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _rounding(np.trunc, TruncBackward0, input, "trunc_vml_cpu", out, "trunc")


def round(input: Tensor, *, decimals: int | None = None,  # noqa: A001
          out: Tensor | None = None) -> Tensor:
    """Round half to even (like torch); ``decimals`` rounds to that many decimal places."""
    if decimals is None:
        return _rounding(np.rint, RoundBackward0, input, "round_vml_cpu", out, "round")
    return _rounding(lambda a: _round_decimals(a, int(decimals)), RoundBackward1, input,
                     "round_vml_cpu", out, "round")


def _round_decimals(a: np.ndarray, decimals: int) -> np.ndarray:
    # Scale, round half to even, unscale, in the input's precision (as torch computes it).
    scale = a.dtype.type(10.0 ** builtins.abs(decimals))
    with quiet():
        if decimals >= 0:
            return np.rint(a * scale) / scale
        return np.rint(a / scale) * scale


def square(input: Tensor, *, out: Any = None) -> Tensor:
    """``input ** 2`` (recorded as a power, as torch does; ints and bools give int64)."""
    return pow(input if input._data.dtype.kind != "b" else input.long(), 2, out=out)


# -- clamp ---------------------------------------------------------------------------------
class ClampBackward1(Node):  # Python-number bounds
    def backward(self, grad):
        (x,) = self.saved()
        if self.lo is not None and self.hi is not None:
            mask = (x >= self.lo) & (x <= self.hi)
        else:
            mask = x >= self.lo if self.lo is not None else x <= self.hi
        return (grad * mask,)


class ClampBackward0(Node):  # tensor bounds: the gradient goes to whichever value was chosen
    def backward(self, grad):
        x, lo, hi = self.saved()
        m_x, m_lo, m_hi = self.meta
        if lo is not None and hi is not None:
            x_mask, lo_mask = (x >= lo) & (x <= hi), (x < lo) & (lo < hi)
            hi_mask = (x > hi) | (lo > hi)
        elif lo is not None:
            x_mask, lo_mask, hi_mask = x >= lo, x < lo, None
        else:
            x_mask, lo_mask, hi_mask = x <= hi, None, x > hi
        return (_reduce(grad * x_mask, m_x),
                None if m_lo is None else _reduce(grad * lo_mask, m_lo),
                None if m_hi is None else _reduce(grad * hi_mask, m_hi))


def clamp(input: Tensor, min: Any = None, max: Any = None, *,  # noqa: A002
          out: Tensor | None = None) -> Tensor:
    """Limit values to ``[min, max]`` (either bound may be None; tensor bounds broadcast).

    >>> ember.tensor([-2.0, 0.5, 3.0]).clamp(-1, 1)
    tensor([-1.0000,  0.5000,  1.0000])
    """
    if min is None and max is None:
        raise RuntimeError("ember.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        res = _clamp_tensor_bounds(input, min, max)
    else:
        data = input._data
        if data.dtype.kind == "f":  # the common case: number bounds never change a float dtype
            dt = data.dtype
        else:
            dt = D.result_type(*(x for x in (input, min, max) if x is not None)).np
            data = data if data.dtype == dt else data.astype(dt)
        min, max = (None if b is None else check_scalar(b, dt) for b in (min, max))
        res = np.minimum(np.maximum(data, min), max) if min is not None and max is not None \
            else np.maximum(data, min) if min is not None else np.minimum(data, max)
        res = wrap(res.astype(dt, copy=False))
        node = record(res, ClampBackward1, input)
        if node is not None:
            node.save(input)
            node.lo, node.hi = min, max
    return res if out is None else _write_out(res, out, "clamp")


def _clamp_tensor_bounds(input: Tensor, lo: Any, hi: Any) -> Tensor:
    dt = D.result_type(*(x for x in (input, lo, hi) if x is not None)).np
    r = input._data.astype(dt, copy=False)
    if lo is not None:
        r = np.maximum(r, lo._data if isinstance(lo, Tensor) else lo)
    if hi is not None:
        r = np.minimum(r, hi._data if isinstance(hi, Tensor) else hi)
    res = wrap(np.asarray(r, dtype=dt))
    node = record(res, ClampBackward0, input, lo, hi)
    if node is not None:
        node.meta = (_meta(input), _meta(lo), _meta(hi))
        node.save(input, lo if isinstance(lo, Tensor) else None,
                  hi if isinstance(hi, Tensor) else None)
    return res


clip = clamp


# -- predicates (never differentiable) ------------------------------------------------------
def isnan(input: Tensor) -> Tensor:
    return wrap(np.isnan(input._data))


def isinf(input: Tensor) -> Tensor:
    return wrap(np.isinf(input._data))


def isfinite(input: Tensor) -> Tensor:
    return wrap(np.isfinite(input._data))


class NanToNumBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad * x.isfinite(),)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None, *, out: Tensor | None = None) -> Tensor:
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default: dtype limits)."""
    d = input._data
    if d.dtype.kind not in "fc":
        res = wrap(d.copy())
    else:
        res = wrap(np.nan_to_num(d, nan=nan, posinf=posinf, neginf=neginf))
        node = record(res, NanToNumBackward0, input)
        if node is not None:
            node.save(input)
    return res if out is None else _write_out(res, out, "nan_to_num")


# -- in-place forms -------------------------------------------------------------------------
def _make_inplace(fn: Callable) -> Callable:
    def inplace(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return _inplace(self, fn(self, *args, **kwargs))
    inplace.__name__ = inplace.__qualname__ = fn.__name__ + "_"
    inplace.__doc__ = f"In-place form of ``{fn.__name__}``."
    return inplace


exp_ = _make_inplace(exp)
expm1_ = _make_inplace(expm1)
log_ = _make_inplace(log)
log1p_ = _make_inplace(log1p)
log2_ = _make_inplace(log2)
log10_ = _make_inplace(log10)
sqrt_ = _make_inplace(sqrt)
rsqrt_ = _make_inplace(rsqrt)
sin_ = _make_inplace(sin)
cos_ = _make_inplace(cos)
tan_ = _make_inplace(tan)
erf_ = _make_inplace(erf)
abs_ = _make_inplace(abs)
sign_ = _make_inplace(sign)
floor_ = _make_inplace(floor)
ceil_ = _make_inplace(ceil)
round_ = _make_inplace(round)
trunc_ = _make_inplace(trunc)
clamp_ = _make_inplace(clamp)
clip_ = clamp_
square_ = _make_inplace(square)
nan_to_num_ = _make_inplace(nan_to_num)
neg_ = _make_inplace(neg)
reciprocal_ = _make_inplace(reciprocal)
