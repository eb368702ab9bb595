"""Triangular solves, the ``*_ex`` forms that report failures in an ``info`` tensor, and the
small compositions (multi_dot, vecdot, vander, cond, tensorinv, tensorsolve).

``info`` follows LAPACK: 0 for a matrix that was handled, otherwise the 1-based position of
the first failing pivot (or leading minor).  Where ``info`` is non-zero the matching slice of
the result is not meaningful; ember fills it with NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..ops._core import Tensor, record, sum_to, wrap
from ._common import _LinAlgError, check_float, check_matrix, check_square, return_type
from ._decomp import _first_zero_pivot, _not_pd_error, _singular_error, cholesky, inv, solve

__all__ = ["solve_triangular", "cholesky_ex", "inv_ex", "solve_ex", "multi_dot", "vecdot",
           "vander", "cond", "tensorinv", "tensorsolve"]


# -- solve_triangular --------------------------------------------------------------------------
def _substitute(t: np.ndarray, b: np.ndarray, upper: bool) -> np.ndarray:
    """Row-by-row substitution for ``t x = b``: slow but, unlike a pivoting solver, it gives
    IEEE inf/NaN for a zero diagonal as LAPACK's trsm does."""
    x = np.zeros(np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:],
                 dtype=np.result_type(t, b))
    n = t.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in (range(n - 1, -1, -1) if upper else range(n)):
            rest = slice(i + 1, n) if upper else slice(0, i)
            acc = b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, rest], x[..., rest, :])
            x[..., i, :] = acc / t[..., i, i, None]
    return x


def _triangle(a: np.ndarray, upper: bool, unit: bool) -> np.ndarray:
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        t = t.copy()
        idx = np.arange(a.shape[-1])
        t[..., idx, idx] = 1
    return t


def _trsolve(a: np.ndarray, b: np.ndarray, upper: bool, left: bool, unit: bool) -> np.ndarray:
    """Solve with only one triangle of ``a`` (its other entries are never read)."""
    if not left:  # X A = B  <=>  A^T X^T = B^T, and the transpose swaps the triangle
        a, b, upper = np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), not upper
    t = _triangle(a, upper, unit)
    batch = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = np.broadcast_to(t, batch + t.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    try:
        x = np.linalg.solve(t, b)
    except np.linalg.LinAlgError:  # an exact zero on the diagonal
        x = _substitute(t, b, upper)
    return x if left else np.swapaxes(x, -1, -2)


class LinalgSolveTriangularBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        # X = A^-1 B: gB = A^-H g, gA = -gB X^H restricted to A's triangle (X A = B mirrors).
        from .. import tril, triu
        a, x = self.saved()
        upper, left, unit = self.upper, self.left, self.unit
        gb = solve_triangular(a.mT, grad, upper=not upper, left=left, unitriangular=unit)
        ga = -(gb @ x.mT) if left else -(x.mT @ gb)
        ga = triu(ga, int(unit)) if upper else tril(ga, -int(unit))
        return sum_to(ga, self.a_shape), sum_to(gb, self.b_shape)


def _check_triangular_args(A: Tensor, B: Tensor, left: bool) -> None:
    name = "linalg.solve_triangular"
    a = check_square(A, name, want_float=False)
    if B.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    n, (rows, cols) = a.shape[-1], B.shape[-2:]
    if (rows if left else cols) != n:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {rows}x{cols})")
    dt = D.result_type(A, B)
    if dt.np.kind not in "fc":
        raise NotImplementedError(f'"triangular_solve_cpu" not implemented for '
                                  f"'{D.scalar_type_name(dt)}'")


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False, out: Tensor | None = None) -> Tensor:
    """``X`` with ``A @ X = B`` (``X @ A = B`` when ``left`` is False) for triangular ``A``:
    only its ``upper`` (or lower) triangle is read, and its diagonal is taken as ones when
    ``unitriangular``.  Batch dimensions broadcast."""
    _check_triangular_args(A, B, left)
    dt = D.result_type(A, B)
    if A.dtype != dt:
        A = A.to(dt)
    if B.dtype != dt:
        B = B.to(dt)
    res = wrap(np.ascontiguousarray(_trsolve(A._data, B._data, upper, left, unitriangular)))
    node = record(res, LinalgSolveTriangularBackward0, A, B)
    if node is not None:
        node.upper, node.left, node.unit = upper, left, unitriangular
        node.a_shape, node.b_shape = A.shape, B.shape
        node.save(A.detach(), res.detach())
    return _finish(res, out)


def _finish(res: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return res
    from ..ops._binary import _write_out
    return _write_out(res, out, "linalg")


# -- the _ex forms ---------------------------------------------------------------------------
def _info_tensor(values: Any, batch: tuple) -> Tensor:
    return wrap(np.asarray(values, dtype=np.int32).reshape(batch))


def _renamed(err: _LinAlgError, old: str, new: str) -> _LinAlgError:
    return _LinAlgError(str(err).replace(old, new, 1))


def _cholesky_info(a: np.ndarray) -> np.ndarray:
    """Order of the first leading minor that is not positive-definite, per matrix (0: none)."""
    info = np.zeros(a.shape[:-2], dtype=np.int32)
    for index in np.ndindex(*a.shape[:-2]):
        for k in range(1, a.shape[-1] + 1):
            try:
                np.linalg.cholesky(a[index][:k, :k])
            except np.linalg.LinAlgError:
                info[index] = k
                break
    return info


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> Any:
    """``(L, info)``: ``linalg.cholesky`` that reports a matrix that is not positive-definite
    through ``info`` (the order of its failing leading minor) instead of raising."""
    a = check_square(A, "linalg.cholesky_ex")
    try:
        low = cholesky(A, upper=upper)
        info = np.zeros(a.shape[:-2], dtype=np.int32)
    except _LinAlgError as err:
        if check_errors:
            raise _renamed(_not_pd_error(a), "linalg.cholesky:", "linalg.cholesky_ex:") from err
        info = _cholesky_info(a)
        good = np.where(info[..., None, None] == 0, a, np.eye(a.shape[-1], dtype=a.dtype))
        low = cholesky(_with_data(A, good), upper=upper)
        low._data[info > 0] = np.nan
    return return_type("linalg_cholesky_ex", ("L", "info"))(low, _info_tensor(info, a.shape[:-2]))


def _with_data(A: Tensor, data: np.ndarray) -> Tensor:
    """``A``'s values replaced where a failed matrix must not stop the batch; differentiable
    through ``A`` (the replaced slices get no gradient)."""
    from .. import where
    keep = wrap(np.all(data == A._data, axis=(-2, -1), keepdims=True))
    return where(keep, A, wrap(data))


def _pivot_info(a: np.ndarray) -> np.ndarray:
    info = np.zeros(a.shape[:-2], dtype=np.int32)
    for index in np.ndindex(*a.shape[:-2]):
        info[index] = _first_zero_pivot(a[index]) or 0
    return info


def inv_ex(A: Tensor, *, check_errors: bool = False) -> Any:
    """``(inverse, info)``: ``linalg.inv`` reporting singular matrices through ``info`` (the
    1-based column of the first zero pivot) instead of raising."""
    a = check_square(A, "linalg.inv_ex")
    try:
        res = inv(A)
        info = np.zeros(a.shape[:-2], dtype=np.int32)
    except _LinAlgError as err:
        if check_errors:
            raise _singular_error(a, "linalg.inv_ex") from err
        info = _pivot_info(a)
        eye = np.eye(a.shape[-1], dtype=a.dtype)
        res = inv(_with_data(A, np.where(info[..., None, None] == 0, a, eye)))
        res._data[info > 0] = np.nan
    return return_type("linalg_inv_ex", ("inverse", "info"))(res, _info_tensor(info, a.shape[:-2]))


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> Any:
    """``(result, info)``: ``linalg.solve`` reporting singular matrices through ``info``."""
    a = check_square(A, "linalg.solve_ex")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    b_batch = B.shape[:-1] if vector else B.shape[:-2]
    batch = np.broadcast_shapes(a.shape[:-2], b_batch) if B.ndim >= 2 else a.shape[:-2]
    try:
        res = solve(A, B, left=left)
        info = np.zeros(batch, dtype=np.int32)
    except _LinAlgError as err:
        if check_errors:
            raise _renamed(err, "ember.linalg.solve:", "ember.linalg.solve_ex:") from err
        info = np.broadcast_to(_pivot_info(a), batch)
        a_full = np.broadcast_to(a, batch + a.shape[-2:])
        eye = np.eye(a.shape[-1], dtype=a.dtype)
        fixed = _with_data(A.expand(a_full.shape), np.where(info[..., None, None] == 0,
                                                             a_full, eye))
        res = solve(fixed, B, left=left)
        res._data[info > 0] = np.nan
    return return_type("linalg_solve_ex", ("result", "info"))(res, _info_tensor(info, batch))


# -- compositions ----------------------------------------------------------------------------
def _check_chain(tensors: list) -> None:
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    last = len(tensors) - 1
    for i, t in enumerate(tensors):
        edge = i in (0, last)
        if (t.ndim not in (1, 2)) if edge else t.ndim != 2:
            where = "first" if i == 0 else "last" if i == last else None
            if where is None:
                raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
            raise RuntimeError(f"multi_dot(): the {where} tensor must be 1D or 2D but got "
                               f"{t.ndim}D")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor "
                               f"0 is {D.type_meta_name(tensors[0].dtype)} and tensor {i} "
                               f"{D.type_meta_name(t.dtype)}")


def _chain_order(dims: list) -> list:
    """Optimal split points for multiplying matrices with sizes dims[i] x dims[i+1]
    (the textbook dynamic programme), so that long chains cost the fewest flops."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors: Any, *, out: Tensor | None = None) -> Tensor:
    """The product of a chain of matrices, in the cheapest order; the first (last) may be a
    vector, taken as a row (column)."""
    tensors = list(tensors)
    _check_chain(tensors)
    first_vec, last_vec = tensors[0].ndim == 1, tensors[-1].ndim == 1
    mats = list(tensors)
    if first_vec:
        mats[0] = mats[0].unsqueeze(0)
    if last_vec:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i in range(len(mats) - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} "
                               "cannot be multiplied")
    split = _chain_order([m.shape[0] for m in mats] + [mats[-1].shape[1]])

    def product(i: int, j: int) -> Tensor:
        if i == j:
            return mats[i]
        return product(i, split[i][j]).mm(product(split[i][j] + 1, j))

    res = product(0, len(mats) - 1)
    shape = tuple(res.shape[int(first_vec):len(res.shape) - int(last_vec)])
    return _finish(res.view(shape), out)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out: Tensor | None = None) -> Tensor:
    """``sum(conj(x) * y, dim)`` with broadcasting."""
    check_float(x, "linalg.vecdot")
    if x.dtype != y.dtype:
        raise RuntimeError("linalg.vecdot: Expected x and y to have the same dtype, but found "
                           f"x of type {D.scalar_type_name(x.dtype)} and y of type "
                           f"{D.scalar_type_name(y.dtype)} instead")
    if x.ndim == 1 and y.ndim == 1 and dim in (0, -1):
        from .. import vdot
        return _finish(vdot(x, y), out)
    prod = (x.conj() if x.dtype.is_complex else x) * y
    return _finish(prod.sum(dim), out)


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """Columns ``x**0, x**1, ..., x**(N-1)`` (increasing powers, unlike ``ember.vander``)."""
    if x.ndim == 0:
        raise RuntimeError("N must be greater than 1.")  # a 0-d x has no length
    n = x.shape[-1] if N is None else int(N)
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    from .. import cat, ones
    col = x.unsqueeze(-1)
    powers = col.expand(*x.shape, n - 1).cumprod(-1)
    first = ones(*x.shape, 1, dtype=powers.dtype)
    return cat([first, powers], -1)


_COND_ORDS = (1, -1, math.inf, -math.inf, "fro", "nuc")


def cond(A: Tensor, p: Any = None, *, out: Tensor | None = None) -> Tensor:
    """Condition number of each matrix in the norm ``p`` (default: the 2-norm, the ratio of
    extreme singular values); a singular matrix gives inf for the norms needing an inverse."""
    from . import matrix_norm, svdvals
    if p is None or p in (2, -2):
        check_matrix(A, "linalg.cond")
        s = svdvals(A)
        big, small = s.narrow(-1, 0, 1), s.narrow(-1, -1, 1)
        return _finish((small / big if p == -2 else big / small).squeeze(-1), out)
    if p not in _COND_ORDS or isinstance(p, bool):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    label = p if isinstance(p, str) else ("inf" if p == math.inf else "-inf"
                                          if p == -math.inf else int(p))
    check_square(A, f"linalg.cond(ord={label})")
    inverse, info = inv_ex(A)
    inverse = inverse.masked_fill((info > 0).unsqueeze(-1).unsqueeze(-1), math.inf)
    with np.errstate(invalid="ignore"):  # 0 * inf for a zero matrix, mapped to inf below
        res = matrix_norm(A, p) * matrix_norm(inverse, p)
    if p != "nuc":  # 0 * inf (a zero matrix) reads as infinitely ill-conditioned
        res = res.nan_to_num(math.inf, math.inf, -math.inf)
    return _finish(res, out)


def tensorinv(A: Tensor, ind: int = 2, *, out: Tensor | None = None) -> Tensor:
    """The tensor ``X`` with ``tensordot(A, X, ind)`` the identity: the inverse of ``A``
    read as a matrix whose rows are its first ``ind`` dimensions."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = A.shape[:ind], A.shape[ind:]
    n_rows, n_cols = math.prod(rows), math.prod(cols)
    if n_rows != n_cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {n_cols} != {n_rows}")
    try:
        res = inv(A.reshape(n_rows, n_cols))
    except _LinAlgError as err:
        raise _renamed(err, "linalg.inv:", "inv:") from None
    return _finish(res.reshape(*cols, *rows), out)


def tensorsolve(A: Tensor, B: Tensor, dims: Any = None, *, out: Tensor | None = None) -> Tensor:
    """The tensor ``X`` with ``tensordot(A, X, X.ndim) == B``; ``dims`` of ``A`` move to the
    end first."""
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        order = [d for d in range(A.ndim) if d not in dims] + list(dims)
        A = A.permute(*order)
    result_shape = A.shape[B.ndim:]
    n = math.prod(result_shape)
    if math.prod(A.shape[:B.ndim]) != n:
        raise RuntimeError("Expected self to satisfy the requirement "
                           "prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), "
                           f"but got {n} != {math.prod(A.shape[:B.ndim])}")
    x = solve(A.reshape(n, n), B.reshape(n))
    return _finish(x.view(*result_shape), out)
