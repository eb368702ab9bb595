"""Special functions (lgamma, digamma, polygamma, mvlgamma, i0), float bit helpers (signbit,
nextafter, ldexp, frexp), integer gcd/lcm, and the infinity and sign predicates.

The gamma-family and Bessel kernels run in float64 (``_special_kernels``) and are cast back
to the input's dtype.

>>> ember.lgamma(ember.tensor([1.0, 5.0]))
tensor([0.0000, 3.1781])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._binary import _inplace, _meta, _reduce, _size_error, _write_out
from ._core import Tensor, binary_operands, record, require_tensor, wrap
from ._errstate import quiet
from ._special_kernels import _kernel, _polygamma_np
from .reduction import _return_type

__all__ = ["isposinf", "isneginf", "isreal", "signbit", "lgamma", "digamma", "polygamma",
           "mvlgamma", "i0", "gcd", "lcm", "nextafter", "ldexp", "frexp"]
TENSOR_METHODS: tuple = ("isposinf", "isneginf", "isreal", "signbit", "lgamma", "lgamma_",
                         "digamma", "digamma_", "mvlgamma", "mvlgamma_", "i0", "i0_", "gcd",
                         "gcd_", "lcm", "lcm_", "nextafter", "nextafter_", "ldexp", "ldexp_",
                         "frexp")






def _need_int(name: str, x: Any, arg: str, pos: int) -> None:
    if not isinstance(x, (int, np.integer)) or isinstance(x, bool):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be int, not "
                        f"{type(x).__name__}")


def _float_apply(t: Tensor, fn: Callable, kernel: str) -> Tensor:
    """``fn`` on ``t``'s values as float64, the result in t's float dtype (ints: default)."""
    d = t._data
    if d.dtype.kind == "c":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{D.scalar_type_name(d.dtype)}'")
    dt = d.dtype if d.dtype.kind == "f" else D._defaults.float.np
    with quiet():
        return wrap(np.asarray(fn(d.astype(np.float64)), dtype=dt))


# -- gamma family and Bessel ------------------------------------------------------------------
class LgammaBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (grad * digamma(x),)


class DigammaBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (grad * polygamma(1, x),)


class PolygammaBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (grad * polygamma(self.n + 1, x),)


class MvlgammaBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (grad * sum(digamma(x - j / 2) for j in range(self.p)),)


class I0Backward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (grad * _i1(x),)


class SpecialI1Backward0(Node):
    # I1'(x) = I0(x) - I1(x) / x, whose limit at 0 is 1/2.
    def backward(self, grad: Tensor) -> tuple:
        x, res = self.saved()
        zero = x == 0
        return (grad * ((i0(x) - res / (x + zero)) * ~zero + zero * 0.5),)


def _special(input: Tensor, name: str, kernel: str, node_type: type, out: Any,
             fn: Callable | None = None) -> Tensor:
    res = _float_apply(input, fn or _kernel(name), kernel)
    node = record(res, node_type, input)
    if node is not None:
        node.save(input)
    return _write_out(res, out, name)


def lgamma(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The log of the absolute value of the gamma function (inf at 0 and negative integers)."""
    return _special(input, "lgamma", "lgamma_vml_cpu", LgammaBackward0, out)


def digamma(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The derivative of lgamma (-inf at +0, inf at -0, NaN at negative integers)."""
    return _special(input, "digamma", "digamma", DigammaBackward0, out)


def i0(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The modified Bessel function of the first kind, order 0."""
    return _special(input, "i0", "i0_vml_cpu", I0Backward0, out)


def _i1(x: Tensor) -> Tensor:
    """I1, the derivative of I0 (differentiable itself, for double backward through i0)."""
    res = _float_apply(x, _kernel("i1"), "i1_vml_cpu")
    node = record(res, SpecialI1Backward0, x)
    if node is not None:
        node.save(x, res.detach())
    return res


def polygamma(n: int, input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The ``n``-th derivative of digamma (``n = 0`` is digamma itself)."""
    n = n.item() if isinstance(n, Tensor) else n
    _need_int("polygamma", n, "n", 1)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    n = int(n)
    kernel = ("digamma", "trigamma")[n] if n < 2 else "polygamma"
    res = _special(input, "polygamma", kernel, PolygammaBackward0, out,
                   lambda a: _polygamma_np(n, a))
    if res.grad_fn is not None and out is None:
        res.grad_fn.n = n
    return res


def mvlgamma(input: Tensor, p: int, *, out: Tensor | None = None) -> Tensor:
    """The multivariate log-gamma of dimension ``p``:
    ``p (p - 1) / 4 log(pi) + sum(lgamma(input - j / 2) for j < p)``."""
    _need_int("mvlgamma", p, "p", 2)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    lg = _kernel("lgamma")

    def fn(a: np.ndarray) -> np.ndarray:
        return sum(lg(a - j / 2) for j in range(p)) + p * (p - 1) / 4 * math.log(math.pi)

    res = _special(input, "mvlgamma", "arange_cpu", MvlgammaBackward0, out, fn)
    if res.grad_fn is not None and out is None:
        res.grad_fn.p = int(p)
    return res


def _make_inplace(fn: Callable, tensor_second: bool = False) -> Callable:
    def inplace(self: Tensor, *args: Any) -> Tensor:
        return _inplace(self, fn(args[0], self) if tensor_second else fn(self, *args))
    inplace.__name__ = inplace.__qualname__ = fn.__name__ + "_"
    inplace.__doc__ = f"In-place form of ``{fn.__name__}``."
    return inplace


lgamma_, digamma_, i0_ = _make_inplace(lgamma), _make_inplace(digamma), _make_inplace(i0)
mvlgamma_, polygamma_ = _make_inplace(mvlgamma), _make_inplace(polygamma, tensor_second=True)


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    """``polygamma(n, self)``."""
    return polygamma(n, self)


# -- predicates ------------------------------------------------------------------------------
def isposinf(input: Tensor) -> Tensor:
    """Where elements are +inf."""
    return _inf_test(input, "isposinf", np.inf)


def isneginf(input: Tensor) -> Tensor:
    """Where elements are -inf."""
    return _inf_test(input, "isneginf", -np.inf)


def _inf_test(input: Tensor, name: str, value: float) -> Tensor:
    d = input._data
    if d.dtype.kind == "c":
        raise RuntimeError(f"{name} does not support complex inputs.")
    return wrap(np.asarray(d == value) if d.dtype.kind == "f" else np.zeros(d.shape, np.bool_))


def isreal(input: Tensor) -> Tensor:
    """Where elements have a zero imaginary part (everywhere for real dtypes)."""
    d = input._data
    return wrap(np.asarray(d.imag == 0) if d.dtype.kind == "c" else np.ones(d.shape, np.bool_))


def signbit(input: Tensor) -> Tensor:
    """Where the sign bit is set (-0.0 and negative NaNs included)."""
    d = input._data
    if d.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    return wrap(np.asarray(np.signbit(d)) if d.dtype.kind in "fi"
                else np.zeros(d.shape, np.bool_))


# -- integers: gcd / lcm ------------------------------------------------------------------------
def _int_binary(name: str, np_fn: Callable, input: Tensor, other: Tensor) -> Tensor:
    require_tensor(other, name, "other")
    a, b = binary_operands(input, other)
    if a.dtype.kind not in "iu":
        raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                  f"'{D.scalar_type_name(a.dtype)}'")
    try:
        return wrap(np.asarray(np_fn(a, b), dtype=a.dtype))
    except ValueError:
        raise _size_error(a.shape, b.shape) from None


def gcd(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Greatest common divisor, elementwise (non-negative; ``gcd(0, 0) = 0``)."""
    return _write_out(_int_binary("gcd", np.gcd, input, other), out, "gcd")


def lcm(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Least common multiple, elementwise (non-negative; 0 when either is 0)."""
    # abs after the product, which can wrap around, as torch's kernel does
    res = _int_binary("lcm", lambda a, b: np.abs(np.lcm(a, b)), input, other)
    return _write_out(res, out, "lcm")


gcd_, lcm_ = _make_inplace(gcd), _make_inplace(lcm)


# -- float bits: nextafter / ldexp / frexp ------------------------------------------------------
class NextafterBackward0(Node):
    # The step is treated as constant; where input == other nothing moves, gradient 0.
    def backward(self, grad: Tensor) -> tuple:
        x, y = self.saved()
        ma, mb = self.meta
        return _reduce(grad * (x != y), ma), None if mb is None else _reduce(grad * 0, mb)


def nextafter(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The next representable float after ``input`` in the direction of ``other``."""
    require_tensor(other, "nextafter", "other")
    a, b = binary_operands(input, other)
    if a.dtype.kind != "f":
        raise NotImplementedError(f'"nextafter_cpu" not implemented for '
                                  f"'{D.scalar_type_name(a.dtype)}'")
    try:
        res = wrap(np.asarray(np.nextafter(a, b)))
    except ValueError:
        raise _size_error(a.shape, b.shape) from None
    node = record(res, NextafterBackward0, input, other)
    if node is not None:
        node.meta = (_meta(input), _meta(other))
        node.save(input, other)
    return _write_out(res, out, "nextafter")


nextafter_ = _make_inplace(nextafter)


class LdexpBackward0(Node):
    # d/dx x 2**e = 2**e;  d/de x 2**e = x 2**e log 2
    def backward(self, grad: Tensor) -> tuple:
        x, e = self.saved()
        ma, mb = self.meta
        scale = wrap(self.scale) if mb is None else (e * math.log(2)).exp()
        return (None if ma is None else _reduce(grad * scale, ma),
                None if mb is None else _reduce(grad * x * scale * math.log(2), mb))


def _ldexp_np(input: Tensor, a: np.ndarray, e: np.ndarray) -> tuple:
    """(result, 2 ** e): exact scaling for a real float ``a`` and integer ``e``; otherwise
    ``a`` times the float power ``2 ** e`` (which may overflow on its own)."""
    if a.dtype.kind == "f" and e.dtype.kind in "biu":
        if e.dtype.kind == "b":
            raise NotImplementedError('"ldexp_cpu_exp" not implemented for \'Bool\'')
        expo = np.clip(e, -2 ** 31 + 1, 2 ** 31 - 1).astype(np.int32)
        # the gradient's 2 ** e is an integer power, as torch computes it: 0 for e < 0
        return np.ldexp(a, expo), np.where(expo < 0, 0, np.ldexp(np.ones((), a.dtype), expo))
    pdt = e.dtype if e.dtype.kind == "f" else D._defaults.float.np
    scale = np.power(pdt.type(2), e.astype(pdt))
    dt = D.result_type(input, wrap(np.asarray(scale))).np
    return a.astype(dt) * scale.astype(dt), scale.astype(dt)


def ldexp(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``input * 2 ** other`` (exact, with no overflow of ``2 ** other``, for a float
    ``input`` and an integer ``other``)."""
    require_tensor(other, "ldexp", "other")
    a, e = input._data, other._data
    try:
        shape = np.broadcast_shapes(a.shape, e.shape)
    except ValueError:
        raise _size_error(a.shape, e.shape) from None
    with quiet():
        res, scale = _ldexp_np(input, a, e)
    res = wrap(np.broadcast_to(res, shape).copy())
    node = record(res, LdexpBackward0, input, other)
    if node is not None:
        node.meta, node.scale = (_meta(input), _meta(other)), np.asarray(scale)
        node.save(input, other)
    return _write_out(res, out, "ldexp")


def ldexp_(input: Tensor, other: Tensor) -> Tensor:
    """In-place ``ldexp``."""
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"ldexp can't be cast to the desired output type "
                           f"{D.scalar_type_name(input._data.dtype)}")
    return _inplace(input, ldexp(input, other))


_FIELDS = ("mantissa", "exponent")


class FrexpBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad * wrap(self.scale),)


def frexp(input: Tensor, *, out: tuple | None = None) -> Any:
    """Split into ``mantissa * 2 ** exponent`` with 0.5 <= |mantissa| < 1 (int32 exponent)."""
    d = input._data
    if d.dtype.kind != "f":
        raise RuntimeError("ember.frexp() only supports floating-point dtypes")
    mant, expo = np.frexp(d)
    mantissa, exponent = wrap(np.asarray(mant)), wrap(np.asarray(expo, dtype=np.int32))
    node = record(mantissa, FrexpBackward0, input)
    if node is not None:
        with quiet():
            node.scale = np.ldexp(np.ones((), d.dtype), -expo)
    if out is None:
        return _return_type("frexp", _FIELDS)(mantissa, exponent)
    _write_out(mantissa, out[0], "frexp")
    _write_out(exponent, out[1], "frexp")
    return _return_type("frexp_out", _FIELDS)(out[0], out[1])


# Tensor.polygamma takes ``n`` after the tensor (torch's order), so it is bound here rather
# than through TENSOR_METHODS.
Tensor.polygamma, Tensor.polygamma_ = _polygamma_method, polygamma_
