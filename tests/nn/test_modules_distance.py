"""Distance, similarity and embedding/ranking loss layers (and Softmax2d) against PyTorch:
reprs, values and gradients for every option and reduction, legacy arguments, errors."""

import itertools
import warnings

import numpy as np
import pytest

import ember
from ember import nn
from helpers import assert_same_error, check_op, rng

from ._compare import torch_text

torch = pytest.importorskip("torch")

R = rng(11)
REDUCTIONS = ["mean", "sum", "none"]
DTYPES = ["float32", "float64"]
TWO_LAYOUTS = ("contiguous", "transposed")
LEGACY = list(itertools.product([None, True, False], [None, True, False]))[1:]


def normal(*shape):
    return R.standard_normal(shape).astype(np.float32)


def signs(*shape):
    return R.choice([-1.0, 1.0], shape).astype(np.float32)


def pair(name, **kwargs):
    return getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)


def compare(name, kwargs, *arrays, requires_grad="auto", layouts_=TWO_LAYOUTS,
            check_grad_fn=False, dtypes=DTYPES):
    em, tm = pair(name, **kwargs)
    assert repr(em) == torch_text(repr(tm))
    check_op(em, tm, *arrays, requires_grad=requires_grad, dtypes=dtypes, layouts_=layouts_,
             check_grad_fn=check_grad_fn)


# -- reprs and attributes ----------------------------------------------------------------
REPRS = [
    ("CosineSimilarity", {}), ("CosineSimilarity", {"dim": 0, "eps": 1e-3}),
    ("PairwiseDistance", {}), ("PairwiseDistance", {"p": 1.0, "eps": 0.0, "keepdim": True}),
    ("TripletMarginLoss", {}),
    ("TripletMarginLoss", {"margin": 0.5, "p": 1, "eps": 1e-3, "swap": True,
                           "reduction": "sum"}),
    ("MarginRankingLoss", {}), ("MarginRankingLoss", {"margin": 0.3, "reduction": "none"}),
    ("HingeEmbeddingLoss", {}), ("HingeEmbeddingLoss", {"margin": 2.0, "reduction": "sum"}),
    ("CosineEmbeddingLoss", {}), ("CosineEmbeddingLoss", {"margin": -0.2}),
    ("SoftMarginLoss", {}), ("SoftMarginLoss", {"reduction": "none"}),
    ("PoissonNLLLoss", {}),
    ("PoissonNLLLoss", {"log_input": False, "full": True, "eps": 1e-4, "reduction": "sum"}),
    ("GaussianNLLLoss", {}), ("GaussianNLLLoss", {"full": True, "eps": 1e-2,
                                                  "reduction": "none"}),
    ("Softmax2d", {}),
]


@pytest.mark.parametrize("name,kwargs", REPRS)
def test_repr_and_settings(name, kwargs):
    em, tm = pair(name, **kwargs)
    assert repr(em) == torch_text(repr(tm))
    assert type(em).__name__ == name
    for attr in ("dim", "eps", "norm", "keepdim", "margin", "p", "swap", "reduction",
                 "log_input", "full"):
        assert getattr(em, attr, None) == getattr(tm, attr, None), attr
    assert list(em.parameters()) == [] and list(em.buffers()) == []
    assert repr(nn.Sequential(em)) == torch_text(repr(torch.nn.Sequential(tm)))


# the losses taking torch's deprecated size_average/reduce pair
LEGACY_LOSSES = ["TripletMarginLoss", "MarginRankingLoss", "HingeEmbeddingLoss",
                 "CosineEmbeddingLoss", "SoftMarginLoss", "PoissonNLLLoss"]


@pytest.mark.parametrize("name", LEGACY_LOSSES)
@pytest.mark.parametrize("size_average,reduce", LEGACY)
def test_legacy_size_average_and_reduce(name, size_average, reduce):
    kw = dict(size_average=size_average, reduce=reduce, reduction="none")
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        em = getattr(nn, name)(**kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = getattr(torch.nn, name)(**kw)
    assert em.reduction == tm.reduction


def test_no_warning_without_legacy_arguments():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in LEGACY_LOSSES + ["GaussianNLLLoss"]:
            getattr(nn, name)(reduction="sum")


def test_gaussian_nll_has_keyword_only_arguments():
    assert_same_error(lambda: nn.GaussianNLLLoss(True), lambda: torch.nn.GaussianNLLLoss(True),
                      match_message=False)
    assert_same_error(lambda: nn.GaussianNLLLoss(size_average=True),
                      lambda: torch.nn.GaussianNLLLoss(size_average=True), match_message=False)


# -- similarity and distance -------------------------------------------------------------
@pytest.mark.parametrize("kwargs,shapes", [
    ({}, [(4, 5), (4, 5)]),
    ({"dim": 0}, [(4, 5), (4, 5)]),
    ({"dim": -1, "eps": 1e-3}, [(2, 3, 4), (3, 4)]),   # broadcast
    ({"dim": 1}, [(3, 4, 2), (1, 4, 2)]),
])
def test_cosine_similarity(kwargs, shapes):
    compare("CosineSimilarity", kwargs, *[normal(*s) for s in shapes])


def test_cosine_similarity_zero_vector():
    x1 = np.zeros((2, 3), np.float32)
    x1[1] = [1.0, 2.0, 0.0]
    compare("CosineSimilarity", {}, x1, normal(2, 3), dtypes=["float64"])


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(p, keepdim):
    compare("PairwiseDistance", {"p": p, "keepdim": keepdim}, normal(4, 5), normal(4, 5))


@pytest.mark.parametrize("shapes", [[(5,), (5,)], [(3, 5), (5,)], [(2, 3, 4), (2, 3, 4)]])
def test_pairwise_distance_shapes(shapes):
    compare("PairwiseDistance", {"eps": 1e-3}, *[normal(*s) for s in shapes])


def test_pairwise_distance_equal_inputs_keep_finite_gradient():
    x = normal(3, 4)
    compare("PairwiseDistance", {}, x, x.copy())


# -- losses ------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap", [(2.0, False), (2.0, True), (1.0, False), (3.0, True)])
def test_triplet_margin_loss(reduction, p, swap):
    kw = {"margin": 1.5, "p": p, "swap": swap, "reduction": reduction}
    compare("TripletMarginLoss", kw, normal(6, 4), normal(6, 4), normal(6, 4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_loss_unbatched(reduction):
    compare("TripletMarginLoss", {"reduction": reduction}, normal(4), normal(4), normal(4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss(reduction, margin):
    compare("MarginRankingLoss", {"margin": margin, "reduction": reduction},
            normal(8), normal(8), signs(8), requires_grad=(True, True, False))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_embedding_loss(reduction, margin):
    compare("HingeEmbeddingLoss", {"margin": margin, "reduction": reduction},
            normal(4, 5), signs(4, 5), requires_grad=(True, False))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, -0.3, 0.4])
def test_cosine_embedding_loss(reduction, margin):
    compare("CosineEmbeddingLoss", {"margin": margin, "reduction": reduction},
            normal(6, 4), normal(6, 4), signs(6), requires_grad=(True, True, False))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(reduction):
    x = np.concatenate([normal(10), [30.0, -30.0]]).astype(np.float32).reshape(3, 4)
    compare("SoftMarginLoss", {"reduction": reduction}, x, signs(3, 4),
            requires_grad=(True, False))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input,full", list(itertools.product([True, False], repeat=2)))
def test_poisson_nll_loss(reduction, log_input, full):
    x = normal(3, 4) if log_input else R.uniform(0.1, 3.0, (3, 4)).astype(np.float32)
    target = np.array([0, 1, 2, 5, 0.5, 3, 7, 1, 0, 4, 10, 1.5], np.float32).reshape(3, 4)
    kw = {"log_input": log_input, "full": full, "reduction": reduction}
    compare("PoissonNLLLoss", kw, x, target, requires_grad=(True, False))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1)])
def test_gaussian_nll_loss(reduction, full, var_shape):
    var = R.uniform(0.2, 2.0, var_shape).astype(np.float32)
    compare("GaussianNLLLoss", {"full": full, "reduction": reduction},
            normal(4, 3), normal(4, 3), var, requires_grad=(True, False, True))


def test_gaussian_nll_loss_clamps_small_variance():
    var = np.array([[1e-9, 0.5], [0.0, 1e-3]], np.float32)
    compare("GaussianNLLLoss", {"eps": 1e-2}, normal(2, 2), normal(2, 2), var,
            requires_grad=(True, False, True), layouts_=("contiguous",))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_loss_float_variance(reduction):
    em, tm = pair("GaussianNLLLoss", reduction=reduction)
    check_op(lambda x, y: em(x, y, 0.7), lambda x, y: tm(x, y, 0.7), normal(3, 2),
             normal(3, 2), requires_grad=(True, True), dtypes=DTYPES, check_grad_fn=False)


@pytest.mark.parametrize("shape", [(3, 4, 2), (2, 3, 4, 2)])
def test_softmax2d(shape):
    compare("Softmax2d", {}, normal(*shape) * 3, check_grad_fn=True)


# -- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("margin", [0.0, -1])
def test_triplet_margin_must_be_positive(margin):
    assert_same_error(lambda: nn.TripletMarginLoss(margin=margin),
                      lambda: torch.nn.TripletMarginLoss(margin=margin))


CALLS = [
    ("TripletMarginLoss", 3), ("MarginRankingLoss", 3), ("HingeEmbeddingLoss", 2),
    ("CosineEmbeddingLoss", 3), ("SoftMarginLoss", 2), ("PoissonNLLLoss", 2),
    ("GaussianNLLLoss", 3),
]


@pytest.mark.parametrize("name,n_inputs", CALLS)
def test_bad_reduction_is_refused_on_call(name, n_inputs):
    em, tm = pair(name, reduction="average")
    shape = (3,) if name in ("MarginRankingLoss",) else (3, 2)
    ins = [np.abs(normal(*shape)) + 0.1 for _ in range(n_inputs)]
    if name == "CosineEmbeddingLoss":
        ins[2] = signs(3)
    assert_same_error(lambda: em(*[ember.tensor(a) for a in ins]),
                      lambda: tm(*[torch.tensor(a) for a in ins]))


@pytest.mark.parametrize("var", [np.ones((4, 2), np.float32), -np.ones((4, 3), np.float32)])
def test_gaussian_nll_bad_variance(var):
    x, y = normal(4, 3), normal(4, 3)
    em, tm = pair("GaussianNLLLoss")
    assert_same_error(lambda: em(ember.tensor(x), ember.tensor(y), ember.tensor(var)),
                      lambda: tm(torch.tensor(x), torch.tensor(y), torch.tensor(var)))
    assert_same_error(lambda: em(ember.tensor(x), ember.tensor(y), -1.0),
                      lambda: tm(torch.tensor(x), torch.tensor(y), -1.0))


@pytest.mark.parametrize("shape", [(4,), (3, 4), (1, 2, 3, 4, 5)])
def test_softmax2d_wrong_rank(shape):
    x = normal(*shape)
    em, tm = pair("Softmax2d")
    assert_same_error(lambda: em(ember.tensor(x)), lambda: tm(torch.tensor(x)))


def test_cosine_similarity_bad_dim():
    em, tm = pair("CosineSimilarity", dim=3)
    x = normal(2, 3)
    assert_same_error(lambda: em(ember.tensor(x), ember.tensor(x)),
                      lambda: tm(torch.tensor(x), torch.tensor(x)))


def test_pairwise_distance_shape_mismatch():
    em, tm = pair("PairwiseDistance")
    a, b = normal(3, 4), normal(3, 5)
    assert_same_error(lambda: em(ember.tensor(a), ember.tensor(b)),
                      lambda: tm(torch.tensor(a), torch.tensor(b)))
