"""Window functions for signal processing (Hann, Hamming, Blackman, Bartlett, Kaiser).

Each returns a 1-D tensor of ``window_length`` samples. A periodic window (the default, the
one spectral analysis with ``ember.fft`` wants) is the symmetric window of length
``window_length + 1`` without its last sample. Values are computed in float64 and stored in
``dtype`` (default: the default float dtype).

>>> ember.hann_window(4)
tensor([0.0000, 0.5000, 1.0000, 0.5000])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from ._factory_args import _finish
from ._special_kernels import _kernel

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]
TENSOR_METHODS: tuple = ()

# How torch's option errors print integer and bool dtypes (their C++ names).
_CPP_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool", "uint16": "unsigned short",
              "uint32": "unsigned int", "uint64": "unsigned long"}


def _window(name: str, window_length: int, periodic: bool, dtype: Any, device: Any,
            requires_grad: bool, shape: Callable[[np.ndarray, int], np.ndarray]) -> Any:
    """Validate the arguments, then ``shape(n, N)`` for samples ``n`` of a symmetric window
    of ``N`` points (``N`` one larger for a periodic window)."""
    if not isinstance(window_length, (int, np.integer)) or isinstance(window_length, bool):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    dt = D._defaults.float if dtype is None else dtype
    if dt.np.kind == "c":
        raise NotImplementedError(f"\"arange_cpu\" not implemented for "
                                  f"'{D.scalar_type_name(dt.np)}'")
    if dt.np.kind != "f":
        flag = "true" if requires_grad else "false (default)"
        raise RuntimeError(
            f"{name} expects floating point dtypes, got: TensorOptions(dtype="
            f"{_CPP_NAMES.get(dt.np.name, dt.np.name)}, device=cpu, layout=Strided (default), "
            f"requires_grad={flag}, pinned_memory=false, memory_format=(nullopt))")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    if window_length <= 1:
        values = np.ones(window_length)
    else:
        points = window_length + 1 if periodic else window_length
        values = shape(np.arange(window_length, dtype=np.float64), points)
    return _finish(values.astype(dt.np), requires_grad, device)


def _cosine_sum(*coefficients: float) -> Callable[[np.ndarray, int], np.ndarray]:
    """``sum((-1)**k a_k cos(2 pi k n / (N - 1)))``: the Hann/Hamming/Blackman family."""
    def shape(n: np.ndarray, points: int) -> np.ndarray:
        phase = 2 * np.pi * n / (points - 1)
        return sum((-1) ** k * a * np.cos(k * phase) for k, a in enumerate(coefficients))
    return shape


def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                layout: Any = None, device: Any = None, requires_grad: bool = False) -> Any:
    """The Hann window ``0.5 - 0.5 cos(2 pi n / (N - 1))``."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum(0.5, 0.5))


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype: Any = None, layout: Any = None,
                   device: Any = None, requires_grad: bool = False) -> Any:
    """The generalized Hamming window ``alpha - beta cos(2 pi n / (N - 1))``."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum(alpha, beta))


def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None, requires_grad: bool = False) -> Any:
    """The Blackman window ``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum(0.42, 0.5, 0.08))


def _triangle(n: np.ndarray, points: int) -> np.ndarray:
    return 1 - np.abs(2 * n / (points - 1) - 1)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None, requires_grad: bool = False) -> Any:
    """The Bartlett (triangular) window ``1 - |2 n / (N - 1) - 1|``."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   _triangle)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype: Any = None, layout: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Any:
    """The Kaiser window ``I0(beta sqrt(1 - (2 n / (N - 1) - 1)**2)) / I0(beta)``."""
    i0 = _kernel("i0")

    def shape(n: np.ndarray, points: int) -> np.ndarray:
        ratio = 2 * n / (points - 1) - 1
        # clip: rounding can push 1 - ratio**2 a hair below 0 at the ends
        return i0(beta * np.sqrt(np.clip(1 - ratio * ratio, 0, None))) / i0(np.float64(beta))

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   shape)
