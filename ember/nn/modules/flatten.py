"""``Flatten`` and ``Unflatten``: reshape a range of dimensions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..._tensor import Tensor
from ...autograd.grad_mode import state
from ...ops.shape import make_view
from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flatten dimensions ``start_dim`` .. ``end_dim`` into one (by default all but the batch).

    Example::

        >>> import ember
        >>> from ember import nn
        >>> nn.Flatten()(ember.zeros(3, 28, 28)).size()
        ember.Size([3, 784])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        data = input._data
        if (self.start_dim == 1 and self.end_dim == -1 and data.ndim > 2
                and type(data) is np.ndarray and data.flags.c_contiguous
                and not (state.enabled and input._requires_grad)):
            # The usual call, with nothing to record: the view ``flatten`` would return,
            # without its general argument handling (a visible share of a batch-1 forward).
            return make_view(input, data.reshape(data.shape[0], math.prod(data.shape[1:])))
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``."""

    def __init__(self, dim: int | str, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError("unflattened_size must be tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
