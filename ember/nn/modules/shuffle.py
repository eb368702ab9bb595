"""Pixel and channel shuffling layers, and alpha dropout.

``PixelShuffle`` turns (*, C * r^2, H, W) into (*, C, H * r, W * r) (sub-pixel convolution
upsampling) and ``PixelUnshuffle`` undoes it; ``ChannelShuffle`` interleaves groups of
channels (as between grouped convolutions). ``AlphaDropout`` and ``FeatureAlphaDropout`` are
the dropouts of self-normalizing (SELU) networks: dropped units take SELU's negative
saturation value and an affine map keeps zero mean and unit variance.

>>> import ember
>>> from ember import nn
>>> nn.PixelShuffle(2)(ember.randn(1, 8, 3, 3)).shape
ember.Size([1, 2, 6, 6])
>>> nn.AlphaDropout(0.2)
AlphaDropout(p=0.2, inplace=False)
"""

from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .dropout import _DropoutNd
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle", "ChannelShuffle", "AlphaDropout",
           "FeatureAlphaDropout"]


class PixelShuffle(Module):
    """Rearrange (*, C * r^2, H, W) into (*, C, H * r, W * r), ``r = upscale_factor``."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearrange (*, C, H * r, W * r) into (*, C * r^2, H, W), ``r = downscale_factor``."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Split the channels (dimension 1) into ``groups`` groups and interleave them."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class AlphaDropout(_DropoutNd):
    """While training, set each element to SELU's saturation value with probability ``p``,
    then apply the affine map that restores zero mean and unit variance; identity in eval.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """``AlphaDropout`` of whole channels (dimension 1) of each sample."""

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training)
