"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``.

The modules hold the weight, bias and settings; the math is in ``nn.functional`` (conv1d,
conv2d, conv_transpose1d/2d). Non-zero ``padding_mode`` pads with ``F.pad`` first and then
convolves without padding, as torch does.
"""

from __future__ import annotations

import math
from typing import Any

from ... import ops
from ..._tensor import Tensor
from .. import _functional_conv as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value: Any, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * n


class _ConvNd(Module):
    """Shared state of the convolutions: channels, geometry, weight and bias."""

    _dims = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, groups: int, bias: bool, padding_mode: str,
                 output_padding: Any = 0, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        n = self._dims
        _check_conv_args(in_channels, out_channels, groups, padding, stride, padding_mode, n)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride, n)
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, n)
        self.dilation = _ntuple(dilation, n)
        self.transposed = self._transposed
        self.output_padding = _ntuple(output_padding, n)
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._padding_for_pad()
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(ops.empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(ops.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _padding_for_pad(self) -> list:
        """``F.pad``'s list (last dim first, before/after) equivalent to ``padding``."""
        if self.padding == "valid":
            return [0, 0] * self._dims
        out = []
        for k, d, p in zip(reversed(self.kernel_size), reversed(self.dilation),
                           reversed(self.padding if self.padding != "same"
                                    else (None,) * self._dims)):
            if p is None:  # 'same': the odd extra goes after
                total = d * (k - 1)
                out += [total // 2, total - total // 2]
            else:
                out += [p, p]
        return out

    def reset_parameters(self) -> None:
        # kaiming_uniform_ with a=sqrt(5): U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as in torch
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        n = self._dims
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


def _check_conv_args(in_channels: int, out_channels: int, groups: int, padding: Any,
                     stride: Any, padding_mode: str, dims: int) -> None:
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    if isinstance(padding, str):
        valid = {"same", "valid"}  # printed as a set: its order is Python's, as in torch
        if padding not in valid:
            raise ValueError(f"Invalid padding string {padding!r}, should be one of {valid}")
        if padding == "same" and any(s != 1 for s in _ntuple(stride, dims)):
            raise ValueError("padding='same' is not supported for strided convolutions")
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                         f"padding_mode='{padding_mode}'")


class _Conv(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, device, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        conv = F.conv2d if self._dims == 2 else F.conv1d
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv2d(_Conv):
    """2-d convolution over (N, C_in, H, W) (or unbatched (C_in, H, W)) input.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size, stride, dilation: an int or an (h, w) pair.
        padding: an int, a pair, ``'valid'`` (none) or ``'same'`` (output size = input size,
            stride 1 only).
        groups: split channels into this many independent convolutions.
        bias: learn an additive per-channel bias (default True).
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Shape:
        output (N, C_out, H_out, W_out) with
        ``H_out = (H + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1``.

    Example::

        >>> import ember
        >>> from ember import nn
        >>> conv = nn.Conv2d(1, 32, 3, padding=1)
        >>> conv(ember.randn(8, 1, 28, 28)).shape
        ember.Size([8, 32, 28, 28])
    """


class Conv1d(_Conv):
    """1-d convolution over (N, C_in, L) (or unbatched (C_in, L)) input; see ``Conv2d``."""

    _dims = 1


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{type(self).__name__}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple:
        """The output padding that makes the output ``output_size`` (when one is asked)."""
        if output_size is None:
            return self.output_padding
        n = self._dims
        lead = 2 if input.dim() == n + 2 else 1
        if len(output_size) == n + lead:
            output_size = output_size[lead:]  # shown in errors as given (tuple, list, Size)
        size = list(output_size)
        if len(size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.dim()}D input, output_size must "
                             f"have {n} or {n + lead} elements (got {len(size)})")
        spatial = input.shape[lead:]
        smallest = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d]
                    + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(n)]
        largest = [smallest[d] + self.stride[d] - 1 for d in range(n)]
        for d in range(n):
            if not smallest[d] <= size[d] <= largest[d]:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                                 f"range from {smallest} to {largest} (for an input of "
                                 f"{spatial})")
        return tuple(size[d] - smallest[d] for d in range(n))

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        conv = F.conv_transpose2d if self._dims == 2 else F.conv_transpose1d
        output_padding = self._output_padding(input, output_size)
        return conv(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                    self.groups, self.dilation)


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-d convolution (the adjoint of ``Conv2d``), e.g. for upsampling.

    The output size is ``(H - 1) * stride - 2 * padding + dilation * (kernel - 1)
    + output_padding + 1``; ``forward(input, output_size=...)`` picks ``output_padding``.

    Example::

        >>> import ember
        >>> from ember import nn
        >>> up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
        >>> up(ember.randn(1, 16, 7, 7)).shape
        ember.Size([1, 8, 14, 14])
    """


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-d convolution; see ``ConvTranspose2d``."""

    _dims = 1
