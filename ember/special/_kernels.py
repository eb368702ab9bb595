"""Float64 array kernels behind ``ember.special``.

Most come from SciPy, loaded on first use (never at ``import ember``); ``entr``, ``zeta``
and the orthogonal polynomials are computed with NumPy alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ops._special_kernels import _hurwitz_zeta, _scipy


def scipy_special() -> Any:
    """``scipy.special``, or an ImportError naming what needs it."""
    mod = _scipy()
    if mod is None:
        raise ImportError("this ember.special function needs SciPy (pip install scipy)")
    return mod


def entr(x: np.ndarray) -> np.ndarray:
    # -x log x, continued by 0 at 0; -inf for negative x (outside the domain), NaN kept.
    with np.errstate(divide="ignore", invalid="ignore"):
        val = -x * np.log(np.where(x > 0, x, 1.0))
    return np.where(x > 0, val, np.where(x == 0, 0.0, np.where(np.isnan(x), x, -np.inf)))


def zeta(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hurwitz zeta; NaN for s < 1 and inf at s == 1, as torch's kernel returns."""
    sp = _scipy()
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    if sp is not None:
        res = sp.zeta(s, q)
    else:
        ok = s > 1
        res = np.full(s.shape, np.nan)
        res[ok] = _hurwitz_zeta(s[ok], q[ok])
    res = np.where(s == 1, np.inf, res)
    return np.where(s < 1, np.nan, res)


def scipy_unary(name: str) -> Callable:
    """A one-argument kernel from ``scipy.special`` (spherical j0 and Airy Ai derived)."""
    sp = scipy_special()
    if name == "spherical_bessel_j0":
        return lambda a: sp.spherical_jn(0, a)
    if name == "airy_ai":
        return lambda a: sp.airy(a)[0]
    return getattr(sp, name)


# -- orthogonal polynomials ------------------------------------------------------------------
def _recurrence(x: np.ndarray, n: np.ndarray, p1: np.ndarray,
                step: Callable[[int, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
                ) -> np.ndarray:
    """P_n(x) elementwise from P_0 = 1, P_1 = ``p1`` and P_{k+1} = step(k, x, P_k, P_{k-1}).

    Every element runs to the largest degree present; an element's value is taken when the
    loop reaches its own degree (degrees below 0 give 0).
    """
    out = np.where(n == 0, 1.0, np.where(n == 1, p1, 0.0))
    top = int(n.max(initial=0))
    prev, cur = np.ones_like(x), p1
    for k in range(1, top):
        prev, cur = cur, step(k, x, cur, prev)
        out = np.where(n == k + 1, cur, out)
    return out


def _sign_by_parity(n: np.ndarray) -> np.ndarray:
    return np.where(n % 2 == 0, 1.0, -1.0)


def chebyshev_t(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = _recurrence(x, n, x, lambda k, x, p, q: 2 * x * p - q)
    # High degrees inside (-1, 1): the trigonometric form is more accurate than recurrence.
    with np.errstate(invalid="ignore"):
        trig = np.cos(n * np.arccos(np.clip(x, -1, 1)))
    out = np.where((n > 6) & (np.abs(x) < 1), trig, out)
    edge = np.where((x > 0) | (n % 2 == 0), 1.0, -1.0)
    return _finish(out, x, n, edge)


def chebyshev_u(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = _recurrence(x, n, 2 * x, lambda k, x, p, q: 2 * x * p - q)
    edge = np.where((x > 0) | (n % 2 == 0), n + 1.0, -(n + 1.0))
    return _finish(out, x, n, edge)


def chebyshev_v(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = _recurrence(x, n, 2 * x - 1, lambda k, x, p, q: 2 * x * p - q)
    edge = np.where(x > 0, 1.0, _sign_by_parity(n) * (2.0 * n + 1.0))
    return _finish(out, x, n, edge)


def chebyshev_w(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = _recurrence(x, n, 2 * x + 1, lambda k, x, p, q: 2 * x * p - q)
    edge = np.where(x > 0, 2.0 * n + 1.0, _sign_by_parity(n))
    return _finish(out, x, n, edge)


def legendre_p(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = _recurrence(x, n, x, lambda k, x, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1))
    edge = np.where((x > 0) | (n % 2 == 0), 1.0, -1.0)
    return _finish(out, x, n, edge)


def _finish(out: np.ndarray, x: np.ndarray, n: np.ndarray, edge: np.ndarray) -> np.ndarray:
    """The exact values at x = +-1, and 0 for negative degrees."""
    out = np.where(np.abs(x) == 1, edge, out)
    return np.where(n < 0, 0.0, out)


def hermite_h(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = _recurrence(x, n, 2 * x, lambda k, x, p, q: 2 * x * p - 2 * k * q)
    return np.where(n < 0, 0.0, out)


def hermite_he(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = _recurrence(x, n, x, lambda k, x, p, q: x * p - k * q)
    return np.where(n < 0, 0.0, out)


def laguerre_l(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = _recurrence(x, n, 1 - x, lambda k, x, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1))
    out = np.where(x == 0, 1.0, out)
    return np.where(n < 0, 0.0, out)


def shifted(poly: Callable) -> Callable:
    """The polynomial on [0, 1]: ``poly`` at ``2 x - 1``."""
    return lambda x, n: poly(2 * x - 1, n)
