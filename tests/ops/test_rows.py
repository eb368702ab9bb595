"""The row and column reductions of ``ember.ops._rows`` against NumPy's, and the ops that use
them (softmax, log_softmax, cross-entropy, the linear bias gradient) against PyTorch at the
batch sizes where the fast forms apply."""

from functools import partial

import numpy as np
import pytest

import ember
from ember.ops import _rows
from helpers import check_op, rng

torch = pytest.importorskip("torch")

R = rng(11)
# (rows, columns): narrow and tall (transposed maximum), wide, one row or column, empty
SHAPES = [(64, 10), (512, 10), (100, 32), (70, 33), (8, 10), (1, 7), (7, 1), (300, 1000),
          (0, 5), (5, 0)]


def _array(shape, dtype, layout="contiguous"):
    a = R.standard_normal(shape).astype(dtype)
    if layout == "transposed":  # same values, Fortran order: the NumPy fallback
        a = np.asfortranarray(a)
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16], ids=str)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sums_match_numpy(shape, layout, dtype):
    a = _array(shape, dtype, layout)
    tol = {np.float16: 1e-2, np.float32: 1e-5, np.float64: 1e-12}[dtype]
    for got, want in ((_rows.row_sums(a), a.sum(axis=1)),
                      (_rows.column_sums(a), a.sum(axis=0))):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(shape, default=1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64], ids=str)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("shape", [s for s in SHAPES if s[1]], ids=str)
def test_maxima_are_exact(shape, layout, dtype):
    a = _array(shape, np.float64, layout)
    a = (a * 100).astype(dtype)
    got = _rows.row_maxima(a)
    assert got.dtype == a.dtype
    np.testing.assert_array_equal(got, a.max(axis=1))


def test_nan_and_infinities_propagate():
    a = R.standard_normal((128, 10)).astype(np.float32)
    a[3, 4], a[5, :], a[7, 2], a[9, 0] = np.nan, -np.inf, np.inf, -np.inf
    for got, want in ((_rows.row_maxima(a), a.max(axis=1)), (_rows.row_sums(a), a.sum(axis=1)),
                      (_rows.column_sums(a), a.sum(axis=0))):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        finite = np.isfinite(want)
        np.testing.assert_array_equal(got[~finite & ~np.isnan(want)],
                                      want[~finite & ~np.isnan(want)])
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-5, atol=1e-5)


def _both(fn):
    return partial(fn, ember), partial(fn, torch)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((512, 10), 1), ((64, 10), -1), ((4, 64, 10), 2),
                                       ((256, 100), 1), ((130, 3), 0)], ids=str)
def test_softmax_at_batch_sizes(name, shape, dim):
    a = (R.standard_normal(shape) * 3).astype(np.float32)
    check_op(*_both(lambda L, x: getattr(L, name)(x, dim)), a, dtypes=["float32", "float64"])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_extreme_rows_in_a_large_batch(name):
    a = R.standard_normal((96, 10)).astype(np.float32)
    a[0] = -np.inf
    a[1, 3] = np.inf
    a[2, 5] = np.nan
    a[3] = [1e4] + [-1e4] * 9
    check_op(*_both(lambda L, x: getattr(L, name)(x, 1)), a, requires_grad=False)


@pytest.mark.parametrize("batch", [64, 512])
def test_cross_entropy_at_batch_sizes(batch):
    logits = (R.standard_normal((batch, 10)) * 3).astype(np.float32)
    target = R.integers(0, 10, batch)
    check_op(ember.nn.functional.cross_entropy, torch.nn.functional.cross_entropy,
             logits, target, dtypes=[("float32", "int64"), ("float64", "int64")],
             check_grad_fn=False)  # the fused node has no LogSoftmaxBackward0 below it


@pytest.mark.parametrize("batch", [2, 64, 512])
def test_linear_bias_gradient_at_batch_sizes(batch):
    x, w, b = (R.standard_normal(s).astype(np.float32) for s in ((batch, 20), (30, 20), (30,)))
    check_op(lambda x, w, b: ember.nn.functional.linear(x, w, b),
             lambda x, w, b: torch.nn.functional.linear(x, w, b), x, w, b,
             dtypes=["float32", "float64"])


@pytest.mark.parametrize("shape,axis", [((4, 64, 10), 2), ((128, 10, 1, 1), 1), ((96, 10), 1),
                                        ((3, 5, 2), 1), ((0, 4), 1), ((96, 10), 0)], ids=str)
def test_along_an_axis_matches_numpy(shape, axis):
    a = R.standard_normal(shape).astype(np.float32)
    for layout in (a, np.asfortranarray(a)):
        got = _rows.sums_along(layout, axis)
        assert got.shape == layout.sum(axis=axis, keepdims=True).shape
        np.testing.assert_allclose(got, layout.sum(axis=axis, keepdims=True), rtol=1e-5,
                                   atol=1e-5)
        if shape[axis]:
            np.testing.assert_array_equal(_rows.maxima_along(layout, axis),
                                          layout.max(axis=axis, keepdims=True))
