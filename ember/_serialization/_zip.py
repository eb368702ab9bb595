"""The zip container of a checkpoint: a small writer and a validating reader.

The writer stores every record uncompressed with its data aligned to 64 bytes (as torch
does, so that a loader may map storages straight from the file). It streams: each record is
one CRC pass and one write pass over the bytes, without copying them.

The reader wraps ``zipfile`` and checks, before anything is read, that the archive is one a
writer could have produced: unique names, one directory holding ``data.pkl``, records that do
not overlap and lie inside the file, and declared sizes that the stored bytes can back (a
deflated record may not claim more than deflate can expand to). Reads are capped at the size
the caller expects, so a lying header costs nothing.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
import zlib
from typing import Any, BinaryIO

import numpy as np

__all__ = ["ZipWriter", "Archive", "ALIGNMENT"]

ALIGNMENT = 64
_ZIP64_LIMIT = 0xFFFFFFFF  # sizes/offsets from here on need zip64 fields (tests lower it)
_CHUNK = 1 << 24
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_END64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")
_PAD_ID = 0x4D45  # an unregistered extra-field id, used only to pad headers for alignment
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01: fixed, so that saving is deterministic
# torch never compresses records; a deflated one (a re-zipped checkpoint) may expand this much.
# Real tensor data compresses far less, while a zip bomb needs ratios in the thousands.
_MAX_DEFLATE_RATIO = 100
_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error,
           NotImplementedError, OverflowError, KeyError, IndexError)


class ZipWriter:
    """Writes stored (uncompressed) records named ``<prefix>/<name>`` to a binary stream."""

    def __init__(self, stream: BinaryIO, prefix: str) -> None:
        self._out = stream
        self._prefix = prefix
        self._pos = 0
        self._entries: list = []  # (name bytes, crc, size, offset)
        self._digest = hashlib.sha1()

    def _write(self, data: Any) -> None:
        self._out.write(data)
        self._pos += len(data) if isinstance(data, bytes) else memoryview(data).nbytes

    def add(self, name: str, data: Any) -> None:
        """Add one record; ``data`` is bytes or a C-contiguous buffer (e.g. a uint8 array)."""
        view = memoryview(data).cast("B")
        size = view.nbytes
        crc = 0
        for start in range(0, size, _CHUNK):
            crc = zlib.crc32(view[start:start + _CHUNK], crc)
        full = f"{self._prefix}/{name}".encode()
        big = size >= _ZIP64_LIMIT
        extra = struct.pack("<HHQQ", 1, 16, size, size) if big else b""
        fixed = _LOCAL.size + len(full) + len(extra) + 4
        pad = -(self._pos + fixed) % ALIGNMENT
        extra += struct.pack("<HH", _PAD_ID, pad) + b"Z" * pad
        stored = 0xFFFFFFFF if big else size
        self._entries.append((full, crc, size, self._pos))
        self._write(_LOCAL.pack(0x04034B50, 45 if big else 20, 0, 0, 0, _DOS_DATE, crc,
                                stored, stored, len(full), len(extra)))
        self._write(full + extra)
        for start in range(0, size, _CHUNK):
            self._write(view[start:start + _CHUNK])
        self._digest.update(b"%s:%d:%d;" % (full, crc, size))

    def digest_id(self) -> bytes:
        """40 decimal digits derived from everything written so far (a stable archive id)."""
        return b"%040d" % (int(self._digest.hexdigest(), 16) % 10**40)

    def finish(self) -> None:
        """Write the central directory and the end records."""
        cd_start = self._pos
        for full, crc, size, offset in self._entries:
            fields = []
            if size >= _ZIP64_LIMIT:
                fields += [size, size]
            if offset >= _ZIP64_LIMIT:
                fields.append(offset)
            extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields \
                else b""
            stored = 0xFFFFFFFF if size >= _ZIP64_LIMIT else size
            version = 45 if fields else 20
            self._write(_CENTRAL.pack(
                0x02014B50, version, version, 0, 0, 0, _DOS_DATE, crc, stored, stored, len(full),
                len(extra), 0, 0, 0, 0, min(offset, 0xFFFFFFFF)))
            self._write(full + extra)
        self._end_records(cd_start, self._pos - cd_start)
        self._out.flush()

    def _end_records(self, cd_start: int, cd_size: int) -> None:
        count = len(self._entries)
        if count >= 0xFFFF or cd_start >= _ZIP64_LIMIT or cd_size >= _ZIP64_LIMIT:
            end64 = self._pos
            self._write(_END64.pack(0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size,
                                    cd_start))
            self._write(_LOCATOR64.pack(0x07064B50, 0, end64, 1))
            count, cd_start, cd_size = 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF
        self._write(_END.pack(0x06054B50, 0, 0, count, count, cd_size, cd_start, 0))


def _bad(message: str) -> RuntimeError:
    return RuntimeError(f"invalid checkpoint archive: {message}")


class Archive:
    """A checkpoint zip opened for reading, with its layout checked up front."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        stream.seek(0, 2)
        self._file_size = stream.tell()
        stream.seek(0)
        try:
            self._zip = zipfile.ZipFile(stream)
            infos = self._zip.infolist()
        except _ERRORS as exc:
            raise _bad(f"not a readable zip file ({exc})") from None
        self._records = {}
        for info in infos:
            if info.filename in self._records:
                raise _bad(f"the record '{info.filename}' appears more than once")
            self._records[info.filename] = info
        self.prefix = self._find_prefix()
        self._data_start = self._check_layout(infos)

    def _find_prefix(self) -> str:
        if any(n.endswith("/constants.pkl") for n in self._records):
            raise RuntimeError("this is a TorchScript archive (torch.jit.save); ember loads "
                               "only torch.save checkpoints")
        pickles = [n for n in self._records if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) == 1:
            return pickles[0][:-len("/data.pkl")]
        if not pickles:
            raise _bad("no data.pkl record, so this is not a torch.save checkpoint")
        raise _bad("more than one data.pkl record")

    def _check_layout(self, infos: list) -> dict:
        """Local header checks; returns where each record's data starts."""
        starts = {}
        end = 0
        for info in sorted(infos, key=lambda i: i.header_offset):
            if info.header_offset < end:
                raise _bad(f"the record '{info.filename}' overlaps the record before it")
            self._stream.seek(info.header_offset)
            header = self._stream.read(_LOCAL.size)
            if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
                raise _bad(f"the record '{info.filename}' has no valid local header")
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            starts[info.filename] = info.header_offset + _LOCAL.size + name_len + extra_len
            end = starts[info.filename] + info.compress_size
            if end > self._file_size:
                raise _bad(f"the record '{info.filename}' runs past the end of the file")
            self._check_sizes(info)
        return starts

    def _check_sizes(self, info: zipfile.ZipInfo) -> None:
        if info.compress_type == zipfile.ZIP_STORED:
            if info.file_size != info.compress_size:
                raise _bad(f"the stored record '{info.filename}' declares two sizes")
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            if info.file_size > info.compress_size * _MAX_DEFLATE_RATIO + 64:
                raise _bad(f"the record '{info.filename}' claims to expand more than "
                           f"{_MAX_DEFLATE_RATIO}-fold when decompressed (a zip bomb?)")
        else:
            raise _bad(f"the record '{info.filename}' uses unsupported compression "
                       f"{info.compress_type}")

    def info(self, name: str) -> zipfile.ZipInfo | None:
        return self._records.get(f"{self.prefix}/{name}")

    def read_bytes(self, name: str, limit: int) -> bytes | None:
        """A small record's bytes (None when absent); refused when over ``limit`` bytes."""
        info = self.info(name)
        if info is None:
            return None
        if info.file_size > limit:
            raise _bad(f"the record '{info.filename}' is {info.file_size} bytes; at most "
                       f"{limit} expected")
        return self.read_array(info).tobytes()

    def read_array(self, info: zipfile.ZipInfo) -> np.ndarray:
        """A record's bytes as a fresh writable uint8 array, CRC checked."""
        out = np.empty(info.file_size, np.uint8)
        view = memoryview(out)
        try:
            if info.compress_type == zipfile.ZIP_STORED:
                self._stream.seek(self._data_start[info.filename])
                source = self._stream
            else:
                source = self._zip.open(info)
            crc, done = 0, 0
            while done < info.file_size:
                n = source.readinto(view[done:done + _CHUNK])
                if not n:
                    raise _bad(f"the record '{info.filename}' is truncated")
                crc = zlib.crc32(view[done:done + n], crc)
                done += n
        except _ERRORS as exc:
            raise _bad(f"the record '{info.filename}' cannot be read ({exc})") from None
        if crc != info.CRC:
            raise _bad(f"the record '{info.filename}' is corrupt (CRC mismatch)")
        return out

    def data_offset(self, info: zipfile.ZipInfo) -> int:
        """Where a stored record's bytes start in the file (for memory mapping)."""
        if info.compress_type != zipfile.ZIP_STORED:
            raise RuntimeError(f"mmap needs uncompressed records; '{info.filename}' is "
                               "compressed")
        return self._data_start[info.filename]
