"""``CrossMapLRN2d``: the legacy cross-channel local response normalization of 4-D input.

``y = x * scale^-beta`` with ``scale = k + alpha / size * (sum of x^2 over a window of
channels)``. Its windows are not those of ``LocalResponseNorm``: channel ``c`` sums channels
``max(c - p + 1, 0)`` to ``c + p - 1`` with ``p = (size - 1) // 2 + 1`` (2p - 1 channels,
size + 1 for even sizes), and channel 0 stays in every window past the first ``p``. The
backward is the layer's own rule, which uses ``size`` channels from ``c - q`` (``q = (size + 1)
// 2``) and is not the exact derivative of this forward; it is kept so trained
models behave the same. Computed with NumPy (no double backward).

>>> import ember
>>> from ember import nn
>>> lrn = nn.CrossMapLRN2d(3, alpha=1e-3)
>>> lrn
CrossMapLRN2d(3, alpha=0.001, beta=0.75, k=1)
>>> lrn(ember.randn(2, 4, 5, 5)).shape
ember.Size([2, 4, 5, 5])
"""

from __future__ import annotations

import numpy as np

from ...autograd.graph import Node
from ...ops._core import Tensor, record, wrap
from ...ops._numpy_grad import refuse_double_backward
from .module import Module

__all__ = ["CrossMapLRN2d"]


def _forward_window(channels: int, size: int) -> np.ndarray:
    """(C, C) 0/1 matrix: row c marks the channels whose squares ``scale[c]`` sums."""
    reach = (size - 1) // 2 + 1
    c = np.arange(channels)[:, None]
    j = np.arange(channels)[None, :]
    inside = (j <= c + reach - 1) & ((j > c - reach) | (j == 0))
    return inside.astype(np.float64)


def _backward_window(channels: int, size: int) -> np.ndarray:
    """(C, C) 0/1 matrix: row c marks the ratios the backward rule adds up for channel c."""
    start = (size + 1) // 2
    c = np.arange(channels)[:, None]
    i = np.arange(channels)[None, :]
    return ((i >= c - start) & (i <= c + size - 1 - start)).astype(np.float64)


def _over_channels(mat: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.einsum("cj,njhw->nchw", mat.astype(a.dtype), a)


class CrossMapLRN2dBackward(Node):
    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        g, x, out, scale = grad._data, self.x, self.out, self.scale
        channels, size = x.shape[1], self.size
        start = (size + 1) // 2
        if start > size - 1:  # the rule's zero-padded buffer of ratios is too short
            raise RuntimeError(f"start ({start}) + length ({channels}) exceeds dimension size "
                               f"({channels + size - 1}).")
        ratio = g * out / scale
        window = _over_channels(_backward_window(channels, size), ratio)
        coef = x.dtype.type(2 * self.alpha * self.beta / size)
        return (wrap(scale ** -x.dtype.type(self.beta) * g - coef * x * window),)

    def _release_extra(self) -> None:
        self.x = self.out = self.scale = None


def cross_map_lrn2d(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                    k: float = 1) -> Tensor:
    x = input._data
    if x.ndim != 4:
        raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {x.ndim}D instead.")
    sums = _over_channels(_forward_window(x.shape[1], size), x * x)
    scale = x.dtype.type(k) + x.dtype.type(alpha / size) * sums
    out = x * scale ** -x.dtype.type(beta)
    res = wrap(out)
    node = record(res, CrossMapLRN2dBackward, input)
    if node is not None:
        node.x, node.out, node.scale = x.copy(), out, scale
        node.size, node.alpha, node.beta = size, alpha, beta
    return res


class CrossMapLRN2d(Module):
    """Cross-channel local response normalization of (N, C, H, W) input (see the module
    notes for its window)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return cross_map_lrn2d(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
