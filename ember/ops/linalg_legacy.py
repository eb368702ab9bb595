"""The older top-level linear-algebra functions (``svd``, ``qr``, ``cholesky``,
``cholesky_solve``, ``cholesky_inverse``, ``triangular_solve``, ``lu``, ``lu_unpack``,
``lu_solve``), kept for code written before ``ember.linalg``, and the removed ones
(``matrix_rank``, ``lstsq``, ``eig``, ``symeig``, ``solve``) that now raise an error naming
their replacement.

They run on ``ember.linalg`` and share its gradients; ``svd`` returns ``V`` rather than
``Vh``, and ``triangular_solve``/``lu_solve`` take the right-hand side first.

>>> import ember
>>> ember.cholesky_inverse(ember.eye(2) * 2)
tensor([[0.2500, 0.0000],
        [0.0000, 0.2500]])
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from .. import linalg as LA
from ..autograd.graph import Node
from ..linalg._common import _LinAlgError
from ..linalg._decomp import LinalgCholeskyExBackward0
from ..linalg._lu import lu_pieces
from ..linalg._solvers import solve_triangular
from ._core import Tensor, record, record_multi, sum_to, wrap
from .reduction import _return_type

__all__ = ["svd", "qr", "cholesky", "cholesky_solve", "cholesky_inverse", "triangular_solve",
           "lu", "lu_unpack", "lu_solve", "matrix_rank", "lstsq", "eig", "symeig", "solve"]
TENSOR_METHODS: tuple = ("svd", "qr", "cholesky", "cholesky_solve", "cholesky_inverse",
                         "triangular_solve", "lu", "lu_solve", "lstsq", "eig", "symeig",
                         "solve")


def _deprecated(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


# -- svd, qr ---------------------------------------------------------------------------------
def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> Any:
    """``(U, S, V)`` with ``input = U diag(S) V^H``; without ``compute_uv``, U and V are
    zero matrices of the full shapes and only S carries gradient."""
    if input.ndim < 2:
        raise RuntimeError("linalg.svd: input should have at least 2 dimensions, but has "
                           f"{input.ndim} dimensions instead")
    result = _return_type("svd", ("U", "S", "V"))
    if not compute_uv:
        from .. import zeros
        m, n = input.shape[-2:]
        batch = tuple(input.shape[:-2])
        return result(zeros(*batch, m, m, dtype=input.dtype), LA.svdvals(input),
                      zeros(*batch, n, n, dtype=input.dtype))
    u, s, vh = LA.svd(input, full_matrices=not some)
    return result(u, s, vh.mH if input.dtype.is_complex else vh.mT)


def qr(input: Tensor, some: bool = True) -> Any:
    """``(Q, R)`` of ``linalg.qr``, reduced when ``some`` and complete otherwise."""
    _deprecated("ember.qr is deprecated in favor of ember.linalg.qr and will be removed in a "
                "future release.\nThe boolean parameter 'some' has been replaced with a string "
                "parameter 'mode'.\nQ, R = ember.qr(A, some)\nshould be replaced with\nQ, R = "
                "ember.linalg.qr(A, 'reduced' if some else 'complete')")
    q, r = LA.qr(input, "reduced" if some else "complete")
    return _return_type("qr", ("Q", "R"))(q, r)


# -- cholesky family -------------------------------------------------------------------------
class CholeskyBackward0(LinalgCholeskyExBackward0):
    pass


def _legacy_error(err: _LinAlgError, name: str) -> _LinAlgError:
    return _LinAlgError(str(err).replace("linalg.cholesky:", f"{name}:", 1))


def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """Cholesky factor (lower, or upper with ``upper``) of each positive-definite matrix."""
    _deprecated("ember.cholesky is deprecated in favor of ember.linalg.cholesky and will be "
                "removed in a future release.\nL = ember.cholesky(A)\nshould be replaced with\n"
                "L = ember.linalg.cholesky(A)\nand\nU = ember.cholesky(A, upper=True)\nshould be "
                "replaced with\nU = ember.linalg.cholesky(A).mH\nThis transform will produce "
                "equivalent results for all valid (symmetric positive definite) inputs.")
    if input.ndim < 2:
        raise RuntimeError("cholesky: The input tensor A must have at least 2 dimensions.")
    try:
        res = LA.cholesky(input.detach(), upper=upper)
    except _LinAlgError as err:
        raise _legacy_error(err, "cholesky") from None
    node = record(res, CholeskyBackward0, input)
    if node is not None:
        node.upper = upper
        node.save(res.detach())
    return res


def _check_rhs(b: Tensor, a: Tensor, name: str) -> None:
    """torch's checks, shared by cholesky_solve and triangular_solve (``b`` first)."""
    if b.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {b.ndim} dimensions "
                           "instead" if name == "cholesky_solve" else
                           "ember.triangular_solve: Expected b to have at least 2 dimensions, "
                           f"but it has {b.ndim} dimensions instead")
    if b.dtype != a.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{D.scalar_type_name(b.dtype)} and A of type "
                           f"{D.scalar_type_name(a.dtype)} instead.")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for {name}: each A matrix is "
                           f"{a.shape[-1]} by {a.shape[-1]} but each b matrix is "
                           f"{b.shape[-2]} by {b.shape[-1]}")


class CholeskySolveBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        # X = (L L^H)^-1 B: gB = (L L^H)^-1 g; gA = -gB X^H - X gB^H (A symmetric), and
        # A = L L^H gives gL = gA L (gU = U gA).  Like torch, the whole matrix gets this
        # gradient, not only the factor's triangle.
        factor, x = self.saved()
        gb = cholesky_solve(grad, factor, self.upper)
        ga = -(gb @ x.mT) - (x @ gb.mT)
        gfac = factor @ ga if self.upper else ga @ factor
        return sum_to(gb, self.b_shape), sum_to(gfac, self.a_shape)


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:
    """``X`` with ``A X = B`` for ``A = L L^H`` given its Cholesky factor ``input2``
    (``A = U^H U`` when ``upper``); ``input`` is B."""
    _check_rhs(input, input2, "cholesky_solve")
    factor = input2.detach()
    y = solve_triangular(factor.mT if upper else factor, input.detach(), upper=False)
    res = solve_triangular(factor if upper else factor.mT, y, upper=True)
    node = record(res, CholeskySolveBackward0, input, input2)
    if node is not None:
        node.upper, node.b_shape, node.a_shape = upper, input.shape, input2.shape
        node.save(factor, res.detach())
    return res


class CholeskyInverseBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        # B = (L L^H)^-1: gA = -B (g + g^H) B, then the factor's gradient as in
        # cholesky_solve (untriangled, as torch gives it).
        factor, inv = self.saved()
        ga = -(inv @ (grad + grad.mT) @ inv)
        return (factor @ ga if self.upper else ga @ factor,)


def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:
    """The inverse of ``L L^H`` (``U^H U`` when ``upper``) from its Cholesky factor."""
    if input.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 "
                           "dimensions.")
    if input.shape[-1] != input.shape[-2]:
        raise RuntimeError("cholesky_inverse: A must be batches of square matrices, but they "
                           f"are {input.shape[-2]} by {input.shape[-1]} matrices")
    from .. import eye
    ident = eye(input.shape[-1], dtype=input.dtype).expand(input.shape)
    res = cholesky_solve(ident, input.detach(), upper).detach()
    res = (res + res.mT) * 0.5  # exactly symmetric, as the inverse of L L^H is
    node = record(res, CholeskyInverseBackward0, input)
    if node is not None:
        node.upper = upper
        node.save(input.detach(), res.detach())
    return res


# -- triangular_solve ------------------------------------------------------------------------
class TriangularSolveBackward0(Node):
    n_outputs = 2

    def backward(self, grad: Any, grad_coef: Any) -> tuple:
        a, x = self.saved()
        gb = ga = None
        if grad is not None:
            ax = a.mT if self.transpose else a
            up = self.upper != self.transpose
            gb = solve_triangular(ax.mT, grad, upper=not up, unitriangular=self.unit)
            g_op = -(gb @ x.mT)
            ga = g_op.mT if self.transpose else g_op
            ga = ga.triu(int(self.unit)) if self.upper else ga.tril(-int(self.unit))
        if grad_coef is not None:
            ga = grad_coef if ga is None else ga + grad_coef
        return (None if gb is None else sum_to(gb, self.b_shape),
                None if ga is None else sum_to(ga, self.a_shape))


def triangular_solve(input: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False) -> Any:
    """``(solution, cloned_coefficient)``: X with ``op(A) X = input`` (op transposes when
    ``transpose``), and a copy of ``A``."""
    _deprecated("ember.triangular_solve is deprecated in favor of ember.linalg.solve_triangular"
                "and will be removed in a future release.\nember.linalg.solve_triangular has "
                "its arguments reversed and does not return a copy of one of the inputs.\nX = "
                "ember.triangular_solve(B, A).solution\nshould be replaced with\nX = "
                "ember.linalg.solve_triangular(A, B).")
    _check_rhs(input, A, "triangular_solve")
    a = A.detach()
    op = a.mT if transpose else a
    res = solve_triangular(op, input.detach(), upper=upper != transpose,
                           unitriangular=unitriangular)
    coef = wrap(np.array(np.broadcast_to(a._data, res.shape[:-2] + a.shape[-2:])))
    outs = [res, coef]
    node = record_multi(outs, TriangularSolveBackward0, input, A)
    if node is not None:
        node.upper, node.transpose, node.unit = upper, transpose, unitriangular
        node.b_shape, node.a_shape = input.shape, A.shape
        node.save(a, res.detach())
    return _return_type("triangular_solve", ("solution", "cloned_coefficient"))(*outs)


# -- LU ----------------------------------------------------------------------------------------
def lu(A: Tensor, pivot: bool = True, get_infos: bool = False) -> Any:
    """``(LU, pivots)`` (with ``infos`` when ``get_infos``) of ``linalg.lu_factor_ex``."""
    _deprecated("ember.lu is deprecated in favor of ember.linalg.lu_factor / "
                "ember.linalg.lu_factor_ex and will be removed in a future release.\nLU, "
                "pivots = ember.lu(A, compute_pivots)\nshould be replaced with\nLU, pivots = "
                "ember.linalg.lu_factor(A, compute_pivots)\nand\nLU, pivots, info = "
                "ember.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\nLU, "
                "pivots, info = ember.linalg.lu_factor_ex(A, compute_pivots)")
    lu_data, pivots, infos = LA.lu_factor_ex(A, pivot=pivot)
    return (lu_data, pivots, infos) if get_infos else (lu_data, pivots)


class LuUnpackBackward0(Node):
    n_outputs = 3

    def backward(self, gp: Any, gl: Any, gu: Any) -> tuple:
        # L and U are the two triangles of LU: their gradients pad back into LU's shape.
        from .. import zeros
        g = zeros(*self.shape, dtype=self.dtype)
        if gl is not None and gl.numel():
            g = g + _pad(gl.tril(-1), self.shape)
        if gu is not None and gu.numel():
            g = g + _pad(gu.triu(), self.shape)
        return (g,)


def _pad(t: Tensor, shape: tuple) -> Tensor:
    """``t`` in the top-left corner of zeros of ``shape`` (L is m x k, U is k x n)."""
    from .. import cat, zeros
    rows, cols = shape[-2] - t.shape[-2], shape[-1] - t.shape[-1]
    if cols:
        t = cat([t, zeros(*t.shape[:-1], cols, dtype=t.dtype)], -1)
    if rows:
        t = cat([t, zeros(*t.shape[:-2], rows, t.shape[-1], dtype=t.dtype)], -2)
    return t


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True) -> Any:
    """``(P, L, U)`` from ``lu_factor``'s packed result; a part not asked for is empty."""
    if LU_pivots._data.dtype != np.int32:
        raise RuntimeError("ember.lu_unpack: LU_pivots is expected to be a contiguous tensor "
                           "of ember.int32 dtype.\nNote: this function is intended to be used "
                           "with the output produced by ember.linalg.lu_factor")
    piv = LU_pivots._data
    if piv.size and (piv.min() < 1 or piv.max() > LU_data.shape[-2]):
        raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) "
                           "inclusive.Did you properly pass the result of lu_factor?")
    p, low, up = lu_pieces(LU_data.detach(), LU_pivots)
    empty = wrap(np.empty(0, dtype=LU_data._data.dtype))
    outs = [p if unpack_pivots else empty, low if unpack_data else empty,
            up if unpack_data else empty.clone()]
    node = record_multi(outs[1:], LuUnpackBackward0, LU_data)  # empty parts too, as torch
    if node is not None:
        node.n_outputs = 3
        outs[1]._output_nr, outs[2]._output_nr = 1, 2
        node.shape, node.dtype = tuple(LU_data.shape), LU_data.dtype
    return _return_type("lu_unpack", ("P", "L", "U"))(*outs)


def lu_solve(input: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """``X`` with ``A X = input`` for A given by ``lu_factor``'s ``(LU, pivots)``."""
    _deprecated("ember.lu_solve is deprecated in favor of ember.linalg.lu_solveand will be "
                "removed in a future release.\nNote that ember.linalg.lu_solve has its "
                "arguments reversed.\nX = ember.lu_solve(B, LU, pivots)\nshould be replaced "
                "with\nX = ember.linalg.lu_solve(LU, pivots, B)")
    return LA.lu_solve(LU_data, LU_pivots, input)


# -- removed functions -----------------------------------------------------------------------
_REMOVED = "This function was deprecated since version 1.9 and is now removed."


def matrix_rank(input: Tensor, tol: Any = None, symmetric: bool = False, *,
                out: Any = None) -> Any:
    raise RuntimeError(f"{_REMOVED}\nPlease use the `ember.linalg.matrix_rank` function "
                       "instead. The parameter 'symmetric' was renamed in "
                       "`ember.linalg.matrix_rank()` to 'hermitian'.")


def lstsq(input: Tensor, A: Tensor, *, out: Any = None) -> Any:
    raise RuntimeError(
        f"{_REMOVED} `ember.lstsq` is deprecated in favor of `ember.linalg.lstsq`.\n"
        "`ember.linalg.lstsq` has reversed arguments and does not return the QR decomposition "
        "in the returned tuple (although it returns other information about the problem).\n\n"
        "To get the QR decomposition consider using `ember.linalg.qr`.\n\nThe returned "
        "solution in `ember.lstsq` stored the residuals of the solution in the last m - n "
        "columns of the returned value whenever m > n. In ember.linalg.lstsq, the residuals "
        "are in the field 'residuals' of the returned named tuple.\n\nThe unpacking of the "
        "solution, as in\nX, _ = ember.lstsq(B, A).solution[:A.size(1)]\nshould be replaced "
        "with:\nX = ember.linalg.lstsq(A, B).solution")


def eig(input: Tensor, eigenvectors: bool = False, *, e: Any = None, v: Any = None) -> Any:
    raise RuntimeError(
        f"{_REMOVED} `ember.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` "
        "rather than real tensors mimicking complex tensors.\n\nL, _ = ember.eig(A) should be "
        "replaced with:\nL_complex = ember.linalg.eigvals(A)\n\nand\n\nL, V = ember.eig(A, "
        "eigenvectors=True) should be replaced with:\nL_complex, V_complex = "
        "ember.linalg.eig(A)")


def symeig(input: Tensor, eigenvectors: bool = False, upper: bool = True, *,
           out: Any = None) -> Any:
    raise RuntimeError(
        f"{_REMOVED} The default behavior has changed from using the upper triangular portion "
        "of the matrix by default to using the lower triangular portion.\n\nL, _ = "
        "ember.symeig(A, upper=upper) should be replaced with:\nL = ember.linalg.eigvalsh(A, "
        "UPLO='U' if upper else 'L')\n\nand\n\nL, V = ember.symeig(A, eigenvectors=True) "
        "should be replaced with:\nL, V = ember.linalg.eigh(A, UPLO='U' if upper else 'L')")


def solve(input: Tensor, A: Tensor, *, out: Any = None) -> Any:
    raise RuntimeError(
        f"{_REMOVED} `ember.solve` is deprecated in favor of `ember.linalg.solve`. "
        "`ember.linalg.solve` has its arguments reversed and does not return the LU "
        "factorization.\n\nTo get the LU factorization see `ember.lu`, which can be used with "
        "`ember.lu_solve` or `ember.lu_unpack`.\nX = ember.solve(B, A).solution should be "
        "replaced with:\nX = ember.linalg.solve(A, B)")
