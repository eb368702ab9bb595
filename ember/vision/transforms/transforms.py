"""Transform objects: callables configured once, applied to every sample.

Random transforms draw from ember's default generator, so ``ember.manual_seed`` makes a
pipeline repeatable (and DataLoader workers are seeded like torch's). The transforms that
also work on tensors are ``nn.Module``s, so they can be chained with ``nn.Sequential``;
those that only convert (ToTensor, PILToTensor) or wrap Python code (Compose, Lambda) are
plain callables.

>>> t = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
>>> print(t)
Compose(
    ToTensor()
    Normalize(mean=(0.5,), std=(0.5,))
)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from ...nn import Module
from . import functional as F
from ._color_transforms import (ColorJitter, ConvertImageDtype, Grayscale, LinearTransformation,
                                RandomAdjustSharpness, RandomAutocontrast, RandomEqualize,
                                RandomGrayscale, RandomInvert, RandomPosterize, RandomSolarize,
                                ToPILImage)
from ._containers import (FiveCrop, RandomApply, RandomChoice, RandomErasing, RandomOrder,
                          TenCrop)
from ._geometry_transforms import (GaussianBlur, Pad, RandomAffine, RandomResizedCrop,
                                   RandomVerticalFlip, setup_angle)
from ._geometry_transforms import _check_sequence as check_sequence
from .functional import InterpolationMode

__all__ = ["Compose", "ToTensor", "PILToTensor", "Normalize", "Lambda", "Resize",
           "CenterCrop", "RandomCrop", "RandomHorizontalFlip", "RandomRotation",
           "InterpolationMode", "ColorJitter", "ConvertImageDtype", "Grayscale",
           "LinearTransformation", "RandomAdjustSharpness", "RandomAutocontrast",
           "RandomEqualize", "RandomGrayscale", "RandomInvert", "RandomPosterize",
           "RandomSolarize", "ToPILImage", "FiveCrop", "RandomApply", "RandomChoice",
           "RandomErasing", "RandomOrder", "TenCrop", "GaussianBlur", "Pad", "RandomAffine",
           "RandomResizedCrop", "RandomVerticalFlip"]


class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = transforms

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


class ToTensor:
    """PIL image or ``H x W x C`` uint8 ndarray -> ``C x H x W`` float tensor in [0, 1]."""

    def __call__(self, pic: Any) -> Any:
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PILToTensor:
    """PIL image -> ``C x H x W`` tensor of its raw values (uint8 stays uint8)."""

    def __call__(self, pic: Any) -> Any:
        return F.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize(Module):
    """``(x - mean[c]) / std[c]`` for each channel ``c`` of a float tensor image."""

    def __init__(self, mean: Sequence[float], std: Sequence[float],
                 inplace: bool = False) -> None:
        super().__init__()
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def forward(self, tensor: Any) -> Any:
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Wrap any function as a transform."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got "
                            f"{type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Resize(Module):
    """Resize to ``(h, w)``, or scale so the shorter edge equals an int ``size``."""

    def __init__(self, size: int | Sequence[int],
                 interpolation: Any = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = F.interpolation_mode(interpolation)
        self.antialias = antialias

    def forward(self, img: Any) -> Any:
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, "
                f"interpolation={self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


def _setup_size(size: Any, error_msg: str) -> Any:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


_SIZE_MSG = "Please provide only two dimensions (h, w) for size."


class CenterCrop(Module):
    """Crop the centre ``size`` region (zero-padded when the image is smaller)."""

    def __init__(self, size: int | Sequence[int]) -> None:
        super().__init__()
        self.size = _setup_size(size, _SIZE_MSG)

    def forward(self, img: Any) -> Any:
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


def _randint(high: int) -> int:
    from ... import randint
    return int(randint(0, high, (1,)).item())


class RandomCrop(Module):
    """Crop a ``size`` region at a random place, after optional ``padding``."""

    def __init__(self, size: int | Sequence[int], padding: Any = None,
                 pad_if_needed: bool = False, fill: Any = 0,
                 padding_mode: str = "constant") -> None:
        super().__init__()
        self.size = tuple(_setup_size(size, _SIZE_MSG))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img: Any, output_size: tuple) -> tuple:
        """A random ``(top, left, height, width)`` for a crop of ``output_size``."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if (w, h) == (tw, th):
            return 0, 0, h, w
        return _randint(h - th + 1), _randint(w - tw + 1), th, tw

    def forward(self, img: Any) -> Any:
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        top, left, h, w = self.get_params(img, self.size)
        return F.crop(img, top, left, h, w)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip(Module):
    """Mirror the image left to right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def forward(self, img: Any) -> Any:
        from ... import rand
        if rand(1).item() < self.p:
            return F.hflip(img)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomRotation(Module):
    """Rotate by an angle drawn uniformly from ``degrees`` (a range or ``(-d, d)``)."""

    def __init__(self, degrees: Any, interpolation: Any = InterpolationMode.NEAREST,
                 expand: bool = False, center: Sequence[int] | None = None,
                 fill: Any = 0) -> None:
        super().__init__()
        self.degrees = setup_angle(degrees, "degrees", (2,))
        self.interpolation = F.interpolation_mode(interpolation)
        self.expand = expand
        if center is not None:
            check_sequence(center, "center", (2,))
        self.center = center
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill = fill

    @staticmethod
    def get_params(degrees: list) -> float:
        """A random angle, uniform in ``[degrees[0], degrees[1]]``."""
        from ... import empty
        return float(empty(1).uniform_(float(degrees[0]), float(degrees[1])).item())

    def forward(self, img: Any) -> Any:
        fill = self.fill
        if not F.is_pil_image(img):
            channels = F.get_image_num_channels(img)
            fill = [float(fill)] * channels if isinstance(fill, (int, float)) \
                else [float(f) for f in fill]
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        text = (f"{type(self).__name__}(degrees={self.degrees}, "
                f"interpolation={self.interpolation.value}, expand={self.expand}")
        if self.center is not None:
            text += f", center={self.center}"
        if self.fill is not None:
            text += f", fill={self.fill}"
        return text + ")"
