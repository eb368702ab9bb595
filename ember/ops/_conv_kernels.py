"""Array kernels behind the convolutions: im2col in cache-sized chunks, one GEMM per chunk.

Layout. Activations stay NCHW. For a chunk of ``b`` samples the zero-padded input is copied
once into a column buffer ``cols`` laid out (C, kh, kw, b, OH, OW), i.e. per group a
(C/G*kh*kw, b*OH*OW) matrix whose innermost copies run along output rows. Then

* forward:       ``W (O, K) @ cols`` is one GEMM per chunk; its (O, b, P) result is
  transposed into the NCHW output while still in cache (adding the bias on the way);
* weight grad:   ``gW^T += cols (K, bP) @ g^T (bP, O)``, the long axis bP inner;
* input grad:    for stride 1, a convolution of the output gradient (padded by the kernel's
  span, minus the forward's padding) with the flipped, transposed kernel: the same im2col and
  GEMM again, often faster than folding columns back. Strided convolutions fold ``W^T @ g``
  back with one strided add per kernel position (col2im).

Why chunks. The whole column matrix of a mid-sized layer is tens of megabytes: writing it to
memory and reading it back costs as much as the GEMM itself. A chunk of a few MiB stays in
cache between the copy and the product, and the forward keeps nothing but the input, so the
backward rebuilds the columns chunk by chunk instead of holding nine copies of the input.
A chunk holds several samples so that each BLAS call stays large: with a threaded BLAS
every call costs a hand-off between threads.

The padding, column and product buffers are work arrays reused across calls
(:mod:`ember.ops._scratch`), which spares the page faults of fresh large arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._scratch import work_array

__all__ = ["Geometry", "conv_forward", "conv_weight_grad", "conv_input_grad"]

_CHUNK_BYTES = 4 << 20


class Geometry(NamedTuple):
    """Everything about a 2-d convolution except the data: sizes are (height, width)."""

    kernel: tuple
    stride: tuple
    dilation: tuple
    pad: tuple          # (top, bottom, left, right); negative values crop
    groups: int
    out_hw: tuple       # output spatial size of the convolution
    padded_hw: tuple    # padded input size of the convolution


def _samples_per_chunk(n: int, per_sample_bytes: int) -> int:
    return max(1, min(n, _CHUNK_BYTES // max(per_sample_bytes, 1)))


def _padded(x: np.ndarray, pad: tuple) -> np.ndarray:
    """``x`` (b, C, H, W) zero padded by ``pad`` (negative entries crop), in a reused buffer
    (``x`` itself when there is nothing to pad)."""
    h, w = x.shape[2:]
    top, bottom, left, right = pad
    x = x[:, :, max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    top, bottom, left, right = (max(p, 0) for p in pad)
    if not (top or bottom or left or right):
        return x
    h, w = x.shape[2:]
    buf = work_array("conv_pad", x.shape[:2] + (top + h + bottom, left + w + right), x.dtype)
    # only the border is zeroed: the interior is overwritten right after
    buf[:, :, :top] = 0
    buf[:, :, top + h:] = 0
    buf[:, :, top:top + h, :left] = 0
    buf[:, :, top:top + h, left + w:] = 0
    buf[:, :, top:top + h, left:left + w] = x
    return buf


def _windows(xp: np.ndarray, geo: Geometry) -> np.ndarray:
    """View (C, kh, kw, b, OH, OW) of the padded ``xp`` (b, C, Hp, Wp): each kernel
    position's inputs for every output position."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = geo.kernel, geo.stride, geo.dilation, geo.out_hw
    span = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    win = sliding_window_view(xp, span, axis=(2, 3))           # (b, C, H', W', span_h, span_w)
    win = win[:, :, :(oh - 1) * sh + 1:sh, :(ow - 1) * sw + 1:sw, ::dh, ::dw]
    return win.transpose(1, 4, 5, 0, 2, 3)


def _column_chunks(x: np.ndarray, geo: Geometry):
    """Yield ``(start, stop, cols)`` over the batch: ``cols`` (G, C/G*kh*kw, b*OH*OW) holds
    the columns of samples ``start:stop``, in a reused buffer valid until the next chunk."""
    n, c = x.shape[:2]
    (kh, kw), (oh, ow) = geo.kernel, geo.out_hw
    step = _samples_per_chunk(n, c * kh * kw * oh * ow * x.dtype.itemsize)
    for start in range(0, n, step):
        xp = _padded(x[start:start + step], geo.pad)
        b = xp.shape[0]
        cols = work_array("conv_cols", (c, kh, kw, b, oh, ow), x.dtype)
        np.copyto(cols, _windows(xp, geo))
        yield start, start + b, cols.reshape(geo.groups, -1, b * oh * ow)


def _by_channel(g: np.ndarray, groups: int) -> np.ndarray:
    """A chunk (b, O, OH, OW) of an output gradient as (G, O/G, b*OH*OW), in a reused buffer."""
    b, o = g.shape[:2]
    buf = work_array("conv_grad", (o, b) + g.shape[2:], g.dtype)
    np.copyto(buf, g.transpose(1, 0, 2, 3))
    return buf.reshape(groups, o // groups, -1)


def conv_forward(x: np.ndarray, w: np.ndarray, geo: Geometry,
                 bias: np.ndarray | None = None) -> np.ndarray:
    """Convolve (N, C, H, W) with (O, C/G, kh, kw), adding ``bias`` (O,): contiguous
    (N, O, OH, OW)."""
    n, o, g = x.shape[0], w.shape[0], geo.groups
    oh, ow = geo.out_hw
    out = np.empty((n, o, oh * ow), dtype=x.dtype)
    wg = w.reshape(g, o // g, -1)
    for start, stop, cols in _column_chunks(x, geo):
        b = stop - start
        prod = work_array("conv_prod", (g, o // g, b * oh * ow), x.dtype)
        if g == 1:  # one plain 2-d GEMM per chunk
            np.matmul(wg[0], cols[0], out=prod[0])
        else:
            np.matmul(wg, cols, out=prod)
        # (O, b, P) -> (b, O, P), adding the bias while the chunk is still in cache
        prod = prod.reshape(o, b, oh * ow).transpose(1, 0, 2)
        if bias is None:
            np.copyto(out[start:stop], prod)
        else:
            np.add(prod, bias[:, None], out=out[start:stop])
    return out.reshape(n, o, oh, ow)


def conv_weight_grad(x: np.ndarray, g: np.ndarray, geo: Geometry, w_shape: tuple) -> np.ndarray:
    """Weight gradient of ``conv_forward(x, w, geo)`` given its output gradient ``g``."""
    acc = part = None
    for start, stop, cols in _column_chunks(x, geo):
        # cols (G, K, bP) @ grad^T (G, bP, O/G): the long axis bP is the inner one
        gt = _by_channel(g[start:stop], geo.groups).transpose(0, 2, 1)
        if acc is None:
            acc = np.matmul(cols, gt)
            part = np.empty_like(acc)
        else:
            acc += np.matmul(cols, gt, out=part)
    if acc is None:  # an empty batch
        return np.zeros(w_shape, dtype=x.dtype)
    return np.ascontiguousarray(acc.transpose(0, 2, 1)).reshape(w_shape)


def conv_input_grad(g: np.ndarray, w: np.ndarray, geo: Geometry, in_hw: tuple) -> np.ndarray:
    """Gradient w.r.t. the (unpadded) input of size ``in_hw``, given the output gradient ``g``
    (N, O, OH, OW); contiguous (N, C, H, W)."""
    if geo.stride == (1, 1):
        return conv_forward(g, _flipped(w, geo.groups), _flipped_geometry(geo, in_hw))
    return _col2im_grad(g, w, geo, in_hw)


def _flipped(w: np.ndarray, groups: int) -> np.ndarray:
    """(O, C/G, kh, kw) -> (C, O/G, kh, kw), each kernel rotated by 180 degrees."""
    o, cg, kh, kw = w.shape
    wg = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
    return np.ascontiguousarray(wg).reshape(groups * cg, o // groups, kh, kw)


def _flipped_geometry(geo: Geometry, in_hw: tuple) -> Geometry:
    """Geometry of the stride-1 convolution of the output gradient that gives the input's."""
    (kh, kw), (dh, dw), (oh, ow) = geo.kernel, geo.dilation, geo.out_hw
    top, left = (kh - 1) * dh - geo.pad[0], (kw - 1) * dw - geo.pad[2]
    # sizes, not the forward's bottom/right padding, fix the far side: with a transposed
    # convolution's output_padding the forward's last rows meet no window at all
    bottom = in_hw[0] + (kh - 1) * dh - oh - top
    right = in_hw[1] + (kw - 1) * dw - ow - left
    padded = (oh + top + bottom, ow + left + right)
    return Geometry(geo.kernel, (1, 1), geo.dilation, (top, bottom, left, right), geo.groups,
                    tuple(in_hw), padded)


def _col2im_grad(g: np.ndarray, w: np.ndarray, geo: Geometry, in_hw: tuple) -> np.ndarray:
    """Input gradient by folding ``W^T @ g`` back, one strided add per kernel position."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = geo.kernel, geo.stride, geo.dilation, geo.out_hw
    n, o, groups = g.shape[0], w.shape[0], geo.groups
    c = w.shape[1] * groups
    wt = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)     # (G, C/G*kh*kw, O/G)
    out = np.empty((n, c) + tuple(in_hw), dtype=g.dtype)
    top, left = geo.pad[0], geo.pad[2]
    step = _samples_per_chunk(n, c * kh * kw * oh * ow * g.dtype.itemsize)
    for start in range(0, n, step):
        gc = _by_channel(g[start:start + step], groups)
        b = gc.shape[2] // (oh * ow)
        cols = work_array("conv_cols", (groups, wt.shape[1], b * oh * ow), g.dtype)
        np.matmul(wt, gc, out=cols)
        cols = cols.reshape(c, kh, kw, b, oh, ow)
        padded = work_array("conv_pad", (c, b) + tuple(geo.padded_hw), g.dtype)
        padded.fill(0)
        for i in range(kh):
            rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
            for j in range(kw):
                padded[:, :, rows, j * dw:j * dw + (ow - 1) * sw + 1:sw] += cols[:, i, j]
        inner = padded[:, :, top:top + in_hw[0], left:left + in_hw[1]]
        np.copyto(out[start:start + b], inner.transpose(1, 0, 2, 3))
    return out
