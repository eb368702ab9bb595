"""Convolutions: conv1d, conv2d, conv_transpose1d and conv_transpose2d.

This module checks arguments, resolves padding and geometry and records the autograd node;
the array work (im2col in cache-sized chunks, one GEMM per sample, the input gradient as a
convolution with the flipped kernel) is in :mod:`ember.ops._conv_kernels`. conv1d runs as a
2-d convolution of height 1.

The transposed convolution is the adjoint of a convolution: its forward is the convolution's
input gradient, its input gradient is a convolution forward, and its weight gradient is the
convolution's weight gradient with the roles of input and output gradient swapped.

Gradients are computed with NumPy kernels on the incoming gradient's array, so double backward
through a convolution is not supported.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._conv_kernels import (Geometry, conv_forward, conv_grads, conv_input_grad,
                            conv_weight_grad)
from ._numpy_grad import refuse_double_backward
from ._core import Tensor, record, wrap

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


# -- argument handling ----------------------------------------------------------------------
def _tuple(v: Any, n: int, name: str) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={list(v)}")
    return v


def _check_types(input: Tensor, weight: Tensor, bias: Tensor | None,
                 transposed: bool = False) -> None:
    a = input._data.dtype
    # A plain convolution adds the bias inside its kernel, so it checks the bias first; the
    # transposed one adds it afterwards in the input's dtype.
    if not transposed and bias is not None and bias._data.dtype != a:
        raise RuntimeError(f"Input type ({D.type_meta_name(a)}) and bias type "
                           f"({D.type_meta_name(bias._data.dtype)}) should be the same")
    if weight._data.dtype != a:
        x = input._data
        if a == np.float32 and x.ndim > 0 and x.shape[0] > 1 and x.ndim == weight._data.ndim:
            # torch routes batched float32 convolutions to its MKLDNN kernel, which words
            # the mismatch differently
            raise RuntimeError(f"Input type (ember.{input.dtype._legacy}) and weight type "
                               f"(ember.{weight.dtype._legacy}) should be the same or input "
                               "should be a MKLDNN tensor and weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {D.scalar_type_name(a)} but found "
                           f"{D.scalar_type_name(weight._data.dtype)}")


def _check_shapes(x: np.ndarray, w: np.ndarray, bias: Tensor | None, groups: int,
                  transposed: bool) -> None:
    size = lambda s: "[" + ", ".join(str(i) for i in s) + "]"  # noqa: E731
    if w.shape[0] % groups != 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{size(w.shape)}] instead")
    expected = w.shape[0] if transposed else w.shape[1] * groups
    if x.shape[1] != expected:
        prefix = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {prefix}, weight of size {size(w.shape)}, expected "
                           f"input{size(x.shape)} to have {expected} channels, but got "
                           f"{x.shape[1]} channels instead")
    out_c = w.shape[1] * groups if transposed else w.shape[0]
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != out_c):
        prefix = "transposed=1, " if transposed else ""
        raise RuntimeError(f"Given {prefix}weight of size {size(w.shape)}, expected bias to be "
                           f"1-dimensional with {out_c} elements, but got bias of size "
                           f"{size(bias._data.shape)} instead")


def _as_batched(input: Tensor, dims: int, name: str) -> tuple:
    """Input data with a batch axis (added for unbatched input), and whether one was added."""
    x = input._data
    if x.ndim == dims + 2:
        return x, False
    if x.ndim == dims + 1:
        return x[None], True
    sizes = ", ".join(str(s) for s in x.shape)
    raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to "
                       f"{name}, but got input of size: [{sizes}]")


_warned_same_copy = False


def _note_same_copy_warned() -> None:
    # torch emits this warning once per process, not once per call site.
    global _warned_same_copy
    _warned_same_copy = True


def _resolve_padding(padding: Any, kernel: tuple, dilation: tuple, stride: tuple) -> tuple:
    """Per spatial dim (before, after) padding; 'same' may be asymmetric (extra at the end)."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        if any(t % 2 for t in totals) and not _warned_same_copy:
            _note_same_copy_warned()
            warnings.warn("Using padding='same' with even kernel lengths and odd dilation may "
                          "require a zero-padded copy of the input be created", stacklevel=4)
        return tuple((t // 2, t - t // 2) for t in totals)
    pads = _tuple(padding, n, "padding")
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    return tuple((p, p) for p in pads)


def _geometry(in_hw: tuple, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple,
              groups: int, dims: int = 2) -> Geometry:
    padded = tuple(s + a + b for s, (a, b) in zip(in_hw, pads))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < k for p, k in zip(padded, span)):
        # a lifted 1-d convolution reports only its real (last) dimension
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({_by(padded[-dims:])}). Kernel size: ({_by(span[-dims:])}). "
                           "Kernel size can't be greater than actual input size")
    out = tuple((p - k) // s + 1 for p, k, s in zip(padded, span, stride))
    return Geometry(kernel, stride, dilation, pads[0] + pads[1], groups, out, padded)


def _by(sizes: tuple) -> str:
    return " x ".join(str(s) for s in sizes)


def _check_stride(stride: tuple) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")


def _check_groups(groups: int) -> None:
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_dilation(dilation: tuple, transposed: bool) -> None:
    """Positive dilation; 1-d dilation is reported as its 2-d lift (height 1), as torch."""
    if all(d > 0 for d in dilation):
        return
    lifted = (1,) * (2 - len(dilation)) + tuple(dilation)
    if transposed:
        got = f"dilation_height: {lifted[0]}, dilation_width: {lifted[1]}"
    else:
        got = str(list(lifted))
    raise RuntimeError(f"dilation should be greater than zero, but got {got}")


def _check_weight_rank(x: np.ndarray, w: np.ndarray, dims: int, stride: tuple) -> None:
    """The weight's rank must match the convolution's: torch names the first argument off."""
    if w.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    if w.ndim - 2 == dims:
        return
    if dims != 1:  # the expanded stride no longer fits the weight's spatial rank
        raise RuntimeError(f"expected stride to be a single integer value or a list of "
                           f"{w.ndim - 2} values to match the convolution dimensions, but got "
                           f"stride={list(stride)}")
    size = lambda s: "[" + ", ".join(str(i) for i in s) + "]"  # noqa: E731
    raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight "
                       f"{size(w.shape)}, but got {x.ndim}-dimensional input of size "
                       f"{size(x.shape)} instead")


def _lift(dims: int, stride: tuple, dilation: tuple, pads: tuple) -> tuple:
    """1-d arguments as 2-d ones with a unit height (conv1d runs on the 2-d kernels)."""
    if dims == 2:
        return stride, dilation, pads
    return (1,) + stride, (1,) + dilation, ((0, 0),) + pads


# -- convolution -----------------------------------------------------------------------------
class ConvolutionBackward0(Node):
    """Gradient of a (transposed) convolution; NumPy kernels, so no double backward."""

    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        _, weight = self.saved()
        w = weight._data.reshape(self.w4)
        g = grad._data.reshape(self.out4)
        if self.transposed:
            gx, gw = self._transposed_grads(g, w)
        else:
            gx, gw = self._conv_grads(g, w)
        gb = wrap(np.einsum("nck->c", g.reshape(g.shape[0], g.shape[1], -1))) \
            if self.needs[2] else None
        gx = wrap(gx.reshape(self.in_shape)) if gx is not None else None
        gw = wrap(gw.reshape(self.w_shape)) if gw is not None else None
        return gx, gw, gb

    def _conv_grads(self, g: np.ndarray, w: np.ndarray) -> tuple:
        geo, in_hw = self.geo, self.in4[2:]
        if self.needs[0] and self.needs[1]:
            return conv_grads(self.x, g, w, geo, in_hw)
        gx = conv_input_grad(g, w, geo, in_hw) if self.needs[0] else None
        gw = conv_weight_grad(self.x, g, geo, self.w4) if self.needs[1] else None
        return gx, gw

    def _transposed_grads(self, g: np.ndarray, w: np.ndarray) -> tuple:
        # The adjoint's gradients: its input gradient is the plain convolution of ``g``, and
        # its weight gradient the convolution's, with ``g`` as that convolution's input.
        gx = conv_forward(g, w, self.geo) if self.needs[0] else None
        gw = conv_weight_grad(g, self.x, self.geo, self.w4) if self.needs[1] else None
        return gx, gw

    def _release_extra(self) -> None:
        self.x = None


def _record(res: Tensor, input: Tensor, weight: Tensor, bias: Tensor | None, **attrs: Any) -> Any:
    node = record(res, ConvolutionBackward0, input, weight, bias)
    if node is None:
        return None
    node.save(input, weight)
    node.needs = tuple(t is not None and t._requires_grad for t in (input, weight, bias))
    node.in_shape, node.w_shape = input._data.shape, weight._data.shape
    for k, v in attrs.items():
        setattr(node, k, v)
    return node


def _convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
                 padding: Any, dilation: Any, groups: int, dims: int) -> Tensor:
    name = f"conv{dims}d"
    _check_types(input, weight, bias)
    x, unbatched = _as_batched(input, dims, name)
    if unbatched:  # as torch: add a batch axis, convolve, drop it (recorded as views)
        return _convolution(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                            groups, dims).squeeze(0)
    w = weight._data
    stride, dilation = _tuple(stride, dims, "stride"), _tuple(dilation, dims, "dilation")
    _check_weight_rank(x, w, dims, stride)
    _check_groups(groups)
    pads = _resolve_padding(padding, w.shape[2:], dilation, stride)
    _check_stride(stride)
    _check_shapes(x, w, bias, groups, transposed=False)
    _check_dilation(dilation, transposed=False)
    if any(a != b for a, b in pads):  # 'same' with an odd total: pad the end first, as torch
        from .padding import pad as _pad
        extra = [v for a, b in reversed(pads) for v in (0, b - a)]
        return _convolution(_pad(input, extra), weight, bias, stride,
                            tuple(a for a, _ in pads), dilation, groups, dims)
    if dims == 1:
        x, w = x[:, :, None, :], w[:, :, None, :]
    stride, dilation, pads = _lift(dims, stride, dilation, pads)
    geo = _geometry(x.shape[2:], w.shape[2:], stride, dilation, pads, groups, dims)
    out = conv_forward(x, w, geo, None if bias is None else bias._data)
    res = wrap(out[:, :, 0, :] if dims == 1 else out)
    # the weight gradient rebuilds the columns from the input: only a view of it is kept
    _record(res, input, weight, bias, geo=geo, transposed=False, w4=w.shape, in4=x.shape,
            out4=out.shape, x=x if weight._requires_grad else None)
    return res


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d convolution (cross-correlation) of (N, C, H, W) with (O, C/groups, kh, kw).

    >>> import ember
    >>> x = ember.randn(8, 3, 28, 28); w = ember.randn(16, 3, 3, 3)
    >>> conv2d(x, w, padding=1).shape
    ember.Size([8, 16, 28, 28])
    """
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d convolution of (N, C, L) with (O, C/groups, k)."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1)


# -- transposed convolution ------------------------------------------------------------------
def _transposed_geometry(x: np.ndarray, w: np.ndarray, stride: tuple, padding: tuple,
                         output_padding: tuple, dilation: tuple, groups: int) -> tuple:
    """Geometry of the convolution whose adjoint this is, and the output's spatial size."""
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            hw = "height", "width"
            parts = [f"output_padding_{hw[i]}: {output_padding[i]}" for i in range(2)]
            parts += [f"stride_{hw[i]}: {stride[i]}" for i in range(2)]
            parts += [f"dilation_{hw[i]}: {dilation[i]}" for i in range(2)]
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               "but got " + " ".join(parts))
    kernel, in_hw = w.shape[2:], x.shape[2:]
    out_hw = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, p, d, k, op in
                   zip(in_hw, stride, padding, dilation, kernel, output_padding))
    if any(o <= 0 for o in out_hw):
        raise RuntimeError(f"Given input size per channel: ({_by(in_hw)}). Calculated output "
                           f"size per channel: ({_by(out_hw)}). Output size is too small")
    padded = tuple(o + 2 * p for o, p in zip(out_hw, padding))
    pads = (padding[0], padding[0], padding[1], padding[1])
    geo = Geometry(tuple(kernel), stride, dilation, pads, groups, tuple(in_hw), padded)
    return geo, out_hw


def _conv_transpose(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
                    padding: Any, output_padding: Any, groups: int, dilation: Any,
                    dims: int) -> Tensor:
    _check_types(input, weight, bias, transposed=True)
    x, unbatched = _as_batched(input, dims, f"conv_transpose{dims}d")
    if unbatched:
        return _conv_transpose(input.unsqueeze(0), weight, bias, stride, padding,
                               output_padding, groups, dilation, dims).squeeze(0)
    w = weight._data
    args = [_tuple(v, dims, k) for v, k in ((stride, "stride"), (padding, "padding"),
            (output_padding, "output_padding"), (dilation, "dilation"))]
    _check_weight_rank(x, w, dims, args[0])
    _check_groups(groups)
    if any(p < 0 for p in args[1]):
        raise RuntimeError("negative padding is not supported")
    _check_stride(args[0])
    _check_shapes(x, w, bias, groups, transposed=True)
    _check_dilation(args[3], transposed=True)
    if dims == 1:
        x, w = x[:, :, None, :], w[:, :, None, :]
        args = [(unit,) + v for v, unit in zip(args, (1, 0, 0, 1))]
    geo, out_hw = _transposed_geometry(x, w, *args[:3], args[3], groups)
    out = conv_input_grad(x, w, geo, out_hw)
    if bias is not None:
        out += bias._data[:, None, None]
    res = wrap(out[:, :, 0, :] if dims == 1 else out)
    _record(res, input, weight, bias, geo=geo, transposed=True, w4=w.shape, in4=x.shape,
            out4=out.shape, x=x if weight._requires_grad else None)
    return res


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 2-d convolution of (N, Cin, H, W) with (Cin, Cout/groups, kh, kw).

    >>> import ember
    >>> conv_transpose2d(ember.randn(1, 4, 5, 5), ember.randn(4, 2, 3, 3), stride=2).shape
    ember.Size([1, 2, 11, 11])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 1-d convolution of (N, Cin, L) with (Cin, Cout/groups, k)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1)
