"""Array kernels behind the convolutions: im2col in cache-sized chunks of samples, then GEMMs.

Layout. Activations stay NCHW. For a chunk of ``b`` samples the zero-padded input is copied
once into a column buffer ``cols`` laid out (C, kh, kw, b, OH, OW): the innermost copies run
along output rows, and for each sample and group the (C/G*kh*kw, OH*OW) matrix is a strided
view that BLAS reads in place. Then, per sample,

* forward:       ``out[n] = W (O, K) @ cols[n] (K, P)``, written straight into the NCHW
  output (no transpose of the result);
* weight grad:   ``gW^T += cols[n] (K, P) @ g[n]^T (P, O)``, the long axis P inner;
* input grad:    for stride 1, a convolution of the output gradient (padded by the kernel's
  span, minus the forward's padding) with the flipped, transposed kernel: the same im2col and
  GEMMs again, faster here than folding columns back. Strided convolutions fold
  ``W^T @ g`` back with one strided add per kernel position (col2im).

Why chunks. The whole column matrix of a mid-sized layer is tens of megabytes: writing it to
memory and reading it back costs as much as the GEMM itself. A chunk of a few MiB stays in
cache between the copy and the products, and the forward keeps nothing but the input, so
the backward rebuilds the columns chunk by chunk instead of holding nine copies of the input.
The chunks are independent: with several op threads (:mod:`ember.ops._parallel`) they run
concurrently, each thread with single-threaded BLAS, so the copies run in parallel too and
not only the products. When both gradients are wanted, each chunk computes both
(``conv_grads``) while its output gradient is in cache.

Stride-1 convolutions with 8 or more input channels per group (the common 3x3 'same' layer)
take another route, :mod:`ember.ops._conv_shift`, whose column matrix is built from long
contiguous copies; this module keeps im2col for the rest, and the chunking for both.

The padding and column buffers are work arrays reused across calls
(:mod:`ember.ops._scratch`), which spares the page faults of fresh large arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _conv_shift, _parallel
from ._scratch import work_array

__all__ = ["Geometry", "conv_forward", "conv_weight_grad", "conv_input_grad", "conv_grads"]

_CHUNK_BYTES = 4 << 20
# Below this many bytes of columns in all, a convolution runs on the calling thread only.
_PARALLEL_BYTES = 1 << 20


class Geometry(NamedTuple):
    """Everything about a 2-d convolution except the data: sizes are (height, width)."""

    kernel: tuple
    stride: tuple
    dilation: tuple
    pad: tuple          # (top, bottom, left, right); negative values crop
    groups: int
    out_hw: tuple       # output spatial size of the convolution
    padded_hw: tuple    # padded input size of the convolution


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


def _chunks(n: int, per_sample_bytes: int) -> list:
    """``(start, stop)`` sample ranges of about ``_CHUNK_BYTES`` of columns each."""
    return _parallel.split(n, per_sample_bytes, _CHUNK_BYTES, _PARALLEL_BYTES)


def _columns(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """Columns (G, C/G*kh*kw, b*OH*OW) of the samples ``x`` (b, C, H, W), in a work array."""
    b, c = x.shape[:2]
    (kh, kw), (oh, ow) = geo.kernel, geo.out_hw
    cols = work_array("conv_cols", (c, kh, kw, b, oh, ow), x.dtype)
    np.copyto(cols, _windows(_padded(x, geo.pad), geo))
    return cols.reshape(geo.groups, -1, b * oh * ow)


def _cols_bytes(x: np.ndarray, geo: Geometry) -> int:
    """Bytes of one sample's columns."""
    return x.shape[1] * geo.kernel[0] * geo.kernel[1] * geo.out_hw[0] * geo.out_hw[1] \
        * x.dtype.itemsize


def _by_channel(g: np.ndarray, groups: int) -> np.ndarray:
    """A chunk (b, O, OH, OW) of an output gradient as (G, O/G, b*OH*OW), in a work array."""
    b, o = g.shape[:2]
    buf = work_array("conv_grad", (o, b) + g.shape[2:], g.dtype)
    np.copyto(buf, g.transpose(1, 0, 2, 3))
    return buf.reshape(groups, o // groups, -1)


def conv_forward(x: np.ndarray, w: np.ndarray, geo: Geometry,
                 bias: np.ndarray | None = None) -> np.ndarray:
    """Convolve (N, C, H, W) with (O, C/G, kh, kw), adding ``bias`` (O,): contiguous
    (N, O, OH, OW)."""
    n, o = x.shape[0], w.shape[0]
    out = np.empty((n, o) + tuple(geo.out_hw), dtype=x.dtype)
    if _conv_shift.usable(x, geo):
        rows = w.reshape(o, -1)
        _parallel.run(lambda b: _conv_shift.forward_chunk(x, rows, geo, bias, out, *b),
                      _chunks(n, _conv_shift.sample_bytes(x, w.shape, geo)))
        return out
    flat = out.reshape(n, o, geo.out_hw[0] * geo.out_hw[1])
    wg = w.reshape(geo.groups, o // geo.groups, -1)
    _parallel.run(lambda b: _forward_chunk(x, wg, geo, bias, flat, *b),
                  _chunks(n, _cols_bytes(x, geo)))
    return out


def conv_weight_grad(x: np.ndarray, g: np.ndarray, geo: Geometry, w_shape: tuple) -> np.ndarray:
    """Weight gradient of ``conv_forward(x, w, geo)`` given its output gradient ``g``."""
    if _conv_shift.usable(x, geo):
        return _shift_grads(x, g, None, geo, w_shape)[1]
    parts = _parallel.run(lambda b: _weight_grad_chunk(x, g, geo, *b),
                          _chunks(x.shape[0], _cols_bytes(x, geo)))
    return _summed(parts, w_shape, x.dtype)


def conv_input_grad(g: np.ndarray, w: np.ndarray, geo: Geometry, in_hw: tuple) -> np.ndarray:
    """Gradient w.r.t. the (unpadded) input of size ``in_hw``, given the output gradient ``g``
    (N, O, OH, OW); contiguous (N, C, H, W)."""
    if geo.stride == (1, 1):
        return conv_forward(g, _flipped(w, geo.groups), _flipped_geometry(geo, in_hw))
    return _col2im_grad(g, w, geo, in_hw)


def conv_grads(x: np.ndarray, g: np.ndarray, w: np.ndarray, geo: Geometry,
               in_hw: tuple) -> tuple:
    """``(conv_input_grad(...), conv_weight_grad(...))`` in one pass over the batch: each
    chunk of samples gets both while its output gradient is in cache."""
    if _conv_shift.usable(x, geo):
        return _shift_grads(x, g, w, geo, w.shape)
    if geo.stride != (1, 1):
        return conv_input_grad(g, w, geo, in_hw), conv_weight_grad(x, g, geo, w.shape)
    n, flipped_geo = x.shape[0], _flipped_geometry(geo, in_hw)
    flipped = _flipped(w, geo.groups)
    gx = np.empty((n, flipped.shape[0], in_hw[0] * in_hw[1]), dtype=g.dtype)
    wg = flipped.reshape(geo.groups, flipped.shape[0] // geo.groups, -1)

    def chunk(bounds: tuple) -> np.ndarray:
        _forward_chunk(g, wg, flipped_geo, None, gx, *bounds)
        return _weight_grad_chunk(x, g, geo, *bounds)

    per_sample = max(_cols_bytes(x, geo), _cols_bytes(g, flipped_geo))
    parts = _parallel.run(chunk, _chunks(n, per_sample))
    return gx.reshape((n, flipped.shape[0]) + tuple(in_hw)), _summed(parts, w.shape, x.dtype)


def _shift_grads(x: np.ndarray, g: np.ndarray, w: np.ndarray | None, geo: Geometry,
                 w_shape: tuple) -> tuple:
    """Input gradient (None without ``w``) and weight gradient on the shifted-product route."""
    n = x.shape[0]
    gx = None if w is None else np.empty_like(x, order="C")
    rows = None if w is None else _conv_shift.transposed_rows(w, geo.groups)
    parts = _parallel.run(
        lambda b: _conv_shift.grads_chunk(x, g, rows, geo, gx, *b),
        _chunks(n, _conv_shift.sample_bytes(x, w_shape, geo)))
    return gx, _summed(parts, w_shape, x.dtype)


def _forward_chunk(x: np.ndarray, wg: np.ndarray, geo: Geometry, bias: np.ndarray | None,
                   out: np.ndarray, start: int, stop: int) -> None:
    """Samples ``start:stop`` of the convolution of ``x`` with ``wg`` (G, O/G, K), into
    ``out`` (N, O, OH*OW)."""
    b, groups, (oh, ow) = stop - start, geo.groups, geo.out_hw
    og = wg.shape[1]
    # per sample and group: W (O/G, K) @ cols (K, P), a strided view BLAS reads in place
    cols = _columns(x[start:stop], geo).reshape(groups, -1, b, oh * ow).transpose(2, 0, 1, 3)
    dst = out[start:stop].reshape(b, groups, og, oh * ow)
    if groups == 1:
        np.matmul(wg[0], cols[:, 0], out=dst[:, 0])
    else:
        np.matmul(wg, cols, out=dst)
    if bias is not None:
        dst += bias.reshape(groups, og, 1)


def _weight_grad_chunk(x: np.ndarray, g: np.ndarray, geo: Geometry, start: int,
                       stop: int) -> np.ndarray:
    """The weight gradient's share (G, K, O/G) of samples ``start:stop``."""
    b, o, groups = stop - start, g.shape[1], geo.groups
    # per sample and group: cols (K, P) @ grad^T (P, O/G), summed over the samples
    cols = _columns(x[start:stop], geo).reshape(groups, -1, b, g.shape[2] * g.shape[3])
    gt = g[start:stop].reshape(b, groups, o // groups, -1).transpose(0, 1, 3, 2)
    return np.matmul(cols.transpose(2, 0, 1, 3), gt).sum(axis=0)


def _summed(parts: list, w_shape: tuple, dtype: np.dtype) -> np.ndarray:
    """The chunks' shares (G, K, O/G) added up as a weight gradient of ``w_shape``."""
    if not parts:  # an empty batch
        return np.zeros(w_shape, dtype=dtype)
    acc = parts[0]
    for part in parts[1:]:  # in chunk order, whichever thread computed them: deterministic
        acc += part
    return np.ascontiguousarray(acc.transpose(0, 2, 1)).reshape(w_shape)


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


def _add_windows(padded: np.ndarray, cols: np.ndarray, geo: Geometry, axis: int) -> None:
    """Sum the kernel windows back into ``padded`` (..., H, W), one strided add per kernel
    position: the adjoint of ``_windows``. ``cols`` holds kh and kw at ``axis``, ``axis + 1``
    and the output rows and columns last."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = geo.kernel, geo.stride, geo.dilation, geo.out_hw
    lead = (slice(None),) * axis
    for i in range(kh):
        rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
        for j in range(kw):
            padded[..., rows, j * dw:j * dw + (ow - 1) * sw + 1:sw] += cols[lead + (i, j)]


def _col2im_grad(g: np.ndarray, w: np.ndarray, geo: Geometry, in_hw: tuple) -> np.ndarray:
    """Input gradient by folding ``W^T @ g`` back, one strided add per kernel position."""
    (kh, kw), (oh, ow) = geo.kernel, geo.out_hw
    n, o, groups = g.shape[0], w.shape[0], geo.groups
    c = w.shape[1] * groups
    wt = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)     # (G, C/G*kh*kw, O/G)
    out = np.empty((n, c) + tuple(in_hw), dtype=g.dtype)
    top, left = geo.pad[0], geo.pad[2]

    def chunk(bounds: tuple) -> None:
        start, stop = bounds
        b = stop - start
        cols = work_array("conv_cols", (groups, wt.shape[1], b * oh * ow), g.dtype)
        np.matmul(wt, _by_channel(g[start:stop], groups), out=cols)
        cols = cols.reshape(c, kh, kw, b, oh, ow)
        padded = work_array("conv_pad", (c, b) + tuple(geo.padded_hw), g.dtype)
        padded.fill(0)
        _add_windows(padded, cols, geo, 1)
        inner = padded[:, :, top:top + in_hw[0], left:left + in_hw[1]]
        np.copyto(out[start:stop], inner.transpose(1, 0, 2, 3))

    _parallel.run(chunk, _chunks(n, c * kh * kw * oh * ow * g.dtype.itemsize))
    return out
