"""cosine_similarity, pairwise_distance and the embedding/ranking losses against PyTorch:
values, dtypes, gradients, every reduction, gradient checks and errors."""

import numpy as np
import pytest

import ember.nn.functional as F
from helpers import assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")
TF = torch.nn.functional

R = rng(9)
FLOATS = ["float32", "float64"]
REDUCTIONS = ["mean", "sum", "none"]


def a(*shape):
    return R.standard_normal(shape).astype(np.float32)


def signs(*shape):
    return np.where(R.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


def compare(name, *arrays, requires_grad="auto", **kw):
    """ember's and torch's ``name`` on the same data (grad_fn names are not compared: both
    are compositions whose last node can differ)."""
    check_op(lambda *x: getattr(F, name)(*x, **kw), lambda *x: getattr(TF, name)(*x, **kw),
             *arrays, dtypes=FLOATS, requires_grad=requires_grad, check_grad_fn=False)


@pytest.mark.parametrize("s1,s2,dim", [((4, 3), (4, 3), 1), ((2, 3, 4), (2, 3, 4), -1),
                                       ((4, 3), (1, 3), 1), ((3,), (3,), 0), ((0, 3), (0, 3), 1)],
                         ids=str)
def test_cosine_similarity(s1, s2, dim):
    compare("cosine_similarity", a(*s1), a(*s2), dim=dim)


def test_cosine_similarity_zero_vector_gradcheck_and_errors():
    z = np.zeros((2, 3), np.float32)
    compare("cosine_similarity", z, a(2, 3))
    gradcheck_op(lambda x, y: F.cosine_similarity(x, y, 0), a(3, 2), a(3, 1))
    assert_same_error(lambda: F.cosine_similarity(*[__import__("ember").zeros(2, 3)] * 2, dim=2),
                      lambda: TF.cosine_similarity(torch.zeros(2, 3), torch.zeros(2, 3), dim=2))


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("s1,s2", [((4, 3), (4, 3)), ((2, 4, 3), (4, 3)), ((3,), (3,))], ids=str)
def test_pairwise_distance(s1, s2, p, keepdim):
    compare("pairwise_distance", a(*s1), a(*s2), p=p, keepdim=keepdim)


def test_pairwise_distance_equal_vectors_and_gradcheck():
    x = a(3, 4)
    compare("pairwise_distance", x, x.copy())
    gradcheck_op(lambda x, y: F.pairwise_distance(x, y, 3.0), a(3, 4), a(3, 4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_loss(reduction, swap):
    compare("triplet_margin_loss", a(5, 3), a(5, 3), a(5, 3), margin=0.7, swap=swap,
            reduction=reduction)
    compare("triplet_margin_loss", a(3), a(3), a(3), p=1, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss(reduction):
    compare("margin_ranking_loss", a(6), a(6), signs(6), margin=0.3, reduction=reduction,
            requires_grad=(True, True, False))
    compare("margin_ranking_loss", a(2, 3), a(2, 3), signs(2, 3), reduction=reduction,
            requires_grad=(True, True, False))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss(reduction):
    compare("hinge_embedding_loss", a(4, 5), signs(4, 5), margin=0.5, reduction=reduction,
            requires_grad=(True, False))
    compare("hinge_embedding_loss", a(0), signs(0), reduction=reduction,
            requires_grad=(True, False))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_loss(reduction):
    compare("cosine_embedding_loss", a(5, 3), a(5, 3), signs(5), margin=0.2,
            reduction=reduction, requires_grad=(True, True, False))
    compare("cosine_embedding_loss", a(3), a(3), signs(), reduction=reduction,
            requires_grad=(True, True, False))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(reduction):
    compare("soft_margin_loss", a(4, 3), signs(4, 3), reduction=reduction,
            requires_grad=(True, False))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True),
                                            (False, True)])
def test_poisson_nll_loss(reduction, log_input, full):
    x = a(4, 3) if log_input else np.abs(a(4, 3)) + 0.1
    target = R.integers(0, 5, (4, 3)).astype(np.float32)
    compare("poisson_nll_loss", x, target, log_input=log_input, full=full, reduction=reduction,
            requires_grad=(True, False))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1)], ids=str)
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss(reduction, var_shape, full):
    var = np.abs(a(*var_shape)) + 0.05
    var.reshape(-1)[0] = 1e-8  # below eps: clamped, gradient still flows
    compare("gaussian_nll_loss", a(4, 3), a(4, 3), var, full=full, reduction=reduction)


def test_losses_gradcheck():
    t = signs(4)
    gradcheck_op(lambda x, y: F.margin_ranking_loss(x, y, t_e(t), margin=0.2), a(4), a(4))
    gradcheck_op(lambda x, y, z: F.triplet_margin_loss(x, y, z, swap=True), a(3, 2), a(3, 2),
                 a(3, 2))
    gradcheck_op(lambda x, y: F.cosine_embedding_loss(x, y, t_e(t)), a(4, 3), a(4, 3))
    gradcheck_op(lambda x: F.soft_margin_loss(x, t_e(t)), a(4))
    gradcheck_op(lambda x: F.hinge_embedding_loss(x, t_e(t)), a(4))
    gradcheck_op(lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=True),
                 a(4), a(4), np.abs(a(4)) + 0.5)
    gradcheck_op(lambda x: F.poisson_nll_loss(x, t_e(np.abs(t) * 2), full=True), a(4))


def t_e(x):
    import ember
    return ember.tensor(x.astype(np.float64))


def test_errors():
    import ember
    e3, t3 = ember.zeros(3), torch.zeros(3)
    for name in ["soft_margin_loss", "hinge_embedding_loss"]:
        assert_same_error(lambda name=name: getattr(F, name)(e3, e3, reduction="bad"),
                          lambda name=name: getattr(TF, name)(t3, t3, reduction="bad"))
    assert_same_error(lambda: F.margin_ranking_loss(e3, e3, e3, reduction="x"),
                      lambda: TF.margin_ranking_loss(t3, t3, t3, reduction="x"))
    assert_same_error(lambda: F.gaussian_nll_loss(e3, e3, e3, reduction="x"),
                      lambda: TF.gaussian_nll_loss(t3, t3, t3, reduction="x"))
    assert_same_error(lambda: F.gaussian_nll_loss(e3, e3, ember.ones(2)),
                      lambda: TF.gaussian_nll_loss(t3, t3, torch.ones(2)))
    assert_same_error(lambda: F.gaussian_nll_loss(e3, e3, -ember.ones(3)),
                      lambda: TF.gaussian_nll_loss(t3, t3, -torch.ones(3)))
    assert_same_error(lambda: F.poisson_nll_loss(e3, e3, reduction="x"),
                      lambda: TF.poisson_nll_loss(t3, t3, reduction="x"))
