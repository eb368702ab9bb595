"""Turning a list of samples into a batch: ``default_collate`` and ``default_convert``.

``default_collate`` keeps the structure of one sample and stacks along a new first
dimension: tensors and arrays are stacked, numbers become 1-d tensors, strings stay lists,
tuples become lists, dicts and named tuples keep their type.

>>> import ember
>>> default_collate([(ember.zeros(2), 1), (ember.ones(2), 2)])
[tensor([[0., 0.],
        [1., 1.]]), tensor([1, 2])]
"""

from __future__ import annotations

import collections.abc as abc
import copy
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ..._tensor import Tensor, tensor_from_array
from ...ops.creation import tensor as _tensor
from ...ops.shape import stack

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map",
           "BatchedSamples"]

# numpy dtype kinds that cannot become tensors: bytes, str, unicode, object.
_STRING_OR_OBJECT = re.compile(r"[SaUO]")
_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


class BatchedSamples(list):
    """A list of samples that a dataset fetched together, with their batch already built.

    ``Dataset.__getitems__`` may return one so that ``default_collate`` hands back
    ``collated`` instead of stacking the samples again. It behaves as a plain list for any
    other collate function; once the list is changed the stored batch is ignored.
    """

    def __init__(self, samples: list, collated: Any) -> None:
        super().__init__(samples)
        self.collated = collated
        self._originals = tuple(samples)

    def intact(self) -> bool:
        if len(self) != len(self._originals):
            return False
        return all(a is b for a, b in zip(self, self._originals))


def _collate_tensors(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    return stack(batch, 0)


def _collate_arrays(batch: list, *, collate_fn_map: dict | None = None) -> Any:
    if _STRING_OR_OBJECT.search(batch[0].dtype.str) is not None:
        raise TypeError(_ERR.format(batch[0].dtype))
    return collate([tensor_from_array(np.asarray(b)) for b in batch],
                   collate_fn_map=collate_fn_map)


def _collate_numpy_scalars(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    return tensor_from_array(np.array(batch))


def _collate_floats(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    return tensor_from_array(np.array(batch, dtype=np.float64))


def _collate_ints(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    return _tensor(batch)  # torch's inference: bools stay bool, a float among ints gives float


def _collate_strings(batch: list, *, collate_fn_map: dict | None = None) -> list:
    return batch


# Exact type first, then isinstance in this order: numpy scalars (np.float64 is also a
# float) must be tried before Python numbers.
default_collate_fn_map: dict = {
    Tensor: _collate_tensors,
    np.ndarray: _collate_arrays,
    (np.bool_, np.number, np.object_): _collate_numpy_scalars,
    float: _collate_floats,
    int: _collate_ints,
    str: _collate_strings,
    bytes: _collate_strings,
}


def _find_fn(elem: Any, collate_fn_map: dict) -> Callable | None:
    fn = collate_fn_map.get(type(elem))
    if fn is not None:
        return fn
    for kind, fn in collate_fn_map.items():
        if isinstance(elem, kind):
            return fn
    return None


def collate(batch: Any, *, collate_fn_map: dict | None = None) -> Any:
    """Collate ``batch`` using ``collate_fn_map`` (type -> function) for the leaves.

    Containers (mappings, named tuples, sequences) are handled here recursively; extend
    ``default_collate_fn_map`` (a copy of it) to teach collation about new leaf types.
    """
    elem = batch[0]
    if collate_fn_map is not None:
        fn = _find_fn(elem, collate_fn_map)
        if fn is not None:
            return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, abc.Mapping):
        return _collate_mapping(batch, elem, collate_fn_map)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # named tuple
        return type(elem)(*(collate(list(s), collate_fn_map=collate_fn_map)
                            for s in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        return _collate_sequence(batch, elem, collate_fn_map)
    raise TypeError(_ERR.format(type(elem)))


def _collate_mapping(batch: list, elem: Any, collate_fn_map: dict | None) -> Any:
    merged = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
              for key in elem}
    if isinstance(elem, abc.MutableMapping):
        out = copy.copy(elem)  # keeps the mapping's type and any extra attributes
        out.update(merged)
        return out
    try:
        return type(elem)(merged)
    except TypeError:
        return merged


def _collate_sequence(batch: list, elem: Any, collate_fn_map: dict | None) -> Any:
    size = len(elem)
    if any(len(other) != size for other in batch):
        raise RuntimeError("each element in list of batch should be of equal size")
    columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
    if isinstance(elem, tuple):
        return columns  # tuples become lists, as torch does
    return _like(elem, columns)


def _like(template: Any, items: list) -> Any:
    """``items`` in a sequence of ``template``'s type: a copy of a mutable one with its items
    replaced, else the type built from the items; a plain list when neither works."""
    if isinstance(template, abc.MutableSequence):
        try:
            out = copy.copy(template)
            for i, item in enumerate(items):
                out[i] = item
            return out
        except TypeError:
            return items
    try:
        return type(template)(items)
    except TypeError:
        return items


def default_collate(batch: Any) -> Any:
    """Stack a list of samples into a batch (see the module docstring for the rules).

    >>> default_collate([1, 2, 3])
    tensor([1, 2, 3])
    >>> default_collate([{"x": 1.0}, {"x": 2.0}])
    {'x': tensor([1., 2.], dtype=ember.float64)}
    """
    if type(batch) is BatchedSamples and batch.intact():
        return batch.collated
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data: Any) -> Any:
    """Turn numpy arrays and scalars into tensors, keeping the structure (no batching).

    This is the DataLoader's collate function when ``batch_size=None``.
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        if _STRING_OR_OBJECT.search(data.dtype.str) is not None:
            return data
        return tensor_from_array(data)
    if isinstance(data, (np.bool_, np.number)):
        return tensor_from_array(np.asarray(data))
    if isinstance(data, abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        if isinstance(data, abc.MutableMapping):
            out = copy.copy(data)
            out.update(converted)
            return out
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        return _convert_sequence(data)
    return data


def _convert_sequence(data: Any) -> Any:
    return _like(data, [default_convert(d) for d in data])
