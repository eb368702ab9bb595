"""Colour and conversion transforms: jitter, grey, the ImageOps-style random ones, dtype and
PIL conversion, and the whitening ``LinearTransformation``.

Random draws come from ember's default generator (``ember.manual_seed``).

>>> t = ColorJitter(brightness=0.4, hue=0.1)
>>> print(t)
ColorJitter(brightness=(0.6, 1.4), contrast=None, saturation=None, hue=(-0.1, 0.1))
"""

from __future__ import annotations

import numbers
from typing import Any

from ...nn import Module
from . import functional as F

__all__ = ["ColorJitter", "Grayscale", "RandomGrayscale", "RandomInvert", "RandomPosterize",
           "RandomSolarize", "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize",
           "ToPILImage", "ConvertImageDtype", "LinearTransformation"]


def rand_item() -> float:
    """One uniform draw in [0, 1) from ember's default generator."""
    from ... import rand
    return float(rand(1).item())


def uniform_item(low: float, high: float) -> float:
    """One uniform draw in [low, high) from ember's default generator."""
    from ... import empty
    return float(empty(1).uniform_(float(low), float(high)).item())


class ColorJitter(Module):
    """Randomly change brightness, contrast, saturation and hue, in a random order.

    Each of brightness / contrast / saturation is a number ``x`` (factor drawn from
    ``[max(0, 1 - x), 1 + x]``) or a ``(min, max)`` range; hue is ``x`` in [0, 0.5] (shift
    drawn from ``[-x, x]``) or a range within [-0.5, 0.5]."""

    def __init__(self, brightness: Any = 0, contrast: Any = 0, saturation: Any = 0,
                 hue: Any = 0) -> None:
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5),
                                     clip_first_on_zero=False)

    @staticmethod
    def _check_input(value: Any, name: str, center: float = 1,
                     bound: tuple = (0, float("inf")),
                     clip_first_on_zero: bool = True) -> tuple | None:
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        # A range that is just the neutral value means: leave this property alone.
        if value[0] == value[1] == center:
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness: Any, contrast: Any, saturation: Any, hue: Any) -> tuple:
        """``(order, b, c, s, h)``: a permutation of 0..3 and one factor per property (None
        for those left alone)."""
        from ... import randperm
        order = randperm(4)
        factors = [None if r is None else uniform_item(r[0], r[1])
                   for r in (brightness, contrast, saturation, hue)]
        return (order, *factors)

    def forward(self, img: Any) -> Any:
        order, *factors = self.get_params(self.brightness, self.contrast, self.saturation,
                                          self.hue)
        adjust = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for k in order.tolist():
            if factors[k] is not None:
                img = adjust[k](img, factors[k])
        return img

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}"
                f", saturation={self.saturation}, hue={self.hue})")


class Grayscale(Module):
    """Convert to grey, with 1 or 3 output channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, img: Any) -> Any:
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


class _RandomlyApplied(Module):
    """Apply ``_apply`` with probability ``p``; the repr lists ``_shown`` then ``p``."""

    _shown: tuple = ()

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def _apply_to(self, img: Any) -> Any:
        raise NotImplementedError

    def forward(self, img: Any) -> Any:
        if rand_item() < self.p:
            return self._apply_to(img)
        return img

    def __repr__(self) -> str:
        # No space before "p=", as torchvision prints it.
        shown = "".join(f"{name}={getattr(self, name)}," for name in self._shown)
        return f"{type(self).__name__}({shown}p={self.p})"


class RandomGrayscale(_RandomlyApplied):
    """Convert to grey with probability ``p`` (default 0.1), keeping the channel count."""

    def __init__(self, p: float = 0.1) -> None:
        super().__init__(p)

    def _apply_to(self, img: Any) -> Any:
        channels = F.get_dimensions(img)[0]
        return F.rgb_to_grayscale(img, num_output_channels=channels)


class RandomInvert(_RandomlyApplied):
    """Invert the colours with probability ``p``."""

    def _apply_to(self, img: Any) -> Any:
        return F.invert(img)


class RandomPosterize(_RandomlyApplied):
    """Keep ``bits`` bits per channel with probability ``p``."""

    _shown = ("bits",)

    def __init__(self, bits: int, p: float = 0.5) -> None:
        super().__init__(p)
        self.bits = bits

    def _apply_to(self, img: Any) -> Any:
        return F.posterize(img, self.bits)


class RandomSolarize(_RandomlyApplied):
    """Invert the pixels at or above ``threshold`` with probability ``p``."""

    _shown = ("threshold",)

    def __init__(self, threshold: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.threshold = threshold

    def _apply_to(self, img: Any) -> Any:
        return F.solarize(img, self.threshold)


class RandomAdjustSharpness(_RandomlyApplied):
    """Change the sharpness by ``sharpness_factor`` with probability ``p``."""

    _shown = ("sharpness_factor",)

    def __init__(self, sharpness_factor: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.sharpness_factor = sharpness_factor

    def _apply_to(self, img: Any) -> Any:
        return F.adjust_sharpness(img, self.sharpness_factor)


class RandomAutocontrast(_RandomlyApplied):
    """Stretch each channel's range to the full range with probability ``p``."""

    def _apply_to(self, img: Any) -> Any:
        return F.autocontrast(img)


class RandomEqualize(_RandomlyApplied):
    """Equalize the histogram with probability ``p``."""

    def _apply_to(self, img: Any) -> Any:
        return F.equalize(img)


class ToPILImage:
    """Tensor ``C x H x W`` or ndarray ``H x W x C`` -> PIL image (see ``to_pil_image``)."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def __call__(self, pic: Any) -> Any:
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        mode = f"mode={self.mode}" if self.mode is not None else ""
        return f"{type(self).__name__}({mode})"


class ConvertImageDtype(Module):
    """Convert a tensor image to ``dtype``, rescaling values to the new range."""

    def __init__(self, dtype: Any) -> None:
        super().__init__()
        self.dtype = dtype

    def forward(self, image: Any) -> Any:
        return F.convert_image_dtype(image, self.dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class LinearTransformation(Module):
    """``(x.flatten() - mean_vector) @ transformation_matrix``, reshaped back: whitening
    with a ``D x D`` matrix computed offline (``D = C * H * W``)."""

    def __init__(self, transformation_matrix: Any, mean_vector: Any) -> None:
        super().__init__()
        rows, cols = transformation_matrix.size(0), transformation_matrix.size(1)
        if rows != cols:
            raise ValueError(f"transformation_matrix should be square. Got "
                             f"{tuple(transformation_matrix.size())} rectangular matrix.")
        if mean_vector.size(0) != rows:
            raise ValueError(f"mean_vector should have the same length {mean_vector.size(0)} as"
                             f" any one of the dimensions of the transformation_matrix "
                             f"[{tuple(transformation_matrix.size())}]")
        if transformation_matrix.dtype != mean_vector.dtype:
            raise ValueError(f"Input tensors should have the same dtype. Got "
                             f"{transformation_matrix.dtype} and {mean_vector.dtype}")
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def forward(self, tensor: Any) -> Any:
        shape = tensor.shape
        n = shape[-3] * shape[-2] * shape[-1]
        if n != self.transformation_matrix.shape[0]:
            raise ValueError(f"Input tensor and transformation matrix have incompatible shape."
                             f"[{shape[-3]} x {shape[-2]} x {shape[-1]}] != "
                             f"{self.transformation_matrix.shape[0]}")
        flat = tensor.reshape(-1, n) - self.mean_vector
        matrix = self.transformation_matrix.to(flat.dtype)
        return (flat @ matrix).reshape(shape)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(transformation_matrix="
                f"{self.transformation_matrix.tolist()}, "
                f"mean_vector={self.mean_vector.tolist()})")

