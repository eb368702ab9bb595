"""Top-level matrix functions (``det``, ``logdet``, ``slogdet``, ``inverse``, ``pinverse``,
``matrix_power``, ``matrix_exp``), ``vdot``, ``addr``, ``chain_matmul`` and ``renorm``.

They defer to ``ember.linalg`` where it has the function, so that they share its gradients.

>>> import ember
>>> ember.det(ember.eye(2) * 3)
tensor(9.)
"""

from __future__ import annotations

import builtins
import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from .. import linalg as LA
from ..autograd.graph import Node
from ..linalg._common import check_square
from ._binary import _write_out
from ._core import Tensor, record, sum_to, wrap, wrap_dim
from .reduction import _return_type


__all__ = ["det", "logdet", "slogdet", "inverse", "pinverse", "matrix_power", "matrix_exp",
           "vdot", "addr", "chain_matmul", "renorm"]
TENSOR_METHODS: tuple = ("det", "logdet", "slogdet", "inverse", "pinverse", "matrix_power",
                         "matrix_exp", "vdot", "addr", "renorm")


# -- matrix functions -------------------------------------------------------------------------
def det(input: Tensor) -> Tensor:
    """Determinant of each square matrix (``ember.linalg.det``)."""
    return LA.det(input)


def logdet(input: Tensor) -> Tensor:
    """log(det): NaN for a negative determinant, -inf for a singular matrix."""
    check_square(input, "logdet")
    sign, logabs = LA.slogdet(input)
    from .compare import where
    return where(sign < 0, float("nan"), logabs)


def slogdet(input: Tensor) -> Any:
    """``(sign, logabsdet)`` of each determinant."""
    return _return_type("slogdet", ("sign", "logabsdet"))(*LA.slogdet(input))


def inverse(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _write_out(LA.inv(input), out, "inverse")


class LinalgPinvBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        # Differential of the pseudo-inverse P of A (constant rank), arranged so that the
        # products stay as small as the shorter side of A.
        a, p = self.saved()
        ph, gh = p.mT.conj(), grad.mT.conj()
        if a.shape[-2] <= a.shape[-1]:
            k = gh @ p
            kph = k @ ph
            return (-(p @ k).mT.conj() + kph - (a @ p) @ kph + (ph @ p) @ (gh - k @ a),)
        k = p @ gh
        phk = ph @ k
        return (-(k @ p).mT.conj() + (gh - a @ k) @ p @ ph + phk - phk @ p @ a,)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """Pseudo-inverse; singular values at most ``rcond`` times the largest count as zero."""
    if input.ndim < 2 or not (input.dtype.is_floating_point or input.dtype.is_complex):
        shape = ", ".join(str(s) for s in input.shape)
        raise RuntimeError(f"linalg.pinv({D.scalar_type_name(input.dtype)}{{[{shape}]}}): "
                           "expected a tensor with 2 or more dimensions of float, double, "
                           "cfloat or cdouble types")
    res = LA.pinv(input.detach(), rtol=rcond)
    node = record(res, LinalgPinvBackward0, input)
    if node is not None:
        node.save(input, res.detach())
    return res


def matrix_power(input: Tensor, n: int) -> Tensor:
    return LA.matrix_power(input, n)


def _expm(a: np.ndarray) -> np.ndarray:
    """exp of each matrix by scaling and squaring: a Taylor series of degree 18 on the matrix
    scaled to 1-norm <= 1/2 (truncation error below 1e-22), then squared back."""
    work = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
    norm = np.abs(work).sum(-2).max() if work.size else 0.0
    squarings = max(0, int(np.ceil(np.log2(norm / 0.5)))) if norm > 0.5 else 0
    work = work / 2.0 ** squarings
    term = result = np.broadcast_to(np.eye(a.shape[-1], dtype=work.dtype), work.shape).copy()
    for k in range(1, 19):
        term = term @ work / k
        result = result + term
    for _ in range(squarings):
        result = result @ result
    return result.astype(a.dtype)


class LinalgMatrixExpBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        # The gradient is the top-right block of exp([[A^H, G], [0, A^H]]).
        from .join import cat
        (a,) = self.saved()
        ah = a.mT.conj() if a.dtype.is_complex else a.mT
        n = a.shape[-1]
        block = cat([cat([ah, grad], -1), cat([ah * 0, ah], -1)], -2)
        return (matrix_exp(block)[..., :n, n:],)


def matrix_exp(input: Tensor) -> Tensor:
    """The matrix exponential of each square matrix."""
    a = check_square(input, "linalg.matrix_exp")
    res = wrap(_expm(a))
    node = record(res, LinalgMatrixExpBackward0, input)
    if node is not None:
        node.save(input)
    return res


class VdotBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        g = grad.conj() if grad.dtype.is_complex else grad
        return (g * b, grad * a)


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """sum(conj(input) * other) of two 1-D tensors."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    if input.dtype != other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{D.scalar_type_name(input.dtype)} and "
                           f"{D.scalar_type_name(other.dtype)}")
    _check_dot_dtype(input.dtype)
    if input.numel() != other.numel():
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.numel()}] and "
                           f"src [{other.numel()}] to have the same number of elements, but "
                           f"got {input.numel()} and {other.numel()} elements respectively")
    res = wrap(np.asarray(np.vdot(input._data, other._data), dtype=input._data.dtype))
    node = record(res, VdotBackward0, input, other)
    if node is not None:
        node.save(input, other)
    return res


def _check_dot_dtype(dt: D.dtype) -> None:
    if dt is D.bool:
        raise NotImplementedError("\"dot\" not implemented for 'Bool'")


class AddrBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        v1, v2 = self.saved()
        g = grad if self.beta == 1 else grad * self.beta
        c1, c2 = (v1.conj(), v2.conj()) if grad.dtype.is_complex else (v1, v2)
        return (sum_to(g, self.input_shape), (grad @ c2) * self.alpha,
                (grad.mT @ c1) * self.alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1,
         out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)`` (``input`` ignored when beta is 0)."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    dt = D.result_type(input, vec1, vec2)
    if dt.np.kind in "iu":
        for name, scalar in (("beta", beta), ("alpha", alpha)):
            if isinstance(scalar, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be "
                                   "a floating point number.")
    shape = (vec1.shape[0], vec2.shape[0])
    base = input.expand(shape)._data  # torch's error when input does not broadcast
    prod = np.multiply.outer(vec1._data, vec2._data).astype(dt.np, copy=False)
    data = prod if alpha == 1 else prod * alpha
    if beta != 0:
        data = data + (base if beta == 1 else base * beta)
    res = wrap(np.asarray(data, dtype=dt.np))
    node = record(res, AddrBackward0, input, vec1, vec2)
    if node is not None:
        node.save(vec1, vec2)
        node.beta, node.alpha, node.input_shape = beta, alpha, input.shape
    return _write_out(res, out, "addr")


def chain_matmul(*matrices: Tensor, out: Tensor | None = None) -> Tensor:
    """The product of two-dimensional matrices, left to right (deprecated in torch too)."""
    warnings.warn("ember.chain_matmul is deprecated and will be removed in a future release. "
                  "Use ember.linalg.matmul or the @ operator instead.", UserWarning,
                  stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return _write_out(matrices[0].clone(), out, "chain_matmul")
    res = matrices[0]
    for i, m in enumerate(matrices[1:]):
        a = matrices[i]
        if m.dtype != a.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor "
                               f"0 is {D.type_meta_name(matrices[0].dtype)} and tensor {i + 1} "
                               f"{D.type_meta_name(m.dtype)}")
        if a.shape[1] != m.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(a.shape)} and {list(m.shape)} cannot be multiplied")
        res = res.mm(m)
    return _write_out(res.view(res.shape), out, "chain_matmul")




# -- renorm -----------------------------------------------------------------------------------
def _norm_backward(g: Tensor, x: Tensor, p: float, norm: Tensor, dims: tuple) -> Tensor:
    """``g`` times the gradient of the p-norm ``norm`` of ``x`` over ``dims``."""
    if p == 1:
        return x.sign() * g
    if p == float("inf"):
        hit = (x.abs() == norm).to(x.dtype)
        return x.sign() * hit * g / hit.sum(dims, keepdim=True)
    scale = (g / norm if p == 2 else g / norm.pow(p - 1)).masked_fill(norm == 0, 0)
    return x * scale if p == 2 else x * x.abs().pow(p - 2) * scale


class RenormBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        from .compare import where
        (x,) = self.saved()
        p, dims, maxnorm = self.p, self.dims, self.maxnorm
        norm = LA.vector_norm(x, p, dims, keepdim=True)
        inv = 1 / (norm + 1e-7)
        factor = inv * maxnorm
        nb = _norm_backward((x * grad).sum(dims, keepdim=True), x, p, norm, dims)
        return (where(norm > maxnorm, factor * grad - factor * inv * nb, grad),)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` rescaled to norm ``maxnorm``."""
    if not p > 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if not maxnorm >= 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")
    d = wrap_dim(dim, input.ndim)
    dims = tuple(i for i in builtins.range(input.ndim) if i != d)
    norm = LA.vector_norm(input.detach(), p, dims, keepdim=True)._data
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    res = wrap((input._data * factor.astype(norm.dtype)).astype(input._data.dtype, copy=False))
    node = record(res, RenormBackward0, input)
    if node is not None:
        node.save(input)
        node.p, node.dims, node.maxnorm = float(p), dims, maxnorm
    return res
