"""Checked downloads of single files and archives, and archive extraction.

A download goes to a temporary file next to its destination and is renamed into place only
after its MD5 matched, so an interrupted or corrupted transfer never looks complete.

>>> check_integrity("no-such-file")
False
"""

from __future__ import annotations

import os
import tarfile
import urllib.error
import zipfile
from pathlib import Path

from ._download import _fetch, md5sum

__all__ = ["check_integrity", "download_url", "extract_archive",
           "download_and_extract_archive"]


def check_integrity(fpath: str | os.PathLike, md5: str | None = None) -> bool:
    """True when ``fpath`` is a file and, if ``md5`` is given, has that MD5."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or md5sum(fpath) == md5


def download_url(url: str, root: str | os.PathLike, filename: str | None = None,
                 md5: str | None = None, timeout: float = 60.0) -> Path:
    """Download ``url`` into ``root/filename`` unless a file with the right MD5 is there."""
    root = Path(os.path.expanduser(root))
    filename = filename or os.path.basename(url)
    final = root / filename
    root.mkdir(parents=True, exist_ok=True)
    if check_integrity(final, md5):
        return final
    print(f"Downloading {url} to {final}", flush=True)
    try:
        tmp = _fetch(url, root, timeout)
    except (urllib.error.URLError, OSError) as e:
        raise RuntimeError(f"Error downloading {url}: {getattr(e, 'reason', None) or e}") from e
    if not check_integrity(tmp, md5):
        os.unlink(tmp)
        raise RuntimeError("File not found or corrupted.")
    os.replace(tmp, final)
    return final


def extract_archive(from_path: str | os.PathLike, to_path: str | os.PathLike | None = None,
                    remove_finished: bool = False) -> str:
    """Extract a tar (optionally gz/bz2/xz compressed) or zip archive; returns ``to_path``."""
    from_path = os.fspath(from_path)
    to_path = os.path.dirname(from_path) if to_path is None else os.fspath(to_path)
    if tarfile.is_tarfile(from_path):
        with tarfile.open(from_path) as tar:
            # The "data" filter refuses absolute paths, links out of to_path and devices.
            tar.extractall(to_path, filter="data")
    elif zipfile.is_zipfile(from_path):
        with zipfile.ZipFile(from_path) as archive:
            archive.extractall(to_path)
    else:
        raise RuntimeError(f"Archive type of {from_path} is not supported")
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url: str, download_root: str | os.PathLike,
                                 extract_root: str | os.PathLike | None = None,
                                 filename: str | None = None, md5: str | None = None,
                                 remove_finished: bool = False) -> None:
    """``download_url`` then ``extract_archive`` into ``extract_root`` (default: the
    download folder)."""
    download_root = os.path.expanduser(download_root)
    extract_root = download_root if extract_root is None else extract_root
    archive = download_url(url, download_root, filename, md5)
    print(f"Extracting {archive} to {extract_root}", flush=True)
    extract_archive(archive, extract_root, remove_finished)
