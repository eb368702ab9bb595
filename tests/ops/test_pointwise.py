"""atan2, hypot, lerp, logaddexp(2), addcmul, addcdiv, copysign, xlogy against PyTorch:
values, dtypes, gradients, grad_fn names, edge values and errors."""

import numpy as np
import pytest

import ember
from helpers import assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")

R = rng(5)
FLOATS = ["float32", "float64"]
PAIRS = [((), ()), ((4,), ()), ((), (4,)), ((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,))]
BINARY = ["atan2", "hypot", "logaddexp", "logaddexp2", "copysign", "xlogy"]


def normal(shape, scale=1.0):
    return (R.standard_normal(shape) * scale).astype(np.float64)


def positive(shape):
    return (R.random(shape) * 2 + 0.2).astype(np.float64)


def binary_args(name, sa, sb):
    if name == "xlogy":  # log needs a positive argument away from 0
        return normal(sa), positive(sb)
    if name == "copysign":  # away from 0, where the gradient jumps
        a = normal(sa)
        return a + np.where(a >= 0, 0.3, -0.3), normal(sb)
    return normal(sa), normal(sb)


def both(name):
    return getattr(ember, name), getattr(torch, name)


@pytest.mark.parametrize("shapes", PAIRS, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_values_gradients_and_grad_fn(name, shapes):
    e, t = both(name)
    check_op(e, t, *binary_args(name, *shapes), dtypes=FLOATS + [("float32", "float64")])


@pytest.mark.parametrize("name", BINARY)
def test_binary_as_tensor_methods(name):
    a, b = binary_args(name, (3, 4), (4,))
    check_op(lambda x, y: getattr(x, name)(y), None, a, b, dtypes=FLOATS)


@pytest.mark.parametrize("name", BINARY)
def test_binary_gradcheck(name):
    gradcheck_op(getattr(ember, name), *binary_args(name, (3, 1), (1, 4)))


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("dts", [("int64", "int64"), ("bool", "bool"), ("int64", "float32"),
                                 ("int32", "float64"), ("float32", "int64")], ids=str)
def test_binary_integer_operands_promote_or_are_refused_like_torch(name, dts):
    # atan2, copysign, xlogy give the default float; hypot and logaddexp(2) refuse integers.
    a = R.integers(1, 4, (3,)).astype(np.float64)
    b = R.integers(1, 4, (3,)).astype(np.float64)
    check_op(getattr(ember, name), getattr(torch, name), a, b, dtypes=[dts])


EDGE = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-30, -1e30, 3.0])


@pytest.mark.parametrize("name", BINARY)
def test_binary_edge_values(name):
    # every pair of edge values: zeros of both signs, infinities, NaN, tiny and huge values
    a, b = np.meshgrid(EDGE, EDGE)
    for dt in FLOATS:
        e = getattr(ember, name)(ember.tensor(a.astype(dt)), ember.tensor(b.astype(dt)))
        t = getattr(torch, name)(torch.tensor(a.astype(dt)), torch.tensor(b.astype(dt)))
        assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
        # (torch's logaddexp2(-1, -1) is off by 1e-8)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, atol=1e-7, equal_nan=True)
        # the sign of zero results matters (copysign, atan2); a NaN's sign bit does not
        ok = ~np.isnan(t.numpy()) & (name in ("atan2", "copysign"))
        np.testing.assert_array_equal(np.signbit(e.numpy())[ok], np.signbit(t.numpy())[ok])


def test_xlogy_zero_times_log_zero_is_zero_and_gradients_there():
    x = np.array([0.0, 0.0, 0.0, 2.0, 0.0])
    y = np.array([0.0, -1.0, np.nan, 0.0, 3.0])
    check_op(ember.xlogy, torch.xlogy, x, y, dtypes=FLOATS)


def test_copysign_gradient_at_zero_and_signed_zero_other():
    check_op(ember.copysign, torch.copysign, np.array([0.0, -0.0, 2.0, -3.0]),
             np.array([-1.0, 1.0, -0.0, 0.0]), dtypes=FLOATS)


@pytest.mark.parametrize("name", ["copysign", "xlogy"])
@pytest.mark.parametrize("scalar", [2.5, -3, 0])
def test_scalar_second_operand_keeps_float32(name, scalar):
    a = binary_args(name, (3, 4), ())[0]
    check_op(lambda x: getattr(ember, name)(x, scalar), lambda x: getattr(torch, name)(x, scalar),
             a, dtypes=FLOATS)


@pytest.mark.parametrize("scalar", [2.5, 0, 1])
def test_xlogy_scalar_first_operand(scalar):
    check_op(lambda y: ember.xlogy(scalar, y), lambda y: torch.xlogy(scalar, y),
             positive((3, 4)), dtypes=FLOATS)
    gradcheck_op(lambda y: ember.xlogy(scalar, y), positive((3,)))


@pytest.mark.parametrize("name", ["atan2", "hypot", "logaddexp", "logaddexp2"])
def test_number_other_is_refused(name):
    assert_same_error(lambda: getattr(ember, name)(ember.ones(2), 2.0),
                      lambda: getattr(torch, name)(torch.ones(2), 2.0))


@pytest.mark.parametrize("name", BINARY)
def test_shape_mismatch_error(name):
    assert_same_error(lambda: getattr(ember, name)(ember.ones(2), ember.ones(3)),
                      lambda: getattr(torch, name)(torch.ones(2), torch.ones(3)))


@pytest.mark.parametrize("name", ["atan2", "hypot", "copysign", "xlogy"])
def test_inplace_binary(name):
    a, b = binary_args(name, (3, 4), (4,))

    def run(lib):
        def f(x, y):
            z = x * 1  # a non-leaf, so that the in-place op is allowed and recorded
            return getattr(z, name + "_")(y)
        return f
    check_op(run(ember), run(torch), a, b, dtypes=FLOATS)
    assert_same_error(lambda: getattr(ember.ones(2), name + "_")(ember.ones(3, 2)),
                      lambda: getattr(torch.ones(2), name + "_")(torch.ones(3, 2)))
    assert_same_error(lambda: getattr(ember.ones(2, requires_grad=True), name + "_")(ember.ones(2)),
                      lambda: getattr(torch.ones(2, requires_grad=True), name + "_")(torch.ones(2)))


def test_xlogy_inplace_function():
    a, b = binary_args("xlogy", (3,), (3,))
    e, t = ember.tensor(a), torch.tensor(a)
    assert ember.xlogy_(e, ember.tensor(b)) is e
    torch.xlogy_(t, torch.tensor(b))
    np.testing.assert_allclose(e.numpy(), t.numpy())


def test_out_argument():
    e_out, t_out = ember.empty(3), torch.empty(3)
    a, b = normal(3).astype(np.float32), normal(3).astype(np.float32)
    ember.atan2(ember.tensor(a), ember.tensor(b), out=e_out)
    torch.atan2(torch.tensor(a), torch.tensor(b), out=t_out)
    np.testing.assert_allclose(e_out.numpy(), t_out.numpy(), rtol=1e-6)


# -- lerp ----------------------------------------------------------------------------------
TRIPLES = [((), (), ()), ((4,), (), (4,)), ((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (4,)),
           ((2, 3, 4), (4,), ())]


@pytest.mark.parametrize("shapes", TRIPLES, ids=str)
@pytest.mark.parametrize("weight", [0.0, 0.3, 0.5, 1.0, -1.5, 2.0])
def test_lerp_number_weight(shapes, weight):
    check_op(lambda a, b: ember.lerp(a, b, weight), lambda a, b: torch.lerp(a, b, weight),
             normal(shapes[0]), normal(shapes[1]), dtypes=FLOATS)


@pytest.mark.parametrize("shapes", TRIPLES, ids=str)
def test_lerp_tensor_weight_and_method(shapes):
    w = normal(shapes[2])
    w.flat[0] = 0.5  # both interpolation branches meet at 0.5
    check_op(ember.lerp, torch.lerp, normal(shapes[0]), normal(shapes[1]), w, dtypes=FLOATS)
    check_op(lambda a, b, w: a.lerp(b, w), None, normal(shapes[0]), normal(shapes[1]), w,
             dtypes=["float32"])
    gradcheck_op(ember.lerp, normal(shapes[0]), normal(shapes[1]), w)


def test_lerp_ends_are_exact_and_infinities():
    a = np.array([1e8, -3.0, np.inf, 0.0, np.nan], dtype=np.float32)
    b = np.array([1.0, 7.0, 1.0, np.inf, 1.0], dtype=np.float32)
    for w in (0.0, 1.0, 0.25, 0.75):
        e = ember.lerp(ember.tensor(a), ember.tensor(b), w).numpy()
        t = torch.lerp(torch.tensor(a), torch.tensor(b), w).numpy()
        np.testing.assert_array_equal(e, t)


def test_lerp_inplace():
    def run(lib):
        return lambda a, b, w: (a * 1).lerp_(b, w)
    check_op(run(ember), run(torch), normal((3, 4)), normal((4,)), normal((3, 4)), dtypes=FLOATS)
    check_op(lambda a, b: (a * 1).lerp_(b, 0.25), None, normal((3, 4)), normal((4,)),
             dtypes=FLOATS)
    assert_same_error(lambda: ember.ones(4).lerp_(ember.ones(3, 4), 0.5),
                      lambda: torch.ones(4).lerp_(torch.ones(3, 4), 0.5))


@pytest.mark.parametrize("call", [
    lambda L: L.lerp(L.ones(2), L.ones(2, dtype=L.float64), 0.5),
    lambda L: L.lerp(L.ones(2), L.ones(2), L.ones(2, dtype=L.float64)),
    lambda L: L.lerp(L.ones(2, dtype=L.int64), L.ones(2, dtype=L.int64), 0.5),
    lambda L: L.lerp(L.ones(2, dtype=L.int64), L.ones(2, dtype=L.int64), L.ones(2, dtype=L.int64)),
    lambda L: L.lerp(L.ones(2), L.ones(3), 0.5),
    lambda L: L.lerp(L.ones(2), L.ones(2), L.ones(3)),
], ids=["end-dtype", "weight-dtype", "int-scalar", "int-tensor", "shape", "weight-shape"])
def test_lerp_errors(call):
    assert_same_error(lambda: call(ember), lambda: call(torch))


# -- addcmul / addcdiv -----------------------------------------------------------------------
ADDC = ["addcmul", "addcdiv"]


def addc_args(name, shapes):
    t2 = positive(shapes[2]) * np.where(R.random(shapes[2]) < 0.5, -1, 1)
    return normal(shapes[0]), normal(shapes[1]), t2 if name == "addcdiv" else normal(shapes[2])


@pytest.mark.parametrize("shapes", TRIPLES, ids=str)
@pytest.mark.parametrize("value", [1, 0.5, -2])
@pytest.mark.parametrize("name", ADDC)
def test_addc_values_gradients(name, shapes, value):
    e, t = both(name)
    check_op(lambda a, b, c: e(a, b, c, value=value), lambda a, b, c: t(a, b, c, value=value),
             *addc_args(name, shapes), dtypes=FLOATS + [("float32", "float64", "float32")])


@pytest.mark.parametrize("name", ADDC)
def test_addc_method_inplace_and_gradcheck(name):
    args = addc_args(name, ((3, 4), (4,), (3, 1)))
    check_op(lambda a, b, c: getattr(a, name)(b, c, value=2), None, *args, dtypes=FLOATS)
    check_op(lambda a, b, c: getattr(a * 1, name + "_")(b, c, value=0.5), None, *args,
             dtypes=FLOATS)
    gradcheck_op(lambda a, b, c: getattr(ember, name)(a, b, c, value=1.5), *args)


@pytest.mark.parametrize("dts", [("int64",) * 3, ("int64", "float32", "float32"),
                                 ("float32", "int64", "int64"), ("int32", "int64", "int64")],
                         ids=str)
@pytest.mark.parametrize("name", ADDC)
def test_addc_integer_operands(name, dts):
    # addcmul works on integers; addcdiv refuses integer tensor1 / tensor2 as torch does
    a = R.integers(1, 5, (3,)).astype(np.float64)
    e, t = both(name)
    check_op(lambda x, y, z: e(x, y, z, value=2), lambda x, y, z: t(x, y, z, value=2), a, a, a,
             dtypes=[dts])


@pytest.mark.parametrize("call", [
    lambda L: L.addcmul(L.ones(2), L.ones(3), L.ones(2)),
    lambda L: L.addcdiv(L.ones(2), L.ones(2), L.ones(3)),
    lambda L: L.addcmul(L.ones(2), L.ones(2), 2.0),
    lambda L: L.addcdiv(L.ones(2), L.ones(2), L.ones(2), value=2j),
    lambda L: L.ones(2).addcmul_(L.ones(3, 2), L.ones(2)),
    lambda L: L.ones(2, requires_grad=True).addcdiv_(L.ones(2), L.ones(2)),
], ids=["shape1", "shape2", "number", "complex-value", "inplace-shape", "leaf"])
def test_addc_errors(call):
    assert_same_error(lambda: call(ember), lambda: call(torch))


def test_addcdiv_division_by_zero_gives_inf():
    args = [np.array([1.0, 1.0, 1.0]), np.array([1.0, -1.0, 0.0]), np.zeros(3)]
    check_op(ember.addcdiv, torch.addcdiv, *args, dtypes=FLOATS, requires_grad=False)
