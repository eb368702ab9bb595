"""Elementwise binary arithmetic: + - * / // % ** maximum minimum, and their in-place forms.

Each op's forward function sits right above its ``...Backward`` node. Gradients of
broadcast operands are reduced back to the operand's shape with ``sum_to``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.graph import Node
from ._core import (Tensor, binary_operands, check_inplace, make_inplace_result, record,
                    sum_to, wrap)

__all__ = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod",
           "pow", "maximum", "minimum", "rsub", "neg", "reciprocal",
           "add_", "sub_", "mul_", "div_", "pow_"]


def _shape(x: Any) -> tuple:
    return x._data.shape if isinstance(x, Tensor) else ()


def _write_out(result: Tensor, out: Tensor | None) -> Tensor:
    """Honour ``out=``: copy into the given tensor (resizing like torch when empty)."""
    if out is None:
        return result
    if out._data.shape != result._data.shape:
        if out._data.size != 0:
            raise RuntimeError(f"output with shape {list(out.shape)} doesn't match the "
                               f"broadcast shape {list(result.shape)}")
        out._data = np.empty_like(result._data, dtype=out._data.dtype)
    check_inplace(out)
    np.copyto(out._data, result._data, casting="unsafe")
    out._version[0] += 1
    return out


# -- add ----------------------------------------------------------------------------------
class AddBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        ga = sum_to(grad, self.a_shape)
        gb = sum_to(grad if self.alpha == 1 else grad * self.alpha, self.b_shape)
        return ga, gb


def add(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input + alpha * other`` with broadcasting and type promotion."""
    ad, bd = binary_operands(input, other)
    res = wrap(ad + bd if alpha == 1 else ad + alpha * bd)
    node = record(res, AddBackward0, input, other)
    if node is not None:
        node.a_shape, node.b_shape, node.alpha = _shape(input), _shape(other), alpha
    return _write_out(res, out)


# -- sub ----------------------------------------------------------------------------------
class SubBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return sum_to(grad, self.a_shape), sum_to(grad * -self.alpha, self.b_shape)


def sub(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input - alpha * other``."""
    ad, bd = binary_operands(input, other)
    if getattr(ad, "dtype", None) == np.bool_ and getattr(bd, "dtype", None) == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    res = wrap(ad - bd if alpha == 1 else ad - alpha * bd)
    node = record(res, SubBackward0, input, other)
    if node is not None:
        node.a_shape, node.b_shape, node.alpha = _shape(input), _shape(other), alpha
    return _write_out(res, out)


class RsubBackward1(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (-grad if self.alpha == 1 else grad * -self.alpha,)


def rsub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """``other - alpha * input`` (what ``2 - x`` computes)."""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    bd, ad = binary_operands(other, input)
    res = wrap(bd - ad if alpha == 1 else bd - alpha * ad)
    node = record(res, RsubBackward1, input)
    if node is not None:
        node.alpha = alpha
    return res


# -- mul ----------------------------------------------------------------------------------
class MulBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        a = self.a_scalar if a is None else a
        b = self.b_scalar if b is None else b
        ga = sum_to(grad * _conj(b), self.a_shape) if self.needs[0] else None
        gb = sum_to(grad * _conj(a), self.b_shape) if self.needs[1] else None
        return ga, gb


def _conj(x: Any) -> Any:
    return x.conj() if isinstance(x, Tensor) and x.is_complex() else x


def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """Elementwise product with broadcasting."""
    ad, bd = binary_operands(input, other)
    res = wrap(ad * bd)
    node = record(res, MulBackward0, input, other)
    if node is not None:
        _save_pair(node, input, other)
    return _write_out(res, out)


def _save_pair(node: Node, a: Any, b: Any) -> None:
    """Save both operands (tensors are version-checked, scalars kept as they are)."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    # Only keep what a needed gradient uses: d(a*b)/da needs b and vice versa.
    na = ta and (a._requires_grad)
    nb = tb and (b._requires_grad)
    node.needs = (na, nb)
    node.save(a if ta and nb else None, b if tb and na else None)
    node.a_scalar, node.b_scalar = (None if ta else a), (None if tb else b)
    node.a_shape, node.b_shape = _shape(a), _shape(b)


# -- div ----------------------------------------------------------------------------------
class DivBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        b = self.b_scalar if b is None else b
        ga = sum_to(grad / b, self.a_shape) if self.needs[0] else None
        gb = None
        if self.needs[1]:
            a = self.a_scalar if a is None else a
            gb = sum_to(-grad * a / (b * b), self.b_shape)
        return ga, gb


class DivBackward1(Node):  # rounding_mode given: piecewise constant, zero gradient
    def backward(self, grad: Tensor) -> tuple:
        return grad * 0, None


def div(input: Any, other: Any, *, rounding_mode: str | None = None,
        out: Tensor | None = None) -> Tensor:
    """True division (ints give the default float dtype), or 'trunc'/'floor' rounding."""
    if rounding_mode is not None:
        return _rounded_div(input, other, rounding_mode, out)
    ad, bd = binary_operands(input, other)
    if _both_intlike(ad, bd):
        from .._dtype import get_default_dtype
        f = get_default_dtype().np
        ad = ad.astype(f) if hasattr(ad, "astype") else f.type(ad)
        bd = bd.astype(f) if hasattr(bd, "astype") else f.type(bd)
    with np.errstate(divide="ignore", invalid="ignore"):
        res = wrap(ad / bd)
    node = record(res, DivBackward0, input, other)
    if node is not None:
        _save_pair(node, input, other)
        # Unlike mul, d/db of a/b needs both operands.
        node.save(*(x if isinstance(x, Tensor) else None for x in (input, other)))
    return _write_out(res, out)


def _both_intlike(ad: Any, bd: Any) -> bool:
    ka = ad.dtype.kind if hasattr(ad, "dtype") else ("f" if isinstance(ad, float) else "i")
    kb = bd.dtype.kind if hasattr(bd, "dtype") else ("f" if isinstance(bd, float) else "i")
    return ka in "biu" and kb in "biu"


def _rounded_div(input: Any, other: Any, mode: str, out: Tensor | None) -> Tensor:
    if mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{mode}'")
    ad, bd = binary_operands(input, other)
    with np.errstate(divide="ignore", invalid="ignore"):
        if _both_intlike(ad, bd):
            if np.any(np.asarray(bd) == 0):
                raise RuntimeError("ZeroDivisionError")
            q = np.floor_divide(ad, bd)
            if mode == "trunc":
                q = q + ((np.remainder(ad, bd) != 0) & ((np.asarray(ad) < 0) != (np.asarray(bd) < 0)))
        else:
            q = np.floor(ad / bd) if mode == "floor" else np.trunc(ad / bd)
    res = wrap(np.asarray(q).astype(np.result_type(ad, bd), copy=False)
               if hasattr(q, "astype") else q)
    record(res, DivBackward1, input, other)
    return _write_out(res, out)


true_divide = div


def floor_divide(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input // other``: floor division, not differentiable (as in torch)."""
    ad, bd = binary_operands(input, other)
    if _both_intlike(ad, bd) and np.any(np.asarray(bd) == 0):
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(divide="ignore", invalid="ignore"):
        return _write_out(wrap(np.floor_divide(ad, bd)), out)


class RemainderBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return sum_to(grad, self.a_shape), None


def remainder(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """Python-style modulus (the result has the divisor's sign)."""
    ad, bd = binary_operands(input, other)
    if _both_intlike(ad, bd) and np.any(np.asarray(bd) == 0):
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(divide="ignore", invalid="ignore"):
        res = wrap(np.remainder(ad, bd))
    node = record(res, RemainderBackward0, input)
    if node is not None:
        node.a_shape = _shape(input)
    return _write_out(res, out)


def fmod(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """C-style modulus (the result has the dividend's sign)."""
    ad, bd = binary_operands(input, other)
    with np.errstate(divide="ignore", invalid="ignore"):
        res = wrap(np.fmod(ad, bd))
    node = record(res, RemainderBackward0, input)
    if node is not None:
        node.a_shape = _shape(input)
    return _write_out(res, out)


# -- pow ----------------------------------------------------------------------------------
class PowBackward0(Node):  # tensor ** scalar
    def backward(self, grad: Tensor) -> tuple:
        (a,) = self.saved()
        e = self.exponent
        if e == 0:
            return (grad * 0,)
        return (grad * e * a ** (e - 1),)


class PowBackward1(Node):  # tensor ** tensor
    def backward(self, grad: Tensor) -> tuple:
        a, b, res = self.saved()
        ga = gb = None
        if self.needs[0]:
            ga = sum_to(grad * b * a ** (b - 1), self.a_shape)
        if self.needs[1]:
            la = a.log().masked_fill((a == 0) & (b >= 0), 0)
            gb = sum_to(grad * res * la, self.b_shape)
        return ga, gb


class PowBackward2(Node):  # scalar ** tensor
    def backward(self, grad: Tensor) -> tuple:
        (res,) = self.saved()
        if self.base == 0:
            return (grad * 0,)
        return (grad * res * float(np.log(self.base)),)


def pow(input: Any, exponent: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """``input ** exponent``; integer tensors refuse negative integer powers as torch does."""
    ad, bd = binary_operands(input, exponent)
    if _both_intlike(ad, bd) and np.any(np.asarray(bd) < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        res = wrap(np.power(ad, bd))
    if isinstance(input, Tensor) and isinstance(exponent, Tensor):
        node = record(res, PowBackward1, input, exponent)
        if node is not None:
            node.needs = (input._requires_grad, exponent._requires_grad)
            node.a_shape, node.b_shape = input._data.shape, exponent._data.shape
            node.save(input, exponent, res.detach())
    elif isinstance(input, Tensor):
        node = record(res, PowBackward0, input)
        if node is not None:
            node.exponent = exponent
            node.save(input)
    else:
        node = record(res, PowBackward2, exponent)
        if node is not None:
            node.base = input
            node.save(res.detach())
    return _write_out(res, out)


# -- maximum / minimum ----------------------------------------------------------------------
class MaximumBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        # Ties split the gradient evenly between both operands, as torch does.
        wa = (a > b).to(grad.dtype) + (a == b).to(grad.dtype) * 0.5
        return sum_to(grad * wa, a.shape), sum_to(grad * (1 - wa), b.shape)


class MinimumBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        wa = (a < b).to(grad.dtype) + (a == b).to(grad.dtype) * 0.5
        return sum_to(grad * wa, a.shape), sum_to(grad * (1 - wa), b.shape)


def maximum(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise maximum (NaN propagates)."""
    ad, bd = binary_operands(input, other)
    res = wrap(np.maximum(ad, bd))
    node = record(res, MaximumBackward0, input, other)
    if node is not None:
        node.save(input, other)
    return _write_out(res, out)


def minimum(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise minimum (NaN propagates)."""
    ad, bd = binary_operands(input, other)
    res = wrap(np.minimum(ad, bd))
    node = record(res, MinimumBackward0, input, other)
    if node is not None:
        node.save(input, other)
    return _write_out(res, out)


# -- unary sign ops -----------------------------------------------------------------------
class NegBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (-grad,)


def neg(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    res = wrap(np.negative(input._data))
    record(res, NegBackward0, input)
    return _write_out(res, out)


class ReciprocalBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (res,) = self.saved()
        return (-grad * res * res,)


def reciprocal(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    data = input._data
    if data.dtype.kind in "biu":
        from .._dtype import get_default_dtype
        data = data.astype(get_default_dtype().np)
    with np.errstate(divide="ignore"):
        res = wrap(np.reciprocal(data))
    node = record(res, ReciprocalBackward0, input)
    if node is not None:
        node.save(res.detach())
    return _write_out(res, out)


# -- in-place ------------------------------------------------------------------------------
def _inplace(t: Tensor, result: Tensor) -> Tensor:
    """Store an out-of-place result into ``t`` and make ``t`` carry its history."""
    check_inplace(t)
    if result._data.shape != t._data.shape:
        raise RuntimeError(f"output with shape {list(t.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    if result._data.dtype != t._data.dtype and not np.can_cast(
            result._data.dtype, t._data.dtype, "same_kind"):
        raise RuntimeError(f"result type {result.dtype.name.capitalize()} can't be cast to the "
                           f"desired output type {t.dtype.name.capitalize()}")
    np.copyto(t._data, result._data, casting="unsafe")
    t._version[0] += 1
    if result.grad_fn is not None:
        t.grad_fn, t._requires_grad, t._output_nr = result.grad_fn, True, 0
    return t


def add_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    if not _tracks(self, other):
        check_inplace(self)
        np.add(self._data, other._data if isinstance(other, Tensor) else other,
               out=self._data, casting="same_kind") if alpha == 1 else np.add(
            self._data, alpha * (other._data if isinstance(other, Tensor) else other),
            out=self._data, casting="same_kind")
        self._version[0] += 1
        return self
    return _inplace(self, add(self, other, alpha=alpha))


def sub_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    return add_(self, other, alpha=-alpha)


def mul_(self: Tensor, other: Any) -> Tensor:
    if not _tracks(self, other):
        check_inplace(self)
        np.multiply(self._data, other._data if isinstance(other, Tensor) else other,
                    out=self._data, casting="same_kind")
        self._version[0] += 1
        return self
    return _inplace(self, mul(self.clone() if isinstance(other, Tensor) else self, other))


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    return _inplace(self, div(self.clone() if _tracks(self, other) else self, other,
                              rounding_mode=rounding_mode))


def pow_(self: Tensor, exponent: Any) -> Tensor:
    return _inplace(self, pow(self.clone() if _tracks(self, exponent) else self, exponent))


def _tracks(self: Tensor, other: Any) -> bool:
    from ..autograd.grad_mode import state
    return state.enabled and (self._requires_grad or (
        isinstance(other, Tensor) and other._requires_grad))


_ = make_inplace_result
