"""Statistics and numerical calculus: ``cov``, ``corrcoef``, ``msort``, ``histogram``,
``trapezoid``, ``cumulative_trapezoid`` and ``gradient``.

>>> import ember
>>> ember.trapezoid(ember.tensor([1.0, 2.0, 3.0]))
tensor(4.)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from ._core import Tensor, wrap, wrap_dim
from .reduction import _return_type


__all__ = ["cov", "corrcoef", "msort", "histogram", "trapezoid", "cumulative_trapezoid",
           "gradient"]
TENSOR_METHODS: tuple = ("cov", "corrcoef", "msort", "histogram")


# -- statistics -------------------------------------------------------------------------------
def _check_weights(w: Tensor, name: str, n_obs: int, floating: bool) -> None:
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w.ndim} dimensions")
    if w.dtype.is_floating_point != floating:
        kind = "floating point" if floating else "integral"
        raise RuntimeError(f"cov(): expected {name} to have {kind} dtype but got {name} with "
                           f"{D.scalar_type_name(w.dtype)} dtype")
    if w.numel() != n_obs:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w.numel()} != {n_obs}")
    if (w._data < 0).any():
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """Covariance of the variables in ``input``'s rows (observations in the columns)."""
    for name, t in (("input", input),):
        if t.ndim > 2:
            raise RuntimeError(f"cov(): expected {name} to have two or fewer dimensions but got "
                               f"an {name} with {t.ndim} dimensions")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        x = x.to(D.get_default_dtype())
    n_obs = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights(fweights, "fweights", n_obs, False)
        w = fweights
    if aweights is not None:
        _check_weights(aweights, "aweights", n_obs, True)
        w = aweights if w is None else w * aweights
    real = x.dtype.to_real().np
    if w is None:
        avg, w_sum = x.mean(1), wrap(np.asarray(n_obs, dtype=real))
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
    norm = w_sum - correction
    if w is not None and correction != 0 and aweights is not None:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    if norm.item() <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        norm = norm * 0
    xm = x - avg.unsqueeze(1)
    xw = xm if w is None else xm * w
    c = xm.mm(xw.mT.conj() if x.dtype.is_complex else xw.mT)
    return (c / norm).squeeze()


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in ``input``'s rows."""
    if input.ndim > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input.ndim} dimensions")
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    std = (d.real if c.dtype.is_complex else d).sqrt()
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    return c if c.dtype.is_complex else c.clamp(-1, 1)


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dimension."""
    return input.sort(0).values


def _histogram_edges(input: Tensor, bins: Any, range: Any) -> np.ndarray:
    if isinstance(bins, Tensor):
        if bins.dtype != input.dtype:
            raise RuntimeError(
                "ember.histogramdd: input tensor and bins tensors should have the same dtype, "
                f"but got input with dtype {D.type_meta_name(input.dtype)} and bins for "
                f"dimension 0 with dtype {D.type_meta_name(bins.dtype)}")
        if bins.ndim != 1:
            raise RuntimeError("ember.histogramdd: bins tensor should have one dimension, but "
                               f"got {bins.ndim} dimensions in the bins tensor for dimension 0")
        return bins._data
    if bins <= 0:
        raise RuntimeError(f"ember.histogram(): bins must be > 0, but got {bins} for "
                           "dimension 0")
    data = input._data
    if range is not None:
        lo, hi = float(range[0]), float(range[1])
        if lo > hi:
            raise RuntimeError(f"ember.histogramdd: min should not exceed max, but got min "
                               f"{lo:g} max {hi:g} for dimension 0")
    else:
        lo, hi = (float(data.min()), float(data.max())) if data.size else (0.0, 1.0)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"ember.histogramdd: dimension 0's range [{lo:g}, {hi:g}] is not "
                           "finite")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, int(bins) + 1).astype(data.dtype)


def histogram(input: Tensor, bins: Any = 100, *, range: Any = None,
              weight: Tensor | None = None, density: bool = False, out: Any = None) -> Any:
    """Counts of ``input``'s values in ``bins`` equal bins (or between the given edges);
    returns ``(hist, bin_edges)``. The last bin includes its right edge."""
    if input.dtype not in (D.float32, D.float64):
        raise NotImplementedError("\"histogramdd\" not implemented for "
                                  f"'{D.scalar_type_name(input.dtype)}'")
    edges = _histogram_edges(input, bins, range)
    x = input._data.reshape(-1)
    w = None
    if weight is not None:
        if weight.dtype != input.dtype:
            raise RuntimeError(
                "ember.histogramdd: if weight tensor is provided, input tensor and weight "
                f"tensor should have the same dtype, but got input({D.type_meta_name(input.dtype)}"
                f"), and weight({D.type_meta_name(weight.dtype)})")
        if weight.shape != input.shape:
            raise RuntimeError(
                "ember.histogramdd: if weight tensor is provided it should have the same shape "
                "as the input tensor excluding its innermost dimension, but got input with "
                f"shape {[input.numel(), 1]} and weight with shape {list(weight.shape)}")
        w = weight._data.reshape(-1)
    n = len(edges) - 1
    inside = (x >= edges[0]) & (x <= edges[-1]) if n > 0 else np.zeros(x.shape, bool)
    idx = np.minimum(np.searchsorted(edges, x[inside], side="right") - 1, n - 1)
    hist = np.bincount(idx, weights=None if w is None else w[inside], minlength=max(n, 0))
    hist = hist.astype(x.dtype)
    if density:
        hist = hist / (hist.sum() * np.diff(edges))
    return _return_type("histogram", ("hist", "bin_edges"))(wrap(hist.astype(x.dtype)),
                                                             wrap(edges.copy()))


# -- integration and differences ---------------------------------------------------------------
def _pairs(y: Tensor, d: int) -> tuple:
    """``y`` without its last and without its first entry along ``d``."""
    head = (slice(None),) * d
    return y[head + (slice(None, -1),)], y[head + (slice(1, None),)]


def _x_steps(x: Tensor, y: Tensor, d: int, fn: str) -> Tensor:
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{fn}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[d] = -1
        return x.diff().view(shape)
    return x.diff(dim=d)


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim``: sample points ``x`` or a constant spacing ``dx``."""
    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, y.ndim)
    if y.shape[d] == 0:
        shape = y.shape[:d] + y.shape[d + 1:]
        return wrap(np.zeros(shape, dtype=D.result_type(y, 0.5).np))
    if x is None:
        ends = y.select(d, 0) + y.select(d, -1)
        return (y.sum(d) - ends * 0.5) * (1 if dx is None else dx)
    left, right = _pairs(y, d)
    return (_x_steps(x, y, d, "trapezoid") * (left + right)).sum(d) / 2.0


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None,
                         dim: int = -1) -> Tensor:
    """Running trapezoidal integrals along ``dim`` (one fewer entry than ``y``)."""
    if y.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, y.ndim)
    left, right = _pairs(y, d)
    if x is None:
        return ((left + right) * ((1 if dx is None else dx) / 2.0)).cumsum(d)
    return (_x_steps(x, y, d, "cumulative_trapezoid") * (left + right)).cumsum(d) / 2.0


def _coefficients(h: np.ndarray, edge_order: int) -> tuple:
    """Weights of the second-order differences on steps ``h``: interior (a, b, c) on
    (y[i-1], y[i], y[i+1]) and the first and last rows' weights on three (or two) points."""
    h1, h2 = h[:-1], h[1:]
    inner = (-h2 / (h1 * (h1 + h2)), (h2 - h1) / (h1 * h2), h1 / (h2 * (h1 + h2)))
    if edge_order == 1:
        return inner, (-1 / h[0], 1 / h[0]), (-1 / h[-1], 1 / h[-1])
    a, b = h[0], h[1]
    first = (-(2 * a + b) / (a * (a + b)), (a + b) / (a * b), -a / (b * (a + b)))
    a, b = h[-2], h[-1]
    last = (b / (a * (a + b)), -(a + b) / (a * b), (2 * b + a) / (b * (a + b)))
    return inner, first, last


def _gradient_along(y: Tensor, d: int, h: np.ndarray, edge_order: int) -> Tensor:
    from .join import cat
    inner, first, last = _coefficients(h, edge_order)
    n, k = y.shape[d], len(first)
    shape = [1] * y.ndim
    shape[d] = -1

    def weighted(ws: tuple, start: int) -> Tensor:
        total = None
        for j, w in enumerate(ws):
            term = y.narrow(d, start + j, y.shape[d] - 2 if np.ndim(w) else 1) * \
                wrap(np.asarray(w, dtype=y._data.dtype).reshape(shape if np.ndim(w) else ()))
            total = term if total is None else total + term
        return total
    return cat([weighted(first, 0), weighted(inner, 0), weighted(last, n - k)], d)


def _spacings(spacing: Any, dims: tuple, given: bool) -> list:
    if not isinstance(spacing, (tuple, list)):
        return [spacing] * len(dims)
    if len(spacing) != len(dims):
        if given:
            raise RuntimeError(
                "ember.gradient expected spacing to be unspecified, a scalar or it's spacing "
                "and dim arguments to have the same length, but got a spacing argument of "
                f"length {len(spacing)} and a dim argument of length {len(dims)}.")
        raise RuntimeError(
            "ember.gradient expected spacing to be unspecified, a scalar, or a list of length "
            f"equal to 'self.dim() = {len(dims)}', since dim argument was not given, but got a "
            f"list of length {len(spacing)}")
    return list(spacing)


def gradient(input: Tensor, *, spacing: Any = 1, dim: Any = None,
             edge_order: int = 1) -> tuple:
    """Estimated partial derivatives along each of ``dims`` by central differences (one-sided
    at the edges, of order ``edge_order``); ``spacing`` is a step or sample coordinates."""
    if edge_order not in (1, 2):
        raise RuntimeError("ember.gradient only supports edge_order=1 and edge_order=2.")
    if dim is None:
        dims = tuple(range(input.ndim))
    elif isinstance(dim, int):
        dims = (wrap_dim(dim, input.ndim),)
    else:
        dims = tuple(wrap_dim(int(x), input.ndim) for x in dim)
        for x in dims:
            if dims.count(x) > 1:
                raise RuntimeError(f"dim {x} appears multiple times in the list of dims")
    steps = _spacings(spacing, dims, dim is not None)
    if any(input.shape[d] < edge_order + 1 for d in dims):
        raise RuntimeError("ember.gradient expected each dimension size to be at least "
                           "edge_order+1")
    y = input if input.dtype.is_floating_point or input.dtype.is_complex else \
        input.to(D.get_default_dtype())
    out = []
    for d, step in zip(dims, steps):
        if isinstance(step, Tensor):
            if step.ndim != 1:
                raise RuntimeError("ember.gradient expected each element of spacing to have "
                                   f"one dimension, but got an element with {step.ndim} "
                                   "dimensions!")
            h = np.diff(step._data.astype(np.float64))
        else:
            h = np.full(input.shape[d] - 1, float(step))
        out.append(_gradient_along(y, d, h, edge_order))
    return tuple(out)


