"""Reading images from files into tensors, as ``torchvision.io.read_image`` does."""

from __future__ import annotations

import os
from enum import Enum

from .._tensor import Tensor
from .transforms.functional import pil_to_tensor

__all__ = ["ImageReadMode", "read_image"]


class ImageReadMode(Enum):
    """Which channels to keep when reading: as stored, grey, grey+alpha, RGB or RGBA."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
              ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}


def read_image(path: str | os.PathLike,
               mode: ImageReadMode = ImageReadMode.UNCHANGED) -> Tensor:
    """A PNG/JPEG/... file as a ``C x H x W`` uint8 tensor."""
    from PIL import Image
    with Image.open(path) as img:
        img.load()
        if mode is not ImageReadMode.UNCHANGED:
            img = img.convert(_PIL_MODES[mode])
        elif img.mode not in ("L", "LA", "RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        return pil_to_tensor(img)

