"""Dtype promotion and elementwise/reduction semantics checked against PyTorch: complex
operands refused by ordering ops, fmax/fmin, shifts, float_power, in-place forms and their
casting rules, aliases, and the degenerate reductions (empty inputs, bad dtypes)."""

import warnings

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, check_op

torch = pytest.importorskip("torch")


def both(fn):
    """``fn`` run with ember and with torch."""
    return fn(ember), fn(torch)


def same(fn):
    e, t = both(fn)
    assert_same(e, t)


def same_error(fn):
    assert_same_error(lambda: fn(ember), lambda: fn(torch))


# -- complex operands have no order --------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda L, x: x < x, lambda L, x: x >= 1.5, lambda L, x: 2j > L.tensor([1.0, 2.0]),
    lambda L, x: L.le(L.tensor([1, 2]), x), lambda L, x: L.maximum(x, x),
    lambda L, x: L.minimum(L.tensor([1.0, 2.0]), x), lambda L, x: L.fmax(x, x),
    lambda L, x: x.max(), lambda L, x: x.min(0), lambda L, x: x.amax(),
    lambda L, x: L.amin(x, 0), lambda L, x: x.argmax(), lambda L, x: x.argmin(0),
    lambda L, x: x // 2, lambda L, x: x % x, lambda L, x: L.fmod(x, 2.0),
    lambda L, x: x.div(2, rounding_mode="floor"),
])
def test_complex_operands_refused(call):
    same_error(lambda L: call(L, L.tensor([1 + 1j, 2 - 1j])))


def test_complex_reduction_dim_checked_first():
    same_error(lambda L: L.tensor([[1j]]).max(5))


# -- fmax / fmin ---------------------------------------------------------------------------
def test_fmax_fmin_ignore_nan_and_route_gradients():
    nan = np.nan
    a = np.array([1.0, 2.0, nan, 3.0, nan, 1.0], np.float32)
    b = np.array([1.0, nan, 1.0, 4.0, nan, 0.5], np.float32)
    for fn in ("fmax", "fmin"):
        check_op(getattr(ember, fn), getattr(torch, fn), a, b)
        check_op(lambda x, y, name=fn: getattr(x, name)(y), None, a[:, None], b)


@pytest.mark.parametrize("dtypes", [("int64", "float32"), ("bool", "bool"), ("int8", "uint8")])
def test_fmax_fmin_promote(dtypes):
    a, b = np.array([1, 0, 3]), np.array([2, 0, 1])
    check_op(ember.fmin, torch.fmin, a, b, dtypes=[dtypes])
    check_op(ember.fmax, torch.fmax, a, b, dtypes=[dtypes])


def test_fmax_needs_tensors():
    same_error(lambda L: L.fmax(L.tensor([1.0]), 2.0))


# -- shifts --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64"])
def test_shift_amounts_out_of_range(dtype):
    def run(L, fn):
        x = L.tensor([1, -8, 5, 127], dtype=L.int16).to(getattr(L, dtype))
        amounts = L.tensor([0, 1, 3, 7, 8, 9, 63, 64, 65, -1])
        return getattr(L, fn)(x[:, None], amounts.to(x.dtype))
    for fn in ("bitwise_left_shift", "bitwise_right_shift"):
        e, t = run(ember, fn), run(torch, fn)
        assert_same(e, t)


@pytest.mark.parametrize("call", [
    lambda L: L.bitwise_left_shift(L.tensor([1, 2], dtype=L.int8), L.tensor([1, 2])),
    lambda L: L.bitwise_left_shift(3, L.tensor([1, 2], dtype=L.int8)),
    lambda L: L.bitwise_right_shift(L.tensor([True, False]), 1),
    lambda L: L.tensor([-7, 9]).bitwise_right_shift(1),
])
def test_shift_promotion(call):
    same(call)


@pytest.mark.parametrize("call", [
    lambda L: L.bitwise_left_shift(L.tensor([1.0]), 1),
    lambda L: L.bitwise_right_shift(L.tensor([1]), 1.5),
    lambda L: L.bitwise_left_shift(L.tensor([True]), L.tensor([True])),
    lambda L: L.tensor([1, 2]).bitwise_left_shift_(L.tensor([1, 2, 3])),
])
def test_shift_errors(call):
    same_error(call)


# -- float_power ---------------------------------------------------------------------------
# ember's dtype-cast node warns when a complex gradient is cast back to real; torch is silent.
@pytest.mark.filterwarnings("ignore:Casting complex values")
@pytest.mark.parametrize("call", [
    lambda L, x: L.float_power(x, 2), lambda L, x: x.float_power(x),
    lambda L, x: L.float_power(2, x), lambda L, x: L.float_power(x.to(L.int64), -1),
    lambda L, x: L.float_power(x, 1j),
])
def test_float_power_is_double(call):
    a = np.array([1.0, 2.0, 0.5], np.float32)
    check_op(lambda x: call(ember, x), lambda x: call(torch, x), a, layouts_=["contiguous"])


def test_float_power_inplace_needs_double():
    same_error(lambda L: L.tensor([1.0, 2.0]).float_power_(2))
    same(lambda L: L.tensor([1.0, 2.0], dtype=L.float64).float_power_(2))


# -- in-place forms and their casting rules --------------------------------------------------
@pytest.mark.parametrize("method, other", [
    ("floor_divide_", 2), ("remainder_", -3), ("fmod_", -3), ("true_divide_", 2.0),
    ("eq_", 2), ("lt_", 2.5), ("ge_", 2), ("not_equal_", 1), ("logical_and_", 0),
    ("logical_or_", 0), ("logical_xor_", 1), ("bitwise_and_", 6), ("bitwise_or_", 1),
    ("bitwise_xor_", 3), ("bitwise_left_shift_", 2), ("bitwise_right_shift_", 1),
    ("subtract_", 1), ("multiply_", 3), ("divide_", 2.0), ("floor_divide_", 2.5),
    ("remainder_", 1.5), ("bitwise_and_", True),
])
@pytest.mark.parametrize("dtype", ["int64", "float32", "bool"])
def test_inplace_methods(method, other, dtype):
    def run(L):
        x = L.tensor([5, -3, 0, 7]).to(getattr(L, dtype))
        o = L.tensor([other, other, 1, other]) if method.startswith("logical") else other
        view = x[1:]
        r = getattr(view, method)(o[1:] if isinstance(o, L.Tensor) else o)
        assert r is view
        return x  # written through the view
    try:
        t = run(torch)
    except Exception:
        same_error(run)
        return
    assert_same(run(ember), t)


@pytest.mark.parametrize("call", [
    lambda L: L.tensor([1, 2]).floor_divide_(L.tensor([[1, 2]])),
    lambda L: L.tensor([True]).remainder_(L.tensor([2])),
    lambda L: L.tensor([1.0]).bitwise_or_(1),
    lambda L: L.tensor([1, 2]).logical_not_(),
    lambda L: L.tensor([1.5, 0.0]).logical_not_(),
    lambda L: L.tensor([1, 2]).bitwise_not_(),
])
def test_inplace_edge_cases(call):
    try:
        t = call(torch)
    except Exception:
        same_error(call)
        return
    assert_same(call(ember), t)


def test_inplace_floor_divide_grad_fn():
    def run(L):
        x = L.tensor([3.0, 4.0], requires_grad=True).clone()
        return x.remainder_(2).grad_fn.name()
    e, t = both(run)
    assert e == t


# -- aliases -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["subtract", "multiply", "divide", "greater", "greater_equal",
                                  "less", "less_equal", "not_equal", "arctan2"])
def test_aliases(name):
    a, b = np.array([1.0, 2.0, 3.0], np.float32), np.array([2.0, 2.0, 1.0], np.float32)
    check_op(getattr(ember, name), getattr(torch, name), a, b, layouts_=["contiguous"])
    check_op(lambda x, y: getattr(x, name)(y), None, a, b, layouts_=["contiguous"])


# -- reductions: degenerate cases --------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda L: L.var(L.zeros(0)), lambda L: L.std(L.zeros(3, 0), 1),
    lambda L: L.var(L.tensor([1.0, 2.0]), correction=3),
    lambda L: L.std(L.tensor([1.0, 2.0]), correction=2), lambda L: L.var_mean(L.zeros(0)),
    lambda L: L.std_mean(L.zeros(2, 0), 1),
])
def test_moments_with_no_degrees_of_freedom(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(call)


@pytest.mark.parametrize("call", [
    lambda L: L.tensor([1, 2]).mean(dtype=L.int64),
    lambda L: L.tensor([True]).mean(0, dtype=L.int32),
    lambda L: L.tensor([1, 2]).mean(),
    lambda L: L.amax(L.zeros(3, 0), -1), lambda L: L.amin(L.zeros(3, 0, 2), (0, -2)),
    lambda L: L.zeros(0).amax(-1), lambda L: L.amax(L.zeros(3, 0), [1]),
    lambda L: L.norm(L.zeros(0), -1), lambda L: L.norm(L.zeros(3, 0), float("inf")),
    lambda L: L.norm(L.zeros(3, 0), -2, -1), lambda L: L.norm(L.zeros(3, 0), -0.5, (0, 1)),
])
def test_reduction_errors(call):
    same_error(call)


@pytest.mark.parametrize("call", [
    lambda L: L.norm(L.zeros(3, 0), -1, 0), lambda L: L.norm(L.zeros(3, 0), float("inf"), 0),
    lambda L: L.norm(L.zeros(3, 0), 2, 1), lambda L: L.norm(L.zeros(0), 1),
])
def test_norm_of_empty(call):
    same(call)


_WRAP_EXPRS = ["a + s", "a - s", "a * s", "a / s", "s / a", "a // s", "a % s", "a ** s",
               "a == s", "a < s", "a.clamp(max=s)", "L.div(a, s, rounding_mode='floor')",
               "a & s", "a | s", "L.fmod(a, s)", "L.where(a > 1, a, s)"]


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
@pytest.mark.parametrize("scalar", [-2, 300, -300])
@pytest.mark.parametrize("expr", _WRAP_EXPRS)
def test_out_of_range_python_ints_against_small_int_tensors(dtype, scalar, expr):
    outcomes = []
    for L in (ember, torch):
        a = L.tensor([1, 2, 3], dtype=getattr(L, dtype))
        try:
            v = eval(expr, {"L": L, "a": a, "s": scalar})
            outcomes.append((str(v.dtype).split(".")[-1], v.tolist()))
        except (RuntimeError, ZeroDivisionError) as err:
            outcomes.append((type(err).__name__, str(err)))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("dtype", ["int32", "int16", "uint8", "int64", "float32"])
@pytest.mark.parametrize("expr", ["L.tensor([1], dtype=dt).fill_(v)",
                                  "L.full((1,), v, dtype=dt)",
                                  "L.tensor([1], dtype=dt).__setitem__(0, v)",
                                  "L.tensor([1], dtype=dt).clamp(max=v)"])
def test_overflowing_scalars_name_the_c_type(dtype, expr):
    value = 1e300 if dtype == "float32" or "fill_" in expr else 2 ** 40
    calls = [lambda L=L: eval(expr, {"L": L, "dt": getattr(L, dtype), "v": value})
             for L in (ember, torch)]
    outcomes = []
    for call in calls:
        try:
            call()
            outcomes.append("ok")
        except (RuntimeError, ValueError) as err:
            outcomes.append(f"{type(err).__name__}: {err}")
    assert outcomes[0] == outcomes[1]
