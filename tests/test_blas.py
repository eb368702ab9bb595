"""``ember._blas``: one-pass ``y += a * x`` and ``y = a * x + b * y``, or an untouched ``y``
and False."""

import numpy as np
import pytest

from ember import _blas

R = np.random.default_rng(5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(10000,), (100, 90)])
def test_axpy_adds_the_scaled_array_or_leaves_y_alone(dtype, shape):
    x = R.standard_normal(shape).astype(dtype)
    y = R.standard_normal(shape).astype(dtype)
    before = y.copy()
    done = _blas.axpy(-0.37, x, y)
    if done:
        expected = before.astype(np.float64) + np.float64(dtype(-0.37)) * x.astype(np.float64)
        # One rounding (fused) or two: either way within a couple of ulps of the exact value.
        np.testing.assert_allclose(y, expected, rtol=4 * np.finfo(dtype).eps,
                                   atol=4 * np.finfo(dtype).eps)
        assert y.dtype == dtype
    else:
        np.testing.assert_array_equal(y, before)


@pytest.mark.parametrize("make", [
    lambda: (np.ones(10000, np.float32), np.ones(20000, np.float32)[::2]),  # strided y
    lambda: (np.ones((100, 90), np.float32).T, np.ones((90, 100), np.float32)),  # F-order x
    lambda: (np.ones(10000, np.int64), np.ones(10000, np.int64)),           # integers
    lambda: (np.ones(10000, np.float32), np.ones(10000, np.float64)),       # mixed dtypes
    lambda: (np.ones(10, np.float32), np.ones(10, np.float32)),             # too small
])
def test_axpy_declines_what_blas_cannot_take(make):
    x, y = make()
    before = y.copy()
    assert _blas.axpy(2.0, x, y) is False
    np.testing.assert_array_equal(y, before)


def test_axpy_writes_exactly_the_array():
    # The array is a slice of a larger buffer: nothing past its end may change.
    buf = np.zeros(10200, np.float32)
    y = buf[100:10100]
    if _blas.axpy(1.0, np.ones(10000, np.float32), y):
        assert (buf[:100] == 0).all() and (buf[10100:] == 0).all() and (y == 1).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpby_scales_both_or_leaves_y_alone(dtype):
    x = R.standard_normal((100, 91)).astype(dtype)
    y = R.standard_normal((100, 91)).astype(dtype)
    before = y.copy()
    done = _blas.axpby(0.25, x, 0.9, y)
    if done:
        exact = (np.float64(dtype(0.25)) * x.astype(np.float64)
                 + np.float64(dtype(0.9)) * before.astype(np.float64))
        np.testing.assert_allclose(y, exact, rtol=4 * np.finfo(dtype).eps,
                                   atol=4 * np.finfo(dtype).eps)
    else:
        np.testing.assert_array_equal(y, before)
    strided = np.ones(20000, dtype)[::2]
    assert _blas.axpby(1.0, np.ones(10000, dtype), 0.5, strided) is False
    assert (strided == 1).all()


def test_read_only_source_is_accepted():
    x = np.ones(10000, np.float32)
    x.flags.writeable = False
    y = np.zeros(10000, np.float32)
    if _blas.axpy(3.0, x, y):
        assert (y == 3).all()
    read_only = np.zeros(10000, np.float32)
    read_only.flags.writeable = False
    assert _blas.axpy(1.0, np.ones(10000, np.float32), read_only) is False


def test_single_thread_block_restores_and_computes_the_same():
    x = R.standard_normal(20000).astype(np.float32)
    y1 = R.standard_normal(20000).astype(np.float32)
    y2 = y1.copy()
    routines = _blas._routines if _blas._routines is not None else _blas._load()
    set_threads = routines.get("set_threads")
    before = set_threads(1) if set_threads else None
    if set_threads:
        set_threads(before)  # probe the current count, then put it back
    with _blas.single_thread():
        with _blas.single_thread():
            _blas.axpy(0.5, x, y1)
    _blas.axpy(0.5, x, y2)
    np.testing.assert_array_equal(y1, y2)
    if set_threads:
        assert set_threads(before) == before  # the count after the block is the one before
