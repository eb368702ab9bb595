"""Vision datasets and image transforms, as in ``torchvision`` (Pillow is needed for images).

>>> from ember.vision import datasets, transforms
>>> train = datasets.FashionMNIST("data", train=True, download=True,
...                               transform=transforms.ToTensor())  # doctest: +SKIP
"""

from . import datasets, io, transforms, utils

__all__ = ["datasets", "io", "transforms", "utils"]
