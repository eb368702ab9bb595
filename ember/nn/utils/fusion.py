"""Folding batch normalisation into the preceding convolution or linear layer.

In eval mode a batch norm is a per-channel affine map, ``y = (x - mean) * scale + shift``
with ``scale = weight / sqrt(running_var + eps)``. Applied after a convolution or linear
layer it can be folded into that layer's weight and bias, saving a pass at inference:
``fuse_conv_bn_eval`` and ``fuse_linear_bn_eval`` return such a fused copy, and the
``*_weights`` functions compute the fused parameters from raw tensors.

>>> from ember import nn
>>> conv, bn = nn.Conv2d(2, 3, 1).eval(), nn.BatchNorm2d(3).eval()
>>> fused = fuse_conv_bn_eval(conv, bn)
>>> x = ember.randn(1, 2, 4, 4)
>>> bool(ember.allclose(fused(x), bn(conv(x)), atol=1e-5))
True
"""

from __future__ import annotations

import copy
from typing import Any

from ... import ops as _ops
from ..._tensor import Tensor
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def _check_eval_with_stats(layer: Module, bn: Module) -> None:
    if layer.training or bn.training:
        raise AssertionError("Fusion only for eval!")


def _check_running_stats(bn: Module) -> None:
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")


def fuse_conv_bn_eval(conv: Any, bn: Module, transpose: bool = False) -> Any:
    """A copy of ``conv`` (eval mode) computing ``bn(conv(x))`` (``bn`` in eval mode).

    ``transpose=True`` is for transposed convolutions, whose output channels are the
    weight's second dimension.
    """
    _check_eval_with_stats(conv, bn)
    fused = copy.deepcopy(conv)
    _check_running_stats(bn)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor,
                         bn_eps: float, bn_w: Tensor | None, bn_b: Tensor | None,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """The weight and bias of a convolution followed by a batch norm with these statistics.

    Missing pieces default to the identity: no conv bias (zeros), no affine ``bn_w`` (ones)
    or ``bn_b`` (zeros). The results keep the convolution's dtypes.
    """
    weight_dtype = conv_w.dtype
    bias_dtype = conv_b.dtype if conv_b is not None else weight_dtype
    if conv_b is None:
        conv_b = _ops.zeros_like(bn_rm)
    if bn_w is None:
        bn_w = _ops.ones_like(bn_rm)
    if bn_b is None:
        bn_b = _ops.zeros_like(bn_rm)
    inv_std = _ops.rsqrt(bn_rv + bn_eps)
    # One scale per output channel: dim 0 of a conv weight, dim 1 of a transposed one.
    trailing = [1] * (conv_w.ndim - 2)
    shape = [1, -1, *trailing] if transpose else [-1, 1, *trailing]
    fused_w = (conv_w * (bn_w * inv_std).reshape(shape)).to(dtype=weight_dtype)
    fused_b = ((conv_b - bn_rm) * inv_std * bn_w + bn_b).to(dtype=bias_dtype)
    return (Parameter(fused_w, conv_w.requires_grad), Parameter(fused_b, conv_b.requires_grad))


def fuse_linear_bn_eval(linear: Any, bn: Module) -> Any:
    """A copy of ``linear`` (eval mode) computing ``bn(linear(x))`` (``bn`` in eval mode).

    The batch norm must have ``linear.out_features`` features, or a single one.
    """
    _check_eval_with_stats(linear, bn)
    fused = copy.deepcopy(linear)
    if not (linear.out_features == bn.num_features or bn.num_features == 1):
        raise AssertionError(
            "To fuse, linear.out_features == bn.num_features or bn.num_features == 1, "
            f"got linear.out_features={linear.out_features} and "
            f"bn.num_features={bn.num_features}")
    _check_running_stats(bn)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor,
                           bn_rv: Tensor, bn_eps: float, bn_w: Tensor,
                           bn_b: Tensor) -> tuple[Parameter, Parameter]:
    """The weight and bias of a linear layer followed by a batch norm with these statistics."""
    weight_dtype = linear_w.dtype
    bias_dtype = linear_b.dtype if linear_b is not None else weight_dtype
    if linear_b is None:
        linear_b = _ops.zeros_like(bn_rm)
    scale = bn_w * _ops.rsqrt(bn_rv + bn_eps)
    fused_w = linear_w * scale.unsqueeze(-1).to(dtype=weight_dtype)
    fused_b = ((linear_b - bn_rm) * scale + bn_b).to(dtype=bias_dtype)
    return (Parameter(fused_w, linear_w.requires_grad),
            Parameter(fused_b, linear_b.requires_grad))
