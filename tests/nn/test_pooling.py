"""Pooling (functional and modules) against PyTorch: values, indices, gradients, reprs."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same, assert_same_error, check_op, gradcheck_op, rng

from ._compare import torch_text

torch = pytest.importorskip("torch")
TF = torch.nn.functional
R = rng(5)
LAYOUTS = ("contiguous", "transposed")
X = R.standard_normal((2, 3, 7, 9))
# Rounded ReLU-like data: many ties, where the first maximum of a window must win.
X_TIES = np.maximum(R.standard_normal((2, 3, 7, 9)), 0).round(0)

# (kernel_size, stride, padding, dilation, ceil_mode)
MAX2D = [
    (2, None, 0, 1, False), (3, 2, 1, 1, False), ((2, 3), (1, 2), (1, 1), (2, 1), False),
    (3, 2, 1, 1, True), (2, None, 0, 1, True), (3, 1, 1, 2, True), (4, 3, 2, 1, True),
    ((1, 3), (1, 3), 0, 1, False),
]


@pytest.mark.parametrize("data", [X, X_TIES], ids=["random", "ties"])
@pytest.mark.parametrize("args", MAX2D)
def test_max_pool2d_matches_torch(args, data):
    check_op(lambda x: F.max_pool2d(x, *args, return_indices=True),
             lambda x: TF.max_pool2d(x, *args, return_indices=True), data,
             dtypes=["float32", "float64"], layouts_=LAYOUTS)
    check_op(lambda x: F.max_pool2d(x, *args), lambda x: TF.max_pool2d(x, *args), data,
             layouts_=("contiguous",))


@pytest.mark.parametrize("args", [(2,), (3, 2, 1), (3, 1, 1, 2, True), (4, 3, 2, 1, True)])
def test_max_pool1d_matches_torch(args):
    for data in (X[:, :, 0], X_TIES[:, :, 0], X[0, :, 0]):
        check_op(lambda x: F.max_pool1d(x, *args, return_indices=True),
                 lambda x: TF.max_pool1d(x, *args, return_indices=True), data,
                 layouts_=("contiguous",))


@pytest.mark.parametrize("args", [(2,), (3, 2, 1), (3, 1, 1, 1, True)])
def test_max_pool_nan_and_infinite_windows_match_torch(args):
    data = X.copy()
    data[0, 0, 0, :3] = np.nan
    data[0, 0, 1, 1] = np.nan
    data[1, 1, :2, :] = -np.inf   # windows over padding and -inf only
    check_op(lambda x: F.max_pool2d(x, *args, return_indices=True),
             lambda x: TF.max_pool2d(x, *args, return_indices=True), data,
             layouts_=("contiguous",))


@pytest.mark.parametrize("args", [(2,), (3, 2, 1)])
def test_max_pool_on_op_threads_matches_torch(monkeypatch, args):
    # one sample per range, the ranges spread over two threads
    from ember.ops import _parallel, pooling
    monkeypatch.setattr(pooling, "_CHUNK_BYTES", 1)
    monkeypatch.setitem(_parallel._state, "threads", 2)
    data = np.concatenate([X, X_TIES])
    data[0, 0, 0, :3] = np.nan
    check_op(lambda x: F.max_pool2d(x, *args, return_indices=True),
             lambda x: TF.max_pool2d(x, *args, return_indices=True), data,
             layouts_=("contiguous",))


def test_unbatched_max_pool2d():
    check_op(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), X[0],
             layouts_=("contiguous",))


# (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG2D = [
    (2, None, 0, False, True, None), (3, 2, 1, False, True, None),
    ((2, 3), (1, 2), (1, 1), False, True, None), (3, 2, 1, True, True, None),
    (3, 2, 1, True, False, None), (3, 2, 1, False, True, 5), (2, 3, 1, True, False, None),
]


@pytest.mark.parametrize("args", AVG2D)
def test_avg_pool2d_matches_torch(args):
    check_op(lambda x: F.avg_pool2d(x, *args), lambda x: TF.avg_pool2d(x, *args), X,
             dtypes=["float32", "float64"], layouts_=LAYOUTS)


@pytest.mark.parametrize("args", [(2,), (3, 2, 1), (3, 2, 1, True, False)])
def test_avg_pool1d_matches_torch(args):
    check_op(lambda x: F.avg_pool1d(x, *args), lambda x: TF.avg_pool1d(x, *args),
             X[:, :, 0], layouts_=("contiguous",))


ADAPTIVE = [(3, 3), (2, 4), (5, 7), (7, 9), (1, 1), 1, (None, 2), (4, None), (9, 11), 3]


@pytest.mark.parametrize("size", ADAPTIVE)
def test_adaptive_pool2d_matches_torch(size):
    check_op(lambda x: F.adaptive_avg_pool2d(x, size),
             lambda x: TF.adaptive_avg_pool2d(x, size), X, dtypes=["float32", "float64"],
             layouts_=LAYOUTS)
    for data in (X, X_TIES):
        check_op(lambda x: F.adaptive_max_pool2d(x, size, True),
                 lambda x: TF.adaptive_max_pool2d(x, size, True), data, layouts_=LAYOUTS)


@pytest.mark.parametrize("size", [1, 4, 7, 12])
def test_adaptive_pool1d_matches_torch(size):
    x = X[:, :, 0]
    check_op(lambda x: F.adaptive_avg_pool1d(x, size),
             lambda x: TF.adaptive_avg_pool1d(x, size), x, layouts_=("contiguous",))
    check_op(lambda x: F.adaptive_max_pool1d(x, size, True),
             lambda x: TF.adaptive_max_pool1d(x, size, True), x, layouts_=("contiguous",))


@pytest.mark.parametrize("fn,args", [
    (F.max_pool2d, (3, 2, 1, 1, True)), (F.avg_pool2d, (3, 2, 1, True, False)),
    (F.adaptive_avg_pool2d, ((3, 2),)), (F.adaptive_max_pool2d, ((2, 3),)),
    (F.max_pool1d, (2,)),
])
def test_gradcheck(fn, args):
    # Distinct values keep every max away from a tie, where it is not differentiable.
    x = R.permutation(2 * 5 * 6).reshape(1, 2, 5, 6) / 10.0
    gradcheck_op(lambda t: fn(t[:, :, 0] if fn is F.max_pool1d else t, *args), x)


x4 = np.zeros((2, 3, 7, 9))


@pytest.mark.parametrize("call", [
    lambda F, t: F.max_pool2d(t(x4), 2, padding=2),
    lambda F, t: F.max_pool2d(t(x4), 10),
    lambda F, t: F.avg_pool2d(t(x4), 2, padding=2),
    lambda F, t: F.avg_pool2d(t(x4), 10),
    lambda F, t: F.max_pool2d(t(x4[0, 0]), 2),
    lambda F, t: F.max_pool2d(t(x4), 2, stride=0),
    lambda F, t: F.max_pool2d(t(x4), (2, 2, 2)),
    lambda F, t: F.max_pool1d(t(x4), 2),
    lambda F, t: F.adaptive_avg_pool2d(t(x4[0, 0]), 2),
    lambda F, t: F.adaptive_max_pool2d(t(x4), (2, 3, 4)),
])
def test_errors_match_torch(call):
    assert_same_error(lambda: call(F, ember.from_numpy), lambda: call(TF, torch.from_numpy))


# -- modules -----------------------------------------------------------------------------
MODULES = [
    ("MaxPool2d", (2,), {}), ("MaxPool2d", ((2, 3),), {"stride": (1, 2), "padding": 1,
                                                        "ceil_mode": True}),
    ("MaxPool2d", (3,), {"stride": 2, "return_indices": True}),
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1}), ("AvgPool2d", (2,), {}),
    ("AvgPool2d", (3, 2, 1, True, False, 4), {}), ("AvgPool1d", (2,), {}),
    ("AdaptiveAvgPool2d", ((None, 3),), {}), ("AdaptiveAvgPool2d", (1,), {}),
    ("AdaptiveMaxPool2d", (2, True), {}), ("AdaptiveAvgPool1d", (3,), {}),
    ("AdaptiveMaxPool1d", (3,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES)
def test_module_matches_torch(name, args, kwargs):
    e, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(e) == torch_text(repr(t))
    assert list(e.state_dict()) == [] and list(e.parameters()) == []
    data = X if "2d" in name else X[:, :, 0]
    check_op(e, t, data.astype(np.float32), layouts_=("contiguous",))


def test_max_pool_without_grad_returns_indices():
    x = ember.from_numpy(X_TIES)
    with ember.no_grad():
        values, idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    tv, ti = TF.max_pool2d(torch.from_numpy(X_TIES), 3, 2, 1, return_indices=True)
    assert values.grad_fn is None and idx.dtype == ember.int64
    np.testing.assert_array_equal(idx.numpy(), ti.numpy())
    np.testing.assert_array_equal(values.numpy(), tv.numpy())


def test_with_indices_functions_always_return_the_pair():
    for name, shape in (("max_pool1d_with_indices", (1, 2, 4)),
                        ("max_pool2d_with_indices", (1, 2, 4, 4))):
        e = getattr(ember.nn.functional, name)(ember.ones(*shape), 2, return_indices=False)
        t = getattr(torch.nn.functional, name)(torch.ones(*shape), 2, return_indices=False)
        assert len(e) == len(t) == 2
        assert_same(e[1], t[1])
