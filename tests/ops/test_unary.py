"""Elementwise unary math against PyTorch: values, dtypes, gradients, out=, in-place forms."""

from functools import partial

import numpy as np
import pytest
from hypothesis import given

import ember
from helpers import assert_same, assert_same_error, check_op, float_arrays, gradcheck_op, rng

torch = pytest.importorskip("torch")

R = rng(2)


def arr(*shape, low=-2.0, high=2.0, dtype=np.float32):
    return R.uniform(low, high, shape).astype(dtype)


def both(fn):
    return partial(fn, ember), partial(fn, torch)


# name -> (low, high) of a domain where the function is smooth
UNARY = {
    "exp": (-2, 2), "expm1": (-2, 2), "log": (0.2, 3), "log1p": (-0.5, 3), "log2": (0.2, 3),
    "log10": (0.2, 3), "sqrt": (0.2, 3), "rsqrt": (0.2, 3), "sin": (-3, 3), "cos": (-3, 3),
    "tan": (-1.2, 1.2), "abs": (-2, 2), "sign": (-2, 2), "floor": (-2, 2), "ceil": (-2, 2),
    "round": (-2, 2), "trunc": (-2, 2), "square": (-2, 2), "erf": (-2, 2), "neg": (-2, 2),
    "reciprocal": (0.3, 2), "sigmoid": (-3, 3), "tanh": (-3, 3), "relu": (-2, 2),
}
SHAPES = [(3, 4), (), (2, 3, 4), (5,), (0, 3)]


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_values_and_gradients(name, shape):
    lo, hi = UNARY[name]
    check_op(*both(lambda L, x: getattr(L, name)(x)), arr(*shape, low=lo, high=hi),
             dtypes=["float32", "float64"])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_method_form(name):
    lo, hi = UNARY[name]
    check_op(*both(lambda L, x: getattr(x, name)()), arr(2, 3, low=lo, high=hi))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradcheck(name):
    lo, hi = UNARY[name]
    a = arr(2, 3, low=lo, high=hi)
    if name in ("abs", "sign", "relu", "floor", "ceil", "round", "trunc"):
        a = np.where(np.abs(a - np.round(a)) < 0.1, a + 0.25, a)  # away from kinks and jumps
        a = np.where(np.abs(a) < 0.1, 0.5, a)
    gradcheck_op(getattr(ember, name), a)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_and_bool_inputs(name, dtype):
    """Float functions give the default float dtype; abs/sign/rounding keep ints (or refuse)."""
    a = R.integers(0 if dtype in ("uint8", "bool") else -3, 4, (5,)).astype(dtype)
    check_op(*both(lambda L, x, name=name: getattr(L, name)(x)), a, layouts_=("contiguous",))


def test_special_values():
    a = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 1e-45, 1e38], np.float32)
    for name in UNARY:
        check_op(*both(lambda L, x, name=name: getattr(L, name)(x)), a, requires_grad=False,
                 layouts_=("contiguous",))
    for name in ("isnan", "isinf", "isfinite"):
        check_op(*both(lambda L, x, name=name: getattr(L, name)(x)), a, layouts_=("contiguous",))


def test_round_half_to_even_and_decimals():
    a = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1.25, 1.35, 123.456], np.float32)
    check_op(*both(lambda L, x: L.round(x)), a)
    for d in (1, 2, -1):
        check_op(*both(lambda L, x, d=d: L.round(x, decimals=d)), a)


def test_nan_to_num():
    a = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0], np.float32)
    check_op(*both(lambda L, x: L.nan_to_num(x)), a)
    check_op(*both(lambda L, x: L.nan_to_num(x, nan=1.0, posinf=9.0, neginf=-9.0)), a)
    check_op(*both(lambda L, x: x.nan_to_num(0.5)), a.astype(np.float64))
    check_op(*both(lambda L, x: L.nan_to_num(x)), np.array([1, 2]))


# -- clamp ----------------------------------------------------------------------------------
CLAMPS = {
    "both": lambda L, x: L.clamp(x, -0.5, 0.8), "min": lambda L, x: L.clamp(x, min=0.1),
    "max": lambda L, x: L.clamp(x, max=0.3), "method": lambda L, x: x.clamp(-1, 1),
    "clip": lambda L, x: L.clip(x, -0.5, 0.5), "int bounds": lambda L, x: x.clamp(0, 1),
    "min>max": lambda L, x: L.clamp(x, 1.0, -1.0),
    "tensor bounds": lambda L, x: L.clamp(x, L.full((4,), -0.5), L.tensor(0.5)),
    "tensor min": lambda L, x: L.clamp(x, min=L.zeros(3, 1)),
    "tensor max": lambda L, x: x.clamp(max=L.linspace(-1, 1, 4)),
}


@pytest.mark.parametrize("name", sorted(CLAMPS))
def test_clamp(name):
    check_op(*both(CLAMPS[name]), arr(3, 4), dtypes=["float32", "float64"])
    check_op(*both(CLAMPS[name]), R.integers(-3, 3, (3, 4)), layouts_=("contiguous",))


def test_clamp_gradient_wrt_tensor_bounds():
    def fn(L, x, lo, hi):
        return L.clamp(x, lo, hi)
    x = arr(3, 4)
    check_op(*both(fn), x, np.full(4, -0.5, np.float32), np.full((3, 1), 0.5, np.float32))
    gradcheck_op(partial(fn, ember), np.array([-1.0, 0.0, 0.9, 0.3]),
                 np.array([-0.5, -0.5, -0.5, 0.5]), np.array([0.5, 0.5, 0.5, 0.7]))
    gradcheck_op(lambda x: ember.clamp(x, -0.5, 0.5), np.array([-1.0, 0.1, 0.9]))


def test_clamp_nan_and_errors():
    a = np.array([np.nan, -3.0, 3.0], np.float32)
    check_op(*both(lambda L, x: L.clamp(x, -1, 1)), a, requires_grad=False)
    assert_same_error(lambda: ember.clamp(ember.ones(2)), lambda: torch.clamp(torch.ones(2)))


# -- out= and in-place -------------------------------------------------------------------------
OUT_OPS = ["exp", "log", "sqrt", "sin", "cos", "abs", "tanh", "sigmoid", "floor", "neg",
           "reciprocal", "square", "expm1", "log1p", "rsqrt"]


@pytest.mark.parametrize("name", OUT_OPS)
def test_out(name):
    a = arr(3, 4, low=0.2, high=2)
    res = []
    for L in (ember, torch):
        out = L.empty(3, 4)
        assert getattr(L, name)(L.tensor(a), out=out) is out
        res.append(out)
    assert_same(*res)
    assert_same_error(lambda: getattr(ember, name)(ember.ones(2, requires_grad=True),
                                                   out=ember.empty(2)),
                      lambda: getattr(torch, name)(torch.ones(2, requires_grad=True),
                                                   out=torch.empty(2)))


def test_clamp_out():
    res = []
    for L in (ember, torch):
        out = L.empty(3)
        L.clamp(L.tensor([-2.0, 0.0, 2.0]), -1, 1, out=out)
        res.append(out)
    assert_same(*res)


INPLACE = ["exp_", "log_", "sqrt_", "abs_", "sin_", "cos_", "neg_", "clamp_", "relu_",
           "sigmoid_", "tanh_", "floor_", "ceil_", "round_", "trunc_", "reciprocal_",
           "square_", "rsqrt_", "log1p_", "expm1_", "sign_", "clip_", "nan_to_num_"]


def _call(name, x):
    return getattr(x, name)(-0.5, 0.5) if name in ("clamp_", "clip_") else getattr(x, name)()


@pytest.mark.parametrize("name", INPLACE)
def test_inplace(name):
    a = arr(3, 4, low=0.2, high=2)
    res = []
    for L in (ember, torch):
        x = L.tensor(a)
        v = x._version if isinstance(x._version, int) else x._version[0]
        assert _call(name, x) is x
        assert (x._version if isinstance(x._version, int) else x._version[0]) == v + 1
        res.append(x)
    assert_same(*res)

    def fn(L, x):  # on a non-leaf: gradients flow through the rewritten history
        y = x * 1
        _call(name, y)
        return y
    check_op(*both(fn), a, layouts_=("contiguous",))
    assert_same_error(lambda: _call(name, ember.ones(2, requires_grad=True)),
                      lambda: _call(name, torch.ones(2, requires_grad=True)))


def test_inplace_float_op_on_int_tensor_is_refused():
    for name in ("exp_", "sqrt_", "sigmoid_"):
        assert_same_error(lambda name=name: getattr(ember.tensor([1, 2]), name)(),
                          lambda name=name: getattr(torch.tensor([1, 2]), name)())


def test_inplace_keeps_graph_names():
    for L in (ember, torch):
        x = L.tensor([0.5, 1.0], requires_grad=True)
        y = x * 2
        y.exp_()
        assert y.grad_fn.name() == "ExpBackward0"
        assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"


@given(float_arrays(low=-5, high=5))
def test_hypothesis_shapes(a):
    for name in ("exp", "tanh", "sigmoid", "abs", "sin"):
        check_op(*both(lambda L, x, name=name: getattr(L, name)(x)), a,
                 layouts_=("contiguous", "strided"), atol=1e-8, rtol=1e-6)


def test_float32_stays_float32():
    x = ember.ones(3)
    for name in UNARY:
        assert getattr(ember, name)(x).dtype is ember.float32, name
