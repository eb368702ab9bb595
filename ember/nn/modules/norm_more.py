"""Instance, RMS and local-response normalisation layers.

``InstanceNorm1d/2d/3d`` normalize each channel of each sample over its spatial positions
(optionally with a learned per-channel affine map and running statistics for eval mode);
``RMSNorm`` divides by the root mean square over the trailing dimensions; and
``LocalResponseNorm`` / ``CrossMapLRN2d`` divide by a power of the summed squares of
neighbouring channels.

>>> import ember
>>> from ember import nn
>>> norm = nn.InstanceNorm1d(3, affine=True)
>>> norm
InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=False)
>>> norm(ember.randn(2, 3, 5)).shape
ember.Size([2, 3, 5])
"""

from __future__ import annotations

import numbers
import warnings
from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from ... import ops
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ._cross_map_lrn import CrossMapLRN2d
from .module import Module
from .normalization import _BatchNorm, norm_state

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "RMSNorm",
           "LocalResponseNorm", "CrossMapLRN2d"]


class _InstanceNorm(Module):
    """Statistics per (sample, channel); parameters and running statistics per channel.

    The parameters and buffers are batch norm's (same names, order and initial values),
    but: no affine map and no running statistics by default, and ``num_batches_tracked``
    (registered when tracking) is never incremented. Not a batch-norm layer: utilities that
    reset batch-norm statistics leave these alone.
    """

    _version = 2
    spatial_dims = 1

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        norm_state(self, num_features, eps, momentum, affine, track_running_stats, device,
                   dtype, bias)
        self.reset_parameters()

    # the same resets, checkpoint loading and text as batch norm's
    reset_running_stats = _BatchNorm.reset_running_stats
    reset_parameters = _BatchNorm.reset_parameters
    extra_repr = _BatchNorm.extra_repr

    def _plan_load(self, state_dict: Mapping, prefix: str, plan: Any) -> None:
        # checkpoints from before version 2 may lack num_batches_tracked (as in batch norm)
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict:
            metadata = getattr(state_dict, "_metadata", None) or {}
            version = metadata.get(prefix[:-1], {}).get("version")
            if version is None or version < 2:
                state_dict = ChainMap({key: self.num_batches_tracked}, state_dict)
        super()._plan_load(state_dict, prefix, plan)

    def _check_input_dim(self, input: Tensor) -> None:
        unbatched = self.spatial_dims + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise ValueError(f"expected {unbatched}D or {unbatched + 1}D input (got "
                             f"{input.dim()}D input)")

    def _apply_instance_norm(self, input: Tensor) -> Tensor:
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               0.0 if self.momentum is None else self.momentum, self.eps)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        unbatched = input.dim() == self.spatial_dims + 1
        feature_dim = 0 if unbatched else 1
        channels = input.shape[feature_dim]
        if channels != self.num_features:
            # without affine parameters num_features is unused, so a mismatch only warns
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: {channels}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. "
                          "You can silence this warning by not passing in num_features, "
                          "which is not used because affine=False", stacklevel=2)
        if unbatched:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or unbatched (C, L) input.

    Args:
        num_features: the number of channels C.
        eps: added to the variance for stability (default 1e-5).
        momentum: weight of each batch in the running statistics (default 0.1).
        affine: learn a per-channel scale (``weight``) and shift (``bias``); default False.
        track_running_stats: keep running statistics and normalize with them in eval mode;
            default False (each sample's own statistics always).
    """

    spatial_dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W) input; see ``InstanceNorm1d``."""

    spatial_dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or (C, D, H, W) input; see
    ``InstanceNorm1d``."""

    spatial_dims = 3


class RMSNorm(Module):
    """``x / sqrt(mean(x^2) + eps) * weight`` over the trailing ``normalized_shape`` dims.

    ``eps=None`` uses the machine epsilon of the input's dtype. ``weight`` (ones) is learned
    when ``elementwise_affine``.
    """

    def __init__(self, normalized_shape: Any, eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ops.empty(self.normalized_shape, device=device,
                                              dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """Divide by ``(k + alpha / size * sum of x^2 over size neighbouring channels)^beta``
    (input of 3 or more dimensions, channels in dimension 1)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
