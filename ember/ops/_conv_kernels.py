"""Array kernels behind the convolutions: im2col in cache-sized chunks, then one GEMM per sample.

Layout. Activations stay NCHW. For a chunk of ``b`` samples the zero-padded input is copied
once into a column buffer ``cols`` of shape (b, G, C/G * kh * kw, OH * OW); per sample and
group that is a (K, P) matrix whose rows are contiguous output rows. Then

* forward:       ``out[n] = W (O, K) @ cols[n]`` lands directly in the NCHW result;
* weight grad:   ``gW^T += cols[n] (K, P) @ g[n]^T (P, O)``, summed over the samples;
* input grad:    for stride 1, a convolution of the output gradient (padded by the kernel's
  span, minus the forward's padding) with the flipped, transposed kernel: the same im2col and
  GEMM again. Strided convolutions fold ``W^T @ g`` back with one strided add per kernel
  position (col2im).

Why chunks. The whole column matrix of a mid-sized layer is tens of megabytes: writing it to
memory and reading it back costs as much as the GEMM itself. A chunk of about 2 MiB stays in
cache between the copy and the product, and the forward keeps nothing but the input, so the
backward rebuilds the columns chunk by chunk instead of holding nine copies of the input.

Why reused buffers. The padding and column buffers are kept per thread and reused: a fresh
multi-megabyte array costs one page fault per page when first written, which is as expensive
as filling it.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["Geometry", "conv_forward", "conv_weight_grad", "conv_input_grad"]

_CHUNK_BYTES = 2 << 20
_scratch = threading.local()


class Geometry(NamedTuple):
    """Everything about a 2-d convolution except the data: sizes are (height, width)."""

    kernel: tuple
    stride: tuple
    dilation: tuple
    pad: tuple          # (top, bottom, left, right); negative values crop
    groups: int
    out_hw: tuple       # output spatial size of the convolution
    padded_hw: tuple    # padded input size of the convolution


def _buffer(role: str, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """A per-thread work array for ``role`` (contents undefined), grown when too small."""
    pool = getattr(_scratch, "pool", None)
    if pool is None:
        pool = _scratch.pool = {}
    nbytes = int(np.prod(shape)) * dtype.itemsize
    flat = pool.get(role)
    if flat is None or flat.nbytes < nbytes:
        flat = pool[role] = np.empty(max(nbytes, 1), np.uint8)
    return flat[:nbytes].view(dtype).reshape(shape)


def _samples_per_chunk(n: int, per_sample_bytes: int) -> int:
    return max(1, min(n, _CHUNK_BYTES // max(per_sample_bytes, 1)))


def _padded(x: np.ndarray, pad: tuple) -> np.ndarray:
    """``x`` (b, C, H, W) zero padded by ``pad`` (negative entries crop), in a reused buffer."""
    h, w = x.shape[2:]
    top, bottom, left, right = pad
    x = x[:, :, max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    top, bottom, left, right = (max(p, 0) for p in pad)
    if not (top or bottom or left or right):
        return x
    h, w = x.shape[2:]
    buf = _buffer("pad", x.shape[:2] + (top + h + bottom, left + w + right), x.dtype)
    # only the border is zeroed: the interior is overwritten right after
    buf[:, :, :top] = 0
    buf[:, :, top + h:] = 0
    buf[:, :, top:top + h, :left] = 0
    buf[:, :, top:top + h, left + w:] = 0
    buf[:, :, top:top + h, left:left + w] = x
    return buf


def _windows(xp: np.ndarray, geo: Geometry) -> np.ndarray:
    """View (b, C, kh, kw, OH, OW) of the padded ``xp``: every kernel position's inputs."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = geo.kernel, geo.stride, geo.dilation, geo.out_hw
    span = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    win = sliding_window_view(xp, span, axis=(2, 3))           # (b, C, H', W', span_h, span_w)
    win = win[:, :, :(oh - 1) * sh + 1:sh, :(ow - 1) * sw + 1:sw, ::dh, ::dw]
    return win.transpose(0, 1, 4, 5, 2, 3)


def _column_chunks(x: np.ndarray, geo: Geometry):
    """Yield ``(start, stop, cols)`` over the batch, cols (b, G, C/G*kh*kw, OH*OW) being the
    columns of samples ``start:stop``; ``cols`` is a reused buffer, valid until the next."""
    n, c = x.shape[:2]
    (kh, kw), (oh, ow) = geo.kernel, geo.out_hw
    step = _samples_per_chunk(n, c * kh * kw * oh * ow * x.dtype.itemsize)
    pointwise = (kh, kw) == (1, 1) and geo.stride == (1, 1) and not any(geo.pad)
    for start in range(0, n, step):
        xp = _padded(x[start:start + step], geo.pad)
        b = xp.shape[0]
        if pointwise and xp.flags.c_contiguous:  # a 1x1 kernel's columns are the input
            cols = xp
        else:
            cols = _buffer("cols", (b, c, kh, kw, oh, ow), x.dtype)
            np.copyto(cols, _windows(xp, geo))
        yield start, start + b, cols.reshape(b, geo.groups, -1, oh * ow)


def conv_forward(x: np.ndarray, w: np.ndarray, geo: Geometry,
                 bias: np.ndarray | None = None) -> np.ndarray:
    """Convolve (N, C, H, W) with (O, C/G, kh, kw), adding ``bias`` (O,): contiguous
    (N, O, OH, OW)."""
    n, o, g = x.shape[0], w.shape[0], geo.groups
    oh, ow = geo.out_hw
    out = np.empty((n, g, o // g, oh * ow), dtype=x.dtype)
    wg = w.reshape(g, o // g, -1)
    for start, stop, cols in _column_chunks(x, geo):
        if g == 1:  # plain 2-d GEMMs, one per sample
            np.matmul(wg[0], cols[:, 0], out=out[start:stop, 0])
        else:
            np.matmul(wg, cols, out=out[start:stop])
        if bias is not None:  # while the chunk is still in cache
            out[start:stop] += bias.reshape(g, o // g, 1)
    return out.reshape(n, o, oh, ow)


def conv_weight_grad(x: np.ndarray, g: np.ndarray, geo: Geometry, w_shape: tuple) -> np.ndarray:
    """Weight gradient of ``conv_forward(x, w, geo)`` given its output gradient ``g``."""
    n, groups = x.shape[0], geo.groups
    g4 = g.reshape(n, groups, g.shape[1] // groups, -1)
    acc = None
    for start, stop, cols in _column_chunks(x, geo):
        # (K, P) @ (P, O/G) per sample and group: the long axis P is the inner one
        part = np.matmul(cols, g4[start:stop].transpose(0, 1, 3, 2)).sum(axis=0)
        acc = part if acc is None else np.add(acc, part, out=acc)
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
    """Input gradient of a strided convolution: ``W^T @ g`` folded back per kernel position."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = geo.kernel, geo.stride, geo.dilation, geo.out_hw
    n, o, groups = g.shape[0], w.shape[0], geo.groups
    c = w.shape[1] * groups
    wt = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)     # (G, C/G*kh*kw, O/G)
    g4 = g.reshape(n, groups, o // groups, oh * ow)
    padded = np.zeros((n, c) + tuple(geo.padded_hw), dtype=g.dtype)
    step = _samples_per_chunk(n, c * kh * kw * oh * ow * g.dtype.itemsize)
    for start in range(0, n, step):
        b = min(step, n - start)
        cols = _buffer("cols", (b, groups, wt.shape[1], oh * ow), g.dtype)
        np.matmul(wt, g4[start:start + b], out=cols)
        cols = cols.reshape(b, c, kh, kw, oh, ow)
        target = padded[start:start + b]
        for i in range(kh):
            rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
            for j in range(kw):
                target[:, :, rows, j * dw:j * dw + (ow - 1) * sw + 1:sw] += cols[:, :, i, j]
    top, left = geo.pad[0], geo.pad[2]
    return np.ascontiguousarray(padded[:, :, top:top + in_hw[0], left:left + in_hw[1]])
