"""Geometric operations and filters for PIL images and ``(..., C, H, W)`` tensor images.

PIL images are handled by Pillow (``Image.transform`` for affine maps). Tensor images are
resampled on a grid of pixel centres: output pixel centres are mapped back through the
inverse affine map and the input is sampled there (nearest or bilinear, zero outside),
then pixels that fell outside are replaced by ``fill``.

>>> import numpy as np
>>> img = ember.from_numpy(np.arange(6, dtype=np.float32).reshape(1, 2, 3))
>>> vflip(img)[0, 0].tolist()
[3.0, 4.0, 5.0]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..._tensor import Tensor, tensor_from_array
from .functional import (InterpolationMode, _check_image, _pil_fill, _pil_filter, center_crop,
                         crop, get_dimensions, hflip, interpolation_mode, is_pil_image,
                         pil_to_tensor, resize)

__all__ = ["vflip", "resized_crop", "five_crop", "ten_crop", "affine", "gaussian_blur",
           "erase"]


def vflip(img: Any) -> Any:
    """Mirror top to bottom."""
    if is_pil_image(img):
        from PIL import Image
        return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    _check_image(img)
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    return img.flip(-2)


def resized_crop(img: Any, top: int, left: int, height: int, width: int, size: Any,
                 interpolation: Any = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> Any:
    """Crop the ``height x width`` region at (``top``, ``left``), then resize it to ``size``."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def _pair(size: Any) -> tuple:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return tuple(size)


def five_crop(img: Any, size: Any) -> tuple:
    """The four corner crops and the centre crop, in that order (tl, tr, bl, br, centre)."""
    size = _pair(size)
    _, h, w = get_dimensions(img)
    ch, cw = size
    if cw > w or ch > h:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(h, w)}")
    return (crop(img, 0, 0, ch, cw), crop(img, 0, w - cw, ch, cw),
            crop(img, h - ch, 0, ch, cw), crop(img, h - ch, w - cw, ch, cw),
            center_crop(img, [ch, cw]))


def ten_crop(img: Any, size: Any, vertical_flip: bool = False) -> tuple:
    """``five_crop`` of the image, then of its mirror (left-right, or top-bottom)."""
    size = _pair(size)
    flipped = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(flipped, size)


# -- affine ---------------------------------------------------------------------------------------
def inverse_affine_matrix(center: Sequence[float], angle: float, translate: Sequence[float],
                          scale: float, shear: Sequence[float]) -> list:
    """Row-major 2 x 3 matrix mapping output pixel coordinates back to input coordinates
    for: rotate by ``angle`` and shear around ``center``, scale, then translate."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # Forward map without scale: R(angle) * Shear(sx, sy).
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    # Its inverse (adjugate, as the determinant is 1), divided by the scale.
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _check_affine_args(angle: Any, translate: Any, scale: float, shear: Any,
                       center: Any) -> tuple:
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    return float(angle), list(translate), shear


def affine(img: Any, angle: float, translate: Sequence[int], scale: float, shear: Any,
           interpolation: Any = InterpolationMode.NEAREST, fill: Any = None,
           center: Sequence[int] | None = None) -> Any:
    """Rotate by ``angle`` degrees (clockwise) and shear around ``center``, scale,
    then translate by ``translate`` pixels; the image keeps its size."""
    mode = interpolation_mode(interpolation)
    angle, translate, shear = _check_affine_args(angle, translate, scale, shear, center)
    _, height, width = get_dimensions(img)
    if is_pil_image(img):
        # Pillow addresses pixel corners, so the centre is (w/2, h/2).
        pivot = [width * 0.5, height * 0.5] if center is None else center
        matrix = inverse_affine_matrix(pivot, angle, translate, scale, shear)
        from PIL import Image
        return img.transform(img.size, Image.Transform.AFFINE, matrix, _pil_filter(mode),
                             fillcolor=_pil_fill(fill, img))
    # Tensor grids are centred on the image: express the pivot relative to the centre.
    pivot = [0.0, 0.0] if center is None else \
        [float(c) - s * 0.5 for c, s in zip(center, (width, height))]
    matrix = inverse_affine_matrix(pivot, angle, [float(t) for t in translate], scale, shear)
    return _affine_tensor(img, matrix, mode, fill)


def _affine_tensor(img: Tensor, matrix: list, mode: InterpolationMode, fill: Any) -> Tensor:
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    channels = img.shape[-3] if img.ndim >= 3 else 1
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError(f"The number of elements in 'fill' cannot broadcast to match the "
                         f"number of channels of the image ({len(fill)} != {channels})")
    if mode not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"Interpolation mode '{mode.value}' is unsupported with Tensor input")
    arr = img.numpy()
    work = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)
    h, w = arr.shape[-2:]
    planes = arr.reshape((-1, channels, h, w)).astype(work)
    ix, iy = _source_coordinates(np.asarray(matrix, dtype=work), h, w)
    out, inside = _sample(planes, ix, iy, mode)
    if fill is not None:
        values = np.asarray(fill if isinstance(fill, (list, tuple)) else [fill], dtype=work)
        values = values.reshape(1, -1, 1, 1)
        if mode is InterpolationMode.NEAREST:
            out = np.where(inside < 0.5, values, out)
        else:
            out = out * inside + (work.type(1.0) - inside) * values
    if arr.dtype.kind != "f":
        out = np.round(out)
    return tensor_from_array(np.ascontiguousarray(out.astype(arr.dtype).reshape(arr.shape)))


def _source_coordinates(theta: np.ndarray, h: int, w: int) -> tuple:
    """Input pixel coordinates (x, y) read by each output pixel, through normalised
    coordinates as grid sampling with ``align_corners=False`` defines them."""
    dt = theta.dtype.type
    xs = np.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, w).astype(theta.dtype)
    ys = np.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, h).astype(theta.dtype)
    gx = (xs[None, :] * theta[0] + ys[:, None] * theta[1] + theta[2]) / dt(0.5 * w)
    gy = (xs[None, :] * theta[3] + ys[:, None] * theta[4] + theta[5]) / dt(0.5 * h)
    return ((gx + dt(1)) * dt(w) - dt(1)) / dt(2), ((gy + dt(1)) * dt(h) - dt(1)) / dt(2)


def _sample(planes: np.ndarray, ix: np.ndarray, iy: np.ndarray, mode: Any) -> tuple:
    """Sample ``(N, C, H, W)`` at (ix, iy), zero outside; also return how much of each
    output pixel came from inside the image (the sampled all-ones plane)."""
    n, c, h, w = planes.shape
    ones = np.ones((n, 1, h, w), dtype=planes.dtype)
    stacked = np.concatenate([planes, ones], axis=1)
    if mode is InterpolationMode.NEAREST:
        out = _gather(stacked, np.rint(iy).astype(np.int64), np.rint(ix).astype(np.int64))
    else:
        x0, y0 = np.floor(ix), np.floor(iy)
        fx, fy = ix - x0, iy - y0
        x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
        out = (_gather(stacked, y0, x0) * ((1 - fx) * (1 - fy))
               + _gather(stacked, y0, x0 + 1) * (fx * (1 - fy))
               + _gather(stacked, y0 + 1, x0) * ((1 - fx) * fy)
               + _gather(stacked, y0 + 1, x0 + 1) * (fx * fy))
    return out[:, :-1], out[:, -1:]


def _gather(planes: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    h, w = planes.shape[-2:]
    valid = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    values = planes[..., np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1)]
    return np.where(valid, values, planes.dtype.type(0))


# -- blur and erase -------------------------------------------------------------------------------
def _blur_args(kernel_size: Any, sigma: Any) -> tuple:
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got "
                        f"{type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got "
                         f"{len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got "
                        f"{type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    return list(kernel_size), list(sigma)


def gaussian_kernel1d(size: int, sigma: float, dtype: np.dtype) -> np.ndarray:
    """Normalised Gaussian weights at the ``size`` integer offsets around the centre."""
    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size).astype(dtype)
    pdf = np.exp(dtype.type(-0.5) * (x / dtype.type(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img: Any, kernel_size: Any, sigma: Any = None) -> Any:
    """Blur with a Gaussian kernel of ``kernel_size`` (x, y) and ``sigma`` (x, y); borders
    are reflected. PIL images are blurred as their tensor of raw pixel values."""
    kernel_size, sigma = _blur_args(kernel_size, sigma)
    if not isinstance(img, Tensor) and not is_pil_image(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    if is_pil_image(img):
        from ._convert import to_pil_image
        return to_pil_image(gaussian_blur(pil_to_tensor(img), kernel_size, sigma), img.mode)
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    arr = img.numpy()
    work = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)
    kx = gaussian_kernel1d(kernel_size[0], sigma[0], work)
    ky = gaussian_kernel1d(kernel_size[1], sigma[1], work)
    kernel = ky[:, None] * kx[None, :]
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    widths = [(0, 0)] * (arr.ndim - 2) + [(py, py), (px, px)]
    padded = np.pad(arr.astype(work), widths, mode="reflect")
    h, w = arr.shape[-2:]
    out = np.zeros(arr.shape, dtype=work)
    for dy in range(kernel.shape[0]):
        for dx in range(kernel.shape[1]):
            out += kernel[dy, dx] * padded[..., dy:dy + h, dx:dx + w]
    if arr.dtype.kind != "f":
        out = np.round(out)
    return tensor_from_array(out.astype(arr.dtype))


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Any, inplace: bool = False) -> Tensor:
    """Set the ``h x w`` region at (``i``, ``j``) to ``v`` (a value or a broadcastable tensor)."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    out = img if inplace else img.clone()
    out[..., i:i + h, j:j + w] = v
    return out
