"""Statistics against PyTorch: diff, aminmax, quantile, nanquantile (values, dtypes,
gradients, grad_fn names, NaN/inf, return types, errors)."""

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")

R = rng(11)
FLOATS = ["float32", "float64"]
NAN, INF = np.nan, np.inf


def distinct(*shape):
    """Values without ties, so that extremes and order statistics are determined."""
    n = int(np.prod(shape))
    return ((R.permutation(n) - n / 2) / 3).reshape(shape).astype(np.float32)


def both(name, *args, **kwargs):
    """ember's and torch's ``name`` with the arguments after the tensor bound."""
    return (lambda x: getattr(ember, name)(x, *args, **kwargs),
            lambda x: getattr(torch, name)(x, *args, **kwargs))


def with_q(name, *args, **kwargs):
    """``both`` for a q given as a tensor: the functions take (x, q)."""
    return (lambda x, q: getattr(ember, name)(x, q, *args, **kwargs),
            lambda x, q: getattr(torch, name)(x, q, *args, **kwargs))


def errors(name, *args, **kwargs):
    """ember and torch raise the same error for ``name(*args, **kwargs)`` (arrays become
    tensors)."""
    def convert(lib, a):
        return lib.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a
    assert_same_error(
        lambda: getattr(ember, name)(*[convert(ember, a) for a in args],
                                     **{k: convert(ember, v) for k, v in kwargs.items()}),
        lambda: getattr(torch, name)(*[convert(torch, a) for a in args],
                                     **{k: convert(torch, v) for k, v in kwargs.items()}))


# -- diff ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,n,dim", [((7,), 1, -1), ((7,), 3, 0), ((4, 5), 1, 0),
                                         ((4, 5), 2, 1), ((3, 4, 5), 1, -2), ((3, 4, 5), 4, 2),
                                         ((3, 4), 6, 1), ((0,), 1, 0), ((2, 0, 3), 1, 1),
                                         ((2, 0, 3), 2, -1), ((1, 3), 1, 0)], ids=str)
def test_diff_values_and_gradients(shape, n, dim):
    check_op(*both("diff", n, dim), R.standard_normal(shape), dtypes=FLOATS)
    check_op(lambda x: x.diff(n, dim), None, R.standard_normal(shape),
             layouts_=["contiguous"])


def test_diff_with_prepend_and_append():
    a, p, q = R.standard_normal((3, 4)), R.standard_normal((3, 2)), R.standard_normal((3, 1))
    check_op(lambda x, y, z: ember.diff(x, 1, 1, y, z),
             lambda x, y, z: torch.diff(x, 1, 1, y, z), a, p, q, dtypes=FLOATS)
    check_op(lambda x, y: ember.diff(x, 2, dim=0, append=y),
             lambda x, y: torch.diff(x, 2, dim=0, append=y), a, R.standard_normal((2, 4)))
    check_op(lambda x, y: ember.diff(x, prepend=y), lambda x, y: torch.diff(x, prepend=y),
             a, p, dtypes=[("float32", "float64"), ("int64", "float32")])
    gradcheck_op(lambda x, y: ember.diff(x, 2, 1, prepend=y), a, p)


def test_diff_order_zero_copies():
    a = R.standard_normal((3, 4))
    check_op(*both("diff", 0), a, dtypes=FLOATS)
    check_op(lambda x, y: ember.diff(x, 0, prepend=y), lambda x, y: torch.diff(x, 0, prepend=y),
             a, R.standard_normal((3, 1)))
    x = ember.tensor([1.0, 2.0])
    assert ember.diff(x, 0) is not x


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_diff_of_integers_and_bool(dtype):
    a = R.integers(0, 2 if dtype == "bool" else 9, (4, 6)).astype(dtype)
    check_op(*both("diff"), a)
    check_op(*both("diff", 2, 0), a)


def test_diff_nan_inf():
    a = np.array([[1.0, NAN, 3.0, INF, INF], [-INF, 2.0, INF, 0.0, -INF]])
    check_op(*both("diff", 1, 1), a, dtypes=FLOATS)
    check_op(*both("diff", 2, 1), a, dtypes=FLOATS)


def test_diff_errors():
    a = np.ones((2, 3), np.float32)
    errors("diff", np.array(3.0))
    errors("diff", a, -1)
    errors("diff", a, 1, 2)
    errors("diff", a, 1, -3)
    errors("diff", a, prepend=np.ones(3, np.float32))
    errors("diff", a, prepend=np.ones((3, 3), np.float32))
    errors("diff", a, 1, 0, append=np.ones((1, 2), np.float32))
    errors("diff", a, 0, append=np.ones((1, 1, 3), np.float32))
    errors("diff", a, 1, -1, 2)
    errors("diff", a, 1, -1, None, 2.5)
    errors("diff", a, 2.0)
    errors("diff", a, 1, None)
    with pytest.raises(TypeError):  # by keyword torch leaves out the position
        ember.diff(ember.ones(2), dim=None)


# -- aminmax ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim", [((7,), None), ((7,), 0), ((4, 5), None), ((4, 5), 1),
                                       ((4, 5), -2), ((3, 4, 5), 1), ((), None), ((), 0),
                                       ((), -1), ((2, 0, 3), 2), ((2, 0, 3), 0)], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_aminmax(shape, dim, keepdim):
    check_op(*both("aminmax", dim=dim, keepdim=keepdim), distinct(*shape), dtypes=FLOATS)


def test_aminmax_ties_nan_and_method():
    a = np.array([[1.0, 3.0, 3.0, 1.0, 2.0], [NAN, 1.0, NAN, 0.0, 2.0], [-INF, INF, 0, 1, 2]])
    check_op(*both("aminmax", dim=1), a, dtypes=FLOATS)
    check_op(*both("aminmax"), a[:1], dtypes=FLOATS)  # ties share the gradient evenly
    check_op(*both("aminmax"), a, dtypes=FLOATS)
    check_op(lambda x: x.aminmax(dim=0, keepdim=True)[1], None, a, layouts_=["contiguous"])
    gradcheck_op(lambda x: ember.aminmax(x, dim=1), distinct(3, 4))
    r = ember.aminmax(ember.tensor([2.0, -1.0]))
    assert (r.min.item(), r.max.item()) == (-1.0, 2.0) and tuple(r) == (r.min, r.max)
    t = torch.aminmax(torch.tensor([2.0, -1.0]))
    assert repr(r) == repr(t).replace("torch.", "ember.")


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int8", "bool"])
def test_aminmax_integers(dtype):
    a = R.integers(0, 2 if dtype == "bool" else 50, (4, 6)).astype(dtype)
    check_op(*both("aminmax"), a)
    check_op(*both("aminmax", dim=0, keepdim=True), a)


def test_aminmax_errors():
    errors("aminmax", np.zeros(0, np.float32))
    errors("aminmax", np.zeros((2, 0), np.float32), dim=1)
    errors("aminmax", np.zeros((2, 3), np.float32), dim=2)
    errors("aminmax", np.zeros((2, 3), np.float32), dim=(0, 1))
    errors("aminmax", np.zeros(3, np.complex64))
    with pytest.raises(TypeError):
        ember.aminmax(ember.ones(2, 3), 1)


# -- quantile / nanquantile ----------------------------------------------------------------------
MODES = ["linear", "lower", "higher", "midpoint", "nearest"]
SHAPES = [((7,), None), ((7,), 0), ((4, 5), None), ((4, 5), 1), ((4, 5), -2),
          ((3, 4, 5), 1), ((), None), ((), 0), ((1,), -1)]


@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,dim", SHAPES, ids=str)
def test_quantile_scalar_q(name, mode, shape, dim):
    a = distinct(*shape)
    for q, keepdim in ((0.3, False), (0.5, True), (0.0, False), (1.0, True), (0.125, False)):
        check_op(*both(name, q, dim, keepdim, interpolation=mode), a, dtypes=FLOATS)


@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,dim", SHAPES[:6], ids=str)
def test_quantile_tensor_q(name, mode, shape, dim):
    a, qs = distinct(*shape), np.array([0.0, 0.25, 0.5, 0.7, 1.0])
    for keepdim in (False, True):
        check_op(*with_q(name, dim, keepdim, interpolation=mode), a, qs, dtypes=FLOATS,
                 requires_grad=(True, False))
    for q in (np.array(0.4), np.zeros(0), np.array([0.9])):  # 0-d, empty and one q
        check_op(*with_q(name, dim, interpolation=mode), a, q, dtypes=FLOATS,
                 requires_grad=(True, False), layouts_=["contiguous"])


@pytest.mark.parametrize("mode", MODES)
def test_quantile_ties_nan_inf(mode):
    a = np.array([[1.0, NAN, 3.0, 2.0, 2.0], [4.0, 1.0, 2.0, 0.0, 1.0],
                  [NAN, NAN, NAN, NAN, NAN], [-INF, 1.0, INF, NAN, 2.0], [INF, INF, 1, 2, 3]])
    qs = np.array([0.1, 0.5, 0.9, 1.0])
    # Which of several NaN (or tied values) receives the gradient depends on the sort: ember's
    # is stable, as torch's is up to 16 elements; beyond, only the values are compared.
    cases = [(a, 1, True), (a[:3], None, True), (a[3:], None, True), (a, None, False)]
    for name in ("quantile", "nanquantile"):
        for x, dim, grad in cases:
            check_op(*with_q(name, dim, interpolation=mode), x, qs, dtypes=FLOATS,
                     requires_grad=(grad, False))
            check_op(*both(name, 0.35, dim, interpolation=mode), x, dtypes=FLOATS,
                     requires_grad=grad)


def test_quantile_gradcheck_method_and_out():
    a = distinct(3, 6).astype(np.float64)
    for mode in MODES:
        gradcheck_op(both("quantile", 0.3, 1, interpolation=mode)[0], a)
        gradcheck_op(with_q("nanquantile", 0, True, interpolation=mode)[0], a,
                     np.array([0.2, 0.9]), requires_grad=(True, False))
    check_op(lambda x: x.quantile(0.4, 0), None, a, layouts_=["contiguous"])
    check_op(lambda x: x.nanquantile(0.4, keepdim=True), None, a, layouts_=["contiguous"])
    out = ember.empty(3)
    res = ember.quantile(ember.from_numpy(a), 0.5, 1, out=out)
    assert res is out
    assert_same(out, torch.quantile(torch.from_numpy(a), 0.5, 1).float())


@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantile_errors(name):
    f, d = np.ones(3, np.float32), np.ones(3, np.float64)
    errors(name, np.ones(3, np.int64), 0.5)
    errors(name, f.astype(np.float16), 0.5)
    errors(name, f, 1.5)
    errors(name, f, -1)
    errors(name, f, 2)
    errors(name, f, float("nan"))
    errors(name, f, np.array([0.5, 2.0], np.float32))
    errors(name, f, np.array([0.5, NAN], np.float32))
    errors(name, f, np.array([[0.5]], np.float32))
    errors(name, f, np.array([0.5]))
    errors(name, f, 0.5, interpolation="foo")
    errors(name, np.zeros(0, np.float32), 0.5)
    errors(name, np.zeros((2, 0), np.float32), 0.5, 0)
    errors(name, np.zeros(0, np.int64), np.array([[0.5]]))
    errors(name, np.ones(3, np.int64), np.array([[0.5]]))
    errors(name, np.ones(3, np.int64), np.array([0.5]))
    errors(name, np.zeros(0, np.float32), 0.5, interpolation="x")
    errors(name, d, 0.5, 1)
    errors(name, d, np.array([0.2, 2.0]), 3)
    errors(name, d, 0.2, 3, interpolation="x")
    with pytest.raises(TypeError):
        getattr(ember, name)(ember.ones(3), [0.5])
