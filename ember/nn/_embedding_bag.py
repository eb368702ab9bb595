"""``embedding_bag``: sums, means or maxima of embedding rows over bags of indices.

A bag is a run of consecutive entries of a 1-D index tensor, starting at each offset (or a row
of a 2-D index tensor). The forward gathers the rows of every entry, scales them (per-sample
weights, ``1 / bag size`` for means, zero for ``padding_idx``) and reduces each bag with
``np.add.reduceat`` / ``np.maximum.reduceat``; the backward scatters the bag gradients back
to the table rows in NumPy, so double backward is not supported.

>>> import ember
>>> w = ember.arange(6.0).reshape(3, 2)
>>> embedding_bag(ember.tensor([0, 2, 1]), w, ember.tensor([0, 2]), mode="sum")
tensor([[4., 6.],
        [2., 3.]])
"""

from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import Node
from ..ops._core import record, wrap
from ..ops._numpy_grad import refuse_double_backward
from ..ops.embedding import _sum_rows, embedding_renorm_

__all__ = ["embedding_bag"]

_MODES = {"sum": 0, "mean": 1, "max": 2}
_FLOAT_WEIGHTS = (np.float16, np.float32, np.float64)


class _Bags:
    """Which entries of the flat index array each bag holds, laid out bag after bag.

    ``positions[k]`` is the index entry of the k-th gathered entry and ``bag[k]`` its bag;
    ``lengths[b]`` counts bag ``b``'s entries (a decreasing offset makes an empty bag).
    """

    def __init__(self, offsets: np.ndarray, n: int, include_last_offset: bool) -> None:
        offsets = offsets.astype(np.int64)
        if include_last_offset:
            starts, ends = offsets[:-1], offsets[1:]
        else:
            starts, ends = offsets, np.append(offsets[1:], n)
        self.count = len(starts)
        self.lengths = np.maximum(ends - starts, 0)
        total = int(self.lengths.sum())
        self.bag = np.repeat(np.arange(self.count), self.lengths)
        first = np.cumsum(self.lengths) - self.lengths  # where each bag begins in the layout
        self.positions = np.arange(total) - np.repeat(first - starts, self.lengths)
        nonempty = self.lengths > 0
        self.nonempty = nonempty
        self.segment_starts = first[nonempty]

    def reduce(self, values: np.ndarray, ufunc: np.ufunc, empty: float) -> np.ndarray:
        """``ufunc`` over each bag's rows of ``values`` (laid out bag after bag)."""
        out = np.full((self.count,) + values.shape[1:], empty, dtype=values.dtype)
        if self.segment_starts.size:
            out[self.nonempty] = ufunc.reduceat(values, self.segment_starts, axis=0)
        return out


class EmbeddingBagBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        weight, psw = self.saved()
        bags, ent_idx, g = self.bags, self.entry_indices, grad._data
        num = weight._data.shape[0]
        if self.mode == 2:
            return _max_weight_grad(g, ent_idx, self.argmax, num), None
        g_ent = g[bags.bag]
        grad_w = grad_psw = None
        if self.needs_weight_grad:
            rows = g_ent * self.coef[:, None]
            if self.freq is not None:
                rows = rows / self.freq[ent_idx][:, None].astype(rows.dtype)
            grad_w = wrap(_sum_rows(rows, ent_idx, num))
        if psw is not None and psw.requires_grad:
            per_entry = (g_ent * weight._data[ent_idx]).sum(axis=1) * self.keep
            out = np.bincount(bags.positions, weights=per_entry, minlength=psw._data.shape[0])
            grad_psw = wrap(out.astype(psw._data.dtype))
        return grad_w, grad_psw


def _max_weight_grad(g: np.ndarray, ent_idx: np.ndarray, argmax: np.ndarray,
                     num: int) -> Tensor:
    """Each bag's gradient goes, feature by feature, to the row that held the maximum."""
    dim = g.shape[1]
    hit = argmax < ent_idx.size  # bags with no (non-padding) entry pass nothing back
    bag_of, col = np.nonzero(hit)
    flat = ent_idx[argmax[bag_of, col]] * dim + col
    out = np.bincount(flat, weights=g[bag_of, col], minlength=num * dim)
    return wrap(out.reshape(num, dim).astype(g.dtype))


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Reduce (``mode`` sum, mean or max) the rows of ``weight`` picked by each bag of indices.

    ``input`` is 2-D (each row a bag, ``offsets`` None) or 1-D with ``offsets`` giving where
    each bag starts (``include_last_offset``: the last offset ends the last bag). Entries
    equal to ``padding_idx`` are left out (and excluded from the mean's count); empty bags
    give zeros. ``per_sample_weights`` (mode "sum" only) scale each entry's row. ``sparse``
    is accepted; gradients are always dense.
    """
    if weight.dtype.name == "int64" and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    input, offsets, psw, include_last_offset = _flatten_bags(
        input, weight, offsets, per_sample_weights, include_last_offset)
    mode_id = _check_mode(mode, scale_grad_by_freq, sparse)
    if max_norm is not None:
        embedding_renorm_(weight, input, max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' "
                                  f"(got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    padding_idx = _wrap_padding_idx(padding_idx, weight._data.shape[0])
    _check_native(input, offsets, weight, psw, include_last_offset)
    idx = input._data.astype(np.int64)
    bags = _Bags(offsets._data, idx.size, include_last_offset)
    ent_idx = idx[bags.positions]
    _check_range(ent_idx, bags.positions, weight._data.shape[0])
    keep = np.ones(ent_idx.size, dtype=bool) if padding_idx is None else ent_idx != padding_idx
    if mode_id == 2:
        return _max_bags(weight, bags, ent_idx, keep)
    return _sum_bags(weight, psw, bags, ent_idx, keep, mode_id == 1,
                     np.bincount(idx, minlength=weight._data.shape[0])
                     if scale_grad_by_freq else None)


def _sum_bags(weight: Tensor, psw: Tensor | None, bags: _Bags, ent_idx: np.ndarray,
              keep: np.ndarray, mean: bool, freq: np.ndarray | None) -> Tensor:
    w = weight._data
    coef = keep.astype(w.dtype)
    if psw is not None:
        coef = coef * psw._data[bags.positions]
    if mean:
        counts = np.bincount(bags.bag, weights=keep, minlength=bags.count)
        coef = coef / np.maximum(counts, 1)[bags.bag].astype(w.dtype)
    res = wrap(bags.reduce(w[ent_idx] * coef[:, None], np.add, 0.0))
    node = record(res, EmbeddingBagBackward0, weight, psw)
    if node is not None:
        node.save(weight, psw)
        node.mode, node.bags, node.entry_indices = 0, bags, ent_idx
        node.coef, node.keep, node.freq = coef, keep, freq
        node.needs_weight_grad = weight.requires_grad
    return res


def _max_bags(weight: Tensor, bags: _Bags, ent_idx: np.ndarray, keep: np.ndarray) -> Tensor:
    rows = weight._data[ent_idx]
    rows[~keep] = -np.inf  # padding entries never win
    best = bags.reduce(rows, np.maximum, 0.0)
    # A bag of padding entries only reduces to -inf: such bags give zeros.
    best[np.isneginf(best)] = 0
    res = wrap(best)
    node = record(res, EmbeddingBagBackward0, weight, None)
    if node is not None:
        total = ent_idx.size
        # The first entry of each bag holding the maximum, per feature (total: none).
        won = (rows == best[bags.bag]) & keep[:, None]
        where = np.where(won, np.arange(total)[:, None], total)
        node.argmax = bags.reduce(where, np.minimum, total)
        node.save(weight, None)
        node.mode, node.bags, node.entry_indices = 2, bags, ent_idx
    return res


def _flatten_bags(input: Tensor, weight: Tensor, offsets: Tensor | None,
                  psw: Tensor | None, include_last_offset: bool) -> tuple:
    """1-D indices, offsets and per-sample weights for either input layout."""
    if psw is not None and tuple(input.shape) != tuple(psw.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({psw.shape}) is not None, "
                         f"then it must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets)}")
        rows, cols = input.shape
        if cols == 0:
            raise RuntimeError("step must be nonzero")
        starts = np.arange(0, rows * cols, cols).astype(input._data.dtype)
        flat_psw = None if psw is None else psw.reshape(-1)
        return input.reshape(-1), wrap(starts), flat_psw, False
    if input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        return input, offsets, psw, include_last_offset
    raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                     f"{input.dim()}")


def _check_mode(mode: str, scale_grad_by_freq: bool, sparse: bool) -> int:
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    return _MODES[mode]


def _wrap_padding_idx(padding_idx: int | None, num: int) -> int | None:
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise RuntimeError(f"padding_idx must be within the number of embeddings, -{num} "
                           f"through {num - 1}, but got {padding_idx}")
    return padding_idx + num if padding_idx < 0 else padding_idx


def _index_type_error(t: Tensor, name: str, allowed: str) -> RuntimeError:
    return RuntimeError(f"Expected tensor for argument #1 '{name}' to have one of the "
                        f"following scalar types: {allowed}; but got ember.{t.dtype._legacy} "
                        "instead (while checking arguments for embedding_bag)")


def _check_native(input: Tensor, offsets: Tensor, weight: Tensor, psw: Tensor | None,
                  include_last_offset: bool) -> None:
    """The argument checks of the bag kernel, in its order."""
    for t in (input, offsets):
        if t._data.dtype not in (np.int64, np.int32):
            raise _index_type_error(t, "indices", "Long, Int")
    if weight._data.dtype not in _FLOAT_WEIGHTS:
        raise _index_type_error(weight, "weight", "Half, BFloat16, Float, Double")
    off, n = offsets._data, input._data.size
    if off.size:
        if off[0] != 0:
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the "
                               "mini-batch has to start from position 0. However, got "
                               f"{int(off[0])}\n[ ember.{offsets.dtype._legacy}{{}} ]")
        if off[-1] > n:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but "
                               f"got offsets[-1] of {int(off[-1])}")
    if psw is not None and psw._data.dtype != weight._data.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as "
                           "tensor for argument #1 'per_sample_weights'; but type "
                           f"ember.{weight.dtype._legacy} does not equal "
                           f"ember.{psw.dtype._legacy} (while checking arguments for "
                           "embedding_bag)")
    if include_last_offset and off.size < 1:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")


def _check_range(ent_idx: np.ndarray, positions: np.ndarray, num: int) -> None:
    bad = np.flatnonzero((ent_idx < 0) | (ent_idx >= num))
    if bad.size:
        k = bad[0]
        raise RuntimeError(f"Index {int(positions[k])} of input takes value {int(ent_idx[k])} "
                           f"which is not in the valid range [0, {num})")
