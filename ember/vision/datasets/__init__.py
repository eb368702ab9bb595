"""Datasets, as in ``torchvision.datasets``.

>>> from ember.vision import datasets
>>> datasets.FashionMNIST.classes[:3]
['T-shirt/top', 'Trouser', 'Pullover']
"""

from ._archive import (check_integrity, download_and_extract_archive, download_url,
                       extract_archive)
from ._idx import DatasetFileError, read_idx
from .cifar import CIFAR10, CIFAR100
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .kmnist import KMNIST
from .mnist import MNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "DatasetFileError", "DatasetFolder", "FakeData",
           "FashionMNIST", "ImageFolder", "KMNIST", "MNIST", "StandardTransform", "VisionDataset",
           "check_integrity", "download_and_extract_archive", "download_url", "extract_archive",
           "read_idx"]
