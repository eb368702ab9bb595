"""Reading IDX files (the MNIST format), plain or gzip-compressed, with clear errors.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the values in C order.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from typing import BinaryIO

import numpy as np

__all__ = ["read_idx", "DatasetFileError"]

_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

_ADVICE = "Delete it and download it again (download=True), or replace it with a good copy."


class DatasetFileError(RuntimeError):
    """A dataset file that is missing pieces, corrupt, or not what it should be."""


def _error(path: str | os.PathLike, problem: str) -> DatasetFileError:
    return DatasetFileError(f"{os.fspath(path)} {problem}. {_ADVICE}")


def _read_exact(f: BinaryIO, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = f.read(n - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _fill(f: BinaryIO, out: np.ndarray) -> int:
    view = memoryview(out.reshape(-1).view(np.uint8))
    got = 0
    while got < len(view):
        n = f.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _read_header(f: BinaryIO, path: str | os.PathLike) -> tuple:
    magic = _read_exact(f, 4)
    if len(magic) < 4:
        raise _error(path, "is empty or truncated (no IDX header)")
    if magic[0] or magic[1] or magic[2] not in _TYPES or magic[3] == 0:
        raise _error(path, f"is not an IDX file (magic number 0x{magic.hex()})")
    ndim = magic[3]
    raw_dims = _read_exact(f, 4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise _error(path, "is truncated (incomplete IDX header)")
    return _TYPES[magic[2]], struct.unpack(f">{ndim}I", raw_dims)


def read_idx(path: str | os.PathLike, compressed: bool | None = None) -> np.ndarray:
    """The array stored in an IDX file, gzip-compressed when ``compressed`` (by default:
    when the name ends in ``.gz``).

    Raises ``DatasetFileError`` naming the file when it is truncated, corrupt or has
    trailing bytes.
    """
    if compressed is None:
        compressed = os.fspath(path).endswith(".gz")
    try:
        with (gzip.open(path, "rb") if compressed else open(path, "rb")) as f:
            dtype, dims = _read_header(f, path)
            nbytes = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
            if not compressed and os.path.getsize(path) != 4 + 4 * len(dims) + nbytes:
                found = os.path.getsize(path) - 4 - 4 * len(dims)
                what = "truncated" if found < nbytes else "longer than its header says"
                raise _error(path, f"is {what}: the header promises {nbytes} bytes of data, "
                                   f"the file holds {found}")
            out = np.empty(dims, dtype=dtype)
            got = _fill(f, out)
            if got < nbytes:
                raise _error(path, f"is truncated: the header promises {nbytes} bytes of "
                                   f"data, the file holds {got}")
            if f.read(1):
                raise _error(path, "is longer than its header says")
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise _error(path, f"is corrupt or truncated ({e})") from None
    except MemoryError:
        raise _error(path, f"declares an impossible size {tuple(dims)}") from None
    return out if dtype.isnative else out.astype(dtype.newbyteorder("="))
