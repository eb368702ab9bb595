"""``ember._blas``: one-pass ``y += a * x``, ``y = a * x + b * y`` and ``x *= a``, or an
untouched array and False."""

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
@pytest.mark.parametrize("size", [9000, 300_000])  # one BLAS thread, and several
def test_scal_scales_like_numpy_or_leaves_x_alone(dtype, size):
    x = R.standard_normal(size).astype(dtype)
    before = x.copy()
    routines = _blas._routines if _blas._routines is not None else _blas._load()
    done = _blas.scal(0.9, x)
    assert done is (("scal", np.dtype(dtype).char) in routines)
    # One product per element, rounded once: exactly NumPy's ``x * 0.9``.
    np.testing.assert_array_equal(x, before * dtype(0.9) if done else before)
    strided = np.ones(20000, dtype)[::2]
    assert _blas.scal(0.5, strided) is False
    assert (strided == 1).all()


def test_routines_are_found_on_linux_with_numpys_openblas():
    # Guards the tests above against passing only because nothing was found.
    routines = _blas._routines if _blas._routines is not None else _blas._load()
    if any("openblas" in p.lower() for p in _blas._loaded_blas_paths()):
        names = ("axpy", "axpby", "scal", "omatcopy")
        assert {(name, c) for name in names for c in "fd"} <= set(routines)


def test_read_only_source_is_accepted():
    x = np.ones(10000, np.float32)
    x.flags.writeable = False
    y = np.zeros(10000, np.float32)
    if _blas.axpy(3.0, x, y):
        assert (y == 3).all()
    read_only = np.zeros(10000, np.float32)
    read_only.flags.writeable = False
    assert _blas.axpy(1.0, np.ones(10000, np.float32), read_only) is False



@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(10000,), (100, 90), (512, 784)])  # one thread, several
def test_axpby_combines_both_arrays_or_leaves_y_alone(dtype, shape):
    x = R.standard_normal(shape).astype(dtype)
    y = R.standard_normal(shape).astype(dtype)
    y.flat[:3] = [np.inf, -np.inf, np.nan]
    before = y.copy()
    routines = _blas._routines if _blas._routines is not None else _blas._load()
    done = _blas.axpby(0.1, x, 0.9, y)
    assert done is (("axpby", np.dtype(dtype).char) in routines)
    if done:
        # PyTorch's ``mul_(0.9).add_(x, alpha=0.1)``: at most one rounding more or less.
        expected = before * dtype(0.9) + x * dtype(0.1)
        np.testing.assert_allclose(y, expected, rtol=4 * np.finfo(dtype).eps,
                                   atol=4 * np.finfo(dtype).eps)
        assert y.dtype == dtype
    else:
        np.testing.assert_array_equal(y, before)


def test_axpby_declines_what_blas_cannot_take():
    y = np.ones(20000, np.float32)[::2]
    assert _blas.axpby(1.0, np.ones(10000, np.float32), 0.5, y) is False
    assert (y == 1).all()
    small = np.ones(10, np.float32)
    assert _blas.axpby(1.0, np.ones(10, np.float32), 0.5, small) is False
    assert (small == 1).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(64, 512), (100, 300), (512, 17)])
def test_transpose_writes_the_transpose_or_leaves_out_alone(dtype, shape):
    x = R.standard_normal(shape).astype(dtype)
    out = np.full(shape[::-1], 7.0, dtype)
    routines = _blas._routines if _blas._routines is not None else _blas._load()
    done = _blas.transpose(x, out)
    assert done is (("omatcopy", np.dtype(dtype).char) in routines)
    np.testing.assert_array_equal(out, x.T if done else 7.0)


@pytest.mark.parametrize("make", [
    lambda: (np.ones((64, 512), np.float32), np.ones((64, 512), np.float32)),  # not transposed
    lambda: (np.ones((512, 64), np.float32).T, np.ones((512, 64), np.float32)),  # F-order x
    lambda: (np.ones((64, 512), np.float32), np.ones((512, 64), np.float64)),    # mixed dtypes
    lambda: (np.ones((8, 10), np.float32), np.ones((10, 8), np.float32)),        # too small
    lambda: (np.ones((64, 512), np.int64), np.ones((512, 64), np.int64)),        # integers
])
def test_transpose_declines_what_it_cannot_take(make):
    x, out = make()
    before = out.copy()
    assert _blas.transpose(x, out) is False
    np.testing.assert_array_equal(out, before)
