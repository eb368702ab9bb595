"""Elementwise math of two or three operands: atan2, hypot, lerp, logaddexp(2), addcmul,
addcdiv, copysign, xlogy, fmax/fmin, float_power, and their in-place forms; also the
in-place forms of floor_divide/remainder/fmod and the comparison, logical and bitwise ops.

Operands are promoted as torch does; ops defined only on floats turn integer operands into
the default float dtype (atan2, copysign, xlogy) or refuse them (hypot, logaddexp), as torch's
CPU kernels do. Each op's forward sits right above its ``...Backward`` node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from . import compare
from ._binary import _checked, _inplace, _meta, _reduce, _shape, _size_error, _write_out
from ._core import Tensor, binary_operands, record, require_tensor, wrap
from ._errstate import quiet
from .arithmetic import div, div_, floor_divide, fmod, mul, mul_, pow, remainder, sub, sub_
from .compare import where
from .extrema import fmax, fmin

# Bound as Tensor methods through TENSOR_METHODS (torch has no functions for the in-place ones).
for _name in compare.INPLACE_METHODS + ("bitwise_left_shift", "bitwise_right_shift",
                                        "greater_equal", "less_equal", "not_equal"):
    globals()[_name] = getattr(compare, _name)

__all__ = ["atan2", "arctan2", "hypot", "lerp", "logaddexp", "logaddexp2", "addcmul", "addcdiv",
           "copysign", "xlogy", "xlogy_", "fmax", "fmin", "float_power", "subtract",
           "multiply", "divide"]
TENSOR_METHODS: tuple = ("atan2", "atan2_", "arctan2", "arctan2_", "hypot", "hypot_", "lerp",
                         "lerp_", "logaddexp", "logaddexp2", "addcmul", "addcmul_", "addcdiv",
                         "addcdiv_", "copysign", "copysign_", "xlogy", "xlogy_", "fmax", "fmin",
                         "float_power", "float_power_", "floor_divide_", "remainder_", "fmod_",
                         "true_divide_", "subtract_", "multiply_", "divide_",
                         "bitwise_left_shift", "bitwise_right_shift", "greater_equal",
                         "less_equal", "not_equal") + compare.INPLACE_METHODS






def _float_operands(input: Any, other: Any, kernel: str | None) -> tuple:
    """Promoted operands; integer results become the default float, or are refused with
    torch's 'not implemented' error when ``kernel`` is given."""
    ad, bd = binary_operands(input, other)
    kind = np.result_type(ad, bd).kind
    if kind in "biu":
        if kernel is not None:
            raise NotImplementedError(f'"{kernel}" not implemented for '
                                      f"'{D.scalar_type_name(np.result_type(ad, bd))}'")
        f = D._defaults.float.np
        ad = ad.astype(f) if hasattr(ad, "astype") else f.type(ad)
        bd = bd.astype(f) if hasattr(bd, "astype") else f.type(bd)
    return ad, bd


def _apply(np_fn: Callable, ad: Any, bd: Any) -> Tensor:
    with quiet():
        try:
            return wrap(np.asarray(np_fn(ad, bd)))
        except ValueError:
            raise _size_error(_shape(ad), _shape(bd)) from None


def _binary(np_fn: Callable, node_type: type, name: str, input: Tensor, other: Any,
            kernel: str | None, out: Tensor | None, save_out: bool = False) -> Tensor:
    """Shared body of the two-tensor ops: promote, compute, record (saving both inputs)."""
    require_tensor(other, name)
    res = _apply(np_fn, *_float_operands(input, other, kernel))
    node = record(res, node_type, input, other)
    if node is not None:
        node.meta = (_meta(input), _meta(other))
        node.save(input, other, *((res.detach(),) if save_out else ()))
    return _write_out(res, out, name)


# -- atan2 ---------------------------------------------------------------------------------
class Atan2Backward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        y, x = self.saved()
        r2 = x * x + y * y
        ma, mb = self.meta
        gy = None if ma is None else _reduce(grad * x / r2, ma)
        gx = None if mb is None else _reduce(-grad * y / r2, mb)
        return gy, gx


def atan2(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Angle of the point (other, input): ``atan(input / other)`` in the right quadrant."""
    return _binary(np.arctan2, Atan2Backward0, "atan2", input, other, None, out)


def atan2_(input: Tensor, other: Tensor) -> Tensor:
    """In-place ``atan2``."""
    return _inplace(input, atan2(input, other))


arctan2, arctan2_ = atan2, atan2_


# -- hypot ---------------------------------------------------------------------------------
class HypotBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b, res = self.saved()
        ma, mb = self.meta
        ga = None if ma is None else _reduce(grad * a / res, ma)
        gb = None if mb is None else _reduce(grad * b / res, mb)
        return ga, gb


def hypot(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``sqrt(input**2 + other**2)`` without intermediate overflow."""
    return _binary(np.hypot, HypotBackward0, "hypot", input, other, "hypot_cpu", out,
                   save_out=True)


def hypot_(input: Tensor, other: Tensor) -> Tensor:
    """In-place ``hypot``."""
    return _inplace(input, hypot(input, other))


# -- logaddexp / logaddexp2 --------------------------------------------------------------------
class LogaddexpBackward0(Node):
    # d/da log(e^a + e^b) = 1 / (1 + e^(b - a)): a logistic function of the difference.
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        ma, mb = self.meta
        ga = None if ma is None else _reduce(grad / ((b - a).exp() + 1), ma)
        gb = None if mb is None else _reduce(grad / ((a - b).exp() + 1), mb)
        return ga, gb


def logaddexp(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``log(exp(input) + exp(other))`` without overflow."""
    return _binary(np.logaddexp, LogaddexpBackward0, "logaddexp", input, other,
                   "logaddexp_cpu", out)


class Logaddexp2Backward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        ma, mb = self.meta
        ga = None if ma is None else _reduce(grad / ((b - a) * _LN2).exp().add(1), ma)
        gb = None if mb is None else _reduce(grad / ((a - b) * _LN2).exp().add(1), mb)
        return ga, gb


_LN2 = float(np.log(2.0))


def logaddexp2(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``log2(2**input + 2**other)`` without overflow."""
    return _binary(np.logaddexp2, Logaddexp2Backward0, "logaddexp2", input, other,
                   "logaddexp2_cpu", out)


# -- copysign ------------------------------------------------------------------------------
class CopysignBackward0(Node):  # copysign(tensor, tensor): ``other`` gets a zero gradient
    def backward(self, grad: Tensor) -> tuple:
        a, b, res = self.saved()
        ma, mb = self.meta
        ga = None if ma is None else _reduce(grad * _sign_ratio(res, a), ma)
        gb = None if mb is None else _reduce(grad * 0, mb)
        return ga, gb


class CopysignBackward1(Node):  # copysign(tensor, number)
    def backward(self, grad: Tensor) -> tuple:
        a, res = self.saved()
        return (_reduce(grad * _sign_ratio(res, a), self.meta),)


def _sign_ratio(res: Tensor, a: Tensor) -> Tensor:
    """``res / a`` (+-1: whether the sign flipped), taken as 0 where ``a`` is 0."""
    with quiet():
        return where(a == 0, 0.0, res / a)


def copysign(input: Tensor, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``|input|`` with the sign of ``other`` (signed zeros and NaN signs included)."""
    res = _apply(np.copysign, *_float_operands(input, other, None))
    if isinstance(other, Tensor):
        node = record(res, CopysignBackward0, input, other)
        if node is not None:
            node.meta = (_meta(input), _meta(other))
            node.save(input, other, res.detach())
    else:
        node = record(res, CopysignBackward1, input)
        if node is not None:
            node.meta = _meta(input)
            node.save(input, res.detach())
    return _write_out(res, out, "copysign")


def copysign_(input: Tensor, other: Any) -> Tensor:
    """In-place ``copysign``."""
    return _inplace(input, copysign(input, other))


# -- xlogy ---------------------------------------------------------------------------------
def _xlogy_np(x: Any, y: Any) -> Any:
    # 0 * log(y) is defined as 0 (even where log(y) is -inf), unless y is NaN.
    return np.where((np.asarray(x) == 0) & ~np.isnan(y), 0.0, x * np.log(y)).astype(
        np.result_type(x, y))


class XlogyBackward0(Node):  # tensor, tensor
    def backward(self, grad: Tensor) -> tuple:
        x, y = self.saved()
        ma, mb = self.meta
        ga = None if ma is None else _reduce(grad * _dx(x, y), ma)
        gb = None if mb is None else _reduce(grad * x / y, mb)
        return ga, gb


class XlogyBackward1(Node):  # number, tensor
    def backward(self, grad: Tensor) -> tuple:
        (y,) = self.saved()
        return (_reduce(grad * self.x / y, self.meta),)


class XlogyBackward2(Node):  # tensor, number
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (_reduce(grad * _dx(x, self.y), self.meta),)


def _dx(x: Tensor, y: Any) -> Tensor:
    """d/dx xlogy = log(y); torch takes it as 0 where x == 0 and y <= 0 (log(y) is -inf or
    NaN there while the forward is the constant 0), and keeps log(y) elsewhere."""
    y = y if isinstance(y, Tensor) else wrap(np.asarray(y, dtype=x._data.dtype))
    with quiet():
        return where((x == 0) & (y <= 0), 0.0, y.log())


def xlogy(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input * log(other)``, with 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    res = _apply(_xlogy_np, *_float_operands(input, other, None))
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        node = record(res, XlogyBackward0, input, other)
        if node is not None:
            node.meta = (_meta(input), _meta(other))
            node.save(input, other)
    elif isinstance(input, Tensor):
        node = record(res, XlogyBackward2, input)
        if node is not None:
            node.meta, node.y = _meta(input), other
            node.save(input)
    else:
        node = record(res, XlogyBackward1, other)
        if node is not None:
            node.meta, node.x = _meta(other), input
            node.save(other)
    return _write_out(res, out, "xlogy")


def xlogy_(input: Tensor, other: Any) -> Tensor:
    """In-place ``xlogy``."""
    return _inplace(input, xlogy(input, other))


# -- lerp ----------------------------------------------------------------------------------
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _same_dtype(input: Tensor, x: Tensor, arg: str) -> None:
    a, b = input._data.dtype, x._data.dtype
    if a != b:
        raise RuntimeError(f"expected dtype {_C_NAMES.get(a.name, a.name)} for `{arg}` but got "
                           f"dtype {_C_NAMES.get(b.name, b.name)}")


def _lerp_np(a: np.ndarray, b: np.ndarray, w: Any) -> np.ndarray:
    # Interpolate from the nearer end: exact at w == 0 and w == 1, and monotonic in w.
    small = np.abs(w) < 0.5
    lo = a + w * (b - a)
    hi = b - (b - a) * (1 - w)
    return np.asarray(np.where(small, lo, hi), dtype=a.dtype)


class LerpBackward0(Node):  # number weight
    def backward(self, grad: Tensor) -> tuple:
        ma, mb = self.meta
        w = self.weight
        return (None if ma is None else _reduce(grad * (1 - w), ma),
                None if mb is None else _reduce(grad * w, mb))


class LerpBackward1(Node):  # tensor weight
    def backward(self, grad: Tensor) -> tuple:
        a, b, w = self.saved()
        ma, mb, mw = self.meta
        return (None if ma is None else _reduce(grad * (1 - w), ma),
                None if mb is None else _reduce(grad * w, mb),
                None if mw is None else _reduce(grad * (b - a), mw))


def lerp(input: Tensor, end: Tensor, weight: Any, *, out: Tensor | None = None) -> Tensor:
    """``input + weight * (end - input)``; ``weight`` a number or a tensor."""
    require_tensor(end, "lerp", "end")
    _same_dtype(input, end, "end")
    tw = isinstance(weight, Tensor)
    if tw:
        _same_dtype(input, weight, "weight")
    if input._data.dtype.kind not in "fc":
        kernel = "lerp_kernel_tensor" if tw else "lerp_kernel_scalar"
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{D.scalar_type_name(input._data.dtype)}'")
    a, b = input._data, end._data
    w = weight._data if tw else weight
    try:
        shape = np.broadcast_shapes(a.shape, b.shape, np.shape(w))
    except ValueError:
        raise _lerp_size_error(a.shape, b.shape, np.shape(w)) from None
    with quiet():
        res = wrap(np.broadcast_to(_lerp_np(a, b, w), shape).copy())
    if tw:
        node = record(res, LerpBackward1, input, end, weight)
        if node is not None:
            node.meta = (_meta(input), _meta(end), _meta(weight))
            node.save(input, end, weight)
    else:
        node = record(res, LerpBackward0, input, end)
        if node is not None:
            node.meta, node.weight = (_meta(input), _meta(end)), weight
    return _write_out(res, out, "lerp")


def _lerp_size_error(*shapes: tuple) -> RuntimeError:
    for s in shapes[1:]:
        try:
            np.broadcast_shapes(shapes[0], s)
        except ValueError:
            return _size_error(shapes[0], s)
    return _size_error(np.broadcast_shapes(*shapes[:2]), shapes[2])


def lerp_(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """In-place ``lerp``."""
    return _inplace(input, lerp(input, end, weight))


# -- addcmul / addcdiv ---------------------------------------------------------------------
def _addc_operands(name: str, input: Tensor, t1: Tensor, t2: Tensor, value: Any) -> tuple:
    """The three operands in their promoted dtype, and ``value`` as that dtype holds it."""
    require_tensor(t1, name, "tensor1")
    require_tensor(t2, name, "tensor2", 3)
    dt = D.result_type(input, t1, t2).np
    kind = np.dtype(dt).kind
    if isinstance(value, complex) and kind != "c":
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES.get(np.dtype(dt).name)} "
                           "without overflow")
    if kind in "iu":  # torch casts the value to the integer type (truncating)
        value = int(value)
    return tuple(t._data.astype(dt, copy=False) for t in (input, t1, t2)) + (value,)


def _addc(name: str, input: Tensor, t1: Tensor, t2: Tensor, value: Any, np_fn: Callable,
          node_type: type, out: Tensor | None) -> Tensor:
    a, b, c, v = _addc_operands(name, input, t1, t2, value)
    shapes = (a.shape, b.shape, c.shape)
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise _lerp_size_error(*shapes) from None
    with quiet():
        res = wrap(np.asarray(a + v * np_fn(b, c), dtype=a.dtype))
    node = record(res, node_type, input, t1, t2)
    if node is not None:
        node.meta, node.value = (_meta(input), _meta(t1), _meta(t2)), value
        node.save(t1, t2)
    return _write_out(res, out, name)


class AddcmulBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        t1, t2 = self.saved()
        mi, m1, m2 = self.meta
        gv = grad * self.value
        return (_reduce(grad, mi), None if m1 is None else _reduce(gv * t2, m1),
                None if m2 is None else _reduce(gv * t1, m2))


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1,
            out: Tensor | None = None) -> Tensor:
    """``input + value * tensor1 * tensor2``."""
    return _addc("addcmul", input, tensor1, tensor2, value, np.multiply, AddcmulBackward0, out)


def addcmul_(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """In-place ``addcmul``."""
    return _inplace(input, addcmul(input, tensor1, tensor2, value=value))


class AddcdivBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        t1, t2 = self.saved()
        mi, m1, m2 = self.meta
        gv = grad * self.value
        return (_reduce(grad, mi), None if m1 is None else _reduce(gv / t2, m1),
                None if m2 is None else _reduce(-gv * t1 / (t2 * t2), m2))


_INT_ADDCDIV = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * ember.trunc(tensor1 / tensor2)).to(input.dtype) for "
    "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
    "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
    "for all dtypes.")


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1,
            out: Tensor | None = None) -> Tensor:
    """``input + value * tensor1 / tensor2`` (integer ``tensor1 / tensor2`` is refused)."""
    if all(isinstance(t, Tensor) and t._data.dtype.kind in "biu" for t in (tensor1, tensor2)):
        raise RuntimeError(_INT_ADDCDIV)
    return _addc("addcdiv", input, tensor1, tensor2, value, np.true_divide, AddcdivBackward0,
                 out)


def addcdiv_(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """In-place ``addcdiv``."""
    return _inplace(input, addcdiv(input, tensor1, tensor2, value=value))


# -- float_power ------------------------------------------------------------------------------
def _double_dtype(*operands: Any) -> D.dtype:
    """float64, or complex128 when an operand is complex: float_power's computation dtype."""
    is_complex = any(isinstance(x, complex) or (isinstance(x, Tensor) and x.is_complex())
                     for x in operands)
    return D.complex128 if is_complex else D.float64


def float_power(input: Any, exponent: Any, *, out: Tensor | None = None) -> Tensor:
    """``input ** exponent`` computed in double precision (float64 or complex128)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power(): expected at least one Tensor operand")
    dt = _double_dtype(input, exponent)
    a = input.to(dt) if isinstance(input, Tensor) else input
    e = exponent.to(dt) if isinstance(exponent, Tensor) else exponent
    return pow(a, e, out=out)


def float_power_(input: Tensor, exponent: Any) -> Tensor:
    """In-place ``float_power``: ``input`` must already have the double dtype."""
    dt = _double_dtype(input, exponent)
    if input.dtype != dt:
        raise RuntimeError(f"the base given to float_power_ has dtype "
                           f"{D.scalar_type_name(input.dtype)} but the operation's result "
                           f"requires dtype {D.scalar_type_name(dt)}")
    return _inplace(input, float_power(input, exponent))


# -- in-place rounding division and modulus; aliases ---------------------------------------------
def floor_divide_(input: Tensor, other: Any) -> Tensor:
    """In-place ``floor_divide``."""
    return _inplace(input, _checked(input, other, floor_divide))


def remainder_(input: Tensor, other: Any) -> Tensor:
    """In-place ``remainder``."""
    return _inplace(input, _checked(input, other, remainder))


def fmod_(input: Tensor, other: Any) -> Tensor:
    """In-place ``fmod``."""
    return _inplace(input, _checked(input, other, fmod))


subtract, subtract_, multiply, multiply_, divide, divide_ = sub, sub_, mul, mul_, div, div_
true_divide_ = div_
