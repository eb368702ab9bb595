"""Image transforms, as in ``torchvision.transforms`` (the classic, v1 API).

>>> from ember.vision import transforms
>>> pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
"""

from . import functional
from .functional import InterpolationMode
from .transforms import (CenterCrop, ColorJitter, Compose, ConvertImageDtype, FiveCrop,
                         GaussianBlur, Grayscale, Lambda, LinearTransformation, Normalize, Pad,
                         PILToTensor, RandomAdjustSharpness, RandomAffine, RandomApply,
                         RandomAutocontrast, RandomChoice, RandomCrop, RandomEqualize,
                         RandomErasing, RandomGrayscale, RandomHorizontalFlip, RandomInvert,
                         RandomOrder, RandomPosterize, RandomResizedCrop, RandomRotation,
                         RandomSolarize, RandomVerticalFlip, Resize, TenCrop, ToPILImage,
                         ToTensor)

__all__ = ["CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype", "FiveCrop",
           "GaussianBlur", "Grayscale", "InterpolationMode", "Lambda", "LinearTransformation",
           "Normalize", "PILToTensor", "Pad", "RandomAdjustSharpness", "RandomAffine",
           "RandomApply", "RandomAutocontrast", "RandomChoice", "RandomCrop", "RandomEqualize",
           "RandomErasing", "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert",
           "RandomOrder", "RandomPosterize", "RandomResizedCrop", "RandomRotation",
           "RandomSolarize", "RandomVerticalFlip", "Resize", "TenCrop", "ToPILImage", "ToTensor",
           "functional"]
