"""Classification losses: ``nll_loss`` on log-probabilities and a fused ``cross_entropy``.

Both work on a canonical ``(N, C, S)`` view of the input: batch, classes, and every spatial
position flattened (``S == 1`` for a plain ``(N, C)`` batch; a single ``(C,)`` sample is
``N == 1``). Targets are class indices (with optional class weights and ``ignore_index``) or,
for ``cross_entropy``, class probabilities of the input's shape.

Every target class loss is ``-sum_c a[n, c] * log p[n, c]`` for a coefficient array ``a``
(one-hot, weighted, smoothed or the given probabilities). Its gradient with respect to the
logits is ``p * sum_c a - a`` per sample: the fused backward of cross-entropy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..autograd.grad_mode import state
from . import _rows
from ._core import Tensor, record, wrap

__all__: list[str] = []


class _Canonical:
    """Shapes of the ``(N, C, S)`` view of a loss input, and how to undo it."""

    def __init__(self, shape: tuple) -> None:
        self.shape = shape
        if len(shape) == 1:
            self.n, self.c, self.s = 1, shape[0], 1
        else:
            self.n, self.c = shape[0], shape[1]
            self.s = math.prod(shape[2:])

    @property
    def view(self) -> tuple:
        return (self.n, self.c, self.s)

    @property
    def per_sample(self) -> tuple:
        """The shape of the ``reduction='none'`` output."""
        return () if len(self.shape) == 1 else (self.shape[0], *self.shape[2:])


def _check_class_target(input: Tensor, target: Tensor) -> None:
    """torch's checks, in torch's order: batch size, target rank, dtype."""
    ishape, tshape = input._data.shape, target._data.shape
    if len(ishape) < 1:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if len(ishape) != 1 and (len(tshape) == 0 or ishape[0] != tshape[0]):
        raise ValueError(f"Expected input batch_size ({ishape[0]}) to match target batch_size "
                         f"({tshape[0] if tshape else 0}).")
    if len(ishape) <= 2 and len(tshape) > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if len(ishape) == 1 and len(tshape) == 1 and tshape[0] != 1:
        raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                         f"{tshape[0]}")
    expected = (ishape[0], *ishape[2:])
    if len(ishape) > 2 and tshape != expected:
        if len(ishape) != 4:
            raise RuntimeError(f"Expected target size {list(expected)}, got {list(tshape)}")
        if len(tshape) != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {len(tshape)}")
        raise RuntimeError(f"size mismatch (got input: {list(ishape)} , target: {list(tshape)}")
    if target._data.dtype not in (np.int64, np.uint8):
        name = D.scalar_type_name(target.dtype)
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {name}")


class _ClassTargets:
    """Class-index targets in ``(N, S)`` layout with per-position weights (0 where ignored)."""

    def __init__(self, input: Tensor, target: Tensor, weight: Tensor | None,
                 ignore_index: int) -> None:
        _check_class_target(input, target)
        canon = _Canonical(input._data.shape)
        idx = target._data.astype(np.int64, copy=False).reshape(canon.n, canon.s)
        everything, valid = _counted(idx, ignore_index, canon.c)
        self.canon, self._valid = canon, valid
        self.index = idx if everything else np.where(valid, idx, 0)
        # Every weight is 1: multiplying by the weights can be skipped (it is exact anyway).
        self.unit = weight is None and everything
        self._offsets = None
        self._dtype = dtype = input._data.dtype
        self.class_weight = None if weight is None else weight._data.astype(dtype, copy=False)
        self._weight = None  # without class weights: made from ``valid`` when first asked for
        if weight is not None:
            picked = self.class_weight[self.index]
            self._weight = picked if everything else np.where(valid, picked, dtype.type(0))

    @property
    def valid(self) -> np.ndarray:
        """(N, S) bool: where a target counts (is not ``ignore_index``)."""
        if self._valid is None:  # *_like keeps the array's backend (NumPy or CuPy)
            self._valid = np.ones_like(self.index, dtype=bool)
        return self._valid

    @property
    def weight(self) -> np.ndarray:
        """(N, S): each target's class weight, 0 where ignored (1 and 0 without weights)."""
        if self._weight is None:
            self._weight = self.valid.astype(self._dtype)
        return self._weight

    def class_weights(self) -> np.ndarray:
        if self.class_weight is None:  # *_like keeps the array's backend (NumPy or CuPy)
            return np.ones_like(self.weight, shape=(self.canon.c,))
        return self.class_weight

    def total_weight(self) -> Any:
        """The ``reduction='mean'`` denominator: the summed weight of non-ignored targets."""
        if self.unit:  # a count of ones, exactly what summing them gives
            return self.index.size
        return self.weight.sum()

    def scatter(self, values: np.ndarray) -> np.ndarray:
        """An ``(N, C, S)`` array holding ``values[n, s]`` at each target class, 0 elsewhere."""
        out = np.zeros_like(values, shape=self.canon.view)
        offsets = self._flat_offsets(out)
        if offsets is None:
            np.put_along_axis(out, self.index[:, None, :], values[:, None, :], axis=1)
        else:
            out.reshape(-1)[offsets] = values
        return out

    def _flat_offsets(self, x3: np.ndarray) -> np.ndarray | None:
        """Positions of the target entries in ``x3.ravel()`` for a C-contiguous NumPy ``x3``
        (one fancy index instead of ``take_along_axis``, whose index building dominates for
        small batches); None when ``x3`` does not qualify."""
        if type(x3) is not np.ndarray or not x3.flags.c_contiguous:
            return None
        if self._offsets is None:
            n, c, s = self.canon.view
            rows = np.arange(0, n * c * s, c * s)[:, None]
            self._offsets = rows + self.index if s == 1 else \
                rows + self.index * s + np.arange(s)
        return self._offsets

    def pick(self, x3: np.ndarray) -> np.ndarray:
        """``x3[n, index[n, s], s]`` as an ``(N, S)`` array."""
        offsets = self._flat_offsets(x3)
        if offsets is None:
            return np.take_along_axis(x3, self.index[:, None, :], axis=1)[:, 0, :]
        return x3.reshape(-1)[offsets]

    def add_at(self, x3: np.ndarray, values: Any) -> None:
        """``x3[n, index[n, s], s] += values[n, s]`` (or ``+= values`` for a scalar), in
        place."""
        offsets = self._flat_offsets(x3)
        if offsets is None:
            idx = self.index[:, None, :]
            added = values if np.ndim(values) == 0 else values[:, None, :]
            np.put_along_axis(x3, idx, np.take_along_axis(x3, idx, axis=1) + added, axis=1)
        else:  # each (n, s) has one target, so the offsets are distinct
            x3.reshape(-1)[offsets] += values


def _counted(idx: np.ndarray, ignore_index: int, classes: int) -> tuple:
    """``(everything, valid)``: whether no target is ignored, and where targets count (None:
    everywhere, when that was settled without building the mask).
    Raises torch's error for a counted target out of range.

    The common case (no target ignored, all in range) is settled by the two extremes.
    """
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if (ignore_index < lo or ignore_index > hi) and lo >= 0 and hi < classes:
            return True, None  # ``_ClassTargets.valid`` makes the all-true mask if needed
    valid = idx != ignore_index
    everything = bool(valid.all())
    counted = idx if everything else idx[valid]
    if counted.size and (counted.min() < 0 or counted.max() >= classes):
        bad = valid & ((idx < 0) | (idx >= classes))
        raise IndexError(f"Target {idx[bad][0]} is out of bounds.")
    return everything, valid


def _reduce(per_sample: np.ndarray, reduction: str, denominator: Any,
            out_shape: tuple) -> Any:
    if reduction == "none":
        return per_sample.reshape(out_shape)
    total = per_sample.sum()
    if reduction == "sum":
        return np.asarray(total)
    if denominator:
        return np.asarray(total / total.dtype.type(denominator))
    with np.errstate(invalid="ignore", divide="ignore"):  # all targets ignored: nan, as torch
        return np.asarray(total / total.dtype.type(denominator))


def _inverse(denominator: Any) -> float:
    # With every target ignored the mean is nan but torch's gradient is zero, not nan.
    return 1.0 / float(denominator) if denominator else 0.0


def _grad_per_sample(grad: Tensor, canon: _Canonical, reduction: str, scale: float) -> Tensor:
    """The incoming gradient laid out to broadcast against ``(N, C, S)`` arrays."""
    if reduction == "none":
        return grad.reshape(canon.n, 1, canon.s)
    return grad * scale if scale != 1 else grad


# -- nll_loss ------------------------------------------------------------------------------
class _NllBackward(Node):
    def backward(self, grad: Tensor) -> tuple:
        g = _grad_per_sample(grad, self.canon, self.reduction, self.scale)
        return ((self.coef * g).reshape(self.canon.shape),)

    def _release_extra(self) -> None:
        self.coef = None


# torch's grad_fn for nll_loss depends on the input's rank and the reduction: a plain 2-D
# batch gives NllLossBackward0, images NllLoss2DBackward0, and other ranks with
# reduction='none' end in a view.
_NODE_NAMES = ("NllLossBackward0", "NllLoss2DBackward0", "ViewBackward0")
_NLL = {name: type(name, (_NllBackward,), {"__module__": __name__}) for name in _NODE_NAMES}


def _node_type(family: dict, ndim: int, reduction: str) -> type:
    if ndim <= 2:
        return family["NllLossBackward0"]
    if ndim != 4 and reduction == "none":
        return family["ViewBackward0"]
    return family["NllLoss2DBackward0"]


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """``-w[t] * input[n, t]`` per sample, for log-probabilities ``input``."""
    _no_weight_grad(weight)
    targets = _ClassTargets(input, target, weight, ignore_index)
    canon = targets.canon
    x3 = input._data.reshape(canon.view)
    picked = targets.pick(x3)
    per_sample = -picked if targets.unit else -picked * targets.weight
    denominator = targets.total_weight()
    res = wrap(_reduce(per_sample, reduction, denominator, canon.per_sample))
    node = record(res, _node_type(_NLL, input._data.ndim, reduction), input)
    if node is not None:
        node.canon, node.reduction = canon, reduction
        node.scale = _inverse(denominator) if reduction == "mean" else 1.0
        node.coef = wrap(targets.scatter(-targets.weight))
    return res


def _no_weight_grad(weight: Tensor | None) -> None:
    if weight is not None and state.enabled and weight._requires_grad:
        raise RuntimeError("The function 'nll_loss_forward' is not differentiable with respect "
                           "to argument 'weight'. This input cannot have requires_grad True.")


# -- cross_entropy ---------------------------------------------------------------------------
class _CrossEntropyBackward(Node):
    """``(softmax(x) * A - a) * grad`` for logits; ``-(1 - eps) w log_softmax(x)`` for targets."""

    def backward(self, grad: Tensor) -> tuple:
        from .activation import log_softmax
        x, target = self.saved()
        canon = self.canon
        if target is None and not state.enabled:
            return (self._class_grad_arrays(grad),)
        # Under create_graph the log-probabilities are recomputed so they carry history.
        logp = log_softmax(x.reshape(canon.view), 1) if state.enabled else self.logp
        if target is None:
            a, total = (wrap(c) for c in _class_coef(self.targets, self.smoothing,
                                                      logp._data.dtype))
        else:
            a = self._prob_coef(target)
            total = a.sum(1, keepdim=True)
        g = _grad_per_sample(grad, canon, self.reduction, self.scale)
        gx = ((logp.exp() * total - a) * g).reshape(canon.shape) if self.needs[0] else None
        gt = None
        if target is not None and self.needs[1]:
            w = (1.0 - self.smoothing) if self.class_weight is None else \
                self.class_weight * (1.0 - self.smoothing)
            gt = (-(logp * w) * g).reshape(canon.shape)
        return gx, gt

    def _class_grad_arrays(self, grad: Tensor) -> Tensor:
        """The class-index gradient on arrays, without building ``a`` (no graph needed)."""
        targets, canon, dtype = self.targets, self.canon, self.logp._data.dtype
        if targets.unit and not self.smoothing:  # softmax minus one-hot, times the scale
            gx = np.exp(self.logp._data)
            targets.add_at(gx, dtype.type(-1))
            return wrap(self._scaled(gx, grad).reshape(canon.shape))
        weight = targets.weight[:, None, :]
        if self.smoothing:
            spread = targets.class_weights()[None, :, None] * dtype.type(
                self.smoothing / canon.c) * targets.valid[:, None, :]
            weight = weight * dtype.type(1.0 - self.smoothing)
            total = weight + spread.sum(axis=1, keepdims=True)
        gx = np.exp(self.logp._data)
        if self.smoothing:
            gx *= total
        elif not targets.unit:  # unit weights: the product would change nothing
            gx *= weight
        targets.add_at(gx, -weight[:, 0, :])
        if self.smoothing:
            gx -= spread
        return wrap(self._scaled(gx, grad).reshape(canon.shape))

    def _scaled(self, gx: np.ndarray, grad: Tensor) -> np.ndarray:
        """``gx`` times the incoming gradient (per sample, or the mean's scale), in place."""
        g = grad._data
        gx *= g.reshape(self.canon.n, 1, self.canon.s) if self.reduction == "none" else \
            g * gx.dtype.type(self.scale)
        return gx

    def _prob_coef(self, target: Tensor) -> Tensor:
        y = target.reshape(self.canon.view)
        if self.smoothing:
            y = y * (1.0 - self.smoothing) + self.smoothing / self.canon.c
        return y if self.class_weight is None else y * self.class_weight

    def _release_extra(self) -> None:
        self.logp = self.targets = None


# Fused nodes take the name of the op torch leaves at the top of its own chain for the same
# call, so that printed grad_fn values agree (see ``_ce_node_type``).
_FUSED = {name: type(name, (_CrossEntropyBackward,), {"__module__": __name__})
          for name in (*_NODE_NAMES, "AddBackward0", "NegBackward0", "DivBackward1")}


def _ce_node_type(ndim: int, reduction: str, probs: bool, smoothing: float) -> type:
    if probs:
        return _FUSED["DivBackward1" if reduction == "mean" else "NegBackward0"]
    if smoothing:
        return _FUSED["AddBackward0"]
    return _node_type(_FUSED, ndim, reduction)


def _log_softmax3(x3: np.ndarray) -> np.ndarray:
    n, c, s = x3.shape
    x = x3.reshape(n, c) if s == 1 else x3  # 2-d passes broadcast faster than 3-d ones
    shifted = x - _rows.maxima_along(x, 1)
    shifted -= np.log(_rows.sums_along(np.exp(shifted), 1))
    return shifted.reshape(x3.shape)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits ``input`` (class dim 1, or 0 for a single sample).

    ``target`` holds class indices, or class probabilities shaped like ``input``.
    """
    probs = _check_cross_entropy(input, target, weight, ignore_index, label_smoothing)
    label_smoothing = max(label_smoothing, 0.0)  # torch smooths only by a positive amount
    canon = _Canonical(input._data.shape)
    _check_weight(weight, canon.c)
    logp = _log_softmax3(input._data.reshape(canon.view))
    targets = None
    if probs:
        coef, class_weight = _prob_setup(target, weight, canon, label_smoothing,
                                         input._data.dtype)
        per_sample = -(coef * logp).sum(axis=1)
        denominator = canon.n * canon.s
    else:
        targets = _ClassTargets(input, target, weight, ignore_index)
        per_sample = _class_losses(targets, logp, label_smoothing)
        denominator, class_weight = targets.total_weight(), None
    res = wrap(_reduce(per_sample, reduction, denominator, canon.per_sample))
    node_type = _ce_node_type(input._data.ndim, reduction, probs, label_smoothing)
    # Class indices are not differentiable: like torch, the node then has one edge.
    node = record(res, node_type, *((input, target) if probs else (input,)))
    if node is not None:
        node.canon, node.reduction = canon, reduction
        node.scale = _inverse(denominator) if reduction == "mean" else 1.0
        node.smoothing, node.class_weight = label_smoothing, class_weight
        node.needs = (input._requires_grad, probs and target._requires_grad)
        node.logp, node.targets = wrap(logp), targets
        node.save(input, target if probs else None)
    return res


def _check_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None,
                         ignore_index: int, label_smoothing: float) -> bool:
    """torch's argument checks; True when ``target`` holds class probabilities."""
    if label_smoothing > 1.0:  # torch lets a negative value through
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    _no_weight_grad(weight)
    probs = input._data.shape == target._data.shape
    if probs and target._data.dtype.kind != "f":
        name = D.scalar_type_name(target.dtype)
        raise RuntimeError("Expected floating point type for target with class probabilities, "
                           f"got {name}")
    if probs and ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if input._data.dtype.kind != "f":
        raise RuntimeError('"log_softmax_lastdim_kernel_impl" not implemented for '
                           f"'{D.scalar_type_name(input.dtype)}'")
    return probs


def _check_weight(weight: Tensor | None, classes: int) -> None:
    if weight is not None and (weight._data.ndim != 1 or weight._data.shape[0] != classes):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes "
                           f"or no classes but got weight tensor of shape: "
                           f"{list(weight._data.shape)}")


def _class_losses(targets: _ClassTargets, logp: np.ndarray, smoothing: float) -> np.ndarray:
    """Per-position losses ``-sum_c a[n, c] log p[n, c]`` without building ``a``."""
    picked = targets.pick(logp)
    losses = -picked if targets.unit else -(targets.weight * picked)
    if smoothing:
        dtype = logp.dtype
        spread = -(logp * targets.class_weights()[None, :, None]).sum(axis=1) * targets.valid
        losses = losses * dtype.type(1.0 - smoothing) + spread * dtype.type(
            smoothing / targets.canon.c)
    return losses


def _class_coef(targets: _ClassTargets, smoothing: float, dtype: np.dtype) -> tuple:
    """``a`` (N, C, S) and its class sum (N, 1, S) for class-index targets."""
    w_t = targets.weight
    coef = targets.scatter(w_t * dtype.type(1.0 - smoothing) if smoothing else w_t)
    if smoothing:
        spread = targets.class_weights()[None, :, None] * dtype.type(smoothing / targets.canon.c)
        coef += spread * targets.valid[:, None, :]
    return coef, coef.sum(axis=1, keepdims=True)


def _prob_setup(target: Tensor, weight: Tensor | None, canon: _Canonical, smoothing: float,
                dtype: np.dtype) -> tuple:
    y = target._data.astype(dtype, copy=False).reshape(canon.view)
    if smoothing:
        y = y * dtype.type(1.0 - smoothing) + dtype.type(smoothing / canon.c)
    class_weight = None
    if weight is not None:
        class_weight = wrap(weight._data.astype(dtype, copy=False).reshape(1, canon.c, 1))
        y = y * class_weight._data
    return y, class_weight
