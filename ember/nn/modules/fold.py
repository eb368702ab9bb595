"""Unfold and Fold: sliding blocks of an image as columns, and columns summed back.

Each module stores its arguments as given (ints stay ints, as torch prints them) and calls
the matching ``nn.functional`` function.
"""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from .. import _functional_fold as F
from .module import Module

__all__ = ["Unfold", "Fold"]


class Unfold(Module):
    """Extract sliding blocks of (N, C, H, W) input as columns (N, C*kh*kw, L).

    Example::

        >>> import ember
        >>> ember.nn.Unfold(kernel_size=(2, 3))(ember.randn(2, 5, 3, 4)).shape
        ember.Size([2, 30, 4])
    """

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Sum columns (N, C*kh*kw, L) of sliding blocks back into (N, C, *output_size).

    Example::

        >>> import ember
        >>> ember.nn.Fold(output_size=(4, 5), kernel_size=(2, 2))(ember.randn(1, 12, 12)).shape
        ember.Size([1, 3, 4, 5])
    """

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
