"""Least squares (``lstsq``) and the general eigendecomposition (``eig``, ``eigvals``).

``lstsq`` computes the minimum-norm solution through the SVD for every driver; the drivers
differ only in which of the result's fields they fill, as in torch: ``gelsy`` (the default)
the rank, ``gelsd``/``gelss`` the rank and singular values, ``gels`` neither; residuals only
for tall full-rank problems and not from ``gelsy``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..ops._core import Tensor, record_multi, sum_to, wrap
from ._common import check_square, return_type

__all__ = ["lstsq", "eig", "eigvals"]

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _check_lstsq(A: Tensor, B: Tensor, driver: Any) -> None:
    name = "ember.linalg.lstsq"
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if B.ndim < 1:
        raise RuntimeError(f"{name}: other must have at least 1 dimension.")
    if A.dtype != B.dtype:
        raise RuntimeError(f"{name}: Expected input and other to have the same dtype, but got "
                           f"input's dtype {D.scalar_type_name(A.dtype)} and other's dtype "
                           f"{D.scalar_type_name(B.dtype)}")
    if A._data.dtype.kind not in "fc":
        raise RuntimeError("This function doesn't handle types other than float and double")
    if not (A.ndim >= B.ndim and A.ndim - B.ndim <= 1):
        raise RuntimeError(f"{name}: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    vector = A.ndim - B.ndim == 1
    if (B.shape[-1] if vector else B.shape[-2]) != A.shape[-2]:
        raise RuntimeError(f"{name}: input.size(-2) should match other.size(-2)")
    if driver is not None and driver not in _DRIVERS:
        raise RuntimeError(f"{name}: parameter `driver` should be one of (gels, gelsy, gelsd, "
                           "gelss)")


def _min_norm_solution(a: np.ndarray, b: np.ndarray, rcond: float) -> tuple:
    """``(X, rank, s)``: pinv(A) B with singular values below rcond * largest dropped."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    cut = rcond * (s[..., :1] if s.shape[-1] else s.sum(-1, keepdims=True))
    keep = s > cut
    s_inv = np.where(keep, 1 / np.where(keep, s, 1), 0)
    x = np.conj(np.swapaxes(vh, -1, -2)) @ (s_inv[..., None] * (np.conj(np.swapaxes(u, -1, -2))
                                                                @ b))
    return x.astype(a.dtype, copy=False), keep.sum(-1).astype(np.int64), s


class LinalgLstsqBackward0(Node):
    n_outputs = 4

    def backward(self, gx: Any, gres: Any, *unused: Any) -> tuple:
        from . import pinv
        a, b, x = self.saved()
        p = pinv(a)
        ga, gb = 0, 0
        if gx is not None and self.vector:
            gx = gx.unsqueeze(-1)
        if gx is not None:
            # X = P B: gB = P^T gX; gA is P's differential (constant rank) against gX B^T.
            gp = gx @ b.mT
            gb = p.mT @ gx
            eye_m, eye_n = _eye(a, a.shape[-2]), _eye(a, a.shape[-1])
            ga = (-(p.mT @ gp @ p.mT) + (eye_m - a @ p) @ gp.mT @ p @ p.mT
                  + p.mT @ p @ gp.mT @ (eye_n - p @ a))
        if gres is not None and gres.numel():  # an empty residuals field carries nothing
            # At the optimum A^T r = 0, so only A's and B's direct effect on r = AX - B counts.
            r = (a @ x - b) * (2 * gres.unsqueeze(-2))
            ga, gb = ga + r @ x.mT, gb - r
        if self.vector:
            gb = gb.squeeze(-1)
        return sum_to(ga, self.a_shape), sum_to(gb, self.b_shape)


def _eye(t: Tensor, n: int) -> Tensor:
    from .. import eye
    return eye(n, dtype=t.dtype)


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None) -> Any:
    """``(solution, residuals, rank, singular_values)`` of min ||A X - B||; ``B`` may be a
    (batch of) vector(s).  Which fields are filled depends on ``driver`` (see the module)."""
    _check_lstsq(A, B, driver)
    driver = driver or "gelsy"
    vector = A.ndim - B.ndim == 1
    b = B._data[..., None] if vector else B._data
    a = A._data
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    m, n = a.shape[-2:]
    if rcond is None:
        rcond = float(np.finfo(a.dtype).eps) * max(m, n)
    x, rank, s = _min_norm_solution(a, b, rcond)
    real = a.real.dtype
    empty = np.empty(0, dtype=real)
    residuals = empty
    if m > n and driver != "gelsy" and (driver == "gels" or bool(np.all(rank == n))):
        residuals = (np.abs(a @ x - b) ** 2).sum(-2).astype(real)
    sol = wrap(np.ascontiguousarray(x[..., 0] if vector else x))
    outs = [sol, wrap(residuals), wrap(rank if driver != "gels" else np.empty(0, np.int64)),
            wrap(s.astype(real) if driver in ("gelsd", "gelss") else empty)]
    node = record_multi(outs[:2], LinalgLstsqBackward0, A, B)
    if node is not None:
        node.n_outputs = 4
        node.vector, node.a_shape, node.b_shape = vector, A.shape, B.shape
        node.save(wrap(a), wrap(b), wrap(x))
    return return_type("linalg_lstsq", ("solution", "residuals", "rank",
                                        "singular_values"))(*outs)


# -- eig ---------------------------------------------------------------------------------------
def _complex_of(a: np.ndarray) -> np.dtype:
    return np.dtype(np.complex64 if a.dtype in (np.float32, np.complex64) else np.complex128)


def _eig_input(A: Tensor, name: str) -> np.ndarray:
    a = check_square(A, name)
    if not np.isfinite(a).all():
        raise RuntimeError(f"{name}: input tensor should not contain infs or NaNs.")
    return a


def eig(A: Tensor) -> Any:
    """``(eigenvalues, eigenvectors)`` of each square matrix, always complex; each
    eigenvector has unit norm (LAPACK's normalisation).  Values only: no gradient."""
    a = _eig_input(A, "linalg.eig")
    w, v = np.linalg.eig(a)
    ct = _complex_of(a)
    return return_type("linalg_eig", ("eigenvalues", "eigenvectors"))(
        wrap(w.astype(ct)), wrap(np.ascontiguousarray(v.astype(ct))))


def eigvals(A: Tensor) -> Tensor:
    """Eigenvalues of each square matrix, always complex (no gradient)."""
    a = _eig_input(A, "linalg.eigvals")
    return wrap(np.linalg.eigvals(a).astype(_complex_of(a)))
