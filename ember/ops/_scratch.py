"""Reusable per-thread work arrays for ops whose temporaries are large.

A fresh multi-megabyte NumPy array costs the operating system one page fault per page when
it is first written, which costs about as much as computing into it; freed memory is often
handed back to the system and faulted in again on the next call. Ops that need a large
temporary (an im2col matrix, a centred copy of the input) take it from here instead: one
buffer per role and thread, grown when too small and reused across calls. Arrays that an op
returns or keeps for its backward are never work arrays.
"""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["work_array"]

# Buffers above this size are not kept: a one-off huge batch should not pin its memory.
_KEEP_BYTES = 64 << 20
_local = threading.local()


def work_array(role: str, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """An uninitialised C-contiguous array of ``shape`` and ``dtype``, valid until the next
    call with the same ``role`` on this thread.

    >>> a = work_array("example", (2, 3), np.dtype(np.float32))
    >>> a.shape, a.dtype
    ((2, 3), dtype('float32'))
    """
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if nbytes > _KEEP_BYTES:
        return np.empty(shape, dtype)
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    flat = pool.get(role)
    if flat is None or flat.nbytes < nbytes:
        flat = pool[role] = np.empty(max(nbytes, 1), np.uint8)
    return flat[:nbytes].view(dtype).reshape(shape)
