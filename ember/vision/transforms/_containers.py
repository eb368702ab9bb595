"""Multi-crops, random erasing and the random containers (apply / choice / order).

``RandomApply`` and ``RandomErasing`` draw from ember's default generator; ``RandomChoice``
and ``RandomOrder`` use Python's ``random`` module, as torchvision's do.

>>> print(RandomApply([FiveCrop(2)], p=0.3))
RandomApply(
    p=0.3
    FiveCrop(size=(2, 2))
)
"""

from __future__ import annotations

import numbers
import random
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..._tensor import Tensor, tensor_from_array
from ...nn import Module
from . import functional as F
from ._color_transforms import rand_item, uniform_item
from ._geometry_transforms import _SIZE_MSG, _pair_size, _randint

__all__ = ["FiveCrop", "TenCrop", "RandomErasing", "RandomApply", "RandomChoice",
           "RandomOrder"]


class FiveCrop(Module):
    """The four corner crops and the centre crop of ``size`` (a tuple of five images)."""

    def __init__(self, size: Any) -> None:
        super().__init__()
        self.size = _pair_size(size, _SIZE_MSG)

    def forward(self, img: Any) -> tuple:
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class TenCrop(Module):
    """``FiveCrop`` of the image and of its mirror (horizontal, or vertical)."""

    def __init__(self, size: Any, vertical_flip: bool = False) -> None:
        super().__init__()
        self.size = _pair_size(size, _SIZE_MSG)
        self.vertical_flip = vertical_flip

    def forward(self, img: Any) -> tuple:
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


def _check_erasing_args(p: float, scale: Any, ratio: Any, value: Any) -> None:
    if not isinstance(value, (numbers.Number, str, tuple, list)):
        raise TypeError("Argument value should be either a number or str or a sequence")
    if isinstance(value, str) and value != "random":
        raise ValueError("If value is str, it should be 'random'")
    if not isinstance(scale, Sequence):
        raise TypeError("Scale should be a sequence")
    if not isinstance(ratio, Sequence):
        raise TypeError("Ratio should be a sequence")
    if scale[0] > scale[1] or ratio[0] > ratio[1]:
        warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=3)
    if scale[0] < 0 or scale[1] > 1:
        raise ValueError("Scale should be between 0 and 1")
    if p < 0 or p > 1:
        raise ValueError("Random erasing probability should be between 0 and 1")


class RandomErasing(Module):
    """With probability ``p``, erase a random rectangle of a tensor image: area fraction in
    ``scale``, aspect ratio in ``ratio``, filled with ``value`` (a number, one per channel,
    or "random" for standard normal noise)."""

    def __init__(self, p: float = 0.5, scale: Sequence[float] = (0.02, 0.33),
                 ratio: Sequence[float] = (0.3, 3.3), value: Any = 0,
                 inplace: bool = False) -> None:
        super().__init__()
        _check_erasing_args(p, scale, ratio, value)
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img: Tensor, scale: Sequence[float], ratio: Sequence[float],
                   value: list | None = None) -> tuple:
        """``(top, left, h, w, v)``; after ten misses the whole image with ``v = img``."""
        channels, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = np.log(np.asarray(ratio, dtype=np.float32))
        for _ in range(10):
            erase_area = area * uniform_item(scale[0], scale[1])
            aspect = float(np.exp(np.float32(uniform_item(log_ratio[0], log_ratio[1]))))
            h = int(round(float(np.sqrt(erase_area * aspect))))
            w = int(round(float(np.sqrt(erase_area / aspect))))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                from ... import empty, float32
                v = empty([channels, h, w], dtype=float32).normal_()
            else:
                v = tensor_from_array(np.asarray(value, dtype=np.float32)[:, None, None])
            return _randint(0, img_h - h + 1), _randint(0, img_w - w + 1), h, w, v
        return 0, 0, img_h, img_w, img

    def _fill_values(self, channels: int) -> list | None:
        if isinstance(self.value, str):
            return None
        if isinstance(self.value, (int, float)):
            return [float(self.value)]
        values = [float(v) for v in self.value]
        if len(values) not in (1, channels):
            raise ValueError(f"If value is a sequence, it should have either a single value or "
                             f"{channels} (number of input channels)")
        return values

    def forward(self, img: Any) -> Any:
        if rand_item() < self.p:
            value = self._fill_values(img.shape[-3])
            top, left, h, w, v = self.get_params(img, self.scale, self.ratio, value)
            return F.erase(img, top, left, h, w, v, self.inplace)
        return img

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


def _listing(name: str, head: list, transforms: Sequence) -> str:
    lines = "".join(f"\n    {line}" for line in head + [str(t) for t in transforms])
    return f"{name}({lines}\n)"


class RandomApply(Module):
    """Apply all ``transforms`` in order with probability ``p``, else none of them."""

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5) -> None:
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, img: Any) -> Any:
        if self.p < rand_item():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _listing(type(self).__name__, [f"p={self.p}"], self.transforms)


class _RandomTransforms:
    def __init__(self, transforms: Sequence[Callable]) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __repr__(self) -> str:
        return _listing(type(self).__name__, [], self.transforms)


class RandomOrder(_RandomTransforms):
    """Apply all ``transforms``, in a random order."""

    def __call__(self, img: Any) -> Any:
        order = list(range(len(self.transforms)))
        random.shuffle(order)
        for i in order:
            img = self.transforms[i](img)
        return img


class RandomChoice(_RandomTransforms):
    """Apply one of ``transforms``, picked with the relative weights ``p`` (default equal)."""

    def __init__(self, transforms: Sequence[Callable], p: Sequence[float] | None = None) -> None:
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args: Any) -> Any:
        chosen = random.choices(self.transforms, weights=self.p)[0]
        return chosen(*args)

    def __repr__(self) -> str:
        # The weights follow the listing, as torchvision prints them.
        return f"{super().__repr__()}(p={self.p})"
