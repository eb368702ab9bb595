"""Padding layers: constant, zero, reflection, replication and circular, in 1, 2 and 3 D.

Each layer stores its ``padding`` as a tuple listing (before, after) amounts from the last
dimension backwards, as ``ember.nn.functional.pad`` takes it, and pads the trailing 1, 2 or 3
dimensions of a batched or unbatched input.

>>> import ember
>>> from ember import nn
>>> pad = nn.ZeroPad2d((1, 1, 2, 0))
>>> pad
ZeroPad2d((1, 1, 2, 0))
>>> pad(ember.ones(1, 1, 2)).shape
ember.Size([1, 3, 4])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]

Padding = int | Sequence[int]


def _padding_tuple(padding: Padding, dims: int) -> tuple:
    """A sequence as a tuple (its length is not checked); an int for every side."""
    if isinstance(padding, Iterable):
        return tuple(padding)
    return (padding,) * (2 * dims)


class _ModePad(Module):
    """Pads with ``mode`` (reflect, replicate or circular); repr shows the padding only."""

    mode = ""
    dims = 1

    def __init__(self, padding: Padding) -> None:
        super().__init__()
        self.padding = _padding_tuple(padding, self.dims)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(Module):
    dims = 1

    def __init__(self, padding: Padding, value: float) -> None:
        super().__init__()
        self.value = value
        self.padding = _padding_tuple(padding, self.dims)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``; ``padding`` is an int or (left, right).

    Negative amounts crop. Any input with at least one dimension is accepted.
    """

    dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``: (left, right, top, bottom)."""

    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with ``value``: (left, right, top, bottom, front, back)."""

    dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dimension with zeros; ``padding`` is an int or (left, right)."""

    def __init__(self, padding: Padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dimensions with zeros: (left, right, top, bottom)."""

    def __init__(self, padding: Padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dimensions with zeros: (left, right, top, bottom, front, back)."""

    def __init__(self, padding: Padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_ModePad):
    """Mirror (C, W) or (N, C, W) input about its edges, edges not repeated; each amount
    must be smaller than the padded dimension."""

    mode, dims = "reflect", 1


class ReflectionPad2d(_ModePad):
    """Mirror the last two dimensions of 3-D or 4-D input: (left, right, top, bottom)."""

    mode, dims = "reflect", 2


class ReflectionPad3d(_ModePad):
    """Mirror the last three dimensions of 4-D or 5-D input."""

    mode, dims = "reflect", 3


class ReplicationPad1d(_ModePad):
    """Repeat the edge values of (C, W) or (N, C, W) input."""

    mode, dims = "replicate", 1


class ReplicationPad2d(_ModePad):
    """Repeat the edge values of the last two dimensions of 3-D or 4-D input."""

    mode, dims = "replicate", 2


class ReplicationPad3d(_ModePad):
    """Repeat the edge values of the last three dimensions of 4-D or 5-D input."""

    mode, dims = "replicate", 3


class _CircularPad(_ModePad):
    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        nd = input.dim()
        if nd not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"expected {self.dims + 1}D or {self.dims + 2}D input (got {nd}D "
                             "input)")
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPad):
    """Wrap (C, W) or (N, C, W) input around: the left pad repeats the right end."""

    dims = 1


class CircularPad2d(_CircularPad):
    """Wrap the last two dimensions of 3-D or 4-D input around."""

    dims = 2


class CircularPad3d(_CircularPad):
    """Wrap the last three dimensions of 4-D or 5-D input around."""

    dims = 3
