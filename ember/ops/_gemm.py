"""Matrix products split over the op threads once those own the cores.

While no op has run on the op threads (:mod:`ember.ops._parallel`), BLAS threads its own
products and ``matmul`` here is ``np.matmul``. Once the op threads exist, BLAS runs every call
on one thread (two pools spinning on the same cores slowed both), so a product large enough
to be worth the hand-off (about 70 us here) is cut into row or column blocks computed side by
side. Each block is an independent product of the same operands: the result is the one
``np.matmul`` gives, block for block.
"""

from __future__ import annotations

import numpy as np

from . import _parallel

__all__ = ["matmul"]

# m*n*k below which one thread finishes before a second one would have started helping
_SPLIT_MNK = 8 << 20


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for 2-d float arrays of one dtype, as a fresh C-contiguous array."""
    (m, k), n = a.shape, b.shape[1]
    if (m * n * k < _SPLIT_MNK or not _parallel.owns_cores() or a.dtype != b.dtype
            or a.dtype.kind != "f" or type(a) is not np.ndarray or type(b) is not np.ndarray):
        return np.matmul(a, b)
    out = np.empty((m, n), dtype=a.dtype)
    parts = _parallel.threads()
    if m >= n:
        step = -(-m // parts)
        _parallel.run(lambda i: np.matmul(a[i:i + step], b, out=out[i:i + step]),
                      list(range(0, m, step)))
    else:
        step = -(-n // parts)
        _parallel.run(lambda j: np.matmul(a, b[:, j:j + step], out=out[:, j:j + step]),
                      list(range(0, n, step)))
    return out
