"""Image operations behind the transforms, for PIL images and ``(..., C, H, W)`` tensors.

PIL images are handled by Pillow itself (resampling, rotation), exactly as torchvision's
PIL path does; tensors are cropped, padded and flipped directly, and resized or rotated
one channel at a time through Pillow's float images.

>>> from PIL import Image
>>> import numpy as np
>>> img = Image.fromarray(np.zeros((4, 6), dtype=np.uint8))
>>> to_tensor(img).shape
ember.Size([1, 4, 6])
>>> center_crop(img, [2, 2]).size
(2, 2)
"""

from __future__ import annotations

import numbers
from enum import Enum
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import _dtype
from ..._tensor import Tensor, tensor_from_array

__all__ = ["InterpolationMode", "to_tensor", "pil_to_tensor", "normalize", "resize", "crop",
           "center_crop", "pad", "hflip", "rotate", "get_dimensions", "get_image_size",
           "get_image_num_channels"]


class InterpolationMode(Enum):
    """How resampling picks pixel values; ``.value`` is the name used in reprs."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's resampling filter numbers (Image.Resampling) for each mode.
_PIL_FILTERS = {InterpolationMode.NEAREST: 0, InterpolationMode.LANCZOS: 1,
                InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3,
                InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5}
_FROM_PIL_FILTER = {v: k for k, v in _PIL_FILTERS.items()}


def interpolation_mode(value: Any) -> InterpolationMode:
    """Accept an ``InterpolationMode`` or, as torchvision still does, a Pillow filter number."""
    if isinstance(value, InterpolationMode):
        return value
    if isinstance(value, int) and value in _FROM_PIL_FILTER:
        return _FROM_PIL_FILTER[value]
    raise TypeError("Argument interpolation should be of type InterpolationMode instead of "
                    f"{type(value).__name__}")


def _pil_filter(mode: InterpolationMode) -> int:
    if mode not in _PIL_FILTERS:
        raise ValueError(f"Interpolation mode {mode.value} is unsupported with PIL images")
    return _PIL_FILTERS[mode]


def is_pil_image(img: Any) -> bool:
    module = type(img).__module__
    if not module.startswith("PIL."):
        return False
    from PIL import Image
    return isinstance(img, Image.Image)


def _check_image(img: Any) -> None:
    if not isinstance(img, Tensor) and not is_pil_image(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def get_dimensions(img: Any) -> list:
    """``[channels, height, width]`` of a PIL image or a tensor image."""
    _check_image(img)
    if isinstance(img, Tensor):
        shape = img.shape
        return [shape[-3] if len(shape) >= 3 else 1, shape[-2], shape[-1]]
    return [len(img.getbands()), img.height, img.width]


def get_image_size(img: Any) -> list:
    """``[width, height]``, as torchvision reports it."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img: Any) -> int:
    return get_dimensions(img)[0]


# -- conversion ----------------------------------------------------------------------------
def uint8_to_float(arr: np.ndarray) -> np.ndarray:
    """Scale uint8 pixels to [0, 1] in the default float dtype (shared by batched loading,
    so a batch equals its samples bit for bit)."""
    dt = _dtype.get_default_dtype().np
    return arr.astype(dt) / dt.type(255)


_PIL_MODE_DTYPES = {"I": np.int32, "I;16": np.int16, "F": np.float32}


def to_tensor(pic: Any) -> Tensor:
    """PIL image or ``H x W (x C)`` ndarray -> ``C x H x W`` tensor; uint8 data is scaled to
    floats in [0, 1], other dtypes are kept as they are."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    elif is_pil_image(pic):
        arr = _pil_array(pic)
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        return tensor_from_array(uint8_to_float(chw))
    return tensor_from_array(chw)


def _pil_array(pic: Any) -> np.ndarray:
    if pic.mode == "1":
        arr = 255 * np.array(pic, dtype=np.uint8)
    else:
        arr = np.array(pic, dtype=_PIL_MODE_DTYPES.get(pic.mode, np.uint8))
    return arr.reshape(pic.height, pic.width, len(pic.getbands()))


def pil_to_tensor(pic: Any) -> Tensor:
    """PIL image -> ``C x H x W`` tensor of its raw pixel values (no scaling)."""
    if not is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True).reshape(pic.height, pic.width, len(pic.getbands()))
    return tensor_from_array(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def _channel_stats(values: Any, dtype: np.dtype) -> np.ndarray:
    """``values`` (means or stds) as an array of the image's dtype; a 1-d sequence becomes
    ``(C, 1, 1)`` so that it lines up with the channel axis."""
    arr = np.asarray(values, dtype=dtype)
    return arr.reshape(-1, 1, 1) if arr.ndim == 1 else arr


def _check_fits(shape: tuple, other: tuple) -> None:
    """Raise the error ember's in-place arithmetic raises when an operand of shape ``other``
    cannot update an image of ``shape`` in place (too many channels, or no broadcast)."""
    n = max(len(shape), len(other))
    a = (1,) * (n - len(shape)) + tuple(shape)
    b = (1,) * (n - len(other)) + tuple(other)
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and 1 not in (a[i], b[i]):
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b "
                               f"({b[i]}) at non-singleton dimension {i}")
    broadcast = [max(x, y) for x, y in zip(a, b)]
    if broadcast != list(shape):
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                           f"{broadcast}")


def normalize_array(arr: np.ndarray, mean: Sequence[float], std: Sequence[float],
                    image_shape: tuple | None = None) -> np.ndarray:
    """``(arr - mean) / std`` per channel of a ``(..., C, H, W)`` float array, with the errors
    of ``normalize``. ``image_shape`` is the shape of one image when ``arr`` stacks several,
    so that a mismatch is reported as it would be for a single image."""
    mean_a = _channel_stats(mean, arr.dtype)
    std_a = _channel_stats(std, arr.dtype)
    if (std_a == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to "
                         f"{_dtype.from_np(arr.dtype)}, leading to division by zero.")
    shape = arr.shape if image_shape is None else tuple(image_shape)
    _check_fits(shape, mean_a.shape)
    _check_fits(shape, std_a.shape)
    return (arr - mean_a) / std_a


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> Tensor:
    """Normalize a float tensor image channel by channel: ``(x - mean) / std``."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if tensor.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    if inplace or tensor.requires_grad:
        # Tensor arithmetic: the graph, the version counter and the in-place checks hold.
        return _normalize_with_ops(tensor, mean, std, inplace)
    return tensor_from_array(normalize_array(tensor.numpy(), mean, std))


def _normalize_with_ops(tensor: Tensor, mean: Any, std: Any, inplace: bool) -> Tensor:
    mean_a = _channel_stats(mean, tensor.dtype.np)
    std_a = _channel_stats(std, tensor.dtype.np)
    if (std_a == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading "
                         f"to division by zero.")
    out = tensor if inplace else tensor.clone()
    return out.sub_(tensor_from_array(mean_a)).div_(tensor_from_array(std_a))


# -- geometry ------------------------------------------------------------------------------
def _output_size(h: int, w: int, size: Any, max_size: int | None) -> list:
    if isinstance(size, int) or len(size) == 1:
        requested = size if isinstance(size, int) else size[0]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size (size={size})")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return [new_long, new_short] if w <= h else [new_short, new_long]
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the "
                         "smaller edge, i.e. size should be an int or a sequence of length 1 "
                         "in torchscript mode.")
    return [int(size[0]), int(size[1])]


def resize(img: Any, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool | None = True) -> Any:
    """Resize to ``size`` (h, w), or match the shorter edge to an int ``size``."""
    mode = interpolation_mode(interpolation)
    _, h, w = get_dimensions(img)
    out_h, out_w = _output_size(h, w, size, max_size)
    if (out_h, out_w) == (h, w):
        return img
    if is_pil_image(img):
        return img.resize((out_w, out_h), _pil_filter(mode))
    return _per_plane(img, lambda p: p.resize((out_w, out_h), _pil_filter(mode)))


def _per_plane(img: Tensor, op: Any) -> Tensor:
    """Apply a Pillow operation to each ``H x W`` plane of a tensor image."""
    from PIL import Image
    arr = img.numpy()
    planes = arr.reshape(-1, arr.shape[-2], arr.shape[-1])
    as_uint8 = arr.dtype == np.uint8
    results = []
    for plane in planes:
        pil = Image.fromarray(plane if as_uint8 else plane.astype(np.float32))
        results.append(np.asarray(op(pil)))
    out = np.stack(results).astype(arr.dtype, copy=False)
    return tensor_from_array(out.reshape(arr.shape[:-2] + out.shape[-2:]))


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The ``height x width`` region at (``top``, ``left``); outside the image is zero."""
    if is_pil_image(img):
        return img.crop((left, top, left + width, top + height))
    _check_image(img)
    _, h, w = get_dimensions(img)
    bottom, right = top + height, left + width
    if top < 0 or left < 0 or bottom > h or right > w:
        pads = [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)]
        img = pad(img[..., max(top, 0):min(bottom, h), max(left, 0):min(right, w)], pads)
        return img
    return img[..., top:bottom, left:right]


def center_crop(img: Any, output_size: Any) -> Any:
    """The centred ``output_size`` region, zero-padding first when the image is smaller."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, h, w = get_dimensions(img)
    th, tw = output_size
    if th > h or tw > w:
        pads = [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0]
        img = pad(img, pads, fill=0)
        _, h, w = get_dimensions(img)
        if (th, tw) == (h, w):
            return img
    # Python's round (half to even) decides odd leftovers, as torchvision does.
    top = int(round((h - th) / 2.0))
    left = int(round((w - tw) / 2.0))
    return crop(img, top, left, th, tw)


_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
              "symmetric": "symmetric"}


def _ltrb(padding: Any) -> list:
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    if len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if len(padding) == 1:
        return [int(padding[0])] * 4
    if len(padding) == 2:
        return [int(padding[0]), int(padding[1])] * 2
    return [int(p) for p in padding]


def pad(img: Any, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> Any:
    """Pad the borders: ``padding`` is one int, (left/right, top/bottom) or (l, t, r, b)."""
    if padding_mode not in _PAD_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _ltrb(padding)
    pil = is_pil_image(img)
    _check_image(img)
    arr = np.asarray(img) if pil else img.numpy()
    spatial = (0, 1) if pil else (arr.ndim - 2, arr.ndim - 1)
    widths = [(0, 0)] * arr.ndim
    widths[spatial[0]], widths[spatial[1]] = (top, bottom), (left, right)
    if padding_mode != "constant":
        out = np.pad(arr, widths, mode=_PAD_MODES[padding_mode])
    elif pil and arr.ndim == 3 and isinstance(fill, (tuple, list)):
        out = np.stack([np.pad(arr[..., c], widths[:2], constant_values=fill[c])
                        for c in range(arr.shape[2])], axis=-1)
    else:
        out = np.pad(arr, widths, constant_values=_scalar_fill(fill))
    if not pil:
        return tensor_from_array(out)
    from PIL import Image
    result = Image.fromarray(out)
    return result if result.mode == img.mode else result.convert(img.mode)


def _scalar_fill(fill: Any) -> Any:
    if isinstance(fill, (tuple, list)):
        return fill[0]
    return 0 if fill is None else fill


def hflip(img: Any) -> Any:
    """Mirror left to right."""
    if is_pil_image(img):
        from PIL import Image
        return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    _check_image(img)
    return img.flip(-1)


def _pil_fill(fill: Any, img: Any) -> Any:
    bands = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and bands > 1:
        fill = tuple([fill] * bands)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * bands
        elif len(fill) != bands:
            raise ValueError(f"The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({len(fill)} != {bands})")
        fill = tuple(fill)
        if bands == 1:
            fill = fill[0]
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return fill


def rotate(img: Any, angle: float, interpolation: Any = InterpolationMode.NEAREST,
           expand: bool = False, center: Sequence[int] | None = None,
           fill: Any = None) -> Any:
    """Rotate counter-clockwise by ``angle`` degrees around ``center`` (default: the middle)."""
    mode = interpolation_mode(interpolation)
    resample = _pil_filter(mode)
    if is_pil_image(img):
        return img.rotate(angle, resample, expand, center, fillcolor=_pil_fill(fill, img))
    _check_image(img)
    value = fill[0] if isinstance(fill, (list, tuple)) else (fill or 0)

    def turn(plane: Any) -> Any:
        colour = float(value) if plane.mode == "F" else int(value)
        return plane.rotate(angle, resample, expand, center, fillcolor=colour)
    return _per_plane(img, turn)


# The colour, conversion and geometry families live in their own modules; they use the
# helpers above, so they are imported last.
from ._color import (adjust_brightness, adjust_contrast, adjust_hue,  # noqa: E402
                     adjust_saturation, adjust_sharpness, autocontrast, equalize, invert,
                     posterize, rgb_to_grayscale, solarize, to_grayscale)
from ._convert import convert_image_dtype, to_pil_image  # noqa: E402
from ._geometry import (affine, erase, five_crop, gaussian_blur, resized_crop,  # noqa: E402
                        ten_crop, vflip)

__all__ += ["adjust_brightness", "adjust_contrast", "adjust_hue", "adjust_saturation",
            "adjust_sharpness", "autocontrast", "equalize", "invert", "posterize",
            "rgb_to_grayscale", "solarize", "to_grayscale", "convert_image_dtype",
            "to_pil_image", "affine", "erase", "five_crop", "gaussian_blur", "resized_crop",
            "ten_crop", "vflip"]
