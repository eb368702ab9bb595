"""Stride-1 convolutions whose column matrix is built from long contiguous copies.

Lay a chunk of ``b`` samples out channel by channel, each channel as one long row: the grid
``X`` (C, b*Sq*Wq), each image row followed by a few zero columns and each image by a few
zero rows. Writing ``P(n, r, c) = n*Sq*Wq + r*Wq + c`` for the output at (n, r, c), that
output reads the input at ``P + i*dh*Wq + j*dw`` for kernel position (i, j): a fixed offset,
whatever the position. So row (c, i, j) of the column matrix is the grid's row c shifted by
that offset - one contiguous copy per row, where im2col copies image rows of a few dozen
numbers at a time. Then

* forward:      ``Y = W (O, C*kh*kw) @ cols``: output (n, r, c) sits at column ``P(n, r, c)``;
  columns that are no output (those under the zero gaps, 7% for a 3x3 kernel on 28x28)
  are computed and dropped;
* weight grad:  ``gW = G (O, L) @ cols^T``, ``G`` the output gradient on the same grid, zero
  off the output positions;
* input grad:   ``gX[:, q] = sum_ij W_ij^T @ G[:, q - off_ij]``, the same construction on
  ``G`` (preceded by zeros so that every shift stays inside it); the input's positions of
  ``gX`` hold its gradient.

Zero gaps are shared: one gap of ``max(left, right)`` columns serves as the right padding of
a row and the left padding of the next (likewise for images), since a window reaching past
one edge only ever meets zeros. Used for stride 1 and non-negative padding
(``usable``); chunks of samples run on the op threads as in :mod:`ember.ops._conv_kernels`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._scratch import work_array

__all__ = ["usable", "sample_bytes", "forward_chunk", "grads_chunk"]


# Below this many input channels per group the column matrix is short and its long
# contiguous copies gain nothing over im2col's, while the grid's zero gaps still cost.
_MIN_CHANNELS = 8


class Grid(NamedTuple):
    """How a chunk of samples lies on the grid."""

    rows: int       # Sq: grid rows per sample
    pitch: int      # Wq: grid columns per row
    length: int     # grid columns in all, tail included
    outputs: int    # L: columns up to the last output position
    offsets: tuple  # (i*dh*Wq, dw): a kernel position's shift, per kernel axis


def usable(x: np.ndarray, geo) -> bool:
    """Whether the convolution of ``x`` can take this route: stride 1, no cropping, and
    enough input channels per group that the products, not the copies, dominate."""
    return (geo.stride == (1, 1) and min(geo.pad) >= 0 and x.dtype.kind == "f"
            and x.shape[1] // geo.groups >= _MIN_CHANNELS)


def sample_bytes(x: np.ndarray, w_shape: tuple, geo) -> int:
    """Bytes of one sample's column matrix."""
    h, w = x.shape[2:]
    top, bottom, left, right = geo.pad
    per_sample = (h + max(top, bottom) + 1) * (w + max(left, right) + 1)
    return x.shape[1] * w_shape[2] * w_shape[3] * per_sample * x.dtype.itemsize


def _grid(b: int, in_hw: tuple, geo) -> Grid:
    (h, w), (oh, ow) = in_hw, geo.out_hw
    (kh, kw), (dh, dw) = geo.kernel, geo.dilation
    top, bottom, left, right = geo.pad
    rows, pitch = max(h + max(top, bottom), oh), max(w + max(left, right), ow)
    outputs = (b - 1) * rows * pitch + (oh - 1) * pitch + ow
    reach = (kh - 1) * dh * pitch + (kw - 1) * dw
    return Grid(rows, pitch, max(b * rows * pitch, outputs + reach), outputs,
                (dh * pitch, dw))


def _lay_out(x: np.ndarray, grid: Grid, geo, role: str) -> np.ndarray:
    """Samples ``x`` (b, C, H, W) on the grid, as (C, grid.length); zero wherever no input
    lies."""
    b, c, h, w = x.shape
    top, left = geo.pad[0], geo.pad[2]
    buf = work_array(role, (c, grid.length), x.dtype)
    images = _zero_around(buf, 0, b, grid, (top, top + h), (left, left + w))
    images[:, :, top:top + h, left:left + w] = x.transpose(1, 0, 2, 3)
    return buf


def _zero_around(buf: np.ndarray, lead: int, b: int, grid: Grid, rows: tuple,
                 cols: tuple) -> np.ndarray:
    """Zero ``buf`` (C, lead + grid.length) everywhere but the block ``rows`` x ``cols`` of
    each image (written right after by the caller); the images as (C, b, Sq, Wq)."""
    span = b * grid.rows * grid.pitch
    buf[:, :lead] = 0
    buf[:, lead + span:] = 0
    images = buf[:, lead:lead + span].reshape(buf.shape[0], b, grid.rows, grid.pitch)
    images[:, :, :rows[0]] = 0
    images[:, :, rows[1]:] = 0
    images[:, :, rows[0]:rows[1], :cols[0]] = 0
    images[:, :, rows[0]:rows[1], cols[1]:] = 0
    return images


def _columns(src: np.ndarray, start: int, step: tuple, kernel: tuple, length: int,
             role: str) -> np.ndarray:
    """(C*kh*kw, length): row (c, i, j) is ``src[c, start + i*step[0] + j*step[1]:][:length]``
    (the steps may be negative), in a work array."""
    c, item = src.shape[0], src.itemsize
    view = as_strided(src[:, start:], (c,) + tuple(kernel) + (length,),
                      (src.strides[0], step[0] * item, step[1] * item, item), writeable=False)
    cols = work_array(role, view.shape, src.dtype)
    np.copyto(cols, view)
    return cols.reshape(-1, length)


def _product(a: np.ndarray, b: np.ndarray, out: np.ndarray, groups: int) -> None:
    """``out = a @ b`` group by group: ``a`` (G*M, K), ``b`` (G*K, N), ``out`` (G*M, N)."""
    if groups == 1:
        np.matmul(a, b, out=out)
        return
    m, k = a.shape[0] // groups, b.shape[0] // groups
    np.matmul(a.reshape(groups, m, -1), b.reshape(groups, k, -1),
              out=out.reshape(groups, m, -1))


def forward_chunk(x: np.ndarray, w_rows: np.ndarray, geo, bias: np.ndarray | None,
                  out: np.ndarray, start: int, stop: int) -> None:
    """Samples ``start:stop`` of the convolution of ``x`` (N, C, H, W) with ``w_rows``
    (O, C/G*kh*kw), into ``out`` (N, O, OH, OW)."""
    b, o, (oh, ow) = stop - start, out.shape[1], geo.out_hw
    grid = _grid(b, x.shape[2:], geo)
    xs = _lay_out(x[start:stop], grid, geo, "shift_x")
    cols = _columns(xs, 0, grid.offsets, geo.kernel, grid.outputs, "conv_cols")
    y = work_array("shift_y", (o, b * grid.rows * grid.pitch), x.dtype)
    _product(w_rows, cols, y[:, :grid.outputs], geo.groups)
    inner = y.reshape(o, b, grid.rows, grid.pitch)[:, :, :oh, :ow].transpose(1, 0, 2, 3)
    if bias is None:
        np.copyto(out[start:stop], inner)
    else:
        np.add(inner, bias[:, None, None], out=out[start:stop])


def grads_chunk(x: np.ndarray, g: np.ndarray, wt_rows: np.ndarray | None, geo,
                gx: np.ndarray | None, start: int, stop: int) -> np.ndarray:
    """Samples ``start:stop``: their input gradient into ``gx`` (when given, from ``wt_rows``
    (C, O/G*kh*kw), see ``transposed_rows``) and their share (G, C/G*kh*kw, O/G) of the
    weight gradient (transposed per group), returned."""
    b, o, c, groups = stop - start, g.shape[1], x.shape[1], geo.groups
    grid = _grid(b, x.shape[2:], geo)
    xs = _lay_out(x[start:stop], grid, geo, "shift_x")
    cols = _columns(xs, 0, grid.offsets, geo.kernel, grid.outputs, "conv_cols")
    lead = grid.length - grid.outputs  # the largest shift
    gs = _output_grid(g[start:stop], grid, lead)
    outputs = gs[:, lead:lead + grid.outputs]
    og, kg = o // groups, cols.shape[0] // groups
    # gW^T (K, O/G) = cols (K, L) @ G^T (L, O/G) per group: BLAS runs this orientation of a
    # product with a long inner axis about half again as fast as (O/G, L) @ (L, K)
    gwt = np.empty((groups, kg, og), dtype=x.dtype)
    for gi in range(groups):
        np.matmul(cols[gi * kg:(gi + 1) * kg], outputs[gi * og:(gi + 1) * og].T, out=gwt[gi])
    if gx is not None:
        top, left, (h, w) = geo.pad[0], geo.pad[2], x.shape[2:]
        span = b * grid.rows * grid.pitch
        back = tuple(-s for s in grid.offsets)
        gcols = _columns(gs, lead, back, geo.kernel, span, "conv_cols")
        y = work_array("shift_y", (c, span), x.dtype)
        _product(wt_rows, gcols, y, groups)
        inner = y.reshape(c, b, grid.rows, grid.pitch)[:, :, top:top + h, left:left + w]
        np.copyto(gx[start:stop], inner.transpose(1, 0, 2, 3))
    return gwt


def _output_grid(g: np.ndarray, grid: Grid, lead: int) -> np.ndarray:
    """Output gradient ``g`` (b, O, OH, OW) at its output positions on the grid, as
    (O, lead + grid.length); zero everywhere else."""
    b, o, oh, ow = g.shape
    buf = work_array("shift_g", (o, lead + grid.length), g.dtype)
    images = _zero_around(buf, lead, b, grid, (0, oh), (0, ow))
    images[:, :, :oh, :ow] = g.transpose(1, 0, 2, 3)
    return buf


def transposed_rows(w: np.ndarray, groups: int) -> np.ndarray:
    """(C, O/G*kh*kw) from ``w`` (O, C/G, kh, kw): each group's kernel matrix transposed,
    kernel positions kept in order (the input gradient's shifts run backwards instead)."""
    o, cg, kh, kw = w.shape
    per_group = w.reshape(groups, o // groups, cg, kh * kw).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(per_group).reshape(groups * cg, -1)
