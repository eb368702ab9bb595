"""Inverse/hyperbolic trigonometry, erfc, erfinv, exp2, sinc, logit, frac, deg2rad/rad2deg,
clamp_min/max, heaviside, sgn, positive and torch's aliases against PyTorch: values, dtypes,
gradients, grad_fn names, domain edges and errors."""

import warnings

import numpy as np
import pytest

import ember
from ember.ops._errstate import ignore_in_ember
from helpers import assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")

R = rng(11)
FLOATS = ["float32", "float64"]
SHAPES = [(), (4,), (3, 4), (2, 3, 4)]
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan]

# name -> (low, high) of an open interval inside the domain where the function is smooth
FLOAT_OPS = {
    "asin": (-0.95, 0.95), "acos": (-0.95, 0.95), "atan": (-3, 3), "sinh": (-3, 3),
    "cosh": (-3, 3), "asinh": (-3, 3), "acosh": (1.1, 4), "atanh": (-0.95, 0.95),
    "erfc": (-3, 3), "erfinv": (-0.95, 0.95), "exp2": (-3, 3), "sinc": (-2.5, 2.5),
    "logit": (0.05, 0.95), "frac": (0.1, 0.9), "deg2rad": (-200, 200), "rad2deg": (-3, 3),
}
# values across and at the edges of each domain (and the poles), beside SPECIAL
EDGES = {
    "asin": [-1.5, -1, -0.5, 0.5, 1, 1.5], "acos": [-1.5, -1, -0.5, 0.5, 1, 1.5],
    "atan": [-1e30, -1, 1, 1e30], "sinh": [-800, -100, -1, 1, 100, 800],
    "cosh": [-800, -100, -1, 1, 100, 800], "asinh": [-1e200, -1, 1e-30, 1, 1e200],
    "acosh": [-2, 0.5, 1, 1 + 1e-7, 2, 1e200], "atanh": [-1.5, -1, -0.5, 0.5, 1, 1.5],
    "erfc": [-30, -5, -1, -1e-20, 1e-20, 0.5, 1, 2, 5, 10, 26, 30],
    "erfinv": [-1.5, -1, -0.999999, -0.5, 1e-30, 0.5, 0.9, 0.999999, 1, 1.5],
    "exp2": [-1100, -150, -1, 1, 127.5, 1100], "sinc": [-3, -1, -0.5, 1e-30, 0.5, 1, 2, 1e30],
    "logit": [-0.5, 0.5, 1e-30, 0.25, 1, 1.5], "frac": [-2.5, -1, 1e-30, 1, 2.75, 1e20],
    "deg2rad": [-180, 90, 1e300], "rad2deg": [-3.14, 1e300],
}
TRIG_ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
                "arccosh": "acosh", "arctanh": "atanh"}


def inside(name, shape):
    low, high = FLOAT_OPS[name]
    return low + (high - low) * R.random(shape)


def both(name):
    return getattr(ember, name), getattr(torch, name)


# -- floating functions --------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(FLOAT_OPS))
def test_values_gradients_and_grad_fn(name, shape):
    e, t = both(name)
    check_op(e, t, inside(name, shape), dtypes=FLOATS)


@pytest.mark.parametrize("name", list(FLOAT_OPS))
def test_as_tensor_method(name):
    check_op(lambda x: getattr(x, name)(), None, inside(name, (3, 4)), dtypes=FLOATS)


@pytest.mark.parametrize("name", list(FLOAT_OPS))
def test_gradcheck_inside_domain(name):
    gradcheck_op(getattr(ember, name), inside(name, (3, 4)))


@pytest.mark.parametrize("name", [n for n in FLOAT_OPS if n != "frac"])
def test_double_backward(name):
    # second derivatives through the backward formulas, against torch's
    x = inside(name, (5,))

    def second(lib):
        def f(a):
            (g,) = lib.autograd.grad(getattr(lib, name)(a).sum(), a, create_graph=True)
            return g
        return f
    check_op(second(ember), second(torch), x, dtypes=["float64"], check_grad_fn=False)


@pytest.mark.parametrize("name", list(FLOAT_OPS))
def test_edge_values_match_torch_without_warnings(name):
    x = np.array(EDGES[name] + SPECIAL)
    for dt in FLOATS:
        with np.errstate(over="ignore"):  # 1e200 and 1e300 become inf in float32
            xd = x.astype(dt)
        xe = ember.tensor(xd.copy(), requires_grad=True)
        xt = torch.tensor(xd, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            # pytest drops the filter ember installs at import (during collection): restore it
            ignore_in_ember()
            ye = getattr(ember, name)(xe)
            ye.backward(ember.ones_like(ye))
        assert not caught, [str(w.message) for w in caught]
        yt = getattr(torch, name)(xt)
        yt.backward(torch.ones_like(yt))
        assert str(ye.dtype) == str(yt.dtype).replace("torch", "ember")
        np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-6,
                                   atol=0, equal_nan=True, err_msg=f"{name} {dt}")
        # (atol: sinc's slope at 1e30 is rounding noise of size 1e-31 in float32)
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-25,
                                   equal_nan=True, err_msg=f"{name} grad {dt}")
        finite_zero = yt.detach().numpy() == 0  # the sign of zero results matters
        np.testing.assert_array_equal(np.signbit(ye.detach().numpy())[finite_zero],
                                      np.signbit(yt.detach().numpy())[finite_zero])


@pytest.mark.parametrize("dt", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name", list(FLOAT_OPS))
def test_integer_inputs_give_default_float_or_are_refused(name, dt):
    # frac refuses integers; the others compute in the default float dtype
    check_op(getattr(ember, name), getattr(torch, name), np.array([0, 1, 2, 3]), dtypes=[dt])


def test_default_dtype_float64_for_integer_inputs():
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.asin(ember.tensor([0, 1])).dtype == ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize("name", list(FLOAT_OPS))
def test_inplace(name):
    check_op(lambda x: getattr(x * 1, name + "_")(), lambda x: getattr(x * 1, name + "_")(),
             inside(name, (3, 4)), dtypes=FLOATS)
    e = ember.tensor(inside(name, (3,)))
    assert getattr(e, name + "_")() is e
    if hasattr(torch, name + "_"):  # the function form too, where torch has one
        e, t = ember.tensor(inside(name, (3,))), torch.tensor(inside(name, (3,)))
        t.copy_(torch.from_numpy(e.numpy().copy()))
        getattr(ember, name + "_")(e)
        getattr(torch, name + "_")(t)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", list(FLOAT_OPS))
def test_inplace_errors(name):
    assert_same_error(lambda: getattr(ember.ones(2, requires_grad=True), name + "_")(),
                      lambda: getattr(torch.ones(2, requires_grad=True), name + "_")())
    # a float result cannot be stored in an integer tensor (frac refuses integers outright)
    assert_same_error(lambda: getattr(ember.tensor([0, 1]), name + "_")(),
                      lambda: getattr(torch.tensor([0, 1]), name + "_")())


@pytest.mark.parametrize("name", list(FLOAT_OPS))
def test_out_argument(name):
    x = inside(name, (3,)).astype(np.float32)
    out_dt = "float32" if name == "frac" else "float64"  # frac's out= must match (below)
    e_out, t_out = ember.empty(3, dtype=getattr(ember, out_dt)), torch.empty(3, dtype=getattr(
        torch, out_dt))
    getattr(ember, name)(ember.tensor(x), out=e_out)
    getattr(torch, name)(torch.tensor(x), out=t_out)
    np.testing.assert_allclose(e_out.numpy(), t_out.numpy(), rtol=1e-6)
    assert_same_error(lambda: getattr(ember, name)(ember.ones(2, requires_grad=True),
                                                   out=ember.empty(2)),
                      lambda: getattr(torch, name)(torch.ones(2, requires_grad=True),
                                                   out=torch.empty(2)))


@pytest.mark.parametrize("alias", list(TRIG_ALIASES))
def test_trig_aliases(alias):
    name = TRIG_ALIASES[alias]
    x = inside(name, (3, 4))
    check_op(getattr(ember, alias), getattr(torch, alias), x, dtypes=FLOATS)
    check_op(lambda a: getattr(a * 1, alias + "_")(), None, x, dtypes=["float64"])
    check_op(lambda a: getattr(a, alias)(), None, x, dtypes=["float32"])


# -- erfc / erfinv accuracy ---------------------------------------------------------------------
def test_erfc_relative_accuracy_in_the_tail():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    x = np.concatenate([np.linspace(-6, 26.5, 301), [1 - 1e-12, 1.0, 1 + 1e-12]])
    ref = np.array([float(mpmath.erfc(mpmath.mpf(float(v)))) for v in x])
    got = ember.erfc(ember.tensor(x)).numpy()
    np.testing.assert_allclose(got, ref, rtol=2e-15, atol=0)


def test_erfinv_accuracy_in_ulp():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    y = np.concatenate([np.linspace(-1, 1, 401)[1:-1], 1 - np.logspace(-16, -1, 40),
                        -1 + np.logspace(-16, -1, 40), np.logspace(-300, -1, 20)])
    ref = np.array([float(mpmath.erfinv(mpmath.mpf(float(v)))) for v in y])
    got = ember.erfinv(ember.tensor(y)).numpy()
    assert np.max(np.abs(got - ref) / np.spacing(np.abs(ref))) <= 4
    # and erf undoes it
    np.testing.assert_allclose(ember.erf(ember.tensor(got)).numpy(), y, rtol=0, atol=3e-16)


# -- logit eps ---------------------------------------------------------------------------------
@pytest.mark.parametrize("eps", [None, 0.1, 0.0, 0.5, -0.1])
def test_logit_eps(eps):
    x = np.array([-0.5, 0.0, 0.05, 0.3, 0.5, 0.95, 1.0, 1.5, np.nan])
    check_op(lambda a: ember.logit(a, eps), lambda a: torch.logit(a, eps), x, dtypes=FLOATS)
    check_op(lambda a: (a * 1).logit_(eps), None, x, dtypes=FLOATS)
    check_op(lambda a: a.logit(eps=eps), None, x, dtypes=["float32"])


def test_logit_eps_gradcheck():
    gradcheck_op(lambda a: ember.logit(a, 0.2), np.array([0.1, 0.3, 0.6, 0.9]))


# -- clamp_min / clamp_max --------------------------------------------------------------------
CLAMPS = ["clamp_min", "clamp_max"]


@pytest.mark.parametrize("bound", [0.25, -1, 0, 2.0, np.nan])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", CLAMPS)
def test_clamp_side_number_bound(name, shape, bound):
    x = R.standard_normal(shape)
    if shape:
        x.flat[0] = 0.25  # ties with the bound send the gradient to the input, as in torch
    e, t = both(name)
    check_op(lambda a: e(a, bound), lambda a: t(a, bound), x, dtypes=FLOATS + ["int64"])
    check_op(lambda a: getattr(a, name)(bound), None, x, dtypes=["float32"])
    check_op(lambda a: getattr(a * 1, name + "_")(bound), None, x, dtypes=FLOATS)


@pytest.mark.parametrize("shapes", [((), ()), ((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)),
                                    ((4,), ())], ids=str)
@pytest.mark.parametrize("name", CLAMPS)
def test_clamp_side_tensor_bound(name, shapes):
    x, b = R.standard_normal(shapes[0]), R.standard_normal(shapes[1])
    e, t = both(name)
    check_op(e, t, x, b, dtypes=FLOATS + [("float32", "float64"), ("int64", "float32")])
    gradcheck_op(e, x, b)


def test_clamp_side_ties_nan_and_inplace_tensor_bound():
    x = np.array([1.0, 2.0, np.nan, 3.0, -np.inf])
    b = np.array([1.0, np.nan, 0.0, 5.0, 0.0])
    for name in CLAMPS:
        check_op(getattr(ember, name), getattr(torch, name), x, b, dtypes=FLOATS)
        check_op(lambda a, c, n=name: getattr(a * 1, n + "_")(c), None, x, b, dtypes=FLOATS)


def test_frac_out_dtype_must_match():
    assert_same_error(lambda: ember.frac(ember.ones(2), out=ember.empty(2, dtype=ember.float64)),
                      lambda: torch.frac(torch.ones(2), out=torch.empty(2, dtype=torch.float64)))


@pytest.mark.parametrize("call", [
    lambda L: L.clamp_min(L.ones(2), None),
    lambda L: L.clamp_max(L.ones(2), "a"),
    lambda L: L.clamp_min(L.ones(2), L.ones(3)),
    lambda L: L.ones(2, dtype=L.int64).clamp_min_(0.5),
    lambda L: L.ones(2, requires_grad=True).clamp_max_(0.5),
    lambda L: L.ones(2).clamp_min_(L.ones(3, 2)),
], ids=["none", "str", "shape", "int-inplace", "leaf", "inplace-shape"])
def test_clamp_side_errors(call):
    assert_same_error(lambda: call(ember), lambda: call(torch))


# -- heaviside ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", FLOATS + ["int64"])
def test_heaviside_values(dt):
    x = np.array([[-2.0, -0.0, 0.0, 3.0], [np.inf, -np.inf, np.nan, 1e-30]])
    if dt == "int64":
        x = np.array([[-2, 0, 0, 3], [5, -5, 0, 1]])
    for v in (np.array(0.5), np.array([1.0, -2.0, np.nan, 0.0])):
        v = v if dt != "int64" else np.full(v.shape, 7)
        check_op(ember.heaviside, torch.heaviside, x, v, dtypes=[dt], requires_grad=False)
        check_op(lambda a, b: a.heaviside(b), None, x, v, dtypes=[dt], requires_grad=False)
        check_op(lambda a, b: a.clone().heaviside_(b), None, x, v, dtypes=[dt],
                 requires_grad=False)


def test_heaviside_is_not_differentiable():
    # torch records a NotImplemented node and refuses at backward time
    check_op(ember.heaviside, torch.heaviside, R.standard_normal((3, 4)), np.array(0.5),
             dtypes=FLOATS)


@pytest.mark.parametrize("call", [
    lambda L: L.heaviside(L.ones(2), 0.5),
    lambda L: L.heaviside(L.ones(2), L.ones(2, dtype=L.float64)),
    lambda L: L.heaviside(L.ones(2, dtype=L.int64), L.tensor(0.5)),
    lambda L: L.heaviside(L.ones(2), L.ones(3)),
], ids=["number", "dtypes", "int-float", "shape"])
def test_heaviside_errors(call):
    assert_same_error(lambda: call(ember), lambda: call(torch))


# -- sgn, positive, aliases of existing ops --------------------------------------------------
SIGNED = np.array([-2.0, -0.0, 0.0, 3.0, np.inf, -np.inf, np.nan, -1e-30])


@pytest.mark.parametrize("dt", FLOATS + ["int64", "int32", "bool"])
def test_sgn(dt):
    x = SIGNED if dt in FLOATS else np.array([-2, 0, 3, 1])
    # torch's gradient of sgn is a ZeroTensor that cannot be compared directly; see below
    check_op(ember.sgn, torch.sgn, x, dtypes=[dt], requires_grad=False)
    check_op(lambda a: a.sgn(), None, x, dtypes=[dt], requires_grad=False)
    check_op(lambda a: (a * 1).sgn_(), None, R.standard_normal((3, 4)), dtypes=FLOATS,
             requires_grad=False)


def test_sgn_gradient_is_zero():
    for lib in (ember, torch):
        x = lib.tensor(SIGNED, requires_grad=True)
        y = lib.sgn(x)
        assert y.grad_fn.name() == "SgnBackward0"
        y.backward(lib.ones_like(y))
        assert (x.grad == 0).all()
        y = (x * 1).sgn_()
        assert y.grad_fn.name() == "SgnBackward0"


def test_sgn_inplace_errors():
    assert_same_error(lambda: ember.ones(2, requires_grad=True).sgn_(),
                      lambda: torch.ones(2, requires_grad=True).sgn_())


@pytest.mark.parametrize("dt", FLOATS + ["int64", "bool"])
def test_positive_returns_the_input(dt):
    x = np.array([-2, 0, 3, 1])
    check_op(ember.positive, torch.positive, x, dtypes=[dt])
    e = ember.tensor([1.0, -2.0], requires_grad=True)
    assert ember.positive(e) is e and e.positive() is e


@pytest.mark.parametrize("alias,target", [("negative", "neg"), ("fix", "trunc"),
                                          ("absolute", "abs")])
@pytest.mark.parametrize("dt", FLOATS + ["int64", "bool"])
def test_aliases_of_existing_ops(alias, target, dt):
    x = SIGNED[[0, 3, 7]] * 1.75 if dt in FLOATS else np.array([-2, 0, 3, 1])
    x = np.stack([x, -x]).astype(np.float64)
    check_op(getattr(ember, alias), getattr(torch, alias), x, dtypes=[dt])
    check_op(lambda a: getattr(a, alias)(), None, x, dtypes=[dt])
    if dt != "bool":
        check_op(lambda a: getattr(a * 1, alias + "_")(), None, x, dtypes=[dt])
    assert_same_error(lambda: getattr(ember.ones(2, requires_grad=True), alias + "_")(),
                      lambda: getattr(torch.ones(2, requires_grad=True), alias + "_")())


def test_public_names_match_torch():
    from ember.ops import elementary
    for name in elementary.__all__:
        assert hasattr(torch, name), name
        assert callable(getattr(ember, name)), name
    for name in elementary.TENSOR_METHODS:
        assert hasattr(torch.Tensor, name), name
