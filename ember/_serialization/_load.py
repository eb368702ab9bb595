"""Reading a checkpoint: format detection, storage records, device placement.

Storages are read when the pickle first refers to them (and only then), each checked
against the record it names: the record must exist and hold exactly the bytes the pickle
declares, so neither side can make the loader allocate more than the file holds.
"""

from __future__ import annotations

import mmap as _mmap
import sys
from pickle import UnpicklingError
from typing import Any, BinaryIO

import numpy as np

from .._backend import cuda_module, device, to_device
from .._tensor import Tensor, tensor_from_array
from ._storage import Storage, StorageType, parse_location
from ._unpickler import RestrictedUnpickler, TrustedUnpickler
from ._zip import Archive

__all__ = ["load_checkpoint"]

_MAX_PICKLE_BYTES = 1 << 31  # data.pkl holds structure, not tensor data
_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


def _check_format(stream: BinaryIO) -> None:
    """Refuse with a clear reason anything that is not a zip checkpoint."""
    stream.seek(0)
    head = stream.read(len(_LEGACY_MAGIC))
    stream.seek(257)
    tar_magic = stream.read(5)
    stream.seek(0)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return
    if not head:
        raise RuntimeError("the checkpoint file is empty")
    if head == _LEGACY_MAGIC or tar_magic == b"ustar":
        raise RuntimeError(
            "this checkpoint uses PyTorch's legacy (pre-1.6) format, which ember does not read. "
            "Re-save it with a recent PyTorch: torch.save(torch.load(path, weights_only=True), "
            "path)")
    raise RuntimeError("not a checkpoint: expected a zip archive written by torch.save or "
                       "ember.save")


def _check_pid(pid: Any) -> tuple:
    if type(pid) is not tuple or len(pid) != 5 or type(pid[0]) is not str or \
            pid[0] != "storage":
        raise UnpicklingError(f"unsupported persistent id in checkpoint: {type(pid).__name__}")
    _, storage_type, key, location, numel = pid
    if type(storage_type) is not StorageType:
        raise UnpicklingError(f"persistent id names {type(storage_type).__name__}, not a "
                              "storage type")
    if type(key) is not str or not 0 < len(key) <= 64 or not key.isprintable():
        raise UnpicklingError("storage key must be a short printable string")
    if type(numel) is not int or numel < 0:
        raise UnpicklingError(f"storage size must be a non-negative int, got {numel!r}")
    return storage_type, key, parse_location(location), numel


class StorageLoader:
    """Turns storage references into ``Storage`` objects, reading each record once."""

    def __init__(self, archive: Archive, map_location: Any, byteorder: str,
                 mapped: _mmap.mmap | None) -> None:
        self._archive = archive
        self._map_location = map_location
        self._swap = byteorder != sys.byteorder
        self._mapped = mapped
        self._raw: dict = {}  # key -> (raw uint8 array, itemsize it was byte-swapped for)

    def __call__(self, pid: Any) -> Storage:
        storage_type, key, location, numel = _check_pid(pid)
        dtype = storage_type.dtype
        itemsize = 1 if dtype is None else dtype.itemsize
        cached = self._raw.get(key)
        if cached is None:
            raw = self._read(key, numel * itemsize)
            if self._swap and itemsize > 1:
                raw.view(dtype.np).byteswap(inplace=True)
            cached = self._raw[key] = (self._place(raw, dtype, location), itemsize)
        raw, swapped_for = cached
        if raw.nbytes != numel * itemsize:
            raise UnpicklingError(f"storage '{key}' is referenced with two different sizes")
        if self._swap and swapped_for != itemsize:
            raise UnpicklingError(f"storage '{key}' of a {sys.byteorder}-endian-foreign file "
                                  "is viewed with two element sizes")
        return Storage(raw, dtype)

    def _read(self, key: str, nbytes: int) -> Any:
        info = self._archive.info(f"data/{key}")
        if info is None:
            raise UnpicklingError(f"the checkpoint refers to the storage record 'data/{key}', "
                                  "which is not in the archive")
        if info.file_size != nbytes:
            raise UnpicklingError(f"storage record 'data/{key}' holds {info.file_size} bytes "
                                  f"but the checkpoint declares {nbytes}")
        if self._mapped is not None:
            start = self._archive.data_offset(info)
            return np.ndarray((nbytes,), np.uint8, buffer=self._mapped, offset=start)
        return self._archive.read_array(info)

    def _target(self, location: device) -> device:
        ml = self._map_location
        if ml is None:
            return location
        if isinstance(ml, dict):
            target = ml.get(str(location), location)
            return target if isinstance(target, device) else parse_location(target)
        return ml if isinstance(ml, device) else parse_location(str(ml))

    def _place(self, raw: Any, dtype: Any, location: device) -> Any:
        ml = self._map_location
        if callable(ml) and not isinstance(ml, (dict, str, device)):
            typed = raw if dtype is None else raw.view(dtype.np)
            moved = ml(tensor_from_array(typed), str(location))
            if moved is None:
                return self._place_on(raw, location)
            if not isinstance(moved, Tensor) or moved.nbytes != raw.nbytes:
                raise RuntimeError("map_location must return None or a tensor of the storage's "
                                   "size")
            return moved._data.reshape(-1).view(np.uint8)
        return self._place_on(raw, self._target(location))

    def _place_on(self, raw: Any, target: device) -> Any:
        if target.type == "cpu":
            return raw
        if target.type != "cuda":
            raise RuntimeError(f"ember cannot place storages on {target}; pass map_location="
                               "'cpu' to load on the CPU")
        if cuda_module() is None:
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use ember.load with "
                "map_location=ember.device('cpu') to map your storages to the CPU.")
        return to_device(raw, target)


def load_checkpoint(stream: BinaryIO, map_location: Any,
                    weights_only: bool, mmap: bool) -> Any:
    """Read a torch-format checkpoint from a seekable binary stream."""
    _check_format(stream)
    archive = Archive(stream)
    pickle_bytes = archive.read_bytes("data.pkl", _MAX_PICKLE_BYTES)
    byteorder = (archive.read_bytes("byteorder", 16) or b"little").decode("ascii", "replace")
    if byteorder not in ("little", "big"):
        raise RuntimeError(f"invalid checkpoint archive: unknown byteorder {byteorder!r}")
    mapped = None
    if mmap:
        mapped = _mmap.mmap(stream.fileno(), 0, access=_mmap.ACCESS_COPY)
    loader = StorageLoader(archive, map_location, byteorder, mapped)
    if weights_only:
        return RestrictedUnpickler(pickle_bytes, loader).load()
    return TrustedUnpickler(pickle_bytes, loader).load()

