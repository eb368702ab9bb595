"""Pixel/channel shuffles and alpha dropout against PyTorch."""

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same_error, check_op, gradcheck_op, rng, to_ember, to_torch

torch = pytest.importorskip("torch")
TF = torch.nn.functional
R = rng(53)
DTYPES = ["float32", "float64"]
LAYOUTS = ("contiguous", "transposed")
SELU_SATURATION = 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


# -- pixel and channel shuffles --------------------------------------------------------------
@pytest.mark.parametrize("shape,r", [((2, 8, 3, 2), 2), ((9, 2, 3), 3), ((2, 1, 4, 1, 1), 2),
                                     ((2, 3, 2, 2), 1)])
def test_pixel_shuffle_matches_torch(shape, r):
    e, t = nn.PixelShuffle(r), torch.nn.PixelShuffle(r)
    assert repr(e) == repr(t)
    check_op(e, t, R.standard_normal(shape), dtypes=DTYPES, layouts_=LAYOUTS)


@pytest.mark.parametrize("shape,r", [((2, 2, 4, 6), 2), ((1, 3, 3), 3), ((2, 1, 2, 4, 2), 2)])
def test_pixel_unshuffle_matches_torch(shape, r):
    e, t = nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r)
    assert repr(e) == repr(t)
    check_op(e, t, R.standard_normal(shape), dtypes=DTYPES, layouts_=LAYOUTS)


@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 3), ((2, 6, 3, 2), 2), ((1, 4, 2, 1, 2), 4),
                                          ((2, 4, 3), 1)])
def test_channel_shuffle_matches_torch(shape, groups):
    e, t = nn.ChannelShuffle(groups), torch.nn.ChannelShuffle(groups)
    assert repr(e) == repr(t)
    check_op(e, t, R.standard_normal(shape), dtypes=DTYPES, layouts_=LAYOUTS)
    check_op(lambda x: F.native_channel_shuffle(x, groups),
             lambda x: TF.native_channel_shuffle(x, groups), R.standard_normal(shape))


def test_shuffles_gradcheck_and_double_backward():
    gradcheck_op(lambda x: F.pixel_shuffle(x, 2), R.standard_normal((1, 8, 2, 3)))
    gradcheck_op(lambda x: F.pixel_unshuffle(x, 2), R.standard_normal((1, 2, 4, 2)))
    gradcheck_op(lambda x: F.channel_shuffle(x, 3), R.standard_normal((2, 6, 2)))
    x = ember.randn(1, 4, 2, 2, dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad((F.pixel_shuffle(x, 2) ** 2).sum(), x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), np.full((1, 4, 2, 2), 2.0))


@pytest.mark.parametrize("call,shape", [
    (lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2), (2, 3)),
    (lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2), (2, 7, 3, 3)),
    (lambda lib, x: lib.nn.functional.pixel_shuffle(x, 0), (2, 8, 3, 3)),
    (lambda lib, x: lib.nn.functional.pixel_shuffle(x, -1), (2, 8, 3, 3)),
    (lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2), (2, 3)),
    (lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2), (2, 3, 5)),
    (lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2), (2, 3, 4, 5)),
    (lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 0), (2, 3, 4, 4)),
    (lambda lib, x: lib.nn.functional.channel_shuffle(x, 4), (2, 6, 3)),
    (lambda lib, x: lib.nn.functional.channel_shuffle(x, 3), (2, 6)),
    (lambda lib, x: lib.nn.functional.channel_shuffle(x, 0), (2, 6, 3)),
    (lambda lib, x: lib.nn.functional.native_channel_shuffle(x, 4), (2, 6, 3)),
    (lambda lib, x: lib.nn.ChannelShuffle(4)(x), (2, 6, 3)),
])
def test_shuffle_errors_match_torch(call, shape):
    x = R.standard_normal(shape)
    assert_same_error(lambda: call(ember, to_ember(x)), lambda: call(torch, to_torch(x)))


# -- alpha dropout ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["AlphaDropout", "FeatureAlphaDropout"])
def test_alpha_dropout_modules_repr_eval_and_edge_cases(name):
    for args in [(), (0.2,), (0.3, True)]:
        e, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(e) == repr(t)
    assert_same_error(lambda: getattr(nn, name)(1.5), lambda: getattr(torch.nn, name)(1.5))
    x = R.standard_normal((2, 3, 4))
    e = getattr(nn, name)(0.4).eval()
    assert e(to_ember(x)).numpy().tolist() == x.tolist()
    fn = F.alpha_dropout if name == "AlphaDropout" else F.feature_alpha_dropout
    tfn = TF.alpha_dropout if name == "AlphaDropout" else TF.feature_alpha_dropout
    xe = to_ember(x)
    assert fn(xe, 0.4) is xe and fn(xe, 0.0, True) is xe  # eval by default; p = 0
    check_op(lambda x: fn(x, 1.0, True), lambda x: tfn(x, 1.0, True), x)
    assert_same_error(lambda: fn(xe, -0.1, True), lambda: tfn(to_torch(x), -0.1, True))
    ints = np.ones((2, 3), dtype=np.int64)
    assert_same_error(lambda: fn(to_ember(ints), 0.5, True), lambda: tfn(to_torch(ints), 0.5, True))


def test_feature_alpha_dropout_needs_two_dimensions_like_torch():
    x = R.standard_normal(5)
    assert_same_error(lambda: F.feature_alpha_dropout(to_ember(x), 0.5, True),
                      lambda: TF.feature_alpha_dropout(to_torch(x), 0.5, True))


def _affine_map(p):
    a = 1.0 / math.sqrt((SELU_SATURATION ** 2 * p + 1) * (1 - p))
    return a, SELU_SATURATION * a * p, -SELU_SATURATION * a + SELU_SATURATION * a * p


@pytest.mark.parametrize("feature", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_alpha_dropout_kept_and_dropped_values_follow_torchs_affine_map(feature, dtype):
    p = 0.3
    x = R.standard_normal((4, 5, 6, 3)).astype(dtype)
    fn = F.feature_alpha_dropout if feature else F.alpha_dropout
    tfn = TF.feature_alpha_dropout if feature else TF.alpha_dropout
    torch.manual_seed(0)
    t_out = tfn(to_torch(x), p, True).numpy()
    e_in = to_ember(x, requires_grad=True)
    e_out = fn(e_in, p, True)
    a, b, dropped = _affine_map(p)
    for out in (t_out, e_out.detach().numpy()):
        kept = np.isclose(out, a * x + b, rtol=1e-5, atol=1e-6)
        assert np.all(kept | np.isclose(out, dropped, rtol=1e-5))
        if feature:  # one decision per (sample, channel)
            assert np.all(kept.all(axis=(2, 3)) | ~kept.any(axis=(2, 3)))
    assert e_out.dtype == e_in.dtype and e_out.grad_fn.name() == "AddBackward0"
    e_out.backward(ember.ones_like(e_out))
    kept = np.isclose(e_out.detach().numpy(), a * x + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e_in.grad.numpy(), np.where(kept, a, 0.0), rtol=1e-6)


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_statistics_match_torch(feature):
    p, shape = 0.2, (200, 100, 5) if feature else (200, 500)
    x = R.standard_normal(shape).astype(np.float32)
    fn = F.feature_alpha_dropout if feature else F.alpha_dropout
    tfn = TF.feature_alpha_dropout if feature else TF.alpha_dropout
    ember.manual_seed(1)
    e_out = fn(to_ember(x), p, True).numpy()
    t_out = tfn(to_torch(x), p, True).numpy()
    for out in (e_out, t_out):  # zero mean, unit variance kept; about p dropped
        assert abs(out.mean()) < 0.03 and abs(out.std() - 1) < 0.03
    _, _, dropped = _affine_map(p)
    rates = [np.isclose(o, dropped).mean() for o in (e_out, t_out)]
    assert abs(rates[0] - p) < 0.02 and abs(rates[1] - p) < 0.02


def test_alpha_dropout_inplace_writes_into_the_input():
    x = ember.from_numpy(R.standard_normal((3, 4)))
    before = x.numpy().copy()
    out = F.alpha_dropout(x, 0.5, True, inplace=True)
    assert out is x
    a, b, dropped = _affine_map(0.5)
    got = x.numpy()
    assert np.all(np.isclose(got, a * before + b) | np.isclose(got, dropped))
    F.alpha_dropout(x, 1.0, True, inplace=True)
    assert not x.numpy().any()
