"""Bessel, Airy and orthogonal-polynomial functions of ``ember.special``.

As in torch, these have no derivative: their results never require grad. The polynomials
take a degree ``n`` (a tensor or a number; a float degree is truncated to an integer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from ..ops._binary import _write_out
from ..ops._core import Tensor
from ..ops.pointwise import _apply, _float_operands
from ..ops.special_math import _float_apply
from . import _kernels as K

_BESSEL = {"bessel_j0": "j0", "bessel_j1": "j1", "bessel_y0": "y0", "bessel_y1": "y1",
           "modified_bessel_i0": "i0", "modified_bessel_i1": "i1", "modified_bessel_k0": "k0",
           "modified_bessel_k1": "k1", "scaled_modified_bessel_k0": "k0e",
           "scaled_modified_bessel_k1": "k1e", "spherical_bessel_j0": "spherical_bessel_j0",
           "airy_ai": "airy_ai"}

_POLYNOMIALS = {"chebyshev_polynomial_t": K.chebyshev_t, "chebyshev_polynomial_u": K.chebyshev_u,
                "chebyshev_polynomial_v": K.chebyshev_v, "chebyshev_polynomial_w": K.chebyshev_w,
                "hermite_polynomial_h": K.hermite_h, "hermite_polynomial_he": K.hermite_he,
                "laguerre_polynomial_l": K.laguerre_l, "legendre_polynomial_p": K.legendre_p}
_POLYNOMIALS.update({f"shifted_{name}": K.shifted(_POLYNOMIALS[name]) for name in
                     ("chebyshev_polynomial_t", "chebyshev_polynomial_u",
                      "chebyshev_polynomial_v", "chebyshev_polynomial_w")})

__all__ = list(_BESSEL) + list(_POLYNOMIALS)


def _bessel(name: str, scipy_name: str) -> Callable:
    def fn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        res = _float_apply(input, lambda a: K.scipy_unary(scipy_name)(a), f"{name}_cpu")
        return _write_out(res, out, f"special_{name}")
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name}`` elementwise (no gradient)."
    return fn


def _poly_operands(name: str, x: Any, n: Any) -> tuple:
    """(x, n) arrays in the promoted float dtype, torch's errors for what it refuses."""
    if not isinstance(x, Tensor) and not isinstance(n, Tensor):
        raise TypeError(
            f"special_{name}() received an invalid combination of arguments - got "
            f"({type(x).__name__}, {type(n).__name__}), but expected one of:\n"
            " * (Tensor x, Tensor n, *, Tensor out = None)\n"
            " * (Number x, Tensor n, *, Tensor out = None)\n"
            " * (Tensor x, Number n, *, Tensor out = None)\n")
    xd, nd = _float_operands(x, n, None)
    dt = np.result_type(xd, nd)
    if dt.kind == "c":
        raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                  f"'{D.scalar_type_name(dt)}'")
    return xd, nd, dt


def _polynomial(name: str, kernel: Callable) -> Callable:
    def fn(input: Any, n: Any, *, out: Tensor | None = None) -> Tensor:
        xd, nd, dt = _poly_operands(name, input, n)

        def compute(a: Any, b: Any) -> np.ndarray:
            a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
            # the degree is an integer: a float one is truncated (NaN counts as no degree)
            deg = np.trunc(np.nan_to_num(b, nan=-1.0, posinf=-1.0, neginf=-1.0))
            return np.asarray(kernel(a, deg.astype(np.int64)), dtype=dt)

        return _write_out(_apply(compute, xd, nd), out, f"special_{name}")
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name}`` of degree ``n`` at ``input`` (no gradient)."
    return fn


for _name, _scipy_name in _BESSEL.items():
    globals()[_name] = _bessel(_name, _scipy_name)
for _name, _kernel in _POLYNOMIALS.items():
    globals()[_name] = _polynomial(_name, _kernel)
del _name, _scipy_name, _kernel
