"""Padding and resizing: pad (constant, reflect, replicate, circular) and interpolate.

Reflect and replicate padding, and nearest and (bi)linear resizing, are all *separable*
index maps: each output position along an axis reads one input position (or blends two).
Forward gathers through per-axis index arrays; backward contracts the gradient with each
axis's small (out, in) weight matrix, which sums the contributions of every output that read
an input element without a scatter. Circular padding is built from slice copies, as torch
builds it, so it reports the same ``CopySlices`` history.

Gradients of these ops are computed with NumPy on the incoming gradient's array (double
backward is not supported), except circular padding, which is made of differentiable ops.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.graph import Node
from ._numpy_grad import refuse_double_backward
from ._core import Tensor, record, wrap

__all__ = ["pad", "interpolate"]

_SUPPORTED = ("Supported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _along(a: np.ndarray, mat: np.ndarray, axis: int) -> np.ndarray:
    """Contract ``a``'s ``axis`` (size n) with ``mat`` (m, n): that axis becomes size m."""
    moved = np.moveaxis(a, axis, -1)
    out = moved.reshape(-1, moved.shape[-1]) @ mat.T
    return np.moveaxis(out.reshape(moved.shape[:-1] + (mat.shape[0],)), -1, axis)


def _one_hot(index: np.ndarray, size: int, dtype: np.dtype) -> np.ndarray:
    mat = np.zeros((len(index), size), dtype=dtype)
    mat[np.arange(len(index)), index] = 1
    return mat


def _gather(x: np.ndarray, indices: Sequence[np.ndarray]) -> np.ndarray:
    """``x`` read through one index array per trailing axis (an outer-product gather)."""
    return x[(Ellipsis,) + np.ix_(*indices)]


class _SeparableBackward(Node):
    """Backward of a separable index map: each trailing axis contracted with its matrix."""

    def backward(self, grad: Tensor) -> tuple:
        refuse_double_backward(self)
        g = grad._data
        nd = len(self.matrices)
        for k, mat in enumerate(self.matrices):
            g = _along(g, mat.T, g.ndim - nd + k)
        return (wrap(np.ascontiguousarray(g)),)


def _record_separable(res: Tensor, node_type: type, input: Tensor,
                      matrices: list) -> None:
    node = record(res, node_type, input)
    if node is not None:
        node.matrices = matrices


# -- pad -----------------------------------------------------------------------------------
class ConstantPadNdBackward0(Node):
    """The gradient is the opposite padding of the incoming gradient (crop, zero-extend),
    itself a recorded op, so this one supports double backward."""

    def backward(self, grad: Tensor) -> tuple:
        return (_constant_pad(grad, [(-a, -b) for a, b in self.pairs], 0),)


def _pad_pairs(pad: Sequence[int], ndim: int) -> list:
    """torch's pad list (last axis first) as (before, after) pairs for the trailing axes."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {ndim}")
    return [(pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]


def _constant_pad(input: Tensor, pairs: list, value: Any) -> Tensor:
    x = input._data
    lead = x.ndim - len(pairs)
    sizes = [x.shape[lead + i] + a + b for i, (a, b) in enumerate(pairs)]
    # torch first crops negative padding with narrow(), which needs a length of at least 0
    if any(n + min(a, 0) + min(b, 0) < 0 for (a, b), n in zip(pairs, x.shape[lead:])):
        raise RuntimeError("narrow(): length must be non-negative.")
    out = np.full(x.shape[:lead] + tuple(sizes), 0 if value is None else value, dtype=x.dtype)
    src, dst = [Ellipsis], [Ellipsis]
    for (a, b), n in zip(pairs, x.shape[lead:]):
        src.append(slice(max(-a, 0), n - max(-b, 0)))
        dst.append(slice(max(a, 0), max(a, 0) + max(n - max(-a, 0) - max(-b, 0), 0)))
    out[tuple(dst)] = x[tuple(src)]
    res = wrap(out)
    node = record(res, ConstantPadNdBackward0, input)
    if node is not None:
        node.pairs = pairs
    return res


class ReflectionPad1DBackward0(_SeparableBackward):
    pass


class ReflectionPad2DBackward0(_SeparableBackward):
    pass


class ReflectionPad3DBackward0(_SeparableBackward):
    pass


class ReplicationPad1DBackward0(_SeparableBackward):
    pass


class ReplicationPad2DBackward0(_SeparableBackward):
    pass


class ReplicationPad3DBackward0(_SeparableBackward):
    pass


_INDEX_PAD_NODES = {
    "reflect": (ReflectionPad1DBackward0, ReflectionPad2DBackward0, ReflectionPad3DBackward0),
    "replicate": (ReplicationPad1DBackward0, ReplicationPad2DBackward0,
                  ReplicationPad3DBackward0),
}


def _source_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each padded position along an axis of size n, the input position it copies."""
    pos = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    pos = np.abs(pos)                      # reflect about 0 ...
    return (n - 1) - np.abs((n - 1) - pos)  # ... and about n - 1 (edges not repeated)


def _check_non_constant(x: np.ndarray, pairs: list, mode: str) -> None:
    k = len(pairs)
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {2 * k} is not supported for {x.ndim}D input "
                                  f"tensor.\n{_SUPPORTED}")
    if mode in ("reflect", "replicate"):
        batch = x.ndim == k + 2
        if 0 in x.shape[1 if batch else 0:]:
            raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly "
                               "0 batch size and other non-zero dimensions for input, but got: "
                               f"{list(x.shape)}")
    if mode == "reflect":
        # the last dimension is checked first; its padding is kernel argument #4
        for back, (a, b) in enumerate(reversed(pairs)):
            dim = x.ndim - 1 - back
            if a >= x.shape[dim] or b >= x.shape[dim]:
                raise RuntimeError(f"Argument #{4 + 2 * back}: Padding size should be less than "
                                   f"the corresponding input dimension, but got: padding ({a}, "
                                   f"{b}) at dimension {dim} of input {list(x.shape)}")
    if mode == "circular":
        for i, (a, b) in enumerate(pairs):
            if a > x.shape[x.ndim - k + i] or b > x.shape[x.ndim - k + i]:
                raise RuntimeError("Padding value causes wrapping around more than once.")


def _index_pad(input: Tensor, pairs: list, mode: str) -> Tensor:
    x = input._data
    lead = x.ndim - len(pairs)
    indices = [_source_index(x.shape[lead + i], a, b, mode) for i, (a, b) in enumerate(pairs)]
    res = wrap(_gather(x, indices))
    matrices = [_one_hot(idx, x.shape[lead + i], x.dtype) for i, idx in enumerate(indices)]
    _record_separable(res, _INDEX_PAD_NODES[mode][len(pairs) - 1], input, matrices)
    return res


def _circular_pad(input: Tensor, pairs: list) -> Tensor:
    """Wrap-around padding from differentiable slice copies (torch's CopySlices history)."""
    from .creation import empty
    x = input._data
    lead = x.ndim - len(pairs)
    sizes = [x.shape[lead + i] + a + b for i, (a, b) in enumerate(pairs)]
    out = empty(*(x.shape[:lead] + tuple(sizes)), dtype=input.dtype)
    src, dst = [Ellipsis], [Ellipsis]
    for (a, b), n in zip(pairs, x.shape[lead:]):
        src.append(slice(max(-a, 0), n - max(-b, 0)))
        dst.append(slice(max(a, 0), max(a, 0) + n - max(-a, 0) - max(-b, 0)))
    out[tuple(dst)] = input[tuple(src)]
    for i, (a, b) in enumerate(pairs):
        size, a, b = sizes[i], max(a, 0), max(b, 0)
        before = (slice(None),) * (lead + i)
        if a:  # the leading pad repeats the end of the interior, the trailing its start
            out[before + (slice(0, a),)] = out[before + (slice(size - b - a, size - b),)]
        if b:
            out[before + (slice(size - b, size),)] = out[before + (slice(a, a + b),)]
    return out


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the trailing dimensions; ``pad`` lists (before, after) from the last axis back.

    >>> import ember
    >>> pad(ember.ones(1, 2), (1, 2))
    tensor([[0., 1., 1., 0., 0.]])
    """
    x = input._data
    pairs = _pad_pairs(pad, x.ndim)
    if mode == "constant":
        return _constant_pad(input, pairs, value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    _check_non_constant(x, pairs, mode)
    if mode == "circular":
        return _circular_pad(input, pairs)
    return _index_pad(input, pairs, mode)


# -- interpolate -----------------------------------------------------------------------------
class UpsampleNearest1DBackward0(_SeparableBackward):
    pass


class UpsampleNearest2DBackward0(_SeparableBackward):
    pass


class UpsampleNearest3DBackward0(_SeparableBackward):
    pass


class UpsampleLinear1DBackward0(_SeparableBackward):
    pass


class UpsampleBilinear2DBackward0(_SeparableBackward):
    pass


class UpsampleTrilinear3DBackward0(_SeparableBackward):
    pass


_LINEAR_MODES = {"linear": (1, UpsampleLinear1DBackward0),
                 "bilinear": (2, UpsampleBilinear2DBackward0),
                 "trilinear": (3, UpsampleTrilinear3DBackward0)}
_NEAREST_NODES = (UpsampleNearest1DBackward0, UpsampleNearest2DBackward0,
                  UpsampleNearest3DBackward0)
_ALL_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


def _spatial_arg(value: Any, spatial: tuple, subject: str, what: str, fmt: str) -> tuple:
    if not isinstance(value, (list, tuple)):
        return (value,) * len(spatial)
    if len(value) != len(spatial):
        raise ValueError(f"Input and {subject} must have the same number of spatial dimensions,"
                         f" but got input with spatial dimensions of {list(spatial)} and {what} "
                         f"{tuple(value)}. Please provide input tensor in (N, C, d1, d2, ...,dK)"
                         f" format and {fmt} format.")
    return tuple(value)


def _output_sizes(spatial: tuple, size: Any, scale_factor: Any,
                  recompute_scale_factor: bool | None) -> tuple:
    """Output sizes, and the scale factors the index maps use (None: derive from sizes)."""
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = _spatial_arg(size, spatial, "output", "output size of",
                             "output size in (o1, o2, ...,oK)")
        return tuple(int(s) for s in sizes), (None,) * len(spatial)
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    factors = _spatial_arg(scale_factor, spatial, "scale_factor", "scale_factor of shape",
                           "scale_factor in (s1, s2, ...,sK)")
    factors = tuple(float(f) for f in factors)
    sizes = tuple(math.floor(n * f) for n, f in zip(spatial, factors))
    return sizes, ((None,) * len(spatial) if recompute_scale_factor else factors)


def _nearest_index(n_in: int, n_out: int, factor: float | None) -> np.ndarray:
    # torch computes these in single precision; so do we, for identical rounding
    scale = np.float32(1.0 / factor) if factor else np.float32(n_in) / np.float32(n_out)
    src = np.floor(np.arange(n_out, dtype=np.float32) * scale).astype(np.int64)
    return np.minimum(src, n_in - 1)


def _linear_matrix(n_in: int, n_out: int, factor: float | None, align_corners: bool,
                   dtype: np.dtype) -> np.ndarray:
    """(n_out, n_in) blend weights: each output mixes its two nearest input samples."""
    dst = np.arange(n_out, dtype=dtype)
    if align_corners:
        scale = dtype.type((n_in - 1) / (n_out - 1)) if n_out > 1 else dtype.type(0)
        src = dst * scale
    else:
        scale = dtype.type(1.0 / factor) if factor else dtype.type(n_in) / dtype.type(n_out)
        src = np.maximum(scale * (dst + dtype.type(0.5)) - dtype.type(0.5), 0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0, 0, 1).astype(dtype)
    i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
    mat = np.zeros((n_out, n_in), dtype=dtype)
    rows = np.arange(n_out)
    np.add.at(mat, (rows, i0), 1 - lam)  # tiny (n_out, n_in): i0 == i1 at the edge
    np.add.at(mat, (rows, i1), lam)
    return mat


def _check_mode(x: np.ndarray, mode: str, align_corners: bool | None) -> None:
    if mode == "nearest":
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
        if x.ndim not in (3, 4, 5):
            raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported"
                                      f" (got {x.ndim}D) for the modes: {_ALL_MODES} "
                                      f"(got {mode})")
        return
    if mode not in _LINEAR_MODES:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {x.ndim}D) for the modes: {_ALL_MODES} (got {mode})")
    dims = _LINEAR_MODES[mode][0]
    if x.ndim != dims + 2:
        raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs {dims + 2}D "
                                  "input")


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize the spatial dimensions (nearest, linear, bilinear or trilinear).

    >>> import ember
    >>> interpolate(ember.tensor([[[1., 2.]]]), scale_factor=2)
    tensor([[[1., 1., 2., 2.]]])
    """
    x = input._data
    _check_mode(x, mode, align_corners)
    if antialias:
        raise NotImplementedError("antialias=True is not supported")
    spatial = x.shape[2:]
    sizes, factors = _output_sizes(spatial, size, scale_factor, recompute_scale_factor)
    if mode == "nearest":
        indices = [_nearest_index(n, m, f) for n, m, f in zip(spatial, sizes, factors)]
        res = wrap(_gather(x, indices))
        matrices = [_one_hot(idx, n, x.dtype) for idx, n in zip(indices, spatial)]
        _record_separable(res, _NEAREST_NODES[len(spatial) - 1], input, matrices)
        return res
    matrices = [_linear_matrix(n, m, f, bool(align_corners), x.dtype)
                for n, m, f in zip(spatial, sizes, factors)]
    out = x
    for k, mat in enumerate(matrices):
        out = _along(out, mat, 2 + k)
    res = wrap(np.ascontiguousarray(out))
    _record_separable(res, _LINEAR_MODES[mode][1], input, matrices)
    return res
