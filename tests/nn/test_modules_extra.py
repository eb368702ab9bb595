"""nn.EmbeddingBag and nn.AdaptiveLogSoftmaxWithLoss against torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, rng

torch = pytest.importorskip("torch")

DTYPES = [(ember.float32, torch.float32), (ember.float64, torch.float64)]


def _load(src, dst) -> None:
    dst.load_state_dict({k: v.detach().numpy() for k, v in src.state_dict().items()})


def _state_layout(module) -> list:
    return [(k, tuple(v.shape), str(v.dtype).split(".")[-1])
            for k, v in module.state_dict().items()]


# -- EmbeddingBag ------------------------------------------------------------------------
BAG_OPTIONS = [{}, {"mode": "sum", "padding_idx": -1},
               {"mode": "max", "max_norm": 1.0, "norm_type": 3.0},
               {"scale_grad_by_freq": True, "include_last_offset": True, "sparse": True}]


@pytest.mark.parametrize("kwargs", BAG_OPTIONS)
def test_embedding_bag_repr_and_state(kwargs):
    e, t = ember.nn.EmbeddingBag(6, 3, **kwargs), torch.nn.EmbeddingBag(6, 3, **kwargs)
    assert repr(e) == repr(t)
    assert _state_layout(e) == _state_layout(t)
    for name in ("num_embeddings", "embedding_dim", "mode", "padding_idx", "max_norm",
                 "include_last_offset", "sparse"):
        assert getattr(e, name) == getattr(t, name)


def test_embedding_bag_init_is_standard_normal():
    ember.manual_seed(0)
    w = ember.nn.EmbeddingBag(400, 50, padding_idx=3).weight.detach().numpy()
    assert np.all(w[3] == 0)
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("edt,tdt", DTYPES)
def test_embedding_bag_forward_backward(mode, edt, tdt):
    t = torch.nn.EmbeddingBag(7, 4, mode=mode, padding_idx=2, dtype=tdt)
    e = ember.nn.EmbeddingBag(7, 4, mode=mode, padding_idx=2, dtype=edt)
    _load(t, e)
    idx, off = np.array([1, 2, 2, 6, 0, 3, 2, 5]), np.array([0, 2, 2, 5])
    upstream = rng(1).standard_normal((4, 4))
    to, eo = t(torch.tensor(idx), torch.tensor(off)), e(ember.tensor(idx), ember.tensor(off))
    assert_same(eo, to)
    to.backward(torch.tensor(upstream, dtype=tdt))
    eo.backward(ember.tensor(upstream, dtype=edt))
    assert_same(e.weight.grad, t.weight.grad)
    assert eo.grad_fn.name() == to.grad_fn.name()


def test_embedding_bag_2d_input_and_per_sample_weights():
    t, e = torch.nn.EmbeddingBag(5, 3, mode="sum"), ember.nn.EmbeddingBag(5, 3, mode="sum")
    _load(t, e)
    idx, psw = np.array([[0, 4, 1], [3, 3, 2]]), rng(2).standard_normal((2, 3))
    tp = torch.tensor(psw, dtype=torch.float32, requires_grad=True)
    ep = ember.tensor(psw, dtype=ember.float32, requires_grad=True)
    to = t(torch.tensor(idx), per_sample_weights=tp)
    eo = e(ember.tensor(idx), per_sample_weights=ep)
    assert_same(eo, to)
    to.sum().backward()
    eo.sum().backward()
    assert_same(ep.grad, tp.grad)
    assert_same(e.weight.grad, t.weight.grad)


def test_embedding_bag_from_pretrained():
    w = rng(3).standard_normal((4, 2)).astype(np.float32)
    for freeze in (True, False):
        kw = {"freeze": freeze, "mode": "max", "padding_idx": 1}
        e = ember.nn.EmbeddingBag.from_pretrained(ember.tensor(w), **kw)
        t = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), **kw)
        assert repr(e) == repr(t)
        assert e.weight.requires_grad == t.weight.requires_grad
        assert_same(e(ember.tensor([[0, 1, 3]])), t(torch.tensor([[0, 1, 3]])))
    assert_same_error(lambda: ember.nn.EmbeddingBag.from_pretrained(ember.ones(3)),
                      lambda: torch.nn.EmbeddingBag.from_pretrained(torch.ones(3)))


@pytest.mark.parametrize("kw", [{"padding_idx": 6}, {"padding_idx": -7}])
def test_embedding_bag_constructor_errors(kw):
    assert_same_error(lambda: ember.nn.EmbeddingBag(6, 3, **kw),
                      lambda: torch.nn.EmbeddingBag(6, 3, **kw))
    assert_same_error(lambda: ember.nn.EmbeddingBag(6, 3, _weight=ember.ones(2, 3)),
                      lambda: torch.nn.EmbeddingBag(6, 3, _weight=torch.ones(2, 3)))


# -- AdaptiveLogSoftmaxWithLoss ----------------------------------------------------------
def _asm_pair(edt=ember.float32, tdt=torch.float32, **kwargs):
    args = (8, 10, [3, 6])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-width tails warn on init in both libraries
        t = torch.nn.AdaptiveLogSoftmaxWithLoss(*args, dtype=tdt, **kwargs)
        e = ember.nn.AdaptiveLogSoftmaxWithLoss(*args, dtype=edt, **kwargs)
    _load(t, e)
    return e, t


@pytest.mark.parametrize("kwargs", [{}, {"div_value": 2.0, "head_bias": True}])
def test_adaptive_repr_and_state(kwargs):
    e, t = _asm_pair(**kwargs)
    assert repr(e) == repr(t).replace("torch", "ember")
    assert _state_layout(e) == _state_layout(t)
    for name in ("cutoffs", "shortlist_size", "n_clusters", "head_size", "div_value"):
        assert getattr(e, name) == getattr(t, name)


@pytest.mark.parametrize("edt,tdt", DTYPES)
@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_forward_backward(edt, tdt, head_bias):
    e, t = _asm_pair(edt, tdt, div_value=2.0, head_bias=head_bias)
    x, y = rng(4).standard_normal((7, 8)), np.array([0, 4, 9, 2, 7, 5, 8])
    xt = torch.tensor(x, dtype=tdt, requires_grad=True)
    xe = ember.tensor(x, dtype=edt, requires_grad=True)
    to, eo = t(xt, torch.tensor(y)), e(xe, ember.tensor(y))
    assert type(eo).__name__ == "_ASMoutput" and eo._fields == ("output", "loss")
    assert_same(tuple(eo), tuple(to))
    upstream = rng(5).standard_normal(7)
    (to.output * torch.tensor(upstream, dtype=tdt)).sum().add(to.loss).backward()
    (eo.output * ember.tensor(upstream, dtype=edt)).sum().add(eo.loss).backward()
    assert_same(xe.grad, xt.grad)
    for (name, tp), (ename, ep) in zip(t.named_parameters(), e.named_parameters()):
        assert name == ename
        assert_same(ep.grad, tp.grad, what=name)
    assert_same(e.log_prob(xe), t.log_prob(xt))
    assert_same(e.predict(xe), t.predict(xt))


def test_adaptive_unbatched_and_predict_paths():
    e, t = _asm_pair(head_bias=True)
    x = rng(6).standard_normal((5, 8)).astype(np.float32)
    assert_same(tuple(e(ember.tensor(x[0]), ember.tensor(7))),
                tuple(t(torch.tensor(x[0]), torch.tensor(7))))
    # Push the head towards clusters so that predict needs the tails for some rows.
    with torch.no_grad():
        t.head.bias[3:] += torch.tensor([2.0, 4.0])
    _load(t, e)
    assert_same(e.predict(ember.tensor(x)), t.predict(torch.tensor(x)))


def test_adaptive_errors():
    for cutoffs in ([], [3, 3], [6, 3], [0, 4], [3, 10], [2.5]):
        assert_same_error(lambda c=cutoffs: ember.nn.AdaptiveLogSoftmaxWithLoss(8, 10, c),
                          lambda c=cutoffs: torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, c))
    e, t = _asm_pair()
    cases = [((3, 8), [0, 10, 2]), ((3, 8), [-1, 0, 2]), ((2, 8), [0, 1, 2]),
             ((2, 2, 8), [0, 1]), ((2, 8), 1), ((8,), [[1]])]
    for shape, target in cases:
        x = rng(7).standard_normal(shape).astype(np.float32)
        assert_same_error(lambda x=x, y=target: e(ember.tensor(x), ember.tensor(y)),
                          lambda x=x, y=target: t(torch.tensor(x), torch.tensor(y)))
