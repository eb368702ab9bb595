"""Three-dimensional convolutions: conv3d and conv_transpose3d.

A convolution gathers the padded input at every kernel offset into a column matrix
(C/groups * kd * kh * kw rows, one column per output position) and multiplies it by the
weight reshaped to (out_channels/groups, C/groups * kd * kh * kw): one matrix product per
group, in the input's own dtype. Its input gradient is the weight's transpose times the
output gradient, folded back ("col2im": one strided add per kernel offset); its weight
gradient is the output gradient times the column matrix's transpose.

The transposed convolution is the adjoint of a convolution: its forward is that fold, its
input gradient a plain convolution of the output gradient, its weight gradient the
convolution's weight gradient with input and output gradient swapped.

The array kernels work for any number of spatial dimensions. Gradients are computed with
NumPy on the incoming gradient's array, so double backward is not supported.

>>> import ember
>>> from ember.ops.volumetric import conv3d
>>> conv3d(ember.randn(1, 2, 5, 5, 5), ember.randn(4, 2, 3, 3, 3), padding=1).shape
ember.Size([1, 4, 5, 5, 5])
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd.graph import Node
from ._core import Tensor, record, wrap
from ._numpy_grad import refuse_double_backward
from .conv import (_as_batched, _by, _check_groups, _check_shapes, _check_stride,
                   _check_types, _check_weight_rank, _resolve_padding, _tuple)

__all__ = ["conv3d", "conv_transpose3d"]

_AXES = ("depth", "height", "width")


# -- array kernels (any number of spatial dimensions) -----------------------------------------
def _window_views(xp: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple,
                  out: tuple) -> np.ndarray:
    """View (N, C, *kernel, *out) of the padded ``xp`` (N, C, *spatial): the input element
    under each kernel offset for each output position."""
    n = len(kernel)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    win = sliding_window_view(xp, span, axis=tuple(range(2, 2 + n)))
    pick = ((slice(None),) * 2 + tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(out, stride))
            + tuple(slice(None, None, d) for d in dilation))
    win = win[pick]
    return win.transpose((0, 1) + tuple(range(2 + n, 2 + 2 * n)) + tuple(range(2, 2 + n)))


def _columns(xp: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple, out: tuple,
             groups: int) -> np.ndarray:
    """Column matrices (N, G, C/G * prod(kernel), prod(out)), contiguous."""
    cols = np.ascontiguousarray(_window_views(xp, kernel, stride, dilation, out))
    rows = xp.shape[1] // groups * int(np.prod(kernel))
    return cols.reshape(xp.shape[0], groups, rows, int(np.prod(out)))


def _conv_array(xp: np.ndarray, w: np.ndarray, stride: tuple, dilation: tuple, out: tuple,
                groups: int) -> np.ndarray:
    """Convolution of the padded ``xp`` with ``w`` (O, C/G, *kernel): (N, O, *out)."""
    o = w.shape[0]
    cols = _columns(xp, w.shape[2:], stride, dilation, out, groups)
    rows = w.reshape(groups, o // groups, -1)
    res = np.matmul(rows, cols)  # (N, G, O/G, P): one product per sample and group
    return res.reshape((xp.shape[0], o) + tuple(out))


def _fold(cols: np.ndarray, padded: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
    """Sum columns (N, C, *kernel, *out) back into a zero (N, C, *padded) array: each kernel
    offset's values go to the input positions they were gathered from."""
    n = len(padded)
    kernel, out = cols.shape[2:2 + n], cols.shape[2 + n:]
    acc = np.zeros(cols.shape[:2] + tuple(padded), dtype=cols.dtype)
    for offset in np.ndindex(*kernel):
        where = (Ellipsis,) + tuple(slice(i * d, i * d + (o - 1) * s + 1, s) for i, d, o, s
                                    in zip(offset, dilation, out, stride))
        acc[where] += cols[(slice(None), slice(None)) + offset]
    return acc


def _adjoint_array(g: np.ndarray, w: np.ndarray, stride: tuple, dilation: tuple,
                   padded: tuple, groups: int) -> np.ndarray:
    """The convolution's transpose applied to ``g`` (N, O, *out): (N, C, *padded)."""
    n, o = g.shape[:2]
    kernel, out = w.shape[2:], g.shape[2:]
    rows = w.reshape(groups, o // groups, -1)
    gg = g.reshape(n, groups, o // groups, int(np.prod(out)))
    cols = np.matmul(rows.transpose(0, 2, 1), gg)  # (N, G, C/G * K, P)
    c = w.shape[1] * groups
    return _fold(cols.reshape((n, c) + tuple(kernel) + tuple(out)), padded, stride, dilation)


def _weight_grad_array(xp: np.ndarray, g: np.ndarray, kernel: tuple, stride: tuple,
                       dilation: tuple, groups: int) -> np.ndarray:
    """Gradient of (O, C/G, *kernel) weights given the padded input and output gradient."""
    n, o = g.shape[:2]
    cols = _columns(xp, kernel, stride, dilation, g.shape[2:], groups)
    gg = g.reshape(n, groups, o // groups, cols.shape[3])
    # samples and positions together make the long inner axis of one product per group
    long = n * cols.shape[3]
    a = gg.transpose(1, 2, 0, 3).reshape(groups, o // groups, long)
    b = cols.transpose(1, 0, 3, 2).reshape(groups, long, cols.shape[2])
    return np.matmul(a, b).reshape((o, xp.shape[1] // groups) + tuple(kernel))


def _pad_array(x: np.ndarray, pads: tuple) -> np.ndarray:
    if not any(a or b for a, b in pads):
        return x
    return np.pad(x, ((0, 0), (0, 0)) + tuple(pads))


def _crop(a: np.ndarray, pads: tuple, size: tuple) -> np.ndarray:
    return a[(Ellipsis,) + tuple(slice(p, p + s) for (p, _), s in zip(pads, size))]


# -- autograd ---------------------------------------------------------------------------------
class ConvolutionBackward0(Node):
    """Gradients of a (transposed) convolution; NumPy kernels, so no double backward."""

    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        x, weight = self.saved()
        x, w, g = x._data, weight._data, grad._data
        if self.transposed:
            gx, gw = self._transposed_grads(x, w, g)
        else:
            gx, gw = self._conv_grads(x, w, g)
        gb = None
        if self.needs[2]:
            gb = wrap(g.sum(axis=(0,) + tuple(range(2, g.ndim))))
        return (None if gx is None else wrap(gx), None if gw is None else wrap(gw), gb)

    def _conv_grads(self, x: np.ndarray, w: np.ndarray, g: np.ndarray) -> tuple:
        gx = gw = None
        padded = tuple(s + a + b for s, (a, b) in zip(x.shape[2:], self.pads))
        if self.needs[0]:
            gxp = _adjoint_array(g, w, self.stride, self.dilation, padded, self.groups)
            gx = np.ascontiguousarray(_crop(gxp, self.pads, x.shape[2:]))
        if self.needs[1]:
            gw = _weight_grad_array(_pad_array(x, self.pads), g, w.shape[2:], self.stride,
                                    self.dilation, self.groups)
        return gx, gw

    def _transposed_grads(self, x: np.ndarray, w: np.ndarray, g: np.ndarray) -> tuple:
        # The adjoint's gradients: a convolution of the (padded) output gradient for the
        # input, and the convolution's weight gradient with ``g`` as its input.
        gp = _pad_array(g, self.pads)
        gx = gw = None
        if self.needs[0]:
            gx = _conv_array(gp, w, self.stride, self.dilation, x.shape[2:], self.groups)
        if self.needs[1]:
            gw = _weight_grad_array(gp, x, w.shape[2:], self.stride, self.dilation,
                                    self.groups)
        return gx, gw


def _record(res: Tensor, input: Tensor, weight: Tensor, bias: Tensor | None,
            **attrs: Any) -> None:
    node = record(res, ConvolutionBackward0, input, weight, bias)
    if node is None:
        return
    node.save(input, weight)
    node.needs = tuple(t is not None and t._requires_grad for t in (input, weight, bias))
    for k, v in attrs.items():
        setattr(node, k, v)


# -- conv3d -----------------------------------------------------------------------------------
def _out_size(padded: tuple, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < k for p, k in zip(padded, span)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_by(padded)}). "
                           f"Kernel size: ({_by(span)}). Kernel size can't be greater than "
                           "actual input size")
    return tuple((p - k) // s + 1 for p, k, s in zip(padded, span, stride))


def _check_dilation(dilation: tuple, transposed: bool) -> None:
    if all(d > 0 for d in dilation):
        return
    if transposed:
        got = ", ".join(f"dilation_{a}: {d}" for a, d in zip(_AXES, dilation))
    else:
        got = str(list(dilation))
    raise RuntimeError(f"dilation should be greater than zero, but got {got}")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-d convolution (cross-correlation) of (N, C, D, H, W) or (C, D, H, W) input with
    (O, C/groups, kd, kh, kw) weights; ``padding`` may be ``'same'`` or ``'valid'``."""
    _check_types(input, weight, bias)
    x, unbatched = _as_batched(input, 3, "conv3d")
    if unbatched:  # as torch: add a batch axis, convolve, drop it (recorded as views)
        return conv3d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    w = weight._data
    stride, dilation = _tuple(stride, 3, "stride"), _tuple(dilation, 3, "dilation")
    _check_weight_rank(x, w, 3, stride)
    _check_groups(groups)
    pads = _resolve_padding(padding, w.shape[2:], dilation, stride)
    _check_stride(stride)
    _check_shapes(x, w, bias, groups, transposed=False)
    _check_dilation(dilation, transposed=False)
    if any(a != b for a, b in pads):  # 'same' with an odd total: pad the end first, as torch
        from .padding import pad as _pad
        extra = [v for a, b in reversed(pads) for v in (0, b - a)]
        return conv3d(_pad(input, extra), weight, bias, stride, tuple(a for a, _ in pads),
                      dilation, groups)
    xp = _pad_array(x, pads)
    out = _out_size(xp.shape[2:], w.shape[2:], stride, dilation)
    res = _conv_array(xp, w, stride, dilation, out, groups)
    if bias is not None:
        res += bias._data.reshape(-1, 1, 1, 1)
    result = wrap(res)
    _record(result, input, weight, bias, transposed=False, pads=pads, stride=stride,
            dilation=dilation, groups=groups)
    return result


# -- conv_transpose3d -------------------------------------------------------------------------
def _check_output_padding(output_padding: tuple, stride: tuple, dilation: tuple) -> None:
    if all(op < s or op < d for op, s, d in zip(output_padding, stride, dilation)):
        return
    parts = [f"output_padding_{a}: {v}" for a, v in zip(_AXES, output_padding)]
    parts += [f"stride_{a}: {v}" for a, v in zip(_AXES, stride)]
    parts += [f"dilation_{a}: {v}" for a, v in zip(_AXES, dilation)]
    raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                       + " ".join(parts))


def _transposed_size(in_size: tuple, kernel: tuple, stride: tuple, padding: tuple,
                     output_padding: tuple, dilation: tuple) -> tuple:
    out = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, k, s, p, op, d in
                zip(in_size, kernel, stride, padding, output_padding, dilation))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size per channel: ({_by(in_size)}). Calculated output "
                           f"size per channel: ({_by(out)}). Output size is too small")
    return out


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 3-d convolution of (N, Cin, D, H, W) or (Cin, D, H, W) input with
    (Cin, Cout/groups, kd, kh, kw) weights: the adjoint of ``conv3d``."""
    _check_types(input, weight, bias, transposed=True)
    x, unbatched = _as_batched(input, 3, "conv_transpose3d")
    if unbatched:
        return conv_transpose3d(input.unsqueeze(0), weight, bias, stride, padding,
                                output_padding, groups, dilation).squeeze(0)
    w = weight._data
    stride, padding, output_padding, dilation = (
        _tuple(v, 3, k) for v, k in ((stride, "stride"), (padding, "padding"),
                                     (output_padding, "output_padding"),
                                     (dilation, "dilation")))
    _check_weight_rank(x, w, 3, stride)
    _check_groups(groups)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    _check_stride(stride)
    _check_shapes(x, w, bias, groups, transposed=True)
    _check_dilation(dilation, transposed=True)
    _check_output_padding(output_padding, stride, dilation)
    out = _transposed_size(x.shape[2:], w.shape[2:], stride, padding, output_padding, dilation)
    pads = tuple((p, p) for p in padding)
    padded = tuple(o + 2 * p for o, p in zip(out, padding))
    full = _adjoint_array(x, w, stride, dilation, padded, groups)
    res = np.ascontiguousarray(_crop(full, pads, out))
    if bias is not None:
        res += bias._data.reshape(-1, 1, 1, 1)
    result = wrap(res)
    _record(result, input, weight, bias, transposed=True, pads=pads, stride=stride,
            dilation=dilation, groups=groups)
    return result
