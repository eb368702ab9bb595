"""Three-dimensional convolution, pooling and normalisation layers, LP pooling and max unpooling.

The 3-d layers take (N, C, D, H, W) input (or unbatched (C, D, H, W)): volumes such as video
clips or medical scans. ``Conv3d`` / ``ConvTranspose3d`` share the convolution base of the
1-d and 2-d layers (same parameters, initialisation and ``repr``), ``BatchNorm3d`` and
``Dropout3d`` those of batch norm and channel dropout. LP pooling takes the ``p``-norm of
each window; max unpooling puts the values max pooling kept back where they came from.

Example::

    >>> import ember
    >>> from ember import nn
    >>> net = nn.Sequential(nn.Conv3d(1, 4, 3, padding=1), nn.BatchNorm3d(4), nn.MaxPool3d(2))
    >>> net(ember.randn(2, 1, 8, 8, 8)).shape
    ember.Size([2, 4, 4, 4, 4])
"""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from .. import _functional_conv as _F
from .. import _functional_volumetric as F
from .conv import _Conv, _ConvTranspose
from .dropout import _DropoutNd
from .module import Module
from .normalization import _BatchNorm
from .pooling import AvgPool2d, _AdaptivePool, _MaxPoolNd

__all__ = ["Conv3d", "ConvTranspose3d", "BatchNorm3d", "Dropout3d", "MaxPool3d", "AvgPool3d",
           "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "LPPool1d", "LPPool2d", "LPPool3d",
           "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


# -- convolution ------------------------------------------------------------------------------
class Conv3d(_Conv):
    """3-d convolution over (N, C_in, D, H, W) (or unbatched (C_in, D, H, W)) input.

    Arguments as ``Conv2d``'s, with (d, h, w) triples: ``kernel_size``, ``stride``,
    ``padding`` (or ``'same'`` / ``'valid'``), ``dilation``, ``groups``, ``bias`` and
    ``padding_mode`` (``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``).

    Example::

        >>> import ember
        >>> from ember import nn
        >>> nn.Conv3d(2, 4, 3, stride=2)(ember.randn(1, 2, 7, 7, 7)).shape
        ember.Size([1, 4, 3, 3, 3])
    """

    _dims = 3

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        if self.padding_mode != "zeros":
            padded = _F.pad(input, self._reversed_padding_repeated_twice,
                            mode=self.padding_mode)
            return F.conv3d(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return F.conv3d(input, weight, bias, self.stride, self.padding, self.dilation,
                        self.groups)


class ConvTranspose3d(_ConvTranspose):
    """Transposed 3-d convolution (the adjoint of ``Conv3d``), e.g. to upsample volumes.

    Each output size is ``(D - 1) * stride - 2 * padding + dilation * (kernel - 1)
    + output_padding + 1``; ``forward(input, output_size=...)`` picks ``output_padding``.
    """

    _dims = 3

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)


# -- normalisation and dropout ----------------------------------------------------------------
class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) input, per channel; see ``BatchNorm2d``."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class Dropout3d(_DropoutNd):
    """While training, zero each channel of (N, C, D, H, W) or (C, D, H, W) input with
    probability ``p`` and scale the kept ones by 1/(1-p); the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training, self.inplace)


# -- pooling ----------------------------------------------------------------------------------
class MaxPool3d(_MaxPoolNd):
    """Maximum over each (kd, kh, kw) window of (N, C, D, H, W) input; see ``MaxPool2d``."""

    def forward(self, input: Tensor) -> Any:
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool3d(AvgPool2d):
    """Mean over each window of (N, C, D, H, W) input; see ``AvgPool2d``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Average pooling to a fixed (D_out, H_out, W_out) (None keeps that size)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptivePool):
    """Max pooling to a fixed (D_out, H_out, W_out); ``return_indices`` also returns the
    argmaxes."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


# -- LP pooling -------------------------------------------------------------------------------
class _LPPoolNd(Module):
    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """The ``norm_type``-norm of each window of (N, C, L) input:
    ``(sum x ** p) ** (1 / p)`` (``p = inf`` is max pooling of ``|x|``).

    Example::

        >>> import ember
        >>> from ember import nn
        >>> nn.LPPool1d(2, 2)(ember.tensor([[[3.0, 4.0]]]))
        tensor([[[5.]]])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """The ``norm_type``-norm of each window of (N, C, H, W) input; see ``LPPool1d``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class LPPool3d(_LPPoolNd):
    """The ``norm_type``-norm of each window of (N, C, D, H, W) input; see ``LPPool1d``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


# -- max unpooling ----------------------------------------------------------------------------
def _n_tuple(v: Any, n: int) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


class _MaxUnpoolNd(Module):
    _dims = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        n = self._dims
        self.kernel_size = _n_tuple(kernel_size, n)
        self.stride = _n_tuple(stride if stride is not None else kernel_size, n)
        self.padding = _n_tuple(padding, n)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        unpool = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[self._dims - 1]
        return unpool(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The inverse of ``MaxPool1d`` given its indices: the maxima back in place, zeros
    elsewhere."""

    _dims = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """The inverse of ``MaxPool2d`` given its indices; ``output_size`` settles ambiguous
    sizes.

    Example::

        >>> import ember
        >>> from ember import nn
        >>> y, idx = nn.MaxPool2d(2, return_indices=True)(ember.arange(16.0).reshape(1, 1, 4, 4))
        >>> nn.MaxUnpool2d(2)(y, idx)
        tensor([[[[ 0.,  0.,  0.,  0.],
                  [ 0.,  5.,  0.,  7.],
                  [ 0.,  0.,  0.,  0.],
                  [ 0., 13.,  0., 15.]]]])
    """


class MaxUnpool3d(_MaxUnpoolNd):
    """The inverse of ``MaxPool3d`` given its indices."""

    _dims = 3
