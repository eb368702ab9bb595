"""LU factorisation with partial pivoting (``lu_factor``, ``lu_factor_ex``, ``lu``) and
solving with its factors (``lu_solve``).

The factorisation is LAPACK's ``getrf`` through SciPy when SciPy is installed, so the row
exchanges (``pivots``, 1-based, int32) are LAPACK's; without SciPy a NumPy elimination picks
the same pivots (the first largest magnitude in each column).  Gradients are the standard
formulas for ``A = P L U``, written with ember ops so that they can be differentiated again.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..ops._core import Tensor, record, record_multi, sum_to, wrap
from ._common import batch_prefix, check_square, return_type

__all__ = ["lu_factor", "lu_factor_ex", "lu", "lu_solve", "lu_pieces", "permutation"]


# -- the factorisation on arrays -------------------------------------------------------------
def _getrf_numpy(m: np.ndarray) -> tuple:
    """Right-looking elimination with partial pivoting on one matrix (a copy)."""
    m = m.copy()
    rows, cols = m.shape
    piv = np.zeros(min(rows, cols), dtype=np.int32)
    for k in range(min(rows, cols)):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        piv[k] = p
        if p != k:
            m[[k, p]] = m[[p, k]]
        if m[k, k] != 0:
            m[k + 1:, k] /= m[k, k]
            m[k + 1:, k + 1:] -= np.outer(m[k + 1:, k], m[k, k + 1:])
    return m, piv


def _getrf(m: np.ndarray) -> tuple:
    try:
        from scipy.linalg import lu_factor as scipy_lu
    except ImportError:
        return _getrf_numpy(m)
    if 0 in m.shape:
        return m.copy(), np.zeros(0, dtype=np.int32)
    with warnings.catch_warnings():  # a singular matrix is reported through info instead
        warnings.simplefilter("ignore")
        lu_data, piv = scipy_lu(m, check_finite=False)
    return lu_data, piv


def _factor_data(a: np.ndarray) -> tuple:
    """``(LU, pivots, info)`` for every matrix of the batch."""
    k = min(a.shape[-2:])
    lu_data = np.empty_like(a)
    pivots = np.empty(a.shape[:-2] + (k,), dtype=np.int32)
    for index in np.ndindex(*a.shape[:-2]):
        lu_data[index], piv = _getrf(a[index])
        pivots[index] = piv + 1
    diag = np.diagonal(lu_data, axis1=-2, axis2=-1)
    zero = diag == 0
    info = np.where(zero.any(-1), zero.argmax(-1) + 1, 0).astype(np.int32)
    return lu_data, pivots, info


def permutation(pivots: np.ndarray, m: int, dtype: np.dtype) -> np.ndarray:
    """The matrix P with ``A = P L U`` from LAPACK's sequence of row exchanges."""
    perm = np.broadcast_to(np.arange(m), pivots.shape[:-1] + (m,)).copy()
    for index in np.ndindex(*pivots.shape[:-1]):
        row = perm[index]
        for i, p in enumerate(pivots[index] - 1):
            row[[i, p]] = row[[p, i]]
    # perm[i] is the row of A that ends up in row i of L U: P[perm[i], i] = 1.
    p_mat = np.zeros(pivots.shape[:-1] + (m, m), dtype=dtype)
    np.put_along_axis(p_mat, perm[..., None, :], 1, axis=-2)
    return p_mat


def _check_lu_input(A: Tensor, name: str, pivot: bool) -> np.ndarray:
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f"ember.{name}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(a.shape)} instead")
    if a.dtype.kind not in "fc":
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '"
                                  f"{D.scalar_type_name(A.dtype)}'")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    return a


# -- lu_factor -------------------------------------------------------------------------------
def lu_pieces(LU: Tensor, pivots: Tensor) -> tuple:
    """``(P, L, U)`` as ember tensors, L and U differentiable through ``LU``."""
    from .. import tril, triu
    m, n = LU.shape[-2:]
    k = min(m, n)
    eye = wrap(np.eye(m, k, dtype=LU._data.dtype))
    low = tril(LU[..., :, :k], -1) + eye
    up = triu(LU[..., :k, :])
    return wrap(permutation(pivots._data, m, LU._data.dtype)), low, up


class LinalgLuFactorExBackward0(Node):
    n_outputs = 3

    def backward(self, grad: Any, *unused: Any) -> tuple:
        from .. import tril, triu
        p, low, up = lu_pieces(*self.saved())
        k = low.shape[-1]
        return (lu_backward(tril(grad[..., :, :k], -1), triu(grad[..., :k, :]), p, low, up),)


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> Any:
    """``(LU, pivots, info)``: L (below the diagonal, unit diagonal implied) and U packed in
    one tensor, LAPACK's 1-based row exchanges, and per matrix the 1-based index of the
    first zero on U's diagonal (0 when there is none)."""
    a = _check_lu_input(A, "lu_factor_ex", pivot)
    lu_data, pivots, info = _factor_data(a)
    if check_errors and info.any():
        _raise_singular(info, a, "lu_factor_ex")
    outs = [wrap(lu_data), wrap(pivots), wrap(info)]
    node = record_multi(outs[:1], LinalgLuFactorExBackward0, A)
    if node is not None:
        node.n_outputs = 3
        node.save(outs[0].detach(), outs[1])
    return return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))(*outs)


def _raise_singular(info: np.ndarray, a: np.ndarray, name: str) -> None:
    index = tuple(int(i) for i in np.argwhere(info)[0]) if info.ndim else ()
    k = int(info[index])
    raise RuntimeError(f"ember.linalg.{name}: {batch_prefix(a, index)}U[{k},{k}] is zero and "
                       "using it on lu_solve would result in a division by zero. If you still "
                       "want to perform the factorization, consider calling linalg.lu(A, pivot) "
                       "or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A: Tensor, *, pivot: bool = True) -> Any:
    """``(LU, pivots)`` of ``lu_factor_ex``; a zero on U's diagonal raises ``LinAlgError``."""
    a = _check_lu_input(A, "lu_factor", pivot)
    lu_data, pivots, info = lu_factor_ex(A, pivot=pivot)
    if info._data.any():
        _raise_singular(info._data, a, "lu_factor")
    return return_type("linalg_lu_factor", ("LU", "pivots"))(lu_data, pivots)


# -- lu ---------------------------------------------------------------------------------------
def _wide_backward(gl: Any, gu: Any, low: Tensor, up: Tensor) -> Tensor:
    """A = P L [U1 U2] (m < n): U2's rows depend on A linearly once L is known."""
    from .. import cat, zeros_like
    from ._solvers import solve_triangular
    k = low.shape[-1]
    up1 = up[..., :, :k]
    inner = 0
    if gl is not None:
        inner = low.mT @ gl
    if gu is not None:
        inner = inner - gu.triu() @ up.mT
    ga = solve_triangular(up1.mT, inner.tril(-1), upper=False, left=False)
    if gu is not None:
        ga = cat([ga + gu[..., :, :k].triu(), gu[..., :, k:]], -1)
    ga = solve_triangular(low.mT, ga, upper=True, unitriangular=True)
    if gu is None:
        ga = cat([ga, zeros_like(up[..., :, k:])], -1)
    return ga


def _tall_backward(gl: Any, gu: Any, low: Tensor, up: Tensor) -> Tensor:
    """A = P [L1; L2] U (m > n): the mirror image of the wide case."""
    from .. import cat, zeros_like
    from ._solvers import solve_triangular
    k = up.shape[-2]
    low1 = low[..., :k, :]
    inner = 0
    if gu is not None:
        inner = gu @ up.mT
    if gl is not None:
        inner = inner - low.mT @ gl.tril(-1)
    ga = solve_triangular(low1.mT, inner.triu(), upper=True, unitriangular=True)
    if gl is not None:
        ga = cat([ga + gl[..., :k, :].tril(-1), gl[..., k:, :]], -2)
    ga = solve_triangular(up.mT, ga, upper=False, left=False)
    if gl is None:
        ga = cat([ga, zeros_like(low[..., k:, :])], -2)
    return ga


def lu_backward(gl: Any, gu: Any, p: Tensor, low: Tensor, up: Tensor) -> Tensor:
    """Gradient of A = P L U from those of L and U (either may be None); a square A is the
    wide case with no U2 block."""
    m, n = low.shape[-2], up.shape[-1]
    ga = _tall_backward(gl, gu, low, up) if m > n else _wide_backward(gl, gu, low, up)
    return p @ ga


class LinalgLuBackward0(Node):
    n_outputs = 3

    def backward(self, gp: Any, gl: Any, gu: Any) -> tuple:
        p, low, up = self.saved()
        return (lu_backward(gl, gu, p, low, up),)


def lu(A: Tensor, *, pivot: bool = True) -> Any:
    """``(P, L, U)`` with ``A = P @ L @ U``: P a permutation, L unit lower triangular
    (m x k), U upper triangular (k x n), k = min(m, n)."""
    _check_lu_input(A, "lu", pivot)
    lu_data, pivots, _ = _factor_data(A._data)
    p, low, up = lu_pieces(wrap(lu_data), wrap(pivots))
    outs = [p, low.detach(), up.detach()]
    node = record_multi(outs[1:], LinalgLuBackward0, A)
    if node is not None:
        node.n_outputs = 3
        for i, o in enumerate(outs[1:], 1):
            o._output_nr = i
        node.save(p, outs[1], outs[2])
    return return_type("linalg_lu", ("P", "L", "U"))(*outs)


# -- lu_solve --------------------------------------------------------------------------------
def _check_lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, left: bool) -> None:
    check_square(LU, "ember.linalg.lu_solve", want_float=False)
    if B.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 "
                           "dimensions.")
    n, (rows, cols) = LU.shape[-1], B.shape[-2:]
    if (rows if left else cols) != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {rows}x{cols})")
    if LU.dtype != B.dtype:
        raise RuntimeError("linalg.lu_solve: Expected LU and B to have the same dtype, but "
                           f"found LU of type {D.scalar_type_name(LU.dtype)} and B of type "
                           f"{D.scalar_type_name(B.dtype)} instead")
    if pivots._data.dtype != np.int32:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type "
                           "ember.int32")
    if pivots.ndim == 0 or pivots.shape[-1] != n:
        raise RuntimeError("linalg.lu_solve: Number of pivots per batch should be same as the "
                           "dimension of the matrix")


def _lu_solve_data(p: np.ndarray, low: np.ndarray, up: np.ndarray, b: np.ndarray,
                   adjoint: bool) -> np.ndarray:
    """Solve ``A X = B`` (``A^H X = B`` when ``adjoint``) with A = P L U, left side only."""
    from ._solvers import _trsolve
    if adjoint:  # A^H = U^H L^H P^T
        y = _trsolve(np.conj(np.swapaxes(up, -1, -2)), b, False, True, False)
        z = _trsolve(np.conj(np.swapaxes(low, -1, -2)), y, True, True, True)
        return p @ z
    y = _trsolve(low, np.swapaxes(p, -1, -2) @ b, False, True, True)
    return _trsolve(up, y, True, True, False)


class LinalgLuSolveBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        # op(A) X = B (or X op(A) = B): gB solves with op(A)^H; g_op(A) = -gB X^H (or
        # -X^H gB), conjugate-transposed back when op is the adjoint; then A = P L U gives
        # gLU = tril(P^T gA U^H, -1) + triu(L^H P^T gA).
        lu_t, piv, x = self.saved()
        left, adjoint = self.left, self.adjoint
        gb = lu_solve(lu_t, piv, grad, left=left, adjoint=not adjoint)
        g_op = -(gb @ x.mT) if left else -(x.mT @ gb)
        ga = g_op.mT if adjoint else g_op
        p, low, up = lu_pieces(lu_t, piv)
        pga = p.mT @ ga
        glu = (pga @ up.mT).tril(-1) + (low.mT @ pga).triu()
        return sum_to(glu, self.lu_shape), sum_to(gb, self.b_shape)


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
             adjoint: bool = False, out: Tensor | None = None) -> Tensor:
    """``X`` with ``A X = B`` for ``A`` given by ``lu_factor``'s ``(LU, pivots)``; ``left``
    False solves ``X A = B`` and ``adjoint`` uses ``A^H`` in place of ``A``."""
    _check_lu_solve(LU, pivots, B, left)
    p, low, up = (t._data for t in lu_pieces(LU.detach(), pivots))
    b = B._data
    if left:
        x = _lu_solve_data(p, low, up, b, adjoint)
    else:  # X op(A) = B  <=>  op(A)^H X^H = B^H
        x = np.conj(np.swapaxes(_lu_solve_data(p, low, up, np.conj(np.swapaxes(b, -1, -2)),
                                               not adjoint), -1, -2))
    res = wrap(np.ascontiguousarray(x.astype(b.dtype, copy=False)))
    node = record(res, LinalgLuSolveBackward0, LU, B)  # pivots are integers: no edge
    if node is not None:
        node.left, node.adjoint, node.lu_shape, node.b_shape = left, adjoint, LU.shape, B.shape
        node.save(LU.detach(), pivots, res.detach())
    if out is not None:
        from ..ops._binary import _write_out
        return _write_out(res, out, "linalg.lu_solve")
    return res
