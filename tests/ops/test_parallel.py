"""The op threads: results in order, errors passed on, nested use, ranges that cover."""

import threading

import pytest

from ember.ops import _parallel


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.setitem(_parallel._state, "threads", 2)


def test_results_keep_the_order_of_the_items(two_threads):
    names = set()

    def square(i):
        names.add(threading.current_thread().name)
        return i * i

    assert _parallel.run(square, list(range(50))) == [i * i for i in range(50)]
    me = threading.current_thread().name  # the caller takes items too
    assert all(name == me or name.startswith("ember-op") for name in names)


def test_an_error_in_a_chunk_reaches_the_caller(two_threads):
    def fail(i):
        if i == 3:
            raise ValueError("chunk 3")
        return i

    with pytest.raises(ValueError, match="chunk 3"):
        _parallel.run(fail, list(range(6)))


def test_a_chunk_that_runs_chunks_runs_them_itself(two_threads):
    def outer(i):
        here = threading.current_thread().name
        inner = _parallel.run(lambda j: threading.current_thread().name, [0, 1, 2])
        return inner == [here] * 3

    assert all(_parallel.run(outer, [0, 1, 2, 3]))


def test_the_caller_can_use_the_threads_again(two_threads):
    for _ in range(3):  # the caller must not stay marked as a worker after a run
        names = _parallel.run(lambda i: threading.current_thread().name, list(range(40)))
        assert len(names) == 40
        assert not getattr(_parallel._local, "worker", False)


def test_one_thread_runs_on_the_caller(monkeypatch):
    monkeypatch.setitem(_parallel._state, "threads", 1)
    me = threading.current_thread().name
    assert _parallel.run(lambda i: threading.current_thread().name, [0, 1]) == [me, me]


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("n,item,chunk", [(10, 100, 400), (1, 10, 1), (64, 1000, 1 << 20),
                                          (7, 10**6, 1)])
def test_split_covers_the_range(monkeypatch, threads, n, item, chunk):
    monkeypatch.setitem(_parallel._state, "threads", threads)
    ranges = _parallel.split(n, item, chunk, parallel_bytes=0)
    assert ranges[0][0] == 0 and ranges[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(stop - start <= max(1, chunk // item) for start, stop in ranges)
    if threads > 1 and n >= 2 * threads:
        assert len(ranges) >= 2 * threads


def test_starting_the_pool_leaves_blas_single_threaded_in_the_caller():
    # run in a fresh process: the pool, once started, stays for the process
    import subprocess
    import sys
    code = """
import numpy as np
from ember import _blas
from ember.ops import _parallel
_parallel._state["threads"] = 2
assert not _parallel.owns_cores()
_parallel.run(lambda i: np.ones((200, 200), np.float32) @ np.ones((200, 200), np.float32),
              list(range(8)))
assert _parallel.owns_cores()
set_local = _blas._routines.get("set_threads")
if set_local is not None and "set_threads_global" in _blas._routines:
    assert set_local(1) == 1, "the caller's BLAS must stay on one thread"
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
