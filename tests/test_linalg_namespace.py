"""ember.linalg against torch.linalg: values, dtypes, gradients, grad_fn names, errors."""

import math

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")

R = rng(7)
FLOATS = ["float32", "float64"]


def general(*shape):
    return R.standard_normal(shape)


def spd(*shape):
    """Symmetric positive-definite (well conditioned): X X^T + n I."""
    x = R.standard_normal(shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def sym(*shape):
    x = R.standard_normal(shape)
    return x + np.swapaxes(x, -1, -2)


# -- norms ------------------------------------------------------------------------------------
@pytest.mark.parametrize("ord", [2, 1, 0, 3, 0.5, math.inf, -math.inf])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (-1, True), ((0, 2), False), (1, False)])
def test_vector_norm(ord, dim, keepdim):
    # ord=0 counts non-zeros: torch leaves the input's grad None, ember gives zeros (the
    # shared ``ember.norm`` kernel), so its gradient is not compared.
    check_op(lambda x: ember.linalg.vector_norm(x, ord, dim, keepdim),
             lambda x: torch.linalg.vector_norm(x, ord, dim, keepdim),
             general(2, 3, 4), dtypes=FLOATS, requires_grad=ord != 0)


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])
@pytest.mark.parametrize("dim,keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norm(ord, dim, keepdim):
    check_op(lambda x: ember.linalg.matrix_norm(x, ord, dim, keepdim),
             lambda x: torch.linalg.matrix_norm(x, ord, dim, keepdim),
             general(3, 2, 4), dtypes=FLOATS)


@pytest.mark.parametrize("shape,ord,dim", [((5,), None, None), ((3, 4), None, None),
                                           ((3, 4), 1, None), ((3, 4), "nuc", None),
                                           ((5,), 3, None), ((2, 3, 4), None, (0, 1)),
                                           ((2, 3, 4), 1, 2), ((2, 3, 4), None, None)])
def test_norm_chooses_vector_or_matrix_norm(shape, ord, dim):
    check_op(lambda x: ember.linalg.norm(x, ord, dim), lambda x: torch.linalg.norm(x, ord, dim),
             general(*shape), dtypes=FLOATS)


def test_norm_dtype_argument_and_gradcheck():
    a = general(3, 4).astype(np.float32)
    check_op(lambda x: ember.linalg.norm(x, dtype=ember.float64),
             lambda x: torch.linalg.norm(x, dtype=torch.float64), a)
    for ord in ["fro", "nuc", 2, 1, math.inf]:
        gradcheck_op(lambda x, o=ord: ember.linalg.matrix_norm(x, o), general(3, 4))


@pytest.mark.parametrize("call", [
    lambda m: m.linalg.vector_norm(m.ones(3, dtype=m.int64)),
    lambda m: m.linalg.matrix_norm(m.ones(3)),
    lambda m: m.linalg.matrix_norm(m.ones(3, 3), ord=3),
    lambda m: m.linalg.matrix_norm(m.ones(3, 3), dim=(0, 0)),
    lambda m: m.linalg.norm(m.ones(3, 3, 3), ord=2),
    lambda m: m.linalg.norm(m.ones(3), ord="fro"),
    lambda m: m.linalg.norm(m.ones(3, 3, 3), dim=(0, 1, 2)),
    lambda m: m.linalg.vector_norm(m.ones(3), "fro"),
])
def test_norm_errors(call):
    assert_same_error(lambda: call(ember), lambda: call(torch))


# -- inv, det, slogdet, solve, cholesky -------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
def test_inv_det_slogdet(shape):
    a = spd(*shape) * 0.3 + general(*shape) * 0.2
    for name in ["inv", "det", "slogdet"]:
        check_op(getattr(ember.linalg, name), getattr(torch.linalg, name), a, dtypes=FLOATS,
                 atol=1e-4)
        gradcheck_op(getattr(ember.linalg, name), a)


def test_slogdet_named_tuple_and_negative_determinant():
    a = np.diag([-2.0, 3.0])
    e, t = ember.linalg.slogdet(ember.tensor(a)), torch.linalg.slogdet(torch.tensor(a))
    assert_same(tuple(e), tuple(t))
    assert type(e).__name__ == "linalg_slogdet" and e.sign is e[0]
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert ember.return_types.linalg_slogdet is type(e)


@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3, 2)), ((3, 3), (3,)),
                                             ((2, 3, 3), (2, 3)), ((2, 3, 3), (3, 4)),
                                             ((3, 3), (2, 3, 1))])
@pytest.mark.parametrize("left", [True, False])
def test_solve(a_shape, b_shape, left):
    if not left and len(b_shape) >= 2:
        b_shape = b_shape[:-2] + b_shape[-2:][::-1]
    a, b = spd(*a_shape), general(*b_shape)
    check_op(lambda x, y: ember.linalg.solve(x, y, left=left),
             lambda x, y: torch.linalg.solve(x, y, left=left), a, b, dtypes=FLOATS, atol=1e-4)
    if not left and b.ndim == len(a_shape) - 1:  # both refuse these shapes (checked above)
        return
    gradcheck_op(lambda x, y: ember.linalg.solve(x, y, left=left), a, b)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(upper):
    a = spd(2, 4, 4)
    check_op(lambda x: ember.linalg.cholesky(x, upper=upper),
             lambda x: torch.linalg.cholesky(x, upper=upper), a, dtypes=FLOATS, atol=1e-4)
    # Central differences on a symmetric perturbation: A -> (X + X^T) / 2.
    gradcheck_op(lambda x: ember.linalg.cholesky((x + x.mT) / 2, upper=upper), a)


def test_double_backward_of_inv_and_det():
    a = spd(3, 3)
    for fn in (ember.linalg.inv, ember.linalg.det, lambda x: ember.linalg.cholesky(x).sum()):
        x = ember.tensor(a, requires_grad=True)
        (g,) = ember.autograd.grad(fn(x).sum(), x, create_graph=True)
        assert g.requires_grad
    assert ember.autograd.gradgradcheck(ember.linalg.inv, (ember.tensor(a, requires_grad=True),))


@pytest.mark.parametrize("call", [
    lambda m: m.linalg.inv(m.zeros(3, 3)),
    lambda m: m.linalg.inv(m.zeros(2, 3, 3)),
    lambda m: m.linalg.inv(m.ones(3, 3)),
    lambda m: m.linalg.inv(m.ones(2, 3)),
    lambda m: m.linalg.inv(m.ones(3)),
    lambda m: m.linalg.inv(m.ones(3, 3, dtype=m.int64)),
    lambda m: m.linalg.det(m.ones(2, 3)),
    lambda m: m.linalg.det(m.ones(3, 3, dtype=m.int64)),
    lambda m: m.linalg.slogdet(m.ones(2, 3)),
    lambda m: m.linalg.solve(m.zeros(3, 3), m.ones(3)),
    lambda m: m.linalg.solve(m.zeros(2, 3, 3), m.ones(2, 3)),
    lambda m: m.linalg.solve(m.ones(2, 3), m.ones(3)),
    lambda m: m.linalg.solve(m.eye(3), m.ones(3, dtype=m.float64)),
    lambda m: m.linalg.cholesky(-m.eye(3)),
    lambda m: m.linalg.cholesky(m.stack([m.eye(3), m.diag(m.tensor([1.0, -1.0, 1.0]))])),
    lambda m: m.linalg.cholesky(m.ones(2, 3)),
    lambda m: m.linalg.eigh(m.ones(2, 3)),
    lambda m: m.linalg.eigh(m.ones(3, 3, dtype=m.int64)),
    lambda m: m.linalg.svd(m.ones(3, 3, dtype=m.int64)),
    lambda m: m.linalg.svd(m.ones(3)),
    lambda m: m.linalg.qr(m.ones(3)),
    lambda m: m.linalg.qr(m.ones(3, 3), mode="x"),
    lambda m: m.linalg.matrix_power(m.ones(2, 3), 2),
    lambda m: m.linalg.matrix_power(m.zeros(3, 3), -1),
])
def test_errors_match_torch(call):
    assert_same_error(lambda: call(ember), lambda: call(torch))


def test_linalg_error_class():
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.inv(ember.zeros(2, 2))


# -- eigh, svd, qr: compared through invariants ----------------------------------------------
def _np(t):
    return t.detach().numpy()


def _sign_fixed(v):
    """Columns scaled so that each one's largest-magnitude entry is positive."""
    idx = np.abs(v).argmax(-2)[..., None, :]
    return v * np.sign(np.take_along_axis(v, idx, -2))


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_values_vectors_and_gradients(uplo):
    a = sym(2, 4, 4)
    a_tri = np.tril(a) if uplo == "L" else np.triu(a)  # only the UPLO triangle is read
    for dt in FLOATS:
        e = ember.linalg.eigh(ember.tensor(a_tri.astype(dt)), uplo)
        t = torch.linalg.eigh(torch.tensor(a_tri.astype(dt)), uplo)
        assert_same(e.eigenvalues, t.eigenvalues, atol=1e-4)
        np.testing.assert_allclose(_sign_fixed(_np(e.eigenvectors)),
                                   _sign_fixed(t.eigenvectors.numpy()), atol=1e-4)
        v, w = _np(e.eigenvectors), _np(e.eigenvalues)
        np.testing.assert_allclose((v * w[..., None, :]) @ np.swapaxes(v, -1, -2), a,
                                   atol=1e-4)
    check_op(lambda x: ember.linalg.eigvalsh(x, uplo), lambda x: torch.linalg.eigvalsh(x, uplo),
             a, dtypes=FLOATS, atol=1e-4)
    # Sign-invariant functions of the eigenvectors have well-defined gradients.
    fn = {m: (lambda x, m=m: (m.linalg.eigh(x, uplo).eigenvectors ** 2 * x).sum()
              + m.linalg.eigh(x, uplo).eigenvalues.sum()) for m in (ember, torch)}
    check_op(fn[ember], fn[torch], a, dtypes=FLOATS, atol=1e-4, check_grad_fn=False)
    gradcheck_op(lambda x: fn[ember]((x + x.mT) / 2), a)


@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (3, 5)])
@pytest.mark.parametrize("full", [False, True])
def test_svd_reconstruction_and_gradients(shape, full):
    a = general(*shape)
    e = ember.linalg.svd(ember.tensor(a), full_matrices=full)
    t = torch.linalg.svd(torch.tensor(a), full_matrices=full)
    assert type(e).__name__ == "linalg_svd" and e.U.shape == tuple(t.U.shape)
    assert e.Vh.shape == tuple(t.Vh.shape)
    assert_same(e.S, t.S)
    k = min(shape[-2:])
    u, s, vh = _np(e.U)[..., :k], _np(e.S), _np(e.Vh)[..., :k, :]
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, a, atol=1e-10)
    uu = _np(e.U)
    np.testing.assert_allclose(np.swapaxes(uu, -1, -2) @ uu, np.eye(uu.shape[-1])
                               + 0 * uu[..., :1, :1], atol=1e-10)
    check_op(ember.linalg.svdvals, torch.linalg.svdvals, a, dtypes=FLOATS)
    fn = {m: (lambda x, m=m: (m.linalg.svd(x, full)[0][..., :, :k] ** 4).sum()
              + (m.linalg.svd(x, full)[2][..., :k, :] ** 4).sum()
              + m.linalg.svd(x, full)[1].sum()) for m in (ember, torch)}
    check_op(fn[ember], fn[torch], a, dtypes=FLOATS, atol=1e-4, check_grad_fn=False)
    gradcheck_op(fn[ember], a)


@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (3, 5)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr(shape, mode):
    a = general(*shape)
    eq, er = ember.linalg.qr(ember.tensor(a), mode)
    tq, tr = torch.linalg.qr(torch.tensor(a), mode)
    assert eq.shape == tuple(tq.shape) and er.shape == tuple(tr.shape)
    np.testing.assert_allclose(np.abs(_np(er)), np.abs(tr.numpy()), atol=1e-10)
    np.testing.assert_allclose(_np(er), np.triu(_np(er)), atol=0)
    if mode != "r":
        np.testing.assert_allclose(_np(eq) @ _np(er), a, atol=1e-10)
    if mode == "reduced" and shape[-2] >= shape[-1]:
        g = general(*shape)
        # Q * sign(diag R) and |R| rows are sign-invariant.
        fn = {m: (lambda x, m=m: (m.linalg.qr(x)[0] * m.linalg.qr(x)[1].diagonal(0, -2, -1)
                                  .sign().unsqueeze(-2) * m.tensor(g)).sum()
                  + (m.linalg.qr(x)[1] ** 2).sum()) for m in (ember, torch)}
        check_op(fn[ember], fn[torch], a, dtypes=["float64"], check_grad_fn=False)
        gradcheck_op(fn[ember], a)


def test_decomposition_grad_fn_names():
    for name, args in [("eigh", ()), ("svd", (False,)), ("qr", ()), ("slogdet", ())]:
        e = getattr(ember.linalg, name)(ember.tensor(spd(3, 3), requires_grad=True), *args)
        t = getattr(torch.linalg, name)(torch.tensor(spd(3, 3), requires_grad=True), *args)
        assert [o.grad_fn.name() for o in e] == [o.grad_fn.name() for o in t]


# -- pinv, matrix_rank, matrix_power, aliases ------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (3, 3)])
def test_pinv_and_matrix_rank(shape):
    a = general(*shape)
    check_op(ember.linalg.pinv, torch.linalg.pinv, a, dtypes=FLOATS, atol=1e-4,
             check_grad_fn=False)
    gradcheck_op(ember.linalg.pinv, a)
    low = a[..., :, :1] @ a[..., :1, :] + a[..., :, 1:2] @ a[..., 1:2, :]  # rank 2
    for m in (low, a, np.zeros(shape)):
        check_op(ember.linalg.matrix_rank, torch.linalg.matrix_rank, m, dtypes=FLOATS)
        assert_same(ember.linalg.pinv(ember.tensor(m)), torch.linalg.pinv(torch.tensor(m)))
    check_op(lambda x: ember.linalg.matrix_rank(x, atol=1.0, rtol=0.0),
             lambda x: torch.linalg.matrix_rank(x, atol=1.0, rtol=0.0), a)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, -1, -3])
def test_matrix_power(n):
    a = spd(2, 3, 3) / 3
    check_op(lambda x: ember.linalg.matrix_power(x, n), lambda x: torch.linalg.matrix_power(x, n),
             a, dtypes=FLOATS, atol=1e-4)


def test_aliases():
    a, b = general(2, 4, 3), general(2, 4, 3)
    check_op(ember.linalg.cross, torch.linalg.cross, a, b, dtypes=FLOATS)
    check_op(lambda x, y: ember.linalg.cross(x, y, dim=1),
             lambda x, y: torch.linalg.cross(x, y, dim=1), general(2, 3, 4), general(2, 3, 4))
    check_op(ember.linalg.matmul, torch.linalg.matmul, a, np.swapaxes(b, -1, -2).copy())
    check_op(lambda x: ember.linalg.diagonal(x, offset=1),
             lambda x: torch.linalg.diagonal(x, offset=1), a)


def test_public_names_match_torch():
    for name in ember.linalg.__all__:
        assert hasattr(torch.linalg, name), name
