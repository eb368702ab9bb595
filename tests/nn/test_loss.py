"""Loss layers and functions against PyTorch: every reduction and option, values, gradients,
grad_fn names, float64 gradient checks, numerical stability and error messages."""

import itertools
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same_error, check_op, gradcheck_op, rng

from ._compare import torch_text

torch = pytest.importorskip("torch")
TF = torch.nn.functional

R = rng(7)
REDUCTIONS = ["mean", "sum", "none"]
ONE_LAYOUT = ("contiguous",)


def logits(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype) * 2


def classes(shape, n, ignored=()):
    t = R.integers(0, n, shape).astype(np.int64)
    flat = t.reshape(-1)
    for pos, value in ignored:
        flat[pos] = value
    return t


def top_name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def compare_loss(ember_fn, torch_fn, *arrays, requires_grad, dtypes=("float32", "float64")):
    """Values and gradients with check_op, then the grad_fn at the top of the graph."""
    for dt in dtypes:
        cast = [a.astype(dt) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                for a in arrays]
        check_op(ember_fn, torch_fn, *cast, requires_grad=requires_grad, layouts_=ONE_LAYOUT,
                 check_grad_fn=False, atol=1e-5, rtol=1e-4)
    e_in = [ember.tensor(a, requires_grad=bool(rg)) if isinstance(a, np.ndarray) else a
            for a, rg in zip(arrays, requires_grad)]
    t_in = [torch.tensor(a, requires_grad=bool(rg)) if isinstance(a, np.ndarray) else a
            for a, rg in zip(arrays, requires_grad)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert top_name(ember_fn(*e_in)) == top_name(torch_fn(*t_in))


# -- cross-entropy -----------------------------------------------------------------------
CE_OPTIONS = list(itertools.product(REDUCTIONS, [False, True], [0.0, 0.15], [-100, 2]))


@pytest.mark.parametrize("reduction,weighted,smoothing,ignore_index", CE_OPTIONS)
def test_cross_entropy_class_indices(reduction, weighted, smoothing, ignore_index):
    x = logits(6, 5)
    y = classes((6,), 5, ignored=[(1, ignore_index), (4, ignore_index)])
    w = R.uniform(0.2, 2.0, 5).astype(np.float32) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing, ignore_index=ignore_index)
    compare_loss(lambda a, b, c: F.cross_entropy(a, b, weight=c, **kw),
                 lambda a, b, c: TF.cross_entropy(a, b, weight=c, **kw),
                 x, y, w, requires_grad=(True, False, False))
    em = nn.CrossEntropyLoss(weight=None if w is None else ember.tensor(w), **kw)
    tm = torch.nn.CrossEntropyLoss(weight=None if w is None else torch.tensor(w), **kw)
    check_op(em, tm, x, y, requires_grad=(True, False), layouts_=ONE_LAYOUT,
             check_grad_fn=False)


@pytest.mark.parametrize("reduction,weighted,smoothing",
                         list(itertools.product(REDUCTIONS, [False, True], [0.0, 0.2])))
def test_cross_entropy_class_probabilities(reduction, weighted, smoothing):
    x = logits(4, 3)
    p = R.dirichlet(np.ones(3), 4).astype(np.float32)
    w = R.uniform(0.2, 2.0, 3).astype(np.float32) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    # The targets require grad too: both gradients are compared.
    compare_loss(lambda a, b, c: F.cross_entropy(a, b, weight=c, **kw),
                 lambda a, b, c: TF.cross_entropy(a, b, weight=c, **kw),
                 x, p, w, requires_grad=(True, True, False))


@pytest.mark.parametrize("shape", [(5,), (2, 4, 3), (2, 4, 3, 2), (2, 3, 2, 2, 2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_other_ranks(shape, reduction):
    x = logits(*shape)
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0], *shape[2:])
    y = np.asarray(classes(tshape, c))
    w = R.uniform(0.5, 1.5, c).astype(np.float32)
    compare_loss(lambda a, b, c_: F.cross_entropy(a, b, weight=c_, reduction=reduction),
                 lambda a, b, c_: TF.cross_entropy(a, b, weight=c_, reduction=reduction),
                 x, y, w, requires_grad=(True, False, False))
    p = np.moveaxis(R.dirichlet(np.ones(c), tshape), -1, 0 if len(shape) == 1 else 1)
    compare_loss(lambda a, b: F.cross_entropy(a, b, reduction=reduction, label_smoothing=0.1),
                 lambda a, b: TF.cross_entropy(a, b, reduction=reduction, label_smoothing=0.1),
                 x, p.astype(np.float32), requires_grad=(True, True))


def test_cross_entropy_is_one_fused_node():
    x = ember.tensor(logits(3, 4), requires_grad=True)
    loss = F.cross_entropy(x, ember.tensor([0, 3, 1]))
    assert loss.grad_fn.name() == "NllLossBackward0"
    # One node straight to the logits: no log_softmax / gather chain to walk back through.
    assert [type(n).__name__ for n, _ in loss.grad_fn.next_functions] == ["AccumulateGrad"]
    loss.backward()
    p = F.softmax(x.detach(), 1).numpy()
    onehot = np.eye(4, dtype=np.float32)[[0, 3, 1]]
    np.testing.assert_allclose(x.grad.numpy(), (p - onehot) / 3, rtol=1e-6, atol=1e-7)


def test_cross_entropy_huge_logits_finite():
    big = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], dtype=np.float32)
    y = np.array([1, 0])
    for reduction in REDUCTIONS:
        compare_loss(lambda a, b, r=reduction: F.cross_entropy(a, b, reduction=r),
                     lambda a, b, r=reduction: TF.cross_entropy(a, b, reduction=r),
                     big, y, requires_grad=(True, False))
    x = ember.tensor(big, requires_grad=True)
    loss = F.cross_entropy(x, ember.tensor(y), label_smoothing=0.1)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()


def test_cross_entropy_all_ignored():
    x, y = logits(3, 4), np.full(3, -100)
    for reduction in REDUCTIONS:
        check_op(lambda a, b, r=reduction: F.cross_entropy(a, b, reduction=r),
                 lambda a, b, r=reduction: TF.cross_entropy(a, b, reduction=r), x, y,
                 requires_grad=(True, False), layouts_=ONE_LAYOUT, check_grad_fn=False)


@pytest.mark.parametrize("kind", ["indices", "weighted_smoothed", "probs"])
def test_cross_entropy_gradcheck(kind):
    x = R.standard_normal((3, 4))
    if kind == "indices":
        gradcheck_op(lambda a, b: F.cross_entropy(a, b), x, np.array([0, 3, 2]))
    elif kind == "weighted_smoothed":
        w = ember.tensor(R.uniform(0.5, 2, 4))
        gradcheck_op(lambda a, b: F.cross_entropy(a, b, weight=w, label_smoothing=0.3,
                                                  ignore_index=1, reduction="sum"),
                     x, np.array([0, 1, 2]))
    else:
        p = R.dirichlet(np.ones(4), 3)
        gradcheck_op(lambda a, b: F.cross_entropy(a, b, reduction="none"), x, p)


@pytest.mark.parametrize("probs", [False, True])
def test_cross_entropy_double_backward_matches_torch(probs):
    x = R.standard_normal((3, 4))
    y = R.dirichlet(np.ones(4), 3) if probs else np.array([1, 0, 3])
    e, t = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    w = R.uniform(0.5, 2, 4)
    le = F.cross_entropy(e, ember.tensor(y), weight=ember.tensor(w), label_smoothing=0.2)
    lt = TF.cross_entropy(t, torch.tensor(y), weight=torch.tensor(w), label_smoothing=0.2)
    (ge,) = ember.autograd.grad(le, e, create_graph=True)
    (gt,) = torch.autograd.grad(lt, t, create_graph=True)
    (gge,) = ember.autograd.grad((ge * ge).sum(), e)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), t)
    np.testing.assert_allclose(gge.numpy(), ggt.numpy(), rtol=1e-8, atol=1e-12)


CE_ERRORS = [
    (lambda L: (L.randn(3, 5), L.tensor([1, 2])), {}),
    (lambda L: (L.randn(3, 5), L.tensor([1, 2, 7])), {}),
    (lambda L: (L.randn(3, 5), L.tensor([1, 2, -3])), {}),
    (lambda L: (L.randn(3, 5), L.rand(3, 4)), {}),
    (lambda L: (L.randn(3, 5), L.rand(3)), {}),
    (lambda L: (L.randn(3, 5), L.tensor([1, 2, 3], dtype=L.int32)), {}),
    (lambda L: (L.randn(3, 5), L.tensor([[1, 2, 3]])), {}),
    (lambda L: (L.randn(3, 5), L.tensor([1, 2, 3])), {"reduction": "avg"}),
    (lambda L: (L.randn(3, 5), L.tensor([1, 2, 3])), {"label_smoothing": 1.5}),
    (lambda L: (L.randn(3, 5), L.tensor([1, 2, 3])), {"weight": "ones4"}),
    (lambda L: (L.randn(3, 5), L.rand(3, 5)), {"ignore_index": 1}),
    (lambda L: (L.randn(3, 5), L.ones(3, 5, dtype=L.int64)), {}),
    (lambda L: (L.randn(2, 5, 4), L.zeros(2, 3, dtype=L.int64)), {}),
    (lambda L: (L.randn(2, 5, 4, 3), L.zeros(2, 4, 2, dtype=L.int64)), {}),
    (lambda L: (L.randn(2, 5, 4, 3), L.zeros(2, 4, dtype=L.int64)), {}),
    (lambda L: (L.randn(3, 5), L.tensor([1, 2, 3])), {"weight": "requires_grad"}),
]


@pytest.mark.parametrize("case,kwargs", CE_ERRORS)
def test_cross_entropy_errors_match_torch(case, kwargs):
    def call(L, fn):
        args = case(L)
        kw = dict(kwargs)
        if kw.get("weight") == "ones4":
            kw["weight"] = L.ones(4)
        elif kw.get("weight") == "requires_grad":
            kw["weight"] = L.ones(5, requires_grad=True)
        return fn(*args, **kw)
    assert_same_error(lambda: call(ember, F.cross_entropy), lambda: call(torch, TF.cross_entropy))


# -- nll ---------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction,weighted,ignore_index",
                         list(itertools.product(REDUCTIONS, [False, True], [-100, 0])))
@pytest.mark.parametrize("shape", [(6, 4), (4,), (2, 4, 3), (2, 4, 2, 3)])
def test_nll_loss(shape, reduction, weighted, ignore_index):
    x = logits(*shape)
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0], *shape[2:])
    y = np.asarray(classes(tshape, c, ignored=[(1, ignore_index)] if tshape else []))
    w = R.uniform(0.2, 2.0, c).astype(np.float32) if weighted else None
    kw = dict(reduction=reduction, ignore_index=ignore_index)
    compare_loss(lambda a, b, c_: F.nll_loss(a, b, weight=c_, **kw),
                 lambda a, b, c_: TF.nll_loss(a, b, weight=c_, **kw),
                 x, y, w, requires_grad=(True, False, False))


def test_nll_loss_module_and_gradcheck():
    x, y = logits(5, 3), np.array([0, 2, 1, 1, -100])
    check_op(nn.NLLLoss(reduction="sum"), torch.nn.NLLLoss(reduction="sum"), x, y,
             requires_grad=(True, False), layouts_=ONE_LAYOUT)
    w = ember.tensor(R.uniform(0.5, 2, 3))
    gradcheck_op(lambda a, b: F.nll_loss(a, b, weight=w), x.astype(np.float64), y)
    log_probs = nn.LogSoftmax(dim=1)
    check_op(lambda a, b: F.nll_loss(log_probs(a), b),
             lambda a, b: TF.nll_loss(torch.nn.LogSoftmax(dim=1)(a), b), x, y,
             requires_grad=(True, False), layouts_=ONE_LAYOUT)


def test_nll_loss_errors_match_torch():
    assert_same_error(lambda: F.nll_loss(ember.randn(3, 5), ember.tensor([1, 2])),
                      lambda: TF.nll_loss(torch.randn(3, 5), torch.tensor([1, 2])))
    assert_same_error(lambda: F.nll_loss(ember.randn(3, 5), ember.rand(3)),
                      lambda: TF.nll_loss(torch.randn(3, 5), torch.rand(3)))
    assert_same_error(
        lambda: F.nll_loss(ember.randn(2, 3, 4, 5), ember.zeros(2, 4, 6, dtype=ember.int64)),
        lambda: TF.nll_loss(torch.randn(2, 3, 4, 5), torch.zeros(2, 4, 6, dtype=torch.int64)))


# -- regression losses -------------------------------------------------------------------
POINTWISE = [
    ("mse_loss", "MSELoss", {}), ("l1_loss", "L1Loss", {}),
    ("smooth_l1_loss", "SmoothL1Loss", {}), ("smooth_l1_loss", "SmoothL1Loss", {"beta": 0.5}),
    ("smooth_l1_loss", "SmoothL1Loss", {"beta": 0.0}), ("huber_loss", "HuberLoss", {}),
    ("huber_loss", "HuberLoss", {"delta": 0.3}),
]


@pytest.mark.parametrize("fn,cls,kwargs", POINTWISE)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pointwise_losses(fn, cls, kwargs, reduction):
    x, y = logits(4, 5), logits(4, 5)
    kw = dict(kwargs, reduction=reduction)
    # Both input and target require grad.
    compare_loss(lambda a, b: getattr(F, fn)(a, b, **kw),
                 lambda a, b: getattr(TF, fn)(a, b, **kw), x, y, requires_grad=(True, True))
    em, tm = getattr(nn, cls)(**kw), getattr(torch.nn, cls)(**kw)
    assert repr(em) == repr(tm)
    check_op(em, tm, x, y, layouts_=("contiguous", "transposed"), check_grad_fn=False)
    gradcheck_op(lambda a, b: getattr(F, fn)(a, b, **kw), R.standard_normal((3, 4)),
                 R.standard_normal((3, 4)))


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_pointwise_broadcast_warns_like_torch(fn):
    x, y = logits(3, 1), logits(3)
    with pytest.warns(UserWarning) as ew:
        e = getattr(F, fn)(ember.tensor(x, requires_grad=True), ember.tensor(y))
    with pytest.warns(UserWarning) as tw:
        t = getattr(TF, fn)(torch.tensor(x), torch.tensor(y))
    assert str(ew[0].message) == torch_text(str(tw[0].message))
    np.testing.assert_allclose(e.item(), t.item(), rtol=1e-6)
    check_op(lambda a, b: getattr(F, fn)(a, b), lambda a, b: getattr(TF, fn)(a, b), x, y,
             layouts_=ONE_LAYOUT, check_grad_fn=False)


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pointwise_weights(fn, reduction):
    x, y, w = logits(3, 4), logits(3, 4), R.uniform(0, 1, (3, 4)).astype(np.float32)
    compare_loss(lambda a, b, c: getattr(F, fn)(a, b, reduction=reduction, weight=c),
                 lambda a, b, c: getattr(TF, fn)(a, b, reduction=reduction, weight=c),
                 x, y, w, requires_grad=(True, False, False), dtypes=("float32",))


def test_pointwise_mixed_dtypes_and_errors():
    x = logits(3)
    check_op(F.mse_loss, TF.mse_loss, x, np.array([1, 2, 3]), layouts_=ONE_LAYOUT)
    check_op(F.mse_loss, TF.mse_loss, x, x.astype(np.float64), layouts_=ONE_LAYOUT,
             requires_grad=(True, False))
    assert_same_error(lambda: F.smooth_l1_loss(ember.ones(2), ember.ones(2), beta=-1),
                      lambda: TF.smooth_l1_loss(torch.ones(2), torch.ones(2), beta=-1))
    assert_same_error(lambda: F.huber_loss(ember.ones(2), ember.ones(2), delta=0),
                      lambda: TF.huber_loss(torch.ones(2), torch.ones(2), delta=0))
    assert_same_error(lambda: F.mse_loss(ember.ones(2), ember.ones(2), reduction="x"),
                      lambda: TF.mse_loss(torch.ones(2), torch.ones(2), reduction="x"))
    assert_same_error(lambda: F.mse_loss(ember.ones(3, 2), ember.ones(4)),
                      lambda: TF.mse_loss(torch.ones(3, 2), torch.ones(4)), match_message=False)


def test_legacy_size_average_and_reduce():
    x, y = logits(3, 2), logits(3, 2)
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        with pytest.warns(UserWarning) as ew:
            e = F.mse_loss(ember.tensor(x), ember.tensor(y), size_average, reduce)
        with pytest.warns(UserWarning) as tw:
            t = TF.mse_loss(torch.tensor(x), torch.tensor(y), size_average, reduce)
        assert str(ew[0].message) == str(tw[0].message)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    with pytest.warns(UserWarning):
        assert nn.L1Loss(size_average=False).reduction == "sum"


# -- binary cross-entropy ----------------------------------------------------------------
@pytest.mark.parametrize("reduction,weighted", list(itertools.product(REDUCTIONS, [0, 1, 2])))
def test_binary_cross_entropy(reduction, weighted):
    p = R.uniform(0.02, 0.98, (4, 3)).astype(np.float32)
    y = R.uniform(0, 1, (4, 3)).astype(np.float32)
    w = [None, R.uniform(0.5, 2, 3), R.uniform(0.5, 2, (4, 3))][weighted]
    w = None if w is None else w.astype(np.float32)
    compare_loss(lambda a, b, c: F.binary_cross_entropy(a, b, weight=c, reduction=reduction),
                 lambda a, b, c: TF.binary_cross_entropy(a, b, weight=c, reduction=reduction),
                 p, y, w, requires_grad=(True, True, False))
    em = nn.BCELoss(weight=None if w is None else ember.tensor(w), reduction=reduction)
    tm = torch.nn.BCELoss(weight=None if w is None else torch.tensor(w), reduction=reduction)
    check_op(em, tm, p, y, layouts_=ONE_LAYOUT, check_grad_fn=False)
    gradcheck_op(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
                 R.uniform(0.1, 0.9, (3, 2)), R.uniform(0, 1, (3, 2)))


def test_binary_cross_entropy_edges_match_torch():
    p, y = np.array([0.0, 1.0, 0.5], np.float32), np.array([1.0, 0.0, 1.0], np.float32)
    check_op(lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
             lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"), p, y,
             requires_grad=(True, False), layouts_=ONE_LAYOUT, check_grad_fn=False)
    assert_same_error(lambda: F.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0])),
                      lambda: TF.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])))
    assert_same_error(lambda: F.binary_cross_entropy(ember.rand(3, 1), ember.rand(3)),
                      lambda: TF.binary_cross_entropy(torch.rand(3, 1), torch.rand(3)))


@pytest.mark.parametrize("reduction,weighted,pos",
                         list(itertools.product(REDUCTIONS, [False, True], [False, True])))
def test_bce_with_logits(reduction, weighted, pos):
    x = np.concatenate([logits(9), [60.0, -60.0, 0.0]]).reshape(4, 3).astype(np.float32)
    y = R.uniform(0, 1, (4, 3)).astype(np.float32)
    w = R.uniform(0.5, 2, 3).astype(np.float32) if weighted else None
    pw = R.uniform(0.5, 3, 3).astype(np.float32) if pos else None
    compare_loss(lambda a, b, c, d: F.binary_cross_entropy_with_logits(
                     a, b, weight=c, pos_weight=d, reduction=reduction),
                 lambda a, b, c, d: TF.binary_cross_entropy_with_logits(
                     a, b, weight=c, pos_weight=d, reduction=reduction),
                 x, y, w, pw, requires_grad=(True, True, False, False))
    em = nn.BCEWithLogitsLoss(weight=None if w is None else ember.tensor(w),
                              pos_weight=None if pw is None else ember.tensor(pw),
                              reduction=reduction)
    tm = torch.nn.BCEWithLogitsLoss(weight=None if w is None else torch.tensor(w),
                                    pos_weight=None if pw is None else torch.tensor(pw),
                                    reduction=reduction)
    check_op(em, tm, x, y, layouts_=ONE_LAYOUT, check_grad_fn=False)
    pwt = None if pw is None else ember.tensor(pw.astype(np.float64))
    gradcheck_op(lambda a, b: F.binary_cross_entropy_with_logits(
        a, b, pos_weight=pwt, reduction=reduction), R.standard_normal((4, 3)),
        R.uniform(0, 1, (4, 3)))


def test_bce_with_logits_errors_match_torch():
    assert_same_error(lambda: F.binary_cross_entropy_with_logits(ember.rand(3, 1), ember.rand(3)),
                      lambda: TF.binary_cross_entropy_with_logits(torch.rand(3, 1),
                                                                  torch.rand(3)))
    assert_same_error(
        lambda: F.binary_cross_entropy_with_logits(ember.rand(3), ember.rand(3),
                                                   pos_weight=ember.rand(3, requires_grad=True)),
        lambda: TF.binary_cross_entropy_with_logits(torch.rand(3), torch.rand(3),
                                                    pos_weight=torch.rand(3, requires_grad=True)))
    assert top_name(torch.ember_dummy if False else F.binary_cross_entropy_with_logits(
        ember.zeros(2, requires_grad=True), ember.ones(2))) == \
        "BinaryCrossEntropyWithLogitsBackward0"


# -- KL divergence -----------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = np.log(R.dirichlet(np.ones(4), 3)).astype(np.float32)
    p = R.dirichlet(np.ones(4), 3).astype(np.float32)
    p[0, 1] = 0.0  # 0 * log 0 counts as 0
    y = np.log(p + 1e-3) if log_target else p
    kw = dict(reduction=reduction, log_target=log_target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare_loss(lambda a, b: F.kl_div(a, b, **kw), lambda a, b: TF.kl_div(a, b, **kw),
                     x, y, requires_grad=(True, False))
        check_op(nn.KLDivLoss(**kw), torch.nn.KLDivLoss(**kw), x, y, layouts_=ONE_LAYOUT,
                 requires_grad=(True, True), check_grad_fn=False)
        gradcheck_op(lambda a, b: F.kl_div(a, b, **kw), x.astype(np.float64),
                     np.log(R.dirichlet(np.ones(4), 3)) if log_target
                     else R.dirichlet(np.ones(4), 3))


def test_kl_div_mean_warns_like_torch():
    with pytest.warns(UserWarning) as ew:
        F.kl_div(ember.zeros(2), ember.ones(2))
    with pytest.warns(UserWarning) as tw:
        TF.kl_div(torch.zeros(2), torch.ones(2))
    assert str(ew[0].message) == str(tw[0].message)


# -- modules -----------------------------------------------------------------------------
def test_loss_reprs_and_buffers():
    for name in ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss",
                 "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "KLDivLoss"]:
        assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())
    em = nn.CrossEntropyLoss(weight=ember.ones(3), label_smoothing=0.1)
    assert list(em.state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=ember.ones(2)).state_dict()) == ["pos_weight"]
    assert em.to(ember.float64).weight.dtype == ember.float64
