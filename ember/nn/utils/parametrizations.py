"""Ready-made parametrizations: weight norm, spectral norm, orthogonal.

Each function registers a parametrization (see ``ember.nn.utils.parametrize``) on
``module.<name>`` and returns the module:

* ``weight_norm``: ``weight = g * v / ||v||``, stored as ``original0`` (g) and
  ``original1`` (v);
* ``spectral_norm``: ``weight = original / sigma``, with ``sigma`` the largest singular value
  estimated by power iteration (vectors kept in the ``_u`` and ``_v`` buffers);
* ``orthogonal``: ``weight`` stays an orthogonal (unitary) matrix, through the matrix
  exponential, the Cayley map or a product of Householder reflections.

>>> from ember import nn
>>> m = orthogonal(nn.Linear(3, 3))
>>> q = m.weight
>>> bool(ember.allclose(q @ q.T, ember.eye(3), atol=1e-5))
True
"""

from __future__ import annotations

from enum import Enum, auto

import numpy as np

from ... import ops as _ops
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...linalg import solve
from .. import functional as F
from ..modules.module import Module
from . import parametrize
from ._householder import geqrf, householder_product, make_orthogonal
from ._spectral_norm import _default_dim
from ._weight_norm import norm_except_dim, weight_norm_from

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _named_tensor(module: Module, name: str) -> Tensor:
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    return weight


# -- weight norm -----------------------------------------------------------------------------
class _WeightNorm(Module):
    """``weight = g * v / ||v||`` with the norm over every dimension but ``dim``."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_norm_from(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple:
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int = 0) -> Module:
    """Split ``module.<name>`` into a magnitude (``original0``) and a direction
    (``original1``); the norm is taken over every dimension but ``dim`` (``None``: all)."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# -- spectral norm ---------------------------------------------------------------------------
class _SpectralNorm(Module):
    """``weight / sigma``, ``sigma`` the top singular value of ``weight`` seen as a matrix."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            with no_grad():
                matrix = self._reshape_weight_to_matrix(weight)
                rows, cols = matrix.shape
                u = matrix.new_empty(rows).normal_(0, 1)
                v = matrix.new_empty(cols).normal_(0, 1)
                self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
                # A good start: sigma is then accurate from the first forward on.
                self._power_method(matrix, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            others = [d for d in range(weight.ndim) if d != self.dim]
            weight = weight.permute(self.dim, *others)
        return weight.flatten(1)

    def _power_method(self, matrix: Tensor, n_power_iterations: int) -> None:
        # The vectors are updated in place so that the buffers keep their identity.
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(_ops.mv(matrix, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(_ops.mv(matrix.mH, self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        matrix = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(matrix, self.n_power_iterations)
        # Clones: the next power iteration must not change what backward saved.
        u = self._u.clone()
        v = self._v.clone()
        sigma = _ops.vdot(u, _ops.mv(matrix, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its spectral norm, estimated by power iteration.

    ``dim`` is the output dimension (default 1 for transposed convolutions, else 0); in
    training mode each access runs ``n_power_iterations`` steps and updates ``_u``/``_v``.
    """
    weight = _named_tensor(module, name)
    if dim is None:
        dim = _default_dim(module)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# -- orthogonal ------------------------------------------------------------------------------
class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _is_orthogonal(q: Tensor) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    identity = _ops.eye(k, dtype=q.dtype)
    # Tolerance grows with n: rounding in q.mH @ q accumulates over n products.
    eps = 10.0 * n * float(np.finfo(q._data.dtype).eps)
    return bool(_ops.allclose(q.mH @ q, identity, atol=eps))


def _pad_to_square(x: Tensor, n: int, k: int) -> Tensor:
    if n == k:
        return x
    zeros = x.new_zeros(n, n - k).expand(*x.shape[:-2], -1, -1)
    return _ops.cat([x, zeros], dim=-1)


class _Orthogonal(Module):
    """Maps an unconstrained matrix (or batch) to an orthogonal / unitary one.

    With ``use_trivialization`` the result is ``base @ map(X)``: ``X`` starts at the point
    mapped to the identity and ``base`` (a buffer) holds the matrix last assigned.
    """

    base: Tensor

    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex "
                             "tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:  # work on the tall matrix
            X = X.mT
            n, k = k, n
        if self.orthogonal_map == _OrthMaps.householder:
            q = self._householder_map(X)
        else:
            q = self._skew_map(X, n, k)
        if hasattr(self, "base"):
            q = self.base @ q
        return q.mT if transposed else q

    def _skew_map(self, X: Tensor, n: int, k: int) -> Tensor:
        X = _pad_to_square(X.tril(), n, k)
        skew = X - X.mH
        if self.orthogonal_map == _OrthMaps.matrix_exp:
            q = _ops.matrix_exp(skew)
        else:  # Cayley: (I - A/2)^-1 (I + A/2)
            identity = _ops.eye(n, dtype=skew.dtype)
            q = solve(identity - 0.5 * skew, identity + 0.5 * skew)
        return q[..., :k] if n != k else q

    @staticmethod
    def _householder_map(X: Tensor) -> Tensor:
        reflectors = X.tril(diagonal=-1)
        # tau = 2 / ||v||^2 with v's implicit unit first entry: each factor is a reflection.
        tau = 2.0 / (1.0 + (reflectors * reflectors).sum(dim=-2))
        q = householder_product(reflectors, tau)
        # X's diagonal holds +-1 signs, not trained: cast so no gradient flows through it.
        return q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)

    def right_inverse(self, Q: Tensor) -> Tensor:
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        with no_grad():
            if not hasattr(self, "base"):
                return self._householder_inverse(Q)
            self.base = self._completed_base(Q)
            # The point every map sends to the identity, so that base @ map(X) == Q.
            minus_identity = _ops.zeros_like(Q)
            minus_identity.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return minus_identity

    def _householder_inverse(self, Q: Tensor) -> Tensor:
        if self.orthogonal_map != _OrthMaps.householder:
            raise NotImplementedError("It is not possible to assign to the matrix exponential "
                                      "or the Cayley parametrizations when "
                                      "use_trivialization=False.")
        transposed = Q.shape[-2] < Q.shape[-1]
        A, tau = geqrf(Q.mT if transposed else Q)
        # Keep only the signs of R's diagonal; a skipped reflection (tau == 0) flips it.
        diag = A.diagonal(dim1=-2, dim2=-1)
        diag.copy_(diag.sign() * (1 - 2 * (tau == 0.0).to(A.dtype)))
        return A.mT if transposed else A

    @staticmethod
    def _completed_base(Q: Tensor) -> Tensor:
        """``Q`` (tall) made square and orthogonal; the first columns span the same space."""
        transposed = Q.shape[-2] < Q.shape[-1]
        if transposed:
            Q = Q.mT
        n, k = Q.shape[-2], Q.shape[-1]
        if n == k:
            return Q.clone() if _is_orthogonal(Q) else make_orthogonal(Q)
        extra = _ops.randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype)
        return make_orthogonal(_ops.cat([Q, extra], dim=-1))


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Keep ``module.<name>`` (a matrix or batch of matrices) orthogonal or unitary.

    ``orthogonal_map`` is ``"matrix_exp"``, ``"cayley"`` or ``"householder"`` (default:
    ``"matrix_exp"`` for square or complex matrices, else ``"householder"``).
    """
    weight = _named_tensor(module, name)
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. "
                         f"Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    chosen = getattr(_OrthMaps, orthogonal_map, None)
    if chosen is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, chosen, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
