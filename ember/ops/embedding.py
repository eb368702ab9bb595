"""Embedding lookup: rows of a weight matrix selected by integer indices.

The weight gradient sums the incoming gradient rows of every occurrence of an index. Sorting
the indices once and summing each run with ``np.add.reduceat`` does that without a scatter
(``np.add.at``), and in a fixed order. The gradient is computed with NumPy, so double backward
through an embedding is not supported.
"""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ._numpy_grad import refuse_double_backward
from ._core import Tensor, record, wrap

__all__ = ["embedding", "embedding_renorm_"]


def _sum_rows(g: np.ndarray, idx: np.ndarray, num_rows: int) -> np.ndarray:
    """``out[i] = sum of g[k] for every k with idx[k] == i`` (zeros elsewhere)."""
    out = np.zeros((num_rows,) + g.shape[1:], dtype=g.dtype)
    if idx.size == 0:
        return out
    order = np.argsort(idx, kind="stable")
    keys = idx[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    out[keys[starts]] = np.add.reduceat(g[order], starts, axis=0)
    return out


class EmbeddingBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        dim = self.weight_shape[1]
        g = grad._data.reshape(-1, dim)
        idx = self.indices.reshape(-1)
        if self.scale_grad_by_freq:
            counts = np.bincount(idx, minlength=self.weight_shape[0])
            g = g / counts[idx][:, None].astype(g.dtype)
        gw = _sum_rows(g, idx, self.weight_shape[0])
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return (wrap(gw),)

    def _release_extra(self) -> None:
        self.indices = None


def _check_indices(input: Tensor, num: int) -> np.ndarray:
    idx = input._data
    if idx.dtype not in (np.int64, np.int32):
        # torch names a bool tensor by its legacy type object
        got = "CPUBoolType" if idx.dtype == np.bool_ else f"ember.{input.dtype._legacy}"
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {got} instead (while "
                           "checking arguments for embedding)")
    # unlike Python indexing, negative indices are out of range
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    return idx


def embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float,
                      norm_type: float) -> Tensor:
    """Rescale, in place, the referenced rows whose norm exceeds ``max_norm``."""
    w = weight._data
    rows = np.unique(input._data.reshape(-1))
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
    w[rows[big]] *= scale[:, None]
    return weight


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, dim) for integer ``input`` of any shape.

    >>> import ember
    >>> embedding(ember.tensor([[0, 2]]), ember.eye(3)).shape
    ember.Size([1, 2, 3])
    """
    if weight._data.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = weight._data.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx + num if padding_idx < 0 else padding_idx
    idx = _check_indices(input, num)
    if max_norm is not None:
        embedding_renorm_(weight, wrap(idx), max_norm, norm_type)
    res = wrap(weight._data[idx])
    node = record(res, EmbeddingBackward0, weight)
    if node is not None:
        node.indices, node.weight_shape = idx, weight._data.shape
        node.padding_idx, node.scale_grad_by_freq = padding_idx, scale_grad_by_freq
    return res
