"""Comparisons, logical, bitwise and shift ops (never differentiable), and ``where``.

Comparisons promote their operands as arithmetic does (``int_tensor > 2.5`` compares as
floats) and return bool tensors. The in-place forms (``eq_``, ``logical_and_``, ``bitwise_or_``,
...) store the result into the first operand, cast to its dtype.
"""

from __future__ import annotations

import warnings

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._binary import _inplace
from ._core import Tensor, binary_operands, record, refuse_wrapped_scalar, wrap
from .arithmetic import _meta, _reduce, _shape, _size_error, _write_out

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "equal", "allclose", "isclose",
           "logical_and", "logical_or", "logical_xor", "logical_not",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "where",
           "bitwise_left_shift", "bitwise_right_shift", "greater", "greater_equal", "less",
           "less_equal", "not_equal"]
# In-place forms: bound as Tensor methods (torch has no functions for them).
INPLACE_METHODS: tuple = ("eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "greater_equal_",
                          "less_", "less_equal_", "not_equal_", "logical_and_", "logical_or_",
                          "logical_xor_", "logical_not_", "bitwise_and_", "bitwise_or_",
                          "bitwise_xor_", "bitwise_not_", "bitwise_left_shift_",
                          "bitwise_right_shift_")

_OPERAND_TYPES = (Tensor, int, float, complex, np.generic)


def _elementwise(np_fn: Any, ad: Any, bd: Any, out: Tensor | None, name: str) -> Tensor:
    """``np_fn(ad, bd)`` as a tensor (written into ``out`` when given), with torch's message
    for shapes that do not broadcast."""
    try:
        res = wrap(np_fn(ad, bd))
    except ValueError:
        raise _size_error(_shape(ad), _shape(bd)) from None
    return res if out is None else _write_out(res, out, name)


def _refuse_complex_order(ad: Any, bd: Any, name: str) -> None:
    """Complex numbers have no order: torch's ``lt``/``gt``/... kernels refuse them."""
    dt = (ad if type(ad) is np.ndarray else bd).dtype  # the operands share the promoted dtype
    if dt.kind == "c":
        raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                  f"'{D.scalar_type_name(dt)}'")


def _compare(np_fn: Any, name: str) -> Any:
    ordered = name not in ("eq", "ne")

    def op(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
        if not isinstance(other, _OPERAND_TYPES):
            # Lets Python answer ``t == None`` (False) or raise its own TypeError for ``<``.
            return NotImplemented
        ad, bd = binary_operands(input, other)
        if ordered:
            _refuse_complex_order(ad, bd, name)
        return _elementwise(np_fn, ad, bd, out, name)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` comparison with broadcasting; a bool tensor."
    return op


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and elements (dtypes may differ)."""
    return input._data.shape == other._data.shape and bool(
        np.array_equal(input._data, other._data))


def _same_dtype(input: Tensor, other: Tensor) -> None:
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"{D.scalar_type_name(input.dtype)} did not match "
                           f"{D.scalar_type_name(other.dtype)}")


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """``|input - other| <= atol + rtol * |other|`` elementwise (same dtypes required)."""
    _same_dtype(input, other)
    a, b = input._data, other._data
    if a.dtype.kind in "biu":  # exact integers: no float rounding in the difference
        a, b = a.astype(np.float64), b.astype(np.float64)
    return wrap(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True when ``isclose`` holds everywhere."""
    return bool(np.all(isclose(input, other, rtol, atol, equal_nan)._data))


def _logical(np_fn: Any, name: str) -> Any:
    def op(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                            f"{type(other).__name__}")
        a, b = input._data, other._data
        try:
            res = wrap(np_fn(a, b))
        except ValueError:
            raise _size_error(a.shape, b.shape) from None
        return res if out is None else _write_out(res, out, name)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` of the truth values (nonzero is True)."
    return op


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")


def logical_not(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    res = wrap(np.logical_not(input._data))
    return res if out is None else _write_out(res, out, "logical_not")


def _refuse_float(ad: Any, kernel: str) -> None:
    kind = getattr(ad, "dtype", np.dtype(float) if isinstance(ad, float) else np.dtype(int))
    if kind.kind not in "biu":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{D.scalar_type_name(kind)}'")


def _bitwise(np_fn: Any, name: str) -> Any:
    def op(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
        ad, bd = binary_operands(input, other)
        _refuse_float(ad if isinstance(input, Tensor) else bd, f"{name}_cpu")
        return _elementwise(np_fn, ad, bd, out, name)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` of integer or bool tensors."
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Bitwise complement of an integer tensor (logical not of a bool tensor)."""
    _refuse_float(input._data, "bitwise_not_cpu")
    res = wrap(np.invert(input._data))
    return res if out is None else _write_out(res, out, "bitwise_not")


def invert(input: Tensor) -> Tensor:
    """The ``~`` operator: only integer and bool tensors."""
    if input._data.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return wrap(np.invert(input._data))


# -- shifts --------------------------------------------------------------------------------
def _shift(input: Any, other: Any, left: bool, out: Tensor | None, name: str) -> Tensor:
    """``input << other`` or ``>>``: shifting by a negative amount or by the bit width or more
    gives 0 (-1 for negative values shifted right), as torch's kernels define it."""
    ad, bd = binary_operands(input, other)
    dt = (ad if type(ad) is np.ndarray else bd).dtype
    if dt.kind not in "iu":
        raise NotImplementedError(f'"{"l" if left else "r"}shift_cpu" not implemented for '
                                  f"'{D.scalar_type_name(dt)}'")
    a, b = np.asarray(ad, dtype=dt), np.asarray(bd, dtype=dt)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise _size_error(a.shape, b.shape) from None
    in_range = (b >= 0) & (b < dt.itemsize * 8)
    amount = np.where(in_range, b, 0).astype(dt, copy=False)
    if left:
        res = np.where(in_range, np.left_shift(a, amount), 0)
    else:
        res = np.where(in_range, np.right_shift(a, amount), np.where(a < 0, -1, 0))
    res = wrap(np.asarray(res).astype(dt, copy=False))
    return res if out is None else _write_out(res, out, name)


def bitwise_left_shift(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input << other`` elementwise on integer tensors."""
    return _shift(input, other, True, out, "bitwise_left_shift")


def bitwise_right_shift(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input >> other`` elementwise on integer tensors (arithmetic shift for signed)."""
    return _shift(input, other, False, out, "bitwise_right_shift")


# -- in-place forms ------------------------------------------------------------------------
def _make_inplace(fn: Any, name: str) -> Any:
    def op(self: Tensor, other: Any) -> Tensor:
        return _inplace(self, fn(self, other))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"In-place ``{name[:-1]}``: the result is stored into ``self``."
    return op


(eq_, ne_, lt_, le_, gt_, ge_, logical_and_, logical_or_, logical_xor_, bitwise_and_,
 bitwise_or_, bitwise_xor_, bitwise_left_shift_, bitwise_right_shift_) = (
    _make_inplace(f, f.__name__ + "_") for f in (
        eq, ne, lt, le, gt, ge, logical_and, logical_or, logical_xor, bitwise_and, bitwise_or,
        bitwise_xor, bitwise_left_shift, bitwise_right_shift))
greater_, greater_equal_, less_, less_equal_, not_equal_ = gt_, ge_, lt_, le_, ne_


def logical_not_(self: Tensor) -> Tensor:
    """In-place ``logical_not``: 1/0 (True/False) in ``self``'s dtype."""
    return _inplace(self, logical_not(self))


def bitwise_not_(self: Tensor) -> Tensor:
    """In-place ``bitwise_not``."""
    return _inplace(self, bitwise_not(self))


class WhereBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (cond,) = self.saved()
        ma, mb = self.meta
        ga = None if ma is None else _reduce(where(cond, grad, 0.0), ma)
        gb = None if mb is None else _reduce(where(cond, 0.0, grad), mb)
        return ga, gb


def _where_operands(input: Any, other: Any) -> tuple:
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        refuse_wrapped_scalar(input, other)
        refuse_wrapped_scalar(other, input)
        return binary_operands(input, other)
    dt = D.result_type(input, other).np  # two Python scalars
    return dt.type(input), dt.type(other)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (broadcasting).

    With only ``condition``, the indices of its nonzero elements, one tensor per dimension.

    >>> ember.where(ember.tensor([True, False]), ember.tensor([1.0, 2.0]), 0.0)
    tensor([1., 0.])
    """
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    cond = condition._data
    if cond.dtype == np.uint8:
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated "
                      "and will be removed in a future version. Use a boolean condition "
                      "instead.", UserWarning, stacklevel=2)
        cond = cond.astype(np.bool_)
    elif cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {D.scalar_type_name(condition.dtype)}")
    ad, bd = _where_operands(input, other)
    try:
        res = wrap(np.where(cond, ad, bd))
    except ValueError:
        raise _size_error(_shape(ad), _shape(bd)) from None
    node = record(res, WhereBackward0, input, other)  # no edge for the condition
    if node is not None:
        node.save(condition)
        node.meta = (_meta(input), _meta(other))
    return res
