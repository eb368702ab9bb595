"""``affine_grid`` and ``grid_sample``: sampling images at arbitrary normalised positions.

A grid holds, for every output position, a point in normalised coordinates (-1 and 1 are the
edges of the input: the outer pixel edges, or with ``align_corners=True`` the centres of the
corner pixels). ``grid_sample`` reads the input there with nearest, (tri)linear or bicubic
interpolation. Each interpolation tap is a ``gather`` of the flattened input at computed
indices, times a weight computed from the grid with ember ops, so autograd gives the
gradients for both the input and the grid.

>>> import ember
>>> theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
>>> grid = affine_grid(theta, [1, 1, 2, 2], align_corners=False)
>>> grid_sample(ember.arange(4.0).reshape(1, 1, 2, 2), grid, align_corners=False)
tensor([[[[0., 1.],
          [2., 3.]]]])
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np

from .. import ops
from .._tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")
_CUBIC_A = -0.75  # the cubic convolution constant of bicubic image resizing


def _warn_align_corners() -> None:
    warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.",
                  stacklevel=3)


# -- affine_grid -------------------------------------------------------------------------
def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sampling grid (N, H, W, 2) or (N, D, H, W, 3) of a batch of affine maps ``theta``
    (N, 2, 3) or (N, 3, 4), for an output of ``size`` (N, C, H, W) or (N, C, D, H, W)."""
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(size)
    spatial = _affine_spatial_size(theta, size)
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    nd = len(spatial)
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {nd + 1}] but got: [{theta.shape[0]}, {nd + 1}].")
    base = ops.tensor(_base_grid(spatial, align_corners), dtype=theta.dtype)
    # Each output point is theta @ (x, y[, z], 1).
    points = base.reshape(1, -1, nd + 1).matmul(theta.transpose(1, 2))
    return points.reshape(size[0], *spatial, nd)


def _affine_spatial_size(theta: Tensor, size: tuple) -> tuple:
    if len(size) not in (4, 5):
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    nd = len(size) - 2
    if theta.dim() != 3 or tuple(theta.shape[1:]) != (nd, nd + 1):
        raise ValueError(f"Expected a batch of {nd}D affine matrices of shape Nx{nd}x{nd + 1} "
                         f"for size {size}. Got {theta.shape}.")
    return size[2:]


def _axis_points(n: int, align_corners: bool) -> np.ndarray:
    """Normalised coordinates of the ``n`` pixel centres along one axis."""
    if n <= 1:
        return np.zeros(max(n, 0))
    if align_corners:
        return np.linspace(-1.0, 1.0, n)
    return (2.0 * np.arange(n) + 1.0) / n - 1.0


def _base_grid(spatial: tuple, align_corners: bool) -> np.ndarray:
    """(*spatial, nd + 1): every pixel's (x, y[, z], 1); x runs along the last axis."""
    axes = [_axis_points(n, align_corners) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")  # mesh[k] varies along spatial axis k
    coords = [mesh[k] for k in reversed(range(len(spatial)))]
    return np.stack(coords + [np.ones(spatial)], axis=-1)


# -- grid_sample -------------------------------------------------------------------------
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample ``input`` (N, C, H, W) or (N, C, D, H, W) at the normalised points of ``grid``
    (N, H', W', 2) or (N, D', H', W', 3), giving (N, C, H', W') or (N, C, D', H', W').

    ``mode``: "bilinear" (trilinear for 5-D), "nearest" or "bicubic" (4-D only).
    ``padding_mode``: points outside the input read zeros, the border value, or the input
    reflected at its edges.
    """
    if mode not in _MODES:
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    _check_grid_sample(input, grid, mode)
    sizes = tuple(input.shape[2:])
    nd = len(sizes)
    # grid[..., 0] indexes the last input axis (x: width), grid[..., 1] the one before, ...
    coords = [_unnormalize(grid[..., nd - 1 - k], n, align_corners)
              for k, n in enumerate(sizes)]
    if mode == "bicubic":
        per_axis = [_cubic_taps(c, n, padding_mode, align_corners)
                    for c, n in zip(coords, sizes)]
    else:
        coords = [_pad_coordinate(c, n, padding_mode, align_corners)
                  for c, n in zip(coords, sizes)]
        taps = _nearest_taps if mode == "nearest" else _linear_taps
        per_axis = [taps(c, n) for c, n in zip(coords, sizes)]
    return _sum_taps(input, per_axis, tuple(grid.shape[1:-1]))


def _check_grid_sample(input: Tensor, grid: Tensor, mode: str) -> None:
    ins, gs = list(input.shape), list(grid.shape)
    if not ins or not gs or ins[0] != gs[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {ins} and grid with sizes {gs}")
    if gs[-1] != len(ins) - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {len(ins) - 2} in last "
                           f"dimension, but got grid with sizes {gs}")
    if len(ins) != len(gs) or len(ins) not in (4, 5):
        rank = 4 if len(ins) == 4 else 5
        raise RuntimeError(f"grid_sampler(): expected {rank}D input and grid with same number "
                           f"of dimensions, but got input with sizes {ins} and grid with "
                           f"sizes {gs}")
    for dim in range(2, len(ins)):
        if ins[dim] == 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {ins} with dimension {dim} "
                               "being empty")
    if mode == "bicubic" and len(ins) == 5:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input)} but found "
                           f"{_scalar_name(grid)}")


def _scalar_name(t: Tensor) -> str:
    return t.dtype._legacy[:-len("Tensor")]


def _unnormalize(coord: Tensor, n: int, align_corners: bool) -> Tensor:
    """Normalised [-1, 1] to pixel units (0 is the centre of the first pixel)."""
    if align_corners:
        return (coord + 1) / 2 * (n - 1)
    return ((coord + 1) * n - 1) / 2


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """Fold ``coord`` into [low, high] by mirroring at the ends (bounds given doubled so
    half-pixel edges stay integers)."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    dist = (coord - low).abs()
    flips = (dist.detach() / span).floor()
    extra = dist - flips * span
    even = ops.remainder(flips, 2) == 0
    return ops.where(even, extra + low, span - extra + low)


def _pad_coordinate(coord: Tensor, n: int, padding_mode: str, align_corners: bool) -> Tensor:
    """Where a point outside the input reads from, under ``padding_mode``."""
    if padding_mode == "zeros":
        return coord
    if padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (n - 1)) if align_corners else \
            _reflect(coord, -1, 2 * n - 1)
    return coord.clamp(0, n - 1)


def _in_range(index: Tensor, n: int) -> Tensor:
    return (index >= 0) & (index <= n - 1)


def _nearest_taps(coord: Tensor, n: int) -> list:
    index = coord.detach().round()  # halves go to the even neighbour
    # The sample does not move with the grid: its gradient is zero, not absent.
    return [(index, coord * 0 + 1, _in_range(index, n))]


def _linear_taps(coord: Tensor, n: int) -> list:
    left = coord.detach().floor()
    frac = coord - left
    return [(left, 1 - frac, _in_range(left, n)), (left + 1, frac, _in_range(left + 1, n))]


def _cubic_taps(coord: Tensor, n: int, padding_mode: str, align_corners: bool) -> list:
    left = coord.detach().floor()
    t = coord - left
    a = _CUBIC_A

    def near(x: Tensor) -> Tensor:  # the kernel on |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: Tensor) -> Tensor:  # the kernel on 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    taps = []
    for offset, weight in zip((-1, 0, 1, 2), weights):
        # Each tap (not the point) is moved inside by the padding rule; no gradient flows
        # through that move.
        index = _pad_coordinate(left + offset, n, padding_mode, align_corners).detach()
        taps.append((index, weight, _in_range(index, n)))
    return taps


def _sum_taps(input: Tensor, per_axis: list, out_spatial: tuple) -> Tensor:
    """Sum over every combination of one tap per axis: weight * input at the tap (zero for
    taps outside the input)."""
    batch, channels = input.shape[:2]
    sizes = tuple(input.shape[2:])
    flat_input = input.reshape(batch, channels, int(np.prod(sizes)))
    points = int(np.prod(out_spatial))
    strides = [int(np.prod(sizes[k + 1:])) for k in range(len(sizes))]
    total = None
    for combo in itertools.product(*per_axis):
        (index, weight, valid), *rest = combo
        flat_index = index.clamp(0, sizes[0] - 1).long() * strides[0]
        for (index, w, ok), n, stride in zip(rest, sizes[1:], strides[1:]):
            flat_index = flat_index + index.clamp(0, n - 1).long() * stride
            weight = weight * w
            valid = valid & ok
        weight = weight * valid.to(input.dtype)
        gather_at = flat_index.reshape(batch, 1, points).expand(batch, channels, points)
        term = flat_input.gather(2, gather_at) * weight.reshape(batch, 1, points)
        total = term if total is None else total + term
    return total.reshape(batch, channels, *out_spatial)
