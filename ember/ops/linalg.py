"""Matrix products: matmul, mm, bmm, mv, dot, addmm, outer, linear, einsum.

``matmul`` reduces every case to ``dot``, ``mv``, ``mm`` or ``bmm`` plus views, in the same
way torch does, so the recorded graph (``UnsafeViewBackward0`` over ``MmBackward0`` for a
3-d @ 2-d product, ...) matches torch's. Products run on NumPy's BLAS-backed matmul on the
operands as given (transposed views included), so no operand is copied to change layout.

>>> import ember
>>> a = ember.ones(2, 3, requires_grad=True)
>>> (a @ ember.ones(3, 4)).grad_fn.name()
'MmBackward0'
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from . import _gemm
from ._core import Tensor, record, state, sum_to, wrap

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "addmm", "outer", "ger", "einsum",
           "linear_forward"]


def _dims(shape: tuple) -> str:
    return "x".join(str(s) for s in shape)



class MmBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        ga = grad.mm(b.t()) if self.needs[0] else None
        gb = a.t().mm(grad) if self.needs[1] else None
        return ga, gb


def mm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix product of two 2-d tensors."""
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims(a.shape)} and "
                           f"{_dims(b.shape)})")
    if a.dtype != b.dtype:
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{D.type_meta_name(a.dtype)} != {D.type_meta_name(b.dtype)}")
    res = wrap(_gemm.matmul(a, b))
    node = record(res, MmBackward0, input, mat2)
    if node is not None:
        needs = node.needs = (input._requires_grad, mat2._requires_grad)
        node.save(input if needs[1] else None, mat2 if needs[0] else None)
    return _finish(res, out, "mm")


def _finish(res: Tensor, out: Tensor | None, name: str) -> Tensor:
    if out is None:
        return res
    from .arithmetic import _write_out
    return _write_out(res, out, name)


class AddmmBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        g_bias = None
        if self.needs[0]:
            g_bias = sum_to(grad * self.beta if self.beta != 1 else grad, self.bias_shape)
        g = grad * self.alpha if self.alpha != 1 else grad
        ga = g.mm(b.t()) if self.needs[1] else None
        gb = a.t().mm(g) if self.needs[2] else None
        return g_bias, ga, gb


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1,
          out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``: the op behind ``Linear`` for 2-d inputs."""
    a, b, bias = mat1._data, mat2._data, input._data
    if a.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {a.ndim}-D tensor")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {b.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims(a.shape)} and "
                           f"{_dims(b.shape)})")
    if a.dtype != b.dtype or bias.dtype != a.dtype:
        other = mat2 if a.dtype != b.dtype else input
        raise RuntimeError("self and mat2 must have the same dtype, but got "
                           f"{D.scalar_type_name(mat1.dtype)} and "
                           f"{D.scalar_type_name(other.dtype)}")
    target = (a.shape[0], b.shape[1])
    if bias.shape != target:
        from .shape import _expand_target
        _expand_target(bias, target)  # raises torch's message when bias cannot broadcast
    prod = _gemm.matmul(a, b)
    if alpha != 1:
        prod *= alpha
    if beta == 1:
        prod += bias  # in place: the product is a fresh array
    elif beta != 0:
        prod += beta * bias
    res = wrap(prod)
    node = record(res, AddmmBackward0, input, mat1, mat2)
    if node is not None:
        needs = node.needs = (input._requires_grad, mat1._requires_grad, mat2._requires_grad)
        node.alpha, node.beta, node.bias_shape = alpha, beta, bias.shape
        node.save(mat1 if needs[2] else None, mat2 if needs[1] else None)
    return _finish(res, out, "addmm")


class BmmBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        ga = grad.bmm(b.transpose(1, 2)) if self.needs[0] else None
        gb = a.transpose(1, 2).bmm(grad) if self.needs[1] else None
        return ga, gb


def _check_batch_sizes(a: np.ndarray, b: np.ndarray) -> None:
    """Two 3-d batches must hold as many matrices, of sizes that multiply."""
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")


def bmm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Batched matrix product of two 3-d tensors with the same batch size."""
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_batch_sizes(a, b)
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {D.scalar_type_name(input.dtype)} but found "
                           f"{D.scalar_type_name(mat2.dtype)}")
    res = wrap(np.matmul(a, b))
    node = record(res, BmmBackward0, input, mat2)
    if node is not None:
        needs = node.needs = (input._requires_grad, mat2._requires_grad)
        node.save(input if needs[1] else None, mat2 if needs[0] else None)
    return _finish(res, out, "bmm")


class MvBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, v = self.saved()
        ga = grad.unsqueeze(1) * v.unsqueeze(0) if self.needs[0] else None
        gv = a.t().mv(grad) if self.needs[1] else None
        return ga, gv


def mv(input: Tensor, vec: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix-vector product."""
    a, v = input._data, vec._data
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({_dims(a.shape)}), "
                           f"vec ({v.shape[0]})")
    if a.dtype != v.dtype:
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{D.scalar_type_name(vec.dtype)}, "
                           f"{D.scalar_type_name(input.dtype)}, and "
                           f"{D.scalar_type_name(vec.dtype)}")
    res = wrap(np.matmul(a, v))
    node = record(res, MvBackward0, input, vec)
    if node is not None:
        needs = node.needs = (input._requires_grad, vec._requires_grad)
        node.save(input if needs[1] else None, vec if needs[0] else None)
    return _finish(res, out, "mv")


class DotBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        return (grad * b if self.needs[0] else None), (grad * a if self.needs[1] else None)


def dot(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Inner product of two 1-d tensors."""
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError("dot : expected both vectors to have same dtype, but found "
                           f"{D.scalar_type_name(input.dtype)} and "
                           f"{D.scalar_type_name(other.dtype)}")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    res = wrap(np.asarray(np.dot(a, b)))
    node = record(res, DotBackward0, input, other)
    if node is not None:
        needs = node.needs = (input._requires_grad, other._requires_grad)
        node.save(input if needs[1] else None, other if needs[0] else None)
    return _finish(res, out, "dot")


# -- matmul: the dispatch torch performs ----------------------------------------------------
def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``@``: dot, mv, mm or a broadcast batched product depending on the dimensions.

    >>> import ember
    >>> (ember.ones(5, 2, 3) @ ember.ones(3, 4)).shape
    ember.Size([5, 2, 4])
    """
    na, nb = input._data.ndim, other._data.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{na}D and {nb}D")
    if na == 1 and nb == 1:
        res = dot(input, other)
    elif na == 2 and nb == 1:
        res = mv(input, other)
    elif na == 1 and nb == 2:
        res = _squeeze0(mm(input.unsqueeze(0), other))
    elif na == 2 and nb == 2:
        res = mm(input, other)
    elif _lone_batch(input, other):
        res = matmul(input.squeeze(0), other)
    elif _lone_batch(other, input):
        res = matmul(input, other.squeeze(0))
    elif _should_fold(input, other):
        res = _folded(input, other)
    else:
        res = _batched(input, other)
    return _finish(res, out, "matmul")


class SqueezeBackward4(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.unsqueeze(0),)


def _squeeze0(t: Tensor) -> Tensor:
    # torch squeezes the product in place; the node keeps torch's in-place name
    out = wrap(t._data.reshape(t._data.shape[1:]))
    record(out, SqueezeBackward4, t)
    return out


def _lone_batch(t: Tensor, other: Tensor) -> bool:
    """A 3-d operand with a batch of one against a real batch: when it needs a gradient,
    torch drops that batch dim and folds the product into mm (no expanded gradient)."""
    return (t._data.ndim == 3 and other._data.ndim == 3 and t._data.shape[0] == 1
            and other._data.shape[0] != 1 and state.enabled and t._requires_grad)


def _should_fold(a: Tensor, b: Tensor) -> bool:
    """Fold the larger operand into a matrix (mm/mv instead of bmm) when that costs no copy
    or when the smaller operand needs a gradient (torch's rule)."""
    a_larger = a._data.ndim >= b._data.ndim
    big = a if a_larger else b
    small = b if a_larger else a
    if not (big._data.ndim >= 3 and small._data.ndim <= 2):
        return False
    if state.enabled and small._requires_grad:
        return True
    if a._data.ndim == 2:
        return False
    data = big._data if a_larger else np.swapaxes(big._data, -1, -2)
    if data.size == 0:
        return True
    shape, strides = data.shape, data.strides
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(data.ndim - 1))


class UnsafeViewBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.shape),)


def _unsafe_view(t: Tensor, shape: tuple) -> Tensor:
    out = wrap(t._data.reshape(shape))
    node = record(out, UnsafeViewBackward0, t)
    if node is not None:
        node.shape = t._data.shape
    return out


def _folded(a: Tensor, b: Tensor) -> Tensor:
    transpose = b._data.ndim > a._data.ndim
    big = b.mT if transpose else a
    small = (a.t() if a._data.ndim == 2 else a) if transpose else b
    k = big._data.shape[-1]
    out_shape = big._data.shape[:-1]
    folded = big.reshape(math.prod(out_shape), k)
    if small._data.ndim == 1:
        return _unsafe_view(folded.mv(small), out_shape)
    res = _unsafe_view(folded.mm(small), out_shape + (small._data.shape[1],))
    return res.mT.contiguous() if transpose else res


def _batched(a: Tensor, b: Tensor) -> Tensor:
    sa, sb = a._data.shape, b._data.shape
    n = sa[-2] if len(sa) > 1 else 1
    m1, m2 = sa[-1], (sb[-2] if len(sb) > 1 else sb[0])
    p = sb[-1] if len(sb) > 1 else 1
    try:
        batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        from .arithmetic import _size_error
        raise _size_error(sa[:-2], sb[:-2]) from None
    nb = math.prod(batch)
    a3 = a.expand(batch + (n, m1)).reshape(nb, n, m1)
    if len(sb) == 1:
        b3 = b.expand(batch + (m2,)).reshape(nb, m2).unsqueeze(2)
        res = a3.bmm(b3).squeeze(-1)
    else:
        b3 = b.expand(batch + (m2, p)).reshape(nb, m2, p)
        res = a3.bmm(b3)
    shape = batch + ((n,) if len(sa) > 1 else ()) + ((p,) if len(sb) > 1 else ())
    return _unsafe_view(res, shape)


def outer(input: Tensor, vec2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Outer product of two 1-d tensors."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got "
                               f"{t._data.ndim}-D")
    return _finish(input.reshape(input._data.shape[0], 1) * vec2, out, "outer")


ger = outer


def linear_forward(input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``input @ weight.T + bias`` recorded as torch records it (addmm for 2-d input)."""
    nd = input._data.ndim
    if bias is not None and nd == 2:
        return addmm(bias, input, weight.t())
    if bias is not None and nd != 2 and input._data.flags.c_contiguous:
        flat = input.reshape(-1, input._data.shape[-1])
        out = addmm(bias, flat, weight.t())
        return out.view(input._data.shape[:-1] + (weight._data.shape[0],))
    out = matmul(input, weight.t())
    return out if bias is None else out + bias


from .einsum import einsum  # noqa: E402  (einsum is built on the products above)
