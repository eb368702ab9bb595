"""Scaled adds and scaling in one pass over memory: ``axpy`` (``y += a * x``), ``axpby``
(``y = a * x + b * y``) and ``scal`` (``x *= a``); and ``transpose`` (``out[...] = x.T``),
OpenBLAS's blocked out-of-place copy.

NumPy has no fused scaled add: ``y += a * x`` reads and writes memory twice and needs a
temporary. BLAS level 1 routines do it in one pass, on BLAS's own threads for long arrays
(OpenBLAS hands each worker a share once an array has some ten thousand elements: half the
time of one thread here), and an optimizer step is made of little else. The BLAS library
NumPy itself loaded is called through ``ctypes``: no SciPy import (hundreds of milliseconds
and tens of MiB), and no second BLAS thread pool competing with NumPy's for the same cores.

The library is looked up once, on first use, on Linux from the process's memory map. Each
routine is checked on a small known case before it is trusted. Anything unusual (another
platform, an unknown BLAS build, non-contiguous or non-float arrays, CuPy arrays, arrays
too small to be worth a foreign call) is left to the caller's ufuncs: the functions then
return False and change nothing. Results agree with the ufunc forms up to the rounding of
each product.

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

__all__ = ["axpy", "axpby", "scal", "transpose", "retire_threads"]

# Symbol (prefix, suffix) of the CBLAS builds called here: NumPy's own wheels and OpenBLAS's
# ILP64 builds, whose "64_" suffix says that integers are 64-bit. Unsuffixed names are not
# used: whether their integers are 32- or 64-bit cannot be told from the name.
_FLAVOURS = (("scipy_cblas_", "64_"), ("cblas_", "64_"))
_TYPES = {"f": ("s", "c_float"), "d": ("d", "c_double")}
# Below this many elements the foreign call (about 2 us) costs more than the pass it saves.
_MIN_SIZE = 8192
_ROW_MAJOR, _TRANSPOSE = 101, 112  # CBLAS enumerations
_routines: dict | None = None  # (name, dtype char) -> bound routine, once looked up
_addressof: Any = None  # ctypes.addressof and ctypes.c_char, bound on first use
_char: Any = None


def axpy(a: float, x: Any, y: Any) -> bool:
    """``y += a * x`` in place, for ``x`` and ``y`` of one shape and dtype; False (and
    nothing done) when no BLAS routine applies."""
    fn = _routine("axpy", x, y)
    if fn is None:
        return False
    fn(y.size, a, _address(x), 1, _address(y), 1)
    return True


def axpby(a: float, x: Any, b: float, y: Any) -> bool:
    """``y = a * x + b * y`` in place (OpenBLAS's extension): one pass where ``scal`` then
    ``axpy`` take two, and half their time for a few hundred thousand elements. False (and
    nothing done) when no routine applies."""
    fn = _routine("axpby", x, y)
    if fn is None:
        return False
    fn(y.size, a, _address(x), 1, b, _address(y), 1)
    return True


def scal(a: float, x: Any) -> bool:
    """``x *= a`` in place; False (and nothing done) when no BLAS routine applies."""
    fn = _routine("scal", x, x)
    if fn is None:
        return False
    fn(x.size, a, _address(x), 1)
    return True


def transpose(x: Any, out: Any) -> bool:
    """``out[...] = x.T`` for C-contiguous 2-d arrays of one float dtype; False (and nothing
    done) when no routine applies. NumPy copies a transpose element by element across the
    rows (0.8 ns an element for 64 x 512 float32); OpenBLAS's copy works in cache-sized
    tiles, in 40 % of the time."""
    if (type(x) is not np.ndarray or type(out) is not np.ndarray or x.dtype != out.dtype
            or x.ndim != 2 or out.shape != x.shape[::-1] or x.size < _MIN_SIZE
            or not (x.flags.c_contiguous and out.flags.c_contiguous and out.flags.writeable)):
        return False
    routines = _routines if _routines is not None else _load()
    fn = routines.get(("omatcopy", x.dtype.char))
    if fn is None:
        return False
    rows, cols = x.shape
    fn(_ROW_MAJOR, _TRANSPOSE, rows, cols, 1.0, _address(x), cols, _address(out), rows)
    return True


def _address(arr: np.ndarray) -> int:
    """The address of a contiguous array's first element (``arr.ctypes.data`` costs 1 us;
    this, for the usual writeable array, a quarter of that)."""
    if arr.flags.writeable:
        return _addressof(_char.from_buffer(arr))
    return arr.ctypes.data


def retire_threads() -> bool:
    """Run every thread's BLAS calls on one thread from now on (OpenBLAS only); True when
    done. For a process whose own threads now run BLAS calls side by side: OpenBLAS's worker
    threads keep spinning for a long while after each threaded call, and on cores that ember's
    op threads need, that spinning made a convolution step half again as slow."""
    routines = _routines if _routines is not None else _load()
    set_global = routines.get("set_threads_global")
    if set_global is None:
        return False
    set_global(1)
    return True


def set_threads(n: int) -> bool:
    """Let OpenBLAS run each call on up to ``n`` threads; True when it could be told."""
    routines = _routines if _routines is not None else _load()
    set_global = routines.get("set_threads_global")
    if set_global is None:
        return False
    set_global(n)
    return True


def _routine(name: str, x: Any, y: Any) -> Any:
    if type(x) is not np.ndarray or type(y) is not np.ndarray or x.dtype != y.dtype:
        return None
    if y.size < _MIN_SIZE or not (x.flags.c_contiguous and y.flags.c_contiguous):
        return None
    if x.shape != y.shape or not y.flags.writeable:
        return None
    routines = _routines if _routines is not None else _load()
    return routines.get((name, x.dtype.char))


def _load() -> dict:
    global _routines, _addressof, _char
    try:
        import ctypes
        _addressof, _char = ctypes.addressof, ctypes.c_char
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
                set_local = getattr(lib, "openblas_set_num_threads_local", None)
                if set_local is not None:  # OpenBLAS 0.3.27 and later
                    set_local.restype, set_local.argtypes = ctypes.c_int, (ctypes.c_int,)
                    found["set_threads"] = set_local
                    set_global = getattr(lib, f"{prefix.replace('cblas', 'openblas')}"
                                              f"set_num_threads{suffix}", None)
                    if set_global is not None:
                        set_global.restype, set_global.argtypes = None, (ctypes.c_int,)
                        found["set_threads_global"] = set_global
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
    """The routines this library offers under these names that pass their check."""
    import ctypes
    n, ptr = ctypes.c_int64, ctypes.c_void_p
    found = {}
    for char, (letter, scalar_name) in _TYPES.items():
        scalar = getattr(ctypes, scalar_name)
        dtype = np.dtype(char)
        fn = getattr(lib, f"{prefix}{letter}axpy{suffix}", None)
        if fn is None:
            return {}
        fn.restype, fn.argtypes = None, (n, scalar, ptr, n, ptr, n)
        if _works(lambda k, x, y, f=fn: f(k, 0.5, x.ctypes.data, 1, y.ctypes.data, 1), dtype):
            found[("axpy", char)] = fn
        fn = getattr(lib, f"{prefix}{letter}scal{suffix}", None)
        if fn is not None:
            fn.restype, fn.argtypes = None, (n, scalar, ptr, n)
            if _works(lambda k, x, y, f=fn: f(k, 0.5, y.ctypes.data, 1), dtype,
                      lambda x, y0: 0.5 * y0):
                found[("scal", char)] = fn
        fn = getattr(lib, f"{prefix}{letter}axpby{suffix}", None)  # an OpenBLAS extension
        if fn is not None:
            fn.restype, fn.argtypes = None, (n, scalar, ptr, n, scalar, ptr, n)
            if _works(lambda k, x, y, f=fn: f(k, 0.5, x.ctypes.data, 1, 0.25, y.ctypes.data, 1),
                      dtype, lambda x, y0: 0.5 * x + 0.25 * y0):
                found[("axpby", char)] = fn
        fn = getattr(lib, f"{prefix}{letter}omatcopy{suffix}", None)  # an OpenBLAS extension
        if fn is not None:
            fn.restype = None
            fn.argtypes = (ctypes.c_int, ctypes.c_int, n, n, scalar, ptr, n, ptr, n)
            if _transposes(fn, dtype):
                found[("omatcopy", char)] = fn
    return found


def _transposes(fn: Any, dtype: np.dtype) -> bool:
    """``fn`` must write the transpose of a 3 x 5 matrix into a 5 x 3 one, and nothing more."""
    x = np.arange(15, dtype=dtype).reshape(3, 5)
    out = np.full(16, -1.0, dtype=dtype)
    fn(_ROW_MAJOR, _TRANSPOSE, 3, 5, 1.0, x.ctypes.data, 5, out.ctypes.data, 3)
    return bool(np.array_equal(out[:15].reshape(5, 3), x.T) and out[15] == -1.0)


def _works(call: Any, dtype: np.dtype, expected: Any = None) -> bool:
    """``call(n, x, y)`` must change ``y[:n]`` into ``expected(x, y)`` (by default
    ``y + 0.5 * x``) and nothing else: a wrong integer width shows here."""
    x = np.arange(1, 101, dtype=dtype)
    y = np.full(101, 7.0, dtype=dtype)  # one more element: the last must stay untouched
    want = (expected or (lambda x, y0: y0 + 0.5 * x))(x, y[:100].copy())
    call(100, x, y)
    return bool(np.array_equal(y[:100], want) and y[100] == 7.0)
