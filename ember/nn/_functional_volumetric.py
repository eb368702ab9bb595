"""Functional 3-D convolution and pooling, LP pooling and max unpooling.

The 3-d convolutions and poolings are tensor ops of ``ember.ops.volumetric`` and
``ember.ops._volumetric_pool``; LP (power-average) pooling is composed from average pooling
of ``x ** p`` and plain tensor ops, so its gradient comes from autograd; max unpooling puts
each pooled value back at the index max pooling returned for it.

>>> import ember
>>> import ember.nn.functional as F
>>> x = ember.randn(1, 2, 4, 4, 4)
>>> y, idx = F.max_pool3d(F.conv3d(x, ember.randn(3, 2, 1, 1, 1)), 2, return_indices=True)
>>> F.max_unpool3d(y, idx, 2).shape
ember.Size([1, 3, 4, 4, 4])
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..ops._volumetric_pool import (adaptive_avg_pool3d, adaptive_max_pool3d,
                                    adaptive_max_pool3d_with_indices, avg_pool3d, max_pool3d,
                                    max_pool3d_with_indices, max_unpool)
from ..ops.volumetric import conv3d, conv_transpose3d
from . import _functional_conv as _F

__all__ = ["conv3d", "conv_transpose3d", "max_pool3d", "max_pool3d_with_indices", "avg_pool3d",
           "adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices", "dropout3d",
           "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d",
           "max_unpool3d"]


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple:
    """Adaptive 1-d max pooling returning ``(values, indices)`` whatever ``return_indices``."""
    return _F.adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple:
    """Adaptive 2-d max pooling returning ``(values, indices)`` whatever ``return_indices``."""
    return _F.adaptive_max_pool2d(input, output_size, True)


# -- channel-wise dropout ---------------------------------------------------------------------
def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero entire channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``
    (kept channels are scaled by 1/(1-p)).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.dropout3d(ember.ones(1, 2, 2, 2, 2), training=False).sum()
    tensor(16.)
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    nd = input._data.ndim
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that dropout3d "
                      "exists to provide channel-wise dropout on inputs with 3 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. "
                      "4D or 5D inputs).", stacklevel=2)
    if nd == 5:
        return _F._feature_dropout(input, p, training, inplace)
    # anything else is taken as one unbatched sample: its first axis holds the channels
    out = _F._feature_dropout(input.unsqueeze(0), p, training, inplace)
    return input if inplace else out.squeeze(0)


# -- LP pooling -------------------------------------------------------------------------------
def _sizes(v: Any, n: int) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


def _lp_pool(input: Tensor, norm_type: float, kernel_size: Any, stride: Any, ceil_mode: bool,
             dims: int) -> Tensor:
    """``(sum over each window of x ** p) ** (1 / p)``, from the average pooling of ``x ** p``
    times the window size.

    A window whose power sum is exactly 0 gets a zero gradient (the root's derivative is
    infinite there); the sum itself is kept as it is, so a negative one (odd ``p`` and
    negative inputs) gives the root's NaN, as torch computes it."""
    max_pool = (_F.max_pool1d, _F.max_pool2d, max_pool3d)[dims - 1]
    avg_pool = (_F.avg_pool1d, _F.avg_pool2d, avg_pool3d)[dims - 1]
    if norm_type == math.inf:
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    area = int(np.prod(_sizes(kernel_size, dims)))
    powered = input.pow(norm_type)
    if stride is None:
        out = avg_pool(powered, kernel_size, padding=0, ceil_mode=ceil_mode)
    else:
        out = avg_pool(powered, kernel_size, stride, 0, ceil_mode)
    # masked_fill leaves the values as they are and only stops the infinite gradient
    return out.masked_fill(out == 0, 0.0).mul(area).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, L) or (C, L) input: the ``norm_type``-norm of each
    window (``inf`` gives max pooling of ``|x|``)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, H, W) or (C, H, W) input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.lp_pool2d(ember.full((1, 1, 2, 2), 2.0), 2, 2)
    tensor([[[[4.]]]])
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, D, H, W) or (C, D, H, W) input."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)


# -- max unpooling ----------------------------------------------------------------------------
def _unpool_size(input: Tensor, kernel: tuple, stride: tuple, padding: tuple,
                 output_size: Any) -> list:
    """The spatial output size: the pooled input's own by default, or ``output_size`` (which
    may include the batch and channel sizes) when it is within a stride of that."""
    n = len(kernel)
    if input._data.ndim < n:
        raise IndexError("tuple index out of range")
    spatial = input._data.shape[-n:]
    default = [(spatial[d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(n)]
    size = default
    if output_size is not None:
        if len(output_size) == n + 2:
            output_size = output_size[2:]
        if len(output_size) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for d in range(n):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < output_size[d] < high:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                                 f"{low} and {high})")
        size = output_size
    for d in range(n):
        if size[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={size[d]}")
    return [int(s) for s in size]


def _unpool_args(kernel_size: Any, stride: Any, padding: Any, n: int) -> tuple:
    kernel = _sizes(kernel_size, n)
    return kernel, kernel if stride is None else _sizes(stride, n), _sizes(padding, n)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Inverse of ``max_pool1d``: each value goes back to its index, zeros elsewhere."""
    kernel, stride, padding = _unpool_args(kernel_size, stride, padding, 1)
    size = _unpool_size(input, kernel, stride, padding, output_size)
    return max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), (size[0], 1), 2).squeeze(-1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Inverse of ``max_pool2d`` over (N, C, H, W) or (C, H, W) input."""
    kernel, stride, padding = _unpool_args(kernel_size, stride, padding, 2)
    size = _unpool_size(input, kernel, stride, padding, output_size)
    return max_unpool(input, indices, tuple(size), 2)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Inverse of ``max_pool3d`` over (N, C, D, H, W) or (C, D, H, W) input."""
    kernel, stride, padding = _unpool_args(kernel_size, stride, padding, 3)
    size = _unpool_size(input, kernel, stride, padding, output_size)
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"strides should be greater than zero, but got stride: "
                           f"{list(stride)}")
    return max_unpool(input, indices, tuple(size), 3)
