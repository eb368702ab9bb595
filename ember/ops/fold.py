"""unfold (im2col) and fold (col2im): sliding blocks of a (N, C, H, W) input as columns.

``unfold`` copies every kernel-sized block into a column of a (N, C*kh*kw, L) result, L being
the number of block positions; ``fold`` sums such columns back into an image. The two are
adjoint linear maps, so each one's gradient is the other, computed with these very ops: the
gradient has a history of its own and double backward works.

The column building reuses the convolution kernels' padding and window view
(:mod:`ember.ops._conv_kernels`); the fold adds one strided slice per kernel offset.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._conv_kernels import Geometry, _add_windows, _padded, _windows
from ._core import Tensor, record, wrap

__all__ = ["unfold", "fold"]


# -- argument handling ----------------------------------------------------------------------
def _ints(v: Any, fn: str, name: str, pos: int) -> tuple:
    """``v`` (an int or a sequence of ints) as a tuple, refused as torch's parser refuses it."""
    items = tuple(v) if isinstance(v, (list, tuple)) else (v, v)
    for i, item in enumerate(items):
        # torch reads the first element strictly and unpacks the rest leniently (bools pass)
        ok = isinstance(item, (int, np.integer)) and (i > 0 or not isinstance(item, bool))
        if ok:
            continue
        if i == 0:
            raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be tuple of ints, "
                            f"but found element of type {type(item).__name__} at pos 0")
        raise TypeError(f"{fn}(): argument '{name}' failed to unpack the object at pos {pos} "
                        f"with error \"type must be tuple of ints,but got "
                        f"{type(item).__name__}\"")
    return tuple(int(i) for i in items)


def _pairs(fn: str, first_pos: int, **args: Any) -> list:
    """Each argument as an (height, width) pair: all types checked before any length."""
    values = [_ints(v, fn, name, first_pos + k) for k, (name, v) in enumerate(args.items())]
    for name, v in zip(args, values):
        if len(v) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(v)}")
    return values


def _positive(what: str, short: str, pair: tuple) -> None:
    if pair[0] <= 0 or pair[1] <= 0:
        raise RuntimeError(f"{what} should be greater than zero, but got {short}_height: "
                           f"{pair[0]} {short}_width: {pair[1]}")


def _non_negative(padding: tuple) -> None:
    if padding[0] < 0 or padding[1] < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {padding[0]} "
                           f"pad_width: {padding[1]}")


def _blocks(size: tuple, kernel: tuple, dilation: tuple, padding: tuple,
            stride: tuple) -> tuple:
    """Number of block positions along each spatial axis (may be < 1 for bad arguments)."""
    return tuple((s + 2 * p - d * (k - 1) - 1) // st + 1
                 for s, k, d, p, st in zip(size, kernel, dilation, padding, stride))


def _refuse_integers(x: np.ndarray, kernel_name: str) -> None:
    if x.dtype.kind in "iu":
        name = D.scalar_type_name(x.dtype)
        raise NotImplementedError(f'"{kernel_name}" not implemented for \'{name}\'')


def _sizes(shape: tuple) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_unfold_input(x: np.ndarray) -> None:
    if x.ndim < 3:
        # torch reads a spatial size that such an input does not have
        dim = 1 if x.ndim < 2 else 2
        if x.ndim == 0:
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-x.ndim}, {x.ndim - 1}], but got {dim})")
    if x.ndim > 4 or 0 in x.shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: {_sizes(x.shape)}")


def _check_fold_input(x: np.ndarray, kernel: tuple) -> None:
    if x.ndim not in (2, 3) or 0 in x.shape[-2:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{_sizes(x.shape)}")
    if x.shape[-2] % (kernel[0] * kernel[1]):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[-2]} and "
                           f"kernel_size={kernel}.")


# -- array work -----------------------------------------------------------------------------
def _geometry(kernel: tuple, dilation: tuple, padding: tuple, stride: tuple, size: tuple,
              blocks: tuple) -> Geometry:
    pad = (padding[0], padding[0], padding[1], padding[1])
    padded = (size[0] + 2 * padding[0], size[1] + 2 * padding[1])
    return Geometry(kernel, stride, dilation, pad, 1, blocks, padded)


def _im2col(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """Columns (N, C*kh*kw, L) of the blocks of ``x`` (N, C, H, W)."""
    n, c = x.shape[:2]
    (kh, kw), (oh, ow) = geo.kernel, geo.out_hw
    out = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    # the window view is (C, kh, kw, N, OH, OW); _padded's buffer is reused, so copy at once
    np.copyto(out, _windows(_padded(x, geo.pad), geo).transpose(3, 0, 1, 2, 4, 5))
    return out.reshape(n, c * kh * kw, oh * ow)


def _col2im(cols: np.ndarray, geo: Geometry, size: tuple) -> np.ndarray:
    """Image (N, C, H, W) summing the columns ``cols`` (N, C*kh*kw, L) back into place."""
    n = cols.shape[0]
    (kh, kw), (oh, ow) = geo.kernel, geo.out_hw
    c = cols.shape[1] // (kh * kw)
    padded = np.zeros((n, c) + tuple(geo.padded_hw), dtype=cols.dtype)
    _add_windows(padded, cols.reshape(n, c, kh, kw, oh, ow), geo, 2)
    top, left = geo.pad[0], geo.pad[2]
    if not (top or left):
        return padded
    return np.ascontiguousarray(padded[:, :, top:top + size[0], left:left + size[1]])


# -- autograd -------------------------------------------------------------------------------
class Im2ColBackward0(Node):
    """unfold's gradient: the incoming columns folded back (a recorded op)."""

    def backward(self, grad: Tensor) -> tuple:
        return (fold(grad, self.size, self.kernel, self.dilation, self.padding, self.stride),)


class Col2ImBackward0(Node):
    """fold's gradient: the incoming image unfolded (a recorded op)."""

    def backward(self, grad: Tensor) -> tuple:
        return (unfold(grad, self.kernel, self.dilation, self.padding, self.stride),)


def _record(res: Tensor, node_type: type, input: Tensor, size: tuple, kernel: tuple,
            dilation: tuple, padding: tuple, stride: tuple) -> None:
    node = record(res, node_type, input)
    if node is not None:
        node.size, node.kernel, node.dilation = size, kernel, dilation
        node.padding, node.stride = padding, stride


# -- ops ------------------------------------------------------------------------------------
def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Sliding blocks of (N, C, H, W) or (C, H, W) input as columns (N, C*kh*kw, L)."""
    kernel, dilation, padding, stride = _pairs(
        "im2col", 2, kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)
    _positive("kernel size", "kernel", kernel)
    _positive("dilation", "dilation", dilation)
    _non_negative(padding)
    _positive("stride", "stride", stride)
    x = input._data
    _check_unfold_input(x)
    size = x.shape[-2:]
    blocks = _blocks(size, kernel, dilation, padding, stride)
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(f"Given input with spatial size {tuple(size)}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, calculated shape of the "
                           f"array of sliding blocks as {blocks}, but its components must be "
                           "at least one.")
    _refuse_integers(x, "im2col_out_cpu")
    geo = _geometry(kernel, dilation, padding, stride, size, blocks)
    cols = _im2col(x if x.ndim == 4 else x[None], geo)
    res = wrap(cols if x.ndim == 4 else cols[0])
    _record(res, Im2ColBackward0, input, tuple(size), kernel, dilation, padding, stride)
    return res


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1,
         padding: Any = 0, stride: Any = 1) -> Tensor:
    """Columns (N, C*kh*kw, L) or (C*kh*kw, L) summed back into an image of ``output_size``."""
    size, kernel, dilation, padding, stride = _pairs(
        "col2im", 2, output_size=output_size, kernel_size=kernel_size, dilation=dilation,
        padding=padding, stride=stride)
    _positive("kernel size", "kernel", kernel)
    _positive("stride", "stride", stride)
    _positive("dilation", "dilation", dilation)
    _non_negative(padding)
    x = input._data
    _check_fold_input(x, kernel)
    blocks = _blocks(size, kernel, dilation, padding, stride)
    if blocks[0] * blocks[1] != x.shape[-1]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, stride={stride}, expected "
                           "size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}"
                           f", but got input.size(2)={x.shape[-1]}.")
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, stride={stride}, "
                           f"calculated shape of the array of sliding blocks as {blocks}, "
                           "which is too small (non-positive)")
    _refuse_integers(x, "col2im_out_cpu")
    geo = _geometry(kernel, dilation, padding, stride, size, blocks)
    image = _col2im(x if x.ndim == 3 else x[None], geo, size)
    res = wrap(image if x.ndim == 3 else image[0])
    _record(res, Col2ImBackward0, input, size, kernel, dilation, padding, stride)
    return res
