"""Running the independent chunks of an op's work on a few threads.

NumPy's copies and arithmetic run on one core however many the machine has; only its matrix
products (BLAS) use more, and a product shaped for cache-sized chunks gains little from
them. An op whose work splits into independent chunks (a convolution, by groups of samples)
can instead run the chunks on a small pool of threads: NumPy releases the GIL inside its
loops and BLAS calls, so the copies and products of different chunks overlap. When the pool
starts, BLAS is told to run every call single-threaded from then on
(``ember._blas.retire_threads``): the op threads occupy the cores BLAS would have used, and
no second pool of BLAS threads spins on them; large products are split by
:mod:`ember.ops._gemm` instead. Chunks are handed out one at a time, so a worker
slowed down by other processes on the machine takes fewer of them instead of holding the
others up.

The number of threads is the one BLAS is told to use: ``OPENBLAS_NUM_THREADS`` or
``OMP_NUM_THREADS`` (the first one set), else the number of CPUs this process may run on.
With one thread, inside a worker, or when this BLAS cannot be made single-threaded, the
chunks run on the calling thread, in order. Handing chunks to a thread costs some tens of
microseconds (waking a sleeping thread), so only work of a millisecond or more is split.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["threads", "set_threads", "run", "split", "owns_cores"]

_MAX_THREADS = 8
_lock = threading.Lock()
_local = threading.local()  # .worker: this thread belongs to the pool
_state: dict = {"threads": None, "pool": None}


def threads() -> int:
    """How many threads ``run`` spreads chunks over (decided once, on first use)."""
    n = _state["threads"]
    if n is None:
        n = _state["threads"] = _detect()
    return n


def set_threads(n: int) -> None:
    """Use ``n`` threads from now on (``ember.set_num_threads``): for the op threads, whose
    pool is rebuilt at its next use, and for BLAS while no op thread has started."""
    from .. import _blas
    with _lock:
        pool = _state["pool"]
        _state["threads"] = n if n == 1 or _blas_threads_settable() else 1
        _state["pool"] = None
    if pool is not None:
        pool.shutdown(wait=False)
    else:
        _blas.set_threads(n)


def split(n: int, item_bytes: int, chunk_bytes: int, parallel_bytes: int = 1 << 20) -> list:
    """``(start, stop)`` ranges covering ``range(n)``, of at most ``chunk_bytes`` of items
    of ``item_bytes`` each (or one item) and sizes within one of each other; when the whole is
    worth spreading (``parallel_bytes`` or more) over several threads, at least two ranges
    per thread and a multiple of the thread count, so that the threads end together.

    >>> split(10, 100, 400, parallel_bytes=10**9)
    [(0, 3), (3, 6), (6, 10)]
    """
    if n <= 0:
        return []
    step = max(1, min(n, chunk_bytes // max(item_bytes, 1)))
    count = -(-n // step)
    workers = threads()
    if workers > 1 and n * item_bytes >= parallel_bytes:
        count = min(n, -(-max(count, 2 * workers) // workers) * workers)
    bounds = [n * i // count for i in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def run(fn: Callable[[Any], Any], items: list) -> list:
    """``[fn(item) for item in items]``, computed on the op threads when there are several;
    results keep the order of ``items``, and the first error reaches the caller.

    The calling thread works too: it and ``threads() - 1`` pool threads each take the next
    item not yet taken until none is left; BLAS calls run single-threaded once the pool exists.
    """
    if len(items) < 2 or threads() < 2 or getattr(_local, "worker", False):
        return [fn(item) for item in items]
    results: list = [None] * len(items)
    taken = itertools.count()  # next() on it is atomic under the GIL

    def work() -> None:
        _local.worker = True  # an item that calls ``run`` again runs its own items in order
        try:
            while (i := next(taken)) < len(items):
                results[i] = fn(items[i])
        finally:
            _local.worker = False

    helpers = [_pool().submit(work) for _ in range(min(threads(), len(items)) - 1)]
    try:
        work()
    finally:
        for future in helpers:
            future.result()
    return results


def owns_cores() -> bool:
    """Whether the op threads have started (and BLAS runs single-threaded since)."""
    return _state["pool"] is not None


def _pool() -> ThreadPoolExecutor:
    pool = _state["pool"]
    if pool is None:
        with _lock:
            pool = _state["pool"]
            if pool is None:
                # From now on the op threads share the cores out: BLAS calls run on one
                # thread each (see ``ember._blas.retire_threads``), large products are split
                # by ``ember.ops._gemm``.
                from .._blas import retire_threads
                retire_threads()
                pool = _state["pool"] = ThreadPoolExecutor(
                    max(1, threads() - 1), thread_name_prefix="ember-op")
    return pool


def _detect() -> int:
    n = None
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        try:
            n = int(os.environ.get(var, "").split(",")[0])
            break
        except ValueError:
            continue
    if n is None:
        try:
            n = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            n = os.cpu_count() or 1
    n = max(1, min(n, _MAX_THREADS))
    return n if n == 1 or _blas_threads_settable() else 1


def _blas_threads_settable() -> bool:
    """Whether the BLAS NumPy uses can run one thread's calls single-threaded."""
    from .. import _blas

    routines = _blas._routines if _blas._routines is not None else _blas._load()
    return "set_threads_global" in routines


def _forget_pool() -> None:
    # A forked child (a DataLoader worker) inherits the pool object but not its threads.
    _state["pool"] = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
