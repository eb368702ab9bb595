"""Channel-wise dropout: ``Dropout1d`` and ``Dropout2d`` zero whole feature maps."""

from __future__ import annotations

from ..._tensor import Tensor
from .. import _functional_conv as F
from .module import Module

__all__ = ["Dropout1d", "Dropout2d"]


class _FeatureDropout(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(_FeatureDropout):
    """While training, zero each channel of (N, C, H, W) input with probability ``p`` and
    scale the kept ones by 1/(1-p); the identity in eval mode.

    Neighbouring pixels of a feature map are strongly correlated, so dropping whole maps
    regularizes convolutional layers better than dropping single pixels.

    Example::

        >>> import ember
        >>> from ember import nn
        >>> nn.Dropout2d(0.25)
        Dropout2d(p=0.25, inplace=False)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout1d(_FeatureDropout):
    """Channel-wise dropout of (N, C, L) or (C, L) input; see ``Dropout2d``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)
