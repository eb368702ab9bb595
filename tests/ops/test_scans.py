"""Scans and order statistics against PyTorch: cumprod, cummax, cummin, logcumsumexp,
nansum, nanmean, median, nanmedian, kthvalue, mode (values, indices, gradients, NaN, errors).
"""

import numpy as np
import pytest

import ember
from helpers import assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")

R = rng(5)
FLOATS = ["float32", "float64"]
NAN, INF = np.nan, np.inf


def distinct(*shape):
    """Values without ties (a scaled permutation), so that every index is determined."""
    n = int(np.prod(shape))
    return ((R.permutation(n) - n / 2) / 3).reshape(shape).astype(np.float32)


def smooth(*shape):
    """Values away from zero (cumprod's quotient gradient) with both signs."""
    a = R.uniform(0.5, 1.5, shape) * R.choice([-1, 1], shape)
    return np.asarray(a, np.float32)


SHAPES_DIMS = [((7,), 0), ((7,), -1), ((4, 5), 0), ((4, 5), 1), ((3, 4, 5), 1),
               ((3, 4, 5), -1), ((), 0), ((), -1), ((0,), 0), ((2, 0, 3), 2), ((2, 0, 3), 1)]


def pair(name, *args):
    """The ember and the torch function ``name`` with the arguments after the tensor bound."""
    return (lambda x: getattr(ember, name)(x, *args),
            lambda x: getattr(torch, name)(x, *args))


NONEMPTY = [s for s in SHAPES_DIMS if 0 not in s[0] or s[0][s[1]] != 0]


# -- scans ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS, ids=str)
@pytest.mark.parametrize("name", ["cumprod", "logcumsumexp", "cummax", "cummin"])
def test_scans_values_and_gradients(name, shape, dim):
    data = distinct(*shape) if name in ("cummax", "cummin") else smooth(*shape)
    check_op(*pair(name, dim),
             data, dtypes=FLOATS)
    check_op(lambda x: getattr(x, name)(dim), None, data, dtypes=FLOATS,
             layouts_=["contiguous"])


def test_cumprod_gradient_with_zeros():
    a = np.array([[1.0, 0.0, 2.0, 0.0, 3.0], [2.0, 3.0, 0.0, 4.0, 5.0],
                  [0.0, 2.0, 3.0, 4.0, 1.0], [1.5, 2.0, -1.0, 3.0, 0.0]])
    check_op(lambda x: ember.cumprod(x, 1), lambda x: torch.cumprod(x, 1), a, dtypes=FLOATS)
    check_op(lambda x: ember.cumprod(x, 0), lambda x: torch.cumprod(x, 0), a, dtypes=FLOATS)
    gradcheck_op(lambda x: ember.cumprod(x, 1), a)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_scans_of_integers(dtype):
    a = R.integers(0, 2 if dtype == "bool" else 4, (3, 5)).astype(dtype)
    check_op(lambda x: ember.cumprod(x, 1), lambda x: torch.cumprod(x, 1), a)
    check_op(lambda x: ember.cumprod(x, 0, dtype=ember.float64),
             lambda x: torch.cumprod(x, 0, dtype=torch.float64), a)
    for name in ("cummax", "cummin"):  # ties everywhere: the later index wins
        check_op(*pair(name, 1), a)
    check_op(lambda x: ember.logcumsumexp(x, 1), lambda x: torch.logcumsumexp(x, 1), a)


def test_scans_with_nan_inf_and_ties():
    a = np.array([[1.0, NAN, 3.0, NAN, 3.0], [2.0, 2.0, -INF, INF, 2.0],
                  [-INF, -INF, 1.0, INF, 2.0], [3.0, 1.0, 3.0, 1.0, 3.0]])
    for name in ("cummax", "cummin", "cumprod", "logcumsumexp"):
        check_op(*pair(name, 1),
                 a, dtypes=FLOATS, requires_grad=False)
    # Gradients of cummax/cummin with ties: one element may receive several gradients.
    check_op(lambda x: ember.cummax(x, 1), lambda x: torch.cummax(x, 1), a[3:], dtypes=FLOATS)
    check_op(lambda x: ember.cummin(x, 0), lambda x: torch.cummin(x, 0),
             np.array([[1.0, 2.0], [1.0, 0.0], [0.5, 0.0]]), dtypes=FLOATS)


def test_cumprod_dtype_argument_and_logcumsumexp_large_values():
    a = smooth(3, 4)
    check_op(lambda x: ember.cumprod(x, 1, dtype=ember.float64),
             lambda x: torch.cumprod(x, 1, dtype=torch.float64), a)
    big = np.array([[1000.0, 1000.0, -1000.0, 999.0]])
    check_op(lambda x: ember.logcumsumexp(x, 1), lambda x: torch.logcumsumexp(x, 1), big,
             dtypes=FLOATS)


def test_scan_gradcheck():
    gradcheck_op(lambda x: ember.cumprod(x, 0), smooth(4, 3))
    gradcheck_op(lambda x: ember.logcumsumexp(x, 1), smooth(3, 4))
    gradcheck_op(lambda x: ember.cummax(x, 1).values, distinct(3, 4))
    gradcheck_op(lambda x: ember.cummin(x, 0).values, distinct(3, 4))


def test_cumprod_double_backward_matches_torch():
    a = smooth(5)
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (ge,) = ember.autograd.grad(ember.cumprod(e, 0).sum(), e, create_graph=True)
    (gt,) = torch.autograd.grad(torch.cumprod(t, 0).sum(), t, create_graph=True)
    np.testing.assert_allclose(ge.detach().numpy(), gt.detach().numpy(), rtol=1e-5)
    ge.sum().backward()
    gt.sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)


# -- nansum / nanmean -----------------------------------------------------------------------
def with_nan(*shape):
    a = distinct(*shape)
    a[R.random(shape) < 0.3] = NAN
    return a


REDUCE_DIMS = [((4, 5), None), ((4, 5), 0), ((4, 5), -1), ((3, 4, 5), (0, 2)),
               ((3, 4, 5), ()), ((), None), ((), 0), ((0,), None), ((2, 0, 3), 1),
               ((2, 0, 3), 2), ((6,), 0)]


@pytest.mark.parametrize("shape,dim", REDUCE_DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["nansum", "nanmean"])
def test_nansum_nanmean(name, shape, dim, keepdim):
    check_op(lambda x, n=name: getattr(ember, n)(x, dim, keepdim),
             lambda x, n=name: getattr(torch, n)(x, dim, keepdim), with_nan(*shape), dtypes=FLOATS)
    check_op(lambda x: getattr(x, name)(), None, with_nan(*shape), dtypes=FLOATS,
             layouts_=["contiguous"])


def test_nansum_nanmean_dtypes_inf_and_all_nan():
    a = np.array([[NAN, NAN, NAN], [INF, 1.0, NAN], [-INF, INF, 2.0]])
    for name in ("nansum", "nanmean"):
        check_op(*pair(name, 1),
                 a, dtypes=FLOATS + ["float16"])
        check_op(lambda x, n=name: getattr(ember, n)(x, dtype=ember.float64),
                 lambda x, n=name: getattr(torch, n)(x, dtype=torch.float64), a.astype("float32"))
    for dtype in ("int64", "int32", "uint8", "bool"):
        b = R.integers(0, 2 if dtype == "bool" else 9, (3, 4)).astype(dtype)
        check_op(lambda x: ember.nansum(x, 0), lambda x: torch.nansum(x, 0), b)
        check_op(ember.nansum, torch.nansum, b)
    gradcheck_op(lambda x: ember.nansum(x, 1), with_nan(3, 4))
    gradcheck_op(lambda x: ember.nanmean(x, 0, True), with_nan(3, 4))


# -- median / nanmedian / kthvalue / mode ---------------------------------------------------
@pytest.mark.parametrize("shape", [(7,), (4, 5), (2, 3, 4), (), (0,), (3, 0)], ids=str)
@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_full_median(name, shape):
    check_op(getattr(ember, name), getattr(torch, name), distinct(*shape), dtypes=FLOATS)
    check_op(lambda x: getattr(x, name)(), None, distinct(*shape), layouts_=["contiguous"])


@pytest.mark.parametrize("shape,dim", NONEMPTY, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["median", "nanmedian", "mode"])
def test_median_and_mode_along_dim(name, shape, dim, keepdim):
    check_op(lambda x, n=name: getattr(ember, n)(x, dim, keepdim),
             lambda x, n=name: getattr(torch, n)(x, dim, keepdim), distinct(*shape), dtypes=FLOATS)
    check_op(lambda x: getattr(x, name)(dim, keepdim=keepdim), None, distinct(*shape),
             layouts_=["contiguous"])


@pytest.mark.parametrize("shape,dim", NONEMPTY, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue(shape, dim, keepdim):
    size = shape[dim] if shape else 1
    for k in sorted({1, (size + 1) // 2, size}):
        check_op(lambda x, k: ember.kthvalue(x, k, dim, keepdim),
                 lambda x, k: torch.kthvalue(x, k, dim, keepdim), distinct(*shape), k,
                 dtypes=[("float32", None), ("float64", None)])
    check_op(lambda x: x.kthvalue(1), None, distinct(*shape), layouts_=["contiguous"])


def test_median_nan_behaviour():
    a = np.array([[1.0, NAN, 3.0, NAN], [NAN, NAN, NAN, 1.0], [2.0, -INF, INF, 0.5],
                  [4.0, 1.0, NAN, 2.0], [1.0, 2.0, 3.0, 4.0]])
    for name in ("median", "nanmedian"):
        check_op(*pair(name, 1),
                 a, dtypes=FLOATS)
        for rows in (a, a[2:3], a[4:]):
            check_op(getattr(ember, name), getattr(torch, name), rows, dtypes=FLOATS)


def test_nanmedian_of_only_nan():
    # The value is NaN; which NaN's index torch returns depends on its selection algorithm.
    e = ember.nanmedian(ember.full((2, 5), NAN), 1)
    assert np.isnan(e.values.numpy()).all() and e.indices.dtype == ember.int64
    assert np.isnan(ember.nanmedian(ember.full((3,), NAN)).item())


def test_full_median_gradient_is_shared_by_ties():
    a = np.array([1.0, 2.0, 2.0, 0.0, 2.0])
    check_op(ember.median, torch.median, a, dtypes=FLOATS)
    check_op(ember.nanmedian, torch.nanmedian, np.array([1.0, NAN, 2.0, NAN]), dtypes=FLOATS)


def test_mode_ties_take_smallest_value_and_last_index():
    a = np.array([[3.0, 1.0, 3.0, 1.0, 2.0], [5.0, 5.0, 5.0, 1.0, 1.0],
                  [2.0, 7.0, 2.0, 7.0, 7.0], [4.0, -1.0, 0.0, 9.0, 8.0]])
    check_op(lambda x: ember.mode(x, 1), lambda x: torch.mode(x, 1), a, dtypes=FLOATS)
    check_op(lambda x: ember.mode(x, 0), lambda x: torch.mode(x, 0), a, dtypes=FLOATS)


def test_ties_give_torch_values_and_a_valid_index():
    a = R.integers(0, 3, (6, 9)).astype(np.float32)
    for e, t in [(ember.median(ember.tensor(a), 1), torch.median(torch.tensor(a), 1)),
                 (ember.kthvalue(ember.tensor(a), 4, 1), torch.kthvalue(torch.tensor(a), 4, 1)),
                 (ember.mode(ember.tensor(a), 1), torch.mode(torch.tensor(a), 1))]:
        np.testing.assert_array_equal(e.values.numpy(), t.values.numpy())
        picked = np.take_along_axis(a, e.indices.numpy()[:, None], 1)[:, 0]
        np.testing.assert_array_equal(picked, e.values.numpy())


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_order_statistics_of_integers(dtype):
    a = R.permutation(20).reshape(4, 5).astype(dtype)
    check_op(ember.median, torch.median, a)
    check_op(ember.nanmedian, torch.nanmedian, a)
    for name in ("median", "nanmedian", "mode"):
        check_op(*pair(name, 0), a)
    check_op(lambda x: ember.kthvalue(x, 3, 1), lambda x: torch.kthvalue(x, 3, 1), a)
    b = np.array([[True, False, True]])
    check_op(lambda x: ember.mode(x, 1), lambda x: torch.mode(x, 1), b)


def test_order_statistic_gradcheck():
    a = distinct(4, 5).astype(np.float64)
    gradcheck_op(lambda x: ember.median(x), a)
    gradcheck_op(lambda x: ember.median(x, 1).values, a)
    gradcheck_op(lambda x: ember.nanmedian(x, 0, True).values, a)
    gradcheck_op(lambda x: ember.kthvalue(x, 2, 0).values, a)
    gradcheck_op(lambda x: ember.mode(x).values, a)


def test_return_type_reprs():
    a = distinct(3, 4)
    e, t = ember.tensor(a), torch.tensor(a)
    for name in ("cummax", "cummin", "median", "nanmedian", "mode"):
        assert repr(getattr(e, name)(0)).replace("ember", "torch") == repr(getattr(t, name)(0))
    assert repr(e.kthvalue(2)).replace("ember", "torch") == repr(t.kthvalue(2))
    e.requires_grad_()
    assert "CumprodBackward0" in repr(e.cumprod(0))
    assert type(e.median(0)).__name__ == "median"


@pytest.mark.parametrize("call", [
    lambda L: L.cumprod(L.ones(2), 1),
    lambda L: L.cummax(L.ones(2, 3), -3),
    lambda L: L.cummin(L.tensor(1.0), 1),
    lambda L: L.cummax(L.tensor(1.0), -2),
    lambda L: L.median(L.tensor(1.0), 1),
    lambda L: L.logcumsumexp(L.tensor([1, 2]), 0),
    lambda L: L.logcumsumexp(L.tensor([True]), 0),
    lambda L: L.nansum(L.ones(2), 2),
    lambda L: L.nansum(L.tensor([1 + 1j])),
    lambda L: L.nansum(L.ones(2, 2), (0, 0)),
    lambda L: L.nanmean(L.tensor([1, 2])),
    lambda L: L.median(L.tensor([True, False])),
    lambda L: L.median(L.tensor([True, False]), 0),
    lambda L: L.nanmedian(L.tensor([True, False])),
    lambda L: L.median(L.ones(2), 2),
    lambda L: L.median(L.empty(0, 3), 0),
    lambda L: L.nanmedian(L.empty(2, 0), 1),
    lambda L: L.kthvalue(L.ones(3), 4),
    lambda L: L.kthvalue(L.ones(3), 0),
    lambda L: L.kthvalue(L.ones(2, 3), 3, -2),
    lambda L: L.kthvalue(L.tensor(1.0), 2),
    lambda L: L.kthvalue(L.tensor([True]), 1),
    lambda L: L.mode(L.empty(0)),
    lambda L: L.mode(L.empty(2, 0), 1),
    lambda L: L.mode(L.ones(2), 1),
])
def test_errors_match_torch(call):
    assert_same_error(lambda: call(ember), lambda: call(torch))
