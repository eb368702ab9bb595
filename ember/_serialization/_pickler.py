"""Writing a checkpoint: the pickle stream in torch's vocabulary, and its storages.

Tensors are pickled the way torch pickles them, so that ``torch.load`` reads ember's files:
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)``,
where ``storage`` is a persistent id ``('storage', torch.FloatStorage, key, location,
numel)`` whose bytes go to the record ``data/<key>``. dtypes, ``Size`` and ``device`` are
written as ``torch.float32``, ``torch.Size`` and ``torch.device``. The unsigned dtypes wider
than a byte have no storage class: their tensors are ``_rebuild_tensor_v3`` calls over a
``torch.storage.UntypedStorage`` counted in bytes, with the dtype as a last argument.

Python's C pickler checks every global it writes by importing it, which would import torch.
So this uses the pure-Python pickler, with placeholders (``TorchGlobal``) that write a GLOBAL
opcode naming torch without importing anything. Objects of other types are pickled as usual.

A storage is the root NumPy array a tensor's array is a view of (following ``.base``), so
views and tensors sharing memory are written once and keep their offsets and strides. A
view whose root cannot be described that way (negative strides, a root that is itself not
contiguous) is written as its own contiguous copy.
"""

from __future__ import annotations

import io
import pickle
import sys
from collections import OrderedDict
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import device
from .._size import Size
from .._tensor import Tensor, tensor_from_array
from ._storage import STORAGE_NAME
from ._zip import ZipWriter

__all__ = ["write_checkpoint", "TorchGlobal"]


class TorchGlobal:
    """A placeholder pickled as ``GLOBAL module name``; it is never called."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def __call__(self, *args: Any) -> None:
        # save_reduce insists on a callable; this one exists only to be written out.
        raise TypeError(f"{self.module}.{self.name} is a placeholder used while saving")


_REBUILD_TENSOR = TorchGlobal("torch._utils", "_rebuild_tensor_v2")
# dtypes without a typed storage class (uint16, uint32, uint64) are written as torch writes
# them: an untyped storage counted in bytes, with the dtype as the rebuild call's last argument.
_REBUILD_TENSOR_V3 = TorchGlobal("torch._utils", "_rebuild_tensor_v3")
_UNTYPED_STORAGE = TorchGlobal("torch.storage", "UntypedStorage")
_REBUILD_PARAMETER = TorchGlobal("torch._utils", "_rebuild_parameter")
_SIZE = TorchGlobal("torch", "Size")
_DEVICE = TorchGlobal("torch", "device")
_DTYPES = {d: TorchGlobal("torch", d.name) for d in D.ALL_DTYPES}
_STORAGE_TYPES = {d: TorchGlobal("torch", name) for d, name in STORAGE_NAME.items()}


def _address(arr: Any) -> int:
    if type(arr) is np.ndarray or isinstance(arr, np.ndarray):
        return arr.__array_interface__["data"][0]
    return arr.data.ptr  # a CuPy array


def _root(arr: Any) -> Any:
    root = arr
    while hasattr(root.base, "strides") and hasattr(root.base, "dtype"):
        root = root.base
    return root


def _host_bytes(root: Any) -> np.ndarray:
    host = root if isinstance(root, np.ndarray) else root.get()
    return np.ascontiguousarray(host).reshape(-1).view(np.uint8)


def _location(arr: Any) -> str:
    if isinstance(arr, np.ndarray):
        return "cpu"
    return f"cuda:{arr.device.id}"


class _SavedStorage:
    """One storage record to write: the root array and how tensors see it."""

    __slots__ = ("root", "dtype", "pid")

    def __init__(self, root: Any, dtype: D.dtype, key: int) -> None:
        self.root = root
        self.dtype = dtype
        storage_type = _STORAGE_TYPES.get(dtype)
        if storage_type is None:
            storage_type, numel = _UNTYPED_STORAGE, root.nbytes
        else:
            numel = root.nbytes // dtype.itemsize
        self.pid = ("storage", storage_type, str(key), _location(root), numel)


class _StorageTable:
    """Storages in order of first use, found by the identity of their root array."""

    def __init__(self) -> None:
        self.by_root: dict = {}
        self.storages: list = []

    def _new(self, root: Any, dtype: D.dtype) -> _SavedStorage:
        storage = _SavedStorage(root, dtype, len(self.storages))
        self.by_root[id(root)] = storage
        self.storages.append(storage)
        return storage

    def describe(self, arr: Any, dtype: D.dtype) -> tuple:
        """(storage, element offset, element strides) for an array."""
        root = _root(arr)
        layout = _layout_in(root, arr)
        if layout is None:
            root = arr.copy(order="C")
            layout = _layout_in(root, root)
        storage = self.by_root.get(id(root))
        if storage is None:
            storage = self._new(root, dtype)
        elif storage.dtype is not dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same "
                               "data as different types")
        return (storage,) + layout


def _layout_in(root: Any, arr: Any) -> tuple | None:
    """(offset, strides) of ``arr`` in elements of ``root``'s memory, or None if it has none."""
    item = arr.itemsize
    delta = _address(arr) - _address(root)
    if not root.flags.c_contiguous or root.nbytes % item or delta < 0 or delta % item:
        return None
    if any(s < 0 or s % item for s in arr.strides):
        return None
    if arr.size and delta + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides)) + item \
            > root.nbytes:
        return None
    return delta // item, tuple(s // item for s in arr.strides)


def _parameter_class() -> type | None:
    # No Parameter can exist unless its module was imported; saving never imports ember.nn.
    return getattr(sys.modules.get("ember.nn.parameter"), "Parameter", None)


class _CheckpointPickler(pickle._Pickler):
    """Pure-Python pickler writing tensors, dtypes, Size and device in torch's names."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, stream: io.BytesIO, protocol: int, table: _StorageTable) -> None:
        super().__init__(stream, protocol)
        self._table = table
        self._parameter = _parameter_class()

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is not _SavedStorage:
            return None
        # A fresh tuple per reference (its items are memoized), as torch writes it, so
        # that the same object gives byte-identical pickles in both libraries.
        return ("storage",) + obj.pid[1:]

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if type(obj) is D.dtype:
            obj = _DTYPES[obj]
        super().save(obj, save_persistent_id)

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if type(obj) is Size:
            return _SIZE, (tuple(obj),)
        if type(obj) is device:
            return _DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index)
        return NotImplemented

    def _reduce_tensor(self, t: Tensor) -> tuple:
        arr = t._data
        dtype = D.from_np(arr.dtype)
        if self._parameter is not None and isinstance(t, self._parameter):
            # torch nests a plain tensor (requires_grad False) inside the parameter call.
            inner = tensor_from_array(arr)
            return _REBUILD_PARAMETER, (inner, t.requires_grad, OrderedDict())
        storage, offset, strides = self._table.describe(arr, dtype)
        args = (storage, offset, tuple(arr.shape), strides, t.requires_grad, OrderedDict())
        if dtype in _STORAGE_TYPES:
            return _REBUILD_TENSOR, args
        return _REBUILD_TENSOR_V3, args + (dtype,)

    def _save_torch_global(self, obj: TorchGlobal) -> None:
        self.write(b"c%s\n%s\n" % (obj.module.encode(), obj.name.encode()))
        self.memoize(obj)

    dispatch[TorchGlobal] = _save_torch_global


def write_checkpoint(obj: Any, stream: Any, prefix: str, protocol: int) -> None:
    """Write ``obj`` as a torch-format zip checkpoint to a binary stream."""
    table = _StorageTable()
    buf = io.BytesIO()
    _CheckpointPickler(buf, protocol, table).dump(obj)
    zw = ZipWriter(stream, prefix)
    zw.add("data.pkl", buf.getbuffer())
    zw.add(".format_version", b"1")
    zw.add(".storage_alignment", b"64")
    zw.add("byteorder", sys.byteorder.encode())
    for storage in table.storages:
        zw.add(f"data/{storage.pid[2]}", _host_bytes(storage.root))
    zw.add("version", b"3\n")
    zw.add(".data/serialization_id", zw.digest_id())
    zw.finish()
