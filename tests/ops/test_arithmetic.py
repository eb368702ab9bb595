"""Elementwise arithmetic against PyTorch: values, promotion, gradients, out=, in-place."""

from functools import partial

import numpy as np
import pytest
from hypothesis import given

import ember
from helpers import (array_pairs, assert_same, assert_same_error, check_op, grad_fn_names,
                     gradcheck_op, rng)

torch = pytest.importorskip("torch")

R = rng(1)


def arr(*shape, low=-2.0, high=2.0, dtype=np.float32):
    return R.uniform(low, high, shape).astype(dtype)


def pos(*shape, dtype=np.float32):
    """Values kept away from zero (safe divisors, bases of fractional powers)."""
    return arr(*shape, low=0.5, high=2.0, dtype=dtype)


def both(fn):
    """``fn(lib, *args)`` bound to ember and to torch."""
    return partial(fn, ember), partial(fn, torch)


SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (3,)), ((3, 2), ()),
               ((), ())]

BINARY = {
    "add": lambda L, x, y: L.add(x, y),
    "add_alpha": lambda L, x, y: L.add(x, y, alpha=2.5),
    "sub": lambda L, x, y: L.sub(x, y),
    "sub_alpha": lambda L, x, y: L.sub(x, y, alpha=3),
    "mul": lambda L, x, y: L.mul(x, y),
    "div": lambda L, x, y: L.div(x, y),
    "true_divide": lambda L, x, y: L.true_divide(x, y),
    "rsub": lambda L, x, y: L.rsub(x, y),
    "pow": lambda L, x, y: L.pow(x, y),
    "maximum": lambda L, x, y: L.maximum(x, y),
    "minimum": lambda L, x, y: L.minimum(x, y),
    "remainder": lambda L, x, y: L.remainder(x, y),
    "fmod": lambda L, x, y: L.fmod(x, y),
    "op_add": lambda L, x, y: x + y,
    "op_sub": lambda L, x, y: x - y,
    "op_mul": lambda L, x, y: x * y,
    "op_div": lambda L, x, y: x / y,
    "op_pow": lambda L, x, y: x ** y,
    "op_mod": lambda L, x, y: x % y,
}
# Ops whose second operand must stay away from 0, or first operand positive (pow).
_DIVISOR = {"div", "true_divide", "op_div", "remainder", "fmod", "op_mod"}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_binary_tensor_tensor(name, shapes):
    sa, sb = shapes
    a = pos(*sa) if name in ("pow", "op_pow") else arr(*sa)
    b = pos(*sb) if name in _DIVISOR else arr(*sb)
    check_op(*both(BINARY[name]), a, b, dtypes=["float32", ("float64", "float32")])


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradcheck(name):
    a = pos(2, 3) if name in ("pow", "op_pow") else arr(2, 3)
    b = pos(3) if name in _DIVISOR else arr(3)
    if name in ("maximum", "minimum"):
        b[0] = a[0, 0]  # a tie: both sides get half the gradient
        gradcheck_op(partial(BINARY[name], ember), a[:, 1:], b[1:])
        return
    if name in ("remainder", "fmod", "op_mod"):
        b = np.full(3, 0.7, np.float32)  # keep a/b away from the jumps of floor/trunc
        a = np.array([[0.1, 0.2, -0.3], [0.9, -1.0, 1.6]], np.float32)
    gradcheck_op(partial(BINARY[name], ember), a, b)


def test_maximum_minimum_ties_split_gradient():
    a = np.array([1.0, 2.0, 3.0], np.float32)
    b = np.array([1.0, 1.0, 4.0], np.float32)
    check_op(*both(lambda L, x, y: L.maximum(x, y)), a, b)
    check_op(*both(lambda L, x, y: L.minimum(x, y)), a, b)


SCALAR_OPS = {
    "x+s": lambda L, x, s: x + s, "s+x": lambda L, x, s: s + x,
    "x-s": lambda L, x, s: x - s, "s-x": lambda L, x, s: s - x,
    "x*s": lambda L, x, s: x * s, "s*x": lambda L, x, s: s * x,
    "x/s": lambda L, x, s: x / s, "s/x": lambda L, x, s: s / x,
    "x**s": lambda L, x, s: x ** s, "s**x": lambda L, x, s: s ** x,
    "x%s": lambda L, x, s: x % s, "x//s": lambda L, x, s: x // s,
    "s//x": lambda L, x, s: s // x, "s%x": lambda L, x, s: s % x,
    "add(alpha)": lambda L, x, s: L.add(x, s, alpha=2),
    "sub(alpha)": lambda L, x, s: L.sub(x, s, alpha=2),
    "rsub": lambda L, x, s: L.rsub(x, s),
    "fmod": lambda L, x, s: L.fmod(x, s),
    "remainder": lambda L, x, s: L.remainder(x, s),
    "pow": lambda L, x, s: L.pow(x, s),
    "pow(s,x)": lambda L, x, s: L.pow(s, x),
}


@pytest.mark.parametrize("name", sorted(SCALAR_OPS))
@pytest.mark.parametrize("scalar", [2, 2.5, True], ids=repr)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8"])
def test_tensor_scalar(name, scalar, dtype):
    """Values, result dtype (a Python scalar never upcasts within a kind), grads, grad_fn."""
    if scalar is True and name in ("x%s", "x//s", "fmod", "remainder", "s//x", "s%x", "s**x",
                                   "pow(s,x)"):
        scalar = 3  # bool divisors are not interesting; torch asserts on ``True ** x``'s grad
    a = pos(2, 3) if dtype[0] == "f" else R.integers(1, 5, (2, 3)).astype(dtype)
    check_op(*both(lambda L, x: SCALAR_OPS[name](L, x, scalar)), a,
             layouts_=("contiguous", "strided"))


@pytest.mark.parametrize("name", ["x+s", "s-x", "x*s", "s/x", "x**s", "s**x", "x/s", "x-s"])
def test_tensor_scalar_gradcheck(name):
    gradcheck_op(lambda x: SCALAR_OPS[name](ember, x, 1.5), pos(2, 3))


GRAPHS = {
    "x+y": lambda L, x, y: x + y, "x+2": lambda L, x, y: x + 2, "2+x": lambda L, x, y: 2 + x,
    "2-x": lambda L, x, y: 2 - x, "x-2": lambda L, x, y: x - 2, "2*x": lambda L, x, y: 2 * x,
    "2/x": lambda L, x, y: 2 / x, "x/2": lambda L, x, y: x / 2, "x**2": lambda L, x, y: x ** 2,
    "x**y": lambda L, x, y: x ** y, "2**x": lambda L, x, y: 2 ** x, "-x": lambda L, x, y: -x,
    "x%y": lambda L, x, y: x % y, "x%2": lambda L, x, y: x % 2,
    "fmod(x,y)": lambda L, x, y: L.fmod(x, y), "fmod(x,2)": lambda L, x, y: L.fmod(x, 2),
    "rsub(x,y)": lambda L, x, y: L.rsub(x, y), "rsub(x,2)": lambda L, x, y: L.rsub(x, 2),
    "div trunc": lambda L, x, y: L.div(x, y, rounding_mode="trunc"),
    "div floor 2": lambda L, x, y: L.div(x, 2, rounding_mode="floor"),
    "x//2": lambda L, x, y: x // 2, "y//x": lambda L, x, y: y // x,
    "2%x": lambda L, x, y: 2 % x, "2//x": lambda L, x, y: 2 // x,
    "square": lambda L, x, y: L.square(x), "reciprocal": lambda L, x, y: L.reciprocal(x),
    "x*y+x": lambda L, x, y: x * y + x, "abs(x)": lambda L, x, y: abs(x),
    "x**0.5": lambda L, x, y: x ** 0.5, "maximum": lambda L, x, y: L.maximum(x, y),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_grad_fn_names(name):
    outs = []
    for L in (ember, torch):
        x = L.tensor([1.5, 2.5, 0.5], requires_grad=True)
        y = L.tensor([0.5, 2.0, 3.0], requires_grad=True)
        out = GRAPHS[name](L, x, y)
        outs.append((grad_fn_names(out, 3), out.requires_grad))
    assert outs[0] == outs[1]


def test_not_differentiable_ops_raise_on_backward():
    x = ember.tensor([1.5, 2.5], requires_grad=True)
    tx = torch.tensor([1.5, 2.5], requires_grad=True)
    assert_same_error(lambda: (x // 2).sum().backward(), lambda: (tx // 2).sum().backward())


def test_div_rounding_modes_gradient_is_zero():
    a, b = arr(3, 4), pos(4)
    for mode in ("trunc", "floor"):
        check_op(*both(lambda L, x, y, mode=mode: L.div(x, y, rounding_mode=mode)), a, b)


# -- type promotion ------------------------------------------------------------------------
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _values(dtype, shape):
    if dtype == "bool":
        return R.integers(0, 2, shape).astype(bool)
    return R.integers(1, 4, shape).astype(dtype)


@pytest.mark.parametrize("op", ["add", "mul", "div", "sub", "maximum", "remainder", "pow"])
@pytest.mark.parametrize("da", DTYPES)
def test_promotion_tensor_tensor(op, da):
    """Every dtype pair, for dim/dim, dim/0-d and 0-d/dim operands (torch.result_type rules)."""
    fn = both(lambda L, x, y: getattr(L, op)(x, y))
    for db in DTYPES:
        if op == "sub" and da == db == "bool":
            continue
        for sa, sb in (((3,), (3,)), ((3,), ()), ((), (3,)), ((), ())):
            check_op(*fn, _values(da, sa), _values(db, sb), requires_grad=False,
                     layouts_=("contiguous",), atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("scalar", [3, 2.5, True, -2, 1e10], ids=repr)
@pytest.mark.parametrize("dt", DTYPES)
def test_promotion_tensor_python_scalar(scalar, dt):
    for op in ("add", "mul", "div"):
        if dt == "uint8" and scalar == -2 and op != "div":
            continue  # out-of-range integer for the tensor's dtype
        if scalar == 1e10 and dt == "float16":
            continue
        for shape in ((3,), ()):
            check_op(*both(lambda L, x, op=op: getattr(L, op)(x, scalar)), _values(dt, shape),
                     requires_grad=False, layouts_=("contiguous",), atol=1e-3, rtol=1e-3)


def test_promotion_examples():
    i64, i32, f32 = ember.tensor([1, 2]), ember.tensor([1, 2], dtype=ember.int32), ember.ones(2)
    assert (i64 + 1).dtype is ember.int64
    assert (i64 + 1.0).dtype is ember.float32
    assert (i32 + 1).dtype is ember.int32
    assert (i64 / i64).dtype is ember.float32
    assert (i32 + f32).dtype is ember.float32
    assert (f32 + ember.tensor(1.0, dtype=ember.float64)).dtype is ember.float32
    assert (f32.double() + ember.ones(2)).dtype is ember.float64
    u8, s8 = ember.ones(2, dtype=ember.uint8), ember.ones(2, dtype=ember.int8)
    assert (u8 + s8).dtype is ember.int16
    assert (u8 + ember.tensor(1, dtype=ember.int8)).dtype is ember.uint8
    b = ember.tensor([True, False])
    assert (b + b).dtype is ember.bool and (b + 1).dtype is ember.int64
    assert (b * 1.5).dtype is ember.float32
    assert ember.result_type(i32, 2.5) is ember.float32
    assert ember.promote_types(ember.uint8, ember.int8) is ember.int16


def test_numpy_scalars_behave_like_python_scalars():
    f32 = np.ones(3, np.float32)
    i32 = np.ones(3, np.int32)
    for s in (np.float64(2.5), np.int64(2), np.float32(1.5)):
        check_op(*both(lambda L, x, s=s: x + s), f32, requires_grad=False)
        check_op(*both(lambda L, x, s=s: x * s), i32, requires_grad=False)


def test_default_dtype_float64_makes_python_floats_double():
    ember.set_default_dtype(ember.float64)
    try:
        assert (ember.tensor([1, 2]) * 1.5).dtype is ember.float64
        assert (ember.tensor([1, 2]) / 2).dtype is ember.float64
        assert (ember.ones(2, dtype=ember.float32) * 1.5).dtype is ember.float32
    finally:
        ember.set_default_dtype(ember.float32)


# -- integer semantics ----------------------------------------------------------------------
def test_integer_division_and_modulus():
    a = np.array([-7, -3, 0, 3, 7, 8], np.int64)
    b = np.array([2, -2, 3, -4, 3, -3], np.int64)
    for fn in (lambda L, x, y: x // y, lambda L, x, y: x % y, lambda L, x, y: L.fmod(x, y),
               lambda L, x, y: x / y, lambda L, x, y: L.div(x, y, rounding_mode="trunc"),
               lambda L, x, y: L.div(x, y, rounding_mode="floor"),
               lambda L, x, y: L.floor_divide(x, y), lambda L, x, y: x ** L.abs(y)):
        check_op(*both(fn), a, b)
        check_op(*both(fn), a.astype(np.float32), b.astype(np.float32), requires_grad=False)


@pytest.mark.parametrize("call", [
    lambda L: L.tensor([1, 2]) // 0, lambda L: L.tensor([1, 2]) % 0,
    lambda L: L.tensor([1, 2]) ** -1, lambda L: L.tensor([1, 2]).div(0, rounding_mode="floor"),
    lambda L: L.ones(2, dtype=L.bool) - L.ones(2, dtype=L.bool), lambda L: -L.tensor([True]),
    lambda L: L.div(L.ones(2), 2, rounding_mode="x"), lambda L: L.ones(2) + L.ones(3),
    lambda L: L.ones(2, 3) * L.ones(4, 1, 2),
])
def test_errors_match_torch(call):
    assert_same_error(partial(call, ember), partial(call, torch))


def test_float_division_by_zero_gives_inf_nan():
    a = np.array([1.0, -1.0, 0.0], np.float32)
    check_op(*both(lambda L, x: x / 0), a, requires_grad=False)
    check_op(*both(lambda L, x: L.tensor([1, -1, 0]) / L.tensor(0)), a, requires_grad=False)


def test_integer_pow_and_bool_pow():
    a = np.array([2, 3, 0], np.int64)
    check_op(*both(lambda L, x: x ** 2), a)
    check_op(*both(lambda L, x: x ** 2.5), a)
    check_op(*both(lambda L, x: x ** L.tensor(2.0)), a)
    check_op(*both(lambda L, x: L.square(x)), a)
    check_op(*both(lambda L, x: L.square(x)), np.array([True, False]))
    check_op(*both(lambda L, x: 2 ** x), a)


def test_pow_special_values_and_gradients():
    # 0 ** positive exponent has a zero gradient for the exponent; 0 ** 0 == 1
    a = np.array([0.0, 0.0, 2.0, 1.5], np.float32)
    b = np.array([0.0, 2.0, 0.0, 3.0], np.float32)
    check_op(*both(lambda L, x, y: x ** y), a, b)
    check_op(*both(lambda L, x: x ** 0), a)
    check_op(*both(lambda L, x: x ** 1), a)
    check_op(*both(lambda L, x: 0 ** x), b)


def test_neg_reciprocal_square():
    a = pos(3, 4)
    for fn in (lambda L, x: -x, lambda L, x: L.neg(x), lambda L, x: L.reciprocal(x),
               lambda L, x: L.square(x), lambda L, x: x.neg(), lambda L, x: +x):
        check_op(*both(fn), a, dtypes=["float32", "float64"])
    check_op(*both(lambda L, x: L.reciprocal(x)), np.array([1, 2, 4]))
    check_op(*both(lambda L, x: -x), np.array([1, 2, 4], np.int32))
    gradcheck_op(ember.reciprocal, pos(3))
    gradcheck_op(ember.neg, arr(3))
    gradcheck_op(ember.square, arr(3))


@given(array_pairs())
def test_broadcasting_hypothesis(pair):
    a, b = pair
    b = np.where(np.abs(b) < 0.3, 0.5, b)
    for fn in (lambda L, x, y: x + y, lambda L, x, y: x * y - y, lambda L, x, y: x / y):
        check_op(*both(fn), a, b, layouts_=("contiguous", "transposed"), atol=1e-8, rtol=1e-6)


# -- out= --------------------------------------------------------------------------------------
OUT_OPS = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder", "fmod",
           "floor_divide"]


@pytest.mark.parametrize("op", OUT_OPS)
def test_out_argument(op):
    a, b = pos(3, 4), pos(4)
    res = []
    for L in (ember, torch):
        out = L.empty(3, 4, dtype=L.float64)
        got = getattr(L, op)(L.tensor(a), L.tensor(b), out=out)
        assert got is out
        res.append(out)
    assert_same(*res)


def test_out_resized_when_empty_and_checked():
    for L in (ember, torch):
        out = L.empty(0)
        L.add(L.ones(2), 1, out=out)
        assert tuple(out.shape) == (2,) and out.tolist() == [2.0, 2.0]
    assert_same_error(lambda: ember.add(ember.ones(2), 1.5, out=ember.empty(2, dtype=ember.int64)),
                      lambda: torch.add(torch.ones(2), 1.5, out=torch.empty(2, dtype=torch.int64)))
    assert_same_error(
        lambda: ember.mul(ember.ones(2, requires_grad=True), 2, out=ember.empty(2)),
        lambda: torch.mul(torch.ones(2, requires_grad=True), 2, out=torch.empty(2)))


def test_out_bumps_version():
    for L in (ember, torch):
        out = L.empty(2)
        v = _version(out)
        L.add(L.ones(2), 1, out=out)
        assert _version(out) > v


# -- in-place ------------------------------------------------------------------------------
def _version(t):
    return t._version if isinstance(t._version, int) else t._version[0]


INPLACE = {
    "add_": lambda x, y: x.add_(y), "add_alpha": lambda x, y: x.add_(y, alpha=2),
    "sub_": lambda x, y: x.sub_(y), "mul_": lambda x, y: x.mul_(y),
    "div_": lambda x, y: x.div_(y), "pow_": lambda x, y: x.pow_(y),
    "iadd": lambda x, y: x.__iadd__(y), "isub": lambda x, y: x.__isub__(y),
    "imul": lambda x, y: x.__imul__(y), "itruediv": lambda x, y: x.__itruediv__(y),
    "add_scalar": lambda x, y: x.add_(2), "mul_scalar": lambda x, y: x.mul_(1.5),
    "div_floor": lambda x, y: x.div_(y, rounding_mode="floor"),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_values_version_and_identity(name):
    a, b = pos(3, 4), pos(4)
    res = []
    for L in (ember, torch):
        x, y = L.tensor(a), L.tensor(b)
        v = _version(x)
        got = INPLACE[name](x, y)
        assert got is x and _version(x) == v + 1
        res.append(x)
    assert_same(*res)


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_autograd(name):
    """In-place on a non-leaf: gradients flow through the rewritten history."""
    if name == "div_floor":
        return
    a, b = pos(3, 4), pos(4)

    def fn(L, x, y):
        z = x * 1
        INPLACE[name](z, y)
        return z
    check_op(*both(fn), a, b)
    gradcheck_op(partial(fn, ember), a, b)


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_leaf_requiring_grad_is_refused(name):
    x, y = ember.ones(3, requires_grad=True), ember.ones(3)
    tx, ty = torch.ones(3, requires_grad=True), torch.ones(3)
    assert_same_error(lambda: INPLACE[name](x, y), lambda: INPLACE[name](tx, ty))
    with ember.no_grad():
        INPLACE[name](x, y)  # allowed without grad mode
    assert x.requires_grad and x.grad_fn is None


def test_inplace_errors():
    for call in (lambda L: L.ones(2, 3).add_(L.ones(3, 3)),
                 lambda L: L.ones(3).add_(L.ones(2, 3)),
                 lambda L: L.ones(3, dtype=L.int32).sub_(L.ones(3), alpha=2),
                 lambda L: L.ones(3, dtype=L.int32).add_(L.ones(3, dtype=L.int64), alpha=2.5),
                 lambda L: L.ones(3).add_(L.ones(3), alpha=True),
                 lambda L: L.ones(3, dtype=L.bool).sub_(True),
                 lambda L: L.ones(3, dtype=L.bool).add_(1),
                 lambda L: L.ones(3, dtype=L.int64).add_(1.5),
                 lambda L: L.ones(3, dtype=L.int64).div_(2),
                 lambda L: L.ones(3, dtype=L.int64).mul_(L.ones(3))):
        assert_same_error(partial(call, ember), partial(call, torch))


def test_inplace_on_view_changes_base_and_bumps_shared_version():
    res = []
    for L in (ember, torch):
        base = L.zeros(3, 4)
        view = base[1]
        view.add_(1)
        base[:, 0].mul_(5)
        assert _version(base) == _version(view) == 2
        res.append(base)
    assert_same(*res)


def test_modified_saved_tensor_is_detected():
    x, tx = ember.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)

    def run(L, x):
        y = x * 2
        z = y * y
        y.add_(1)
        z.sum().backward()
    assert_same_error(lambda: run(ember, x), lambda: run(torch, tx))


def test_inplace_int_tensor_with_float_tensor_needs_same_kind():
    res = []
    for L in (ember, torch):
        x = L.tensor([1.0, 2.0], dtype=L.float32)
        x.add_(L.tensor([1, 2]))
        x.mul_(L.tensor([2.0], dtype=L.float64))
        res.append(x)
    assert_same(*res)
