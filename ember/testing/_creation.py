"""make_tensor: random test tensors of a given shape, dtype and device."""

from __future__ import annotations

import collections.abc
import math
import warnings
from typing import Any

from .. import _dtype
from .._tensor import Tensor

__all__ = ["make_tensor"]

_DEFAULT_LOW, _DEFAULT_HIGH = -9, 9


def _check_interval(low: float | None, high: float | None, dtype: _dtype.dtype, lowest: float,
                    highest: float, default_high: float) -> tuple[float, float]:
    """The sampling interval [low, high): defaults filled in, validated, clamped to the dtype."""
    low = _DEFAULT_LOW if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got {low=} and {high=}")
    if low == high and (dtype.is_floating_point or dtype.is_complex):
        warnings.warn("Passing `low==high` to `ember.testing.make_tensor` for floating or "
                      "complex types is deprecated. Use `ember.full(...)` instead.",
                      FutureWarning, stacklevel=4)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), "
                         f"but {dtype} only supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if not (dtype.is_floating_point or dtype.is_complex):
        # integers: the exclusive upper bound is rounded up like the lower one
        return math.ceil(low), math.ceil(high)
    return low, high


def _sample(shape: tuple, dtype: _dtype.dtype, device: Any, low: float | None,
            high: float | None) -> Tensor:
    from .. import ops
    if dtype == _dtype.bool:
        lo, hi = _check_interval(low, high, dtype, 0, 2, 2)
        return ops.randint(lo, hi, shape, dtype=dtype, device=device)
    if not (dtype.is_floating_point or dtype.is_complex):
        info = ops.iinfo(dtype)
        # randint's bounds live in int64, so int64's own maximum stays out of reach
        top = info.max + (1 if dtype != _dtype.int64 else 0)
        lo, hi = _check_interval(low, high, dtype, info.min, top, 10)
        return ops.randint(lo, hi, shape, dtype=dtype, device=device)
    real = dtype.to_real() if dtype.is_complex else dtype
    info = ops.finfo(real)
    lo, hi = _check_interval(low, high, dtype, info.min, info.max, _DEFAULT_HIGH)
    parts = (*shape, 2) if dtype.is_complex else shape
    values = ops.empty(parts, dtype=real, device=device)
    if hi - lo >= info.max:  # the width overflows: draw over half the interval, then double
        values = values.uniform_(lo / 2, hi / 2).mul_(2)
    else:
        values = values.uniform_(lo, hi)
    return ops.view_as_complex(values) if dtype.is_complex else values


def make_tensor(*shape: int | tuple[int, ...] | list[int], dtype: _dtype.dtype, device: Any,
                low: float | None = None, high: float | None = None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format: Any = None) -> Tensor:
    """A tensor of ``shape`` with values drawn uniformly from ``[low, high)``.

    The interval defaults to [-9, 9) for floating and complex dtypes (both parts), [-9, 10)
    for integers (clamped to the dtype, so [0, 10) for uint8) and {False, True} for bools.
    ``noncontiguous`` returns a strided view; ``exclude_zero`` replaces zeros by 1 (integers)
    or the smallest normal number (floating types).
    """
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got {noncontiguous=} and {memory_format=}")
    floating = dtype.is_floating_point or dtype.is_complex
    if requires_grad and not floating:
        raise ValueError("`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got {dtype=}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:  # twice as wide, then every second column from the second one on
        shape = (*shape[:-1], 2 * shape[-1])
    result = _sample(shape, dtype, device, low, high)
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        from ..ops import finfo
        real = dtype.to_real() if dtype.is_complex else dtype
        result[result == 0] = finfo(real).tiny if floating else 1
    if floating:
        result.requires_grad_(requires_grad)
    return result
