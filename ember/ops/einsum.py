"""Einstein summation, built from differentiable ops (diagonal, sum, permute, bmm).

Without autograd the whole equation goes to ``numpy.einsum``. With autograd, operands are
contracted pairwise as batched matrix products, the way torch does it, so gradients (and
gradients of gradients) come from the ops' own backward formulas.

>>> import ember
>>> a, b = ember.ones(2, 3), ember.ones(3, 4)
>>> ember.einsum("ij,jk->ik", a, b).shape
ember.Size([2, 4])
>>> ember.einsum("ii", ember.eye(3))
tensor(3.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.graph import Node
from ._core import Tensor, record, state, wrap

__all__ = ["einsum", "diagonal"]


# -- parsing --------------------------------------------------------------------------------
def _parse(equation: str, operands: tuple) -> tuple:
    """Per-operand label lists and the output labels. Ellipsis dims become labels
    ``(".", k)`` counted from the right, so broadcasting aligns them."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    labels = [_term_labels(term, op._data.ndim, i) for i, (term, op) in
              enumerate(zip(terms, operands))]
    n_ell = max((sum(isinstance(x, tuple) for x in ls) for ls in labels), default=0)
    ellipsis = [(".", k) for k in range(n_ell - 1, -1, -1)]
    if arrow:
        out = []
        for part in rhs.split("..."):
            out.extend(part)
            out.extend(ellipsis)
        out = out[:len(out) - len(ellipsis)]
    else:
        letters = [x for ls in labels for x in ls if isinstance(x, str)]
        out = ellipsis + sorted(c for c in set(letters) if letters.count(c) == 1)
    return labels, out


def _term_labels(term: str, ndim: int, i: int) -> list:
    if "..." not in term:
        if len(term) != ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(term)}) does not match the number of dimensions "
                               f"({ndim}) for operand {i} and no ellipsis was given")
        return list(term)
    before, after = term.split("...")
    n = ndim - len(before) - len(after)
    if n < 0:
        raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                           f"({len(before) + len(after)}) is more than the number of "
                           f"dimensions ({ndim}) for operand {i}")
    return list(before) + [(".", k) for k in range(n - 1, -1, -1)] + list(after)


def _sizes(labels: list, operands: tuple) -> dict:
    sizes: dict = {}
    for i, (ls, op) in enumerate(zip(labels, operands)):
        for label, n in zip(ls, op._data.shape):
            seen = sizes.get(label, 1)
            if n != seen and n != 1 and seen != 1:
                name = label if isinstance(label, str) else "..."
                raise RuntimeError(f"einsum(): subscript {name} has size {n} for operand {i} "
                                   f"which does not broadcast with previously seen size {seen}")
            if label not in sizes or seen == 1:
                sizes[label] = n
    return sizes


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sum of products over the repeated subscripts of ``equation`` (``'ij,jk->ik'``)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    labels, out = _parse(equation, operands)
    sizes = _sizes(labels, operands)
    first = operands[0]
    for op in operands[1:]:
        if op._data.dtype != first._data.dtype:
            raise RuntimeError(f"expected scalar type {first.dtype._legacy[:-6]} but found "
                               f"{op.dtype._legacy[:-6]}")
    if not (state.enabled and any(op._requires_grad for op in operands)):
        return wrap(np.asarray(_numpy_einsum(labels, out, operands)))
    return _contract(list(operands), labels, out, sizes)


def _numpy_einsum(labels: list, out: list, operands: tuple) -> np.ndarray:
    letters: dict = {}
    for label in [x for ls in labels for x in ls] + out:
        letters.setdefault(label, chr(ord("a") + len(letters)) if len(letters) < 26
                           else chr(ord("A") + len(letters) - 26))
    spec = ",".join("".join(letters[x] for x in ls) for ls in labels)
    spec += "->" + "".join(letters[x] for x in out)
    sizes = _sizes(labels, operands)
    arrays = [np.broadcast_to(op._data, tuple(sizes[x] for x in ls))  # size-1 dims broadcast
              for op, ls in zip(operands, labels)]
    return np.einsum(spec, *arrays, optimize=len(operands) > 2)


# -- contraction with autograd --------------------------------------------------------------
def _contract(ops: list, labels: list, out: list, sizes: dict) -> Tensor:
    pairs = [_take_diagonals(t, ls) for t, ls in zip(ops, labels)]
    res, res_labels = pairs[0]
    rest = pairs[1:]
    for i, (other, other_labels) in enumerate(rest):
        later = set(out).union(*(ls for _, ls in rest[i + 1:]))
        res, res_labels = _sum_unneeded(res, res_labels, later | set(other_labels))
        other, other_labels = _sum_unneeded(other, other_labels, later | set(res_labels))
        res, res_labels = _pair(res, res_labels, other, other_labels, later, sizes)
    res, res_labels = _sum_unneeded(res, res_labels, set(out))
    return _to_output(res, res_labels, out, sizes)


def _take_diagonals(t: Tensor, labels: list) -> tuple:
    labels = list(labels)
    while len(set(labels)) != len(labels):
        seen: dict = {}
        for j, label in enumerate(labels):
            if label in seen:
                t = diagonal(t, 0, seen[label], j)
                labels = [x for k, x in enumerate(labels) if k not in (seen[label], j)]
                labels.append(label)
                break
            seen[label] = j
    return t, labels


def _sum_unneeded(t: Tensor, labels: list, needed: set) -> tuple:
    drop = [j for j, label in enumerate(labels) if label not in needed]
    if not drop:
        return t, labels
    return t.sum(tuple(drop)), [x for j, x in enumerate(labels) if j not in drop]


def _pair(a: Tensor, la: list, b: Tensor, lb: list, later: set, sizes: dict) -> tuple:
    """Contract two operands as one batched matrix product."""
    batch = [x for x in la if x in lb and x in later]
    summed = [x for x in la if x in lb and x not in later]
    left = [x for x in la if x not in lb]
    right = [x for x in lb if x not in la]
    a3 = _arrange(a, la, batch + left + summed, sizes, (batch, left, summed))
    b3 = _arrange(b, lb, batch + summed + right, sizes, (batch, summed, right))
    res = a3.bmm(b3)
    shape = tuple(sizes[x] for x in batch + left + right)
    return res.reshape(shape), batch + left + right


def _arrange(t: Tensor, labels: list, order: list, sizes: dict, groups: tuple) -> Tensor:
    perm = [labels.index(x) for x in order]
    if perm != list(range(len(perm))):
        t = t.permute(*perm)
    full = tuple(sizes[x] for x in order)
    if t._data.shape != full:
        t = t.expand(full)
    return t.reshape(tuple(math.prod(sizes[x] for x in g) for g in groups))


def _to_output(t: Tensor, labels: list, out: list, sizes: dict) -> Tensor:
    perm = [labels.index(x) for x in out]
    if perm != list(range(len(labels))):
        t = t.permute(*perm)
    full = tuple(sizes[x] for x in out)
    return t.expand(full) if t._data.shape != full else t


# -- diagonal -------------------------------------------------------------------------------
class DiagonalBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (_diagonal_embed(grad, self.shape, self.offset, self.dims),)


class DiagonalBackwardBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (diagonal(grad, self.offset, *self.dims),)


def _diag_index(shape: tuple, offset: int, d1: int, d2: int) -> tuple:
    n = max(0, min(shape[d1] - max(-offset, 0), shape[d2] - max(offset, 0)))
    r = np.arange(n)
    return r + max(-offset, 0), r + max(offset, 0)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of dims ``dim1``/``dim2``, moved to the last dim (a copy)."""
    data = input._data
    from ._core import wrap_dim
    d1, d2 = wrap_dim(dim1, data.ndim), wrap_dim(dim2, data.ndim)
    res = wrap(np.diagonal(data, offset, d1, d2).copy())
    node = record(res, DiagonalBackward0, input)
    if node is not None:
        node.shape, node.offset, node.dims = data.shape, offset, (d1, d2)
    return res


def _diagonal_embed(grad: Tensor, shape: tuple, offset: int, dims: tuple) -> Tensor:
    out = np.zeros(shape, dtype=grad._data.dtype)
    rows, cols = _diag_index(shape, offset, *dims)
    np.moveaxis(out, dims, (-2, -1))[..., rows, cols] = grad._data
    res = wrap(out)
    node = record(res, DiagonalBackwardBackward0, grad)
    if node is not None:
        node.offset, node.dims = offset, dims
    return res
