"""Three-dimensional pooling: max, average and adaptive pooling of (N, C, D, H, W) input.

Windowed pooling gathers the padded input at every kernel offset (the same strided views as
the 3-d convolution's column matrix) into one (N, C, K, OD, OH, OW) array and reduces over
K. Max pooling picks, per output, the first maximum or the last NaN, and never a padding
element (an all ``-inf`` window points at its first real element), as torch does; its
indices are flat offsets into each (D, H, W) plane, and its backward adds each gradient to
the element it indexes. Adaptive average pooling is separable: one small averaging matrix
per dimension. Adaptive max pooling walks the (few) output positions.

Gradients are NumPy computations on the incoming gradient: no double backward.

>>> import ember
>>> from ember.ops._volumetric_pool import max_pool3d
>>> max_pool3d(ember.randn(1, 2, 4, 4, 4), 2).shape
ember.Size([1, 2, 2, 2, 2])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, record, wrap
from ._numpy_grad import refuse_double_backward
from ._pooling_checks import (_half, _sizes, check_adaptive, out_size, require_dtype,
                              per_dim)
from .volumetric import _fold, _window_views

__all__ = ["max_pool3d", "max_pool3d_with_indices", "avg_pool3d", "adaptive_avg_pool3d",
           "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "max_unpool"]


# -- arguments --------------------------------------------------------------------------------
def _triple(v: Any, message: str) -> tuple:
    return per_dim(v, message, 3)


def _parse(name: str, kernel: Any, stride: Any, padding: Any, dilation: Any) -> tuple:
    # max and average pooling word their messages slightly differently
    either = "either " if name == "max_pool3d" else ""
    k = _triple(kernel, f"{name}: kernel_size must {either}be a single int, or a tuple of "
                        "three ints")
    omitted = stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0)
    s = k if omitted else _triple(stride, f"{name}: stride must {either}be omitted, a single "
                                          "int, or a tuple of three ints")
    p = _triple(padding, f"{name}: padding must {either}be a single int, or a tuple of three "
                         "ints")
    d = _triple(dilation, f"{name}: dilation must be either a single int, or a tuple of three "
                          "ints")
    return k, s, p, d


def _check_input(shape: tuple, name: str) -> None:
    if len(shape) not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if 0 in shape[-4:]:
        where = ("max_pool3d_with_indices_out_cpu_template()" if name == "max_pool3d"
                 else "avg_pool3d()")
        # torch names dimension 0 whichever of them is empty
        raise RuntimeError(f"{where}: Expected input's non-batch dimensions to have "
                           f"positive length, but input has a shape of {_sizes(shape)} "
                           "and non-batch dimension 0 has length zero!")


def _check_window(k: tuple, s: tuple, p: tuple, d: tuple) -> None:
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {k[0]} "
                           f"kH: {k[1]} kW: {k[2]}")
    if any(v < 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got dT: {s[0]} "
                           f"dH: {s[1]} dW: {s[2]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {d[0]} "
                           f"dilationH: {d[1]} dilationW: {d[2]}")
    for ki, pi, di in zip(k, p, d):
        if pi < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pi}")
        if pi > _half((ki - 1) * di + 1):
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pi}, kernel_size={ki} and dilation={di}")


def pool3d_geometry(shape: tuple, kernel: Any, stride: Any, padding: Any, dilation: Any,
                    ceil_mode: bool, name: str, divisor_override: Any = None) -> tuple:
    """Checked ``(kernel, stride, padding, dilation, out)`` triples of a 3-d pooling of an
    input of ``shape``; ``name`` is ``"max_pool3d"`` or ``"avg_pool3d"``."""
    k, s, p, d = _parse(name, kernel, stride, padding, dilation)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _check_input(shape, name)
    _check_window(k, s, p, d)
    spatial = shape[-3:]
    if name == "avg_pool3d" and any(i < ki for i, ki in zip(spatial, k)):
        raise RuntimeError(f"input image (T: {spatial[0]} H: {spatial[1]} W: {spatial[2]}) "
                           f"smaller than kernel size (kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    out = tuple(out_size(spatial[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(3))
    if any(o < 1 for o in out):
        c = shape[-4]
        raise RuntimeError(f"Given input size: ({c}x{'x'.join(map(str, spatial))}). Calculated "
                           f"output size: ({c}x{'x'.join(map(str, out))}). Output size is too "
                           "small")
    return k, s, p, d, out


def _pad_to_windows(x: np.ndarray, k: tuple, s: tuple, p: tuple, d: tuple, out: tuple,
                    fill: Any) -> np.ndarray:
    """``x`` padded by ``p`` before and as far after as the (ceil mode) windows reach."""
    after = [max(p[i], (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - x.shape[i + 2] - p[i])
             for i in range(3)]
    if not any(p) and not any(after):
        return x
    return np.pad(x, ((0, 0), (0, 0)) + tuple(zip(p, after)), constant_values=fill)


def _gathered(xp: np.ndarray, k: tuple, s: tuple, d: tuple, out: tuple) -> np.ndarray:
    """The windows as (N, C, K, *out): every kernel offset's element for every output."""
    win = _window_views(xp, k, s, d, out)
    return win.reshape(xp.shape[:2] + (k[0] * k[1] * k[2],) + tuple(out))


# -- max pooling ------------------------------------------------------------------------------
def _lowest(dtype: np.dtype) -> Any:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _argmax_torch(cols: np.ndarray) -> np.ndarray:
    """Per window (axis 2), the first maximum's position, or the last NaN's when any."""
    pos = np.argmax(cols, axis=2)  # NumPy's argmax stops at the first NaN
    if cols.dtype.kind == "f":
        nan = np.isnan(cols)
        if nan.any():
            last = cols.shape[2] - 1 - np.argmax(nan[:, :, ::-1], axis=2)
            pos = np.where(nan.any(axis=2), last, pos)
    return pos


def _plane_indices(pos: np.ndarray, spatial: tuple, k: tuple, s: tuple, p: tuple,
                   d: tuple) -> np.ndarray:
    """Kernel positions (N, C, *out) as flat offsets into each input plane."""
    offsets = np.unravel_index(pos, k)
    flat = np.zeros(pos.shape, dtype=np.int64)
    for axis in range(3):
        start = np.arange(pos.shape[2 + axis]) * s[axis] - p[axis]
        start = start.reshape((-1,) + (1,) * (2 - axis))
        flat = flat * spatial[axis] + start + offsets[axis] * d[axis]
    return flat


def scatter_to_planes(values: np.ndarray, indices: np.ndarray, plane: int) -> np.ndarray:
    """(N, C, plane) zeros plus each value added at its flat plane index (same lead dims)."""
    lead = int(np.prod(values.shape[:2]))
    rows = np.arange(lead).reshape(values.shape[:2] + (1,) * (values.ndim - 2)) * plane
    flat = (indices + rows).ravel()
    out = np.bincount(flat, weights=values.ravel(), minlength=lead * plane)
    return out.astype(values.dtype, copy=False).reshape(values.shape[:2] + (plane,))


class _PlaneScatterBackward(Node):
    """Sends each output's gradient to the input element its index names."""

    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        g = grad._data.reshape(self.indices.shape)
        gx = scatter_to_planes(g, self.indices, int(np.prod(self.in5[2:])))
        return (wrap(gx.reshape(self.in_shape)),)

    def _release_extra(self) -> None:
        self.indices = None


class MaxPool3DWithIndicesBackward0(_PlaneScatterBackward):
    """Gradient of 3-d max pooling."""


class AdaptiveMaxPool3DBackward0(_PlaneScatterBackward):
    """Gradient of 3-d adaptive max pooling."""


def _with_indices(res: Tensor, input: Tensor, node_type: type, flat: np.ndarray,
                  in5: tuple) -> tuple:
    node = record(res, node_type, input)
    if node is not None:
        node.indices, node.in5, node.in_shape = flat, in5, input._data.shape
    return res, wrap(flat.reshape(res._data.shape))


def max_pool3d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple:
    """3-d max pooling returning ``(values, indices)`` (indices index each input plane)."""
    k, s, p, d, out = pool3d_geometry(input._data.shape, kernel_size, stride, padding,
                                      dilation, ceil_mode, "max_pool3d")
    require_dtype(input.dtype, "max_pool3d", "nobool")
    x = input._data if input._data.ndim == 5 else input._data[None]
    cols = _gathered(_pad_to_windows(x, k, s, p, d, out, _lowest(x.dtype)), k, s, d, out)
    pos = _argmax_torch(cols)
    if any(p) or ceil_mode:  # a window's maximum must be a real element, never the padding
        real = _pad_to_windows(np.ones((1, 1) + x.shape[2:], dtype=bool), k, s, p, d, out,
                               False)
        real = _gathered(real, k, s, d, out)
        picked = np.take_along_axis(real, pos[:, :, None], axis=2)[:, :, 0]
        pos = np.where(picked, pos, np.argmax(real, axis=2))
    best = np.take_along_axis(cols, pos[:, :, None], axis=2)[:, :, 0]
    flat = _plane_indices(pos, x.shape[2:], k, s, p, d)
    lead = input._data.shape[:-3]
    res = wrap(np.ascontiguousarray(best).reshape(lead + out))
    return _with_indices(res, input, MaxPool3DWithIndicesBackward0, flat, x.shape)


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """3-d max pooling over (N, C, D, H, W) or (C, D, H, W) input."""
    res, indices = max_pool3d_with_indices(input, kernel_size, stride, padding, dilation,
                                           ceil_mode)
    return (res, indices) if return_indices else res


# -- average pooling --------------------------------------------------------------------------
def _avg_divisor(sizes: tuple, k: tuple, s: tuple, p: tuple, out: tuple,
                 count_include_pad: bool) -> np.ndarray:
    """Per-output divisor (OD, OH, OW): the window's size, counting the padding (when asked)
    but never the part of a ceil-mode window beyond it."""
    counts = []
    for size, ki, si, pi, oi in zip(sizes, k, s, p, out):
        start = np.arange(oi) * si - pi
        end = np.minimum(start + ki, size + pi)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    return np.multiply.outer(np.multiply.outer(counts[0], counts[1]), counts[2])


class AvgPool3DBackward0(Node):
    """Spreads each output's gradient evenly over its window."""

    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        g = grad._data.reshape(self.out5)
        share = g / np.asarray(self.divisor, dtype=g.dtype)
        k, p, s = self.kernel, self.padding, self.stride
        cols = np.broadcast_to(share[:, :, None, None, None], g.shape[:2] + k + g.shape[2:])
        gp = _fold(cols, self.padded, s, (1, 1, 1))
        gx = gp[(Ellipsis,) + tuple(slice(pi, pi + n) for pi, n in zip(p, self.in5[2:]))]
        return (wrap(np.ascontiguousarray(gx).reshape(self.in_shape)),)


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """3-d average pooling over (N, C, D, H, W) or (C, D, H, W) input.

    >>> import ember
    >>> avg_pool3d(ember.ones(1, 1, 2, 2, 2), 2)
    tensor([[[[[1.]]]]])
    """
    k, s, p, d, out = pool3d_geometry(input._data.shape, kernel_size, stride, padding, 1,
                                      ceil_mode, "avg_pool3d", divisor_override)
    require_dtype(input.dtype, "avg_pool3d_out_frame", "float+long")
    x = input._data if input._data.ndim == 5 else input._data[None]
    xp = _pad_to_windows(x, k, s, p, d, out, 0)
    total = _gathered(xp, k, s, d, out).sum(axis=2, dtype=x.dtype)
    divisor = (np.asarray(divisor_override) if divisor_override
               else _avg_divisor(x.shape[2:], k, s, p, out, count_include_pad))
    if total.dtype.kind == "f":
        total /= divisor.astype(total.dtype)
    else:  # integer averages round toward zero, as C++ division does
        total = np.trunc(total / divisor.astype(np.float64)).astype(total.dtype)
    res = wrap(total.reshape(input._data.shape[:-3] + out))
    node = record(res, AvgPool3DBackward0, input)
    if node is not None:
        node.kernel, node.stride, node.padding, node.divisor = k, s, p, divisor
        node.out5, node.padded, node.in5 = total.shape, xp.shape[2:], x.shape
        node.in_shape = input._data.shape
    return res


# -- adaptive pooling -------------------------------------------------------------------------
def _adaptive_sizes(output_size: Any, shape: tuple, name: str) -> tuple:
    if len(shape) not in (4, 5):
        colon = ":" if name == "adaptive_max_pool3d" else ""
        raise RuntimeError(f"{name}(): Expected 4D or 5D tensor, but got{colon} {_sizes(shape)}")
    if isinstance(output_size, (int, np.integer)):
        output_size = (output_size,) * 3
    if len(output_size) != 3:
        if name == "adaptive_avg_pool3d":
            raise RuntimeError("adaptive_avg_pool3d: output_size must be 3")
        raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must be 3")
    out = tuple(shape[i - 3] if o is None else int(o) for i, o in enumerate(output_size))
    if any(o < 0 for o in out):
        if name == "adaptive_avg_pool3d":
            raise RuntimeError(f"{name}: elements of output_size must be greater than or "
                               f"equal to 0 but received {{{out[0]}, {out[1]},{out[2]}}}")
        bad = next(o for o in out if o < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                           f"{_sizes(shape[:-3] + out)}")
    check_adaptive(shape, out, name)
    return out


def _bounds(size: int, out: int) -> list:
    """(start, end) of each adaptive window along one dimension."""
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _averaging_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    m = np.zeros((out, size), dtype=dtype)
    for i, (a, b) in enumerate(_bounds(size, out)):
        m[i, a:b] = 1.0 / (b - a)
    return m


class AdaptiveAvgPool3DBackward0(Node):
    """The transposed averaging matrices applied to the output gradient."""

    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        md, mh, mw = self.matrices
        g = np.einsum("ncabe,ad,bh,ew->ncdhw", grad._data.reshape(self.out5), md, mh, mw,
                      optimize=True)
        return (wrap(np.ascontiguousarray(g).reshape(self.in_shape)),)


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) input to ``output_size`` (None
    keeps that dimension's size)."""
    out = _adaptive_sizes(output_size, input._data.shape, "adaptive_avg_pool3d")
    require_dtype(input.dtype, "adaptive_avg_pool3d_cpu", "float")
    x = input._data if input._data.ndim == 5 else input._data[None]
    mats = tuple(_averaging_matrix(n, o, x.dtype) for n, o in zip(x.shape[2:], out))
    y = np.einsum("ncdhw,ad,bh,ew->ncabe", x, *mats, optimize=True)
    res = wrap(np.ascontiguousarray(y, dtype=x.dtype).reshape(input._data.shape[:-3] + out))
    node = record(res, AdaptiveAvgPool3DBackward0, input)
    if node is not None:
        node.matrices, node.out5, node.in_shape = mats, y.shape, input._data.shape
    return res


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple:
    """Adaptive 3-d max pooling returning ``(values, indices)``."""
    out = _adaptive_sizes(output_size, input._data.shape, "adaptive_max_pool3d")
    require_dtype(input.dtype, "adaptive_max_pool3d_cpu", "float")
    x = input._data if input._data.ndim == 5 else input._data[None]
    n, c, depth, height, width = x.shape
    best = np.empty((n, c) + out, dtype=x.dtype)
    flat = np.empty((n, c) + out, dtype=np.int64)
    for i, (d0, d1) in enumerate(_bounds(depth, out[0])):
        for j, (h0, h1) in enumerate(_bounds(height, out[1])):
            for q, (w0, w1) in enumerate(_bounds(width, out[2])):
                win = x[:, :, d0:d1, h0:h1, w0:w1]
                cols = win.reshape(n, c, -1)
                pos = _argmax_torch(cols)
                best[:, :, i, j, q] = np.take_along_axis(cols, pos[:, :, None], 2)[:, :, 0]
                dd, hh, ww = np.unravel_index(pos, win.shape[2:])
                flat[:, :, i, j, q] = ((dd + d0) * height + hh + h0) * width + ww + w0
    res = wrap(best.reshape(input._data.shape[:-3] + out))
    return _with_indices(res, input, AdaptiveMaxPool3DBackward0, flat, x.shape)


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) input to ``output_size``."""
    res, indices = adaptive_max_pool3d_with_indices(input, output_size)
    return (res, indices) if return_indices else res


# -- max unpooling ----------------------------------------------------------------------------
def _check_unpool(input: Tensor, indices: Tensor, dims: int) -> None:
    if indices._data.dtype != np.int64:
        got = "" if dims == 3 else f" but got: {D.scalar_type_name(indices.dtype)}"
        raise RuntimeError(f"elements in indices should be type int64{got}")
    nd = input._data.ndim
    if nd not in (dims + 1, dims + 2):
        raise RuntimeError(f"Input to max_unpooling{dims}d should be a {dims + 1}d or "
                           f"{dims + 2}d Tensor, but got a tensor with {nd} dimensions.")
    if indices._data.shape != input._data.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({_sizes(input._data.shape)}) but got indices tensor with shape: "
                           f"{_sizes(indices._data.shape)}")
    require_dtype(input.dtype, f"max_unpool{dims}d", "float")


class _UnpoolBackward(Node):
    """Each input element's gradient is the output gradient where the element was put."""

    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        g = grad._data.reshape(self.flat.shape[0], -1)
        gx = np.take_along_axis(g, self.flat, axis=1)
        return (wrap(gx.reshape(self.in_shape)),)


class MaxUnpool2DBackward0(_UnpoolBackward):
    """Gradient of 2-d max unpooling."""


class MaxUnpool3DBackward0(_UnpoolBackward):
    """Gradient of 3-d max unpooling."""


def max_unpool(input: Tensor, indices: Tensor, output_size: tuple, dims: int) -> Tensor:
    """Place each input value at its index in a zero (..., C, *output_size) result: the
    inverse of max pooling over ``dims`` (2 or 3) spatial dimensions."""
    _check_unpool(input, indices, dims)
    x = input._data
    lead = x.shape[:-dims]
    planes = int(np.prod(lead))
    plane = int(np.prod(output_size))
    flat = np.ascontiguousarray(indices._data).reshape(planes, -1)
    bad = (flat < 0) | (flat >= plane)
    if bad.any():  # the first bad index (torch's threads may report another of several)
        raise RuntimeError(f"Found an invalid max index: {flat[bad][0]} (output volumes are of "
                           f"size {'x'.join(str(s) for s in output_size)})")
    out = np.zeros((planes, plane), dtype=x.dtype)
    np.put_along_axis(out, flat, x.reshape(planes, -1), axis=1)
    res = wrap(out.reshape(lead + tuple(output_size)))
    node = record(res, MaxUnpool3DBackward0 if dims == 3 else MaxUnpool2DBackward0, input)
    if node is not None:
        node.flat, node.in_shape = flat, x.shape
    return res
