"""Conversions between tensor images, NumPy arrays, PIL images and pixel dtypes.

>>> import numpy as np
>>> img = ember.from_numpy(np.zeros((3, 2, 4), dtype=np.uint8))
>>> to_pil_image(img).mode, to_pil_image(img).size
('RGB', (4, 2))
>>> convert_image_dtype(ember.full((1, 1, 1), 1.0), ember.uint8).item()
255
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ... import _dtype
from ..._tensor import Tensor, tensor_from_array
from ._color import max_value

__all__ = ["to_pil_image", "convert_image_dtype"]


def _as_hwc(pic: Any) -> np.ndarray:
    """``pic`` as an ``H x W x C`` array, with the checks on rank and channel count."""
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic.numpy()
        arr = arr[None] if arr.ndim == 2 else arr
        if arr.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[-3]} channels.")
        return arr.transpose(1, 2, 0)
    if not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    arr = pic[:, :, None] if pic.ndim == 2 else pic
    if arr.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[-1]} channels.")
    return arr


_ONE_BAND_MODES = {np.dtype(np.uint8): "L",
                   np.dtype(np.int16): "I;16" if sys.byteorder == "little" else "I;16B",
                   np.dtype(np.int32): "I", np.dtype(np.float32): "F"}
_MULTI_BAND_MODES = {2: (["LA"], "LA"), 3: (["RGB", "YCbCr", "HSV"], "RGB"),
                     4: (["RGBA", "CMYK", "RGBX"], "RGBA")}
_NAMES = {2: "2D", 3: "3D", 4: "4D"}


def _pick_mode(arr: np.ndarray, mode: str | None) -> str | None:
    if arr.ndim == 2:
        expected = _ONE_BAND_MODES.get(arr.dtype)
        if mode is not None and mode != expected:
            # The dtype class (not the array's dtype) is what the message names.
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. "
                             f"Should be {expected}")
        return expected
    permitted, default = _MULTI_BAND_MODES[arr.shape[2]]
    if mode is not None and mode not in permitted:
        raise ValueError(f"Only modes {permitted} are supported for {_NAMES[arr.shape[2]]} "
                         f"inputs")
    if mode is None and arr.dtype == np.uint8:
        return default
    return mode


def to_pil_image(pic: Any, mode: str | None = None) -> Any:
    """Tensor ``C x H x W`` or ndarray ``H x W x C`` -> PIL image.

    Float data is scaled by 255 and truncated to uint8 unless ``mode`` is "F"; without a
    ``mode`` it is chosen from the channel count (and, for one channel, from the dtype)."""
    from PIL import Image
    arr = _as_hwc(pic)
    if np.issubdtype(arr.dtype, np.floating) and mode != "F":
        arr = (arr * 255).astype(np.uint8)
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
    mode = _pick_mode(arr, mode)
    if mode is None:
        raise TypeError(f"Input type {arr.dtype} is not supported")
    return Image.fromarray(np.ascontiguousarray(arr), mode=mode)


def _unsafe_float_cast(src: np.dtype, dst: np.dtype) -> bool:
    """Float -> int casts whose largest value the float cannot represent exactly."""
    return ((src == np.float32 and dst in (np.int32, np.int64))
            or (src == np.float64 and dst == np.int64))


def convert_array_dtype(arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Rescale pixel values from the range of ``arr.dtype`` to the range of ``dtype``."""
    if arr.dtype == dtype:
        return arr
    if arr.dtype.kind == "f":
        if dtype.kind == "f":
            return arr.astype(dtype)
        if _unsafe_float_cast(arr.dtype, dtype):
            raise RuntimeError(f"The cast from {_dtype.from_np(arr.dtype)} to "
                               f"{_dtype.from_np(dtype)} cannot be performed safely.")
        # Scale by just under (max + 1) so that 1.0 maps to max and every level is as wide.
        factor = arr.dtype.type(float(max_value(dtype)) + 1.0 - 1e-3)
        return (arr * factor).astype(dtype)
    in_max = max_value(arr.dtype)
    if dtype.kind == "f":
        return arr.astype(dtype) / dtype.type(in_max)
    out_max = max_value(dtype)
    if in_max > out_max:
        factor = (in_max + 1) // (out_max + 1)
        return np.floor_divide(arr, factor).astype(dtype)
    factor = (out_max + 1) // (in_max + 1)
    return arr.astype(dtype) * dtype.type(factor)


def convert_image_dtype(image: Tensor, dtype: Any = None) -> Tensor:
    """Convert a tensor image to ``dtype`` (default float32), rescaling the values:
    integers span ``0..max``, floats ``0..1``."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    target = _dtype.float32 if dtype is None else dtype
    if image.dtype == target:
        return image
    return tensor_from_array(convert_array_dtype(image.numpy(), np.dtype(target.np)))
