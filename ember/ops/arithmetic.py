"""Elementwise binary arithmetic: + - * / // % **, and their in-place forms.

Each op's forward function sits right above its ``...Backward`` node; the shared gradient,
``out=`` and in-place machinery is in _binary.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._binary import (_cast_error, _checked, _fast_inplace, _inplace, _inplace_shape_error,
                      _meta, _record_not_differentiable, _reduce, _shape, _size_error,
                      _tracks, _write_out, _zeros)
from ._core import Tensor, binary_operands, record, refuse_wrapped_scalar, wrap
from ._errstate import quiet

__all__ = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod",
           "pow", "rsub",
           "add_", "sub_", "mul_", "div_", "pow_"]

# Re-exported for the other op families, which import them from here.
_ = (_cast_error, _inplace_shape_error)
_ndarray = np.ndarray


# -- add / sub ----------------------------------------------------------------------------------
class AddBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        ma, mb = self.meta
        gb = grad if self.alpha == 1 or mb is None else grad * self.alpha
        return _reduce(grad, ma), _reduce(gb, mb)


def add(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input + alpha * other`` with broadcasting and type promotion.

    >>> ember.add(ember.tensor([1, 2]), 1.5)
    tensor([2.5000, 3.5000])
    """
    ad, bd = binary_operands(input, other)
    try:
        res = wrap(ad + bd if alpha == 1 and alpha is not True else ad + _scaled(bd, alpha, ad))
    except ValueError:
        raise _size_error(_shape(ad), _shape(bd)) from None
    node = record(res, AddBackward0, input, other)
    if node is not None:
        node.meta, node.alpha = (_meta(input), _meta(other)), alpha
    return res if out is None else _write_out(res, out, "add")


def _scaled(bd: Any, alpha: Any, ad: Any) -> Any:
    """``alpha * other`` after torch's checks on alpha's type."""
    kind = np.result_type(ad, bd).kind
    if isinstance(alpha, (bool, np.bool_)) and kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, (float, np.floating)) and kind in "biu":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    return alpha * bd


class SubBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        ma, mb = self.meta
        return _reduce(grad, ma), None if mb is None else _reduce(grad * -self.alpha, mb)


def _is_bool(x: Any) -> bool:
    if isinstance(x, Tensor):
        return x._data.dtype.kind == "b"
    return isinstance(x, (bool, np.bool_))


def _refuse_bool_sub(a: Any, b: Any) -> None:
    """torch has no bool subtraction (it would be ambiguous with xor / logical not)."""
    ba, bb = _is_bool(a), _is_bool(b)
    if ba and bb:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if ba or bb:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def sub(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input - alpha * other``."""
    _refuse_bool_sub(input, other)
    ad, bd = binary_operands(input, other)
    try:
        res = wrap(ad - bd if alpha == 1 and alpha is not True else ad - _scaled(bd, alpha, ad))
    except ValueError:
        raise _size_error(_shape(ad), _shape(bd)) from None
    node = record(res, SubBackward0, input, other)
    if node is not None:
        node.meta, node.alpha = (_meta(input), _meta(other)), alpha
    return res if out is None else _write_out(res, out, "sub")


class RsubBackward0(Node):  # rsub(tensor, tensor)
    def backward(self, grad: Tensor) -> tuple:
        ma, mb = self.meta
        return None if ma is None else _reduce(grad * -self.alpha, ma), _reduce(grad, mb)


class RsubBackward1(Node):  # rsub(tensor, scalar): what ``2 - x`` computes
    def backward(self, grad: Tensor) -> tuple:
        return (_reduce(-grad if self.alpha == 1 else grad * -self.alpha, self.meta),)


def rsub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """``other - alpha * input`` (what ``2 - x`` computes)."""
    _refuse_bool_sub(input, other)
    bd, ad = binary_operands(other, input)
    try:
        res = wrap(bd - ad if alpha == 1 and alpha is not True else bd - _scaled(ad, alpha, bd))
    except ValueError:
        raise _size_error(_shape(ad), _shape(bd)) from None
    if isinstance(other, Tensor):
        node = record(res, RsubBackward0, input, other)
        if node is not None:
            node.meta, node.alpha = (_meta(input), _meta(other)), alpha
    else:
        node = record(res, RsubBackward1, input)
        if node is not None:
            node.meta, node.alpha = _meta(input), alpha
    return res


# -- mul ------------------------------------------------------------------------------------
class MulBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        ma, mb = self.meta
        ga = None if ma is None else _reduce(grad * _conj(self.b_scalar if b is None else b), ma)
        gb = None if mb is None else _reduce(grad * _conj(self.a_scalar if a is None else a), mb)
        return ga, gb


def _conj(x: Any) -> Any:
    return x.conj() if isinstance(x, Tensor) and x.is_complex() else x


def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """Elementwise product with broadcasting."""
    ad, bd = binary_operands(input, other)
    try:
        res = wrap(ad * bd)
    except ValueError:
        raise _size_error(_shape(ad), _shape(bd)) from None
    node = record(res, MulBackward0, input, other)
    if node is not None:
        _save_pair(node, input, other, both=False)
    return res if out is None else _write_out(res, out, "mul")


def _save_pair(node: Node, a: Any, b: Any, both: bool) -> None:
    """Save the operands backward needs (tensors version-checked, scalars kept as they are).

    d(a*b)/da needs only b and vice versa; ``both`` keeps each operand whenever some
    gradient is needed (division needs ``b`` for both gradients).
    """
    ma, mb = node.meta = (_meta(a), _meta(b))
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    keep_a = ta and (mb is not None)
    keep_b = tb and (ma is not None or (both and mb is not None))
    node.save(a if keep_a else None, b if keep_b else None)
    node.a_scalar, node.b_scalar = (None if ta else a), (None if tb else b)


# -- div ------------------------------------------------------------------------------------
class DivBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        ma, mb = self.meta
        b = self.b_scalar if b is None else b
        ga = None if ma is None else _reduce(grad / b, ma)
        gb = None
        if mb is not None:
            a = self.a_scalar if a is None else a
            gb = _reduce(-grad * a / (b * b), mb)
        return ga, gb


class DivBackward2(Node):  # rounding_mode given: piecewise constant, zero gradient
    def backward(self, grad: Tensor) -> tuple:
        return _zeros(self.meta[0]), _zeros(self.meta[1])


def _kind(x: Any) -> str:
    if type(x) is _ndarray:
        return x.dtype.kind
    return x.dtype.kind if hasattr(x, "dtype") else "f" if isinstance(x, float) else "i"


def _both_intlike(ad: Any, bd: Any) -> bool:
    return _kind(ad) in "biu" and _kind(bd) in "biu"


def _as_default_float(x: Any) -> Any:
    f = D._defaults.float.np
    return x.astype(f) if hasattr(x, "astype") else f.type(x)


def div(input: Any, other: Any, *, rounding_mode: str | None = None,
        out: Tensor | None = None) -> Tensor:
    """True division (ints give the default float dtype), or 'trunc'/'floor' rounding."""
    if rounding_mode is not None:
        return _rounded_div(input, other, rounding_mode, out)
    ad, bd = binary_operands(input, other)
    if _both_intlike(ad, bd):  # a Python int divides as it is, not wrapped into the dtype
        ad = _as_default_float(input if type(input) is int else ad)
        bd = _as_default_float(other if type(other) is int else bd)
    with quiet():
        try:
            res = wrap(ad / bd)
        except ValueError:
            raise _size_error(_shape(ad), _shape(bd)) from None
    node = record(res, DivBackward0, input, other)
    if node is not None:
        _save_pair(node, input, other, both=True)
    return res if out is None else _write_out(res, out, "div")


def _check_int_divisor(ad: Any, bd: Any) -> None:
    if _both_intlike(ad, bd) and np.any(np.asarray(bd) == 0):
        raise RuntimeError("ZeroDivisionError")


def _refuse_bool(ad: Any, bd: Any, kernel: str) -> None:
    """torch's rounding kernels take neither bool nor complex operands."""
    dt = np.result_type(ad, bd)
    if dt.kind in "bc":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{D.scalar_type_name(dt)}'")


def _rounded_div(input: Any, other: Any, mode: str, out: Tensor | None) -> Tensor:
    if mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{mode}'")
    ad, bd = binary_operands(input, other)
    _refuse_bool(ad, bd, "div_floor_cpu" if mode == "floor" else "div_trunc_cpu")
    _check_int_divisor(ad, bd)
    with quiet():
        if mode == "floor":
            q = np.floor_divide(ad, bd)
        elif _both_intlike(ad, bd):
            # C division truncates: floor, then step towards zero where signs differ.
            q = np.floor_divide(ad, bd)
            q = q + ((np.remainder(ad, bd) != 0) & ((np.asarray(ad) < 0) != (np.asarray(bd) < 0)))
        else:
            q = np.trunc(np.true_divide(ad, bd))
    res = wrap(np.asarray(q, dtype=np.result_type(ad, bd)))
    node = record(res, DivBackward2, input, other)
    if node is not None:
        node.meta = (_meta(input), _meta(other))
    return res if out is None else _write_out(res, out, "div")


true_divide = div


def floor_divide(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input // other``: rounds the quotient down; not differentiable (as in torch)."""
    ad, bd = binary_operands(input, other)
    _refuse_bool(ad, bd, "div_floor_cpu")
    _check_int_divisor(ad, bd)
    with quiet():
        try:
            res = wrap(np.floor_divide(ad, bd))
        except ValueError:
            raise _size_error(_shape(ad), _shape(bd)) from None
    _record_not_differentiable(res, "floor_divide", input, other)
    return res if out is None else _write_out(res, out, "floor_divide")


# -- remainder / fmod ---------------------------------------------------------------------------
class RemainderBackward0(Node):  # remainder(tensor, scalar)
    def backward(self, grad: Tensor) -> tuple:
        return (_reduce(grad, self.meta),)


class RemainderBackward1(Node):  # remainder(tensor, tensor): d/db = -floor(a / b)
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        ma, mb = self.meta
        gb = None if mb is None else _reduce(-grad * div(a, b, rounding_mode="floor"), mb)
        return _reduce(grad, ma), gb


class FmodBackward0(RemainderBackward0):
    pass


class FmodBackward1(Node):  # fmod(tensor, tensor): d/db = -trunc(a / b)
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        ma, mb = self.meta
        gb = None if mb is None else _reduce(-grad * div(a, b, rounding_mode="trunc"), mb)
        return _reduce(grad, ma), gb


def _modulus(np_fn: Any, kernel: str, input: Any, other: Any) -> tuple:
    ad, bd = binary_operands(input, other)
    _refuse_bool(ad, bd, kernel)
    _check_int_divisor(ad, bd)
    with quiet():
        try:
            return wrap(np_fn(ad, bd))
        except ValueError:
            raise _size_error(_shape(ad), _shape(bd)) from None


def _record_modulus(res: Tensor, input: Any, other: Any, scalar_node: type,
                    tensor_node: type) -> None:
    if not isinstance(input, Tensor):  # ``2 % x``: torch has no derivative for it
        _record_not_differentiable(res, "remainder", other)
    elif isinstance(other, Tensor):
        node = record(res, tensor_node, input, other)
        if node is not None:
            node.meta = (_meta(input), _meta(other))
            node.save(input, other)
    else:
        node = record(res, scalar_node, input)
        if node is not None:
            node.meta = _meta(input)


def remainder(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """Python-style modulus (the result has the divisor's sign)."""
    res = _modulus(np.remainder, "remainder_cpu", input, other)
    _record_modulus(res, input, other, RemainderBackward0, RemainderBackward1)
    return res if out is None else _write_out(res, out, "remainder")


def fmod(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """C-style modulus (the result has the dividend's sign)."""
    res = _modulus(np.fmod, "fmod_cpu", input, other)
    _record_modulus(res, input, other, FmodBackward0, FmodBackward1)
    return res if out is None else _write_out(res, out, "fmod")


# -- pow ------------------------------------------------------------------------------------
class PowBackward0(Node):  # tensor ** scalar
    def backward(self, grad: Tensor) -> tuple:
        (a,) = self.saved()
        e = self.exponent
        if e == 0:
            return (_zeros(self.meta),)
        return (_reduce(grad * (a ** (e - 1) * e), self.meta),)


class PowBackward1(Node):  # tensor ** tensor
    def backward(self, grad: Tensor) -> tuple:
        from .compare import where
        a, b, res = self.saved()
        ma, mb = self.meta
        ga = gb = None
        with quiet():  # the masked-out 0 * inf
            if ma is not None:
                # b * a**(b-1), taken as 0 where b == 0 (even at a == 0)
                ga = _reduce(grad * where(b == 0, 0.0, b * a ** (b - 1)), ma)
            if mb is not None:
                # a**b * log(a), taken as 0 where a == 0 and b >= 0
                gb = _reduce(grad * where((a == 0) & (b >= 0), 0.0, res * a.log()), mb)
        return ga, gb


class PowBackward2(Node):  # scalar ** tensor
    def backward(self, grad: Tensor) -> tuple:
        from .compare import where
        b, res = self.saved()
        base = self.base
        with quiet():  # base 0: log is -inf, masked below where the result is 0 or 1
            g = grad * (res * float(np.log(np.float64(base))))
            if base == 0:
                g = where(b >= 0, 0.0, g)
        return (_reduce(g, self.meta),)


def pow(input: Any, exponent: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """``input ** exponent``; integer tensors refuse negative integer powers as torch does."""
    ad, bd = binary_operands(input, exponent)
    if _both_intlike(ad, bd):
        _refuse_bool(ad, bd, "pow")
        if np.any(np.asarray(exponent if type(exponent) is int else bd) < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        refuse_wrapped_scalar(input, exponent)
        refuse_wrapped_scalar(exponent, input)
    with quiet():
        try:
            res = wrap(np.power(ad, bd))
        except ValueError:
            raise _size_error(_shape(ad), _shape(bd)) from None
    if isinstance(input, Tensor) and isinstance(exponent, Tensor):
        node = record(res, PowBackward1, input, exponent)
        if node is not None:
            node.meta = (_meta(input), _meta(exponent))
            node.save(input, exponent, res.detach())
    elif isinstance(input, Tensor):
        node = record(res, PowBackward0, input)
        if node is not None:
            node.exponent, node.meta = exponent, _meta(input)
            node.save(input)
    else:
        node = record(res, PowBackward2, exponent)
        if node is not None:
            node.base, node.meta = input, _meta(exponent)
            node.save(exponent, res.detach())
    return res if out is None else _write_out(res, out, "pow")


# -- in-place forms ------------------------------------------------------------------------
def add_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """In-place ``self += alpha * other``."""
    if _tracks(self, other):
        return _inplace(self, _checked(self, other, add, alpha=alpha))
    if alpha != 1 or alpha is True:  # True == 1, but torch refuses bool alpha here
        other = _scaled(other._data if isinstance(other, Tensor) else other, alpha, self._data)
    return _fast_inplace(np.add, self, other)


def sub_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """In-place ``self -= alpha * other``."""
    if _tracks(self, other):
        return _inplace(self, _checked(self, other, sub, alpha=alpha))
    _refuse_bool_sub(self, other)
    o = other._data if isinstance(other, Tensor) else other
    if alpha != 1 or alpha is True:
        o = _scaled(o, alpha, self._data)
    return _fast_inplace(np.subtract, self, o)


def mul_(self: Tensor, other: Any) -> Tensor:
    """In-place ``self *= other``."""
    if _tracks(self, other):
        return _inplace(self, _checked(self, other, mul))
    return _fast_inplace(np.multiply, self, other)


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """In-place division; integer tensors need a rounding mode."""
    return _inplace(self, _checked(self, other, div, rounding_mode=rounding_mode))


def pow_(self: Tensor, exponent: Any) -> Tensor:
    """In-place ``self **= exponent``."""
    return _inplace(self, _checked(self, exponent, pow))

