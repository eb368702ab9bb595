"""Matrix products: matmul, mm, bmm, mv, dot, addmm, outer, einsum.

Products are computed by NumPy's BLAS-backed matmul on the operands as given (transposed
views included), so no operand is copied just to change its layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.graph import Node
from ._core import Tensor, record, sum_to, wrap

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "addmm", "outer", "einsum", "linear_forward"]


def _shape_str(shape: tuple) -> str:
    return "x".join(str(s) for s in shape)


def _check_float(a: Tensor, b: Tensor, name: str) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{a.dtype.name} != {b.dtype.name}" if name == "mm" else
                           f"expected scalar type {a.dtype.name.capitalize()} but found "
                           f"{b.dtype.name.capitalize()}")


class MmBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        ga = grad.mm(b.t()) if self.needs[0] else None
        gb = a.t().mm(grad) if self.needs[1] else None
        return ga, gb


def mm(input: Tensor, mat2: Tensor, *, out: Any = None) -> Tensor:
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} "
                           f"and {_shape_str(b.shape)})")
    _check_float(input, mat2, "mm")
    res = wrap(a @ b)
    node = record(res, MmBackward0, input, mat2)
    if node is not None:
        node.needs = (input._requires_grad, mat2._requires_grad)
        node.save(input if node.needs[1] else None, mat2 if node.needs[0] else None)
    return res


class AddmmBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        gbias = sum_to(grad * self.beta if self.beta != 1 else grad, self.bias_shape) \
            if self.needs[0] else None
        g = grad * self.alpha if self.alpha != 1 else grad
        ga = g.mm(b.t()) if self.needs[1] else None
        gb = a.t().mm(g) if self.needs[2] else None
        return gbias, ga, gb


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1,
          out: Any = None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``: the op behind ``Linear`` for 2-D inputs."""
    a, b = mat1._data, mat2._data
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError("mat1 must be a matrix, got {}-D tensor".format(a.ndim) if a.ndim != 2
                           else "mat2 must be a matrix, got {}-D tensor".format(b.ndim))
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} "
                           f"and {_shape_str(b.shape)})")
    prod = a @ b
    if alpha != 1:
        prod *= alpha
    bias = input._data
    if beta == 1:
        prod += bias  # in place: the product is a fresh array
    elif beta != 0:
        prod += beta * bias
    res = wrap(prod)
    node = record(res, AddmmBackward0, input, mat1, mat2)
    if node is not None:
        node.needs = (input._requires_grad, mat1._requires_grad, mat2._requires_grad)
        node.alpha, node.beta, node.bias_shape = alpha, beta, bias.shape
        node.save(mat1 if node.needs[2] else None, mat2 if node.needs[1] else None)
    return res


def linear_forward(input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``input @ weight.T + bias`` as torch records it (AddmmBackward0 for 2-D input)."""
    if input._data.ndim == 2 and bias is not None:
        return addmm(bias, input, weight.t())
    out = matmul(input, weight.t())
    return out if bias is None else out + bias


class BmmBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        ga = grad.bmm(b.transpose(1, 2)) if self.needs[0] else None
        gb = a.transpose(1, 2).bmm(grad) if self.needs[1] else None
        return ga, gb


def bmm(input: Tensor, mat2: Tensor, *, out: Any = None) -> Tensor:
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    res = wrap(np.matmul(a, b))
    node = record(res, BmmBackward0, input, mat2)
    if node is not None:
        node.needs = (input._requires_grad, mat2._requires_grad)
        node.save(input, mat2)
    return res


class MvBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, v = self.saved()
        ga = grad.unsqueeze(1) * v.unsqueeze(0) if self.needs[0] else None
        gv = a.t().mv(grad) if self.needs[1] else None
        return ga, gv


def mv(input: Tensor, vec: Tensor) -> Tensor:
    a, v = input._data, vec._data
    if a.ndim != 2 or v.ndim != 1 or a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0] if a.ndim else 0}x"
                           f"{a.shape[-1] if a.ndim else 0}), vec ({v.shape[0] if v.ndim else 0})")
    res = wrap(a @ v)
    node = record(res, MvBackward0, input, vec)
    if node is not None:
        node.needs = (input._requires_grad, vec._requires_grad)
        node.save(input, vec)
    return res


class DotBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        return (grad * b if self.needs[0] else None), (grad * a if self.needs[1] else None)


def dot(input: Tensor, other: Tensor) -> Tensor:
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    res = wrap(np.asarray(np.dot(a, b)))
    node = record(res, DotBackward0, input, other)
    if node is not None:
        node.needs = (input._requires_grad, other._requires_grad)
        node.save(input, other)
    return res


class MatmulBackward(Node):
    """General broadcast matmul (the N-D case torch lowers to bmm and views)."""

    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved()
        ga = sum_to(grad.matmul(b.mT), a.shape) if self.needs[0] else None
        gb = sum_to(a.mT.matmul(grad), b.shape) if self.needs[1] else None
        return ga, gb


class UnsafeViewBackward0(MatmulBackward):
    pass


def matmul(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:
    """``@``: dot, mv, mm or broadcast batched product depending on the dimensions."""
    na, nb = input._data.ndim, other._data.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{na}D and {nb}D")
    if na == 1 and nb == 1:
        return dot(input, other)
    if na == 2 and nb == 1:
        return mv(input, other)
    if na == 1 and nb == 2:
        return mm(input.unsqueeze(0), other).squeeze(0)
    if na == 2 and nb == 2:
        return mm(input, other)
    a = input.unsqueeze(0) if na == 1 else input
    b = other.unsqueeze(-1) if nb == 1 else other
    if a._data.shape[-1] != b._data.shape[-2]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({_shape_str((int(np.prod(a.shape[:-1])), a.shape[-1]))} and "
                           f"{_shape_str(b.shape[-2:])})" if nb == 2 else
                           f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b.shape[0]}, {a.shape[-1]}] but got: [{b.shape[0]}, {b.shape[-2]}].")
    res = wrap(np.matmul(a._data, b._data))
    node = record(res, UnsafeViewBackward0, a, b)
    if node is not None:
        node.needs = (a._requires_grad, b._requires_grad)
        node.save(a, b)
    if na == 1:
        res = res.squeeze(-2)
    if nb == 1:
        res = res.squeeze(-1)
    return res


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    return input.unsqueeze(1) * vec2.unsqueeze(0)


class EinsumBackward(Node):
    def backward(self, grad: Tensor) -> tuple:
        ops = self.saved()
        ins, out = self.spec
        grads = []
        for i, t in enumerate(ops):
            if not self.needs[i]:
                grads.append(None)
                continue
            others = [o for j, o in enumerate(ops) if j != i]
            other_specs = [s for j, s in enumerate(ins) if j != i]
            target = ins[i]
            # Letters of the operand absent elsewhere were summed: bring them back by expanding.
            avail = set(out).union(*other_specs)
            present = "".join(c for c in target if c in avail)
            g = einsum(",".join([out] + other_specs) + "->" + _dedupe(present), grad, *others)
            grads.append(_expand_spec(g, _dedupe(present), target, t.shape))
        return tuple(grads)


def _dedupe(s: str) -> str:
    return "".join(dict.fromkeys(s))


def _expand_spec(g: Tensor, have: str, want: str, shape: tuple) -> Tensor:
    if len(set(want)) != len(want):
        raise RuntimeError("einsum backward with repeated indices in one operand is not supported")
    for pos, c in enumerate(want):
        if c not in have:
            g = g.unsqueeze(pos)
            have = have[:pos] + c + have[pos:]
    perm = [have.index(c) for c in want]
    return g.permute(*perm).expand(shape)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation (explicit or implicit output; no ellipsis in the gradient path)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out_spec = eq.split("->")
    else:
        lhs = eq
        letters = lhs.replace(",", "")
        out_spec = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    ins = lhs.split(",")
    res = wrap(np.asarray(np.einsum(lhs + "->" + out_spec, *[o._data for o in operands],
                                    optimize=len(operands) > 2)))
    node = record(res, EinsumBackward, *operands)
    if node is not None:
        if "." in eq:
            raise RuntimeError("einsum with '...' does not support autograd yet")
        node.spec = (ins, out_spec)
        node.needs = tuple(o._requires_grad for o in operands)
        node.save(*operands)
    return res
