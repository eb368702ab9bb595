"""ember.ops.misc_api against PyTorch: finfo/iinfo, normal/poisson, predicates, asarray,
frombuffer, top-level matrix functions, vdot/addr/chain_matmul, cov/corrcoef, msort,
histogram, trapezoid rules, gradient and renorm."""

import warnings

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")

R = rng(5)
FLOATS = ["float32", "float64"]


def T(name):
    return getattr(torch, name)


def E(name):
    return getattr(ember, name)


def well_conditioned(*shape):
    n = shape[-1]
    return (R.standard_normal(shape) * 0.3 + np.eye(n) * 2).astype(np.float64)


# -- finfo, iinfo -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["float16", "float32", "float64", "complex64", "complex128"])
def test_finfo(name):
    e, t = ember.finfo(E(name)), torch.finfo(T(name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, attr) == getattr(t, attr), attr
    assert repr(e) == repr(t)


def test_finfo_default_and_errors():
    assert repr(ember.finfo()) == repr(torch.finfo())
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.finfo().dtype == "float64"
    finally:
        ember.set_default_dtype(ember.float32)
    assert ember.finfo(ember.float32) == ember.finfo(ember.float32)
    for name in ("int32", "bool"):
        assert_same_error(lambda n=name: ember.finfo(E(n)), lambda n=name: torch.finfo(T(n)))
    assert_same_error(lambda: ember.finfo("float32"), lambda: torch.finfo("float32"))


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    e, t = ember.iinfo(E(name)), torch.iinfo(T(name))
    assert (e.bits, e.min, e.max, e.dtype) == (t.bits, t.min, t.max, t.dtype)
    assert repr(e) == repr(t)


def test_iinfo_errors():
    for name in ("float32", "bool", "complex64"):
        assert_same_error(lambda n=name: ember.iinfo(E(n)), lambda n=name: torch.iinfo(T(n)))
    assert_same_error(lambda: ember.iinfo(), lambda: torch.iinfo())


# -- normal, poisson --------------------------------------------------------------------------
NORMAL_CASES = [
    lambda m, lib: lib.normal(m(np.zeros((2, 3))), m(np.ones(3))),
    lambda m, lib: lib.normal(m(np.zeros((2, 3), np.float32)), m(np.ones((4, 1, 3)))),
    lambda m, lib: lib.normal(m(np.zeros((2, 3), np.float32)), 2.0),
    lambda m, lib: lib.normal(1.0, m(np.ones(3))),
    lambda m, lib: lib.normal(m(np.zeros(())), m(np.ones(()))),
    lambda m, lib: lib.normal(0.0, 1.0, (2, 2)),
    lambda m, lib: lib.normal(0.0, 1.0, size=(2,), dtype=lib.float64),
    lambda m, lib: lib.normal(m(np.zeros(2, np.float32)), m(np.ones(2, np.int64))),
]


@pytest.mark.parametrize("case", range(len(NORMAL_CASES)))
def test_normal_shapes_dtypes(case):
    e = NORMAL_CASES[case](ember.from_numpy, ember)
    t = NORMAL_CASES[case](torch.from_numpy, torch)
    assert tuple(e.shape) == tuple(t.shape) and str(e.dtype)[6:] == str(t.dtype)[6:]


def test_normal_statistics_and_generator():
    g = ember.Generator().manual_seed(3)
    x = ember.normal(ember.full((200_000,), 2.0), 3.0, generator=g)
    assert abs(x.mean().item() - 2.0) < 0.05 and abs(x.std().item() - 3.0) < 0.05
    y = ember.normal(2.0, 3.0, (10,), generator=ember.Generator().manual_seed(3))
    assert np.array_equal(y.numpy(), x[:10].numpy())
    out = ember.empty(4)
    assert ember.normal(0.0, 1.0, (4,), out=out) is out
    r = ember.normal(0.0, 1.0, (2,), requires_grad=True)
    assert r.requires_grad and r.is_leaf


def test_normal_errors():
    def both(fn):
        assert_same_error(lambda: fn(ember.from_numpy, ember), lambda: fn(torch.from_numpy, torch))
    both(lambda m, lib: lib.normal(m(np.zeros((2, 3))), m(np.ones(6))))
    both(lambda m, lib: lib.normal(m(np.zeros(2)), -1.5))
    both(lambda m, lib: lib.normal(m(np.zeros(2)), float("nan")))
    both(lambda m, lib: lib.normal(m(np.zeros(2)), m(np.array([1.0, -1.0]))))
    both(lambda m, lib: lib.normal(0.0, -1.0, (2,)))
    both(lambda m, lib: lib.normal(m(np.zeros(3, np.int64)), 1.0))
    both(lambda m, lib: lib.normal(0, 1, (2,), dtype=lib.long))
    both(lambda m, lib: lib.normal(0.0, 1.0))


def test_normal_gradients_are_zero():
    check_op(lambda m, s: ember.normal(m, s), lambda m, s: torch.normal(m, s),
             R.standard_normal((2, 3)), np.abs(R.standard_normal(3)) + 0.1,
             layouts_=["contiguous"], atol=np.inf)
    check_op(lambda m: ember.normal(m, 2.0), lambda m: torch.normal(m, 2.0),
             R.standard_normal((2, 3)), layouts_=["contiguous"], atol=np.inf)
    check_op(lambda s: ember.normal(0.5, s), lambda s: torch.normal(0.5, s),
             np.abs(R.standard_normal(3)), layouts_=["contiguous"], atol=np.inf)


def test_poisson():
    rate = ember.full((100_000,), 4.0, dtype=ember.float64)
    x = ember.poisson(rate, ember.Generator().manual_seed(0))
    assert x.dtype == ember.float64 and abs(x.mean().item() - 4) < 0.05
    assert abs(x.var().item() - 4) < 0.1 and (x.numpy() == np.round(x.numpy())).all()
    check_op(ember.poisson, torch.poisson, np.ones((2, 3)), layouts_=["contiguous"],
             atol=np.inf, dtypes=FLOATS)
    for data in (-np.ones(3), np.array([np.nan]), np.ones(3, np.int64)):
        assert_same_error(lambda d=data: ember.poisson(ember.from_numpy(d)),
                          lambda d=data: torch.poisson(torch.from_numpy(d)))


# -- predicates -------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [np.zeros(1), np.array(3.0), np.array(np.nan), np.array(False),
                                  np.zeros(0), np.ones(2)])
def test_is_nonzero(data):
    try:
        expected = torch.is_nonzero(torch.from_numpy(data))
    except RuntimeError:
        assert_same_error(lambda: ember.is_nonzero(ember.from_numpy(data)),
                          lambda: torch.is_nonzero(torch.from_numpy(data)))
        return
    assert ember.is_nonzero(ember.from_numpy(data)) is expected
    assert ember.from_numpy(data).is_nonzero() is expected


def test_predicates():
    a, b = ember.ones(2), ember.ones(2, 1)
    assert ember.is_same_size(a, a) and not a.is_same_size(b)
    assert ember.is_complex(ember.ones(1, dtype=ember.complex64)) and not ember.is_complex(a)
    assert_same_error(lambda: ember.is_same_size(a, [2]), lambda: torch.is_same_size(
        torch.ones(2), [2]))
    assert_same_error(lambda: ember.is_complex(2), lambda: torch.is_complex(2))
    assert_same_error(lambda: ember.is_nonzero(2), lambda: torch.is_nonzero(2))


def test_can_cast():
    names = ["bool", "uint8", "int8", "int64", "float16", "float32", "float64", "complex64"]
    for f in names:
        for t in names:
            assert ember.can_cast(E(f), E(t)) == torch.can_cast(T(f), T(t)), (f, t)
    assert_same_error(lambda: ember.can_cast(1, ember.int8), lambda: torch.can_cast(1, torch.int8))


# -- asarray, frombuffer ----------------------------------------------------------------------
def test_asarray_shares_memory():
    a = np.arange(3.0)
    t = ember.asarray(a)
    a[0] = 9
    assert t[0].item() == 9 and t.dtype == ember.float64
    c = ember.asarray(a, copy=True)
    a[0] = 7
    assert c[0].item() == 9
    x = ember.ones(2)
    assert ember.asarray(x) is x and ember.asarray(x, copy=True) is not x
    assert ember.asarray(x, dtype=ember.float64).dtype == ember.float64
    buf = bytearray(8)
    f = ember.asarray(buf, dtype=ember.uint8)
    buf[1] = 5
    assert f[1].item() == 5


@pytest.mark.parametrize("make", [
    lambda lib: lib.asarray([1, 2.0]), lambda lib: lib.asarray(3),
    lambda lib: lib.asarray(3.5, dtype=lib.float64), lambda lib: lib.asarray(np.float32(2)),
    lambda lib: lib.asarray(bytearray(8)), lambda lib: lib.asarray([[1, 2], [3, 4]]),
    lambda lib: lib.asarray(np.ones(2), dtype=lib.float32, copy=False),
    lambda lib: lib.asarray(lib.ones(2), dtype=lib.float64, copy=False),
    lambda lib: lib.asarray([1, 2], copy=False), lambda lib: lib.asarray(b"abc"),
])
def test_asarray_values_and_errors(make):
    try:
        t = make(torch)
    except Exception:
        assert_same_error(lambda: make(ember), lambda: make(torch))
        return
    assert_same(make(ember), t)


def test_asarray_requires_grad():
    x = ember.ones(2, requires_grad=True)
    assert ember.asarray(x) is x
    c = ember.asarray(x, copy=True)
    assert c.grad_fn.name() == "CloneBackward0"
    assert not ember.asarray(x, requires_grad=False).requires_grad
    assert ember.asarray(np.ones(2), requires_grad=True).requires_grad


@pytest.mark.parametrize("kwargs", [
    dict(dtype="uint8"), dict(dtype="int16", count=1, offset=2), dict(dtype="int16", count=-2),
    dict(dtype="int32", count=2), dict(dtype="int16", offset=5), dict(dtype="int16", offset=-1),
    dict(dtype="int16", offset=1), dict(dtype="int16", count=0),
])
def test_frombuffer(kwargs):
    kw = dict(kwargs)
    name = kw.pop("dtype")

    def make(lib):
        return lib.frombuffer(bytearray(b"\x01\x02\x03\x04"), dtype=getattr(lib, name), **kw)

    try:
        t = make(torch)
    except Exception:
        assert_same_error(lambda: make(ember), lambda: make(torch))
        return
    assert_same(make(ember), t)


def test_frombuffer_shares_and_errors():
    buf = bytearray(b"\x01\x02")
    t = ember.frombuffer(buf, dtype=ember.uint8)
    buf[0] = 9
    assert t.tolist() == [9, 2]
    assert_same_error(lambda: ember.frombuffer(bytearray(), dtype=ember.int16),
                      lambda: torch.frombuffer(bytearray(), dtype=torch.int16))
    assert_same_error(lambda: ember.frombuffer([1], dtype=ember.int16),
                      lambda: torch.frombuffer([1], dtype=torch.int16))


# -- matrix functions -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["det", "logdet", "inverse", "matrix_exp"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (1, 1)])
def test_matrix_functions(name, shape):
    a = well_conditioned(*shape)
    check_op(E(name), T(name), a, dtypes=FLOATS, atol=1e-4, grad_atol=1e-3)
    check_op(lambda x: getattr(x, name)(), None, a)


def test_logdet_negative_and_slogdet():
    a = -np.eye(3)
    assert_same(ember.logdet(ember.from_numpy(a)), torch.logdet(torch.from_numpy(a)))
    b = well_conditioned(2, 3, 3)
    check_op(ember.slogdet, torch.slogdet, b, requires_grad=False)
    check_op(lambda x: ember.slogdet(x)[1], lambda x: torch.slogdet(x)[1], b)
    assert type(ember.slogdet(ember.eye(2))).__name__ == "slogdet"
    assert ember.eye(2).slogdet().sign.item() == 1


@pytest.mark.parametrize("data", [np.ones(3), np.ones((2, 3)), np.ones((2, 2), np.int64)])
@pytest.mark.parametrize("name", ["det", "logdet", "slogdet", "inverse", "matrix_exp", "pinverse"])
def test_matrix_function_errors(name, data):
    if name == "pinverse" and data.shape == (2, 3):
        return  # a valid input for pinverse
    assert_same_error(lambda: E(name)(ember.from_numpy(data)),
                      lambda: T(name)(torch.from_numpy(data)))


def test_inverse_singular():
    assert_same_error(lambda: ember.inverse(ember.zeros(2, 2)),
                      lambda: torch.inverse(torch.zeros(2, 2)))


def test_matrix_exp_values_and_double_backward():
    for a in ([[0.0, 1.0], [-1.0, 0.0]], np.zeros((0, 0)), R.standard_normal((4, 4)) * 3):
        check_op(ember.matrix_exp, torch.matrix_exp, np.asarray(a), dtypes=["float64"],
                 atol=1e-9, rtol=1e-9, grad_atol=1e-8)
    gradcheck_op(lambda x: ember.matrix_exp(x).sin().sum(), R.standard_normal((3, 3)))
    x = ember.from_numpy(R.standard_normal((2, 2))).requires_grad_()
    (g,) = ember.autograd.grad(ember.matrix_exp(x).pow(2).sum(), x, create_graph=True)
    assert g.requires_grad


@pytest.mark.parametrize("shape", [(3, 2), (2, 4), (2, 3, 3)])
def test_pinverse(shape):
    a = R.standard_normal(shape)
    check_op(ember.pinverse, torch.pinverse, a, dtypes=FLOATS, atol=1e-4, grad_atol=1e-3)
    check_op(lambda x: x.pinverse(rcond=0.5), None, a)
    gradcheck_op(ember.pinverse, a)


@pytest.mark.parametrize("n", [0, 1, 3, -2])
def test_matrix_power(n):
    # ember.linalg multiplies the odd-power factors in the other order: same values, but the
    # grad_fn's children are listed the other way round for n = 3.
    check_op(lambda x: ember.matrix_power(x, n), lambda x: torch.matrix_power(x, n),
             well_conditioned(3, 3), atol=1e-4, grad_atol=1e-3, check_grad_fn=n != 3)
    check_op(lambda x: x.matrix_power(n), None, well_conditioned(2, 2, 2), atol=1e-4)


def test_vdot():
    check_op(ember.vdot, torch.vdot, R.standard_normal(4), R.standard_normal(4), dtypes=FLOATS)
    check_op(lambda a, b: a.vdot(b), None, R.standard_normal(3), R.standard_normal(3))
    check_op(ember.vdot, torch.vdot, np.arange(3), np.arange(3))
    a = np.array([1j, 2 + 1j])
    assert_same(ember.vdot(ember.from_numpy(a), ember.from_numpy(a[::-1].copy())),
                torch.vdot(torch.from_numpy(a), torch.from_numpy(a[::-1].copy())))
    for x, y in ((np.ones(3), np.ones(2)), (np.ones((2, 2)), np.ones(3)),
                 (np.ones(3, np.float32), np.ones(3)), (np.ones(2, bool), np.ones(2, bool))):
        check_op(ember.vdot, torch.vdot, x, y, layouts_=["contiguous"])


@pytest.mark.parametrize("kw", [{}, dict(beta=2.0, alpha=3.0), dict(beta=0.0)])
@pytest.mark.parametrize("in_shape", [(3, 2), (2,), ()])
def test_addr(kw, in_shape):
    check_op(lambda i, a, b: ember.addr(i, a, b, **kw), lambda i, a, b: torch.addr(i, a, b, **kw),
             R.standard_normal(in_shape), R.standard_normal(3), R.standard_normal(2),
             dtypes=FLOATS)
    check_op(lambda i, a, b: i.addr(a, b, **kw), None, R.standard_normal((3, 2)),
             R.standard_normal(3), R.standard_normal(2))


def test_addr_nan_beta0_and_errors():
    check_op(lambda i, a, b: ember.addr(i, a, b, beta=0), lambda i, a, b: torch.addr(
        i, a, b, beta=0), np.full((3, 2), np.nan), np.ones(3), np.ones(2))
    ints = (np.zeros((3, 2), np.int64), np.ones(3, np.int64), np.ones(2, np.int64))
    check_op(lambda i, a, b: ember.addr(i, a, b, alpha=2), lambda i, a, b: torch.addr(
        i, a, b, alpha=2), *ints)
    for kw in (dict(alpha=2.5), dict(beta=0.5)):
        check_op(lambda i, a, b, kw=kw: ember.addr(i, a, b, **kw),
                 lambda i, a, b, kw=kw: torch.addr(i, a, b, **kw), *ints,
                 layouts_=["contiguous"])
    for shapes in (((3, 3), (3, 1), (3,)), ((3, 2), (3,), (2, 1)), ((2, 2), (3,), (2,))):
        check_op(ember.addr, torch.addr, *[np.ones(s) for s in shapes], layouts_=["contiguous"])


def test_chain_matmul():
    mats = [R.standard_normal(s) for s in ((2, 3), (3, 4), (4, 2))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(ember.chain_matmul, torch.chain_matmul, *mats, dtypes=FLOATS)
        check_op(ember.chain_matmul, torch.chain_matmul, *mats[:2])
        check_op(ember.chain_matmul, torch.chain_matmul, mats[0])
        for bad in ((), (np.ones((2, 3)), np.ones(3)), (np.ones((2, 3)), np.ones((2, 3))),
                    (np.ones((2, 3), np.float32), np.ones((3, 2)))):
            check_op(ember.chain_matmul, torch.chain_matmul, *bad, layouts_=["contiguous"])
    with pytest.warns(UserWarning, match="deprecated"):
        ember.chain_matmul(ember.ones(2, 2))


# -- statistics -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 5), (5,), (3, 4), (1, 6), ()])
def test_cov_corrcoef(shape):
    x = R.standard_normal(shape)
    check_op(ember.cov, torch.cov, x, dtypes=FLOATS, check_grad_fn=False, atol=1e-4)
    check_op(lambda a: ember.cov(a, correction=0), lambda a: torch.cov(a, correction=0), x,
             check_grad_fn=False)
    check_op(ember.corrcoef, torch.corrcoef, x, dtypes=FLOATS, check_grad_fn=False, atol=1e-4,
             grad_atol=1e-3)
    check_op(lambda a: a.cov(), None, x, check_grad_fn=False)
    check_op(lambda a: a.corrcoef(), None, x, check_grad_fn=False)


def test_cov_weights_and_errors():
    x = R.standard_normal((2, 3))
    fw, aw = np.array([1, 2, 1]), np.array([0.5, 1.0, 2.0])
    check_op(lambda a, f, w: ember.cov(a, fweights=f, aweights=w),
             lambda a, f, w: torch.cov(a, fweights=f, aweights=w), x, fw, aw,
             requires_grad=(True, False, False), check_grad_fn=False)
    check_op(lambda a, w: ember.cov(a, aweights=w), lambda a, w: torch.cov(a, aweights=w),
             x, aw, check_grad_fn=False)
    check_op(ember.cov, torch.cov, np.array([[1, 2, 3], [2, 2, 5]]))
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert np.isnan(ember.cov(ember.ones(2, 1)).numpy()).all()
    bad = [dict(fweights=np.array([1.0, 2, 1])), dict(fweights=np.array([1, -2, 1])),
           dict(aweights=np.array([1, -2, 1.0])), dict(aweights=np.array([1, 2.0])),
           dict(aweights=np.array([[1, 2.0, 3]])), dict(aweights=np.array([1, 2, 3]))]
    for kw in bad:
        assert_same_error(lambda kw=kw: ember.cov(ember.from_numpy(x), **{
            k: ember.from_numpy(v) for k, v in kw.items()}), lambda kw=kw: torch.cov(
            torch.from_numpy(x), **{k: torch.from_numpy(v) for k, v in kw.items()}))
    for fn in ("cov", "corrcoef"):
        assert_same_error(lambda f=fn: E(f)(ember.ones(2, 2, 2)),
                          lambda f=fn: T(f)(torch.ones(2, 2, 2)))


@pytest.mark.parametrize("shape", [(4, 3), (5,), ()])
def test_msort(shape):
    x = R.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)
    check_op(ember.msort, torch.msort, x, dtypes=FLOATS)
    check_op(lambda a: a.msort(), None, x)


HIST_CASES = [
    dict(), dict(bins=4, range=(0.0, 4.0)), dict(bins=3, density=True),
    dict(bins=np.array([0.0, 1, 3, 5])), dict(bins=3, weight=np.full(5, 2.0), density=True),
    dict(bins=2, range=(0.0, 1.0)), dict(bins=0), dict(bins=3, range=(3.0, 1.0)),
    dict(bins=np.array([[0.0, 1, 3, 5]])), dict(bins=3, weight=np.ones(4)),
    dict(bins=3, range=(0.0, np.inf)), dict(bins=np.array([0.0, 1, 3], np.float32)),
]


@pytest.mark.parametrize("case", range(len(HIST_CASES)))
def test_histogram(case):
    x = np.array([1.0, 2, 1, 4, 2.5])
    check_op(lambda a, *t: ember.histogram(a, **_tensors(HIST_CASES[case], t)),
             lambda a, *t: torch.histogram(a, **_tensors(HIST_CASES[case], t)),
             x, *[v for v in HIST_CASES[case].values() if isinstance(v, np.ndarray)],
             requires_grad=False, layouts_=["contiguous", "strided"])


def _tensors(kwargs, tensors):
    it = iter(tensors)
    return {k: next(it) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def test_histogram_special_inputs():
    for data in (np.ones((2, 3)), np.zeros(0), np.array([1.0, np.nan]), np.ones(3, np.int64)):
        check_op(lambda a: ember.histogram(a, 3), lambda a: torch.histogram(a, 3), data,
                 requires_grad=False, layouts_=["contiguous"])
    r = ember.tensor([1.0, 2.0]).histogram(2)
    assert type(r).__name__ == "histogram" and r.hist.tolist() == [1.0, 1.0]


# -- integration, differences -----------------------------------------------------------------
TRAPZ = [
    (lambda lib, y: lib.trapezoid(y), None),
    (lambda lib, y: lib.trapezoid(y, dx=2.0), None),
    (lambda lib, y: lib.trapezoid(y, dim=0, dx=3), None),
    (lambda lib, y, x: lib.trapezoid(y, x), np.array([0.0, 1, 3])),
    (lambda lib, y, x: lib.trapezoid(y, x, dim=0), np.array([0.0, 1.5])),
    (lambda lib, y, x: lib.trapezoid(y, x), np.array([[0.0, 1, 3]])),
    (lambda lib, y, x: lib.trapezoid(y, x), np.array([0.0, 1])),
    (lambda lib, y: lib.cumulative_trapezoid(y), None),
    (lambda lib, y: lib.cumulative_trapezoid(y, dx=2.0, dim=0), None),
    (lambda lib, y, x: lib.cumulative_trapezoid(y, x), np.array([0.0, 1, 3])),
    (lambda lib, y, x: lib.cumulative_trapezoid(y, x), np.array([0.0, 1])),
]


@pytest.mark.parametrize("case", range(len(TRAPZ)))
def test_trapezoid(case):
    fn, x = TRAPZ[case]
    extra = () if x is None else (x,)
    y = R.standard_normal((2, 3))
    check_op(lambda *a: fn(ember, *a), lambda *a: fn(torch, *a), y, *extra, dtypes=FLOATS,
             check_grad_fn=False)
    check_op(lambda *a: fn(ember, *a), lambda *a: fn(torch, *a), np.arange(6).reshape(2, 3),
             *extra, layouts_=["contiguous"], check_grad_fn=False)


def test_trapezoid_edge_cases():
    for name in ("trapezoid", "cumulative_trapezoid"):
        for data in (np.ones((2, 0)), np.array(2.0), np.ones((2, 1))):
            check_op(E(name), T(name), data, layouts_=["contiguous"], check_grad_fn=False)
        check_op(lambda y, n=name: E(n)(y, dim=2), lambda y, n=name: T(n)(y, dim=2),
                 np.ones((2, 2)))


GRAD_KW = [dict(), dict(dim=1), dict(spacing=2.0), dict(spacing=[2.0, 3.0]),
           dict(dim=1, edge_order=2), dict(edge_order=2), dict(dim=(0, 1), spacing=2),
           dict(dim=-1, spacing=[0.5]), dict(edge_order=3), dict(spacing=[1.0]),
           dict(dim=[0, 0]), dict(dim=5), dict(spacing=[1.0], dim=(0, 1))]


@pytest.mark.parametrize("kw", GRAD_KW)
def test_gradient(kw):
    y = R.standard_normal((3, 4))
    check_op(lambda a: ember.gradient(a, **kw), lambda a: torch.gradient(a, **kw), y,
             dtypes=FLOATS, check_grad_fn=False, atol=1e-4)


def test_gradient_coordinates_and_edges():
    y = R.standard_normal((3, 5))
    c0, c1 = np.array([0.0, 2, 2.5]), np.array([0.0, 1, 3, 3.5, 5])
    for order in (1, 2):
        check_op(lambda a, u, v, o=order: ember.gradient(a, spacing=(u, v), edge_order=o),
                 lambda a, u, v, o=order: torch.gradient(a, spacing=(u, v), edge_order=o),
                 y, c0, c1, requires_grad=(True, False, False), check_grad_fn=False)
    check_op(ember.gradient, torch.gradient, np.arange(6).reshape(2, 3), layouts_=["contiguous"])
    check_op(ember.gradient, torch.gradient, np.array(1.0), layouts_=["contiguous"])
    check_op(lambda a: ember.gradient(a, edge_order=2), lambda a: torch.gradient(
        a, edge_order=2), np.ones((2, 2)), layouts_=["contiguous"])
    gradcheck_op(lambda a: ember.gradient(a, edge_order=2)[1], y)


# -- renorm -----------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [1, 2, 2.5, float("inf")])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_renorm(p, dim):
    x = R.standard_normal((3, 4, 2)) * 2
    check_op(lambda a: ember.renorm(a, p, dim, 1.5), lambda a: torch.renorm(a, p, dim, 1.5), x,
             dtypes=FLOATS, atol=1e-4, grad_atol=1e-4)
    check_op(lambda a: a.renorm(p, dim, 1.5), None, x[..., 0])
    gradcheck_op(lambda a: ember.renorm(a, p, dim, 1.5), x)


def test_renorm_errors():
    for args in ((np.ones(3), 2, 0, 1.0), (np.ones((3, 3)), 0, 0, 1.0), (np.ones((3, 3)), -1, 0,
                                                                         1.0),
                 (np.ones((3, 3)), 2, 0, -1.0), (np.ones((3, 3)), 2, 2, 1.0),
                 (np.ones((3, 3), np.int64), 2, 0, 1.0), (np.array(3.0), 2, 0, 1.0)):
        data, *rest = args
        assert_same_error(lambda d=data, r=rest: ember.renorm(ember.from_numpy(d), *r),
                          lambda d=data, r=rest: torch.renorm(torch.from_numpy(d), *r))
