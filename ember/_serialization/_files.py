"""Where checkpoints go to and come from: atomic writes to paths, readable sources.

Saving to a path never leaves a half-written file under that name: the bytes go to a
temporary file in the same directory, which is flushed, synced to disk and then renamed over
the target in one step. A process killed before the rename leaves the previous file as it
was (and, at worst, a stray ``.<name>.<random>.tmp`` beside it).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import stat
from collections.abc import Iterator
from typing import Any, BinaryIO

__all__ = ["is_path", "atomic_writer", "archive_prefix", "open_source"]


def is_path(f: Any) -> bool:
    return isinstance(f, (str, os.PathLike))


def archive_prefix(f: Any) -> str:
    """The directory name inside the zip: the file's stem, as torch uses, else 'archive'."""
    if is_path(f):
        stem = os.path.splitext(os.path.basename(os.fspath(f)))[0]
        if re.fullmatch(r"[A-Za-z0-9_.\-]{1,100}", stem):
            return stem
    return "archive"


def _create_temp(directory: str, base: str) -> tuple[int, str]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            # 0o666 lets the process umask decide, as for any newly created file.
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {directory}")


def _sync_directory(directory: str) -> None:
    # Makes the rename itself durable; not possible on every platform, hence best effort.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: Any) -> Iterator[BinaryIO]:
    """Yield a file to write; on success it replaces ``path`` atomically."""
    target = os.path.realpath(os.fspath(path))  # write through symlinks, as open() would
    directory, base = os.path.split(target)
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {os.path.dirname(os.fspath(path)) or '.'} does "
                           "not exist.")
    fd, tmp = _create_temp(directory, base)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_directory(directory)


@contextlib.contextmanager
def open_source(f: Any) -> Iterator[tuple[BinaryIO, str | None]]:
    """A seekable binary stream for ``f`` (path or file object), and the path if any."""
    if is_path(f):
        with open(os.fspath(f), "rb") as stream:
            yield stream, os.fspath(f)
        return
    if not hasattr(f, "read"):
        raise TypeError(f"expected a path or a binary file object, got {type(f).__name__}")
    seekable = getattr(f, "seekable", lambda: False)
    if seekable():
        start = f.tell()
        if start:
            # zipfile measures offsets from the end; hand it only what follows ``start``.
            yield io.BytesIO(f.read()), None
        else:
            yield f, None
        return
    yield io.BytesIO(f.read()), None
