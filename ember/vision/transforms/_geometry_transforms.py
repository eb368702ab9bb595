"""Geometric transforms: vertical flips, random resized crops, padding, random affine maps
and Gaussian blur. Random draws come from ember's default generator (``ember.manual_seed``).

>>> print(Pad(2, padding_mode="edge"))
Pad(padding=2, fill=0, padding_mode=edge)
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..._tensor import Tensor
from ...nn import Module
from . import functional as F
from ._color_transforms import rand_item, uniform_item
from .functional import InterpolationMode

__all__ = ["RandomVerticalFlip", "RandomResizedCrop", "Pad", "RandomAffine", "GaussianBlur"]

_SIZE_MSG = "Please provide only two dimensions (h, w) for size."


def _pair_size(size: Any, error_msg: str) -> tuple:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return tuple(size)


def _randint(low: int, high: int) -> int:
    from ... import randint
    return int(randint(low, high, (1,)).item())


def _check_sequence(x: Any, name: str, req_sizes: tuple) -> None:
    sizes = str(req_sizes[0]) if len(req_sizes) < 2 else " or ".join(map(str, req_sizes))
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {sizes}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {sizes}.")


def setup_angle(x: Any, name: str, req_sizes: tuple = (2,)) -> list:
    """``x`` as a list of float degrees; a number ``d`` becomes ``[-d, d]``."""
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence(x, name, req_sizes)
    return [float(d) for d in x]


class RandomVerticalFlip(Module):
    """Mirror the image top to bottom with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def forward(self, img: Any) -> Any:
        if rand_item() < self.p:
            return F.vflip(img)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


def random_area_box(height: int, width: int, scale: Sequence[float],
                    ratio: Sequence[float]) -> Iterator[tuple]:
    """Ten draws of an area fraction in ``scale`` and a log-uniform aspect ratio in
    ``ratio``, each yielded as the ``(h, w)`` of a box (the caller stops at one that fits)."""
    area = height * width
    # The log of the ratio bounds is taken in float32, as the drawn values are.
    log_ratio = np.log(np.asarray(ratio, dtype=np.float32))
    for _ in range(10):
        target_area = area * uniform_item(scale[0], scale[1])
        aspect = float(np.exp(np.float32(uniform_item(log_ratio[0], log_ratio[1]))))
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        yield h, w


class RandomResizedCrop(Module):
    """Crop a random area fraction (``scale``) with a random aspect ratio (``ratio``), then
    resize it to ``size``."""

    def __init__(self, size: Any, scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: Any = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.size = _pair_size(size, _SIZE_MSG)
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.interpolation = F.interpolation_mode(interpolation)
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img: Any, scale: Sequence[float], ratio: Sequence[float]) -> tuple:
        """``(top, left, height, width)`` of a random crop; after ten misses, the central
        crop with the aspect ratio clamped into ``ratio``."""
        _, height, width = F.get_dimensions(img)
        for h, w in random_area_box(height, width, scale, ratio):
            if 0 < w <= width and 0 < h <= height:
                return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            h, w = height, width
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img: Any) -> Any:
        top, left, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, top, left, h, w, self.size, self.interpolation,
                              antialias=self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, "
                f"scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias})")


class Pad(Module):
    """Pad the borders (see ``functional.pad``)."""

    def __init__(self, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> None:
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img: Any) -> Any:
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


def _tensor_fill(fill: Any, img: Any) -> Any:
    """Tensor images take one float fill value per channel."""
    if not isinstance(img, Tensor):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * F.get_dimensions(img)[0]
    return [float(f) for f in fill]


class RandomAffine(Module):
    """Random rotation (``degrees``), translation (fractions of the size), scale and shear,
    keeping the centre fixed."""

    def __init__(self, degrees: Any, translate: Any = None, scale: Any = None,
                 shear: Any = None, interpolation: Any = InterpolationMode.NEAREST,
                 fill: Any = 0, center: Any = None) -> None:
        super().__init__()
        self.interpolation = F.interpolation_mode(interpolation)
        self.degrees = setup_angle(degrees, "degrees", (2,))
        if translate is not None:
            _check_sequence(translate, "translate", (2,))
            if not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            _check_sequence(scale, "scale", (2,))
            if any(s <= 0 for s in scale):
                raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = None if shear is None else setup_angle(shear, "shear", (2, 4))
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill = fill
        if center is not None:
            _check_sequence(center, "center", (2,))
        self.center = center

    @staticmethod
    def get_params(degrees: list, translate: Any, scale_ranges: Any, shears: Any,
                   img_size: list) -> tuple:
        """``(angle, (tx, ty), scale, (shear_x, shear_y))``; ``img_size`` is (width, height)."""
        angle = uniform_item(degrees[0], degrees[1])
        translations = (0, 0)
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            translations = (int(round(uniform_item(-max_dx, max_dx))),
                            int(round(uniform_item(-max_dy, max_dy))))
        scale = 1.0 if scale_ranges is None else uniform_item(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = uniform_item(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = uniform_item(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img: Any) -> Any:
        _, height, width = F.get_dimensions(img)
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear,
                                 [width, height])
        return F.affine(img, *params, interpolation=self.interpolation,
                        fill=_tensor_fill(self.fill, img), center=self.center)

    def __repr__(self) -> str:
        parts = [f"degrees={self.degrees}"]
        for name in ("translate", "scale", "shear"):
            if getattr(self, name) is not None:
                parts.append(f"{name}={getattr(self, name)}")
        if self.interpolation != InterpolationMode.NEAREST:
            parts.append(f"interpolation={self.interpolation.value}")
        if self.fill != 0:
            parts.append(f"fill={self.fill}")
        if self.center is not None:
            parts.append(f"center={self.center}")
        return f"{type(self).__name__}({', '.join(parts)})"


class GaussianBlur(Module):
    """Gaussian blur with a fixed odd ``kernel_size`` and a sigma drawn from ``sigma``."""

    def __init__(self, kernel_size: Any, sigma: Any = (0.1, 2.0)) -> None:
        super().__init__()
        self.kernel_size = _pair_size(kernel_size,
                                      "Kernel size should be a tuple/list of two integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        """A sigma drawn uniformly from ``[sigma_min, sigma_max]``."""
        return uniform_item(sigma_min, sigma_max)

    def forward(self, img: Any) -> Any:
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"

