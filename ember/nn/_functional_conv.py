"""Functional forms of the convolutional-network layers (re-exported by ``nn.functional``).

Convolution, pooling, normalization, padding, resizing and embedding are tensor ops whose
forward and backward live in ``ember.ops`` (conv, pooling, normalization, padding,
embedding); this module gathers them under their ``torch.nn.functional`` names and adds the
channel-wise dropouts, which are plain ember ops (``input * mask``).

>>> import ember
>>> import ember.nn.functional as F
>>> x = ember.randn(2, 3, 8, 8)
>>> F.max_pool2d(F.relu(F.conv2d(x, ember.randn(4, 3, 3, 3), padding=1)), 2).shape
ember.Size([2, 4, 4, 4])
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._random import numpy_rng
from .._tensor import Tensor, tensor_from_array
from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ..ops.embedding import embedding
from ..ops.normalization import batch_norm, group_norm, layer_norm
from ..ops.padding import interpolate, pad
from ..ops import pooling as _pooling
from ..ops.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,
                           adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d)

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d",
           "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d",
           "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "batch_norm", "layer_norm", "group_norm", "dropout1d",
           "dropout2d", "embedding", "pad", "interpolate"]


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple:
    """``(values, indices)`` of 1-d max pooling, whatever ``return_indices`` says."""
    return _pooling.max_pool1d_with_indices(input, kernel_size, stride, padding, dilation,
                                            ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple:
    """``(values, indices)`` of 2-d max pooling, whatever ``return_indices`` says."""
    return _pooling.max_pool2d_with_indices(input, kernel_size, stride, padding, dilation,
                                            ceil_mode, True)


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    """Zero whole channels: one keep/drop draw per (sample, channel), scaled by 1/(1-p)."""
    if not training or p == 0.0 or input._data.size == 0:
        return input
    data = input._data
    shape = data.shape[:2] + (1,) * (data.ndim - 2)
    if p == 1.0:
        mask = np.zeros(shape, dtype=data.dtype)
    else:
        _check_feature_input(input)
        keep = numpy_rng(None).random(shape) >= p
        mask = keep.astype(data.dtype) / data.dtype.type(1.0 - p)
    mask_t = tensor_from_array(mask)
    return input.mul_(mask_t) if inplace else input * mask_t


def _check_feature_input(input: Tensor) -> None:
    """A scaled mask needs channels to draw over and a floating-point input to scale."""
    data = input._data
    if data.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if data.dtype.kind != "f":
        name = input.dtype._legacy[:-len("Tensor")]
        raise RuntimeError(f"result type Float can't be cast to the desired output type {name}")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero entire channels of (N, C, H, W) or (C, H, W) input with probability ``p``.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.dropout2d(ember.ones(1, 2, 2, 2), training=False).sum()
    tensor(8.)
    """
    _check_p(p)
    nd = input._data.ndim
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change in "
                      "a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", stacklevel=2)
    elif nd != 4:
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that dropout2d "
                      "exists to provide channel-wise dropout on inputs with 2 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. "
                      "3D or 4D inputs).", stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero entire channels of (N, C, L) or (C, L) input with probability ``p``."""
    _check_p(p)
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. "
                           "Note that dropout1d exists to provide channel-wise dropout on "
                           "inputs with 1 spatial dimension, a channel dimension, and an "
                           "optional batch dimension (i.e. 2D or 3D inputs).")
    if not training or p == 0.0:
        return input
    if nd == 2:  # unbatched (C, L): each channel is one feature
        out = _feature_dropout(input.unsqueeze(0), p, training, inplace)
        return input if inplace else out.squeeze(0)
    return _feature_dropout(input, p, training, inplace)
