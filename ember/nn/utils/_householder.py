"""Householder QR pieces used by the orthogonal parametrization.

``geqrf`` gives the compact QR form (reflectors below the diagonal, ``R`` on and above it,
plus the reflector scales ``tau``); ``householder_product`` multiplies the reflections back
into ``Q`` with differentiable ops; ``make_orthogonal`` is the ``Q`` factor of a QR
decomposition with ``R``'s diagonal made positive.

>>> import ember
>>> a = ember.tensor([[3.0, 1.0], [4.0, 2.0]])
>>> packed, tau = geqrf(a)
>>> q = householder_product(packed, tau)
>>> bool(ember.allclose(q.T @ q, ember.eye(2), atol=1e-6))
True
"""

from __future__ import annotations

import numpy as np

from ... import ops as _ops
from ..._tensor import Tensor, tensor_from_array

__all__ = ["geqrf", "householder_product", "make_orthogonal"]


def _reflect_column(a: np.ndarray, j: int) -> float:
    """Zero ``a[j+1:, j]`` with one reflection, applied to ``a[j:, j:]`` in place; tau.

    The reflection is ``I - tau v v^T`` with ``v = [1, a[j+1:, j]]`` (the same
    conventions as LAPACK's ``geqrf``): ``beta`` takes the sign opposite to the pivot so
    that ``pivot - beta`` never cancels.
    """
    alpha = a[j, j]
    tail_norm = np.linalg.norm(a[j + 1:, j])
    if tail_norm == 0.0:
        return 0.0
    beta = -np.copysign(np.hypot(alpha, tail_norm), alpha)
    tau = (beta - alpha) / beta
    a[j + 1:, j] /= alpha - beta
    a[j, j] = beta
    v = np.concatenate(([1.0], a[j + 1:, j]))
    trailing = a[j:, j + 1:]
    trailing -= tau * np.outer(v, v @ trailing)
    return tau


def geqrf(a: Tensor) -> tuple:
    """The compact Householder QR of a real matrix or batch of matrices (not differentiable)."""
    data = np.array(a._data, dtype=a._data.dtype, copy=True)
    m, n = data.shape[-2], data.shape[-1]
    taus = np.zeros(data.shape[:-2] + (min(m, n),), dtype=data.dtype)
    for index in np.ndindex(*data.shape[:-2]):
        for j in range(min(m, n)):
            taus[index + (j,)] = _reflect_column(data[index], j)
    return tensor_from_array(data), tensor_from_array(taus)


def householder_product(packed: Tensor, tau: Tensor) -> Tensor:
    """The first ``k`` columns of ``H_0 H_1 ... H_{k-1}``, ``H_i = I - tau_i v_i v_i^H``.

    ``v_i`` is column ``i`` of ``packed`` below the diagonal with an implicit 1 on it.
    Built from matmuls, so gradients reach both ``packed`` and ``tau``.
    """
    m, n = packed.shape[-2], packed.shape[-1]
    k = tau.shape[-1]
    below = packed.tril(diagonal=-1)
    unit = _ops.eye(m, n, dtype=packed.dtype)
    q = _ops.eye(m, dtype=packed.dtype).expand(*packed.shape[:-2], m, m)
    for i in range(k):
        v = (below[..., :, i] + unit[:, i]).unsqueeze(-1)
        # Q <- Q H_i = Q - tau_i (Q v) v^H: a rank-one update, never the m x m reflection.
        q = q - (tau[..., i, None, None] * (q @ v)) @ v.mH
    return q[..., :, :n]


def make_orthogonal(a: Tensor) -> Tensor:
    """The ``Q`` of ``a = QR`` with ``R``'s diagonal real and positive (not differentiable)."""
    q, r = np.linalg.qr(a._data)
    diag = np.diagonal(r, axis1=-2, axis2=-1)
    magnitude = np.abs(diag)
    # sgn(0) is 0 as for ember.sgn: a rank-deficient input keeps a zero column.
    signs = np.where(magnitude == 0, 0, diag / np.where(magnitude == 0, 1, magnitude))
    return tensor_from_array(np.ascontiguousarray(q * signs[..., None, :]).astype(a._data.dtype))
