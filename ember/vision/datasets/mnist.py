"""MNIST and FashionMNIST, with torchvision's constructor, attributes and items.

Files are looked up in ``<root>/<ClassName>/raw/`` (torchvision's layout), compressed
(``.gz``) or not, then in the class's ``system_dirs`` (Debian's ``dataset-fashion-mnist``
package installs FashionMNIST in /usr/share/datasets/fashion-mnist). ``download=True``
fetches only what is missing, from ``mirrors``.

Items are ``(PIL image of mode "L", int label)``. When the transform is ``ToTensor()``,
optionally followed by ``Normalize``, a DataLoader batch is decoded in one array operation
(``__getitems__``, or ``_collated_batch`` under the default collation) with results identical
to the per-item path.
"""

from __future__ import annotations

import operator
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..._tensor import Tensor, tensor_from_array
from ...utils.data.collate import BatchedSamples
from ...utils.data.dataset import fetches_as
from ._download import Resource, download_resource
from ._idx import DatasetFileError, read_idx
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST"]


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28 x 28.

    Args:
        root: folder holding ``MNIST/raw`` (created by ``download=True``).
        train: the training split, else the test split.
        transform: applied to each PIL image; target_transform: to each int label.
        download: fetch missing files from ``mirrors`` (checksums verified).

    >>> from ember.vision import datasets, transforms
    >>> ds = datasets.MNIST("data", download=True,
    ...                     transform=transforms.ToTensor())  # doctest: +SKIP
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    # MD5 of the decompressed files: accepts mirrors that recompressed the same content.
    raw_md5s = {"train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
                "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
                "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
                "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637"}
    shapes = {"train-images-idx3-ubyte": (60000, 28, 28), "train-labels-idx1-ubyte": (60000,),
              "t10k-images-idx3-ubyte": (10000, 28, 28), "t10k-labels-idx1-ubyte": (10000,)}
    system_dirs: tuple = ()
    install_hint = ""
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        paths = [self._find(name) for name in self._split_files()]
        if None in paths:
            raise RuntimeError(self._not_found_message())
        self.data, self.targets = self._load_data(*paths)

    # -- files ------------------------------------------------------------------------------
    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def _split_files(self) -> tuple:
        prefix = "train" if self.train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _find(self, name: str) -> str | None:
        for folder in (self.raw_folder, *self.system_dirs):
            for candidate in (name, name + ".gz"):
                path = os.path.join(folder, candidate)
                if os.path.isfile(path):
                    return path
        return None

    def _check_exists(self) -> bool:
        return all(self._find(name) is not None for name in self._split_files())

    def _not_found_message(self) -> str:
        missing = [n for n in self._split_files() if self._find(n) is None]
        where = [self.raw_folder, *self.system_dirs]
        return ("Dataset not found. You can use download=True to download it. "
                f"Missing {', '.join(missing)} (or .gz) in {', '.join(where)}."
                + (f" {self.install_hint}" if self.install_hint else ""))

    def download(self) -> None:
        """Fetch every published file not found locally, verifying each one."""
        hint = (f"If this machine is offline, copy {', '.join(f for f, _ in self.resources)} "
                f"into {self.raw_folder}. {self.install_hint}")
        for filename, md5 in self.resources:
            name = filename[:-3] if filename.endswith(".gz") else filename
            if self._find(name) is not None:
                continue
            resource = Resource(filename, md5, self.raw_md5s.get(name), self.shapes.get(name))
            download_resource(resource, self.mirrors, self.raw_folder, hint=hint)

    def _load_data(self, image_path: str, label_path: str) -> tuple:
        images, labels = read_idx(image_path), read_idx(label_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise DatasetFileError(f"{image_path} does not hold uint8 images (found "
                                   f"{images.dtype} data of shape {images.shape})")
        if labels.ndim != 1:
            raise DatasetFileError(f"{label_path} does not hold labels (found shape "
                                   f"{labels.shape})")
        if len(images) != len(labels):
            raise DatasetFileError(f"{image_path} holds {len(images)} images but "
                                   f"{label_path} holds {len(labels)} labels")
        return tensor_from_array(images), tensor_from_array(labels.astype(np.int64))

    # -- items ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple:
        from PIL import Image
        i = operator.index(index)
        images = _array(self.data)
        if not -len(images) <= i < len(images):
            raise IndexError(_out_of_bounds(i, len(images)))
        img = Image.fromarray(images[i])
        target = int(_array(self.targets)[i])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getitems__(self, indices: list) -> list:
        """A batch of items; decoded in one go when the transform allows it."""
        batch = self._collated_batch(indices)
        if batch is None:
            return [self[i] for i in indices]
        images, labels = (b.numpy() for b in batch)
        samples = [(tensor_from_array(images[k]), int(labels[k])) for k in range(len(labels))]
        return BatchedSamples(samples, batch)

    def _collated_batch(self, indices: list) -> list | None:
        """What ``default_collate`` makes of the items at ``indices`` (``[images, labels]``),
        decoded in one array operation; None when the transform is not ToTensor [+ Normalize],
        a target transform is set, or a subclass changes how items are fetched."""
        if (not len(indices) or self.target_transform is not None
                or not fetches_as(self, MNIST)):
            return None
        normalizers = _batched_plan(self.transform)
        if normalizers is None:
            return None
        from ..transforms import functional as F
        rows = np.asarray(indices, dtype=np.int64)
        _check_rows(rows, len(self.data))
        images = F.uint8_to_float(_array(self.data)[rows][:, None])
        for norm in normalizers:
            images = F.normalize_array(images, norm.mean, norm.std, images.shape[1:])
        return [tensor_from_array(images), tensor_from_array(_array(self.targets)[rows])]

    @property
    def class_to_idx(self) -> dict:
        return {name: i for i, name in enumerate(self.classes)}

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"

    # torchvision's deprecated aliases
    @property
    def train_labels(self) -> Tensor:
        warnings.warn("train_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def test_labels(self) -> Tensor:
        warnings.warn("test_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def train_data(self) -> Tensor:
        warnings.warn("train_data has been renamed data", stacklevel=2)
        return self.data

    @property
    def test_data(self) -> Tensor:
        warnings.warn("test_data has been renamed data", stacklevel=2)
        return self.data


def _check_rows(rows: np.ndarray, size: int) -> None:
    """Reject the first out-of-range index as indexing the images tensor would."""
    bad = rows[(rows >= size) | (rows < -size)]
    if bad.size:
        raise IndexError(_out_of_bounds(int(bad[0]), size))


def _out_of_bounds(index: int, size: int) -> str:
    return f"index {index} is out of bounds for dimension 0 with size {size}"


def _array(t: Any) -> np.ndarray:
    return t.numpy() if isinstance(t, Tensor) else np.asarray(t)


def _batched_plan(transform: Any) -> list | None:
    """The Normalize steps after ToTensor when ``transform`` is ToTensor [+ Normalize...];
    None when the batch must go through the per-item path."""
    from ..transforms import Compose, Normalize, ToTensor
    steps = list(transform.transforms) if type(transform) is Compose else [transform]
    if not steps or type(steps[0]) is not ToTensor:
        return None
    rest = steps[1:]
    if all(type(step) is Normalize for step in rest):
        return rest
    return None


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28 x 28 grey images of 10 kinds of clothing.

    Same interface as ``MNIST``; the files of Debian's ``dataset-fashion-mnist`` package are
    used when present.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    raw_md5s = {"train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
                "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
                "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
                "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965"}
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    install_hint = ("On Debian or Ubuntu, `apt install dataset-fashion-mnist` provides the "
                    "files.")
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
