"""Datasets, as in ``torchvision.datasets``.

>>> from ember.vision import datasets
>>> datasets.FashionMNIST.classes[:3]
['T-shirt/top', 'Trouser', 'Pullover']
"""

from ._idx import DatasetFileError, read_idx
from .mnist import MNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset

__all__ = ["DatasetFileError", "FashionMNIST", "MNIST", "StandardTransform", "VisionDataset",
           "read_idx"]
