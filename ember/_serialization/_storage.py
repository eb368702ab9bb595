"""Storages read from a checkpoint, and the tensors rebuilt over them.

A checkpoint stores each storage once as raw bytes; tensors name a storage plus an element
offset, a shape and strides. Loading keeps that layout: every tensor is a NumPy view of its
storage's byte array, so tensors that shared memory when saved share it again, and
non-contiguous tensors keep their strides. Everything the file says about a view is checked
before the view is made, so a hostile file cannot point a tensor outside its storage.
"""

from __future__ import annotations

import math
from pickle import UnpicklingError
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import device
from .._tensor import Tensor, tensor_from_array

__all__ = ["StorageType", "Storage", "STORAGE_TYPES", "STORAGE_NAME", "build_tensor",
           "make_parameter", "strided_view"]

# numpy refuses more dimensions than this, and no real checkpoint comes close.
MAX_DIMS = 64
# Sizes and strides past this cannot describe memory anyone has; refusing them early keeps
# the arithmetic below in plain machine-sized numbers.
MAX_EXTENT = 1 << 62


class StorageType:
    """A storage class a checkpoint names, such as ``torch.FloatStorage``, and its dtype.

    ``dtype`` is None for ``torch.UntypedStorage`` (raw bytes whose tensors carry the dtype).
    """

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: D.dtype | None) -> None:
        self.name = name
        self.dtype = dtype

    def __repr__(self) -> str:
        return f"torch.{self.name}"


STORAGE_NAME = {
    D.float16: "HalfStorage", D.float32: "FloatStorage", D.float64: "DoubleStorage",
    D.complex64: "ComplexFloatStorage", D.complex128: "ComplexDoubleStorage",
    D.uint8: "ByteStorage", D.int8: "CharStorage", D.int16: "ShortStorage",
    D.int32: "IntStorage", D.int64: "LongStorage", D.bool: "BoolStorage",
}
STORAGE_TYPES = {name: StorageType(name, d) for d, name in STORAGE_NAME.items()}
STORAGE_TYPES["UntypedStorage"] = StorageType("UntypedStorage", None)


class Storage:
    """The bytes of one storage record (a uint8 array, host or device) and their dtype."""

    __slots__ = ("raw", "dtype")

    def __init__(self, raw: Any, dtype: D.dtype | None) -> None:
        self.raw = raw
        self.dtype = dtype

    def __repr__(self) -> str:
        kind = "UntypedStorage" if self.dtype is None else STORAGE_NAME[self.dtype]
        return f"<storage {kind} of {self.raw.nbytes} bytes>"


def _int_tuple(value: Any, what: str) -> tuple:
    if type(value) not in (tuple, list) and not isinstance(value, tuple):
        raise UnpicklingError(f"tensor {what} must be a tuple of ints, got {type(value).__name__}")
    if len(value) > MAX_DIMS:
        raise UnpicklingError(f"tensor {what} has {len(value)} dimensions (at most {MAX_DIMS})")
    for v in value:
        if type(v) is not int or not 0 <= v <= MAX_EXTENT:
            raise UnpicklingError(f"tensor {what} {tuple(value)!r} holds {v!r}; expected "
                                  f"ints in [0, 2**62]")
    return tuple(value)


def _check_extent(n_items: int, offset: int, shape: tuple, strides: tuple) -> None:
    """Refuse a view that would reach past the storage it is made over."""
    if math.prod(shape) == 0:
        if offset > n_items:
            raise UnpicklingError(f"tensor storage offset {offset} is past the end of its "
                                  f"storage of {n_items} elements")
        return
    last = offset + sum((n - 1) * s for n, s in zip(shape, strides))
    if last >= n_items:
        raise UnpicklingError(
            f"tensor of size {list(shape)} with stride {list(strides)} at storage offset "
            f"{offset} reaches element {last}, but its storage holds only {n_items} elements")


def strided_view(raw: Any, np_dtype: np.dtype, offset: int, shape: tuple, strides: tuple) -> Any:
    """A view of ``raw`` (uint8) as ``np_dtype`` with an element offset and element strides."""
    item = np_dtype.itemsize
    byte_strides = tuple(s * item for s in strides)
    if type(raw) is not np.ndarray:  # a device array: let its own module build the view
        from .._backend import array_module
        xp = array_module(raw)
        typed = raw.view(np_dtype)
        return xp.lib.stride_tricks.as_strided(typed[offset:], shape, byte_strides)
    try:
        return np.ndarray(shape, np_dtype, buffer=raw, offset=offset * item,
                          strides=byte_strides)
    except ValueError:
        # numpy's own check is stricter than ours only for empty tensors: keep the data
        # pointer, drop the (meaningless) strides.
        return np.ndarray(shape, np_dtype, buffer=raw, offset=offset * item)


def build_tensor(storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any,
                 dtype: D.dtype | None = None) -> Tensor:
    """The tensor a checkpoint describes, as a view of ``storage``, after checking it fits."""
    if type(storage) is not Storage:
        raise UnpicklingError(f"tensor data must be a storage record of the checkpoint, got "
                              f"{type(storage).__name__}")
    dt = storage.dtype if dtype is None else dtype
    if type(dt) is not D.dtype:
        raise UnpicklingError("tensor has no dtype: its storage is untyped and none was given")
    if storage.dtype is not None and dtype is not None and storage.dtype is not dtype:
        raise UnpicklingError(f"tensor dtype {dtype} does not match its storage "
                              f"{STORAGE_NAME[storage.dtype]}")
    if type(offset) is not int or not 0 <= offset <= MAX_EXTENT:
        raise UnpicklingError(f"tensor storage offset must be a non-negative int, got {offset!r}")
    shape = _int_tuple(size, "size")
    strides = _int_tuple(stride, "stride")
    if len(shape) != len(strides):
        raise UnpicklingError(f"tensor size {list(shape)} and stride {list(strides)} differ "
                              "in length")
    if type(requires_grad) is not bool:
        raise UnpicklingError(f"requires_grad must be a bool, got {type(requires_grad).__name__}")
    if requires_grad and not (dt.is_floating_point or dt.is_complex):
        raise UnpicklingError(f"a tensor of dtype {dt} cannot require gradients")
    nbytes = storage.raw.nbytes
    if nbytes % dt.itemsize:
        raise UnpicklingError(f"storage of {nbytes} bytes is not a whole number of {dt} items")
    _check_extent(nbytes // dt.itemsize, offset, shape, strides)
    t = tensor_from_array(strided_view(storage.raw, dt.np, offset, shape, strides))
    t._requires_grad = requires_grad
    return t


def _parameter_class() -> type | None:
    try:
        from ..nn.parameter import Parameter
    except ImportError:
        return None
    return Parameter


def make_parameter(data: Any, requires_grad: Any) -> Tensor:
    """``nn.Parameter(data, requires_grad)``; a plain tensor when ember.nn is unavailable."""
    if not isinstance(data, Tensor):
        raise UnpicklingError(f"a Parameter must wrap a tensor, got {type(data).__name__}")
    if type(requires_grad) is not bool:
        raise UnpicklingError(f"requires_grad must be a bool, got {type(requires_grad).__name__}")
    if requires_grad and not (data.dtype.is_floating_point or data.dtype.is_complex):
        raise UnpicklingError(f"a Parameter of dtype {data.dtype} cannot require gradients")
    cls = _parameter_class()
    if cls is None:
        data._requires_grad = requires_grad
        return data
    return cls(data, requires_grad)


def parse_location(location: Any) -> device:
    """The device a storage location string (``'cpu'``, ``'cuda:0'``) names."""
    if not isinstance(location, (str, device)):
        raise UnpicklingError(f"storage location must be a string, got {type(location).__name__}")
    try:
        return device(location)
    except (RuntimeError, TypeError, ValueError):
        raise UnpicklingError(f"storage location {location!r} is not a device ember knows; "
                              "pass map_location='cpu' to load it on the CPU") from None
