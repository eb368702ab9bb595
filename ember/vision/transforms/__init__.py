"""Image transforms, as in ``torchvision.transforms`` (the classic, v1 API).

>>> from ember.vision import transforms
>>> pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
"""

from . import functional
from .functional import InterpolationMode
from .transforms import (CenterCrop, Compose, Lambda, Normalize, PILToTensor, RandomCrop,
                         RandomHorizontalFlip, RandomRotation, Resize, ToTensor)

__all__ = ["CenterCrop", "Compose", "InterpolationMode", "Lambda", "Normalize", "PILToTensor",
           "RandomCrop", "RandomHorizontalFlip", "RandomRotation", "Resize", "ToTensor",
           "functional"]
