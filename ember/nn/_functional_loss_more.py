"""Margin losses over classes and labels, the triplet loss with any distance and the
CTC loss (``ember.nn.functional``).

The margin losses are compositions of tensor ops (gather, clamp, sums), so autograd comes
from the composed ops; the class targets are read on the host to build constant masks. The
CTC loss runs its alignment recursions on the host, with a backward node of its own.

>>> import ember
>>> x = ember.tensor([[0.1, 0.5, 0.3]])
>>> multi_margin_loss(x, ember.tensor([1]))
tensor(0.4667)
>>> lp = ember.full((3, 2), 0.5).log()  # 3 frames of 2 classes, class 0 the blank
>>> ctc_loss(lp, ember.tensor([1]), [3], [1], reduction="sum")
tensor(0.2877)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import _dtype as D
from .. import ops
from .._tensor import Tensor, tensor_from_array
from ..ops import loss_ops as _loss
from . import _ctc
from ._functional_activation import logsigmoid
from ._functional_distance import pairwise_distance
from ._functional_loss import _apply_reduction, _resolve

__all__ = ["multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
           "triplet_margin_with_distance_loss", "ctc_loss"]


def _checked_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    reduction = _resolve(size_average, reduce, reduction)
    _loss.check_reduction(reduction)
    return reduction


def _check_margin_input(input: Tensor) -> None:
    """A vector, or a matrix of non-empty rows (a batch of 0 rows is allowed)."""
    shape = tuple(input.shape)
    if not ((len(shape) <= 1 and input.numel() > 0) or (len(shape) == 2 and shape[1] > 0)):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(shape)}")


def _check_dtype(t: Tensor, expected: Tensor) -> None:
    if t.dtype != expected.dtype:
        raise RuntimeError(f"expected scalar type {D.scalar_type_name(expected.dtype)} but "
                           f"found {D.scalar_type_name(t.dtype)}")


def _check_kernel_dtype(input: Tensor, kernel: str) -> None:
    """The margin kernels exist for float32 and float64 only."""
    if input._data.dtype.kind != "f" or input._data.dtype.itemsize < 4:
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{D.scalar_type_name(input.dtype)}'")


def _check_long(target: Tensor) -> None:
    if target._data.dtype != np.int64:
        raise RuntimeError("expected scalar type Long but found "
                           f"{D.scalar_type_name(target.dtype)}")


def _check_multi_margin(input: Tensor, target: Tensor, weight: Tensor | None) -> int:
    """torch's checks, in torch's order; returns the number of classes."""
    _check_margin_input(input)
    classes = input.shape[-1] if input.dim() else 1
    batch = input.shape[0] if input.dim() == 2 else 1
    if target.dim() > 1 or target.numel() != batch:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to "
                           "the number of input samples (batch size). Expected target size "
                           f"[{batch}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    if weight is not None and (weight.dim() != 1 or weight.numel() != classes):
        raise RuntimeError(f"inconsistent weight size, expected {classes} but got "
                           f"{list(weight.shape)}")
    _check_long(target)
    if weight is not None:
        _check_dtype(weight, input)
    _check_kernel_dtype(input, "multi_margin_loss_cpu_kernel")
    labels = target._numpy_host()
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise RuntimeError("target out of range")
    return classes


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: per sample, ``sum over j != y of
    w[y] * max(0, margin - x[y] + x[j])^p / C`` (``p`` is 1 or 2)."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    classes = _check_multi_margin(input, target, weight)
    rows = input.reshape(-1, classes)
    labels = target.reshape(-1, 1)
    hinge = (margin - rows.gather(1, labels) + rows).clamp(min=0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight[target.reshape(-1)].unsqueeze(1)
    # The true class always scores exactly ``margin``: it is left out of the sum.
    own_class = np.arange(classes) == labels._numpy_host()
    hinge = hinge.masked_fill(tensor_from_array(own_class), 0)
    loss = hinge.sum(1) / classes
    loss = loss.reshape(tuple(target.shape)) if input.dim() < 2 else loss
    return _apply_reduction(loss, reduction)


def _check_multilabel(input: Tensor, target: Tensor) -> np.ndarray:
    _check_margin_input(input)
    if tuple(target.shape) != tuple(input.shape) and not (
            input.dim() == 0 and target.numel() == 1):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of "
                           f"size: {list(input.shape)}")
    _check_long(target)
    _check_kernel_dtype(input, "multilabel_margin_loss_forward_out_frame")
    labels = target._numpy_host().reshape(-1, input.shape[-1] if input.dim() else 1)
    if labels.size and (labels.min() < -1 or labels.max() >= labels.shape[1]):
        raise RuntimeError("argument #2 'target' is out of range")
    return labels


def _target_prefix(labels: np.ndarray) -> np.ndarray:
    """Which target entries count: those before the first -1 of their row."""
    return np.cumprod(labels != -1, axis=1).astype(bool)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                           reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss. Each row of ``target`` lists the sample's classes, ended by
    the first -1; every (listed class j, unlisted class i) pair adds
    ``max(0, 1 - (x[j] - x[i])) / C``."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    labels = _check_multilabel(input, target)
    classes = labels.shape[1]
    rows = input.reshape(-1, classes)
    counted = _target_prefix(labels)
    is_target = np.zeros(labels.shape, dtype=bool)
    sample, position = np.nonzero(counted)
    is_target[sample, labels[sample, position]] = True
    others = tensor_from_array((~is_target).astype(input._data.dtype))
    loss = rows.sum(1) * 0
    # One pass per target position (rarely more than a few), each over all samples at once;
    # a listed class appearing twice counts twice.
    for k in range(int(counted.sum(1).max(initial=0))):
        position = tensor_from_array(np.where(counted[:, k], labels[:, k], 0)[:, None])
        valid = tensor_from_array(counted[:, k].astype(input._data.dtype))
        hinge = (1 - rows.gather(1, position) + rows).clamp(min=0) * others
        loss = loss + hinge.sum(1) * valid
    loss = loss / classes
    loss = loss.reshape(()) if input.dim() < 2 else loss
    return _apply_reduction(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """Per-class logistic loss ``-(y log sigmoid(x) + (1 - y) log sigmoid(-x))``, optionally
    weighted, averaged over the classes (last dim) of each sample."""
    if size_average is not None or reduce is not None:
        reduction = _resolve(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    return _apply_reduction(loss, reduction)


def triplet_margin_with_distance_loss(
        anchor: Tensor, positive: Tensor, negative: Tensor, *,
        distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
        margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` for any distance ``d`` (default: the
    Euclidean ``pairwise_distance``); ``swap`` uses the closer of ``d(a, n)``, ``d(p, n)``."""
    _loss.check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {dims[0]}D, positive "
                           f"{dims[1]}D, and negative {dims[2]}D inputs")
    distance = pairwise_distance if distance_function is None else distance_function
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = ops.minimum(dist_neg, distance(positive, negative))
    return _apply_reduction(ops.clamp_min(margin + dist_pos - dist_neg, 0.0), reduction)


_REDUCTION_CODES = {"none": 0, "mean": 1, "sum": 2}


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Tensor | Sequence[int],
             target_lengths: Tensor | Sequence[int], blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist Temporal Classification loss: ``-log`` of the total probability of
    all alignments of each target sequence to its frames.

    Args:
        log_probs: ``(T, N, C)`` or unbatched ``(T, C)`` log-probabilities (log-softmax
            outputs: the gradient assumes them).
        targets: padded ``(N, S)`` or all targets concatenated, ``(sum(target_lengths),)``.
        input_lengths, target_lengths: ``N`` lengths each, as int sequences or int tensors.
        blank: the blank class.
        reduction: ``"mean"`` (each loss over its target length clamped to 1, then the
            batch mean), ``"sum"`` or ``"none"``.
        zero_infinity: impossible alignments (infinite losses) give 0 and no gradient.
    """
    _loss.check_reduction(reduction)
    input_lengths, target_lengths = _ctc.parse_lengths(
        log_probs, targets, input_lengths, target_lengths, blank,
        _REDUCTION_CODES[reduction], zero_infinity)
    blank = int(blank)
    batched = log_probs.dim() == 3
    frames = log_probs if batched else log_probs.unsqueeze(1)
    padded = _ctc.checked_targets(frames, targets, input_lengths, target_lengths, blank)
    losses = _ctc.ctc_losses(frames, padded, input_lengths, target_lengths, blank,
                             bool(zero_infinity))
    if zero_infinity:
        zero = ops.zeros((), dtype=losses.dtype, device=losses.device)
        losses = ops.where(losses == float("inf"), zero, losses)
    if reduction == "mean":
        divisors = np.maximum(target_lengths, 1).astype(losses._data.dtype)
        return (losses / tensor_from_array(divisors).to(losses.device)).mean()
    if reduction == "sum":
        return losses.sum()
    return losses if batched else losses.squeeze(0)
