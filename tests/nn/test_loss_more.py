"""Multi-margin, multi-label margin, multi-label soft margin and triplet-with-distance losses
against PyTorch: values, gradients, reductions, weights, modules and errors."""

import numpy as np
import pytest

import ember
from ember import nn
from helpers import assert_same, assert_same_error, gradcheck_op, rng

torch = pytest.importorskip("torch")
EF, TF = ember.nn.functional, torch.nn.functional
REDUCTIONS = ["mean", "sum", "none"]


def run_both(fn_name, arrays, kwargs_e=None, kwargs_t=None, dtype=np.float64, atol=1e-6):
    """Call the functional loss in both libraries; compare values and input gradients."""
    kwargs_e, kwargs_t = kwargs_e or {}, kwargs_t or {}
    e_in, t_in = [], []
    for a in arrays:
        if a.dtype.kind == "f":
            a = a.astype(dtype)
            e_in.append(ember.from_numpy(a.copy()).requires_grad_())
            t_in.append(torch.from_numpy(a.copy()).requires_grad_())
        else:
            e_in.append(ember.from_numpy(a.copy()))
            t_in.append(torch.from_numpy(a.copy()))
    e_out = getattr(EF, fn_name)(*e_in, **kwargs_e)
    t_out = getattr(TF, fn_name)(*t_in, **kwargs_t)
    assert_same(e_out, t_out, atol=atol, rtol=1e-5)
    g = rng(1).standard_normal(tuple(t_out.shape)).astype(dtype)
    e_out.backward(ember.from_numpy(g.copy()))
    t_out.backward(torch.from_numpy(g))
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        if t.requires_grad:
            assert_same(e.grad, t.grad, atol=atol, rtol=1e-5, what=f"grad {i}")


def weights(classes, dtype=np.float64):
    w = rng(7).uniform(0.2, 2.0, classes).astype(dtype)
    return ember.from_numpy(w.copy()), torch.from_numpy(w)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin", [(1, 1.0), (2, 1.0), (1, 0.3), (2, 2.5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multi_margin_loss_matches_torch(reduction, p, margin, dtype):
    x = rng(0).standard_normal((5, 4))
    y = np.array([0, 3, 1, 1, 2])
    kw = {"p": p, "margin": margin, "reduction": reduction}
    run_both("multi_margin_loss", [x, y], kw, kw, dtype, atol=1e-5)
    we, wt = weights(4, dtype)
    run_both("multi_margin_loss", [x, y], {**kw, "weight": we}, {**kw, "weight": wt}, dtype,
             atol=1e-5)


@pytest.mark.parametrize("target", [np.array(2), np.array([2])])
def test_multi_margin_loss_unbatched(target):
    x = rng(2).standard_normal(4)
    for reduction in REDUCTIONS:
        run_both("multi_margin_loss", [x, target], {"reduction": reduction},
                 {"reduction": reduction})


def test_multi_margin_module_matches_torch():
    we, wt = weights(3, np.float32)
    e, t = nn.MultiMarginLoss(p=2, margin=0.5, weight=we), \
        torch.nn.MultiMarginLoss(p=2, margin=0.5, weight=wt)
    assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict())
    x = rng(3).standard_normal((4, 3)).astype(np.float32)
    y = np.array([2, 0, 1, 2])
    assert_same(e(ember.from_numpy(x), ember.from_numpy(y)),
                t(torch.from_numpy(x), torch.from_numpy(y)))
    assert repr(nn.MultiMarginLoss()) == repr(torch.nn.MultiMarginLoss())


def test_multi_margin_errors_like_torch():
    x = rng(0).standard_normal((2, 4)).astype(np.float32)
    cases = [
        ({}, x, [1, 1], {"p": 3}), ({}, x, [1, 1], {"reduction": "foo", "p": 3}),
        ({}, x, [1, 1, 1], {}), ({}, x, [1, 4], {}), ({}, x, [-1, 0], {}),
        ({"t": "float"}, x, [1, 1], {}), ({"t": "int"}, x, [1, 1], {}),
        ({"w": (3,)}, x, [1, 1], {}), ({"w": (2, 2)}, x, [1, 1], {}),
        ({"w": (4,), "wd": "float64"}, x, [1, 1], {}),
        ({"w": (3,), "t": "float"}, x, [1, 1], {}),
        ({}, x[None], [1, 1], {}), ({}, np.zeros((2, 0), np.float32), [1, 1], {}),
        ({}, x[0], [[1]], {}), ({}, x[0], [1, 2], {}), ({}, x.astype(np.int64), [1, 1], {}),
        ({}, x.astype(np.float16), [1, 1], {})]
    for opts, xi, yi, kw in cases:
        def call(lib, opts=opts, xi=xi, yi=yi, kw=kw):
            target = lib.tensor(yi, dtype=getattr(lib, {"float": "float32", "int": "int32"}
                                                  .get(opts.get("t"), "int64")))
            if "w" in opts:
                kw = {**kw, "weight": lib.ones(*opts["w"],
                                               dtype=getattr(lib, opts.get("wd", "float32")))}
            return lib.nn.functional.multi_margin_loss(lib.from_numpy(xi.copy()), target, **kw)
        assert_same_error(lambda c=call: c(ember), lambda c=call: c(torch))
    for kw in [{"p": 3}, {"weight": "2d"}]:
        def make(lib, kw=kw):
            if kw.get("weight") == "2d":
                return lib.nn.MultiMarginLoss(weight=lib.ones(2, 2))
            return lib.nn.MultiMarginLoss(**kw)
        assert_same_error(lambda m=make: m(ember), lambda m=make: m(torch))


MULTILABEL_TARGETS = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 1, 2, 0], [2, 2, -1, -1],
                               [1, -1, 0, 0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multilabel_margin_loss_matches_torch(reduction, dtype):
    x = rng(4).standard_normal((5, 4))
    kw = {"reduction": reduction}
    run_both("multilabel_margin_loss", [x, MULTILABEL_TARGETS], kw, kw, dtype, atol=1e-5)
    run_both("multilabel_margin_loss", [x[0], MULTILABEL_TARGETS[0]], kw, kw, dtype, atol=1e-5)


def test_multilabel_margin_module_and_errors():
    e, t = nn.MultiLabelMarginLoss(reduction="sum"), torch.nn.MultiLabelMarginLoss(
        reduction="sum")
    assert repr(e) == repr(t)
    x = rng(5).standard_normal((5, 4)).astype(np.float32)
    assert_same(e(ember.from_numpy(x), ember.from_numpy(MULTILABEL_TARGETS)),
                t(torch.from_numpy(x), torch.from_numpy(MULTILABEL_TARGETS)))
    bad = [(x, MULTILABEL_TARGETS[:2]), (x, MULTILABEL_TARGETS[:, :3]),
           (x, MULTILABEL_TARGETS + 1), (x, MULTILABEL_TARGETS - 1),
           (x, MULTILABEL_TARGETS.astype(np.float32)), (x, MULTILABEL_TARGETS.astype(np.int32)),
           (x[None], MULTILABEL_TARGETS), (x.astype(np.int64), MULTILABEL_TARGETS),
           (np.zeros((3, 0), np.float32), np.zeros((3, 0), np.int64)),
           (x[0], MULTILABEL_TARGETS[:1])]
    for xi, yi in bad:
        assert_same_error(
            lambda xi=xi, yi=yi: EF.multilabel_margin_loss(ember.from_numpy(xi.copy()),
                                                           ember.from_numpy(yi.copy())),
            lambda xi=xi, yi=yi: TF.multilabel_margin_loss(torch.from_numpy(xi.copy()),
                                                           torch.from_numpy(yi.copy())))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 3, 4)])
def test_multilabel_soft_margin_loss_matches_torch(reduction, dtype, shape):
    x = rng(6).standard_normal(shape) * 3
    y = (rng(7).random(shape) > 0.5).astype(np.float64)
    kw = {"reduction": reduction}
    run_both("multilabel_soft_margin_loss", [x, y], kw, kw, dtype, atol=1e-5)
    we, wt = weights(shape[-1], dtype)
    run_both("multilabel_soft_margin_loss", [x, y], {**kw, "weight": we}, {**kw, "weight": wt},
             dtype, atol=1e-5)


def test_multilabel_soft_margin_module_and_errors():
    we, wt = weights(3, np.float32)
    e, t = nn.MultiLabelSoftMarginLoss(weight=we), torch.nn.MultiLabelSoftMarginLoss(weight=wt)
    assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict())
    x = rng(8).standard_normal((4, 3)).astype(np.float32)
    y = (rng(9).random((4, 3)) > 0.5).astype(np.float32)
    eo, to = e(ember.from_numpy(x), ember.from_numpy(y)), t(torch.from_numpy(x),
                                                          torch.from_numpy(y))
    assert_same(eo, to)
    for call in [lambda L: L.nn.functional.multilabel_soft_margin_loss(L.zeros(3, 4),
                                                                       L.zeros(2, 4)),
                 lambda L: L.nn.functional.multilabel_soft_margin_loss(L.zeros(3, 4),
                                                                       L.zeros(3, 4),
                                                                       reduction="foo")]:
        assert_same_error(lambda c=call: c(ember), lambda c=call: c(torch))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("distance", ["default", "l1", "cosine"])
def test_triplet_margin_with_distance_matches_torch(reduction, swap, distance):
    a, p, n = (rng(s).standard_normal((5, 3)) for s in (10, 11, 12))

    def distance_for(lib):
        if distance == "l1":
            return lambda u, v: (u - v).abs().sum(-1)
        if distance == "cosine":
            return lambda u, v: 1.0 - lib.nn.functional.cosine_similarity(u, v)
        return None
    kw = {"margin": 0.7, "swap": swap, "reduction": reduction}
    run_both("triplet_margin_with_distance_loss", [a, p, n],
             {**kw, "distance_function": distance_for(ember)},
             {**kw, "distance_function": distance_for(torch)}, np.float64)
    run_both("triplet_margin_with_distance_loss", [a, p, n], {"reduction": reduction},
             {"reduction": reduction}, np.float32, atol=1e-5)


def test_triplet_margin_with_distance_module_and_errors():
    e = nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(), swap=True)
    t = torch.nn.TripletMarginWithDistanceLoss(distance_function=torch.nn.PairwiseDistance(),
                                               swap=True)
    assert repr(e) == repr(t)
    assert repr(nn.TripletMarginWithDistanceLoss()) == \
        repr(torch.nn.TripletMarginWithDistanceLoss())
    a, p, n = (rng(s).standard_normal((4, 3)).astype(np.float32) for s in (1, 2, 3))
    assert_same(e(*map(ember.from_numpy, (a, p, n))), t(*map(torch.from_numpy, (a, p, n))))
    calls = [lambda L: L.nn.TripletMarginWithDistanceLoss(margin=-1),
             lambda L: L.nn.functional.triplet_margin_with_distance_loss(
                 L.zeros(3, 4), L.zeros(3, 4), L.zeros(4), margin=-1, reduction="foo"),
             lambda L: L.nn.functional.triplet_margin_with_distance_loss(
                 L.zeros(3, 4), L.zeros(3, 4), L.zeros(4), margin=0),
             lambda L: L.nn.functional.triplet_margin_with_distance_loss(
                 L.zeros(3, 4), L.zeros(3, 4), L.zeros(4))]
    for call in calls:
        assert_same_error(lambda c=call: c(ember), lambda c=call: c(torch))


def test_legacy_reduction_arguments():
    x = rng(13).standard_normal((3, 4)).astype(np.float32)
    y = np.array([0, 2, 3])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        e = EF.multi_margin_loss(ember.from_numpy(x), ember.from_numpy(y), size_average=False)
    assert_same(e, TF.multi_margin_loss(torch.from_numpy(x), torch.from_numpy(y),
                                        reduction="sum"))


def test_gradcheck_margin_losses():
    x = rng(14).standard_normal((3, 4))
    w = rng(15).uniform(0.5, 1.5, 4)
    gradcheck_op(lambda a, b: EF.multi_margin_loss(a, ember.tensor([1, 0, 3]), p=2, weight=b),
                 x, w)
    gradcheck_op(lambda a: EF.multilabel_margin_loss(a, ember.from_numpy(
        MULTILABEL_TARGETS[:3].copy()), reduction="sum"), x)
    y = (rng(16).random((3, 4)) > 0.5).astype(np.float64)
    gradcheck_op(lambda a, t: EF.multilabel_soft_margin_loss(a, t), x, y)
    gradcheck_op(lambda a, p, n: EF.triplet_margin_with_distance_loss(a, p, n, swap=True),
                 x, rng(17).standard_normal((3, 4)), rng(18).standard_normal((3, 4)))
