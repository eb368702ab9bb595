"""Convolutions: conv1d, conv2d and conv_transpose2d as one large matrix product each.

Layout. The input (N, C, H, W) is zero padded, then viewed (no copy) as sliding windows and
copied once into a column matrix ``cols`` of shape (C * kh * kw, N * OH * OW): channel-major,
so that each group's rows are contiguous and the innermost copy runs along the output row.
The forward is then ``weight (O, C*kh*kw) @ cols``, one BLAS call (a batched matmul over the
groups when ``groups > 1``), giving (O, N, OH, OW) which is transposed into a contiguous NCHW
result. Fewer, larger BLAS calls also behave much better than many small ones when the
machine's cores are shared.

Backward. ``grad_weight = grad (O, N*OH*OW) @ cols.T`` reuses the forward's columns.
``grad_input`` multiplies ``weight.T @ grad`` and folds the columns back (col2im) by looping
over the kh * kw kernel positions, each a strided in-place add of a whole slab; this is far
faster than a scatter with ``np.add.at``.

The transposed convolution is the adjoint of a convolution: its forward is the convolution's
input gradient, and its input gradient is a convolution forward.

Gradients are computed with NumPy kernels on the incoming gradient's array, so double backward
through a convolution is not supported.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd.graph import Node
from ._numpy_grad import refuse_double_backward
from ._core import Tensor, record, wrap

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


class _Geometry(NamedTuple):
    """Everything about a 2-d convolution except the data: sizes are (height, width)."""

    kernel: tuple
    stride: tuple
    dilation: tuple
    pad: tuple          # (top, bottom, left, right)
    groups: int
    out_hw: tuple       # output spatial size of the convolution
    padded_hw: tuple    # padded input size of the convolution


# -- array kernels --------------------------------------------------------------------------
def _pad_zeros(x: np.ndarray, pad: tuple) -> np.ndarray:
    top, bottom, left, right = pad
    if not (top or bottom or left or right):
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))


def _im2col(xp: np.ndarray, geo: _Geometry) -> np.ndarray:
    """Columns (C, kh, kw, N, OH, OW) of the padded input ``xp`` (N, C, Hp, Wp)."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = geo.kernel, geo.stride, geo.dilation, geo.out_hw
    span = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    win = sliding_window_view(xp, span, axis=(2, 3))           # (N, C, H', W', span_h, span_w)
    win = win[:, :, :(oh - 1) * sh + 1:sh, :(ow - 1) * sw + 1:sw, ::dh, ::dw]
    return np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3))


def _col2im(cols: np.ndarray, n: int, geo: _Geometry) -> np.ndarray:
    """Fold columns (C, kh, kw, N, OH, OW) back into a padded image laid out (C, N, Hp, Wp)."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = geo.kernel, geo.stride, geo.dilation, geo.out_hw
    out = np.zeros((cols.shape[0], n) + geo.padded_hw, dtype=cols.dtype)
    for i in range(kh):
        rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
        for j in range(kw):
            out[:, :, rows, j * dw:j * dw + (ow - 1) * sw + 1:sw] += cols[:, i, j]
    return out


def _grouped_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for stacks of one matrix per group; a single 2-d GEMM when there is one."""
    if a.shape[0] == 1:
        return np.matmul(a[0], b[0])[None]
    return np.matmul(a, b)


def _channels_first(g: np.ndarray, groups: int) -> np.ndarray:
    """(N, C, H, W) -> (groups, C/groups, N*H*W): the layout the GEMMs consume."""
    c = g.shape[1]
    return np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(groups, c // groups, -1)


def _to_nchw(a: np.ndarray, n: int, hw: tuple) -> np.ndarray:
    """(C, N*H*W) (or (G, C/G, N*H*W)) -> contiguous (N, C, H, W)."""
    a = a.reshape(-1, n, hw[0], hw[1])
    return np.ascontiguousarray(a.transpose(1, 0, 2, 3))


def _conv_forward(x: np.ndarray, w: np.ndarray, geo: _Geometry) -> tuple:
    """Convolve (N, C, H, W) with (O, C/G, kh, kw): returns out (O, N*OH*OW) and the columns
    as (G, C/G*kh*kw, N*OH*OW), kept for the weight gradient."""
    g = geo.groups
    cols = _im2col(_pad_zeros(x, geo.pad), geo)
    cols_g = cols.reshape(g, cols.shape[0] // g * cols.shape[1] * cols.shape[2], -1)
    out = _grouped_matmul(w.reshape(g, w.shape[0] // g, -1), cols_g)
    return out.reshape(w.shape[0], -1), cols_g


def _conv_input_grad(g2: np.ndarray, w: np.ndarray, n: int, geo: _Geometry,
                     in_hw: tuple) -> np.ndarray:
    """Gradient w.r.t. the (unpadded) input, given g2 = grad as (G, O/G, N*OH*OW)."""
    groups = geo.groups
    w_t = w.reshape(groups, w.shape[0] // groups, -1).transpose(0, 2, 1)
    cols = _grouped_matmul(w_t, g2)                                 # (G, C/G*kh*kw, M)
    kh, kw = geo.kernel
    cols = cols.reshape(-1, kh, kw, n, geo.out_hw[0], geo.out_hw[1])
    padded = _col2im(cols, n, geo)
    top, left = geo.pad[0], geo.pad[2]
    inner = padded[:, :, top:top + in_hw[0], left:left + in_hw[1]]
    return np.ascontiguousarray(inner.transpose(1, 0, 2, 3))


def _conv_weight_grad(g2: np.ndarray, cols_g: np.ndarray, w_shape: tuple) -> np.ndarray:
    return _grouped_matmul(g2, cols_g.transpose(0, 2, 1)).reshape(w_shape)


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


def _check_types(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    a, b = input._data.dtype, weight._data.dtype
    if a != b:
        if a.itemsize > b.itemsize:
            raise RuntimeError(f"expected scalar type {_scalar_name(a)} but found "
                               f"{_scalar_name(b)}")
        raise RuntimeError(f"Input type (ember.{input.dtype._legacy}) and weight type "
                           f"(ember.{weight.dtype._legacy}) should be the same or input should "
                           "be a MKLDNN tensor and weight is a dense tensor")
    if bias is not None and bias._data.dtype != a:
        raise RuntimeError(f"Input type ({input.dtype.name.replace('float32', 'float')}) and "
                           f"bias type ({bias.dtype.name.replace('float64', 'double')}) "
                           "should be the same")


def _scalar_name(dt: np.dtype) -> str:
    return {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long",
            "int32": "Int"}.get(dt.name, dt.name.capitalize())


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
        if any(t % 2 for t in totals):
            warnings.warn("Using padding='same' with even kernel lengths and odd dilation may "
                          "require a zero-padded copy of the input be created", stacklevel=4)
        return tuple((t // 2, t - t // 2) for t in totals)
    pads = _tuple(padding, n, "padding")
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    return tuple((p, p) for p in pads)


def _geometry(in_hw: tuple, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple,
              groups: int) -> _Geometry:
    padded = tuple(s + a + b for s, (a, b) in zip(in_hw, pads))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < k for p, k in zip(padded, span)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_by(padded)}). "
                           f"Kernel size: ({_by(span)}). Kernel size can't be greater than "
                           "actual input size")
    out = tuple((p - k) // s + 1 for p, k, s in zip(padded, span, stride))
    return _Geometry(kernel, stride, dilation, pads[0] + pads[1], groups, out, padded)


def _by(sizes: tuple) -> str:
    return " x ".join(str(s) for s in sizes)


def _check_stride(stride: tuple) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")


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
        geo, n = self.geo, g.shape[0]
        g2 = _channels_first(g, geo.groups)
        gx = _conv_input_grad(g2, w, n, geo, self.in4[2:]) if self.needs[0] else None
        gw = _conv_weight_grad(g2, self.cols, self.w4) if self.needs[1] else None
        return gx, gw

    def _transposed_grads(self, g: np.ndarray, w: np.ndarray) -> tuple:
        # The transposed convolution's input gradient is the plain convolution of ``g``.
        out2, cols = _conv_forward(g, w, self.geo)
        gx = _to_nchw(out2, g.shape[0], self.geo.out_hw) if self.needs[0] else None
        gw = _conv_weight_grad(self.x2, cols, self.w4) if self.needs[1] else None
        return gx, gw

    def _release_extra(self) -> None:
        self.cols = self.x2 = None


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
    _check_shapes(x, w, bias, groups, transposed=False)
    stride, dilation = _tuple(stride, dims, "stride"), _tuple(dilation, dims, "dilation")
    _check_stride(stride)
    pads = _resolve_padding(padding, w.shape[2:], dilation, stride)
    if any(a != b for a, b in pads):  # 'same' with an odd total: pad the end first, as torch
        from .padding import pad as _pad
        extra = [v for a, b in reversed(pads) for v in (0, b - a)]
        return _convolution(_pad(input, extra), weight, bias, stride,
                            tuple(a for a, _ in pads), dilation, groups, dims)
    if dims == 1:
        x, w = x[:, :, None, :], w[:, :, None, :]
    stride, dilation, pads = _lift(dims, stride, dilation, pads)
    geo = _geometry(x.shape[2:], w.shape[2:], stride, dilation, pads, groups)
    out2, cols = _conv_forward(x, w, geo)
    if bias is not None:  # on the (O, N*OH*OW) product, each channel is one contiguous row
        out2 += bias._data[:, None]
    out = _to_nchw(out2, x.shape[0], geo.out_hw)
    res = wrap(out[:, :, 0, :] if dims == 1 else out)
    _record(res, input, weight, bias, geo=geo, transposed=False, w4=w.shape, in4=x.shape,
            out4=out.shape, cols=cols if weight._requires_grad else None)
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
    geo = _Geometry(tuple(kernel), stride, dilation, pads, groups, tuple(in_hw), padded)
    return geo, out_hw


def _conv_transpose(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
                    padding: Any, output_padding: Any, groups: int, dilation: Any,
                    dims: int) -> Tensor:
    _check_types(input, weight, bias)
    x, unbatched = _as_batched(input, dims, f"conv_transpose{dims}d")
    if unbatched:
        return _conv_transpose(input.unsqueeze(0), weight, bias, stride, padding,
                               output_padding, groups, dilation, dims).squeeze(0)
    w = weight._data
    _check_shapes(x, w, bias, groups, transposed=True)
    args = [_tuple(v, dims, k) for v, k in ((stride, "stride"), (padding, "padding"),
            (output_padding, "output_padding"), (dilation, "dilation"))]
    _check_stride(args[0])
    if any(p < 0 for p in args[1]):
        raise RuntimeError("negative padding is not supported")
    if dims == 1:
        x, w = x[:, :, None, :], w[:, :, None, :]
        args = [(unit,) + v for v, unit in zip(args, (1, 0, 0, 1))]
    geo, out_hw = _transposed_geometry(x, w, *args[:3], args[3], groups)
    x2 = _channels_first(x, groups)
    out = _conv_input_grad(x2, w, x.shape[0], geo, out_hw)
    if bias is not None:
        out += bias._data[:, None, None]
    res = wrap(out[:, :, 0, :] if dims == 1 else out)
    _record(res, input, weight, bias, geo=geo, transposed=True, w4=w.shape, in4=x.shape,
            out4=out.shape, x2=x2 if weight._requires_grad else None)
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
