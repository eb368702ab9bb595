"""inv, det, slogdet, solve and cholesky: NumPy's LAPACK in the forward pass, the usual
matrix-calculus rules, written with ember ops (so twice differentiable), in the backward.

Gradients are the real-matrix formulas; complex inputs compute values but their gradients
are not checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.graph import Node
from ..ops._core import Tensor, record, record_multi, sum_to, wrap
from ._common import _LinAlgError, batch_prefix, check_square, return_type

__all__ = ["inv", "det", "slogdet", "solve", "cholesky"]


# -- failure diagnosis (only on the error path) --------------------------------------------
def _first_zero_pivot(m: np.ndarray) -> int | None:
    """1-based column of the first exactly-zero pivot of LU with partial pivoting (what
    LAPACK's getrf reports), or None."""
    m = np.array(m, dtype=np.complex128 if m.dtype.kind == "c" else np.float64)
    n = m.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        if m[p, k] == 0:
            return k + 1
        m[[k, p]] = m[[p, k]]
        m[k + 1:] -= np.outer(m[k + 1:, k] / m[k, k], m[k])
    return None


def _singular_error(a: np.ndarray, name: str) -> _LinAlgError:
    for index in np.ndindex(*a.shape[:-2]):
        k = _first_zero_pivot(a[index])
        if k is not None:
            return _LinAlgError(
                f"{name}: {batch_prefix(a, index)}The diagonal element {k} is zero, the "
                "inversion could not be completed because the input matrix is singular.")
    return _LinAlgError(f"{name}: The inversion could not be completed because the input "
                        "matrix is singular.")


# -- inv -------------------------------------------------------------------------------------
class LinalgInvExBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        xt = x.mT
        return (-(xt @ grad @ xt),)


def inv(A: Tensor) -> Tensor:
    """Inverse of each square matrix; a singular one raises ``LinAlgError``."""
    a = check_square(A, "linalg.inv")
    try:
        res = wrap(np.linalg.inv(a))
    except np.linalg.LinAlgError:
        raise _singular_error(a, "linalg.inv") from None
    node = record(res, LinalgInvExBackward0, A)
    if node is not None:
        node.save(res.detach())
    return res


# -- det, slogdet ----------------------------------------------------------------------------
class LinalgDetBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        # d det(A) = det(A) tr(A^-1 dA); A must be invertible here (torch also covers the
        # singular case through an SVD; ember raises LinAlgError instead).
        a, d = self.saved()
        scale = (grad * d).unsqueeze(-1).unsqueeze(-1)
        return (scale * inv(a).mT,)


def det(A: Tensor) -> Tensor:
    """Determinant of each square matrix."""
    a = check_square(A, "linalg.det")
    res = wrap(np.asarray(np.linalg.det(a), dtype=a.dtype))
    node = record(res, LinalgDetBackward0, A)
    if node is not None:
        node.save(A, res.detach())
    return res


class LinalgSlogdetBackward0(Node):
    n_outputs = 2

    def backward(self, grad_sign: Any, grad_logabsdet: Any) -> tuple:
        # For real input the sign is piecewise constant: only log|det| carries gradient.
        (a,) = self.saved()
        if grad_logabsdet is None:
            return (None,)
        return (grad_logabsdet.unsqueeze(-1).unsqueeze(-1) * inv(a).mT,)


def slogdet(A: Tensor) -> Any:
    """``(sign, logabsdet)`` of each determinant; a singular matrix gives ``(0, -inf)``."""
    a = check_square(A, "linalg.slogdet")
    sign, logabs = np.linalg.slogdet(a)
    outs = [wrap(np.asarray(sign, dtype=a.dtype)),
            wrap(np.asarray(logabs, dtype=a.real.dtype))]
    node = record_multi(outs, LinalgSlogdetBackward0, A)
    if node is not None:
        node.save(A)
    return return_type("linalg_slogdet", ("sign", "logabsdet"))(*outs)


# -- solve -----------------------------------------------------------------------------------
def _is_vector_rhs(a: np.ndarray, b: np.ndarray) -> bool:
    """torch reads B as a (batch of) vector(s) when it is 1-D or shaped like ``A[..., 0]``."""
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])


class LinalgSolveExBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, x = self.saved()
        left, vec = self.left, self.vector
        # X = A^-1 B: gB = A^-T g, gA = -gB X^T.  X = B A^-1: gB = g A^-T, gA = -X^T gB.
        gb = solve(a.mT, grad, left=left)
        if vec:
            ga = -(gb.unsqueeze(-1) * x.unsqueeze(-2) if left
                   else x.unsqueeze(-1) * gb.unsqueeze(-2))
        else:
            ga = -(gb @ x.mT if left else x.mT @ gb)
        return sum_to(ga, self.a_shape), sum_to(gb, self.b_shape)


def _solve_data(a: np.ndarray, b: np.ndarray, left: bool, vec: bool) -> np.ndarray:
    if not left:  # X A = B  <=>  A^T X^T = B^T
        a = np.swapaxes(a, -1, -2)
    if vec:
        return np.linalg.solve(a, b[..., None])[..., 0]
    if left:
        return np.linalg.solve(a, b)
    return np.swapaxes(np.linalg.solve(a, np.swapaxes(b, -1, -2)), -1, -2)


def _solve_error(a: np.ndarray, b_batch: tuple) -> _LinAlgError:
    # Name the failing matrix by its index in the broadcast batch, as torch does.
    a = np.broadcast_to(a, np.broadcast_shapes(a.shape[:-2], b_batch) + a.shape[-2:])
    first = next((i for i in np.ndindex(*a.shape[:-2]) if _first_zero_pivot(a[i])), ())
    return _LinAlgError(f"ember.linalg.solve: {batch_prefix(a, first)}The solver failed "
                        "because the input matrix is singular.")


def _check_rhs(a: np.ndarray, b: np.ndarray, left: bool) -> None:
    n = a.shape[-1]
    if b.ndim < 2 or (b.shape[-2] if left else b.shape[-1]) != n:
        rows, cols = (b.shape[-2], b.shape[-1]) if b.ndim >= 2 else (b.shape[-1], 1)
        raise RuntimeError("linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {rows}x{cols})")


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """``X`` with ``A @ X = B`` (``X @ A = B`` when ``left`` is False)."""
    a = check_square(A, "linalg.solve")
    b = B._data
    if a.dtype != b.dtype:
        from .. import _dtype as D
        raise RuntimeError("linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {D.scalar_type_name(A.dtype)} and B of type "
                           f"{D.scalar_type_name(B.dtype)} instead")
    vec = _is_vector_rhs(a, b)
    _check_rhs(a, b[..., None] if vec else b, left)
    try:
        res = wrap(np.ascontiguousarray(_solve_data(a, b, left, vec)))
    except np.linalg.LinAlgError:
        raise _solve_error(a, b.shape[:-1] if vec else b.shape[:-2]) from None
    node = record(res, LinalgSolveExBackward0, A, B)
    if node is not None:
        node.left, node.vector, node.a_shape, node.b_shape = left, vec, a.shape, b.shape
        node.save(A, res.detach())
    return res


# -- cholesky --------------------------------------------------------------------------------
def _not_pd_error(a: np.ndarray) -> _LinAlgError:
    for index in np.ndindex(*a.shape[:-2]):
        m = a[index]
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                return _LinAlgError(
                    f"linalg.cholesky: {batch_prefix(a, index)}The factorization could not be "
                    "completed because the input is not positive-definite (the leading minor "
                    f"of order {k} is not positive-definite).")
    return _LinAlgError("linalg.cholesky: The factorization could not be completed because "
                        "the input is not positive-definite.")


class LinalgCholeskyExBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        # A = L L^T: gA = sym(L^-T Phi(L^T gL) L^-1), Phi = lower triangle, diagonal halved.
        from .. import tril
        (low,) = self.saved()
        g = grad.mT if self.upper else grad
        if self.upper:
            low = low.mT
        p = low.mT @ g
        phi = tril(p, -1) + 0.5 * tril(p) - 0.5 * tril(p, -1)
        linv = inv(low)
        s = linv.mT @ phi @ linv
        return (0.5 * (s + s.mT),)


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """Lower (or, with ``upper``, upper) Cholesky factor of each symmetric positive-definite
    matrix; only the lower triangle of ``A`` is read."""
    a = check_square(A, "linalg.cholesky")
    try:
        low = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise _not_pd_error(a) from None
    res = wrap(np.ascontiguousarray(np.swapaxes(low, -1, -2).conj()) if upper else low)
    node = record(res, LinalgCholeskyExBackward0, A)
    if node is not None:
        node.upper = upper
        node.save(res.detach())
    return res
