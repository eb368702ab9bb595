"""vector_norm, matrix_norm and norm.

``matrix_norm`` is a composition, as in torch, so its ``grad_fn`` is the last composed op:
``LinalgVectorNormBackward0`` ('fro'), ``AmaxBackward0``/``AminBackward0`` (1, inf, 2 and
their negatives) or ``SumBackward1`` ('nuc').
"""

from __future__ import annotations

import math
from typing import Any

from .. import _dtype as D
from ..ops.vector_norm import norm as _vector_norm
from ..ops._core import Tensor, wrap_dim
from ._common import check_float, check_matrix
from ._spectral import svdvals

__all__ = ["vector_norm", "matrix_norm", "norm"]

_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: D.dtype | None = None) -> Tensor:
    """``sum(|x|**ord) ** (1/ord)`` over ``dim`` (all elements when None); ``ord`` may be
    0 (count of non-zeros), inf or -inf."""
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, "
                        "not str")
    if isinstance(dim, list):
        dim = tuple(dim)
    return _vector_norm(x, float(ord), dim, keepdim, dtype=dtype)


def _matrix_dims(dim: Any, ndim: int) -> tuple:
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dims) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(str(d) for d in dims))
    d0, d1 = wrap_dim(dims[0], ndim), wrap_dim(dims[1], ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, "
                           f"{dims[1]})")
    return d0, d1


def _spectral_norm(A: Tensor, ord: Any, d0: int, d1: int, keepdim: bool) -> Tensor:
    """'nuc' and ±2: reductions of the singular values of the (d0, d1) matrices."""
    s = svdvals(A.movedim((d0, d1), (-2, -1)))
    if ord == "nuc":
        res = s.sum(-1)
    else:
        res = s.amax(-1) if ord > 0 else s.amin(-1)
    if not keepdim:
        return res
    # Put the two reduced dims back as size-1 dims where they were.
    res = res.unsqueeze(-1).unsqueeze(-1)
    order = [d for d in range(A.dim()) if d not in (d0, d1)] + [d0, d1]
    return res.permute([order.index(d) for d in range(A.dim())])


def matrix_norm(A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,
                dtype: D.dtype | None = None) -> Tensor:
    """Matrix norm over the two dims ``dim``: 'fro', 'nuc', 1, -1, 2, -2, inf or -inf."""
    check_matrix(A, "linalg.matrix_norm")
    check_float(A, "linalg.matrix_norm")
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    d0, d1 = _matrix_dims(dim, A.dim())
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if dtype is not None:
        A = A.to(dtype)
    if ord in ("nuc", 2, -2):
        return _spectral_norm(A, ord, d0, d1, keepdim)
    if abs(ord) == math.inf:  # max/min row sum: sum over the columns first
        d0, d1 = d1, d0
    sums = vector_norm(A, 1, d0, keepdim)
    if not keepdim and d1 > d0:
        d1 -= 1
    return sums.amax(d1, keepdim) if ord > 0 else sums.amin(d1, keepdim)


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: D.dtype | None = None) -> Tensor:
    """Vector or matrix norm, chosen as torch chooses: by ``dim`` (an int: vector, a pair:
    matrix), else by ``ord`` and the number of dims of ``A``."""
    if dim is not None:
        dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError("linalg.norm: If dim is specified, it must be of length 1 or 2. "
                           f"Got {list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if isinstance(ord, str) or A.dim() == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    if A.dim() != 1:
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {A.dim()}D.")
    return vector_norm(A, ord, None, keepdim, dtype=dtype)
