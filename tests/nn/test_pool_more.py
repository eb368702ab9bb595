"""3-d pooling, LP pooling and max unpooling against PyTorch: values, indices, gradients,
reprs, errors."""

import math
import warnings

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
BOTH = ["float32", "float64"]


def _arr(*shape):
    return R.standard_normal(shape)


# -- max / avg pooling ------------------------------------------------------------------------
MAX3D = [
    ((2, 2, 4, 5, 6), (2,), {}),
    ((2, 2, 5, 6, 7), ((2, 3, 2),), dict(stride=(1, 2, 2), padding=(1, 1, 0),
                                         dilation=(1, 1, 2), ceil_mode=True)),
    ((3, 5, 4, 5), (3,), dict(stride=2, padding=1)),                  # unbatched
    ((1, 2, 6, 5, 4), ((3, 2, 2),), dict(stride=2, ceil_mode=True)),
]


@pytest.mark.parametrize("shape, args, kwargs", MAX3D)
def test_max_pool3d_matches_torch(shape, args, kwargs):
    check_op(lambda x: F.max_pool3d(x, *args, return_indices=True, **kwargs),
             lambda x: TF.max_pool3d(x, *args, return_indices=True, **kwargs), _arr(*shape),
             dtypes=BOTH, layouts_=LAYOUTS)
    check_op(lambda x: F.max_pool3d_with_indices(x, *args, **kwargs),
             lambda x: TF.max_pool3d_with_indices(x, *args, **kwargs), _arr(*shape),
             layouts_=("contiguous",))


def test_max_pool3d_ties_nan_and_infinite_padding_like_torch():
    x = np.zeros((1, 1, 3, 4, 4))
    x[0, 0, 1, 1, 2] = np.nan
    x[0, 0, 1, 2, 1] = np.nan
    check_op(lambda x: F.max_pool3d(x, 2, 2, 1, return_indices=True),
             lambda x: TF.max_pool3d(x, 2, 2, 1, return_indices=True), x, layouts_=["contiguous"])
    low = np.full((1, 1, 3, 3, 3), -np.inf)
    check_op(lambda x: F.max_pool3d(x, 3, 2, 1, return_indices=True),
             lambda x: TF.max_pool3d(x, 3, 2, 1, return_indices=True), low,
             layouts_=["contiguous"], requires_grad=False)


def test_max_pool3d_integer_input():
    x = R.integers(-5, 5, (1, 2, 4, 4, 4))
    check_op(lambda x: F.max_pool3d(x, 2, return_indices=True),
             lambda x: TF.max_pool3d(x, 2, return_indices=True), x, layouts_=["contiguous"])


AVG3D = [
    ((2, 2, 4, 5, 6), (2,), {}),
    ((2, 2, 5, 6, 7), ((2, 3, 2),), dict(stride=(1, 2, 2), padding=(1, 1, 0), ceil_mode=True,
                                         count_include_pad=False)),
    ((2, 2, 5, 6, 7), ((3, 3, 2),), dict(stride=(2, 2, 3), padding=1, ceil_mode=True)),
    ((3, 5, 4, 5), (2,), dict(divisor_override=3)),                   # unbatched
    ((1, 2, 4, 4, 4), (3,), dict(stride=2, padding=1, count_include_pad=False)),
]


@pytest.mark.parametrize("shape, args, kwargs", AVG3D)
def test_avg_pool3d_matches_torch(shape, args, kwargs):
    check_op(lambda x: F.avg_pool3d(x, *args, **kwargs),
             lambda x: TF.avg_pool3d(x, *args, **kwargs), _arr(*shape), dtypes=BOTH,
             layouts_=LAYOUTS)


def test_avg_pool3d_int64_rounds_toward_zero():
    x = R.integers(-9, 9, (1, 2, 4, 4, 4))
    check_op(lambda x: F.avg_pool3d(x, 3, 1, 1), lambda x: TF.avg_pool3d(x, 3, 1, 1), x,
             layouts_=["contiguous"])


@pytest.mark.parametrize("out", [2, (3, None, 4), (1, 2, 5), (4, 5, 6)])
def test_adaptive_pool3d_matches_torch(out):
    x = _arr(2, 2, 4, 5, 6)
    check_op(lambda x: F.adaptive_avg_pool3d(x, out), lambda x: TF.adaptive_avg_pool3d(x, out),
             x, dtypes=BOTH, layouts_=LAYOUTS)
    check_op(lambda x: F.adaptive_max_pool3d(x, out, True),
             lambda x: TF.adaptive_max_pool3d(x, out, True), x, dtypes=BOTH, layouts_=LAYOUTS)
    check_op(lambda x: F.adaptive_max_pool3d(x[0], out),
             lambda x: TF.adaptive_max_pool3d(x[0], out), x, layouts_=["contiguous"])


def test_adaptive_with_indices_wrappers():
    x = _arr(2, 3, 7)
    check_op(lambda x: F.adaptive_max_pool1d_with_indices(x, 3),
             lambda x: TF.adaptive_max_pool1d_with_indices(x, 3), x, layouts_=["contiguous"])
    check_op(lambda x: F.adaptive_max_pool2d_with_indices(x, (2, 4)),
             lambda x: TF.adaptive_max_pool2d_with_indices(x, (2, 4)), _arr(1, 2, 5, 7),
             layouts_=["contiguous"])
    check_op(lambda x: F.adaptive_max_pool3d_with_indices(x, (2, 1, 3)),
             lambda x: TF.adaptive_max_pool3d_with_indices(x, (2, 1, 3)), _arr(1, 2, 3, 5, 7),
             layouts_=["contiguous"])


@pytest.mark.parametrize("fn", [
    lambda m, x: m.max_pool3d(x, (2, 3, 2), (1, 2, 1), 1, (2, 1, 1), True),
    lambda m, x: m.avg_pool3d(x, (2, 3, 2), (1, 2, 1), 1, True, False),
    lambda m, x: m.adaptive_avg_pool3d(x, (2, 3, 2)),
    lambda m, x: m.adaptive_max_pool3d(x, (3, 2, 2)),
])
def test_pool3d_gradcheck(fn):
    gradcheck_op(lambda x: fn(F, x), R.permutation(60).reshape(1, 1, 3, 4, 5) / 7.0)


@pytest.mark.parametrize("call", [
    lambda m, x: m.max_pool3d(x(4, 4, 4), 2),
    lambda m, x: m.max_pool3d(x(1, 2, 4, 4, 4), (2, 2)),
    lambda m, x: m.max_pool3d(x(1, 2, 4, 4, 4), 2, stride=(1, 1)),
    lambda m, x: m.max_pool3d(x(1, 2, 4, 4, 4), 2, padding=2),
    lambda m, x: m.max_pool3d(x(1, 2, 4, 4, 4), 2, padding=-1),
    lambda m, x: m.max_pool3d(x(1, 2, 4, 4, 4), 0),
    lambda m, x: m.max_pool3d(x(1, 2, 4, 4, 4), (2, 0, 2), stride=1),
    lambda m, x: m.max_pool3d(x(1, 2, 4, 4, 4), 2, dilation=(2, 0, 1)),
    lambda m, x: m.max_pool3d(x(1, 2, 4, 4, 4), 5),
    lambda m, x: m.max_pool3d(x(1, 2, 0, 4, 4), 2),
    lambda m, x: m.max_pool3d(x(1, 2, 4, 4, 4) > 0, 2),
    lambda m, x: m.avg_pool3d(x(4, 4, 4), 2),
    lambda m, x: m.avg_pool3d(x(1, 2, 4, 4, 4), (2, 2)),
    lambda m, x: m.avg_pool3d(x(1, 2, 4, 4, 4), 2, stride=(1, 1)),
    lambda m, x: m.avg_pool3d(x(1, 2, 4, 4, 4), 2, padding=(1, 1)),
    lambda m, x: m.avg_pool3d(x(1, 2, 4, 4, 4), 5),
    lambda m, x: m.avg_pool3d(x(1, 1, 2, 4, 4), (3, 1, 1), padding=(1, 0, 0)),
    lambda m, x: m.avg_pool3d(x(1, 2, 4, 4, 4), 2, divisor_override=0),
    lambda m, x: m.avg_pool3d(x(1, 2, 0, 4, 4), 2),
    lambda m, x: m.avg_pool3d(x(1, 2, 4, 4, 4).int(), 2),
    lambda m, x: m.adaptive_avg_pool3d(x(4, 4, 4), 2),
    lambda m, x: m.adaptive_avg_pool3d(x(1, 2, 4, 4, 4), (2, 2)),
    lambda m, x: m.adaptive_avg_pool3d(x(1, 2, 4, 4, 4), (2, -1, 2)),
    lambda m, x: m.adaptive_avg_pool3d(x(1, 2, 0, 4, 4), 2),
    lambda m, x: m.adaptive_avg_pool3d(x(1, 2, 4, 4, 4).long(), 2),
    lambda m, x: m.adaptive_max_pool3d(x(4, 4, 4), 2),
    lambda m, x: m.adaptive_max_pool3d(x(1, 2, 4, 4, 4), (2, 2)),
    lambda m, x: m.adaptive_max_pool3d(x(1, 2, 4, 4, 4), (2, -1, 2)),
    lambda m, x: m.adaptive_max_pool3d(x(1, 2, 0, 4, 4), 2),
])
def test_pool3d_errors_match_torch(call):
    def side(mod, lib):
        return lambda: call(mod, lambda *s: lib.from_numpy(_arr(*s).astype(np.float32)))
    assert_same_error(side(F, ember), side(TF, torch))


# -- LP pooling -------------------------------------------------------------------------------
LP = [
    (1, (2, 3, 7), 2.0, 3, None, False),
    (1, (3, 8), 3, 2, 3, True),
    (2, (2, 2, 5, 6), 2, (2, 3), None, False),
    (2, (2, 2, 5, 6), 1.5, 2, (1, 2), True),
    (2, (2, 5, 6), 3.0, 2, 1, False),
    (3, (1, 2, 4, 5, 4), 2, 2, None, False),
    (3, (1, 2, 4, 5, 4), 3, (2, 3, 2), (1, 2, 1), True),
    (2, (1, 2, 4, 4), math.inf, 2, None, False),
    (3, (1, 2, 4, 4, 4), -math.inf, 2, 1, False),
]


@pytest.mark.parametrize("dims, shape, p, kernel, stride, ceil", LP)
def test_lp_pool_matches_torch(dims, shape, p, kernel, stride, ceil):
    name = f"lp_pool{dims}d"
    x = _arr(*shape)
    if p == 1.5:  # a fractional power of a negative number is NaN in both: keep x positive
        x = np.abs(x) + 0.1
    check_op(lambda x: getattr(F, name)(x, p, kernel, stride, ceil),
             lambda x: getattr(TF, name)(x, p, kernel, stride, ceil), x, dtypes=BOTH,
             layouts_=LAYOUTS, check_grad_fn=False)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_lp_pool_zero_windows_have_zero_gradient_like_torch(p):
    x = np.zeros((1, 1, 2, 6))
    x[0, 0, 0, 2], x[0, 0, 1, 5] = 1.0, -2.0
    check_op(lambda x: F.lp_pool2d(x, p, 2), lambda x: TF.lp_pool2d(x, p, 2), x,
             layouts_=["contiguous"], check_grad_fn=False)


def test_lp_pool_gradcheck():
    x = np.abs(_arr(1, 2, 4, 5)) + 0.5
    gradcheck_op(lambda x: F.lp_pool2d(x, 2.0, 2, 1), x)
    gradcheck_op(lambda x: F.lp_pool3d(x, 3.0, 2), np.abs(_arr(1, 1, 2, 4, 4)) + 0.5)


@pytest.mark.parametrize("cls, args, kwargs", [
    ("LPPool1d", (2, 3), {}),
    ("LPPool2d", (1.5, (2, 3)), dict(stride=1, ceil_mode=True)),
    ("LPPool3d", (3, 2), dict(stride=(1, 2, 1))),
])
def test_lp_pool_modules_match_torch(cls, args, kwargs):
    em, tm = getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
    assert repr(em) == torch_text(repr(tm))
    x = np.abs(_arr(*((2, 2) + (5,) * int(cls[6])))) + 0.1
    assert_same(em(ember.tensor(x)), tm(torch.tensor(x)))


# -- max unpooling ----------------------------------------------------------------------------
def _pooled(dims, shape, kernel, stride=None, padding=0):
    x = torch.from_numpy(_arr(*shape))
    pool = (TF.max_pool1d, TF.max_pool2d, TF.max_pool3d)[dims - 1]
    y, idx = pool(x, kernel, stride, padding, return_indices=True)
    return y.numpy(), idx.numpy()


UNPOOL = [
    (1, (2, 3, 8), 2, None, 0, None),
    (1, (2, 3, 9), 3, 2, 1, [9]),
    (2, (2, 2, 4, 6), 2, None, 0, None),
    (2, (2, 5, 6), (2, 3), (2, 2), (1, 1), (5, 6)),                       # unbatched
    (2, (1, 2, 5, 5), 2, None, 0, (1, 2, 5, 5)),
    (3, (1, 2, 4, 6, 4), 2, None, 0, None),
    (3, (2, 5, 4, 5), (2, 2, 3), (2, 1, 2), (1, 0, 1), [5, 4, 5]),
]


@pytest.mark.parametrize("dims, shape, kernel, stride, padding, out", UNPOOL)
def test_max_unpool_matches_torch(dims, shape, kernel, stride, padding, out):
    y, idx = _pooled(dims, shape, kernel, stride, padding)
    name = f"max_unpool{dims}d"
    check_op(lambda v, i: getattr(F, name)(v, i, kernel, stride, padding, out),
             lambda v, i: getattr(TF, name)(v, i, kernel, stride, padding, out), y, idx,
             dtypes=[(d, None) for d in BOTH], layouts_=["contiguous"])
    # non-contiguous values (torch refuses non-contiguous indices with a view error)
    check_op(lambda v: getattr(F, name)(v, ember.tensor(idx), kernel, stride, padding, out),
             lambda v: getattr(TF, name)(v, torch.tensor(idx), kernel, stride, padding, out),
             y, layouts_=["transposed", "strided"])
    em = getattr(nn, f"MaxUnpool{dims}d")(kernel, stride, padding)
    tm = getattr(torch.nn, f"MaxUnpool{dims}d")(kernel, stride, padding)
    assert repr(em) == torch_text(repr(tm))
    assert_same(em(ember.tensor(y), ember.tensor(idx), out),
                tm(torch.tensor(y), torch.tensor(idx), out))


def test_max_unpool_gradcheck():
    y, idx = _pooled(2, (1, 2, 4, 4), 2)
    gradcheck_op(lambda v, i: F.max_unpool2d(v, i, 2), y, idx)
    y, idx = _pooled(3, (1, 1, 4, 4, 2), 2)
    gradcheck_op(lambda v, i: F.max_unpool3d(v, i, 2), y, idx)


@pytest.mark.parametrize("call", [
    lambda m, y, i, b: m.max_unpool2d(y, b[0], 2),
    lambda m, y, i, b: m.max_unpool2d(y, b[1], 2),
    lambda m, y, i, b: m.max_unpool2d(y, i[..., :1], 2),
    lambda m, y, i, b: m.max_unpool2d(y, i.int(), 2),
    lambda m, y, i, b: m.max_unpool2d(y[0, 0], i[0, 0], 2),
    lambda m, y, i, b: m.max_unpool2d(y[None], i[None], 2),
    lambda m, y, i, b: m.max_unpool2d(y, i, 2, output_size=(9, 5)),
    lambda m, y, i, b: m.max_unpool2d(y, i, 2, output_size=(5,)),
    lambda m, y, i, b: m.max_unpool2d(y.long(), i, 2),
    lambda m, y, i, b: m.max_unpool1d(y[0, 0, :1], b[2], 2),
    lambda m, y, i, b: m.max_unpool3d(y[None], b[0][None], 2, output_size=(2, 4, 4)),
    lambda m, y, i, b: m.max_unpool3d(y[0, 0], i[0, 0], 2),
    lambda m, y, i, b: m.max_unpool3d(y[None], i[None].int(), 2),
    lambda m, y, i, b: m.max_unpool3d(y[None], i[None], 2, stride=0),
])
def test_max_unpool_errors_match_torch(call):
    # one bad index each: torch's threads may report any of several
    y, idx = _pooled(2, (1, 2, 4, 4), 2)
    too_big, negative = idx.copy(), idx.copy()
    too_big.flat[-1], negative.flat[1] = 99, -3
    one_d = np.array([[0, 9]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(
            lambda: call(F, ember.tensor(y), ember.tensor(idx), (ember.tensor(too_big),
                         ember.tensor(negative), ember.tensor(one_d))),
            lambda: call(TF, torch.tensor(y), torch.tensor(idx), (torch.tensor(too_big),
                         torch.tensor(negative), torch.tensor(one_d))))


# -- pooling modules --------------------------------------------------------------------------
@pytest.mark.parametrize("cls, args, kwargs", [
    ("MaxPool3d", (2,), {}),
    ("MaxPool3d", ((2, 1, 2),), dict(stride=1, padding=(1, 0, 1), dilation=2,
                                     return_indices=True, ceil_mode=True)),
    ("AvgPool3d", (2,), {}),
    ("AvgPool3d", ((2, 1, 2),), dict(stride=1, padding=(1, 0, 1), ceil_mode=True,
                                     count_include_pad=False, divisor_override=3)),
    ("AdaptiveAvgPool3d", (2,), {}),
    ("AdaptiveMaxPool3d", ((2, None, 3),), dict(return_indices=True)),
])
def test_pool3d_modules_match_torch(cls, args, kwargs):
    em, tm = getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
    assert repr(em) == torch_text(repr(tm))
    x = _arr(2, 2, 4, 5, 6)
    assert_same(em(ember.tensor(x)), tm(torch.tensor(x)))
