"""Sample frequencies and spectrum shifts for ``ember.fft``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..ops._core import Tensor, normalize_dims
from ..ops._factory_args import _finish


def _frequencies(name: str, values: np.ndarray, n: int, d: float, dtype: Any, device: Any,
                 requires_grad: bool) -> Tensor:
    dt = D._defaults.float if dtype is None else dtype
    # computed in float64, then stored: the spacing 1 / (d n) is exact to the last bit
    with np.errstate(invalid="ignore", divide="ignore"):  # n == 0: no values at all
        scaled = values / (d * n)
    return _finish(scaled.astype(dt.np), requires_grad, device)


def _check_n(name: str, n: Any) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"fft_{name}(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")


def fftfreq(n: int, d: float = 1.0, *, dtype: Any = None, layout: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """The frequencies of ``fft``'s ``n`` bins for samples ``d`` apart: ``[0, 1, ...,
    -2, -1] / (d n)``."""
    _check_n("fftfreq", n)
    k = np.arange(n, dtype=np.float64)
    k[(n + 1) // 2:] -= n
    return _frequencies("fftfreq", k, n, d, dtype, device, requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, dtype: Any = None, layout: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """The frequencies of ``rfft``'s ``n // 2 + 1`` bins: ``[0, 1, ..., n // 2] / (d n)``."""
    _check_n("rfftfreq", n)
    k = np.arange(n // 2 + 1, dtype=np.float64)
    return _frequencies("rfftfreq", k, n, d, dtype, device, requires_grad)


def _shift(input: Tensor, dim: Any, sign: int) -> Tensor:
    dims = normalize_dims(dim, input._data.ndim)
    if dims is None:
        dims = tuple(range(input._data.ndim))
    if not dims:
        return input.roll(0)
    shifts = [sign * (input._data.shape[d] // 2) for d in dims]
    return input.roll(shifts, dims)


def fftshift(input: Tensor, dim: Any = None) -> Tensor:
    """Roll the zero frequency to the middle of each of ``dim`` (all by default)."""
    return _shift(input, dim, 1)


def ifftshift(input: Tensor, dim: Any = None) -> Tensor:
    """The inverse of ``fftshift``."""
    return _shift(input, dim, -1)
