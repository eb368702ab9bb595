"""Pixel and channel shuffles: pure rearrangements of elements, each the inverse of another.

``pixel_shuffle`` moves blocks of ``r * r`` channels into ``r x r`` spatial tiles;
``pixel_unshuffle`` undoes it. ``channel_shuffle`` interleaves ``groups`` groups of channels;
shuffling with ``C // groups`` groups undoes it. Each backward is therefore the inverse
rearrangement of the incoming gradient, itself a recorded op, so double backward works.

>>> import ember
>>> channel_shuffle(ember.arange(4.).view(1, 4, 1), 2).flatten()
tensor([0., 2., 1., 3.])
"""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ..ops._core import Tensor, record, wrap

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"]


class PixelShuffleBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (pixel_unshuffle(grad, self.factor),)


class PixelUnshuffleBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (pixel_shuffle(grad, self.factor),)


class ChannelShuffleBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (channel_shuffle(grad, grad._data.shape[1] // self.groups),)


class NotImplemented(Node):  # the name of the node torch gives an op with no derivative
    """Reached in backward only to refuse: ``what`` has no derivative."""

    what = ""

    def backward(self, grad: Tensor) -> tuple:
        raise RuntimeError(f"derivative for aten::{self.what} is not implemented")


def _rearranged(input: Tensor, out: np.ndarray, node_type: type, **attrs: int) -> Tensor:
    res = wrap(np.ascontiguousarray(out))
    node = record(res, node_type, input)
    if node is not None:
        for name, value in attrs.items():
            setattr(node, name, value)
    return res


def _check_factor(x: np.ndarray, name: str, factor_name: str, factor: int) -> None:
    if x.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {x.ndim} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {factor_name}, but got {factor}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r * r, H, W) to (*, C, H * r, W * r): each channel block becomes r x r tiles.

    >>> import ember
    >>> pixel_shuffle(ember.randn(1, 8, 3, 3), 2).shape
    ember.Size([1, 2, 6, 6])
    """
    x, r = input._data, int(upscale_factor)
    _check_factor(x, "pixel_shuffle", "upscale_factor", r)
    c, h, w = x.shape[-3:]
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    lead = x.shape[:-3]
    k = len(lead)
    blocks = x.reshape(lead + (c // (r * r), r, r, h, w))
    # (..., c, r_h, r_w, h, w) -> (..., c, h, r_h, w, r_w)
    order = tuple(range(k)) + tuple(k + i for i in (0, 3, 1, 4, 2))
    out = blocks.transpose(order).reshape(lead + (c // (r * r), h * r, w * r))
    return _rearranged(input, out, PixelShuffleBackward0, factor=r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) to (*, C * r * r, H, W), the inverse of ``pixel_shuffle``.

    >>> import ember
    >>> pixel_unshuffle(ember.randn(1, 2, 6, 6), 2).shape
    ember.Size([1, 8, 3, 3])
    """
    x, r = input._data, int(downscale_factor)
    _check_factor(x, "pixel_unshuffle", "downscale_factor", r)
    c, h, w = x.shape[-3:]
    for what, size, axis in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {what} to be divisible by "
                               f"downscale_factor, but input.size({axis})={size} is not "
                               f"divisible by {r}")
    lead = x.shape[:-3]
    k = len(lead)
    tiles = x.reshape(lead + (c, h // r, r, w // r, r))
    # (..., c, h, r_h, w, r_w) -> (..., c, r_h, r_w, h, w)
    order = tuple(range(k)) + tuple(k + i for i in (0, 2, 4, 1, 3))
    out = tiles.transpose(order).reshape(lead + (c * r * r, h // r, w // r))
    return _rearranged(input, out, PixelUnshuffleBackward0, factor=r)


def _shuffled_channels(input: Tensor, groups: int) -> np.ndarray:
    x = input._data
    if x.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(x.shape)}")
    if groups <= 0:
        raise RuntimeError("Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c = x.shape[:2]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    # (n, groups, c / groups, ...) -> (n, c / groups, groups, ...): the groups interleave
    split = x.reshape((n, groups, c // groups) + x.shape[2:])
    return split.swapaxes(1, 2).reshape(x.shape)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Split the C channels into ``groups`` groups and interleave them (channel ``i`` of
    group ``g`` moves to position ``i * groups + g``).

    >>> import ember
    >>> channel_shuffle(ember.arange(6.).view(1, 6, 1), 3).flatten()
    tensor([0., 2., 4., 1., 3., 5.])
    """
    groups = int(groups)
    return _rearranged(input, _shuffled_channels(input, groups), ChannelShuffleBackward0,
                       groups=groups)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """``channel_shuffle`` with no derivative: backward through it raises."""
    return _rearranged(input, _shuffled_channels(input, int(groups)), NotImplemented,
                       what="native_channel_shuffle")
