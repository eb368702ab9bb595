"""Similarity, distance and the embedding/ranking losses of ``ember.nn.functional``.

All are compositions of tensor ops, as most are in torch, so autograd comes from the
composed ops and ``grad_fn`` is that of the last one (``SumBackward1``, ``MeanBackward0``,
...); torch's own composition can end in another node name.

>>> import ember
>>> cosine_similarity(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 1.0]]))
tensor([0.7071])
"""

from __future__ import annotations

import math

from .. import ops
from .._tensor import Tensor
from ..ops import loss_ops as _loss
from ._functional_loss import _apply_reduction, _resolve

__all__ = ["cosine_similarity", "pairwise_distance", "triplet_margin_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
           "soft_margin_loss", "poisson_nll_loss", "gaussian_nll_loss"]


def _reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    reduction = _resolve(size_average, reduce, reduction)
    _loss.check_reduction(reduction)
    return reduction


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcast).

    Each vector is divided by its norm clamped to ``eps`` before the dot product, so that
    a zero vector gives similarity 0 instead of 0/0.
    """
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """p-norm of ``x1 - x2 + eps`` over the last dim (``eps`` keeps the norm's gradient
    finite for equal vectors)."""
    dim = -1 if max(x1.dim(), x2.dim()) > 0 else 0
    return (x1 - x2 + eps).norm(p, dim, keepdim=keepdim)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)``; ``swap`` uses the closer of d(a, n), d(p, n)."""
    reduction = _reduction(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _apply_reduction((margin + d_pos - d_neg).clamp(min=0), reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``max(-target * (input1 - input2) + margin, 0)``."""
    reduction = _reduction(size_average, reduce, reduction)
    return _apply_reduction((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``input`` where target is 1, ``max(margin - input, 0)`` where it is -1."""
    reduction = _reduction(size_average, reduce, reduction)
    zeros = ops.zeros_like(input)
    with_margin = ops.where(target != 1, (margin - input).clamp(min=0), zeros)
    as_is = ops.where(target != -1, input, zeros)
    return _apply_reduction(as_is + with_margin, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos`` where target is 1, ``max(cos - margin, 0)`` where it is -1."""
    reduction = _reduction(size_average, reduce, reduction)
    dim = input1.dim() - 1
    # a small constant in each squared norm keeps zero vectors away from 0/0
    mag = ((input1 * input1).sum(dim) + 1e-12) * ((input2 * input2).sum(dim) + 1e-12)
    cos = (input1 * input2).sum(dim) / mag.sqrt()
    zeros = ops.zeros_like(cos)
    pos = ops.where(target == 1, 1 - cos, zeros)
    neg = ops.where(target == -1, (cos - margin).clamp(min=0), zeros)
    return _apply_reduction(pos + neg, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-target * input))``."""
    reduction = _reduction(size_average, reduce, reduction)
    return _apply_reduction((-target * input).exp().log1p(), reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under a Poisson of rate ``exp(input)``
    (``log_input``) or ``input``; ``full`` adds Stirling's term for targets above 1."""
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # Stirling's approximation of log(target!), zero where target <= 1; those targets
        # are replaced by 1 first so that 0 * log(0) never produces a NaN to mask afterwards
        small = target <= 1
        safe = target.masked_fill(small, 1)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + stirling.masked_fill(small, 0)
    return _apply_reduction(loss, reduction)


def _gaussian_var(input: Tensor, var: Tensor | float) -> Tensor:
    """``var`` shaped against ``input``: same shape, one dim fewer, or a last dim of 1; one
    float is that variance for every element."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        return var * ops.ones_like(input)
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if bool((var.detach() < 0).any()):
        raise ValueError("var has negative entry/entries")
    return var


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under a Gaussian of mean ``input`` and variance
    ``var``; ``full`` adds the constant ``log(2 pi) / 2``."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = _gaussian_var(input, var)
    # var is clamped to eps for stability, but the clamp lets the gradient through unchanged
    # (torch clamps it in place without recording the op)
    var = var + (var.detach().clamp(min=eps) - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)
