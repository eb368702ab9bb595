"""Activation layers and functions against PyTorch: values, gradients, grad_fn, reprs."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same_error, check_op, gradcheck_op, rng

from ._compare import torch_text

torch = pytest.importorskip("torch")

R = rng(3)
# Values on both sides of every kink, plus large magnitudes (softplus threshold, overflow).
X = np.concatenate([R.uniform(-3, 3, 22), [0.0, 1e-3, -1e-3, 6.0, -1.0, 1.0, 25.0, -25.0,
                                             80.0, -80.0]]).reshape(4, 8).astype(np.float32)
X_SMOOTH = R.uniform(-3, 3, (3, 4))  # away from kinks, for central differences

MODULES = [
    ("ReLU", {}), ("ReLU6", {}), ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.2}),
    ("ELU", {}), ("ELU", {"alpha": 0.5}), ("CELU", {"alpha": 2.0}), ("SELU", {}),
    ("GELU", {}), ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Mish", {}),
    ("Sigmoid", {}), ("Tanh", {}), ("Softplus", {}), ("Softplus", {"beta": 2, "threshold": 5}),
    ("Hardtanh", {}), ("Hardtanh", {"min_val": -2.0, "max_val": 0.5}), ("Softmax", {"dim": 1}),
    ("Softmax", {"dim": 0}), ("LogSoftmax", {"dim": 1}), ("LogSoftmax", {"dim": -1}),
    ("Softmin", {"dim": 1}), ("LogSigmoid", {}), ("Softsign", {}), ("Tanhshrink", {}),
]


@pytest.mark.parametrize("name,kwargs", MODULES)
def test_module_matches_torch(name, kwargs):
    em, tm = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(em) == torch_text(repr(tm))
    check_op(em, tm, X, dtypes=["float32", "float64"], layouts_=("contiguous", "transposed"))


INPLACE = [("ReLU", {}), ("ReLU6", {}), ("LeakyReLU", {"negative_slope": 0.1}),
           ("ELU", {"alpha": 0.7}), ("SiLU", {}), ("Mish", {}), ("Hardtanh", {}),
           ("SELU", {}), ("CELU", {})]


@pytest.mark.parametrize("name,kwargs", INPLACE)
def test_inplace_module_matches_torch(name, kwargs):
    em = getattr(nn, name)(inplace=True, **kwargs)
    tm = getattr(torch.nn, name)(inplace=True, **kwargs)
    assert repr(em) == torch_text(repr(tm))
    # In place on a non-leaf: the result is the input tensor, and gradients still flow.
    check_op(lambda x: em(x * 1), lambda x: tm(x * 1), X, layouts_=("contiguous",),
             check_grad_fn=False)
    e = ember.tensor(X) * 1
    assert em(e) is e


def test_inplace_on_leaf_requiring_grad_is_refused():
    assert_same_error(lambda: F.relu(ember.tensor(X, requires_grad=True), inplace=True),
                      lambda: torch.nn.functional.relu(torch.tensor(X, requires_grad=True),
                                                       inplace=True))
    assert_same_error(lambda: F.leaky_relu(ember.tensor(X, requires_grad=True), inplace=True),
                      lambda: torch.nn.functional.leaky_relu(
                          torch.tensor(X, requires_grad=True), inplace=True))


FUNCTIONS = ["relu", "relu6", "elu", "selu", "celu", "leaky_relu", "gelu", "silu", "mish",
             "softplus", "hardtanh", "sigmoid", "tanh", "logsigmoid", "softsign", "tanhshrink"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_gradcheck_float64(name):
    fn = getattr(F, name)
    gradcheck_op(fn, X_SMOOTH)


@pytest.mark.parametrize("name", ["gelu", "silu", "mish", "softplus", "elu", "logsigmoid",
                                  "selu", "celu"])
def test_double_backward_matches_torch(name):
    ef, tf = getattr(F, name), getattr(torch.nn.functional, name)
    e = ember.tensor(X_SMOOTH, requires_grad=True)
    t = torch.tensor(X_SMOOTH, requires_grad=True)
    (ge,) = ember.autograd.grad(ef(e).sum(), e, create_graph=True)
    (gt,) = torch.autograd.grad(tf(t).sum(), t, create_graph=True)
    np.testing.assert_allclose(ge.detach().numpy(), gt.detach().numpy(), rtol=1e-10)
    (gge,) = ember.autograd.grad((ge * ge).sum(), e)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), t)
    np.testing.assert_allclose(gge.numpy(), ggt.numpy(), rtol=1e-8, atol=1e-12)


def test_gelu_tanh_double_backward_matches_torch():
    e = ember.tensor(X_SMOOTH, requires_grad=True)
    t = torch.tensor(X_SMOOTH, requires_grad=True)
    (ge,) = ember.autograd.grad(F.gelu(e, approximate="tanh").sum(), e, create_graph=True)
    (gt,) = torch.autograd.grad(torch.nn.functional.gelu(t, approximate="tanh").sum(), t,
                                create_graph=True)
    (gge,) = ember.autograd.grad(ge.sum(), e)
    (ggt,) = torch.autograd.grad(gt.sum(), t)
    np.testing.assert_allclose(gge.numpy(), ggt.numpy(), rtol=1e-8, atol=1e-12)


def test_softmax_stable_for_huge_logits():
    big = np.array([[1e4, -1e4, 0.0], [3e4, 3e4, 3e4]], dtype=np.float32)
    for fn in ("softmax", "log_softmax"):
        check_op(lambda x, f=fn: getattr(F, f)(x, dim=1),
                 lambda x, f=fn: getattr(torch.nn.functional, f)(x, dim=1), big,
                 layouts_=("contiguous",))
    out = F.log_softmax(ember.tensor(big), dim=1)
    assert np.isfinite(out.numpy()).all()


def test_implicit_softmax_dim_warns_like_torch():
    a = R.standard_normal((2, 3, 4)).astype(np.float32)
    for name in ("softmax", "log_softmax", "softmin"):
        with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
            e = getattr(F, name)(ember.tensor(a))
        with pytest.warns(UserWarning):
            t = getattr(torch.nn.functional, name)(torch.tensor(a))
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    assert repr(nn.Softmax()) == "Softmax(dim=None)"


def test_gelu_rejects_unknown_approximation():
    assert_same_error(lambda: F.gelu(ember.zeros(2), approximate="erf"),
                      lambda: torch.nn.functional.gelu(torch.zeros(2), approximate="erf"))


def test_module_softmax_dtype_kept():
    x = ember.tensor(X)
    assert nn.Softmax(dim=1)(x).dtype == ember.float32
    assert nn.GELU()(x.double()).dtype == ember.float64


def test_stateless_modules_ignore_arguments():
    assert repr(nn.Sigmoid(1, a=2)) == "Sigmoid()"
    assert repr(nn.Tanh()) == "Tanh()"


# ReLU's gradient at NaN passes through, as in PyTorch, whose backward zeroes it only where
# the output is <= 0 (false for NaN) for arrays of every length. (Its hardtanh and elu
# family give different answers at NaN in their vectorised loops and in their scalar tails,
# so there is no one behaviour to compare with.)
@pytest.mark.parametrize("name,kwargs", [("ReLU", {}), ("LeakyReLU", {}),
                                         ("LeakyReLU", {"negative_slope": 0.2})])
@pytest.mark.parametrize("size", [8, 1000])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradient_at_nan_and_infinities_matches_torch(name, kwargs, size, dtype):
    values = np.resize(np.array([np.nan, -1.0, 2.0, 0.0, 7.0, np.inf, -np.inf, -0.0],
                                dtype=dtype), size)
    upstream = np.arange(1, size + 1, dtype=dtype)
    ex = ember.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    ey, ty = getattr(nn, name)(**kwargs)(ex), getattr(torch.nn, name)(**kwargs)(tx)
    ey.backward(ember.tensor(upstream))
    ty.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(ey.detach().numpy(), ty.detach().numpy())
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


def test_relu_gradient_at_nan_under_create_graph_matches_torch():
    values = np.array([np.nan, -1.0, 2.0, 0.0], dtype=np.float64)
    ex = ember.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    (eg,) = ember.autograd.grad(ember.relu(ex).sum(), ex, create_graph=True)
    (tg,) = torch.autograd.grad(torch.relu(tx).sum(), tx, create_graph=True)
    np.testing.assert_array_equal(eg.detach().numpy(), tg.detach().numpy())


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
                                  "softplus", "logsigmoid"])
def test_integer_input_is_refused_as_in_torch(name):
    assert_same_error(lambda: getattr(F, name)(ember.tensor([1, 2])),
                      lambda: getattr(torch.nn.functional, name)(torch.tensor([1, 2])))
