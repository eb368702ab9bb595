"""Reductions against PyTorch: values, dtypes, dim/keepdim, gradients, grad_fns, errors."""

import warnings
from functools import partial

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ember
from helpers import (assert_same, assert_same_error, check_op, float_arrays, gradcheck_op, rng,
                     shapes)

torch = pytest.importorskip("torch")

R = rng(2)


def arr(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def both(fn):
    return partial(fn, ember), partial(fn, torch)


# (name, fn(lib, x)) over every shape in SHAPES; dims are valid for 0-d too (0 / -1).
REDUCTIONS = {
    "sum": lambda L, x: x.sum(),
    "sum_dim": lambda L, x: x.sum(-1),
    "sum_dim_keep": lambda L, x: L.sum(x, 0, keepdim=True),
    "sum_dim_none": lambda L, x: x.sum(dim=None),
    "sum_empty_dims": lambda L, x: x.sum(()),
    "sum_dtype": lambda L, x: x.sum(dtype=L.float64),
    "mean": lambda L, x: x.mean(),
    "mean_dim": lambda L, x: L.mean(x, -1),
    "mean_dim_keep": lambda L, x: x.mean(0, keepdim=True),
    "prod": lambda L, x: x.prod(),
    "prod_dim": lambda L, x: x.prod(-1),
    "prod_dim_keep": lambda L, x: L.prod(x, 0, True),
    "var": lambda L, x: x.var(),
    "var_dim": lambda L, x: x.var(-1),
    "var_unbiased_false": lambda L, x: x.var(0, unbiased=False, keepdim=True),
    "var_correction": lambda L, x: L.var(x, -1, correction=0),
    "std": lambda L, x: x.std(),
    "std_dim": lambda L, x: x.std(0, keepdim=True),
    "std_flag": lambda L, x: x.std(False),
    "max": lambda L, x: x.max(),
    "min": lambda L, x: L.min(x),
    "max_dim": lambda L, x: x.max(-1),
    "min_dim_keep": lambda L, x: L.min(x, 0, keepdim=True),
    "amax": lambda L, x: x.amax(),
    "amax_dim": lambda L, x: L.amax(x, -1),
    "amin_dim_keep": lambda L, x: x.amin(0, keepdim=True),
    "argmax": lambda L, x: x.argmax(),
    "argmax_dim": lambda L, x: x.argmax(-1, keepdim=True),
    "argmin_dim": lambda L, x: L.argmin(x, 0),
    "logsumexp": lambda L, x: x.logsumexp(-1),
    "logsumexp_keep": lambda L, x: L.logsumexp(x, 0, keepdim=True),
    "norm": lambda L, x: x.norm(),
    "norm_1": lambda L, x: x.norm(1),
    "norm_3_dim": lambda L, x: x.norm(3, dim=-1),
    "norm_inf": lambda L, x: x.norm(float("inf")),
    "norm_dim_keep": lambda L, x: L.norm(x, dim=0, keepdim=True),
    "var_mean": lambda L, x: L.var_mean(x, -1),
    "std_mean": lambda L, x: L.std_mean(x),
}
SHAPES = [(), (5,), (3, 4), (2, 3, 4)]
# Reductions of one element with Bessel's correction are nan (torch warns, as we do).
_NAN_ON_ONE = {"var", "var_dim", "std", "std_dim", "std_mean"}


CASES = [(name, shape) for name in sorted(REDUCTIONS) for shape in SHAPES
         if not (shape == () and name in _NAN_ON_ONE)]  # see test_moments_with_no_degrees...


@pytest.mark.parametrize(("name", "shape"), CASES, ids=str)
def test_reduction_matches_torch(name, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_op(*both(REDUCTIONS[name]), arr(*shape), dtypes=["float32", "float64"])


@pytest.mark.parametrize("name", sorted(n for n in REDUCTIONS if not n.startswith("arg")))
def test_reduction_gradcheck(name):
    x = arr(2, 3)
    if name.startswith("prod"):
        x[0, 1] = 0.0  # a zero factor takes the division-free path
    gradcheck_op(partial(REDUCTIONS[name], ember), x)


def test_multi_dim_and_negative_dims():
    x = arr(2, 3, 4)
    for dim in [(0, 2), (-1, 0), [1], (0, 1, 2)]:
        check_op(*both(lambda L, t, d=dim: t.sum(d)), x)
        check_op(*both(lambda L, t, d=dim: t.mean(d, keepdim=True)), x)
        check_op(*both(lambda L, t, d=dim: t.var(d)), x)
        check_op(*both(lambda L, t, d=dim: t.amax(d)), x)
        check_op(*both(lambda L, t, d=dim: t.logsumexp(d)), x)
        check_op(*both(lambda L, t, d=dim: t.norm(dim=d)), x)


def test_keepdim_with_dim_none_keeps_every_dim():
    x = arr(2, 3)
    for fn in (lambda L, t: t.sum(dim=None, keepdim=True),
               lambda L, t: t.mean(dim=None, keepdim=True),
               lambda L, t: t.var(dim=None, keepdim=True),
               lambda L, t: t.norm(dim=None, keepdim=True),
               lambda L, t: t.argmax(keepdim=True)):
        check_op(*both(fn), x)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8", "bool"])
def test_integer_and_bool_inputs(dtype):
    x = R.integers(0, 3, (3, 4)).astype(dtype)
    for fn in (lambda L, t: t.sum(), lambda L, t: t.sum(1), lambda L, t: t.prod(0),
               lambda L, t: t.max(), lambda L, t: t.max(1), lambda L, t: t.amin(0),
               lambda L, t: t.all(),
               lambda L, t: t.any(1), lambda L, t: t.all(0, keepdim=True),
               lambda L, t: L.count_nonzero(t, 1), lambda L, t: t.logsumexp(1),
               lambda L, t: t.mean(dtype=L.float32), lambda L, t: t.sum(dtype=L.float64)):
        check_op(*both(fn), x)
    if dtype != "bool":
        check_op(*both(lambda L, t: t.argmax()), x)
        check_op(*both(lambda L, t: t.argmin(1)), x)


def test_float16_sums_keep_half():
    x = arr(4, 5, dtype=np.float16)
    for fn in (lambda L, t: t.sum(), lambda L, t: t.mean(1), lambda L, t: t.sum(0)):
        check_op(*both(fn), x, requires_grad=False, atol=1e-2, rtol=1e-2)


def test_max_with_dim_returns_named_tuple():
    x = arr(3, 4)
    e = ember.from_numpy(x).max(1)
    t = torch.from_numpy(x).max(1)
    assert type(e).__name__ == "max" and e._fields == ("values", "indices")
    assert_same(e.values, t.values)
    assert_same(e.indices, t.indices)
    values, indices = ember.from_numpy(x).min(dim=0)
    assert_same(values, torch.from_numpy(x).min(dim=0)[0])
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert isinstance(e, tuple) and isinstance(e, ember.return_types.max)


def test_ties_share_the_gradient_like_torch():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.5]], np.float32)
    for fn in (lambda L, t: t.max(), lambda L, t: t.min(), lambda L, t: t.amax(1),
               lambda L, t: t.amin((0, 1)), lambda L, t: t.max(1),
               lambda L, t: t.norm(float("inf"), dim=1)):
        check_op(*both(fn), x)


def test_prod_gradient_with_zeros():
    x = np.array([[1.0, 0.0, 3.0], [0.0, 2.0, 0.0], [2.0, 3.0, 4.0]], np.float32)
    for fn in (lambda L, t: t.prod(), lambda L, t: t.prod(1), lambda L, t: t.prod(0, True)):
        check_op(*both(fn), x)


def test_nan_propagation():
    x = np.array([[1.0, np.nan, 2.0], [0.5, 0.2, 0.1]], np.float32)
    for fn in (lambda L, t: t.max(), lambda L, t: t.max(1), lambda L, t: t.argmax(),
               lambda L, t: t.amin(1), lambda L, t: t.sum(1)):
        check_op(*both(fn), x, requires_grad=False)


def test_logsumexp_with_infinities():
    x = np.array([[-np.inf, -np.inf], [1.0, 2.0], [np.inf, 0.0]], np.float32)
    check_op(*both(lambda L, t: t.logsumexp(1)), x, requires_grad=False)


def test_empty_tensors():
    z = np.zeros((0, 3), np.float32)
    for fn in (lambda L, t: t.sum(0), lambda L, t: t.sum(), lambda L, t: t.prod(0),
               lambda L, t: t.mean(0), lambda L, t: t.amax(1), lambda L, t: t.max(1),
               lambda L, t: t.norm(), lambda L, t: t.all(), lambda L, t: t.any(0),
               lambda L, t: t.logsumexp(0)):
        check_op(*both(fn), z, requires_grad=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(*both(lambda L, t: t.mean()), z, requires_grad=False)


def test_moments_with_no_degrees_of_freedom():
    for x in (arr(), arr(1)):
        for fn in (lambda L, t: t.var(), lambda L, t: t.std(), lambda L, t: L.std_mean(t)):
            with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
                e = fn(ember, ember.from_numpy(x.copy()))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert_same(e, fn(torch, torch.from_numpy(x.copy())))


def test_all_any_with_empty_dim_list_reduce_nothing():
    x = R.integers(0, 2, (2, 3)).astype(bool)
    check_op(*both(lambda L, t: t.all((), keepdim=True)), x)
    check_op(*both(lambda L, t: L.any(t, dim=(0, 1))), x)


def test_out_argument():
    x = arr(3, 4)
    for name, fn in [("sum", lambda L, t, o: L.sum(t, 1, out=o)),
                     ("mean", lambda L, t, o: L.mean(t, 0, out=o)),
                     ("amax", lambda L, t, o: L.amax(t, 1, out=o)),
                     ("logsumexp", lambda L, t, o: L.logsumexp(t, 1, out=o))]:
        eo, to = ember.empty(0), torch.empty(0)
        e = fn(ember, ember.from_numpy(x), eo)
        t = fn(torch, torch.from_numpy(x), to)
        assert e is eo and t is to, name
        assert_same(eo, to, what=name)
    ev, ei = ember.empty(3), ember.empty(3, dtype=ember.int64)
    tv, ti = torch.empty(3), torch.empty(3, dtype=torch.int64)
    er = ember.max(ember.from_numpy(x), 1, out=(ev, ei))
    tr = torch.max(torch.from_numpy(x), 1, out=(tv, ti))
    assert repr(er) == repr(tr).replace("torch.", "ember.")
    assert er.values is ev


def test_sum_grad_fn_versions():
    x = ember.ones(2, 3, requires_grad=True)
    assert x.sum().grad_fn.name() == "SumBackward0"
    assert x.sum(0).grad_fn.name() == "SumBackward1"
    assert x.mean().grad_fn.name() == "MeanBackward0"
    assert x.mean(1).grad_fn.name() == "MeanBackward1"
    assert x.max().grad_fn.name() == "MaxBackward1"
    assert x.max(0)[0].grad_fn.name() == "MaxBackward0"
    assert x.max(0).indices.grad_fn is None
    assert x.prod(1).grad_fn.name() == "ProdBackward1"
    v, m = ember.var_mean(x, 1)
    assert v.grad_fn is m.grad_fn and v.grad_fn.name() == "VarMeanBackward0"


def test_second_derivatives_match_torch():
    x = arr(3, 4, dtype=np.float64)
    for fn in (lambda L, t: t.var(1), lambda L, t: t.std(), lambda L, t: t.logsumexp(1),
               lambda L, t: t.norm(dim=0), lambda L, t: (t * t).mean(0),
               lambda L, t: t.prod(1), lambda L, t: t.norm(3, dim=1)):
        results = []
        for L in (ember, torch):
            t = L.tensor(x, requires_grad=True)
            (g,) = L.autograd.grad(fn(L, t).sum(), t, create_graph=True)
            (gg,) = L.autograd.grad((g * g).sum(), t)
            results.append((g, gg))
        assert_same(results[0][0], results[1][0])
        assert_same(results[0][1], results[1][1])


def test_errors_match_torch():
    def pair(fn):
        return partial(fn, ember), partial(fn, torch)

    cases = [
        lambda L: L.ones(3, 4).sum(2),
        lambda L: L.ones(3, 4).sum((0, 0)),
        lambda L: L.ones(3, 4).mean(-3),
        lambda L: L.ones(3, dtype=L.int64).mean(),
        lambda L: L.ones(3, dtype=L.int64).var(),
        lambda L: L.ones(3, dtype=L.int64).norm(),
        lambda L: L.zeros(0).max(),
        lambda L: L.zeros(0, 3).max(0),
        lambda L: L.zeros(0).argmax(),
        lambda L: L.zeros(0).amax(),
        lambda L: L.zeros(0, 3).amax(0),
        lambda L: L.ones(2, 3).max(4),
        lambda L: L.ones(2, 3).argmax(-3),
        lambda L: L.ones(2).logsumexp(1),
        lambda L: L.ones(2, dtype=L.bool).argmax(),
        lambda L: L.ones(2, 3).norm(dim=(0, 1, 1)),
        lambda L: L.ones(2, 3, 4).norm("fro", dim=(0, 1, 2)),
    ]
    for case in cases:
        assert_same_error(*pair(case))


@given(shapes(max_dims=4), st.data())
def test_hypothesis_sum_mean_amax_over_random_dims(shape, data):
    x = data.draw(float_arrays(shape, dtype=np.float64))
    ndim = max(len(shape), 1)
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                              unique_by=lambda d: d % ndim))
    keep = data.draw(st.booleans())
    for fn in (lambda L, t: t.sum(tuple(dims), keepdim=keep),
               lambda L, t: t.mean(tuple(dims), keepdim=keep),
               lambda L, t: t.amax(tuple(dims), keepdim=keep),
               lambda L, t: t.logsumexp(tuple(dims), keepdim=keep),
               lambda L, t: t.max(dims[0], keepdim=keep)):
        check_op(*both(fn), x, layouts_=("contiguous",), check_grad_fn=False)
