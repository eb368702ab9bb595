"""unfold / fold (functional and modules) against PyTorch: values, gradients, reprs, errors."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same_error, check_op, gradcheck_op, rng

from ._compare import assert_close, torch_text

torch = pytest.importorskip("torch")
TF = torch.nn.functional
R = rng(11)
LAYOUTS = ("contiguous", "transposed")
DTYPES = ["float32", "float64"]

# (input shape, kernel_size, dilation, padding, stride)
UNFOLD = [
    ((2, 3, 5, 5), 3, 1, 0, 1),
    ((2, 2, 6, 7), (2, 3), 1, 0, 1),
    ((1, 3, 7, 6), (3, 2), (2, 1), (1, 2), (2, 3)),
    ((2, 2, 8, 8), 2, 2, 1, 2),
    ((3, 4, 5, 6), 1, 1, 0, 1),             # 1x1 blocks
    ((2, 3, 4, 5), (2, 2), 1, (3, 0), 1),   # padding wider than the kernel
    ((1, 2, 3, 3), 3, 1, 0, 5),             # a single block
    ((3, 6, 7), (2, 3), (1, 2), 1, (1, 2)),  # unbatched
    ((2, 5, 4), 2, 1, 0, 1),                # unbatched
    ((0, 2, 5, 5), 3, 1, 1, 1),             # empty batch
]


def fold_case(case):
    """The matching fold case: columns of the unfold's result shape, and its output size."""
    shape, k, d, p, s = case
    cols = torch.nn.functional.unfold(torch.zeros(shape), k, d, p, s).shape
    return R.standard_normal(tuple(cols)), tuple(shape[-2:])


@pytest.mark.parametrize("case", UNFOLD)
def test_unfold_matches_torch(case):
    shape, *args = case
    check_op(lambda x: F.unfold(x, *args), lambda x: TF.unfold(x, *args),
             R.standard_normal(shape), dtypes=DTYPES, layouts_=LAYOUTS)


@pytest.mark.parametrize("case", UNFOLD)
def test_fold_matches_torch(case):
    cols, size = fold_case(case)
    args = case[1:]
    check_op(lambda x: F.fold(x, size, *args), lambda x: TF.fold(x, size, *args), cols,
             dtypes=DTYPES, layouts_=LAYOUTS)


def test_keyword_arguments_and_strided_views():
    x = R.standard_normal((2, 3, 9, 8))
    kw = {"kernel_size": (3, 2), "dilation": (1, 2), "padding": (2, 1), "stride": (2, 1)}
    check_op(lambda x: F.unfold(x[:, :, ::2, 1:], **kw), lambda x: TF.unfold(x[:, :, ::2, 1:],
                                                                             **kw), x)
    check_op(lambda x: F.unfold(x, **kw), lambda x: TF.unfold(x, **kw),
             R.standard_normal((2, 3, 6, 5)), layouts_=("strided",))


def test_unfold_gradcheck():
    gradcheck_op(lambda x: F.unfold(x, (2, 3), (2, 1), (1, 0), (1, 2)),
                 R.standard_normal((2, 2, 5, 6)))
    gradcheck_op(lambda x: F.unfold(x, 2, padding=1), R.standard_normal((2, 4, 3)))


def test_fold_gradcheck():
    cols, size = fold_case(((2, 2, 5, 6), (2, 3), (2, 1), (1, 0), (1, 2)))
    gradcheck_op(lambda x: F.fold(x, size, (2, 3), (2, 1), (1, 0), (1, 2)), cols)
    gradcheck_op(lambda x: F.fold(x, (3, 4), 2, stride=(1, 2)), R.standard_normal((8, 4)))


@pytest.mark.parametrize("case", UNFOLD[:3] + UNFOLD[7:8])
def test_fold_of_unfold_matches_torch(case):
    shape, *args = case
    size = shape[-2:]
    check_op(lambda x: F.fold(F.unfold(x, *args), size, *args),
             lambda x: TF.fold(TF.unfold(x, *args), size, *args),
             R.standard_normal(shape), dtypes=DTYPES)


def test_fold_is_adjoint_of_unfold():
    x = ember.from_numpy(R.standard_normal((2, 3, 6, 5)))
    args = ((3, 2), (1, 2), 1, (2, 1))
    cols = F.unfold(x, *args)
    c = ember.from_numpy(R.standard_normal(tuple(cols.shape)))
    lhs = (cols * c).sum().item()
    rhs = (x * F.fold(c, (6, 5), *args)).sum().item()
    assert lhs == pytest.approx(rhs, rel=1e-10)


def test_double_backward_matches_torch():
    x = R.standard_normal((2, 2, 5, 4))
    g = R.standard_normal((2, 2 * 6, 12))
    results = []
    for lib, fn in ((ember, F), (torch, TF)):
        xt = lib.tensor(x, requires_grad=True)
        gt = lib.tensor(g, requires_grad=True)
        cols = fn.unfold(xt, (2, 3), 1, (1, 0), (1, 1)) ** 2
        (gx,) = lib.autograd.grad(cols, xt, gt, create_graph=True)
        assert type(gx.grad_fn).__name__ == "Col2ImBackward0"
        (gg,) = lib.autograd.grad(gx.sum(), gt)
        results.append((gx, gg))
    assert_close(results[0][0], results[1][0])
    assert_close(results[0][1], results[1][1])


def test_backward_grad_fn_names():
    x = ember.randn(2, 3, 4, 4, requires_grad=True)
    cols = F.unfold(x, 2)
    assert type(cols.grad_fn).__name__ == "Im2ColBackward0"
    out = F.fold(cols, 4, 2)
    assert type(out.grad_fn).__name__ == "Col2ImBackward0"
    assert out.dtype == ember.float32 and cols.dtype == ember.float32
    g = ember.ones_like(cols).requires_grad_()
    (gx,) = ember.autograd.grad(cols, x, g, create_graph=True)
    assert type(gx.grad_fn).__name__ == "Col2ImBackward0"


def test_other_dtypes_match_torch():
    x = R.standard_normal((2, 3, 4, 4))
    for dt in ("float16", "complex64"):
        check_op(lambda x: F.unfold(x, 2, stride=2), lambda x: TF.unfold(x, 2, stride=2),
                 x.astype(dt), requires_grad=False, atol=1e-3)
    b = R.standard_normal((1, 4, 4)) > 0
    check_op(lambda x: F.fold(x, 3, 2), lambda x: TF.fold(x, 3, 2), b)
    check_op(lambda x: F.unfold(x, 2), lambda x: TF.unfold(x, 2), b[None])


# -- modules ----------------------------------------------------------------------------------
MODULE_ARGS = [
    ((3,), {}),
    (((2, 3),), {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}),
    ((2,), {"dilation": 2, "padding": (1, 0), "stride": 3}),
]


@pytest.mark.parametrize("args, kwargs", MODULE_ARGS)
def test_module_reprs_match_torch(args, kwargs):
    assert repr(nn.Unfold(*args, **kwargs)) == torch_text(repr(torch.nn.Unfold(*args, **kwargs)))
    for size in (7, (7, 8)):
        assert repr(nn.Fold(size, *args, **kwargs)) == \
            torch_text(repr(torch.nn.Fold(size, *args, **kwargs)))


def test_modules_match_torch():
    x = R.standard_normal((2, 3, 7, 8))
    kw = {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}
    e_cols = nn.Unfold((2, 3), **kw)(ember.from_numpy(x))
    t_cols = torch.nn.Unfold((2, 3), **kw)(torch.from_numpy(x))
    assert_close(e_cols, t_cols)
    assert_close(nn.Fold((7, 8), (2, 3), **kw)(e_cols), torch.nn.Fold((7, 8), (2, 3), **kw)(t_cols))


# -- errors -----------------------------------------------------------------------------------
def _unfold_both(shape, *args, dtype="float32", **kwargs):
    a = np.zeros(shape, dtype=dtype)
    return (lambda: F.unfold(ember.from_numpy(a), *args, **kwargs),
            lambda: TF.unfold(torch.from_numpy(a), *args, **kwargs))


def _fold_both(shape, *args, dtype="float32", **kwargs):
    a = np.zeros(shape, dtype=dtype)
    return (lambda: F.fold(ember.from_numpy(a), *args, **kwargs),
            lambda: TF.fold(torch.from_numpy(a), *args, **kwargs))


UNFOLD_ERRORS = [
    ((), (3,), {}), ((5,), (3,), {}), ((5, 5), (1,), {}),                 # too few dims
    ((1, 2, 3, 5, 5), (3,), {}), ((2, 0, 5, 5), (3,), {}), ((0, 5, 5), (3,), {}),
    ((2, 3, 0, 5), (3,), {}),
    ((2, 3, 5, 5), (0,), {}), ((2, 3, 5, 5), ((0, 3),), {}), ((2, 3, 5, 5), ((3, -1),), {}),
    ((2, 3, 5, 5), (3,), {"stride": 0}), ((2, 3, 5, 5), (3,), {"dilation": (1, 0)}),
    ((2, 3, 5, 5), (3,), {"padding": -1}),
    ((2, 3, 5, 5), (3,), {"stride": 0, "dilation": 0, "padding": -1}),   # check order
    ((2, 3, 5, 5), (3,), {"stride": 0, "padding": -1}),
    ((5, 5), (0,), {}),                                                    # kernel first
    ((2, 3, 5, 5), (7,), {}), ((2, 3, 5, 5), ((5, 6),), {"padding": (1, 0)}),
    ((2, 3, 5, 5), (3,), {"dilation": 3}),
    ((2, 3, 5, 5), ((2, 3, 4),), {}), ((2, 3, 5, 5), ((3,),), {}),
    ((2, 3, 5, 5), (3,), {"padding": (1, 2, 3)}),
    ((2, 3, 5, 5), (3,), {"stride": (1, 2, 3), "dilation": (1, 2, 3)}),
    ((2, 3, 5, 5), ((2, 3, 4),), {"dilation": 1.0}),                      # types first
    ((2, 3, 5, 5), (3.0,), {}), ((2, 3, 5, 5), ([2, 3.5],), {}), ((2, 3, 5, 5), (None,), {}),
    ((2, 3, 5, 5), (3,), {"padding": True}),
]


@pytest.mark.parametrize("shape, args, kwargs", UNFOLD_ERRORS)
def test_unfold_errors_match_torch(shape, args, kwargs):
    assert_same_error(*_unfold_both(shape, *args, **kwargs))


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_integer_inputs_refused_like_torch(dtype):
    assert_same_error(*_unfold_both((2, 3, 5, 5), 3, dtype=dtype))
    assert_same_error(*_unfold_both((2, 3, 5, 5), 7, dtype=dtype))     # the shape error first
    assert_same_error(*_fold_both((2, 27, 9), 5, 3, dtype=dtype))
    assert_same_error(*_fold_both((2, 27, 9), 6, 3, dtype=dtype))


FOLD_ERRORS = [
    ((9,), (5, 3), {}), ((1, 2, 27, 9), (5, 3), {}), ((2, 0, 9), (3, 1), {}),
    ((2, 27, 0), (5, 3), {}), ((27, 0), (5, 3), {}),
    ((2, 27, 9), (5, 0), {}), ((1, 2, 27, 9), (5, 0), {}),                # kernel first
    ((2, 27, 9), (5, 3), {"stride": 0}), ((2, 27, 9), (5, 3), {"dilation": 0}),
    ((2, 27, 9), (5, 3), {"padding": (0, -1)}),
    ((2, 27, 9), (5, 3), {"stride": 0, "dilation": 0, "padding": -1}),   # check order
    ((2, 27, 9), (5, 3), {"dilation": 0, "padding": -1}),
    ((2, 26, 9), (5, 3), {}), ((2, 26, 9), (6, 3), {}),
    ((2, 27, 9), (6, 3), {}), ((2, 27, 9), ((5, -3), 3), {}), ((2, 27, 9), (0, 3), {}),
    ((2, 27, 9), (5, 3), {"padding": 3}), ((2, 27, 9), (3, 3), {"stride": 2}),
    ((2, 27, 4), (0, 3), {}), ((2, 27, 1), (0, 3), {"stride": 2}),       # non-positive blocks
    ((2, 27, 4), (0, 3), {"stride": 2}), ((2, 27, 4), ((-5, 1), 3), {}),
    ((2, 27, 9), ((5, 5, 5), 3), {}), ((2, 27, 9), (5, (3,)), {}),
    ((2, 27, 9), (5, 3), {"padding": (1, 2, 3), "stride": (1, 2, 3)}),
    ((2, 27, 9), (5, 3.0), {}), ((2, 27, 9), (5.0, 3), {}), ((2, 27, 9), (5, 3), {"stride": 1.0}),
]


@pytest.mark.parametrize("shape, args, kwargs", FOLD_ERRORS)
def test_fold_errors_match_torch(shape, args, kwargs):
    assert_same_error(*_fold_both(shape, *args, **kwargs))


def test_module_errors_match_torch():
    x = np.zeros((2, 3, 4, 4), dtype="float32")
    assert_same_error(lambda: nn.Unfold(5)(ember.from_numpy(x)),
                      lambda: torch.nn.Unfold(5)(torch.from_numpy(x)))
    assert_same_error(lambda: nn.Fold(4, 2)(ember.from_numpy(x)),
                      lambda: torch.nn.Fold(4, 2)(torch.from_numpy(x)))
