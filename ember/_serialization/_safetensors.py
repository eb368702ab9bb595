"""The safetensors format: an 8-byte little-endian header length, a JSON header, raw data.

The header maps each tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}``
(offsets relative to the end of the header), plus an optional ``"__metadata__"`` dict of
strings. The format has no code in it at all; the risks are a lying header, which is checked
in full before any tensor byte is read: a bounded header size, known dtypes, sizes that
match shapes, and offsets that tile the data region exactly (no overlaps, no gaps, nothing
past the end), as the format's specification requires.
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any, BinaryIO

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, tensor_from_array
from ._files import atomic_writer

__all__ = ["save_file", "load_file"]

MAX_HEADER_BYTES = 100_000_000  # the reference implementation's limit too
_MAX_DIMS = 64
_CODES = {"F16": D.float16, "F32": D.float32, "F64": D.float64, "C64": D.complex64,
          "U8": D.uint8, "I8": D.int8, "I16": D.int16, "I32": D.int32, "I64": D.int64,
          "BOOL": D.bool, "U16": D.uint16, "U32": D.uint32, "U64": D.uint64}
_CODE_OF = {d: code for code, d in _CODES.items()}
# The reference writer orders tensors by this dtype rank (descending), then by name; that
# puts larger elements first, so every tensor is aligned to its element size. Following it
# makes ember's files byte-identical to the reference's.
_RANK = {"BOOL": 0, "U8": 4, "I8": 5, "I16": 9, "U16": 10, "F16": 11, "I32": 13, "U32": 14,
         "F32": 15, "C64": 16, "F64": 17, "I64": 18, "U64": 19}


def _error(filename: Any, message: str) -> ValueError:
    return ValueError(f"invalid safetensors file {os.fspath(filename)!r}: {message}")


def _header(tensors: dict, metadata: dict | None) -> tuple[bytes, list]:
    """The padded header bytes and the arrays in file order."""
    if not isinstance(tensors, dict):
        raise TypeError(f"save_file expects a dict of tensors, got {type(tensors).__name__}")
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError("metadata must be a dict of str to str")
    items = []
    for name, t in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise TypeError(f"tensor names must be strings other than '__metadata__', got "
                            f"{name!r}")
        if not isinstance(t, Tensor):
            raise TypeError(f"'{name}' is a {type(t).__name__}, not a tensor")
        if t.dtype not in _CODE_OF:
            raise TypeError(f"safetensors cannot store {t.dtype} ('{name}')")
        items.append((name, t))
    items.sort(key=lambda nt: (-_RANK[_CODE_OF[nt[1].dtype]], nt[0]))
    header: dict = {} if metadata is None else {"__metadata__": dict(metadata)}
    arrays, offset = [], 0
    for name, t in items:
        arr = t._numpy_host()
        if not arr.flags.c_contiguous:
            arr = arr.copy(order="C")  # (np.ascontiguousarray would make 0-d arrays 1-d)
        header[name] = {"dtype": _CODE_OF[t.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
        arrays.append(arr)
    text = json.dumps(header, separators=(",", ":")).encode()
    return text + b" " * (-len(text) % 8), arrays


def save_file(tensors: dict, filename: Any, metadata: dict | None = None) -> None:
    """Write ``{name: tensor}`` to a safetensors file (atomically)."""
    header, arrays = _header(tensors, metadata)
    with atomic_writer(filename) as f:
        f.write(len(header).to_bytes(8, "little"))
        f.write(header)
        for arr in arrays:
            if sys.byteorder == "big":
                arr = arr.astype(arr.dtype.newbyteorder("<"))
            f.write(memoryview(arr.reshape(-1).view(np.uint8)))


def _no_duplicates(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("the header repeats a key")
    return out


def _read_header(f: BinaryIO, filename: Any, file_size: int) -> tuple[dict, int]:
    if file_size < 8:
        raise _error(filename, "shorter than its 8-byte header length")
    n = int.from_bytes(f.read(8), "little")
    if n > MAX_HEADER_BYTES or n > file_size - 8:
        raise _error(filename, f"header length {n} exceeds the limit or the file")
    try:
        header = json.loads(f.read(n).decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as exc:
        raise _error(filename, f"header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise _error(filename, "header is not a JSON object")
    return header, 8 + n


def _entry(filename: Any, name: str, spec: Any) -> tuple:
    """(dtype, shape, begin, end) for one checked header entry."""
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data_offsets"}:
        raise _error(filename, f"entry '{name}' must have exactly dtype, shape, data_offsets")
    dtype = _CODES.get(spec["dtype"]) if isinstance(spec["dtype"], str) else None
    if dtype is None:
        raise _error(filename, f"entry '{name}' has dtype {spec['dtype']!r}, which ember "
                     "does not support")
    shape, offsets = spec["shape"], spec["data_offsets"]
    if not isinstance(shape, list) or len(shape) > _MAX_DIMS or any(
            type(s) is not int or s < 0 for s in shape):
        raise _error(filename, f"entry '{name}' has an invalid shape")
    if not isinstance(offsets, list) or len(offsets) != 2 or any(
            type(o) is not int or o < 0 for o in offsets) or offsets[0] > offsets[1]:
        raise _error(filename, f"entry '{name}' has invalid data_offsets")
    if offsets[1] - offsets[0] != math.prod(shape) * dtype.itemsize:
        raise _error(filename, f"entry '{name}' has {offsets[1] - offsets[0]} bytes for "
                     f"shape {shape} of {dtype}")
    return dtype, tuple(shape), offsets[0], offsets[1]


def _parse(header: dict, filename: Any, data_size: int) -> list:
    meta = header.get("__metadata__")
    if meta is not None and not (isinstance(meta, dict) and all(
            isinstance(v, str) for v in meta.values())):
        raise _error(filename, "__metadata__ must map strings to strings")
    entries = [(name,) + _entry(filename, name, spec)
               for name, spec in header.items() if name != "__metadata__"]
    entries.sort(key=lambda e: (e[3], e[4]))
    covered = 0
    for name, _, _, begin, end in entries:
        if begin != covered:
            raise _error(filename, f"entry '{name}' starts at {begin}, expected {covered} "
                         "(overlapping tensors or a gap)")
        covered = end
    if covered != data_size:
        raise _error(filename, f"tensors cover {covered} bytes of a {data_size}-byte data "
                     "region")
    return entries


def load_file(filename: Any, device: Any = "cpu") -> dict:
    """Read a safetensors file into ``{name: tensor}``, in file order."""
    if str(device) != "cpu":
        raise ValueError("ember.load_file reads to the CPU; move tensors with .to(device)")
    with open(os.fspath(filename), "rb") as f:
        file_size = os.fstat(f.fileno()).st_size
        header, data_start = _read_header(f, filename, file_size)
        entries = _parse(header, filename, file_size - data_start)
        out = {}
        for name, dtype, shape, begin, end in entries:
            buf = np.empty(end - begin, np.uint8)
            f.seek(data_start + begin)
            if f.readinto(memoryview(buf)) != buf.nbytes:
                raise _error(filename, f"data of '{name}' is truncated")
            if sys.byteorder == "big":  # the format is little-endian
                buf = buf.view(dtype.np.newbyteorder("<")).astype(dtype.np).view(np.uint8)
            arr = buf.view(dtype.np).reshape(shape)
            out[name] = tensor_from_array(arr)
    return out
