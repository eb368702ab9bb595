"""relu, sigmoid, tanh, softmax and log_softmax against PyTorch."""

from functools import partial

import numpy as np
import pytest
from hypothesis import given

import ember
from helpers import assert_same_error, check_op, float_arrays, gradcheck_op, rng, shapes

torch = pytest.importorskip("torch")

R = rng(4)


def both(fn):
    return partial(fn, ember), partial(fn, torch)


def arr(*shape, scale=2.0, dtype=np.float32):
    return (R.standard_normal(shape) * scale).astype(dtype)


ELEMENTWISE = {
    "relu": lambda L, x: L.relu(x), "sigmoid": lambda L, x: L.sigmoid(x),
    "tanh": lambda L, x: x.tanh(), "relu_method": lambda L, x: x.relu(),
    "sigmoid_method": lambda L, x: x.sigmoid(),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("shape", [(3, 4), (), (2, 3, 5), (0,)], ids=str)
def test_elementwise(name, shape):
    check_op(*both(ELEMENTWISE[name]), arr(*shape), dtypes=["float32", "float64"])


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_elementwise_gradcheck_and_dtypes(name):
    a = arr(3, 4)
    a = np.where(np.abs(a) < 0.05, 0.3, a)  # away from relu's kink
    gradcheck_op(getattr(ember, name), a)
    for dt in ("int64", "uint8", "bool"):
        check_op(*both(ELEMENTWISE[name]), R.integers(0, 3, (5,)).astype(dt))


def test_extreme_inputs_stay_finite():
    a = np.array([-1000.0, -80.0, 0.0, 80.0, 1000.0, np.inf, -np.inf], np.float32)
    for name in ("sigmoid", "tanh", "relu"):
        check_op(*both(ELEMENTWISE[name]), a, requires_grad=False)
    check_op(*both(ELEMENTWISE["sigmoid"]), a[1:4])


def test_relu_at_zero_has_zero_gradient():
    check_op(*both(ELEMENTWISE["relu"]), np.array([-1.0, 0.0, 1.0], np.float32))


@pytest.mark.parametrize("name", ["relu_", "sigmoid_", "tanh_"])
def test_inplace(name):
    a = arr(3, 4)
    outs = []
    for L in (ember, torch):
        x = L.tensor(a)
        assert getattr(x, name)() is x
        outs.append(x)
    check_op(*both(lambda L, x: getattr(x * 1, name)()), a)
    assert_same_error(lambda: getattr(ember.ones(2, requires_grad=True), name)(),
                      lambda: getattr(torch.ones(2, requires_grad=True), name)())
    assert_same_error(lambda: getattr(ember.tensor([True]), name)(),
                      lambda: getattr(torch.tensor([True]), name)())


# -- softmax -------------------------------------------------------------------------------
SOFTMAX = {
    "softmax": lambda L, x, d: L.softmax(x, d), "log_softmax": lambda L, x, d: L.log_softmax(x, d),
    "softmax_method": lambda L, x, d: x.softmax(dim=d),
    "log_softmax_method": lambda L, x, d: x.log_softmax(d),
}


@pytest.mark.parametrize("name", sorted(SOFTMAX))
@pytest.mark.parametrize("shape,dim", [((3, 5), 1), ((3, 5), 0), ((3, 5), -1), ((2, 3, 4), 1),
                                       ((4,), 0), ((), 0), ((), -1), ((2, 0), 1), ((0, 3), 1)],
                         ids=str)
def test_softmax(name, shape, dim):
    fn = SOFTMAX[name]
    check_op(*both(lambda L, x: fn(L, x, dim)), arr(*shape), dtypes=["float32", "float64"])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_gradcheck_stability_and_dtype(name):
    gradcheck_op(lambda x: getattr(ember, name)(x, 1), arr(3, 4))
    big = np.array([[1e4, 0.0, -1e4], [-np.inf, 0.0, 1.0], [5.0, 5.0, 5.0]], np.float32)
    check_op(*both(lambda L, x: getattr(L, name)(x, 1)), big, requires_grad=False)
    all_inf = np.full((1, 3), -np.inf, np.float32)
    check_op(*both(lambda L, x: getattr(L, name)(x, 1)), all_inf, requires_grad=False)
    # dtype=: converted (and recorded) before the softmax; ints need it
    check_op(*both(lambda L, x: getattr(L, name)(x, 0, dtype=L.float64)), arr(4))
    check_op(*both(lambda L, x: getattr(L, name)(x, 0, dtype=L.float32)), np.array([1, 2, 3]))
    assert_same_error(lambda: getattr(ember, name)(ember.tensor([1, 2]), 0),
                      lambda: getattr(torch, name)(torch.tensor([1, 2]), 0))
    assert_same_error(lambda: getattr(ember, name)(ember.ones(2, 3), 2),
                      lambda: getattr(torch, name)(torch.ones(2, 3), 2))
    assert_same_error(lambda: getattr(ember, name)(ember.tensor(1.0), 1),
                      lambda: getattr(torch, name)(torch.tensor(1.0), 1))


@given(float_arrays(shapes(min_dims=1), np.float32, low=-20, high=20))
def test_softmax_hypothesis(a):
    dim = a.ndim - 1
    for name in ("softmax", "log_softmax"):
        check_op(*both(lambda L, x, name=name: getattr(L, name)(x, dim)), a,
                 layouts_=("contiguous", "transposed"), atol=1e-5, rtol=1e-4)


def test_softmax_rows_sum_to_one_in_float32():
    x = ember.randn(4, 7)
    s = ember.softmax(x, 1)
    assert s.dtype is ember.float32
    np.testing.assert_allclose(s.sum(1).numpy(), np.ones(4), rtol=1e-6)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "hardtanh", "relu6"])
def test_piecewise_linear_second_derivative_is_zero_and_recorded(name):
    torch = pytest.importorskip("torch")
    data = np.array([-1.5, -0.2, 0.3, 2.0], dtype=np.float32)
    seen = []
    for L in (ember, torch):
        x = L.tensor(data, requires_grad=True)
        (g,) = L.autograd.grad(getattr(L.nn.functional, name)(x).sum(), x, create_graph=True)
        (gg,) = L.autograd.grad(g.sum(), x)
        seen.append((g.grad_fn.name(), g.tolist(), gg.tolist()))
    assert seen[0] == seen[1]
