"""Image grids: ``make_grid`` tiles a batch of images into one, ``save_image`` writes it.

>>> import ember
>>> grid = make_grid(ember.ones(3, 1, 4, 4), nrow=2, padding=1)
>>> grid.shape
ember.Size([3, 11, 11])
"""

from __future__ import annotations

import math
import os
from typing import Any, BinaryIO

import numpy as np

from .._tensor import Tensor, tensor_from_array

__all__ = ["make_grid", "save_image"]


def _as_batch(tensor: Any) -> np.ndarray:
    """A ``(B, C, H, W)`` array; single-channel images are repeated to three channels."""
    if not isinstance(tensor, Tensor):
        if not isinstance(tensor, list):
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
        for t in tensor:
            if not isinstance(t, Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing "
                                f"{type(t)}")
        from .. import stack
        tensor = stack(tensor, dim=0)
    arr = tensor.numpy()
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = (np.concatenate([arr] * 3) if arr.shape[0] == 1 else arr)[None]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, axis=1)
    return arr


def _normalized(arr: np.ndarray, value_range: tuple | None) -> np.ndarray:
    """Clip to ``value_range`` (default: the data's own min and max) and map it to [0, 1]."""
    if value_range is not None:
        low, high = value_range
    else:
        low, high = float(arr.min()), float(arr.max())
    clipped = np.clip(arr, low, high)
    # Operations stay in the image dtype; a flat range divides by a tiny span, not zero.
    return ((clipped - arr.dtype.type(low)) / arr.dtype.type(max(high - low, 1e-5))
            ).astype(arr.dtype)


def make_grid(tensor: Tensor | list, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile ``(B, C, H, W)`` images (or a list of ``(C, H, W)``) into one ``(C, H', W')``
    image: ``nrow`` images per row, separated and framed by ``padding`` pixels of
    ``pad_value``. ``normalize`` maps ``value_range`` (default: min..max of the batch, or of
    each image with ``scale_each``) to [0, 1]."""
    arr = _as_batch(tensor)
    if normalize is True:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")
        if scale_each is True:
            arr = np.stack([_normalized(img, value_range) for img in arr])
        else:
            arr = _normalized(arr, value_range)
    if arr.shape[0] == 1:
        return tensor_from_array(np.ascontiguousarray(arr[0]))
    count, channels, h, w = arr.shape
    cols = min(nrow, count)
    rows = int(math.ceil(float(count) / cols))
    cell_h, cell_w = h + padding, w + padding
    grid = np.full((channels, cell_h * rows + padding, cell_w * cols + padding), pad_value,
                   dtype=arr.dtype)
    for k in range(count):
        y, x = divmod(k, cols)
        top, left = y * cell_h + padding, x * cell_w + padding
        grid[:, top:top + h, left:left + w] = arr[k]
    return tensor_from_array(grid)


def save_image(tensor: Tensor | list, fp: str | os.PathLike | BinaryIO,
               format: str | None = None, **kwargs: Any) -> None:
    """Write ``make_grid(tensor, **kwargs)`` as an image file with Pillow: values in [0, 1]
    become uint8 by ``x * 255 + 0.5`` clamped to [0, 255] and truncated (round to nearest)."""
    from PIL import Image
    grid = make_grid(tensor, **kwargs).numpy()
    scaled = np.clip(grid * grid.dtype.type(255) + grid.dtype.type(0.5), 0, 255)
    pixels = np.ascontiguousarray(scaled.transpose(1, 2, 0).astype(np.uint8))
    Image.fromarray(pixels).save(fp, format=format)
