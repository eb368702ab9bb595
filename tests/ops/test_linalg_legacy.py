"""The older top-level linear-algebra functions and Tensor methods against torch's."""

import warnings

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")

R = rng(5)
FLOATS = ["float32", "float64"]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def spd(*shape):
    x = R.standard_normal(shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def well_conditioned(*shape):
    return R.standard_normal(shape) + 3 * np.eye(shape[-1])


@pytest.mark.parametrize("some", [True, False])
def test_svd_returns_v(some):
    a = R.standard_normal((2, 4, 3))
    e, t = ember.svd(ember.tensor(a), some=some), torch.svd(torch.tensor(a), some=some)
    assert_same(e.S, t.S)
    assert [tuple(x.shape) for x in e] == [tuple(x.shape) for x in t]
    k = 3
    recon = e.U.numpy()[..., :k] * e.S.numpy()[..., None, :] @ np.swapaxes(e.V.numpy(), -1, -2)
    np.testing.assert_allclose(recon, a, atol=1e-10)
    # A sign-independent function of U and V: the projections U U^T and V V^T.
    check_op(lambda x: ember.Tensor.svd(x)[0] @ ember.Tensor.svd(x)[0].mT,
             lambda x: x.svd()[0] @ x.svd()[0].mT, a[0], layouts_=["contiguous"],
             check_grad_fn=False)
    check_op(lambda x: ember.svd(x, compute_uv=False), lambda x: torch.svd(x, compute_uv=False),
             a, dtypes=FLOATS)


def test_qr_and_cholesky():
    check_op(lambda x: ember.qr(x), lambda x: torch.qr(x), R.standard_normal((4, 3)),
             dtypes=FLOATS)
    check_op(lambda x: x.qr(some=False), None, R.standard_normal((3, 3)))
    for upper in (False, True):
        check_op(lambda x, u=upper: ember.cholesky(x, u), lambda x, u=upper: torch.cholesky(x, u),
                 spd(2, 3, 3), dtypes=FLOATS)
    check_op(lambda x: x.cholesky(), None, spd(3, 3))
    gradcheck_op(lambda x: ember.cholesky(x @ x.mT), well_conditioned(3, 3))
    assert_same_error(lambda: ember.cholesky(-ember.eye(3)), lambda: torch.cholesky(-torch.eye(3)))
    assert_same_error(lambda: ember.cholesky(ember.ones(3)), lambda: torch.cholesky(torch.ones(3)))
    with pytest.warns(UserWarning, match="deprecated"):
        warnings.simplefilter("always")
        ember.cholesky(ember.eye(2))


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse(upper):
    low = np.linalg.cholesky(spd(2, 3, 3))
    factor = np.swapaxes(low, -1, -2).copy() if upper else low
    b = R.standard_normal((2, 3, 2))
    check_op(lambda x, f: ember.cholesky_solve(x, f, upper),
             lambda x, f: torch.cholesky_solve(x, f, upper), b, factor, dtypes=FLOATS)
    check_op(lambda x, f: x.cholesky_solve(f, upper), None, b[0], factor[0])
    check_op(lambda f: ember.cholesky_inverse(f, upper), lambda f: torch.cholesky_inverse(f, upper),
             factor, dtypes=FLOATS)
    check_op(lambda f: f.cholesky_inverse(upper), None, factor[1])
    # Like torch, the factor's gradient is not restricted to the triangle that is read, so
    # central differences run through an explicit triangle.
    tri = (lambda f: f.triu()) if upper else (lambda f: f.tril())
    gradcheck_op(lambda x, f: ember.cholesky_solve(x, tri(f), upper), b, factor)
    gradcheck_op(lambda f: ember.cholesky_inverse(tri(f), upper), factor)


def test_cholesky_solve_errors():
    f = [lambda m, t: m.cholesky_solve(t(3), t(3, 3)), lambda m, t: m.cholesky_solve(t(2, 3),
                                                                                   t(3, 3)),
         lambda m, t: m.cholesky_solve(t(3, 2), t(2, 3)),
         lambda m, t: m.cholesky_solve(t(3, 2).double(), t(3, 3)),
         lambda m, t: m.cholesky_inverse(t(3)), lambda m, t: m.cholesky_inverse(t(2, 3))]
    for g in f:
        assert_same_error(lambda g=g: g(ember, ember.ones), lambda g=g: g(torch, torch.ones))


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("unit", [False, True])
def test_triangular_solve(upper, transpose, unit):
    a, b = well_conditioned(1, 3, 3), R.standard_normal((2, 3, 2))
    check_op(lambda x, y: ember.triangular_solve(x, y, upper, transpose, unit),
             lambda x, y: torch.triangular_solve(x, y, upper, transpose, unit), b, a,
             dtypes=FLOATS)
    check_op(lambda x, y: x.triangular_solve(y, upper), None, b[0], a[0])
    gradcheck_op(lambda x, y: ember.triangular_solve(x, y, upper, transpose, unit)[0], b, a)


def test_triangular_solve_errors():
    f = [lambda m, t: m.triangular_solve(t(3), t(3, 3)),
         lambda m, t: m.triangular_solve(t(2, 3), t(3, 3)),
         lambda m, t: m.triangular_solve(t(3, 2), t(2, 3)),
         lambda m, t: m.triangular_solve(t(3, 2).double(), t(3, 3))]
    for g in f:
        assert_same_error(lambda g=g: g(ember, ember.ones), lambda g=g: g(torch, torch.ones))


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (2, 3, 4)])
def test_lu_unpack_and_tensor_lu(shape):
    a = R.standard_normal(shape)
    check_op(lambda x: x.lu(), None, a, dtypes=FLOATS)
    check_op(lambda x: x.lu(get_infos=True), None, a)
    lu, piv = torch.linalg.lu_factor(torch.tensor(a))
    epiv = ember.from_numpy(piv.numpy())
    check_op(lambda m: ember.lu_unpack(m, epiv), lambda m: torch.lu_unpack(m, piv), lu.numpy())
    for data, pivots in [(False, True), (True, False)]:
        # torch's backward through these forms fails on its empty outputs; values only.
        check_op(lambda m, d=data, p=pivots: ember.lu_unpack(m, epiv, d, p),
                 lambda m, d=data, p=pivots: torch.lu_unpack(m, piv, d, p), lu.numpy(),
                 requires_grad=False)
    gradcheck_op(lambda m: ember.lu_unpack(m, epiv).L, lu.numpy())
    assert_same_error(lambda: ember.lu_unpack(ember.from_numpy(lu.numpy()), epiv.long()),
                      lambda: torch.lu_unpack(lu, piv.long()))


def test_lu_solve():
    lu, piv = torch.linalg.lu_factor(torch.tensor(well_conditioned(2, 3, 3)))
    epiv = ember.from_numpy(piv.numpy())
    b = R.standard_normal((2, 3, 2))
    check_op(lambda x, m: ember.lu_solve(x, m, epiv), lambda x, m: torch.lu_solve(x, m, piv),
             b, lu.numpy())
    check_op(lambda x, m: x.lu_solve(m, epiv), lambda x, m: x.lu_solve(m, piv), b, lu.numpy())


@pytest.mark.parametrize("name", ["matrix_rank", "lstsq", "eig", "symeig", "solve"])
def test_removed_functions_name_their_replacement(name):
    args = (2,) if name in ("lstsq", "solve") else (1,)
    assert_same_error(lambda: getattr(ember, name)(*([ember.eye(3)] * len(args))),
                      lambda: getattr(torch, name)(*([torch.eye(3)] * len(args))))
    if name in ("eig", "symeig"):
        assert_same_error(lambda: getattr(ember.eye(3), name)(),
                          lambda: getattr(torch.eye(3), name)())
