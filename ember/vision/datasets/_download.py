"""Downloading dataset files: try each mirror, verify, and only then move into place.

A file is written to a temporary name in the destination folder and renamed over the final
name (``os.replace``) only after it passed every check, so an interrupted or bad download
never leaves a file that looks complete. Checks: the MD5 of the published ``.gz``, or, for
copies that were recompressed, the MD5 of the decompressed content; then the content must
parse as IDX with the expected shape.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ._idx import DatasetFileError, read_idx

__all__ = ["Resource", "download_resource", "md5sum"]

_CHUNK = 1 << 20
_USER_AGENT = "ember-vision"


@dataclass(frozen=True)
class Resource:
    """One published file: its name, checksums and what it must contain."""

    filename: str                 # as published, e.g. "train-images-idx3-ubyte.gz"
    md5: str                      # MD5 of the published (compressed) file
    raw_md5: str | None = None    # MD5 of the decompressed content
    shape: tuple | None = None    # shape of the IDX array inside


def md5sum(path: str | os.PathLike, decompress: bool = False) -> str:
    """MD5 of a file, or of its gzip-decompressed content."""
    digest = hashlib.md5(usedforsecurity=False)
    with (gzip.open(path, "rb") if decompress else open(path, "rb")) as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, folder: Path, timeout: float) -> Path:
    """Stream ``url`` into a temporary file in ``folder`` and return its path."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    fd, tmp = tempfile.mkstemp(prefix=".download-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as r:
            for chunk in iter(lambda: r.read(_CHUNK), b""):
                out.write(chunk)
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def _problem(path: Path, resource: Resource) -> str | None:
    """Why the downloaded file is not acceptable, or None when it is."""
    got = md5sum(path)
    if got != resource.md5:
        try:
            same_content = resource.raw_md5 is not None and \
                md5sum(path, decompress=True) == resource.raw_md5
        except (OSError, EOFError, zlib.error):
            same_content = False
        if not same_content:
            return f"checksum mismatch (MD5 {got}, expected {resource.md5})"
    try:
        array = read_idx(path, compressed=True)
    except DatasetFileError as e:
        return str(e)
    if resource.shape is not None and tuple(array.shape) != tuple(resource.shape):
        return f"unexpected content: shape {tuple(array.shape)}, expected {resource.shape}"
    return None


def download_resource(resource: Resource, mirrors: Sequence[str], folder: str | os.PathLike,
                      hint: str = "", timeout: float = 60.0) -> Path:
    """Download ``resource`` from the first mirror that serves a good copy.

    Returns the final path, ``folder / resource.filename``. Raises ``RuntimeError`` listing
    what each mirror answered, followed by ``hint`` (what to do when offline).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + resource.filename
        print(f"Downloading {url}", flush=True)
        try:
            tmp = _fetch(url, folder, timeout)
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or e
            failures.append(f"{url}: {reason}")
            print(f"Failed to download (trying next): {reason}", file=sys.stderr)
            continue
        problem = _problem(tmp, resource)
        if problem is not None:
            os.unlink(tmp)
            failures.append(f"{url}: {problem}")
            print(f"Rejected {url}: {problem}", file=sys.stderr)
            continue
        final = folder / resource.filename
        os.replace(tmp, final)
        return final
    tried = "\n".join(f"  {f}" for f in failures) or "  (no mirrors configured)"
    raise RuntimeError(f"Error downloading {resource.filename}; every mirror failed:\n{tried}\n"
                       f"{hint}".rstrip())
