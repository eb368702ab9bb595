"""Loss functions of ``ember.nn.functional``.

Fused losses (cross-entropy, NLL, MSE, smooth L1, Huber, BCE) are ops in ``ember.ops`` with
their own backward nodes; L1 and KL divergence are compositions of tensor ops, as in torch
(so their ``grad_fn`` is ``MeanBackward0``, ``SumBackward0``, ...). These wrappers hold the
argument checks, warnings and the legacy ``size_average``/``reduce`` arguments.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, tensor_from_array
from ..ops import cross_entropy as _ce
from ..ops import loss_ops as _loss

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]


def legacy_reduction(size_average: bool | None, reduce: bool | None,
                     emit_warning: bool = True) -> str:
    """Map the deprecated ``size_average``/``reduce`` pair to a ``reduction`` string."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        reduction = "mean"
    elif reduce:
        reduction = "sum"
    else:
        reduction = "none"
    if emit_warning:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", stacklevel=3)
    return reduction


def _resolve(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce)
    return reduction


def _warn_broadcast(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", stacklevel=3)


def _weighted(loss: Tensor, weight: Tensor, reduction: str, mean_by_weight: bool) -> Tensor:
    """Apply torch's per-element ``weight`` to an unreduced loss."""
    if weight.shape != loss.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if mean_by_weight else loss.mean()
    return loss


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits ``input`` (N, C, ...) and class indices or probabilities.

    >>> import ember
    >>> cross_entropy(ember.tensor([[0.0, 0.0]]), ember.tensor([1]))
    tensor(0.6931)
    """
    reduction = _resolve(size_average, reduce, reduction)
    _loss.check_reduction(reduction)
    if weight is not None and target._data.dtype.kind != "f":
        _check_class_weight(input, target, weight)
    return _ce.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


def _check_class_weight(input: Tensor, target: Tensor, weight: Tensor) -> None:
    """Class weights for class-index targets: one per class, in the input's dtype.

    The target is checked first, so that errors come in torch's order.
    """
    _ce._check_class_target(input, target)
    shape, w = input._data.shape, weight._data
    classes = shape[0] if len(shape) == 1 else shape[1]
    if len(shape) > 2 and w.size != classes:
        raise RuntimeError("weight tensor should be defined either for all or no classes")
    if len(shape) <= 2 and (w.ndim != 1 or w.size != classes):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes "
                           f"or no classes but got weight tensor of shape: {list(w.shape)}")
    if w.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {D.scalar_type_name(input.dtype)} but found "
                           f"{D.scalar_type_name(weight.dtype)}")



def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``."""
    reduction = _resolve(size_average, reduce, reduction)
    _loss.check_reduction(reduction)
    if weight is not None:
        _check_class_weight(input, target, weight)
    return _ce.nll_loss(input, target, weight, ignore_index, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Squared error, averaged (default), summed or per element."""
    reduction = _resolve(size_average, reduce, reduction)
    _loss.check_reduction(reduction)
    _warn_broadcast(input, target)
    if weight is not None:
        return _weighted(_loss.mse_loss(input, target, "none"), weight, reduction, True)
    return _loss.mse_loss(input, target, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Absolute error, averaged (default), summed or per element."""
    reduction = _resolve(size_average, reduce, reduction)
    _loss.check_reduction(reduction)
    _warn_broadcast(input, target)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted(loss, weight, reduction, True)
    return _apply_reduction(loss, reduction)


def _apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Quadratic below ``beta``, absolute error above (``beta=0`` is plain L1)."""
    reduction = _resolve(size_average, reduce, reduction)
    _loss.check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_broadcast(input, target)
    if beta == 0.0:
        return _apply_reduction((input - target).abs(), reduction)
    return _loss.smooth_l1_loss(input, target, reduction, beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Quadratic below ``delta``, ``delta``-scaled absolute error above."""
    _loss.check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_broadcast(input, target)
    if weight is not None:
        return _weighted(_loss.huber_loss(input, target, "none", delta), weight, reduction,
                         False)
    return _loss.huber_loss(input, target, reduction, delta)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """BCE between probabilities ``input`` and targets in [0, 1]."""
    reduction = _resolve(size_average, reduce, reduction)
    _loss.check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the "
                         f"input size ({input.shape}) is deprecated. Please ensure they have "
                         "the same size.")
    return _loss.binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE on logits (a sigmoid folded in, numerically stable); ``pos_weight`` per class."""
    reduction = _resolve(size_average, reduce, reduction)
    _loss.check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    return _loss.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


def _xlogx(t: Tensor) -> Tensor:
    """``t * log(t)`` with ``0 log 0 = 0``."""
    if not t.requires_grad:
        data = t._data
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(data == 0, 0, data * np.log(data)).astype(data.dtype, copy=False)
        return tensor_from_array(values)
    # As torch's xlogy: the gradient at t == 0 is nan (0 / 0), the value 0.
    zero = tensor_from_array(t._data == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (t * t.log()).masked_fill(zero, 0.0)


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL divergence ``target * (log(target) - input)`` for log-probabilities ``input``.

    ``reduction="batchmean"`` divides the sum by the batch size (the mathematical KL).
    """
    reduction = _resolve(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction != "batchmean":
        _loss.check_reduction(reduction)
    if not (input.dtype.is_floating_point and target.dtype.is_floating_point):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogx(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.size(0) if input.ndim != 0 else loss.sum()
    return _apply_reduction(loss, reduction)

