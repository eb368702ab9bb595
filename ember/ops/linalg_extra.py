"""More linear algebra: trace, diagonal, diag_embed, tensordot, inner, kron, cross and the
batched fused products (baddbmm, addbmm, addmv); the p-norm distances are in ``distance``.

``diagonal`` is a view (writes go through to the input). ``tensordot``, ``inner`` and
``kron`` are compositions of products and reshapes, as in torch, so their ``grad_fn`` is the
last composed op (``ViewBackward0``, ``UnsafeViewBackward0``, ``MulBackward0``).

>>> import ember
>>> ember.trace(ember.ones(3, 3))
tensor(3.)
>>> ember.ones(2, 3).diagonal().shape
ember.Size([2])
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, record, sum_to, wrap, wrap_dim
from .linalg import _check_batch_sizes, _dims, _finish, _unsafe_view

__all__ = ["trace", "diagonal", "diag_embed", "tensordot", "inner", "kron", "cross",
           "baddbmm", "addbmm", "addmv"]
TENSOR_METHODS: tuple = ("trace", "diagonal", "diag_embed", "inner", "kron", "cross",
                         "baddbmm", "addbmm", "addmv")


# -- trace ----------------------------------------------------------------------------------
class TraceBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        from .creation import eye
        return (grad * eye(*self.shape, dtype=grad.dtype),)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix (integers sum to int64, as ``sum`` does)."""
    a = input._data
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    dt = np.int64 if a.dtype.kind in "biu" else a.dtype
    res = wrap(np.asarray(np.trace(a, dtype=dt)))
    node = record(res, TraceBackward0, input)
    if node is not None:
        node.shape = a.shape
    return res


# -- diagonal (a view) and its inverse, diag_embed ---------------------------------------
def _diag_data(a: np.ndarray, offset: int, d1: int, d2: int) -> np.ndarray:
    """A writable view of ``a``'s diagonal: the other dims first, the diagonal last.

    (``np.diagonal`` gives a read-only view, but torch's diagonal can be written through.)
    """
    length = max(0, min(a.shape[d1] - max(0, -offset), a.shape[d2] - max(0, offset)))
    index = [slice(None)] * a.ndim
    if length:  # start the view at the diagonal's first element
        index[d1], index[d2] = slice(max(0, -offset), None), slice(max(0, offset), None)
    start = a[tuple(index)]
    rest = [i for i in range(a.ndim) if i not in (d1, d2)]
    shape = tuple(a.shape[i] for i in rest) + (length,)
    strides = tuple(a.strides[i] for i in rest) + (a.strides[d1] + a.strides[d2],)
    return as_strided(start, shape, strides, writeable=a.flags.writeable)


def _diag_dims(ndim: int, dim1: int, dim2: int) -> tuple:
    d1, d2 = wrap_dim(int(dim1), ndim), wrap_dim(int(dim2), ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def _embed_data(values: np.ndarray, shape: tuple, offset: int, d1: int, d2: int) -> np.ndarray:
    out = np.zeros(shape, dtype=values.dtype)
    _diag_data(out, offset, d1, d2)[...] = values
    return out


class DiagonalBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (_diagonal_backward(grad, self.shape, self.offset, self.d1, self.d2),)


class DiagonalBackwardBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (diagonal(grad, self.offset, self.d1, self.d2),)


def _diagonal_backward(grad: Tensor, shape: tuple, offset: int, d1: int, d2: int) -> Tensor:
    """The diagonal's gradient written into zeros of the input's shape."""
    out = wrap(_embed_data(grad._data, shape, offset, d1, d2))
    node = record(out, DiagonalBackwardBackward0, grad)
    if node is not None:
        node.offset, node.d1, node.d2 = offset, d1, d2
    return out


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """View of the diagonal over ``dim1`` and ``dim2`` (moved to the last dim), shifted
    above the main diagonal by ``offset`` (below when negative)."""
    from .shape import make_view
    a = input._data
    d1, d2 = _diag_dims(a.ndim, dim1, dim2)
    offset = int(offset)
    out = make_view(input, _diag_data(a, offset, d1, d2))
    node = record(out, DiagonalBackward0, input)
    if node is not None:
        node.shape, node.offset, node.d1, node.d2 = a.shape, offset, d1, d2
    return out


class DiagEmbedBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (diagonal(grad, self.offset, self.d1, self.d2),)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Tensor whose diagonals over ``dim1``/``dim2`` hold ``input``'s last dim; zeros
    elsewhere (the inverse of ``diagonal``)."""
    a = input._data
    d1, d2 = _diag_dims(a.ndim + 1, dim1, dim2)
    offset = int(offset)
    n = (a.shape[-1] if a.ndim else 1) + abs(offset)
    shape = list(a.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    out = wrap(_embed_data(a, tuple(shape), offset, d1, d2))
    node = record(out, DiagEmbedBackward0, input)
    if node is not None:
        node.offset, node.d1, node.d2 = offset, d1, d2
    return out


# -- tensordot, inner, kron: compositions ---------------------------------------------------
def _contraction_dims(a: Tensor, b: Tensor, dims: Any) -> tuple:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.dim() or dims > b.dim():
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(-int(dims), 0)), list(range(int(dims)))
    da, db = dims
    da = [da] if isinstance(da, int) else list(da)
    db = [db] if isinstance(db, int) else list(db)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    return da, db


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Tensor | None = None) -> Tensor:
    """Sum of products over ``dims`` (a count of trailing/leading dims, or two lists)."""
    da, db = _contraction_dims(a, b, dims)
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    sa, sb = a._data.shape, b._data.shape
    for i, j in zip(da, db):
        if sa[i] != sb[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{sa[i]} in dim {i} and second has size {sb[j]} in dim {j}")
    ka = [wrap_dim(i, a.dim()) for i in da]
    kb = [wrap_dim(j, b.dim()) for j in db]
    free_a = [i for i in range(a.dim()) if i not in ka]
    free_b = [j for j in range(b.dim()) if j not in kb]
    k = math.prod(sa[i] for i in ka)
    left = a.permute(free_a + ka).reshape(math.prod(sa[i] for i in free_a), k)
    right = b.permute(kb + free_b).reshape(k, math.prod(sb[j] for j in free_b))
    res = left.mm(right).reshape([sa[i] for i in free_a] + [sb[j] for j in free_b])
    return _finish(res, out, "tensordot")


def inner(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Sum of products over the last dim of both (a product when either is 0-d)."""
    if input.dim() == 0 or other.dim() == 0:
        return _finish(input * other, out, "inner")
    sa, sb = input._data.shape, other._data.shape
    if sa[-1] != sb[-1]:
        raise RuntimeError("inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(sa)} and {list(sb)}")
    return _finish(tensordot(input, other, ([-1], [-1])), out, "inner")


def kron(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Kronecker product: every element of ``input`` scales a block equal to ``other``."""
    n = max(input.dim(), other.dim())
    sa = (1,) * (n - input.dim()) + tuple(input._data.shape)
    sb = (1,) * (n - other.dim()) + tuple(other._data.shape)
    # interleave the dims: a's as (a0, 1, a1, 1, ...), b's as (1, b0, 1, b1, ...), so the
    # broadcast product holds each block in place before the dims pair up again
    a = input.reshape([s for d in sa for s in (d, 1)])
    b = other.reshape([s for d in sb for s in (1, d)])
    res = _unsafe_view(a * b, tuple(x * y for x, y in zip(sa, sb)))
    return _finish(res, out, "kron")


# -- cross ------------------------------------------------------------------------------------
class LinalgCrossBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        ga = sum_to(cross(b, grad, dim=self.dim), self.shapes[0]) if self.needs[0] else None
        gb = sum_to(cross(grad, a, dim=self.dim), self.shapes[1]) if self.needs[1] else None
        return ga, gb


def _default_cross_dim(shape: tuple) -> int:
    warnings.warn("Using ember.cross without specifying the dim arg is deprecated.\n"
                  "Please either pass the dim explicitly or simply use ember.linalg.cross.\n"
                  "The default value of dim will change to agree with that of linalg.cross in "
                  "a future release.", UserWarning, stacklevel=3)
    for i, s in enumerate(shape):
        if s == 3:
            return i
    raise RuntimeError("no dimension of size 3 in input")


def cross(input: Tensor, other: Tensor, dim: int | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (the other dims broadcast)."""
    a, b = input._data, other._data
    if dim is None:
        dim = _default_cross_dim(a.shape)
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {D.scalar_type_name(input.dtype)} but found "
                           f"{D.scalar_type_name(other.dtype)}")
    d = wrap_dim(int(dim), a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. "
                           f"Got {a.shape[d]} and {b.shape[d]}")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        from .arithmetic import _size_error
        raise _size_error(a.shape, b.shape) from None
    res = wrap(np.cross(a, b, axis=d))
    node = record(res, LinalgCrossBackward0, input, other)
    if node is not None:
        node.dim, node.shapes = d, (a.shape, b.shape)
        node.needs = (input._requires_grad, other._requires_grad)
        node.save(input if node.needs[1] else None, other if node.needs[0] else None)
    return _finish(res, out, "cross")


# -- fused products: beta * input + alpha * product --------------------------------------
def _scaled(grad: Tensor, factor: Any) -> Tensor:
    return grad * factor if factor != 1 else grad


def _combine(prod: np.ndarray, bias: np.ndarray, beta: Any, alpha: Any) -> np.ndarray:
    """``beta * bias + alpha * prod`` in place on the fresh product; beta = 0 ignores
    ``bias`` entirely (NaN in it does not propagate, as in torch)."""
    if alpha != 1:
        prod *= alpha
    if beta == 1:
        prod += bias
    elif beta != 0:
        prod += beta * bias
    return prod


def _check_bias(bias: np.ndarray, target: tuple) -> None:
    if bias.shape != target:
        from .shape import _expand_target
        _expand_target(bias, target)  # raises torch's message when bias cannot broadcast


def _check_batches(b1: np.ndarray, b2: np.ndarray) -> None:
    if b1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")


class BaddbmmBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        b1, b2 = self.saved()
        g_in = sum_to(_scaled(grad, self.beta), self.shape) if self.needs[0] else None
        g = _scaled(grad, self.alpha)
        g1 = g.bmm(b2.transpose(1, 2)) if self.needs[1] else None
        g2 = b1.transpose(1, 2).bmm(g) if self.needs[2] else None
        return g_in, g1, g2


def _fused_node(res: Tensor, node_type: type, inputs: tuple, beta: Any, alpha: Any) -> None:
    node = record(res, node_type, *inputs)
    if node is not None:
        node.needs = tuple(t._requires_grad for t in inputs)
        node.beta, node.alpha, node.shape = beta, alpha, inputs[0]._data.shape
        node.save(inputs[1] if node.needs[2] else None, inputs[2] if node.needs[1] else None)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1,
            out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` for 3-d batches."""
    a, b, bias = batch1._data, batch2._data, input._data
    if a.ndim == 3:
        wrap_dim(2, b.ndim)  # torch reads batch2's last size before checking its rank
    _check_batches(a, b)
    _check_batch_sizes(a, b)
    if bias.dtype != a.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_c(input)}, batch1: "
                           f"{_c(batch1)}, batch2: {_c(batch2)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {D.scalar_type_name(batch1.dtype)} but found "
                           f"{D.scalar_type_name(batch2.dtype)}")
    _check_bias(bias, (a.shape[0], a.shape[1], b.shape[2]))
    res = wrap(_combine(np.matmul(a, b), bias, beta, alpha))
    _fused_node(res, BaddbmmBackward0, (input, batch1, batch2), beta, alpha)
    return _finish(res, out, "baddbmm")


def _c(t: Tensor) -> str:
    return D.type_meta_name(t._data.dtype)


class AddbmmBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        b1, b2 = self.saved()
        g_in = sum_to(_scaled(grad, self.beta), self.shape) if self.needs[0] else None
        # every batch's product received the same gradient
        g = _scaled(grad, self.alpha).unsqueeze(0).expand(self.batch, -1, -1)
        g1 = g.bmm(b2.transpose(1, 2)) if self.needs[1] else None
        g2 = b1.transpose(1, 2).bmm(g) if self.needs[2] else None
        return g_in, g1, g2


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1,
           out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * sum_i(batch1[i] @ batch2[i])``."""
    a, b, bias = batch1._data, batch2._data, input._data
    _check_batches(a, b)
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{a.shape[0]} and {b.shape[0]}")
    if a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({a.shape[1]}x{a.shape[2]} and "
                           f"{b.shape[1]}x{b.shape[2]})")
    _check_bias(bias, (a.shape[1], b.shape[2]))
    for name, t in (("self", input), ("mat1", batch1)):
        if t._data.dtype != b.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                               f"{D.scalar_type_name(t.dtype)} and "
                               f"{D.scalar_type_name(batch2.dtype)}")
    prod = np.matmul(a, b).sum(0) if a.shape[0] else np.zeros(
        (a.shape[1], b.shape[2]), a.dtype)
    res = wrap(_combine(prod, bias, beta, alpha))
    _fused_node(res, AddbmmBackward0, (input, batch1, batch2), beta, alpha)
    if res.grad_fn is not None:
        res.grad_fn.batch = a.shape[0]
    return _finish(res, out, "addbmm")


class AddmvBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        mat, vec = self.saved()
        g_in = sum_to(_scaled(grad, self.beta), self.shape) if self.needs[0] else None
        g = _scaled(grad, self.alpha)
        g_mat = g.unsqueeze(1) * vec.unsqueeze(0) if self.needs[1] else None
        g_vec = mat.t().mv(g) if self.needs[2] else None
        return g_in, g_mat, g_vec


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1,
          out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    m, v, bias = mat._data, vec._data, input._data
    if m.ndim != 2 or v.ndim != 1 or bias.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {bias.ndim}, {m.ndim}, "
                           f"{v.ndim}")
    if m.shape[1] != v.shape[0] or (bias.ndim == 1 and bias.shape[0] not in (1, m.shape[0])):
        got = bias.shape[0] if bias.ndim else 1
        raise RuntimeError(f"size mismatch, got input ({got}), mat ({_dims(m.shape)}), "
                           f"vec ({v.shape[0]})")
    if not m.dtype == v.dtype == bias.dtype:
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{D.scalar_type_name(input.dtype)}, "
                           f"{D.scalar_type_name(mat.dtype)}, and "
                           f"{D.scalar_type_name(vec.dtype)}")
    res = wrap(_combine(np.matmul(m, v), bias, beta, alpha))
    _fused_node(res, AddmvBackward0, (input, mat, vec), beta, alpha)
    return _finish(res, out, "addmv")
