"""Datasets for the command line, held in memory as uint8 arrays.

The CLI reads ``dataset.data`` / ``dataset.targets`` once and serves whole batches through
``__getitems__``; the scaling to [0, 1] float32 is exactly ``transforms.ToTensor`` (uint8 / 255),
without building a PIL image per sample.
"""

from __future__ import annotations

import numpy as np

import ember
from ember.utils.data import DataLoader, Dataset, default_collate

from .common import DATASETS, CLIError, one_line

__all__ = ["Split", "InMemoryImages", "load_split", "make_loader", "epoch_order", "to_input"]


class Split:
    """Images (N, 28, 28) uint8, labels (N,) int64 and class names of one dataset split."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, classes: list[str]) -> None:
        self.images = images
        self.labels = labels
        self.classes = classes

    def __len__(self) -> int:
        return len(self.labels)


def _numpy(x) -> np.ndarray:
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def load_split(name: str, data_dir: str, train: bool, limit: int | None = None,
               download: bool = True) -> Split:
    """Open ``name``'s train or test split under ``data_dir``, keeping the first ``limit``."""
    from ember.vision import datasets

    if name not in DATASETS:
        raise CLIError(f"unknown dataset {name!r} (choose from {', '.join(DATASETS)})")
    cls = getattr(datasets, DATASETS[name]["class_name"])
    try:
        ds = cls(root=data_dir, train=train, download=download)
    except (OSError, RuntimeError, ValueError) as e:
        raise CLIError(f"cannot load {name} ({'train' if train else 'test'} split) from "
                       f"{data_dir}: {one_line(e)}") from None
    images, labels = _numpy(ds.data), _numpy(ds.targets).astype(np.int64, copy=False)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    classes = list(getattr(ds, "classes", None) or DATASETS[name]["classes"])
    return Split(images, labels, classes)


def to_input(images: np.ndarray):
    """uint8 (N, H, W) -> float32 (N, 1, H, W) in [0, 1], as ``ToTensor`` scales."""
    return ember.from_numpy(images[:, None].astype(np.float32) / np.float32(255))


class InMemoryImages(Dataset):
    """Map-style dataset over a Split; ``__getitems__`` builds a whole batch in one go."""

    def __init__(self, split: Split) -> None:
        self.split = split

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, i: int):
        return to_input(self.split.images[i:i + 1])[0], ember.tensor(int(self.split.labels[i]))

    def __getitems__(self, indices: list[int]):
        idx = np.asarray(indices, dtype=np.int64)
        return to_input(self.split.images[idx]), ember.from_numpy(self.split.labels[idx])


def _collate(batch):
    # ``__getitems__`` already returns a stacked (inputs, targets) pair; a loader that fetches
    # item by item hands over a list of pairs instead.
    if isinstance(batch, tuple):
        return batch
    return default_collate(batch)


def make_loader(split: Split, batch_size: int, order: np.ndarray | None = None,
                workers: int = 0):
    """A DataLoader over ``split`` visiting ``order`` (default: sequential), in batches."""
    dataset = InMemoryImages(split)
    sampler = None if order is None else order.tolist()
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      collate_fn=_collate)


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The shuffled sample order of one epoch, a pure function of (seed, epoch).

    Because the order can be recomputed, a resumed run replays the interrupted epoch exactly.

    >>> (epoch_order(5, 0, 1) == epoch_order(5, 0, 1)).all()
    np.True_
    """
    return np.random.default_rng([seed, epoch]).permutation(n)
