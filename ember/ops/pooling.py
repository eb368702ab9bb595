"""Pooling: max_pool1d/2d (indices, ceil_mode), avg_pool2d, adaptive average and max pooling.

Windowed pooling loops over the kh * kw kernel positions; each position is one strided view
of the padded input covering every output at once, so a 2x2 pool is four whole-array passes
and no window is ever copied out. Max pooling keeps, per output, which kernel position won
(the first maximum, or a NaN, as torch does); backward adds the gradient back through the
same strided views; both split the batch into ranges of samples that run on the op threads
(``ember.ops._parallel``). Adaptive pooling averages with two small averaging matrices (it is
separable) and finds maxima by walking the (clamped) offsets inside each adaptive window.

Gradients are computed with NumPy on the incoming gradient's array: double backward through
these ops is not supported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.graph import Node
from . import _parallel
from ._numpy_grad import refuse_double_backward
from ._core import Tensor, record, wrap
from ._pooling_checks import (check_adaptive, check_max_pool1d, check_pool1d_input, one_int,
                              pool2d_geometry, require_dtype)

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d"]

_CHUNK_BYTES = 1 << 20  # samples per range of max pooling's work (see _sample_ranges)


# -- shared helpers --------------------------------------------------------------------------
def _batched(x: np.ndarray) -> np.ndarray:
    """(C, H, W) or (N, C, H, W) data as 4-d."""
    return x[None] if x.ndim == 3 else x


def _padded(x: np.ndarray, k: tuple, s: tuple, p: tuple, d: tuple, out: tuple,
            fill: Any) -> np.ndarray:
    """``x`` padded by ``p`` (and at the end as far as ceil-mode windows reach) with ``fill``."""
    need = [max(x.shape[i + 2] + 2 * p[i], (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1)
            for i in range(2)]
    extra = [need[i] - x.shape[i + 2] - p[i] for i in range(2)]
    if not (p[0] or p[1] or extra[0] or extra[1]):
        return x
    return np.pad(x, ((0, 0), (0, 0), (p[0], extra[0]), (p[1], extra[1])),
                  constant_values=fill)


def _window(a: np.ndarray, i: int, j: int, s: tuple, d: tuple, out: tuple) -> tuple:
    """The index selecting kernel position (i, j) of every output window in a padded array."""
    return (Ellipsis, slice(i * d[0], i * d[0] + (out[0] - 1) * s[0] + 1, s[0]),
            slice(j * d[1], j * d[1] + (out[1] - 1) * s[1] + 1, s[1]))


def _sample_ranges(a: np.ndarray) -> list:
    """Ranges of samples of ``a`` (N, C, H, W), about ``_CHUNK_BYTES`` each: max pooling
    runs them on the op threads (``ember.ops._parallel``)."""
    return _parallel.split(a.shape[0], a[:1].nbytes, _CHUNK_BYTES)


def _lowest(dtype: np.dtype) -> Any:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


# -- max pooling -----------------------------------------------------------------------------
def _windows(xp: np.ndarray, k: tuple, s: tuple, d: tuple, out: tuple) -> list:
    """One strided view per kernel position (row-major), each covering every output."""
    return [xp[_window(xp, i, j, s, d, out)] for i in range(k[0]) for j in range(k[1])]


def _position_dtype(k: tuple) -> np.dtype:
    return np.dtype(np.uint8 if k[0] * k[1] < 256 else np.int32)


def _max_positions(views: list, best: np.ndarray, pos: np.ndarray) -> None:
    """Per output, the kernel position holding its maximum, chosen as torch does: the first
    maximum, or the last NaN when the window has any; written into ``pos``."""
    # The first q with views[q] == best is ne0 * (1 + ne1 * (1 + ne2 * ...)) where
    # ne_q = views[q] != best: plain elementwise arithmetic, no masked writes.
    pos.fill(0)
    for q in range(len(views) - 2, -1, -1):
        pos += 1
        np.multiply(np.not_equal(views[q], best), pos, out=pos)
    if best.dtype.kind == "f" and np.isnan(best).any():
        for q, v in enumerate(views):
            np.copyto(pos, q, where=np.isnan(v))


def _fix_padded_lowest(pos: np.ndarray, best: np.ndarray, x: np.ndarray, geometry: tuple,
                       lowest: Any) -> None:
    """Windows whose maximum is the padding value itself (an input full of -inf there) point
    at their first real element, not at the padding."""
    k, s, p, d, out = geometry
    empty = best == lowest
    if not empty.any():
        return
    real = _padded(np.ones((1, 1) + x.shape[2:], dtype=bool), k, s, p, d, out, False)
    first = np.zeros(best.shape, dtype=pos.dtype)
    for q, v in reversed(list(enumerate(_windows(real, k, s, d, out)))):
        np.copyto(first, q, where=v)
    np.copyto(pos, first, where=empty)


def _flat_indices(pos: np.ndarray, k: tuple, s: tuple, p: tuple, d: tuple,
                  width: int) -> np.ndarray:
    """Kernel positions as torch's indices: offsets into each input plane (row * W + col)."""
    oh, ow = pos.shape[-2:]
    rows = (np.arange(oh) * s[0] - p[0])[:, None] + (pos // k[1]) * d[0]
    cols = (np.arange(ow) * s[1] - p[1]) + (pos % k[1]) * d[1]
    return (rows * width + cols).astype(np.int64)


class MaxPool2DWithIndicesBackward0(Node):
    """Routes each output's gradient to the input element that won its window."""

    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        g = grad._data.reshape(self.pos.shape)
        k, s, p, d, out = self.geometry
        h, w = self.in4[2:]
        gp = np.zeros(self.padded_shape, dtype=g.dtype)
        disjoint = all(si >= di * (ki - 1) + 1 for ki, si, di in zip(k, s, d))

        def part(bounds: tuple) -> None:
            gs, pos = g[bounds[0]:bounds[1]], self.pos[bounds[0]:bounds[1]]
            # g * (pos == q) is one fast pass, but would turn an inf or NaN gradient into NaN
            # where the mask is 0; such gradients take the slower masked path.
            finite = bool(np.isfinite(gs).all())
            for q, view in enumerate(_windows(gp[bounds[0]:bounds[1]], k, s, d, out)):
                hit = pos == q
                if disjoint and finite:  # each input element is in one window: plain writes
                    np.multiply(gs, hit, out=view)
                elif finite:
                    view += gs * hit
                else:
                    view += np.where(hit, gs, gs.dtype.type(0))

        _parallel.run(part, _sample_ranges(gp))
        gx = gp[:, :, p[0]:p[0] + h, p[1]:p[1] + w]
        return (wrap(np.ascontiguousarray(gx).reshape(self.in_shape)),)

    def _release_extra(self) -> None:
        self.pos = None


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> Any:
    """2-d max pooling returning ``(values, indices)`` (indices index each input plane)."""
    require_dtype(input.dtype, "max_pool2d", "nobool")
    k, s, p, d, out = pool2d_geometry(input._data.shape, kernel_size, stride, padding,
                                      dilation, ceil_mode, "max_pool2d")
    x = _batched(input._data)
    lowest = _lowest(x.dtype)
    xp = _padded(x, k, s, p, d, out, lowest)
    best = np.empty(x.shape[:2] + out, dtype=x.dtype)
    lead = input._data.shape[:-2]
    res = wrap(best.reshape(lead + out))
    node = record(res, MaxPool2DWithIndicesBackward0, input)
    pos = None if node is None and not return_indices else \
        np.empty(best.shape, dtype=_position_dtype(k))

    def part(bounds: tuple) -> None:  # the maxima (and their positions) of some samples
        views = _windows(xp[bounds[0]:bounds[1]], k, s, d, out)
        top = best[bounds[0]:bounds[1]]
        np.copyto(top, views[0])
        for v in views[1:]:
            np.maximum(top, v, out=top)  # NaN propagates, as in torch
        if pos is not None:
            _max_positions(views, top, pos[bounds[0]:bounds[1]])

    _parallel.run(part, _sample_ranges(xp))
    if pos is None:
        return res  # no argmax needed
    if xp is not x:
        _fix_padded_lowest(pos, best, x, (k, s, p, d, out), lowest)
    if node is not None:
        node.pos, node.geometry, node.in4 = pos, (k, s, p, d, out), x.shape
        node.padded_shape, node.in_shape = xp.shape, input._data.shape
    if not return_indices:
        return res
    return res, wrap(_flat_indices(pos, k, s, p, d, x.shape[3]).reshape(lead + out))


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """2-d max pooling over (N, C, H, W) or (C, H, W).

    >>> import ember
    >>> max_pool2d(ember.randn(8, 16, 28, 28), 2).shape
    ember.Size([8, 16, 14, 14])
    """
    return max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode,
                                   return_indices)


def _as_1d_arg(v: Any, unit: int) -> Any:
    if v is None:
        return None
    v = v if isinstance(v, (int, np.integer)) else tuple(v)
    return (unit, v) if isinstance(v, (int, np.integer)) else (unit,) + v


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> Any:
    """1-d max pooling: a 2-d pool over a unit height, as torch computes it."""
    if not return_indices:  # torch's own 1-d kernel, with its own checks
        check_max_pool1d(input._data.shape, kernel_size, stride, padding, dilation, ceil_mode)
        require_dtype(input.dtype, "max_pool1d_impl", "float")
    elif input.ndim not in (2, 3):
        sizes = ", ".join(str(v) for v in input.shape)
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:[{sizes}]")
    if stride is not None and not isinstance(stride, int) and len(stride) == 0:
        stride = None
    out = max_pool2d_with_indices(input.unsqueeze(-2), _as_1d_arg(kernel_size, 1),
                                  _as_1d_arg(stride, 1), _as_1d_arg(padding, 0),
                                  _as_1d_arg(dilation, 1), ceil_mode, return_indices)
    if not return_indices:
        return out.squeeze(-2)
    return out[0].squeeze(-2), out[1].squeeze(-2)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """1-d max pooling over (N, C, L) or (C, L)."""
    return max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode,
                                   return_indices)


# -- average pooling -------------------------------------------------------------------------
def _avg_divisor(sizes: tuple, k: tuple, s: tuple, p: tuple, out: tuple,
                 count_include_pad: bool, divisor_override: Any) -> Any:
    """Per-output divisor (OH, OW): window area, counting padding but not the ceil overhang."""
    if divisor_override:
        return divisor_override
    counts = []
    for size, ki, si, pi, oi in zip(sizes, k, s, p, out):
        start = np.arange(oi) * si - pi
        end = np.minimum(start + ki, size + pi)
        if count_include_pad:
            counts.append(end - start)
        else:
            counts.append(np.minimum(end, size) - np.maximum(start, 0))
    return np.outer(counts[0], counts[1])


class AvgPool2DBackward0(Node):
    """Spreads each output's gradient evenly over its window."""

    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        g = grad._data.reshape(self.out4)
        k, s, p, out = self.geometry
        share = g / np.asarray(self.divisor, dtype=g.dtype)
        gp = np.zeros(self.padded_shape, dtype=g.dtype)
        one = (1, 1)
        for i in range(k[0]):
            for j in range(k[1]):
                gp[_window(gp, i, j, s, one, out)] += share
        h, w = self.in4[2:]
        gx = gp[:, :, p[0]:p[0] + h, p[1]:p[1] + w]
        return (wrap(np.ascontiguousarray(gx).reshape(self.in_shape)),)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """2-d average pooling over (N, C, H, W) or (C, H, W).

    >>> import ember
    >>> avg_pool2d(ember.ones(1, 1, 4, 4), 2)
    tensor([[[[1., 1.],
              [1., 1.]]]])
    """
    k, s, p, d, out = pool2d_geometry(input._data.shape, kernel_size, stride, padding, 1,
                                      ceil_mode, "avg_pool2d", divisor_override)
    require_dtype(input.dtype, "avg_pool2d", "float+long")
    x = _batched(input._data)
    xp = _padded(x, k, s, p, d, out, 0)
    acc = None
    for i in range(k[0]):
        for j in range(k[1]):
            v = xp[_window(xp, i, j, s, d, out)]
            acc = v.astype(x.dtype, copy=True) if acc is None else np.add(acc, v, out=acc)
    divisor = _avg_divisor(x.shape[2:], k, s, p, out, count_include_pad, divisor_override)
    if acc.dtype.kind == "f":
        acc /= np.asarray(divisor, dtype=acc.dtype)
    else:  # integer averages round toward zero, as C++ division does
        acc = np.trunc(acc / np.asarray(divisor, dtype=np.float64)).astype(acc.dtype)
    res = wrap(acc.reshape(input._data.shape[:-2] + out))
    node = record(res, AvgPool2DBackward0, input)
    if node is not None:
        node.geometry, node.divisor, node.in4 = (k, s, p, out), divisor, x.shape
        node.out4, node.padded_shape, node.in_shape = acc.shape, xp.shape, input._data.shape
    return res


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """1-d average pooling over (N, C, L) or (C, L)."""
    check_pool1d_input(input._data.shape, "avg_pool1d")
    kernel_size, stride, padding = (one_int(v, "avg_pool1d", name) for v, name in (
        (kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding")))
    out = avg_pool2d(input.unsqueeze(-2), _as_1d_arg(kernel_size, 1), _as_1d_arg(stride, 1),
                     _as_1d_arg(padding, 0), ceil_mode, count_include_pad)
    return out.squeeze(-2)


# -- adaptive pooling ------------------------------------------------------------------------
def _adaptive_size(output_size: Any, x: np.ndarray, name: str) -> tuple:
    if x.ndim not in (3, 4):
        sizes = ", ".join(str(v) for v in x.shape)
        colon = ":" if name == "adaptive_max_pool2d" else ""
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got{colon} [{sizes}]")
    size = (output_size,) * 2 if isinstance(output_size, (int, np.integer)) or \
        output_size is None else tuple(output_size)
    if len(size) != 2:
        raise RuntimeError(f"{name}: output_size must be 2" if name == "adaptive_avg_pool2d"
                           else f"{name}(): internal error: output_size.size() must be 2")
    out = tuple(int(x.shape[-2 + i]) if v is None else int(v) for i, v in enumerate(size))
    check_adaptive(x.shape, out, name)
    return out


def _adaptive_bounds(size: int, out: int) -> tuple:
    """torch's adaptive windows: [floor(i * size / out), ceil((i + 1) * size / out))."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _averaging_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    start, end = _adaptive_bounds(size, out)
    cols = np.arange(size)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _apply_separable(x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``rows @ x @ cols.T`` over the last two axes, as two single matrix products."""
    lead, (h, w) = x.shape[:-2], x.shape[-2:]
    y = x.reshape(-1, w) @ cols.T                                  # (..., H, OW)
    y = y.reshape(-1, h, cols.shape[0]).transpose(0, 2, 1).reshape(-1, h) @ rows.T
    y = y.reshape(-1, cols.shape[0], rows.shape[0]).transpose(0, 2, 1)
    return np.ascontiguousarray(y).reshape(lead + (rows.shape[0], cols.shape[0]))


class AdaptiveAvgPool2DBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        g = grad._data
        if g.size == 0:  # an empty output: no input element reached it
            shape = g.shape[:-2] + (self.rows.shape[1], self.cols.shape[1])
            return (wrap(np.zeros(shape, dtype=g.dtype)),)
        return (wrap(_apply_separable(g, self.rows.T, self.cols.T)),)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size (None keeps that input size).

    >>> import ember
    >>> adaptive_avg_pool2d(ember.randn(2, 8, 7, 9), (3, 3)).shape
    ember.Size([2, 8, 3, 3])
    """
    oh, ow = _adaptive_size(output_size, input._data, "adaptive_avg_pool2d")
    if (oh, ow) == (1, 1):  # a plain mean, which is what torch records too
        return input.mean((-1, -2), keepdim=True)
    require_dtype(input.dtype, "adaptive_avg_pool2d", "float")
    x = input._data
    rows = _averaging_matrix(x.shape[-2], oh, x.dtype)
    cols = _averaging_matrix(x.shape[-1], ow, x.dtype)
    res = wrap(_apply_separable(x, rows, cols) if oh and ow
               else np.zeros(x.shape[:-2] + (oh, ow), dtype=x.dtype))
    node = record(res, AdaptiveAvgPool2DBackward0, input)
    if node is not None:
        node.rows, node.cols = rows, cols
    return res


def _adaptive_max(x: np.ndarray, out: tuple) -> tuple:
    """Maxima and their flat plane indices over torch's adaptive windows."""
    hs, he = _adaptive_bounds(x.shape[-2], out[0])
    ws, we = _adaptive_bounds(x.shape[-1], out[1])
    best = idx = None
    for a in range(int((he - hs).max())):
        rows = np.minimum(hs + a, he - 1)  # clamped: revisiting an element never changes a max
        xr = x[..., rows, :]
        for b in range(int((we - ws).max())):
            cols = np.minimum(ws + b, we - 1)
            v = xr[..., cols]
            flat = rows[:, None] * x.shape[-1] + cols
            if best is None:
                best, idx = v, np.broadcast_to(flat, v.shape).astype(np.int64)
                continue
            take = np.greater(v, best)
            if v.dtype.kind == "f":
                take |= np.isnan(v)
            np.copyto(best, v, where=take)
            np.copyto(idx, flat, where=take)
    return best, idx


def _scatter_planes(g: np.ndarray, idx: np.ndarray, plane: tuple) -> np.ndarray:
    """Sum ``g`` into zeros of shape (..., *plane) at flat plane indices ``idx``."""
    size = plane[0] * plane[1]
    lead = g.shape[:-2]
    n = int(np.prod(lead))
    offsets = (np.arange(n) * size)[:, None] + idx.reshape(n, -1)
    total = np.bincount(offsets.ravel(), weights=g.reshape(-1), minlength=n * size)
    return total.astype(g.dtype).reshape(lead + plane)


class AdaptiveMaxPool2DBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        return (wrap(_scatter_planes(grad._data, self.indices, self.plane)),)

    def _release_extra(self) -> None:
        self.indices = None


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed output size; with ``return_indices`` also the argmax indices."""
    out = _adaptive_size(output_size, input._data, "adaptive_max_pool2d")
    require_dtype(input.dtype, "adaptive_max_pool2d", "float")
    if 0 in out or input._data.size == 0:  # nothing to take a maximum of
        best = np.empty(input._data.shape[:-2] + out, dtype=input._data.dtype)
        idx = np.zeros(best.shape, dtype=np.int64)
    else:
        best, idx = _adaptive_max(input._data, out)
    res = wrap(best)
    node = record(res, AdaptiveMaxPool2DBackward0, input)
    if node is not None:
        node.indices, node.plane = idx, input._data.shape[-2:]
    return (res, wrap(idx)) if return_indices else res


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    check_pool1d_input(input._data.shape, "adaptive_avg_pool1d")
    size = one_int(output_size, "adaptive_avg_pool1d", "output_size")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    check_pool1d_input(input._data.shape, "adaptive_max_pool1d")
    size = one_int(output_size, "adaptive_max_pool1d", "output_size")
    out = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)
