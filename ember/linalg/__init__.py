"""``ember.linalg``: torch.linalg's functions on NumPy's LAPACK.

Factorisations run batched over leading dimensions; their gradients are the standard
real-matrix formulas, written with ember ops so that they can be differentiated again.

>>> import ember
>>> ember.linalg.det(ember.eye(3) * 2)
tensor(8.)
>>> ember.linalg.vector_norm(ember.tensor([3.0, 4.0]))
tensor(5.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops._core import Tensor
from ._common import LinAlgError, _LinAlgError, check_square
from ._decomp import cholesky, det, inv, slogdet, solve
from ._norms import matrix_norm, norm, vector_norm
from ._extras import eig, eigvals, lstsq
from ._lu import lu, lu_factor, lu_factor_ex, lu_solve
from ._solvers import (cholesky_ex, cond, inv_ex, multi_dot, solve_ex, solve_triangular,
                       tensorinv, tensorsolve, vander, vecdot)
from ._spectral import eigh, eigvalsh, qr, svd, svdvals

__all__ = ["LinAlgError", "vector_norm", "matrix_norm", "norm", "inv", "det", "slogdet",
           "solve", "cholesky", "qr", "eigh", "eigvalsh", "svd", "svdvals", "pinv",
           "matrix_rank", "matrix_power", "cross", "matmul", "diagonal", "solve_triangular",
           "cholesky_ex", "inv_ex", "solve_ex", "lu_factor", "lu_factor_ex", "lu", "lu_solve",
           "lstsq", "multi_dot", "vecdot", "vander", "cond", "matrix_exp", "eig", "eigvals",
           "tensorinv", "tensorsolve"]

del _LinAlgError  # reachable as LinAlgError (torch's class is ``torch._C._LinAlgError``)


def _tolerance(s: Tensor, shape: tuple, atol: Any, rtol: Any) -> Tensor:
    """torch's cutoff on singular values: max(atol, rtol * largest), with rtol defaulting to
    eps * max(m, n) when neither tolerance is given (a tensor tolerance broadcasts)."""
    eps = float(np.finfo(s._data.dtype).eps)
    if rtol is None:
        rtol = eps * max(shape[-2:]) if atol is None or _is_zero(atol) else 0.0
    smax = s.amax(-1, keepdim=True) if s.shape[-1] else s.sum(-1, keepdim=True)
    cut = smax * _column(rtol)
    if atol is not None:
        from .. import maximum
        cut = maximum(cut, _column(atol) + cut * 0)
    return cut.detach()


def _is_zero(x: Any) -> bool:
    return not isinstance(x, Tensor) and float(x) == 0.0


def _column(x: Any) -> Any:
    return x.unsqueeze(-1) if isinstance(x, Tensor) else x


def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """Moore-Penrose pseudo-inverse through the SVD: singular values at or below the
    tolerance count as zero.  Composed of ember ops, so differentiable where the rank does
    not change and the singular values are distinct."""
    del hermitian  # the SVD serves symmetric matrices too; only speed differs
    u, s, vh = svd(A, full_matrices=False)
    keep = s > _tolerance(s, A.shape, atol, rtol)
    s_inv = (1 / s.masked_fill(~keep, 1)).masked_fill(~keep, 0)
    return (vh.mT * s_inv.unsqueeze(-2)) @ u.mT


def matrix_rank(A: Tensor, *, atol: Any = None, rtol: Any = None,
                hermitian: bool = False) -> Tensor:
    """Number of singular values above the tolerance (int64; no gradient)."""
    s = svdvals(A.detach()) if not hermitian else eigvalsh(A.detach()).abs()
    return (s > _tolerance(s, A.shape, atol, rtol)).sum(-1)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A`` multiplied by itself ``n`` times (the inverse's power for negative ``n``; the
    identity for 0), by repeated squaring as torch does."""
    check_square(A, "linalg.matrix_power", want_float=False)
    n = int(n)
    if n == 0:
        from .. import eye
        out = A.clone()
        out.copy_(eye(A.shape[-1], dtype=A.dtype).expand(A.shape))
        return out
    if n < 0:
        A, n = inv(A), -n
        if n == 1:
            return A
    if n == 1:
        return A.clone()
    result, z = None, None
    while n > 0:
        z = A if z is None else z @ z
        if n & 1:
            result = z if result is None else result @ z
        n >>= 1
    return result


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (default the last, unlike ``ember.cross``)."""
    from .. import cross as _cross
    return _cross(input, other, dim=dim)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Alias of ``ember.matmul``."""
    from .. import matmul as _matmul
    return _matmul(input, other)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Alias of ``ember.diagonal`` with the matrix dims last by default."""
    from .. import diagonal as _diagonal
    return _diagonal(A, offset, dim1, dim2)



def matrix_exp(A: Tensor) -> Tensor:
    """Alias of ``ember.matrix_exp``."""
    from ..ops.matrix_more import matrix_exp as _matrix_exp
    return _matrix_exp(A)
