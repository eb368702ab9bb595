"""Let the C allocator keep freed large arrays' memory for the next ones (glibc on Linux).

A training step frees and reallocates the same multi-megabyte activations and gradients
every time. glibc serves blocks of 128 KiB and more (raised, step by step, up to the largest
block freed so far) with fresh ``mmap`` calls and returns them to the system when freed, so
every such array is faulted in page by page again on its next allocation: for a small CNN on
FashionMNIST, a tenth of a training step went to page faults. Raising the mmap threshold to
glibc's largest default (32 MiB) and the trim threshold above it keeps those blocks in the
heap, where the next step finds them already mapped. Larger blocks still come and go with
``mmap``, so a one-off huge batch does not pin its memory.

Nothing is changed when the process set either threshold itself (``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``), when ``EMBER_ALLOCATOR=system``, or on another C library.
"""

from __future__ import annotations

import os
import sys

__all__ = ["tune", "aligned_array"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
_ALIGN = 64  # a cache line, and what torch's CPU allocator aligns to
_ALIGN_FROM = 4096  # smaller arrays are not worth the extra view
_MMAP_THRESHOLD = 32 << 20
_TRIM_THRESHOLD = 64 << 20


def tune() -> bool:
    """Set the thresholds once; True when they were set."""
    if not sys.platform.startswith("linux") or os.environ.get("EMBER_ALLOCATOR") == "system":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):  # mallopt's parameters are glibc's
            return False
        mallopt = libc.mallopt
        mallopt.restype, mallopt.argtypes = ctypes.c_int, (ctypes.c_int, ctypes.c_int)
        return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
                    and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False


def aligned_array(shape: tuple, dtype: object, zero: bool) -> object:
    """A new C-contiguous NumPy array whose data starts on a 64-byte boundary (zeroed when
    ``zero``); small arrays come from NumPy directly.

    glibc aligns its blocks to 16 bytes only, so where a weight matrix lands depends on
    what the process allocated before it, and OpenBLAS's vectorised matrix-vector products
    run up to 7 % slower on a 16-byte-aligned matrix than on a 64-byte-aligned one. The
    tensors made by ``empty``, ``zeros``, ``ones`` and ``full`` (a layer's parameters among
    them) are placed on a cache line instead, as torch places all of its tensors.
    """
    import numpy as np
    dt = np.dtype(dtype)
    nbytes = dt.itemsize
    for n in shape:
        nbytes *= n
    if nbytes < _ALIGN_FROM:
        return np.zeros(shape, dt) if zero else np.empty(shape, dt)
    raw = np.zeros(nbytes + _ALIGN, np.uint8) if zero else np.empty(nbytes + _ALIGN, np.uint8)
    start = -raw.__array_interface__["data"][0] % _ALIGN
    return raw[start:start + nbytes].view(dt).reshape(shape)
