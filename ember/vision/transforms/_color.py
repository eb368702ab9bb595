"""Colour operations for PIL images and ``(..., C, H, W)`` tensor images.

PIL images go through Pillow's own ``ImageEnhance`` / ``ImageOps`` functions. Tensor images
are computed in NumPy following the documented formulas: integer images are blended in
float32 and truncated back (``_blend``), so results equal torchvision's tensor
implementation bit for bit on uint8 data.

>>> import numpy as np
>>> img = ember.from_numpy(np.full((3, 2, 2), 0.5, dtype=np.float32))
>>> float(adjust_brightness(img, 1.5)[0, 0, 0])
0.75
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, tensor_from_array
from .functional import is_pil_image

__all__ = ["adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
           "adjust_sharpness", "rgb_to_grayscale", "to_grayscale", "invert", "posterize",
           "solarize", "autocontrast", "equalize"]


# -- shared checks and helpers -----------------------------------------------------------------
def max_value(dtype: np.dtype) -> float | int:
    """Largest pixel value of an image of ``dtype``: 1.0 for floats, the top of integers."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return 1.0
    if dtype.kind == "b":
        return 1
    return int(np.iinfo(dtype).max)


def _check_pil(img: Any) -> None:
    if not is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def _check_tensor_image(img: Tensor, min_dims: int = 2) -> None:
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    if img.ndim < min_dims:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")


def _check_channels(img: Tensor, permitted: list) -> None:
    channels = img.shape[-3] if img.ndim >= 3 else 1
    if channels not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but "
                        f"found {channels}")


def _work_dtype(dtype: np.dtype) -> np.dtype:
    """Integer images are processed in float32, float images in their own dtype."""
    return dtype if dtype.kind == "f" else np.dtype(np.float32)


def _blend(img1: np.ndarray, img2: np.ndarray, ratio: float) -> np.ndarray:
    """``ratio * img1 + (1 - ratio) * img2`` clipped to the valid range, in img1's dtype.

    The factors are rounded to the working dtype first, as tensor arithmetic with a Python
    scalar does; the cast back truncates, as a float -> integer tensor cast does."""
    dtype = img1.dtype
    work = _work_dtype(dtype)
    ratio = float(ratio)
    mixed = work.type(ratio) * img1.astype(work) + work.type(1.0 - ratio) * img2.astype(work)
    return np.clip(mixed, 0, max_value(dtype)).astype(dtype)


def _gray_array(arr: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma ``0.2989 R + 0.587 G + 0.114 B`` of ``(..., 3, H, W)``, keeping the
    channel axis (size 1); integer images are truncated back to their dtype."""
    work = _work_dtype(arr.dtype)
    r, g, b = (arr[..., c, :, :].astype(work) for c in range(3))
    luma = work.type(0.2989) * r + work.type(0.587) * g + work.type(0.114) * b
    return luma.astype(arr.dtype)[..., None, :, :]


def _wrap(arr: np.ndarray) -> Tensor:
    return tensor_from_array(np.ascontiguousarray(arr))


# -- grayscale ------------------------------------------------------------------------------------
def to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """A PIL image in grey (mode "L", or "RGB" with three equal bands)."""
    _check_pil(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        from PIL import Image
        grey = np.array(img.convert("L"), dtype=np.uint8)
        return Image.fromarray(np.dstack([grey, grey, grey]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def rgb_to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """Grey version of an RGB image, with 1 or 3 (identical) output channels."""
    if not isinstance(img, Tensor):
        return to_grayscale(img, num_output_channels)
    _check_tensor_image(img, 3)
    _check_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    arr = img.numpy()
    grey = _gray_array(arr) if arr.shape[-3] == 3 else arr.copy()
    if num_output_channels == 3:
        grey = np.broadcast_to(grey, arr.shape)
    return _wrap(grey)


# -- enhancements ---------------------------------------------------------------------------------
def _check_factor(value: float, name: str) -> None:
    if value < 0:
        raise ValueError(f"{name} ({value}) is not non-negative.")


def adjust_brightness(img: Any, brightness_factor: float) -> Any:
    """Multiply every pixel by ``brightness_factor`` (0 gives black, 1 the original)."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        from PIL import ImageEnhance
        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    _check_factor(brightness_factor, "brightness_factor")
    _check_tensor_image(img)
    _check_channels(img, [1, 3])
    arr = img.numpy()
    return _wrap(_blend(arr, np.zeros_like(arr), brightness_factor))


def adjust_contrast(img: Any, contrast_factor: float) -> Any:
    """Blend with the mean grey level (0 gives a uniform grey image, 1 the original)."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        from PIL import ImageEnhance
        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    _check_factor(contrast_factor, "contrast_factor")
    _check_tensor_image(img)
    _check_channels(img, [3, 1])
    arr = img.numpy()
    work = _work_dtype(arr.dtype)
    grey = _gray_array(arr) if arr.shape[-3] == 3 else arr
    # The mean is taken over channel and spatial axes of each image, in the working dtype.
    mean = grey.astype(work).mean(axis=(-3, -2, -1), keepdims=True, dtype=np.float64)
    return _wrap(_blend(arr, mean.astype(work), contrast_factor))


def adjust_saturation(img: Any, saturation_factor: float) -> Any:
    """Blend with the grey image (0 gives grey, 1 the original, 2 doubles saturation)."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        from PIL import ImageEnhance
        return ImageEnhance.Color(img).enhance(saturation_factor)
    _check_factor(saturation_factor, "saturation_factor")
    _check_tensor_image(img)
    _check_channels(img, [1, 3])
    arr = img.numpy()
    if arr.shape[-3] == 1:
        return img
    return _wrap(_blend(arr, _gray_array(arr), saturation_factor))


def adjust_sharpness(img: Any, sharpness_factor: float) -> Any:
    """Blend with a smoothed copy (0 gives the smoothed image, 2 a sharpened one)."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        from PIL import ImageEnhance
        return ImageEnhance.Sharpness(img).enhance(sharpness_factor)
    _check_factor(sharpness_factor, "sharpness_factor")
    _check_tensor_image(img)
    _check_channels(img, [1, 3])
    arr = img.numpy()
    if arr.shape[-1] <= 2 or arr.shape[-2] <= 2:
        return img
    return _wrap(_blend(arr, _smoothed(arr), sharpness_factor))


def _smoothed(arr: np.ndarray) -> np.ndarray:
    """3 x 3 smoothing (weights 1, centre 5, over 13) of the interior; borders unchanged."""
    work = _work_dtype(arr.dtype)
    kernel = np.ones((3, 3), dtype=work)
    kernel[1, 1] = 5
    kernel /= kernel.sum()
    x = arr.astype(work)
    h, w = arr.shape[-2:]
    acc = np.zeros(arr.shape[:-2] + (h - 2, w - 2), dtype=work)
    for dy in range(3):
        for dx in range(3):
            acc += kernel[dy, dx] * x[..., dy:dy + h - 2, dx:dx + w - 2]
    if arr.dtype.kind != "f":
        acc = np.round(acc)
    out = arr.copy()
    out[..., 1:-1, 1:-1] = acc.astype(arr.dtype)
    return out


# -- hue ------------------------------------------------------------------------------------------
def adjust_hue(img: Any, hue_factor: float) -> Any:
    """Rotate the hue by ``hue_factor`` turns (in [-0.5, 0.5]) in HSV space."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        _check_pil(img)
        return _pil_adjust_hue(img, hue_factor)
    _check_tensor_image(img)
    _check_channels(img, [1, 3])
    if img.ndim < 3 or img.shape[-3] == 1:
        return img
    from ._convert import convert_array_dtype
    arr = img.numpy()
    hsv = _rgb_to_hsv(convert_array_dtype(arr, np.dtype(np.float32)))
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + np.float32(hue_factor), np.float32(1.0))
    return _wrap(convert_array_dtype(_hsv_to_rgb(hsv), arr.dtype))


def _pil_adjust_hue(img: Any, hue_factor: float) -> Any:
    from PIL import Image
    mode = img.mode
    if mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    hue = np.array(h, dtype=np.uint8)
    # Hue is stored in 0..255 and wraps around: add the shift modulo 256.
    hue += np.array(np.int8(hue_factor * 255)).view(np.uint8)
    return Image.merge("HSV", (Image.fromarray(hue, "L"), s, v)).convert(mode)


def _rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., c, :, :] for c in range(3))
    maxc, minc = rgb.max(axis=-3), rgb.min(axis=-3)
    same = maxc == minc
    span = maxc - minc
    one = np.ones_like(maxc)
    sat = span / np.where(same, one, maxc)
    divisor = np.where(same, one, span)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc).astype(rgb.dtype)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc).astype(rgb.dtype)
    hue = np.fmod((hr + hg + hb) / rgb.dtype.type(6.0) + rgb.dtype.type(1.0), rgb.dtype.type(1.0))
    return np.stack((hue, sat, maxc), axis=-3)


def _hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    h, s, v = (hsv[..., c, :, :] for c in range(3))
    one = hsv.dtype.type(1.0)
    sector = np.floor(h * hsv.dtype.type(6.0))
    f = h * hsv.dtype.type(6.0) - sector
    sector = sector.astype(np.int32) % 6
    p = np.clip(v * (one - s), 0, 1)
    q = np.clip(v * (one - s * f), 0, 1)
    t = np.clip(v * (one - s * (one - f)), 0, 1)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.zeros_like(hsv)
    for k, (red, green, blue) in enumerate(table):
        chosen = sector == k
        for c, part in enumerate((red, green, blue)):
            out[..., c, :, :] = np.where(chosen, part, out[..., c, :, :])
    return out


# -- ImageOps-style operations ---------------------------------------------------------------------
def invert(img: Any) -> Any:
    """``max - pixel`` for every pixel (255 for uint8, 1.0 for float images)."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        from PIL import ImageOps
        return ImageOps.invert(img)
    _check_tensor_image(img, 3)
    _check_channels(img, [1, 3])
    arr = img.numpy()
    return _wrap((np.asarray(max_value(arr.dtype), dtype=arr.dtype) - arr).astype(arr.dtype))


def posterize(img: Any, bits: int) -> Any:
    """Keep only the ``bits`` most significant bits of each uint8 pixel."""
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    if not isinstance(img, Tensor):
        _check_pil(img)
        from PIL import ImageOps
        return ImageOps.posterize(img, bits)
    _check_tensor_image(img, 3)
    _check_uint8(img)
    _check_channels(img, [1, 3])
    mask = np.uint8((0xFF << (8 - bits)) & 0xFF)
    return _wrap(img.numpy() & mask)


def _check_uint8(img: Tensor) -> None:
    if img.numpy().dtype != np.uint8:
        raise TypeError(f"Only ember.uint8 image tensors are supported, but found {img.dtype}")


def solarize(img: Any, threshold: float) -> Any:
    """Invert the pixels at or above ``threshold``."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        from PIL import ImageOps
        return ImageOps.solarize(img, threshold)
    _check_tensor_image(img, 3)
    _check_channels(img, [1, 3])
    arr = img.numpy()
    if threshold > max_value(arr.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    inverted = invert(img).numpy()
    return _wrap(np.where(arr >= threshold, inverted, arr))


def autocontrast(img: Any) -> Any:
    """Stretch each channel so its darkest pixel becomes 0 and its lightest the maximum."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        from PIL import ImageOps
        return ImageOps.autocontrast(img)
    _check_tensor_image(img, 3)
    _check_channels(img, [1, 3])
    arr = img.numpy()
    work = _work_dtype(arr.dtype)
    bound = max_value(arr.dtype)
    low = arr.min(axis=(-2, -1), keepdims=True).astype(work)
    high = arr.max(axis=(-2, -1), keepdims=True).astype(work)
    with np.errstate(divide="ignore", invalid="ignore"):
        # ``bound / tensor`` is evaluated as ``reciprocal(tensor) * bound`` by torch, whose
        # results torchvision returns; the order matters to the last bit.
        scale = (work.type(1) / (high - low)) * work.type(bound)
    flat = ~np.isfinite(scale)  # a constant channel is left as it is
    low[flat], scale[flat] = 0, 1
    return _wrap(np.clip((arr - low) * scale, 0, bound).astype(arr.dtype))


def equalize(img: Any) -> Any:
    """Equalize the histogram of each channel of a uint8 image."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        from PIL import ImageOps
        return ImageOps.equalize(img)
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    if not 3 <= img.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found "
                        f"{img.ndim}")
    _check_uint8(img)
    _check_channels(img, [1, 3])
    arr = img.numpy()
    planes = arr.reshape(-1, arr.shape[-2], arr.shape[-1])
    return _wrap(np.stack([_equalize_plane(p) for p in planes]).reshape(arr.shape))


def _equalize_plane(plane: np.ndarray) -> np.ndarray:
    hist = np.bincount(plane.ravel(), minlength=256)
    used = hist[hist != 0]
    # The step spreads every level but the brightest over 0..255 (Pillow's recipe).
    step = int(used[:-1].sum()) // 255
    if step == 0:
        return plane
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
    return lut[plane].astype(np.uint8)
