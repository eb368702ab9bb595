"""Comparisons, logical and bitwise ops, and ``where`` against PyTorch."""

from functools import partial

import numpy as np
import pytest
from hypothesis import given

import ember
from helpers import (array_pairs, assert_same, assert_same_error, check_op, gradcheck_op,
                     grad_fn_names, rng)

torch = pytest.importorskip("torch")

R = rng(3)


def both(fn):
    return partial(fn, ember), partial(fn, torch)


def ints(*shape, low=-3, high=4, dtype=np.int64):
    return R.integers(low, high, shape).astype(dtype)


SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (3,)), ((), ())]
COMPARE = {
    "eq": lambda L, x, y: L.eq(x, y), "ne": lambda L, x, y: x.ne(y), "lt": lambda L, x, y: x < y,
    "le": lambda L, x, y: x <= y, "gt": lambda L, x, y: L.gt(x, y), "ge": lambda L, x, y: x >= y,
    "==": lambda L, x, y: x == y, "!=": lambda L, x, y: x != y,
}


@pytest.mark.parametrize("name", sorted(COMPARE))
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_compare_tensors(name, shapes):
    a, b = ints(*shapes[0]), ints(*shapes[1])
    # Small integers make ties frequent; floats, mixed dtypes and requires_grad inputs too.
    check_op(*both(COMPARE[name]), a, b, dtypes=["int64", "float32", ("int32", "float64"),
                                                 ("uint8", "int8"), ("bool", "int64")])
    check_op(*both(COMPARE[name]), a.astype(np.float32), b.astype(np.float32),
             requires_grad=True)


@pytest.mark.parametrize("name", sorted(COMPARE))
@pytest.mark.parametrize("scalar", [1, 1.5, True, -0.0], ids=repr)
def test_compare_scalars(name, scalar):
    for dt in ("int64", "float32", "uint8", "bool"):
        a = ints(5, low=0, high=3).astype(dt)
        check_op(*both(lambda L, x: COMPARE[name](L, x, scalar)), a, layouts_=("contiguous",))
        if name in ("lt", "le", "ge", "==", "!="):  # operators: Python reflects them
            check_op(*both(lambda L, x: COMPARE[name](L, scalar, x)), a,
                     layouts_=("contiguous",))


def test_compare_nan_and_inf():
    a = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], np.float32)
    b = np.array([np.nan, np.inf, 0.0, -0.0, 0.0], np.float32)
    for fn in COMPARE.values():
        check_op(*both(fn), a, b)


def test_compare_with_non_tensors():
    for L in (ember, torch):
        t = L.tensor([1.0, 2.0])
        assert (t == None) is False and (t != None) is True  # noqa: E711
        assert (t == "a") is False
    assert_same_error(lambda: ember.tensor([1.0]) < None, lambda: torch.tensor([1.0]) < None)


def test_compare_out_and_errors():
    res = []
    for L in (ember, torch):
        out = L.empty(3, dtype=L.bool)
        assert L.lt(L.tensor([1, 2, 3]), 2, out=out) is out
        res.append(out)
    assert_same(*res)
    assert_same_error(lambda: ember.ones(2) == ember.ones(3),
                      lambda: torch.ones(2) == torch.ones(3))


@given(array_pairs())
def test_compare_hypothesis(pair):
    a, b = pair
    b = np.where(R.random(b.shape) < 0.3, 0.0, b)
    a = np.where(R.random(a.shape) < 0.3, 0.0, a)
    for fn in (COMPARE["lt"], COMPARE["=="], COMPARE["ge"]):
        check_op(*both(fn), a, b, layouts_=("contiguous", "transposed"))


# -- equal / isclose ------------------------------------------------------------------------
def test_equal_allclose_isclose():
    cases = [(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])),
             (np.array([1.0, np.nan]), np.array([1.0, np.nan])),
             (np.array([1.0, 2.0]), np.array([1.0, 2.1])),
             (np.array([[1.0, 2.0]]), np.array([1.0, 2.0])),
             (np.array([1, 2]), np.array([1, 2]))]
    for a, b in cases:
        check_op(*both(lambda L, x, y: L.equal(x, y)), a, b)
        check_op(*both(lambda L, x, y: L.allclose(x, y)), a, b)
        check_op(*both(lambda L, x, y: x.isclose(y)), a, b)
        check_op(*both(lambda L, x, y: L.isclose(x, y, equal_nan=True)), a, b)
        check_op(*both(lambda L, x, y: L.allclose(x, y, rtol=0.1, atol=0.0)), a, b)
    check_op(*both(lambda L, x, y: L.equal(x, y)), np.array([1, 2]), np.array([1.0, 2.0]))
    check_op(*both(lambda L, x, y: L.isclose(x, y)), np.array([1, 2]), np.array([1.0, 2.0]))
    check_op(*both(lambda L, x, y: L.isclose(x, y, atol=1)), np.array([1, 5]),
             np.array([2, 3]))


# -- logical / bitwise -------------------------------------------------------------------------
LOGICAL = {
    "logical_and": lambda L, x, y: L.logical_and(x, y),
    "logical_or": lambda L, x, y: x.logical_or(y),
    "logical_xor": lambda L, x, y: L.logical_xor(x, y),
    "logical_not": lambda L, x, y: L.logical_not(x),
}
BITWISE = {
    "&": lambda L, x, y: x & y, "|": lambda L, x, y: x | y, "^": lambda L, x, y: x ^ y,
    "~": lambda L, x, y: ~x, "bitwise_and": lambda L, x, y: L.bitwise_and(x, y),
    "bitwise_or": lambda L, x, y: x.bitwise_or(y), "bitwise_xor": lambda L, x, y: x.bitwise_xor(y),
    "bitwise_not": lambda L, x, y: L.bitwise_not(x),
}


@pytest.mark.parametrize("name", sorted(LOGICAL) + sorted(BITWISE))
@pytest.mark.parametrize("dtypes", ["bool", "int64", "uint8", ("int32", "int16"),
                                    ("bool", "int64"), "float32"], ids=str)
def test_logical_and_bitwise(name, dtypes):
    fn = {**LOGICAL, **BITWISE}[name]
    check_op(*both(fn), ints(3, 4, low=-2, high=3), ints(4, low=-2, high=3), dtypes=[dtypes],
             requires_grad=False)


@pytest.mark.parametrize("scalar", [3, True])
def test_bitwise_with_scalars(scalar):
    for dt in ("int64", "uint8", "bool"):
        a = ints(4, low=0, high=7).astype(dt)
        for fn in (lambda L, x: x & scalar, lambda L, x: scalar | x, lambda L, x: x ^ scalar):
            check_op(*both(fn), a)
    assert_same_error(lambda: ember.logical_and(ember.ones(2), 0),
                      lambda: torch.logical_and(torch.ones(2), 0))


# -- where -----------------------------------------------------------------------------------
def test_where_values_gradients_names():
    cond = R.random((3, 4)) < 0.5
    a, b = R.standard_normal((3, 4)).astype(np.float32), R.standard_normal(4).astype(np.float32)
    check_op(*both(lambda L, c, x, y: L.where(c, x, y)), cond, a, b)
    check_op(*both(lambda L, c, x, y: x.where(c, y)), cond, a, b)
    check_op(*both(lambda L, c, x, y: L.where(c, x, y)), cond[:, :1], a, b,
             dtypes=[(None, "float64", "float32")])
    check_op(*both(lambda L, c, x: L.where(c, x, 0.0)), cond, a)
    check_op(*both(lambda L, c, x: L.where(c, 2, x)), cond, a)
    check_op(*both(lambda L, c: L.where(c, 1, 0)), cond)
    check_op(*both(lambda L, c: L.where(c, 1.0, 0)), cond)
    check_op(*both(lambda L, c, x: L.where(c, x, 2.5)), cond, ints(3, 4))
    gradcheck_op(lambda c, x, y: ember.where(c, x, y), cond, a, b)
    for L in (ember, torch):
        x = L.ones(2, requires_grad=True)
        out = L.where(L.tensor([True, False]), x, 0.0)
        assert grad_fn_names(out, 1)[0] == "WhereBackward0"


def test_where_single_argument_and_errors():
    c = np.array([[0, 1, 2], [3, 0, 0]])
    check_op(*both(lambda L, x: L.where(x)), c)
    check_op(*both(lambda L, x: L.where(x != 0)), c)
    assert_same_error(lambda: ember.where(ember.tensor([1, 0]), ember.ones(2), ember.ones(2)),
                      lambda: torch.where(torch.tensor([1, 0]), torch.ones(2), torch.ones(2)))
    assert_same_error(lambda: ember.where(ember.tensor([True]), ember.ones(2), ember.ones(3)),
                      lambda: torch.where(torch.tensor([True]), torch.ones(2), torch.ones(3)))


def test_compare_results_do_not_require_grad():
    for L in (ember, torch):
        x = L.ones(2, requires_grad=True)
        assert not (x > 0).requires_grad and (x > 0).grad_fn is None
        assert not L.isclose(x, x).requires_grad
