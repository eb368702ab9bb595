"""Hardswish, Hardsigmoid, the shrinks, Threshold, PReLU, GLU and RReLU against PyTorch."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same_error, check_op, gradcheck_op, grad_fn_names, rng

from ._compare import torch_text

torch = pytest.importorskip("torch")
TF = torch.nn.functional

R = rng(11)
# Both sides of every kink (+-3 for the hard ones, +-0.5 and +-1 for the shrinks and
# thresholds), the kinks themselves, and large magnitudes.
X = np.concatenate([R.uniform(-4, 4, 16), [0.0, -0.0, 3.0, -3.0, 0.5, -0.5, 1.0, -1.0,
                                           2.999, -2.999, 0.501, -0.501, 1e3, -1e3, 1e-3,
                                           -1e-3]]).reshape(4, 8).astype(np.float32)
X_SMOOTH = R.uniform(0.6, 2.8, (3, 4)) * R.choice([-1.0, 1.0], (3, 4))  # away from kinks

MODULES = [
    ("Hardswish", {}), ("Hardsigmoid", {}), ("Softshrink", {}), ("Softshrink", {"lambd": 1.0}),
    ("Hardshrink", {}), ("Hardshrink", {"lambd": 1}), ("Threshold", {"threshold": 0.5,
                                                                     "value": -7.0}),
    ("Threshold", {"threshold": -1, "value": 20}), ("PReLU", {}),
    ("PReLU", {"num_parameters": 8, "init": 0.1}), ("GLU", {}), ("GLU", {"dim": 0}),
    ("RReLU", {}), ("RReLU", {"lower": 0.1, "upper": 0.3}), ("Softmin", {"dim": 1}),
    ("LogSigmoid", {}),
]


@pytest.mark.parametrize("name,kwargs", MODULES)
def test_module_matches_torch(name, kwargs):
    em, tm = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    em.eval(), tm.eval()  # RReLU: the fixed mean slope
    assert repr(em) == torch_text(repr(tm))
    # Parameters are compared on their own (check_op only takes the inputs' gradients).
    check_op(em, tm, X, dtypes=["float32"], layouts_=("contiguous", "transposed"))
    check_op(em.double(), tm.double(), X, dtypes=["float64"], layouts_=("contiguous",))


INPLACE = [("Hardswish", {}), ("Hardsigmoid", {}), ("Threshold", {"threshold": 0.5,
                                                                   "value": 2.0}),
           ("RReLU", {"lower": 0.2, "upper": 0.4})]


@pytest.mark.parametrize("name,kwargs", INPLACE)
def test_inplace_module_matches_torch(name, kwargs):
    em = getattr(nn, name)(inplace=True, **kwargs).eval()
    tm = getattr(torch.nn, name)(inplace=True, **kwargs).eval()
    assert repr(em) == torch_text(repr(tm))
    check_op(lambda x: em(x * 1), lambda x: tm(x * 1), X, layouts_=("contiguous",))
    e = ember.tensor(X) * 1
    assert em(e) is e
    assert_same_error(lambda: em(ember.tensor(X, requires_grad=True)),
                      lambda: tm(torch.tensor(X, requires_grad=True)))


@pytest.mark.parametrize("name,args", [("threshold_", (0.5, -1.0)), ("rrelu_", ())])
def test_inplace_functions_match_torch(name, args):
    check_op(lambda x: getattr(F, name)(x * 1, *args),
             lambda x: getattr(TF, name)(x * 1, *args), X, layouts_=("contiguous",))
    e = ember.tensor(X)
    assert getattr(F, name)(e, *args) is e
    np.testing.assert_allclose(e.numpy(), getattr(TF, name)(torch.tensor(X), *args).numpy())


SHAPED = [("hardswish", ()), ("hardsigmoid", ()), ("softshrink", (0.7,)),
          ("hardshrink", (0.7,)), ("threshold", (0.3, 5.0)), ("rrelu", ()),
          ("logsigmoid", ())]


@pytest.mark.parametrize("shape", [(), (1,), (0,), (2, 3, 4)])
@pytest.mark.parametrize("name,args", SHAPED)
def test_functions_over_shapes(name, args, shape):
    x = R.uniform(-4, 4, shape).astype(np.float32)
    check_op(lambda t: getattr(F, name)(t, *args), lambda t: getattr(TF, name)(t, *args), x,
             dtypes=["float32", "float64"], layouts_=("contiguous",))


@pytest.mark.parametrize("name,args", SHAPED + [("glu", ()), ("prelu", (0.25,))])
def test_gradcheck_away_from_kinks(name, args):
    if name == "prelu":
        w = np.array([0.25, -0.5, 2.0, 0.1])
        gradcheck_op(F.prelu, X_SMOOTH, w)
        return
    gradcheck_op(lambda x: getattr(F, name)(x, *args), X_SMOOTH)


# torch's vectorised loops and scalar tails disagree on a few gradients at NaN (hardswish:
# NaN vs 1; the shrinks in float32: 0 vs 1). ember follows the vectorised loops, which is
# what every element goes through when the length is a multiple of the vector block (sizes
# 32 and 1024 here); other lengths leave a tail, where torch itself answers differently.
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 3.0, -3.0, 0.5, -0.5, 1.0, -1.0, 7.0])
NAN_CASES = SHAPED[:-1] + [("prelu", ())]


@pytest.mark.parametrize("size", [32, 1024])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args", NAN_CASES)
def test_nan_and_infinities_match_torch(name, args, size, dtype):
    values = np.resize(SPECIAL, size).astype(dtype)
    upstream = np.arange(1, size + 1, dtype=dtype)
    ex = ember.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    if name == "prelu":
        ey = F.prelu(ex, ember.tensor([0.25], dtype=ex.dtype))
        ty = TF.prelu(tx, torch.tensor([0.25], dtype=tx.dtype))
    else:
        ey, ty = getattr(F, name)(ex, *args), getattr(TF, name)(tx, *args)
    ey.backward(ember.tensor(upstream))
    ty.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(ey.detach().numpy(), ty.detach().numpy())
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["hardswish", "glu"])
def test_double_backward_matches_torch(name):
    e = ember.tensor(X_SMOOTH, requires_grad=True)
    t = torch.tensor(X_SMOOTH, requires_grad=True)
    (ge,) = ember.autograd.grad(getattr(F, name)(e).sum(), e, create_graph=True)
    (gt,) = torch.autograd.grad(getattr(TF, name)(t).sum(), t, create_graph=True)
    (gge,) = ember.autograd.grad((ge * ge).sum(), e)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), t)
    np.testing.assert_allclose(gge.numpy(), ggt.numpy(), rtol=1e-8, atol=1e-12)


def test_inplace_hardswish_double_backward_matches_torch():
    e = ember.tensor(X_SMOOTH, requires_grad=True)
    t = torch.tensor(X_SMOOTH, requires_grad=True)
    (ge,) = ember.autograd.grad(F.hardswish(e * 2, inplace=True).sum(), e, create_graph=True)
    (gt,) = torch.autograd.grad(TF.hardswish(t * 2, inplace=True).sum(), t, create_graph=True)
    np.testing.assert_allclose(ge.detach().numpy(), gt.detach().numpy(), rtol=1e-10)
    (gge,) = ember.autograd.grad((ge * ge).sum(), e)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), t)
    np.testing.assert_allclose(gge.numpy(), ggt.numpy(), rtol=1e-8, atol=1e-12)


# -- prelu ---------------------------------------------------------------------------------
def test_prelu_parameter_matches_torch():
    em, tm = nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert [n for n, _ in em.named_parameters()] == ["weight"]
    assert tuple(em.weight.shape) == (3,) and em.weight.dtype == ember.float32
    np.testing.assert_array_equal(em.weight.detach().numpy(), tm.weight.detach().numpy())
    assert nn.PReLU(dtype=ember.float64).weight.dtype == ember.float64
    assert em.num_parameters == 3 and em.init == 0.1


@pytest.mark.parametrize("xshape,wshape", [((2, 3, 4), (3,)), ((2, 3), (3,)), ((2, 3), (1,)),
                                           ((5,), (1,)), ((), (1,)), ((), ()),
                                           ((2, 3, 2, 2), ()), ((2, 3, 2, 2), (3,))])
def test_prelu_weight_broadcasts_over_channel_dim(xshape, wshape):
    x = R.uniform(-3, 3, xshape).astype(np.float32)
    w = R.uniform(-1, 1, wshape).astype(np.float32)
    check_op(F.prelu, TF.prelu, x, w, dtypes=["float32", "float64"],
             layouts_=("contiguous", "transposed"))
    ey = F.prelu(ember.tensor(x), ember.tensor(w, requires_grad=True))
    ty = TF.prelu(torch.tensor(x), torch.tensor(w, requires_grad=True))
    assert grad_fn_names(ey, 1) == grad_fn_names(ty, 1)


@pytest.mark.parametrize("xshape,wshape,wdtype", [
    ((2, 3), (2,), "float32"), ((3,), (3,), "float32"), ((2, 3), (3, 1), "float32"),
    ((2, 3), (3,), "float64")])
def test_prelu_bad_weight_matches_torch_error(xshape, wshape, wdtype):
    x, w = np.zeros(xshape, np.float32), np.zeros(wshape, wdtype)
    assert_same_error(lambda: F.prelu(ember.tensor(x), ember.tensor(w)),
                      lambda: TF.prelu(torch.tensor(x), torch.tensor(w)))
    if len(wshape) == 1 and wdtype == "float32":
        assert_same_error(lambda: nn.PReLU(wshape[0])(ember.tensor(x)),
                          lambda: torch.nn.PReLU(wshape[0])(torch.tensor(x)))


def test_prelu_weight_learns_like_torch():
    em, tm = nn.PReLU(4), torch.nn.PReLU(4)
    x = R.uniform(-3, 3, (5, 4, 3)).astype(np.float32)
    em(ember.tensor(x)).pow(2).sum().backward()
    tm(torch.tensor(x)).pow(2).sum().backward()
    np.testing.assert_allclose(em.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-5)


# -- glu -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_glu_dims_match_torch(dim):
    check_op(lambda x: F.glu(x, dim), lambda x: TF.glu(x, dim), X,
             dtypes=["float32", "float64"])


@pytest.mark.parametrize("shape,dim", [((2, 3), -1), ((3, 2), 0), ((), -1), ((2, 2), 2)])
def test_glu_bad_input_matches_torch_error(shape, dim):
    x = np.zeros(shape, np.float32)
    assert_same_error(lambda: F.glu(ember.tensor(x), dim), lambda: TF.glu(torch.tensor(x), dim))


# -- rrelu ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_rrelu_training_draws_slopes_in_bounds(dtype):
    ember.manual_seed(0)
    x = ember.tensor(np.resize(X, (40, 50)), dtype=dtype, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    assert y.dtype == dtype and y.grad_fn.name() == "RreluWithNoiseBackward0"
    y.backward(ember.ones_like(y))
    xd, yd, g = x.detach().numpy(), y.detach().numpy(), x.grad.numpy()
    neg = xd < 0
    slopes = yd[neg] / xd[neg]
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6
    assert slopes.std() > 0.03  # random, not the fixed mean slope
    np.testing.assert_allclose(g[neg], slopes, rtol=1e-5)  # the gradient is the drawn slope
    np.testing.assert_array_equal(yd[xd > 0], xd[xd > 0])
    np.testing.assert_array_equal(g[xd > 0], 1)


def test_rrelu_training_follows_ember_seed():
    x = ember.tensor(-np.ones(100, np.float32))
    ember.manual_seed(5)
    a = F.rrelu(x, training=True)
    ember.manual_seed(5)
    b = nn.RReLU().train()(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), F.rrelu(x, training=True).numpy())


def test_rrelu_module_eval_vs_train():
    m = nn.RReLU(0.2, 0.4)
    x = ember.tensor(-np.ones(200, np.float32))
    assert np.unique(m.eval()(x).numpy()).tolist() == pytest.approx([-0.3])
    assert len(np.unique(m.train()(x).numpy())) > 100


@pytest.mark.parametrize("training", [False, True])
def test_rrelu_bad_bounds_and_dtype_match_torch_error(training):
    assert_same_error(lambda: F.rrelu(ember.zeros(2), 0.5, 0.1, training),
                      lambda: TF.rrelu(torch.zeros(2), 0.5, 0.1, training))
    assert_same_error(lambda: F.rrelu(ember.tensor([1, 2]), training=training),
                      lambda: TF.rrelu(torch.tensor([1, 2]), training=training))


# -- errors and dtypes ---------------------------------------------------------------------
@pytest.mark.parametrize("name,args", SHAPED[:-2] + [("glu", ()), ("logsigmoid", ())])
@pytest.mark.parametrize("data", [[1, -2], [True, False]])
def test_integer_and_bool_inputs_match_torch(name, args, data):
    check_op(lambda t: getattr(F, name)(t, *args), lambda t: getattr(TF, name)(t, *args),
             np.array(data), layouts_=("contiguous",))


def test_threshold_keeps_integer_dtype_like_torch():
    x = np.array([-4, 1, 5, 0])
    for args in [(1, 7), (0.5, 7.5), (0, -2)]:
        check_op(lambda t, a=args: F.threshold(t, *a), lambda t, a=args: TF.threshold(t, *a), x,
                 layouts_=("contiguous",))


@pytest.mark.parametrize("lambd,dtype", [(-1.0, "float32"), (-0.5, "float64"),
                                         (1e39, "float32")])
def test_softshrink_bad_lambda_matches_torch_error(lambd, dtype):
    x = np.zeros(2, dtype)
    assert_same_error(lambda: F.softshrink(ember.tensor(x), lambd),
                      lambda: TF.softshrink(torch.tensor(x), lambd))


def test_hardshrink_negative_lambda_is_identity_like_torch():
    check_op(lambda x: F.hardshrink(x, -1.0), lambda x: TF.hardshrink(x, -1.0), X)


def test_exports():
    for name in ["hardswish", "hardsigmoid", "softshrink", "hardshrink", "threshold",
                 "threshold_", "prelu", "glu", "rrelu", "rrelu_", "softmin", "logsigmoid"]:
        assert name in F.__all__ and callable(getattr(F, name))
    for name in ["Hardswish", "Hardsigmoid", "Softshrink", "Hardshrink", "Threshold", "PReLU",
                 "GLU", "RReLU"]:
        assert issubclass(getattr(nn, name), nn.Module)
