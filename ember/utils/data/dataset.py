"""Datasets: the map-style ``Dataset`` protocol, iterable streams, and ways to combine them.

A map-style dataset answers ``len(ds)`` and ``ds[i]``; one that can also answer
``ds.__getitems__(indices)`` lets the DataLoader fetch a whole batch in one call.

>>> import ember
>>> ds = TensorDataset(ember.arange(6), ember.arange(6) * 10)
>>> ds[2]
(tensor(2), tensor(20))
>>> [len(part) for part in random_split(ds, [0.5, 0.5])]
[3, 3]
"""

from __future__ import annotations

import bisect
import itertools
import math
import typing
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from ... import _random
from ...ops.creation import randperm
from .collate import BatchedSamples

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split"]

T_co = TypeVar("T_co", covariant=True)


def fetches_as(dataset: Any, base: type) -> bool:
    """Whether ``dataset`` fetches its items as ``base`` does: no subclass in between
    overrides ``__getitem__`` or ``__getitems__``. A dataset's batched shortcuts
    (``_collated_batch``) apply only then."""
    cls = type(dataset)
    return cls.__getitem__ is base.__getitem__ and cls.__getitems__ is base.__getitems__


class Dataset(Generic[T_co]):
    """A map from keys (usually ``0 .. len-1``) to samples.

    Subclasses define ``__getitem__`` and, for the default samplers, ``__len__``; they may
    define ``__getitems__(indices)`` returning a list of samples to speed up batched loading.
    """

    def __getitem__(self, index: Any) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], typing.Iterable[T_co]):
    """A stream of samples: subclasses define ``__iter__`` (an abstract method, so a class
    without one cannot be instantiated).

    With ``num_workers > 0`` every worker iterates its own copy; use
    ``ember.utils.data.get_worker_info()`` inside ``__iter__`` to split the work.
    """

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of the given tensors, which share their first dimension.

    >>> import ember
    >>> TensorDataset(ember.zeros(3, 2), ember.arange(3))[1]
    (tensor([0., 0.]), tensor(1))
    """

    def __init__(self, *tensors: Any) -> None:
        if any(tensors[0].size(0) != t.size(0) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices: Sequence[int]) -> list:
        columns = self._collated_batch(indices)
        if columns is None:
            return [self[i] for i in indices]
        samples = [tuple(col[k] for col in columns) for k in range(len(indices))]
        return BatchedSamples(samples, columns)

    def _collated_batch(self, indices: Sequence[int]) -> list | None:
        """What ``default_collate`` makes of the samples at ``indices`` (one batched tensor
        per tensor, in a list), gathered at once instead of indexed sample by sample; None
        where the samples are not plain rows (a subclass changes how they are fetched) or the
        batch would differ (tensors that require grad record another graph)."""
        if (not len(indices) or not fetches_as(self, TensorDataset)
                or any(t.requires_grad for t in self.tensors)):
            return None
        from ... import tensor as _tensor
        rows = _tensor(list(indices), dtype=None)
        return [t[rows] for t in self.tensors]

    def __len__(self) -> int:
        return self.tensors[0].size(0)


class StackDataset(Dataset):
    """Zip datasets of equal length: positional (a tuple) or named (a dict) samples."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        parts = list(args) or list(kwargs.values())
        if not parts:
            raise ValueError("At least one dataset should be passed")
        self._length = len(parts[0])
        if any(self._length != len(d) for d in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets: Any = args if args else kwargs

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """The samples of several map-style datasets, one after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += len(self)
        part = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[part - 1] if part > 0 else 0
        if part >= len(self.datasets):
            raise IndexError("list index out of range")
        return self.datasets[part][idx - start]


class ChainDataset(IterableDataset):
    """The samples of several iterable datasets, one stream after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: Sequence[int]) -> list:
        # Keep the wrapped dataset's batched fetch (and its speed) through the subset.
        mapped = [self.indices[i] for i in indices]
        fetch = getattr(self.dataset, "__getitems__", None)
        if callable(fetch):
            return fetch(mapped)
        return [self.dataset[i] for i in mapped]

    def _collated_batch(self, indices: Sequence[int]) -> Any:
        """The wrapped dataset's ``_collated_batch`` at the mapped indices (see
        ``TensorDataset``), or None."""
        fetch = getattr(self.dataset, "_collated_batch", None)
        if fetch is None or not fetches_as(self, Subset):
            return None
        return fetch([self.indices[i] for i in indices])

    def __len__(self) -> int:
        return len(self.indices)


def _lengths_from_fractions(fractions: Sequence[float], total: int) -> list:
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
    lengths = [int(math.floor(total * frac)) for frac in fractions]
    # Hand the rounding remainder out one by one, first splits first.
    for i in range(total - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, n in enumerate(lengths):
        if n == 0:
            warnings.warn(f"Length of split at index {i} is 0. "
                          f"This might result in an empty dataset.", stacklevel=3)
    return lengths


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: _random.Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets.

    ``lengths`` are sizes, or fractions that sum to 1 (remainders go to the first splits).

    >>> import ember
    >>> parts = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(0))
    >>> sorted(parts[0].indices + parts[1].indices) == list(range(10))
    True
    """
    if generator is None:
        generator = _random.default_generator
    total = len(dataset)  # type: ignore[arg-type]
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, total)
    if sum(lengths) != total:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = randperm(sum(lengths), generator=generator).tolist()
    splits, offset = [], 0
    for n in lengths:
        splits.append(Subset(dataset, order[offset:offset + n]))
        offset += n
    return splits
