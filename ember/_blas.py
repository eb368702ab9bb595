"""``axpy``: the in-place scaled add ``y += a * x`` in one pass over memory.

NumPy has no fused scaled add: ``y += a * x`` reads and writes memory twice and needs a
temporary. BLAS level 1 ``?axpy`` does it in one pass, which is what an optimizer step is
made of. The BLAS library NumPy itself loaded is called through ``ctypes``: no SciPy import
(hundreds of milliseconds and tens of MiB), and no second BLAS thread pool competing with
NumPy's for the same cores.

The library is looked up once, on first use, on Linux from the process's memory map. The
routine is checked on a small known case before it is trusted. Anything unusual (another
platform, an unknown BLAS build, non-contiguous or non-float arrays, CuPy arrays, arrays
too small to be worth a foreign call) is left to the caller's ufuncs, which give the same
result up to the rounding of the product.

>>> import numpy as np
>>> y = np.ones(100, dtype=np.float32)
>>> done = axpy(2.0, np.ones(100, dtype=np.float32), y)
>>> bool(y[0] == 3.0) if done else True
True
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = ["axpy"]

# Symbol (prefix, suffix) of the CBLAS builds called here: NumPy's own wheels and OpenBLAS's
# ILP64 builds, whose "64_" suffix says that integers are 64-bit. Unsuffixed names are not
# used: whether their integers are 32- or 64-bit cannot be told from the name.
_FLAVOURS = (("scipy_cblas_", "64_"), ("cblas_", "64_"))
_TYPES = {"f": ("s", "c_float"), "d": ("d", "c_double")}
_routines: dict | None = None


def axpy(a: float, x: Any, y: Any) -> bool:
    """``y += a * x`` in place through BLAS, for ``x`` and ``y`` of one shape and dtype.

    Returns False, having done nothing, when no BLAS routine applies; the caller then
    updates with ufuncs (which also serve CuPy arrays).
    """
    routine = _routine(x, y)
    if routine is None:
        return False
    routine(y.size, a, x.ctypes.data, 1, y.ctypes.data, 1)
    return True


def _routine(x: Any, y: Any) -> Any:
    if type(x) is not np.ndarray or type(y) is not np.ndarray or x.dtype != y.dtype:
        return None
    if not (x.flags.c_contiguous and y.flags.c_contiguous) or y.size < 64:
        return None  # tiny arrays: the foreign call costs more than the pass it saves
    routines = _routines if _routines is not None else _load()
    return routines.get(x.dtype.char)


def _load() -> dict:
    global _routines
    _routines = {}
    try:
        _routines = _find()
    except Exception:  # noqa: BLE001 - any failure means: use NumPy
        _routines = {}
    return _routines


def _find() -> dict:
    if not sys.platform.startswith("linux"):
        return {}
    import ctypes
    for path in _loaded_blas_paths():
        lib = ctypes.CDLL(path)
        for prefix, suffix in _FLAVOURS:
            found = _bind(lib, prefix, suffix)
            if found:
                return found
    return {}


def _loaded_blas_paths() -> list:
    """Shared libraries with "blas" in their name that this process has mapped (NumPy's)."""
    paths: list = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.rsplit(None, 1)[-1]
            name = path.rsplit("/", 1)[-1].lower()
            if path.startswith("/") and "blas" in name and ".so" in name and path not in paths:
                paths.append(path)
    return paths


def _bind(lib: Any, prefix: str, suffix: str) -> dict:
    import ctypes
    n_type = ctypes.c_int64
    found = {}
    for char, (letter, scalar) in _TYPES.items():
        fn = getattr(lib, f"{prefix}{letter}axpy{suffix}", None)
        if fn is None:
            return {}
        fn.restype = None
        fn.argtypes = (n_type, getattr(ctypes, scalar), ctypes.c_void_p, n_type,
                       ctypes.c_void_p, n_type)
        if not _works(fn, np.dtype(char)):
            return {}
        found[char] = fn
    return found


def _works(fn: Any, dtype: np.dtype) -> bool:
    """Call ``fn`` on a case whose answer is known (a wrong integer width shows here)."""
    x = np.arange(1, 101, dtype=dtype)
    y = np.full(101, 7.0, dtype=dtype)  # one more element: the last must stay untouched
    fn(100, 0.5, x.ctypes.data, 1, y.ctypes.data, 1)
    return bool(np.array_equal(y[:100], 7.0 + 0.5 * x) and y[100] == 7.0)
