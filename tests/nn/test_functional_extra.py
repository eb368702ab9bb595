"""embedding_bag, gumbel_softmax, affine_grid / grid_sample, pdist, upsample* and the in-place
celu_ / selu_ of ember.nn.functional, against torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as EF
from helpers import assert_same, assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")
TF = torch.nn.functional

FLOATS = ["float32", "float64"]


def _both(name: str, **kwargs):
    """The same functional call with ember's and with torch's F."""
    return (lambda *a: getattr(EF, name)(*a, **kwargs),
            lambda *a: getattr(TF, name)(*a, **kwargs))


# -- embedding_bag -----------------------------------------------------------------------
IDX_1D = np.array([1, 2, 2, 6, 0, 3, 2, 5])
OFFSETS = np.array([0, 2, 2, 5])
IDX_2D = np.array([[1, 2, 2], [6, 0, 3], [2, 2, 2]])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_bag_1d_offsets(mode, padding_idx):
    w = rng(1).standard_normal((7, 4))
    e, t = _both("embedding_bag", mode=mode, padding_idx=padding_idx)
    check_op(e, t, IDX_1D, w, OFFSETS, dtypes=[(None, d, None) for d in FLOATS])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_include_last_offset_and_2d(mode):
    w = rng(2).standard_normal((7, 3))
    e, t = _both("embedding_bag", mode=mode, include_last_offset=True)
    check_op(e, t, IDX_1D, w, np.array([0, 3, 3, 8]), layouts_=["contiguous"])
    e, t = _both("embedding_bag", mode=mode, padding_idx=2)
    check_op(e, t, IDX_2D, w, dtypes=[(None, d) for d in FLOATS])


@pytest.mark.parametrize("shape", [(8,), (2, 4)])
def test_embedding_bag_per_sample_weights(shape):
    w, psw = rng(3).standard_normal((7, 3)), rng(4).standard_normal(shape)
    idx = IDX_1D.reshape(shape)
    offsets = (np.array([0, 3, 3]),) if len(shape) == 1 else ()

    def call(F):
        def fn(i, w_, p, *off):
            return F.embedding_bag(i, w_, *off, mode="sum", per_sample_weights=p,
                                   padding_idx=6)
        return fn
    check_op(call(EF), call(TF), idx, w, psw, *offsets, dtypes=[(None, d, d) + ((None,) *
             len(offsets)) for d in FLOATS])
    gradcheck_op(call(EF), idx, w, psw, *offsets)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_gradcheck(mode):
    w = rng(5).standard_normal((7, 3))
    gradcheck_op(lambda i, w_, o: EF.embedding_bag(i, w_, o, mode=mode, padding_idx=0),
                 IDX_1D, w, OFFSETS)


def test_embedding_bag_scale_grad_by_freq_and_max_norm():
    # Every index once per input: frequencies are 1 and the division must not change a thing.
    w = rng(6).standard_normal((7, 3))
    e, t = _both("embedding_bag", mode="mean", scale_grad_by_freq=True)
    check_op(e, t, np.array([1, 2, 4, 5]), w, np.array([0, 2]))
    # Repeated indices: the weight gradient is divided by how often each index occurs.
    weight = ember.tensor(w, requires_grad=True)
    EF.embedding_bag(ember.tensor([1, 1, 1, 4]), weight, ember.tensor([0, 2]), mode="sum",
                     scale_grad_by_freq=True).sum().backward()
    assert np.allclose(weight.grad.numpy()[[1, 4]], 1.0)
    ew, tw = ember.tensor(w), torch.tensor(w)
    EF.embedding_bag(ember.tensor([1, 2]), ew, ember.tensor([0]), max_norm=0.5)
    TF.embedding_bag(torch.tensor([1, 2]), tw, torch.tensor([0]), max_norm=0.5)
    assert_same(ew, tw)


def test_embedding_bag_empty_bags_and_int32():
    w = rng(7).standard_normal((5, 2)).astype(np.float32)
    for mode in ("sum", "mean", "max"):
        args = (np.array([0, 1, 2], np.int32), w, np.array([0, 0, 3, 3], np.int32))
        check_op(*_both("embedding_bag", mode=mode), *args, layouts_=["contiguous"])
    check_op(*_both("embedding_bag"), np.zeros((0, 2), np.int64), w, layouts_=["contiguous"])


def _bag_errors():
    w = rng(8).standard_normal((6, 3)).astype(np.float32)
    i = np.array([0, 1, 2])
    o = np.array([0, 2])
    return w, [
        (i, w, np.array([1, 2]), {}), (i, w, np.array([0, 4]), {}),
        (np.array([0, 9]), w, o, {}), (np.array([0, -1]), w, o, {}),
        (i, w, o, {"padding_idx": 6}), (i, w, o, {"padding_idx": -7}),
        (i, w, o, {"mode": "prod"}), (i.astype(np.float32), w, o, {}),
        (i, w, o.astype(np.float32), {}), (i, w.astype(np.int32), o, {}),
        (i, w, o, {"mode": "max", "scale_grad_by_freq": True}),
        (i, w, o, {"mode": "max", "sparse": True}),
        (i, w, o, {"mode": "mean", "per_sample_weights": np.ones(3, np.float32)}),
        (i, w, o, {"mode": "sum", "per_sample_weights": np.ones(2, np.float32)}),
        (i, w, o, {"mode": "sum", "per_sample_weights": np.ones(3)}),
        (i[None], w, o, {}), (i[None, None], w, None, {}), (i, w, None, {}),
        (i, w, o[None], {}), (i, w[0], o, {}), (np.zeros((2, 0), np.int64), w, None, {}),
        (i, w, np.zeros(0, np.int64), {"include_last_offset": True}),
    ]


def test_embedding_bag_errors():
    _, cases = _bag_errors()
    for idx, w, off, kw in cases:
        def call(lib, F, idx=idx, w=w, off=off, kw=kw):
            kw = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
            return F.embedding_bag(lib.tensor(idx), lib.tensor(w),
                                   None if off is None else lib.tensor(off), **kw)
        assert_same_error(lambda: call(ember, EF), lambda: call(torch, TF))


def test_embedding_bag_legacy_argument_order():
    w = rng(9).standard_normal((4, 2))
    with pytest.warns(UserWarning, match="Argument order of nn.functional.embedding_bag"):
        out = EF.embedding_bag(ember.tensor(w), ember.tensor([[0, 1]]))
    assert_same(out, TF.embedding_bag(torch.tensor([[0, 1]]), torch.tensor(w)))


# -- gumbel_softmax ----------------------------------------------------------------------
def test_gumbel_softmax_soft_rows_are_distributions():
    logits = ember.tensor(rng(10).standard_normal((3, 4, 5)))
    for dim in (-1, 1):
        y = EF.gumbel_softmax(logits, tau=0.7, dim=dim)
        assert y.shape == logits.shape and y.grad_fn is None
        assert np.all(y.numpy() > 0) and np.allclose(y.numpy().sum(dim), 1.0)


def test_gumbel_softmax_hard_is_one_hot_with_soft_gradient():
    logits = rng(11).standard_normal((6, 5))
    upstream = ember.tensor(rng(12).standard_normal((6, 5)))
    grads, outs = [], []
    for hard in (False, True):
        x = ember.tensor(logits, requires_grad=True)
        ember.manual_seed(3)  # the same noise for both samples
        y = EF.gumbel_softmax(x, tau=0.5, hard=hard)
        (y * upstream).sum().backward()
        grads.append(x.grad.numpy())
        outs.append(y.detach().numpy())
    soft, hard = outs
    assert np.array_equal(hard, np.eye(5)[soft.argmax(1)])
    np.testing.assert_allclose(grads[1], grads[0], atol=1e-12)
    t = TF.gumbel_softmax(torch.tensor(logits, requires_grad=True), hard=True)
    assert EF.gumbel_softmax(ember.tensor(logits, requires_grad=True),
                             hard=True).grad_fn.name() == t.grad_fn.name()


def test_gumbel_softmax_argmax_follows_softmax():
    logits = np.array([1.0, 0.0, -1.0, 0.5])
    n = 4000
    ember.manual_seed(0)
    y = EF.gumbel_softmax(ember.tensor(np.tile(logits, (n, 1))), tau=0.3, hard=True)
    freq = y.numpy().mean(0)
    expected = torch.softmax(torch.tensor(logits), 0).numpy()
    np.testing.assert_allclose(freq, expected, atol=0.03)


def test_gumbel_softmax_eps_warning():
    x = rng(13).standard_normal((2, 3))
    with pytest.warns(UserWarning) as ew:
        EF.gumbel_softmax(ember.tensor(x), eps=1e-5)
    with pytest.warns(UserWarning) as tw:
        TF.gumbel_softmax(torch.tensor(x), eps=1e-5)
    assert str(ew[0].message) == str(tw[0].message)


# -- affine_grid / grid_sample -----------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Since version 1.3.0")
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 4, 5), (2, 3, 1, 4)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid(size, align_corners):
    nd = len(size) - 2
    theta = rng(14).standard_normal((2, nd, nd + 1))
    check_op(*_both("affine_grid", size=size, align_corners=align_corners), theta,
             dtypes=FLOATS, check_grad_fn=False, layouts_=["contiguous"])
    gradcheck_op(lambda t: EF.affine_grid(t, size, align_corners=align_corners), theta)


def test_affine_grid_errors_and_warning():
    theta = ember.randn(2, 2, 3)
    tt = torch.randn(2, 2, 3)
    for size in [(2, 3, 4), (2, 3, 4, 5, 6), (2, 3, 0, 5), (3, 3, 4, 5)]:
        assert_same_error(lambda s=size: EF.affine_grid(theta, s, False),
                          lambda s=size: TF.affine_grid(tt, s, False))
    assert_same_error(lambda: EF.affine_grid(theta.long(), (2, 3, 4, 5), False),
                      lambda: TF.affine_grid(tt.long(), (2, 3, 4, 5), False))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        EF.affine_grid(theta, (2, 3, 4, 5))


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_2d(mode, padding_mode, align_corners):
    x = rng(15).standard_normal((2, 3, 4, 5))
    # Points reaching well outside [-1, 1] exercise the padding rules.
    grid = rng(16).uniform(-1.6, 1.6, (2, 3, 4, 2))
    fns = _both("grid_sample", mode=mode, padding_mode=padding_mode,
                align_corners=align_corners)
    check_op(*fns, x, grid, dtypes=FLOATS, check_grad_fn=False, layouts_=["contiguous"],
             grad_atol=1e-4)
    gradcheck_op(fns[0], x[:1, :2], grid[:1, :2])


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_3d(mode, padding_mode):
    x = rng(17).standard_normal((2, 2, 3, 4, 3))
    grid = rng(18).uniform(-1.4, 1.4, (2, 2, 3, 2, 3))
    for align_corners in (False, True):
        fns = _both("grid_sample", mode=mode, padding_mode=padding_mode,
                    align_corners=align_corners)
        check_op(*fns, x, grid, check_grad_fn=False, layouts_=["contiguous", "strided"])
    gradcheck_op(fns[0], x[:1, :1], grid[:1, :1])


def test_grid_sample_errors_and_warning():
    x, g = rng(19).standard_normal((2, 3, 4, 5)), rng(20).uniform(-1, 1, (2, 6, 7, 2))
    cases = [(x, g[:1], {}), (x, g[..., :1], {}), (x[0], g, {}), (x, g.astype(np.float32), {}),
             (rng(0).standard_normal((2, 3, 4, 5, 6)), rng(0).random((2, 2, 3, 4, 3)),
              {"mode": "bicubic"}),
             (rng(0).standard_normal((2, 3, 5)), rng(0).random((2, 3, 1)), {}),
             (x, rng(0).random((2, 3, 1, 1, 2)), {}), (np.zeros((2, 3, 0, 5)), g, {}),
             (x, g, {"mode": "area"}), (x, g, {"padding_mode": "circular"})]
    for case in cases:
        def call(lib, F, case=case):
            xa, ga, kw = case
            return F.grid_sample(lib.tensor(xa), lib.tensor(ga), align_corners=False, **kw)
        assert_same_error(lambda: call(ember, EF), lambda: call(torch, TF))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        EF.grid_sample(ember.tensor(x), ember.tensor(g))


def test_grid_sample_empty_batch_and_nearest_grid_grad():
    x = ember.zeros(0, 3, 4, 5)
    assert EF.grid_sample(x, ember.zeros(0, 2, 2, 2), align_corners=False).shape == (0, 3, 2, 2)
    grid = ember.tensor(rng(21).uniform(-1, 1, (1, 2, 2, 2)), requires_grad=True)
    EF.grid_sample(ember.randn(1, 1, 3, 3, dtype=ember.float64), grid, mode="nearest",
                   align_corners=True).sum().backward()
    assert np.array_equal(grid.grad.numpy(), np.zeros((1, 2, 2, 2)))


# -- pdist, upsample*, in-place activations ----------------------------------------------
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 2.0, 3.0, float("inf")])
def test_pdist(p):
    x = rng(22).standard_normal((5, 3))
    check_op(lambda a: EF.pdist(a, p), lambda a: torch.pdist(a, p), x, dtypes=FLOATS,
             check_grad_fn=False)
    if p >= 1:
        gradcheck_op(lambda a: EF.pdist(a, p), x)


def test_pdist_ties_edge_sizes_and_errors():
    x = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 3.0]])  # a zero distance and tied maxima
    for p in (1.0, 2.0, float("inf")):
        check_op(lambda a, p=p: EF.pdist(a, p), lambda a, p=p: torch.pdist(a, p), x,
                 check_grad_fn=False)
    for shape in [(1, 3), (3, 0)]:
        check_op(EF.pdist, torch.pdist, np.ones(shape), check_grad_fn=False)
    # torch's backward of an empty (0, M) input crashes: compare the forward only.
    check_op(EF.pdist, torch.pdist, np.ones((0, 3)), requires_grad=False)
    for arr, p in [(np.ones(3), 2), (np.ones((2, 2, 2)), 2), (np.ones((3, 2)), -1),
                   (np.ones((3, 2), np.int64), 2)]:
        assert_same_error(lambda a=arr, p=p: EF.pdist(ember.tensor(a), p),
                          lambda a=arr, p=p: torch.pdist(torch.tensor(a), p))


@pytest.mark.parametrize("name,kwargs", [("upsample", {"scale_factor": 2}),
                                         ("upsample", {"size": (5, 3), "mode": "bilinear",
                                                       "align_corners": False}),
                                         ("upsample_nearest", {"size": 5}),
                                         ("upsample_bilinear", {"scale_factor": 2})])
def test_upsample_wrappers(name, kwargs):
    x = rng(23).standard_normal((1, 2, 3, 3))
    with warnings.catch_warnings(record=True) as ew:
        warnings.simplefilter("always")
        e = getattr(EF, name)(ember.tensor(x), **kwargs)
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        t = getattr(TF, name)(torch.tensor(x), **kwargs)
    assert_same(e, t)
    assert [str(w.message) for w in ew] == [str(w.message) for w in tw]


@pytest.mark.parametrize("name,args", [("celu_", (2.0,)), ("celu_", ()), ("selu_", ())])
def test_inplace_activations(name, args):
    x = rng(24).standard_normal((3, 4))

    def run(F):
        return lambda a: getattr(F, name)(a.clone(), *args)
    check_op(run(EF), run(TF), x, dtypes=FLOATS, check_grad_fn=False)
    t = ember.tensor(x)
    assert getattr(EF, name)(t, *args) is t
