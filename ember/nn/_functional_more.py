"""Functional instance/RMS/local-response norms, pixel and channel shuffles, alpha dropout.

All of these are composed from differentiable ember ops (batch norm, pooling, arithmetic),
so their gradients, double backward included, come from those ops.

>>> import ember
>>> x = ember.tensor([[3.0, 4.0]])
>>> rms_norm(x, [2])
tensor([[0.8485, 1.1314]])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import ops
from .._random import numpy_rng
from .._tensor import Tensor, tensor_from_array
from ..autograd.grad_mode import no_grad
from ..ops.normalization import batch_norm
from ..ops.padding import pad
from ..ops.pooling import avg_pool2d
from ._functional_shuffle import *  # noqa: F403
from ._functional_shuffle import __all__ as _shuffle_all

__all__ = ["instance_norm", "rms_norm", "local_response_norm", "alpha_dropout",
           "feature_alpha_dropout", *_shuffle_all]

# SELU's negative saturation value, -scale * alpha: where alpha dropout sends dropped units
_SELU_SATURATION = 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


# -- instance norm ---------------------------------------------------------------------------
def _repeated(t: Tensor | None, times: int, dtype: object = None) -> Tensor | None:
    """``t`` repeated ``times`` times (one copy per sample), optionally cast."""
    if t is None:
        return None
    out = t.repeat(times)
    return out if dtype is None else out.to(dtype)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel of each sample over its spatial dimensions.

    This is batch norm on the input seen as one sample of ``N * C`` channels. Given running
    statistics, each is updated with the average over the samples of their statistics
    (``(1 - momentum) * running + momentum * mean_n(stat)``, unbiased variance); with
    ``use_input_stats=False`` the running statistics normalize instead.
    """
    shape = tuple(input.shape)
    if use_input_stats and math.prod(shape[2:]) == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    n, c = shape[0], shape[1]
    flat = input.contiguous().view(1, n * c, *shape[2:])
    # the per-sample copies of the statistics are updated by batch norm, then averaged back;
    # they take the input's dtype, as batch norm needs
    stats = [_repeated(t if t is None else t.detach(), n, input.dtype)
             for t in (running_mean, running_var)]
    out = batch_norm(flat, stats[0], stats[1], _repeated(weight, n), _repeated(bias, n),
                     use_input_stats, momentum, eps)
    if use_input_stats:
        with no_grad():
            for running, updated in zip((running_mean, running_var), stats):
                if running is not None:
                    running.copy_(updated.view(n, c).mean(0))
    return out.view(*shape)


# -- RMS norm --------------------------------------------------------------------------------
def _check_rms_norm(shape: tuple, norm: tuple, weight: Tensor | None) -> None:
    if not norm:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    if weight is not None and tuple(weight.shape) != norm:
        raise RuntimeError("Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(norm)}")
    if len(shape) < len(norm):
        raise ValueError(f"Input tensor must have at least {len(norm)} dimensions, but got "
                         f"{len(shape)}")
    if shape[len(shape) - len(norm):] != norm:
        raise RuntimeError(f"Given normalized_shape={list(norm)}, expected input with shape "
                           f"[*{', '.join(map(str, norm))}], but got input of size"
                           f"{list(shape)}")


def rms_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Divide by the root mean square over the trailing ``normalized_shape`` dimensions
    (plus ``eps``, by default the input dtype's machine epsilon), then scale by ``weight``."""
    if not isinstance(normalized_shape, Sequence):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple "
                        f"of ints, not {type(normalized_shape).__name__}")
    norm = tuple(int(s) for s in normalized_shape)
    _check_rms_norm(tuple(input.shape), norm, weight)
    # half precision is computed in float32 (its default eps too) and rounded back once
    half = input._data.dtype == np.float16
    x = input.float() if half else input
    if eps is None:
        eps = ops.finfo(x.dtype).eps
    dims = tuple(range(-len(norm), 0))
    out = x * (x.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if half:
        return out.to(input.dtype)
    return out.contiguous()  # a result laid out like a transposed input is copied dense


# -- local response norm ---------------------------------------------------------------------
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Divide each value by ``(k + alpha * mean of x^2 over size neighbouring channels)^beta``.

    The window of channel ``c`` spans channels ``c - size // 2`` to ``c + (size - 1) // 2``;
    channels beyond the edges count as zeros.
    """
    dim = input.dim()
    if dim < 3:
        raise ValueError("Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    sizes = tuple(input.shape)
    # the squares as one-channel images of (channels, positions): a (size, 1) average pool
    # over the zero-padded channel axis sums each window
    squares = input.mul(input)
    if dim > 3:  # a view that merges the dimensions past the third, as torch's does
        squares = squares.view(sizes[0], 1, sizes[1], sizes[2], -1)
    squares = squares.reshape(sizes[0], 1, sizes[1], -1)
    squares = pad(squares, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(squares, (size, 1), stride=1).squeeze(1).reshape(sizes)
    return input / div.mul(alpha).add(k).pow(beta)


# -- alpha dropout ---------------------------------------------------------------------------
def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                   feature: bool) -> Tensor:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = tensor_from_array(np.zeros((), dtype=input._data.dtype))
        return input.mul_(zero) if inplace else input * zero
    data = input._data
    if feature and data.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if data.dtype.kind != "f":
        raise RuntimeError("result type Float can't be cast to the desired output type "
                           f"{input.dtype._legacy[:-len('Tensor')]}")
    shape = data.shape[:2] + (1,) * (data.ndim - 2) if feature else data.shape
    keep = (numpy_rng(None).random(shape, dtype=np.float32) >= p).astype(np.float64)
    # kept units become a * x + b, dropped ones the constant a * (-alpha) + b, where a and b
    # restore zero mean and unit variance for zero-mean, unit-variance input
    alpha = _SELU_SATURATION
    a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    scale = tensor_from_array((keep * a).astype(data.dtype))
    shift = tensor_from_array(((keep - 1) * (alpha * a) + alpha * a * p).astype(data.dtype))
    if inplace:
        return input.mul_(scale).add_(shift)
    return input * scale + shift


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped units take SELU's negative saturation value and
    an affine map keeps the mean and variance; the identity out of training."""
    return _alpha_dropout(input, p, training, inplace, feature=False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """``alpha_dropout`` of whole channels (dimension 1) of each sample."""
    return _alpha_dropout(input, p, training, inplace, feature=True)
