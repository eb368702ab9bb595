"""Embedding, pad, interpolate, Upsample and Dropout2d against PyTorch."""

import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same_error, check_op, gradcheck_op, rng

from ._compare import assert_close, copy_params, numpy_of, torch_text

torch = pytest.importorskip("torch")
TF = torch.nn.functional
R = rng(13)
LAYOUTS = ("contiguous", "transposed")


# -- embedding -----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1},
                                    {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}])
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 2, 3), ()])
def test_embedding_matches_torch(shape, kwargs):
    idx = R.integers(0, 6, shape)
    idx.reshape(-1)[:2] = 2  # repeated indices accumulate their gradients
    weight = R.standard_normal((6, 3))
    check_op(lambda i, w: F.embedding(i, w, **kwargs), lambda i, w: TF.embedding(i, w, **kwargs),
             idx, weight, dtypes=[("int64", "float32"), ("int32", "float64")])


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalizes_like_torch(norm_type):
    weight = R.standard_normal((8, 4)) * 2
    idx = np.array([[1, 3, 3], [5, 1, 0]])
    we, wt = ember.from_numpy(weight.copy()), torch.from_numpy(weight.copy())
    out_e = F.embedding(ember.from_numpy(idx), we, max_norm=1.5, norm_type=norm_type)
    out_t = TF.embedding(torch.from_numpy(idx), wt, max_norm=1.5, norm_type=norm_type)
    assert_close(out_e, out_t)
    assert_close(we, wt)  # rows looked up were rescaled in place, the others kept


def test_embedding_module():
    ember.manual_seed(0)
    e = nn.Embedding(1000, 16, padding_idx=3)
    t = torch.nn.Embedding(1000, 16, padding_idx=3)
    assert repr(e) == repr(t) and list(e.state_dict()) == ["weight"]
    w = numpy_of(e.weight)
    assert np.all(w[3] == 0) and w.dtype == np.float32
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02   # N(0, 1) initialization
    copy_params(t, e)
    idx = R.integers(0, 1000, (5, 7))
    check_op(e, t, idx, layouts_=("contiguous",))
    for kwargs in ({"padding_idx": -1, "max_norm": 1.0, "norm_type": 1.0,
                    "scale_grad_by_freq": True, "sparse": True}, {}):
        assert repr(nn.Embedding(10, 3, **kwargs)) == repr(torch.nn.Embedding(10, 3, **kwargs))


def test_embedding_from_pretrained():
    table = R.standard_normal((4, 2)).astype(np.float32)
    e = nn.Embedding.from_pretrained(ember.from_numpy(table))
    t = torch.nn.Embedding.from_pretrained(torch.from_numpy(table))
    assert repr(e) == repr(t) and e.weight.requires_grad is False
    assert_close(e(ember.tensor([3, 0])), t(torch.tensor([3, 0])))
    assert nn.Embedding.from_pretrained(ember.from_numpy(table), freeze=False).weight.requires_grad


weights = np.zeros((5, 3))


@pytest.mark.parametrize("call", [
    lambda F, f: F.embedding(f(np.array([1.0])), f(weights)),
    lambda F, f: F.embedding(f(np.array([7])), f(weights)),
    lambda F, f: F.embedding(f(np.array([1])), f(weights), padding_idx=7),
    lambda F, f: F.embedding(f(np.array([1])), f(weights), padding_idx=-7),
])
def test_embedding_errors_match_torch(call):
    assert_same_error(lambda: call(F, ember.from_numpy), lambda: call(TF, torch.from_numpy))


# -- pad -------------------------------------------------------------------------------------
X = R.standard_normal((2, 3, 4, 5))
PADS = {
    "constant": [(1, 2), (1, 2, 0, 1), (2, -1, -1, 2), (1, 1, 1, 1, 1, 1, 1, 1), (-2, -1)],
    "reflect": [(1, 2, 0, 1), (3, 3, 3, 3), (2, 0, 1, 3)],
    "replicate": [(1, 2, 0, 1), (3, 3, 3, 3), (4, 0, 0, 5)],
    "circular": [(1, 2, 0, 1), (2, -1, -1, 2), (3, 3, 3, 3), (-2, -1, 1, 0)],
}


@pytest.mark.parametrize("mode,pad", [(m, p) for m, ps in PADS.items() for p in ps])
def test_pad_matches_torch(mode, pad):
    check_op(lambda x: F.pad(x, pad, mode), lambda x: TF.pad(x, pad, mode=mode), X,
             dtypes=["float32", "float64"], layouts_=LAYOUTS)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_other_ranks_match_torch(mode):
    check_op(lambda x: F.pad(x, (1, 2), mode), lambda x: TF.pad(x, (1, 2), mode=mode), X[0, 0],
             layouts_=("contiguous",))
    check_op(lambda x: F.pad(x, (1, 1, 1, 1, 1, 1), mode),
             lambda x: TF.pad(x, (1, 1, 1, 1, 1, 1), mode=mode), X, layouts_=("contiguous",))


def test_pad_constant_value_and_integers_match_torch():
    check_op(lambda x: F.pad(x, (1, 2), value=2.5), lambda x: TF.pad(x, (1, 2), value=2.5), X)
    ints = R.integers(-5, 5, (2, 3))
    check_op(lambda x: F.pad(x, (1, 1), value=2.5), lambda x: TF.pad(x, (1, 1), value=2.5), ints)


@pytest.mark.parametrize("call", [
    lambda F, f: F.pad(f(X), (1, 1), mode="reflect"),
    lambda F, f: F.pad(f(X), (5, 5, 0, 0), mode="reflect"),
    lambda F, f: F.pad(f(X), (6, 6, 0, 0), mode="circular"),
    lambda F, f: F.pad(f(X), (1, 1, 1)),
    lambda F, f: F.pad(f(X), (1,) * 10),
    lambda F, f: F.pad(f(X), (1, 1), mode="foo"),
])
def test_pad_errors_match_torch(call):
    assert_same_error(lambda: call(F, ember.from_numpy), lambda: call(TF, torch.from_numpy))


# -- interpolate -----------------------------------------------------------------------------
RESIZE = [{"scale_factor": 2}, {"scale_factor": 1.7}, {"size": (7, 3)},
          {"scale_factor": (0.5, 3)}, {"scale_factor": 1.7, "recompute_scale_factor": True},
          {"scale_factor": 1 / 3}, {"size": 1}]


@pytest.mark.parametrize("kwargs", RESIZE)
@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", False),
                                        ("bilinear", True)])
def test_interpolate_2d_matches_torch(mode, align, kwargs):
    check_op(lambda x: F.interpolate(x, mode=mode, align_corners=align, **kwargs),
             lambda x: TF.interpolate(x, mode=mode, align_corners=align, **kwargs), X,
             dtypes=["float32", "float64"], layouts_=LAYOUTS)


@pytest.mark.parametrize("kwargs", [{"scale_factor": 2.5}, {"size": 9}, {"size": 2}])
@pytest.mark.parametrize("mode,align", [("nearest", None), ("linear", False), ("linear", True)])
def test_interpolate_1d_matches_torch(mode, align, kwargs):
    check_op(lambda x: F.interpolate(x, mode=mode, align_corners=align, **kwargs),
             lambda x: TF.interpolate(x, mode=mode, align_corners=align, **kwargs), X[0],
             layouts_=("contiguous",))


@pytest.mark.parametrize("mode", ["nearest", "trilinear"])
def test_interpolate_3d_matches_torch(mode):
    check_op(lambda x: F.interpolate(x, size=(2, 5, 7), mode=mode),
             lambda x: TF.interpolate(x, size=(2, 5, 7), mode=mode), X[None],
             layouts_=("contiguous",))


@pytest.mark.parametrize("call", [
    lambda F, f: F.interpolate(f(X), scale_factor=2, align_corners=True),
    lambda F, f: F.interpolate(f(X), scale_factor=2, mode="linear"),
    lambda F, f: F.interpolate(f(X[0]), scale_factor=2, mode="bilinear"),
    lambda F, f: F.interpolate(f(X)),
    lambda F, f: F.interpolate(f(X), size=3, scale_factor=2),
    lambda F, f: F.interpolate(f(X), scale_factor=(2, 3, 4)),
    lambda F, f: F.interpolate(f(X), size=(2, 3, 4)),
    lambda F, f: F.interpolate(f(X), scale_factor=2, mode="foo"),
])
def test_interpolate_errors_match_torch(call):
    assert_same_error(lambda: call(F, ember.from_numpy), lambda: call(TF, torch.from_numpy))


@pytest.mark.parametrize("kwargs", [{"scale_factor": 2}, {"size": (3, 4), "mode": "bilinear",
                                                          "align_corners": True},
                                    {"scale_factor": (2, 3)}, {"size": 5, "mode": "bilinear"}])
def test_upsample_module(kwargs):
    e, t = nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
    assert repr(e) == torch_text(repr(t))
    check_op(e, t, X.astype(np.float32), layouts_=("contiguous",))
    for cls in ("UpsamplingNearest2d", "UpsamplingBilinear2d"):
        e, t = getattr(nn, cls)(scale_factor=2), getattr(torch.nn, cls)(scale_factor=2)
        assert repr(e) == repr(t)
        check_op(e, t, X, layouts_=("contiguous",))


@pytest.mark.parametrize("fn", [
    lambda x: F.pad(x, (1, 2, 2, 0), "reflect"), lambda x: F.pad(x, (1, 2, 2, 0), "replicate"),
    lambda x: F.pad(x, (1, 2, 2, -1), "circular"), lambda x: F.pad(x, (1, -1, 2, 0)),
    lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"),
    lambda x: F.interpolate(x, size=(4, 2), mode="bilinear", align_corners=True),
    lambda x: F.interpolate(x, scale_factor=2),
])
def test_gradcheck(fn):
    gradcheck_op(fn, R.standard_normal((1, 2, 3, 3)))


def test_gradcheck_embedding():
    idx = ember.tensor([[0, 2], [2, 3]])
    gradcheck_op(lambda w: F.embedding(idx, w), R.standard_normal((4, 2)))


# -- channel dropout -----------------------------------------------------------------------
def test_dropout2d_zeroes_whole_channels():
    ember.manual_seed(0)
    x = ember.ones(16, 32, 3, 3, requires_grad=True)
    out = F.dropout2d(x, p=0.25)
    vals = numpy_of(out).reshape(16 * 32, 9)
    per_channel = vals[:, 0]
    assert np.all(vals == per_channel[:, None])            # one draw per channel
    assert set(np.unique(per_channel)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.15 < np.mean(per_channel == 0) < 0.35
    out.sum().backward()
    np.testing.assert_array_equal(numpy_of(x.grad), numpy_of(out))
    assert out.grad_fn.name() == "MulBackward0" and out.dtype == ember.float32


def test_dropout2d_identity_cases_and_errors():
    x = ember.randn(2, 3, 4, 4, requires_grad=True)
    assert F.dropout2d(x, training=False) is x and F.dropout2d(x, p=0.0) is x
    zero = F.dropout2d(x, p=1.0)
    assert zero.abs().sum().item() == 0 and zero.grad_fn.name() == "MulBackward0"
    assert_same_error(lambda: F.dropout2d(x, p=1.5),
                      lambda: TF.dropout2d(torch.zeros(1, 1, 1, 1), p=1.5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        F.dropout2d(ember.ones(6, 3, 3))
    assert "Received a 3D input to dropout2d" in str(caught[0].message)


def test_dropout2d_module():
    e, t = nn.Dropout2d(0.3), torch.nn.Dropout2d(0.3)
    assert repr(e) == repr(t) and repr(nn.Dropout1d()) == repr(torch.nn.Dropout1d())
    e.eval()
    x = ember.randn(2, 3, 4, 4)
    assert e(x) is x
    e.train()
    y = e(ember.ones(8, 64, 2, 2))
    kept = numpy_of(y)[:, :, 0, 0]
    assert np.all((kept == 0) | np.isclose(kept, 1 / 0.7))
    one_d = nn.Dropout1d(0.5)(ember.ones(4, 8, 5))
    assert np.all(numpy_of(one_d) == numpy_of(one_d)[:, :, :1])


def test_constant_pad_supports_double_backward():
    x = R.standard_normal((2, 3, 4))
    grads = []
    for lib in (ember, torch):
        t = lib.from_numpy(x.copy()).requires_grad_()
        y = lib.nn.functional.pad(t, (1, -1, 2, 0))
        (g,) = lib.autograd.grad((y ** 3).sum(), t, create_graph=True)
        g.sum().backward()
        grads.append(t.grad)
    assert_close(grads[0], grads[1])
