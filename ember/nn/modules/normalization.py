"""Normalization layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``, ``GroupNorm``.

Batch norm keeps running statistics in buffers (``running_mean``, ``running_var`` and the
int64 ``num_batches_tracked``), updated while training and used in eval mode. With
``momentum=None`` the running statistics are a cumulative average over all batches seen.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from ... import _dtype as D
from ... import ops
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from .. import _functional_conv as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm"]


def _affine_parameters(module: Module, shape: Any, affine: bool, bias: bool,
                       device: Any, dtype: Any) -> None:
    """Register ``weight`` (and ``bias``), or None for both when not affine."""
    if affine:
        module.weight = Parameter(ops.empty(shape, device=device, dtype=dtype))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(ops.empty(shape, device=device, dtype=dtype))
    else:
        module.register_parameter("bias", None)


def norm_state(module: Module, num_features: int, eps: float, momentum: float | None,
               affine: bool, track_running_stats: bool, device: Any, dtype: Any,
               bias: bool) -> None:
    """The settings, affine parameters and running statistics of a batch or instance norm,
    registered in torch's order (the statistics are None when not tracked)."""
    module.num_features = num_features
    module.eps = eps
    module.momentum = momentum
    module.affine = affine
    module.track_running_stats = track_running_stats
    _affine_parameters(module, num_features, affine, bias, device, dtype)
    if track_running_stats:
        module.register_buffer("running_mean", ops.zeros(num_features, device=device,
                                                         dtype=dtype))
        module.register_buffer("running_var", ops.ones(num_features, device=device,
                                                       dtype=dtype))
        module.register_buffer("num_batches_tracked",
                               ops.tensor(0, dtype=D.int64, device=device))
    else:
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            module.register_buffer(name, None)


class _BatchNorm(Module):
    # Version 2 added ``num_batches_tracked``: older checkpoints load without it.
    _version = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        norm_state(self, num_features, eps, momentum, affine, track_running_stats, device,
                   dtype, bias)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def _plan_load(self, state_dict: Mapping, prefix: str, plan: Any) -> None:
        # A checkpoint from before version 2 (or a plain dict) may lack num_batches_tracked:
        # the module keeps its current count instead of reporting the key missing.
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict:
            metadata = getattr(state_dict, "_metadata", None) or {}
            version = metadata.get(prefix[:-1], {}).get("version")
            if version is None or version < 2:
                state_dict = ChainMap({key: self.num_batches_tracked}, state_dict)
        super()._plan_load(state_dict, prefix, plan)

    def _averaging_factor(self) -> float:
        """This step's weight of the batch statistics in the running ones."""
        if not (self.training and self.track_running_stats and
                self.num_batches_tracked is not None):
            return 0.0 if self.momentum is None else self.momentum
        with no_grad():
            self.num_batches_tracked.add_(1)
        if self.momentum is None:  # cumulative moving average
            return 1.0 / float(self.num_batches_tracked.item())
        return self.momentum

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = self._averaging_factor()
        # Batch statistics while training, or in eval mode when no running ones are kept.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep else None,
                            self.running_var if keep else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input, per channel.

    Args:
        num_features: the number of channels C.
        eps: added to the variance for stability (default 1e-5).
        momentum: weight of each batch in the running statistics (default 0.1); None gives
            a cumulative average.
        affine: learn a per-channel scale (``weight``, ones) and shift (``bias``, zeros).
        track_running_stats: keep running statistics for eval mode; without them eval mode
            also normalizes with batch statistics.

    Example::

        >>> import ember
        >>> from ember import nn
        >>> bn = nn.BatchNorm2d(32)
        >>> bn(ember.randn(8, 32, 14, 14)).shape
        ember.Size([8, 32, 14, 14])
        >>> sorted(bn.state_dict())
        ['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input, per channel; see ``BatchNorm2d``."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class LayerNorm(Module):
    """Normalize over the trailing ``normalized_shape`` dimensions of each sample.

    Example::

        >>> import ember
        >>> from ember import nn
        >>> nn.LayerNorm(10)
        LayerNorm((10,), eps=1e-05, elementwise_affine=True, bias=True)
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalize each group of ``num_channels / num_groups`` channels of each sample.

    Example::

        >>> import ember
        >>> from ember import nn
        >>> nn.GroupNorm(2, 4)(ember.randn(3, 4, 5, 5)).shape
        ember.Size([3, 4, 5, 5])
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, num_channels, affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")
