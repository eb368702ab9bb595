"""Elementwise unary math: exp, log, sqrt, trig, abs, clamp, and friends.

Integer inputs to floating functions produce the default float dtype, as in torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtype import get_default_dtype
from ..autograd.graph import Node
from ._core import Tensor, check_inplace, record, wrap

__all__ = ["exp", "log", "log1p", "log2", "log10", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan",
           "abs", "sign", "floor", "ceil", "round", "trunc", "clamp", "clip", "square",
           "exp_", "log_", "sqrt_", "abs_", "clamp_", "neg_", "sin_", "cos_", "erf", "isnan",
           "isinf", "isfinite", "nan_to_num"]


def _float_data(t: Tensor):
    d = t._data
    return d if d.dtype.kind in "fc" else d.astype(get_default_dtype().np)


def _unary(np_fn, node_type: type | None, t: Tensor, save: str | None):
    """Apply ``np_fn`` and record ``node_type`` saving the input ('in') or result ('out')."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        res = wrap(np_fn(_float_data(t)))
    if node_type is not None:
        node = record(res, node_type, t)
        if node is not None and save is not None:
            node.save(t if save == "in" else res.detach())
    return res


class ExpBackward0(Node):
    def backward(self, grad):
        (res,) = self.saved()
        return (grad * res,)


def exp(input: Tensor, *, out: Any = None) -> Tensor:
    return _unary(np.exp, ExpBackward0, input, "out")


class Expm1Backward0(Node):
    def backward(self, grad):
        (res,) = self.saved()
        return (grad * (res + 1),)


def expm1(input: Tensor) -> Tensor:
    return _unary(np.expm1, Expm1Backward0, input, "out")


class LogBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad / x,)


def log(input: Tensor, *, out: Any = None) -> Tensor:
    return _unary(np.log, LogBackward0, input, "in")


class Log2Backward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad / (x * float(np.log(2.0))),)


def log2(input: Tensor) -> Tensor:
    return _unary(np.log2, Log2Backward0, input, "in")


class Log10Backward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad / (x * float(np.log(10.0))),)


def log10(input: Tensor) -> Tensor:
    return _unary(np.log10, Log10Backward0, input, "in")


class Log1PBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad / (x + 1),)


def log1p(input: Tensor) -> Tensor:
    return _unary(np.log1p, Log1PBackward0, input, "in")


class SqrtBackward0(Node):
    def backward(self, grad):
        (res,) = self.saved()
        return (grad / (res * 2),)


def sqrt(input: Tensor, *, out: Any = None) -> Tensor:
    return _unary(np.sqrt, SqrtBackward0, input, "out")


class RsqrtBackward0(Node):
    def backward(self, grad):
        (res,) = self.saved()
        return (grad * res * res * res * -0.5,)


def _rsqrt(a):
    return 1 / np.sqrt(a)


def rsqrt(input: Tensor) -> Tensor:
    return _unary(_rsqrt, RsqrtBackward0, input, "out")


class SinBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad * x.cos(),)


def sin(input: Tensor) -> Tensor:
    return _unary(np.sin, SinBackward0, input, "in")


class CosBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad * -x.sin(),)


def cos(input: Tensor) -> Tensor:
    return _unary(np.cos, CosBackward0, input, "in")


class TanBackward0(Node):
    def backward(self, grad):
        (res,) = self.saved()
        return (grad * (res * res + 1),)


def tan(input: Tensor) -> Tensor:
    return _unary(np.tan, TanBackward0, input, "out")


class ErfBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad * (x * x * -1).exp() * float(2 / np.sqrt(np.pi)),)


def _erf(a):
    from scipy.special import erf as sp_erf  # noqa: PLC0415 - scipy is loaded only when needed
    return sp_erf(a).astype(a.dtype, copy=False)


def erf(input: Tensor) -> Tensor:
    return _unary(_erf, ErfBackward0, input, "in")


class AbsBackward0(Node):
    def backward(self, grad):
        (x,) = self.saved()
        return (grad * x.sign(),)


def abs(input: Tensor, *, out: Any = None) -> Tensor:  # noqa: A001
    res = wrap(np.abs(input._data))
    node = record(res, AbsBackward0, input)
    if node is not None:
        node.save(input)
    return res


class SignBackward0(Node):
    def backward(self, grad):
        return (grad * 0,)


def sign(input: Tensor) -> Tensor:
    res = wrap(np.sign(input._data))
    record(res, SignBackward0, input)
    return res


class _ZeroGrad(Node):
    def backward(self, grad):
        return (grad * 0,)


class FloorBackward0(_ZeroGrad):
    pass


class CeilBackward0(_ZeroGrad):
    pass


class RoundBackward0(_ZeroGrad):
    pass


class TruncBackward0(_ZeroGrad):
    pass


def _rounding(np_fn, node_type, t: Tensor) -> Tensor:
    if t._data.dtype.kind in "biu":
        return wrap(t._data.copy())
    res = wrap(np_fn(t._data))
    record(res, node_type, t)
    return res


def floor(input: Tensor) -> Tensor:
    return _rounding(np.floor, FloorBackward0, input)


def ceil(input: Tensor) -> Tensor:
    return _rounding(np.ceil, CeilBackward0, input)


def trunc(input: Tensor) -> Tensor:
    return _rounding(np.trunc, TruncBackward0, input)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001
    # np.round rounds half to even, which is what torch does too.
    return _rounding(lambda a: np.round(a, decimals), RoundBackward0, input)




def square(input: Tensor) -> Tensor:
    return input * input if input._data.dtype.kind in "fc" else input.pow(2)


# -- clamp ---------------------------------------------------------------------------------
class ClampBackward1(Node):
    def backward(self, grad):
        (x,) = self.saved()
        mask = None
        if self.lo is not None:
            mask = x >= self.lo
        if self.hi is not None:
            upper = x <= self.hi
            mask = upper if mask is None else mask & upper
        return (grad * mask.to(grad.dtype),)


class ClampBackward0(Node):  # tensor bounds
    def backward(self, grad):
        x, lo, hi = self.saved()
        mask = None
        if lo is not None:
            mask = x >= lo
        if hi is not None:
            upper = x <= hi
            mask = upper if mask is None else mask & upper
        return (grad * mask.to(grad.dtype), None, None)


def clamp(input: Tensor, min: Any = None, max: Any = None, *, out: Any = None) -> Tensor:  # noqa: A002
    """Limit values to ``[min, max]`` (either bound may be None; tensors broadcast)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    tensor_bounds = isinstance(min, Tensor) or isinstance(max, Tensor)
    lo = min._data if isinstance(min, Tensor) else min
    hi = max._data if isinstance(max, Tensor) else max
    data = input._data
    if not tensor_bounds and data.dtype.kind in "biu" and (
            isinstance(lo, float) or isinstance(hi, float)):
        data = data.astype(get_default_dtype().np)
    if lo is not None and hi is not None:
        res = np.minimum(np.maximum(data, lo), hi)
    elif lo is not None:
        res = np.maximum(data, lo)
    else:
        res = np.minimum(data, hi)
    if not tensor_bounds and res.dtype != data.dtype:
        res = res.astype(data.dtype)
    res = wrap(res)
    if tensor_bounds:
        node = record(res, ClampBackward0, input, min, max)
        if node is not None:
            node.save(input, min if isinstance(min, Tensor) else None,
                      max if isinstance(max, Tensor) else None)
    else:
        node = record(res, ClampBackward1, input)
        if node is not None:
            node.save(input)
            node.lo, node.hi = min, max
    return res


clip = clamp


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    from .arithmetic import _inplace
    return _inplace(self, clamp(self.clone() if self._requires_grad else self, min, max))


# -- predicates (never differentiable) ------------------------------------------------------
def isnan(input: Tensor) -> Tensor:
    return wrap(np.isnan(input._data))


def isinf(input: Tensor) -> Tensor:
    return wrap(np.isinf(input._data))


def isfinite(input: Tensor) -> Tensor:
    return wrap(np.isfinite(input._data))


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    return wrap(np.nan_to_num(input._data, nan=nan, posinf=posinf, neginf=neginf))


# -- in-place forms -------------------------------------------------------------------------
def _make_inplace(fn):
    def inplace(self: Tensor) -> Tensor:
        from .arithmetic import _inplace
        if not self._requires_grad:
            check_inplace(self)
        return _inplace(self, fn(self.clone() if self._requires_grad else self))
    inplace.__name__ = fn.__name__ + "_"
    return inplace


exp_ = _make_inplace(exp)
log_ = _make_inplace(log)
sqrt_ = _make_inplace(sqrt)
abs_ = _make_inplace(abs)
sin_ = _make_inplace(sin)
cos_ = _make_inplace(cos)


def neg_(self: Tensor) -> Tensor:
    from .arithmetic import _inplace, neg
    return _inplace(self, neg(self))
