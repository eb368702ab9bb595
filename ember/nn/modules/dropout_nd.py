"""Channel-wise dropout: ``Dropout1d`` and ``Dropout2d`` zero whole feature maps."""

from __future__ import annotations

from ..._tensor import Tensor
from .. import _functional_conv as F
from .dropout import _DropoutNd

__all__ = ["Dropout1d", "Dropout2d"]


class Dropout2d(_DropoutNd):
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


class Dropout1d(_DropoutNd):
    """Channel-wise dropout of (N, C, L) or (C, L) input; see ``Dropout2d``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)
