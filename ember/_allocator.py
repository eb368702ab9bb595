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

__all__ = ["tune"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
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
