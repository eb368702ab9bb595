"""Differentiable special functions of ``ember.special`` that ember had no op for.

Kernels run in float64 and the result takes the input's float dtype (integer and bool
inputs give the default float dtype). Each forward sits above its backward node; the
backward formulas are written with ember ops, so they differentiate again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..ops._binary import _meta, _reduce, _write_out
from ..ops._core import Tensor, record, require_tensor, wrap
from ..ops._errstate import quiet
from ..ops.compare import where
from ..ops.pointwise import _apply, _float_operands
from ..ops.special_math import _float_apply, _i1, lgamma
from . import _kernels as K

__all__ = ["entr", "erfcx", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "xlog1py",
           "zeta", "gammainc", "gammaincc"]

_SQRT_2PI = math.sqrt(2 * math.pi)


def _unary(input: Tensor, name: str, fn: Callable, node_type: type | None,
           out: Tensor | None) -> Tensor:
    """``fn`` on ``input`` (torch's "<name>_cpu" error for complex input), recorded."""
    res = _float_apply(input, fn, f"{name}_cpu")
    if node_type is not None:
        node = record(res, node_type, input)
        if node is not None:
            node.save(input)
    return _write_out(res, out, f"special_{name}")


def _sp(name: str) -> Callable:
    return lambda a: getattr(K.scipy_special(), name)(a)


class SpecialEntrBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (grad * -(x.log() + 1),)


def entr(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``-x log(x)`` elementwise (0 at 0, -inf below 0)."""
    return _unary(input, "entr", K.entr, SpecialEntrBackward0, out)


class SpecialErfcxBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (grad * (2 * x * erfcx(x) - 2 / math.sqrt(math.pi)),)


def erfcx(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The scaled complementary error function ``exp(x**2) * erfc(x)``."""
    return _unary(input, "erfcx", _sp("erfcx"), SpecialErfcxBackward0, out)


class SpecialI0EBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (grad * (i1e(x) - x.sign() * i0e(x)),)


def i0e(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The exponentially scaled Bessel function ``exp(-|x|) * I0(x)``."""
    return _unary(input, "i0e", _sp("i0e"), SpecialI0EBackward0, out)


def i1(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The modified Bessel function of the first kind, order 1."""
    if input._data.dtype.kind == "c":
        _float_apply(input, np.abs, "i1_cpu")  # raises torch's error
    return _write_out(_i1(input), out, "special_i1")


class SpecialI1EBackward0(Node):
    # d/dx e^-|x| I1(x) = i0e(x) - i1e(x) (sign(x) + 1/x), whose limit at 0 is 1/2.
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        zero = x == 0
        safe = where(zero, 1.0, x)
        return (grad * where(zero, 0.5, i0e(x) - i1e(x) * (x.sign() + 1 / safe)),)


def i1e(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The exponentially scaled Bessel function ``exp(-|x|) * I1(x)``."""
    return _unary(input, "i1e", _sp("i1e"), SpecialI1EBackward0, out)


def ndtr(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The standard normal cumulative distribution function."""
    from ..ops.unary import erf
    if input._data.dtype.kind == "c":
        raise NotImplementedError(f'"erf_vml_cpu" not implemented for '
                                  f"'{D.scalar_type_name(input._data.dtype)}'")
    if input._data.dtype.kind in "biu":
        input = input.to(D._defaults.float)
    res = (1 + erf(input * (1 / math.sqrt(2)))) * 0.5
    return _write_out(res, out, "special_ndtr")


class SpecialNdtriBackward0(Node):
    # The inverse's derivative: 1 / ndtr'(ndtri(p)) = sqrt(2 pi) exp(ndtri(p)**2 / 2).
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (grad * _SQRT_2PI * (ndtri(x).square() * 0.5).exp(),)


def ndtri(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The inverse of ``ndtr`` (the standard normal quantile function)."""
    return _unary(input, "ndtri", _sp("ndtri"), SpecialNdtriBackward0, out)


class SpecialLogNdtrBackward0(Node):
    # pdf(x) / ndtr(x), formed as exp(-x**2/2 - log_ndtr(x)) so it stays finite far left.
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (grad / _SQRT_2PI * (-(log_ndtr(x) + x.square() * 0.5)).exp(),)


def log_ndtr(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``log(ndtr(x))``, accurate far into the left tail."""
    return _unary(input, "log_ndtr", _sp("log_ndtr"), SpecialLogNdtrBackward0, out)


# -- two-argument functions --------------------------------------------------------------------
class _BinaryBackward(Node):
    """Backward of a two-argument op whose operands may be Python numbers (not recorded)."""

    def backward(self, grad: Tensor) -> tuple:
        x, y = self.saved()
        x = wrap(np.asarray(self.input, grad._data.dtype)) if x is None else x
        y = wrap(np.asarray(self.other, grad._data.dtype)) if y is None else y
        mx, my = self.meta
        gx = None if mx is None else _reduce(self.grad_input(grad, x, y), mx)
        gy = None if my is None else _reduce(self.grad_other(grad, x, y), my)
        return tuple(g for g, kept in zip((gx, gy), self.tensors) if kept)


def _binary_op(name: str, kernel: str, fn: Callable, nodes: tuple, input: Any, other: Any,
               out: Tensor | None) -> Tensor:
    """Promote (integers to the default float), compute, record the tensor operands."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(_overloads(name, input, other))
    ad, bd = _float_operands(input, other, None)
    dt = np.result_type(ad, bd)
    if dt.kind == "c":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{D.scalar_type_name(dt)}'")
    res = _apply(lambda a, b: np.asarray(fn(a, b), dtype=dt), ad, bd)
    tensors = (isinstance(input, Tensor), isinstance(other, Tensor))
    node_type = nodes[0] if all(tensors) else nodes[2] if tensors[0] else nodes[1]
    recorded = [t for t in (input, other) if isinstance(t, Tensor)]
    node = record(res, node_type, *recorded)
    if node is not None:
        node.tensors, node.input, node.other = tensors, input, other
        node.meta = (_meta(input), _meta(other))
        node.save(*(t if kept else None for t, kept in zip((input, other), tensors)))
    return _write_out(res, out, f"special_{name}")


def _overloads(name: str, input: Any, other: Any) -> str:
    """torch's message for a call with no tensor among the two operands."""
    return (f"special_{name}() received an invalid combination of arguments - got "
            f"({type(input).__name__}, {type(other).__name__}), but expected one of:\n"
            " * (Tensor input, Tensor other, *, Tensor out = None)\n"
            " * (Number self, Tensor other, *, Tensor out = None)\n"
            " * (Tensor input, Number other, *, Tensor out = None)\n")


def _xlog1py_np(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # 0 * log1p(y) is 0 even where log1p(y) is -inf, unless y is NaN.
    return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log1p(y))


class _Xlog1pyBackward(_BinaryBackward):
    def grad_input(self, grad: Tensor, x: Tensor, y: Tensor) -> Tensor:
        # torch takes 0 where the forward is the constant 0 and log1p(y) is not finite
        return grad * where((x == 0) & (y <= -1), 0.0, y.log1p())

    def grad_other(self, grad: Tensor, x: Tensor, y: Tensor) -> Tensor:
        return grad * x / (y + 1)


_XLOG1PY = tuple(type(f"SpecialXlog1PyBackward{i}", (_Xlog1pyBackward,), {}) for i in range(3))


def xlog1py(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input * log1p(other)``, with 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    return _binary_op("xlog1py", "xlog1py_cpu", _xlog1py_np, _XLOG1PY, input, other, out)


class _ZetaBackward(_BinaryBackward):
    def grad_input(self, grad: Tensor, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")

    def grad_other(self, grad: Tensor, x: Tensor, y: Tensor) -> Tensor:
        # d/dq zeta(s, q) = -s zeta(s + 1, q)
        return grad * -x * zeta(x + 1, y)


_ZETA = tuple(type(f"SpecialZetaBackward{i}", (_ZetaBackward,), {}) for i in range(3))


def zeta(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """The Hurwitz zeta function ``sum((other + k) ** -input for k >= 0)``."""
    return _binary_op("zeta", "zeta_cpu", K.zeta, _ZETA, input, other, out)


class _IgammaBackward(_BinaryBackward):
    tensors = (True, True)
    what = "igamma"
    sign = 1

    def grad_input(self, grad: Tensor, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError(f"the derivative for '{self.what}: input' is not "
                                  "implemented.")

    def grad_other(self, grad: Tensor, a: Tensor, x: Tensor) -> Tensor:
        # d/dx P(a, x) = x**(a - 1) e**-x / Gamma(a), taken in log space
        with quiet():
            return grad * self.sign * ((a - 1) * x.log() - x - lgamma(a)).exp()


class IgammaBackward0(_IgammaBackward):
    pass


class IgammacBackward0(_IgammaBackward):
    what, sign = "igammac", -1


def _gamma_ratio(name: str, kernel: str, sp_name: str, node: type, input: Tensor,
                 other: Tensor, out: Tensor | None) -> Tensor:
    require_tensor(input, f"special_{name}", "input", 1)
    require_tensor(other, f"special_{name}", "other", 2)

    def fn(a: np.ndarray, x: np.ndarray) -> np.ndarray:
        return getattr(K.scipy_special(), sp_name)(a, x)
    return _binary_op(name, kernel, fn, (node,) * 3, input, other, out)


def gammainc(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The regularized lower incomplete gamma function P(input, other)."""
    return _gamma_ratio("gammainc", "igamma_cpu", "gammainc", IgammaBackward0, input, other,
                        out)


def gammaincc(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P."""
    return _gamma_ratio("gammaincc", "igammac_cpu", "gammaincc", IgammacBackward0, input,
                        other, out)
