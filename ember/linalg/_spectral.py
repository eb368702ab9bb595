"""eigh, eigvalsh, svd, svdvals and qr: NumPy's LAPACK forward, real-matrix backward rules
written with ember ops.

The eigenvectors and singular vectors are unique only up to sign, so only functions that do
not depend on that sign have well-defined gradients (torch documents the same).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.graph import Node
from ..ops._core import Tensor, record, record_multi, wrap
from ._common import check_float, check_matrix, check_square, return_type
from ._decomp import solve

__all__ = ["eigh", "eigvalsh", "svd", "svdvals", "qr"]


def _eye_like(t: Tensor, n: int) -> Tensor:
    from .. import eye
    return eye(n, dtype=t.dtype)


def _gap_inverse(w: Tensor, square: bool) -> Tensor:
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it (w squared first when
    ``square``).  Distinct values are assumed: equal ones make the gradient infinite."""
    if square:
        w = w * w
    eye = _eye_like(w, w.shape[-1])
    diff = w.unsqueeze(-2) - w.unsqueeze(-1) + eye
    return (1 - eye) / diff


# -- eigh ------------------------------------------------------------------------------------
class LinalgEighBackward0(Node):
    n_outputs = 2

    def backward(self, gw: Any, gv: Any) -> tuple:
        # A = V diag(w) V^T: gA = V (diag(gw) + F * skew(V^T gV)) V^T; only the skew part
        # of V^T gV is seen by a sign-invariant loss, and it keeps gA symmetric.
        w, v = self.saved()
        inner = 0
        if gw is not None:
            inner = inner + gw.diag_embed()
        if gv is not None:
            vtgv = v.mT @ gv
            inner = inner + _gap_inverse(w, False) * (0.5 * (vtgv - vtgv.mT))
        return (v @ inner @ v.mT,)


def _eigh_data(A: Tensor, UPLO: str, name: str) -> tuple:
    a = check_square(A, name, want_float=False)
    if a.dtype.kind not in "fc":
        from .. import _dtype as D
        raise NotImplementedError(f'"linalg_eigh_cpu" not implemented for '
                                  f"'{D.scalar_type_name(A.dtype)}'")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return np.linalg.eigh(a, UPLO=UPLO)


def eigh(A: Tensor, UPLO: str = "L") -> Any:
    """Eigenvalues (ascending) and eigenvectors of each symmetric matrix; only the ``UPLO``
    triangle of ``A`` is read."""
    w, v = _eigh_data(A, UPLO, "linalg.eigh")
    outs = [wrap(w), wrap(v)]
    node = record_multi(outs, LinalgEighBackward0, A)
    if node is not None:
        node.save(outs[0].detach(), outs[1].detach())
    return return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))(*outs)


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """Eigenvalues (ascending) of each symmetric matrix."""
    w, v = _eigh_data(A, UPLO, "linalg.eigvalsh")
    res = wrap(w)
    node = record(res, LinalgEighBackward0, A)
    if node is not None:
        node.save(res.detach(), wrap(v))
    return res


# -- svd -------------------------------------------------------------------------------------
class LinalgSvdBackward0(Node):
    n_outputs = 3

    def backward(self, *grads: Any) -> tuple:
        # svdvals records this node with its one output (S) only.
        gu, gs, gvh = grads if len(grads) == 3 else (None, grads[0], None)
        u, s, vh = self.saved()
        k = s.shape[-1]
        u, v = u[..., :k], vh[..., :k, :].mT   # full_matrices: the extra columns carry none
        inner = 0 if gs is None else gs.diag_embed()
        if gu is None and gvh is None:
            return (u @ inner @ v.mT,)
        f = _gap_inverse(s, True)
        rest = 0
        if gu is not None:
            gu = gu[..., :k]
            utgu = u.mT @ gu
            inner = inner + (f * (utgu - utgu.mT)) * s.unsqueeze(-2)
            if u.shape[-2] > k:  # the part of gU outside U's span
                rest = rest + ((gu - u @ utgu) / s.unsqueeze(-2)) @ v.mT
        if gvh is not None:
            gv = gvh[..., :k, :].mT
            vtgv = v.mT @ gv
            inner = inner + s.unsqueeze(-1) * (f * (vtgv - vtgv.mT))
            if v.shape[-2] > k:
                rest = rest + u @ ((gv - v @ vtgv) / s.unsqueeze(-2)).mT
        return (u @ inner @ v.mT + rest,)


def _svd(A: Tensor, full_matrices: bool, name: str) -> tuple:
    a = check_matrix(A, name)
    check_float(A, name)
    return np.linalg.svd(a, full_matrices=full_matrices)


def svd(A: Tensor, full_matrices: bool = True) -> Any:
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, singular values descending."""
    u, s, vh = _svd(A, full_matrices, "linalg.svd")
    outs = [wrap(u), wrap(s), wrap(vh)]
    node = record_multi(outs, LinalgSvdBackward0, A)
    if node is not None:
        node.save(*(o.detach() for o in outs))
    return return_type("linalg_svd", ("U", "S", "Vh"))(*outs)


def svdvals(A: Tensor) -> Tensor:
    """Singular values of each matrix, descending."""
    u, s, vh = _svd(A, False, "linalg.svdvals")
    res = wrap(s)
    node = record(res, LinalgSvdBackward0, A)
    if node is not None:
        node.n_outputs = 1
        node.save(wrap(u), res.detach(), wrap(vh))
    return res


# -- qr --------------------------------------------------------------------------------------
class LinalgQrBackward0(Node):
    n_outputs = 2

    def backward(self, gq: Any, gr: Any) -> tuple:
        # A = QR (m >= n): with W = Q^T gQ - gR R^T,
        # gA = (gQ + Q (tril(W - W^T, -1) - W)) R^-T.
        from .. import tril
        q, r = self.saved()
        if self.mode == "r" or (self.mode == "complete" and q.shape[-2] > r.shape[-1]):
            raise RuntimeError(f"The derivative of linalg.qr is not implemented when "
                               f"mode='{self.mode}' and nrows > ncols.")
        if q.shape[-2] < r.shape[-1]:
            raise NotImplementedError("ember: linalg.qr backward needs nrows >= ncols")
        w = 0
        if gq is not None:
            w = q.mT @ gq
        if gr is not None:
            w = w - gr @ r.mT
        y = q @ (tril(w - w.mT, -1) - w)
        if gq is not None:
            y = y + gq
        return (solve(r.mT, y, left=False),)


def qr(A: Tensor, mode: str = "reduced") -> Any:
    """``(Q, R)`` with ``A = Q R``, Q orthonormal, R upper triangular; ``mode='r'`` leaves Q
    empty."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    a = check_matrix(A, "linalg.qr")
    check_float(A, "linalg.qr")
    if mode == "r":
        q, r = np.empty((0,), a.dtype), np.linalg.qr(a, mode="r")
    else:
        q, r = np.linalg.qr(a, mode=mode)
    outs = [wrap(q), wrap(np.ascontiguousarray(r))]
    node = record_multi(outs, LinalgQrBackward0, A)
    if node is not None:
        node.mode = mode
        node.save(outs[0].detach(), outs[1].detach())
    return return_type("linalg_qr", ("Q", "R"))(*outs)
