"""The float64 kernels behind ember's special functions (lgamma, digamma, polygamma, i0, i1).

SciPy's are used when it is installed (loaded on first use, never at import); otherwise
NumPy-only series and recurrences accurate to a few units in the last place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._errstate import quiet

_scipy_state: dict = {}


def _scipy() -> Any:
    """``scipy.special`` when installed (imported once, on first use), else None."""
    if "mod" not in _scipy_state:
        try:
            import scipy.special as mod
        except ImportError:
            mod = None
        _scipy_state["mod"] = mod
    return _scipy_state["mod"]


# Bernoulli numbers B2, B4, ..., B24: the coefficients of the asymptotic expansions.
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
        43867 / 798, -174611 / 330, 854513 / 138, -236364091 / 2730)


def _hurwitz_zeta(s: Any, q: np.ndarray) -> np.ndarray:
    """``sum((q + k) ** -s for k >= 0)`` for s > 1: ten direct terms, then Euler-Maclaurin
    (q < 0 is first shifted above 0 term by term; q a non-positive integer gives inf)."""
    q = np.array(q, dtype=np.float64)
    s = np.broadcast_to(np.asarray(s, dtype=np.float64), q.shape)
    total = np.zeros(q.shape)
    pole = (q <= 0) & (q == np.floor(q))
    neg = (q < 0) & ~pole
    while neg.any():
        total[neg] += q[neg] ** -s[neg]
        q[neg] += 1
        neg &= q < 0
    for _ in range(10):
        total += q ** -s
        q = q + 1
    total += q ** (1 - s) / (s - 1) + 0.5 * q ** -s
    rising, power = s.copy(), q ** (-s - 1)
    for j, b in enumerate(_B2K, start=1):
        total += b / math.factorial(2 * j) * rising * power
        rising = rising * (s + 2 * j - 1) * (s + 2 * j)
        power = power / (q * q)
    return np.where(pole, np.inf, total)


# (-1)^k (zeta(k) - 1) / k, k = 2..31: the Taylor coefficients of lgamma around 2.
_K = np.arange(2, 32)
_LG2_COEF = ((-1.0) ** _K * _hurwitz_zeta(_K, np.full(_K.shape, 2.0)) / _K)[::-1]
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_EULER = 0.5772156649015329


def _lgamma2(z: np.ndarray) -> np.ndarray:
    """``lgamma(2 + z)`` for |z| <= 0.5 by its Taylor series (accurate near the root at 2)."""
    acc = np.zeros_like(z)
    for c in _LG2_COEF:
        acc = (acc + c) * z
    return (acc + (1 - _EULER)) * z


def _lgamma_pos(x: np.ndarray) -> np.ndarray:
    """lgamma for x > 0: Stirling from 10 up, else a shift into [0.5, 2.5] and the series."""
    out = np.empty_like(x)
    big = x >= 10
    xb = x[big]
    with quiet():
        series = sum(b / (2 * k * (2 * k - 1) * xb ** (2 * k - 1))
                     for k, b in enumerate(_B2K[:8], start=1))
        out[big] = np.where(xb == np.inf, np.inf,
                            (xb - 0.5) * np.log(xb) - xb + _HALF_LOG_2PI + series)
    y = x[~big]
    prod = np.ones_like(y)
    for _ in range(8):  # Gamma(y) = (y - 1) Gamma(y - 1); y - 1 is exact for y >= 2
        m = y >= 2.5
        prod[m] *= y[m] - 1
        y[m] -= 1
    hi, mid, low = y >= 1.5, (y >= 0.5) & (y < 1.5), y < 0.5
    res = np.log(prod)
    res[hi] += _lgamma2(y[hi] - 2)
    res[mid] += _lgamma2(y[mid] - 1) - np.log(y[mid])
    res[low] += _lgamma2(y[low]) - np.log1p(y[low]) - np.log(y[low])
    out[~big] = res
    return out


def _lgamma_np(x: np.ndarray) -> np.ndarray:
    out = np.full(x.shape, np.inf)  # the poles: 0, the negative integers, -inf
    pos = x > 0
    out[pos] = _lgamma_pos(x[pos])
    out[np.isnan(x)] = np.nan
    neg = (x < 0) & (x != np.floor(x))
    xn = x[neg]
    # Reflection; sin(pi x) taken from x minus its nearest integer stays accurate.
    out[neg] = (np.log(np.pi / np.abs(np.sin(np.pi * (xn - np.round(xn)))))
                - _lgamma_pos(1 - xn))
    return out


def _digamma_np(x: np.ndarray) -> np.ndarray:
    out = np.full(x.shape, np.nan)  # the negative integers and -inf
    out[x == 0] = np.copysign(np.inf, -x[x == 0])
    neg = (x < 0) & (x != np.floor(x))
    y = np.where(neg, 1 - x, x)  # reflection: psi(x) = psi(1 - x) - pi / tan(pi x)
    ok = (y > 0) | np.isnan(y)
    y = y[ok]
    acc = np.zeros_like(y)
    for _ in range(10):  # psi(y) = psi(y + 1) - 1 / y, up to where the expansion holds
        m = y < 10
        acc[m] -= 1 / y[m]
        y[m] += 1
    inv2 = 1 / (y * y)
    series = sum(b / (2 * k) * inv2 ** k for k, b in enumerate(_B2K[:8], start=1))
    out[ok] = acc + np.log(y) - 0.5 / y - series
    xn = x[neg]
    out[neg] -= np.pi / np.tan(np.pi * (xn - np.round(xn)))
    return out


def _bessel_np(x: np.ndarray, order: int) -> np.ndarray:
    """I0 or I1: the power series below 20, above it the asymptotic expansion (its e**x
    factor taken with the 1/sqrt(2 pi x) inside, so no intermediate overflow)."""
    ax = np.abs(x)
    out = np.empty_like(ax)
    small = ax < 20
    q = ax[small] ** 2 / 4
    term = np.ones_like(q) if order == 0 else ax[small] / 2
    total = term.copy()
    for k in range(1, 60):
        term = term * q / (k * (k + order))
        total += term
    out[small] = total
    xb = ax[~small]
    term, total, mu = np.ones_like(xb), np.ones_like(xb), 4.0 * order * order
    for k in range(1, 40):
        term = term * ((2 * k - 1) ** 2 - mu) / (8 * k * xb)
        total += term
    with quiet():
        out[~small] = np.exp(xb - 0.5 * np.log(2 * np.pi * xb)) * total
    return out if order == 0 else np.copysign(out, x)


def _kernel(name: str) -> Callable:
    """The float64 kernel ``name``: SciPy's when available, else ember's NumPy one."""
    sp = _scipy()
    if sp is not None:
        # SciPy's gammaln(-inf) is -inf; |Gamma| grows without bound there, so inf
        return {"lgamma": lambda a: np.where(a == -np.inf, np.inf, sp.gammaln(a)),
                "digamma": sp.psi, "i0": sp.i0, "i1": sp.i1}[name]
    return {"lgamma": _lgamma_np, "digamma": _digamma_np, "i0": lambda a: _bessel_np(a, 0),
            "i1": lambda a: _bessel_np(a, 1)}[name]


def _polygamma_np(n: int, x: np.ndarray) -> np.ndarray:
    if n == 0:
        return _kernel("digamma")(x)
    sp = _scipy()
    if sp is not None:
        return sp.polygamma(n, x)
    # psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x)
    scale = (-1.0) ** (n + 1) * (float(math.factorial(n)) if n <= 170 else np.inf)
    return scale * _hurwitz_zeta(n + 1, x)


