"""Margin losses over classes and labels, the triplet loss with any distance and the CTC
loss: layers that keep their options (class weights as buffers) and call
``ember.nn.functional``.

>>> import ember
>>> from ember import nn
>>> loss = nn.MultiLabelSoftMarginLoss()
>>> loss(ember.zeros(2, 3), ember.ones(2, 3))
tensor(0.6931)
>>> ctc = nn.CTCLoss(reduction="sum")
>>> ctc(ember.full((3, 1, 2), 0.5).log(), ember.tensor([[1]]), [3], [1])
tensor(0.2877)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..._tensor import Tensor
from .. import functional as F
from .distance import PairwiseDistance
from .loss import _Loss, _WeightedLoss

__all__ = ["MultiMarginLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
           "TripletMarginWithDistanceLoss", "CTCLoss"]


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss of scores ``(N, C)`` or ``(C,)`` against class indices.

    Args:
        p: 1 (hinge) or 2 (squared hinge).
        margin: how far the true class must score above every other class.
        weight: per-class rescaling, shape ``(C,)``, applied by the true class.
        reduction: ``"mean"`` over samples, ``"sum"`` or ``"none"``.
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                 size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got "
                             f"{weight.dim()}D instead")
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss; each target row lists its classes, ended by the first -1."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Per-class logistic loss on logits against 0/1 targets, averaged over the classes."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """Triplet loss ``max(d(a, p) - d(a, n) + margin, 0)`` with any distance function.

    Args:
        distance_function: ``d(x1, x2)``, one distance per sample (default: Euclidean
            ``PairwiseDistance``, a submodule like any Module given here).
        margin: a positive number.
        swap: use ``min(d(a, n), d(p, n))`` as the negative distance.
    """

    def __init__(self, *, distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
                 margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(size_average=None, reduce=None, reduction=reduction)
        if margin <= 0:
            raise ValueError("TripletMarginWithDistanceLoss: expected margin to be greater "
                             f"than 0, got {margin} instead")
        self.distance_function = (distance_function if distance_function is not None
                                  else PairwiseDistance())
        self.margin = margin
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)



class CTCLoss(_Loss):
    """Connectionist Temporal Classification loss between frame log-probabilities
    ``(T, N, C)`` (or ``(T, C)``) and unaligned target sequences.

    Args:
        blank: the blank class.
        reduction: ``"mean"`` (each loss over its target length, then the batch mean),
            ``"sum"`` or ``"none"``.
        zero_infinity: impossible alignments give a zero loss and no gradient.
    """

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor,
                input_lengths: Tensor | Sequence[int],
                target_lengths: Tensor | Sequence[int]) -> Tensor:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                          self.reduction, self.zero_infinity)
