"""ember.nn.utils.prune against torch.nn.utils.prune: masks, renaming, hooks and errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_same_error

import ember
from ember.nn.utils import prune

torch = pytest.importorskip("torch")
tprune = pytest.importorskip("torch.nn.utils.prune")


def _pair(shape=(6, 5), seed=0):
    """An ember and a torch module holding the same (tie-free) weights."""
    rng = np.random.default_rng(seed)
    if len(shape) == 2:
        e, t = ember.nn.Linear(shape[1], shape[0]), torch.nn.Linear(shape[1], shape[0])
    else:
        e, t = (lib.nn.Conv1d(shape[1], shape[0], shape[2]) for lib in (ember, torch))
    # distinct magnitudes, so the smallest entries (and norms) are not tied
    w = rng.permutation(np.arange(1, np.prod(shape) + 1)).reshape(shape)
    w = w * rng.choice([-1, 1], shape)
    w = (w / 10 + np.sign(w) * seed / 100).astype(np.float32)  # seeds never tie
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy()) for k, v in t.state_dict().items()})
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(w))
    with ember.no_grad():
        e.weight.copy_(ember.from_numpy(w))
    return e, t


def _same_state(e, t):
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        np.testing.assert_array_equal(es[k].numpy(), ts[k].numpy())
    np.testing.assert_array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())


@pytest.mark.parametrize("amount", [0, 3, 0.3, 1.0, 30])
def test_l1_unstructured_mask(amount):
    e, t = _pair()
    prune.l1_unstructured(e, "weight", amount=amount)
    tprune.l1_unstructured(t, "weight", amount=amount)
    _same_state(e, t)
    assert [type(h).__name__ for h in e._forward_pre_hooks.values()] == ["L1Unstructured"]


@pytest.mark.parametrize("n, dim, amount", [(1, 0, 2), (2, -1, 0.4), (float("inf"), 1, 1),
                                            (float("-inf"), 0, 0.5), ("fro", 0, 3)])
def test_ln_structured_mask(n, dim, amount):
    e, t = _pair((4, 3, 2))
    prune.ln_structured(e, "weight", amount=amount, n=n, dim=dim)
    tprune.ln_structured(t, "weight", amount=amount, n=n, dim=dim)
    _same_state(e, t)


def test_iterative_pruning_composes_masks():
    e, t = _pair((6, 8))
    steps = [("l1_unstructured", dict(amount=0.25)),
             ("ln_structured", dict(amount=2, n=2, dim=0)),
             ("l1_unstructured", dict(amount=5)),
             ("ln_structured", dict(amount=0.5, n=1, dim=1))]
    for fname, kwargs in steps:
        getattr(prune, fname)(e, "weight", **kwargs)
        getattr(tprune, fname)(t, "weight", **kwargs)
        _same_state(e, t)
    hook = next(iter(e._forward_pre_hooks.values()))
    assert isinstance(hook, prune.PruningContainer) and len(hook) == 4
    assert [type(m).__name__ for m in hook] == ["L1Unstructured", "LnStructured",
                                                 "L1Unstructured", "LnStructured"]


def test_forward_backward_and_remove():
    e, t = _pair((3, 4))
    prune.l1_unstructured(e, "weight", amount=5)
    tprune.l1_unstructured(t, "weight", amount=5)
    x = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)
    with ember.no_grad():
        e.weight_orig.mul_(2)  # the hook recomputes weight from weight_orig at each call
    with torch.no_grad():
        t.weight_orig.mul_(2)
    ye, yt = e(ember.from_numpy(x)), t(torch.from_numpy(x))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(e.weight_orig.grad.numpy(), t.weight_orig.grad.numpy(), rtol=1e-5)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert prune.is_pruned(e) and tprune.is_pruned(t)
    prune.remove(e, "weight")
    tprune.remove(t, "weight")
    _same_state(e, t)
    assert isinstance(e.weight, ember.nn.Parameter) and not prune.is_pruned(e)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert_same_error(lambda: prune.remove(e, "weight"), lambda: tprune.remove(t, "weight"),
                      match_message=False)


def test_global_and_custom_and_identity():
    e1, t1 = _pair((3, 4), 0)
    e2, t2 = _pair((5, 2), 1)
    prune.global_unstructured([(e1, "weight"), (e2, "weight")],
                              pruning_method=prune.L1Unstructured, amount=9)
    tprune.global_unstructured([(t1, "weight"), (t2, "weight")],
                               pruning_method=tprune.L1Unstructured, amount=9)
    _same_state(e1, t1)
    _same_state(e2, t2)
    mask = np.random.default_rng(2).random((3, 4)) > 0.5
    e, t = _pair((3, 4))
    prune.identity(e, "bias")
    tprune.identity(t, "bias")
    prune.custom_from_mask(e, "weight", ember.from_numpy(mask.astype(np.float32)))
    tprune.custom_from_mask(t, "weight", torch.from_numpy(mask.astype(np.float32)))
    _same_state(e, t)


def test_random_methods_prune_the_right_amount():
    e, _ = _pair((6, 10))
    prune.random_unstructured(e, "weight", amount=0.3)
    assert int((e.weight_mask == 0).sum()) == 18
    prune.random_structured(e, "weight", amount=2, dim=0)
    mask = e.weight_mask.numpy()
    assert (mask.sum(1) == 0).sum() == 2 and int((mask == 0).sum()) >= 18 + 2 * 10 - 2 * 10


@pytest.mark.parametrize("call", [
    lambda p, m: p.l1_unstructured(m, "weight", amount=-1),
    lambda p, m: p.l1_unstructured(m, "weight", amount=1.5),
    lambda p, m: p.l1_unstructured(m, "weight", amount="a"),
    lambda p, m: p.l1_unstructured(m, "weight", amount=100),
    lambda p, m: p.ln_structured(m, "bias", amount=1, n=2, dim=0),
    lambda p, m: p.ln_structured(m, "weight", amount=1, n=2, dim=2),
    lambda p, m: p.random_structured(m, "weight", amount=10, dim=0),
])
def test_errors_match_torch(call):
    e, t = _pair((3, 4))
    assert_same_error(lambda: call(prune, e), lambda: call(tprune, t))
    # a failed pruning puts the parameter back (at the end of the parameters, as torch does)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]


def test_prune_method_and_importance_scores():
    e, t = _pair((3, 4))
    scores = np.random.default_rng(3).random((3, 4)).astype(np.float32)
    prune.l1_unstructured(e, "weight", amount=4, importance_scores=ember.from_numpy(scores))
    tprune.l1_unstructured(t, "weight", amount=4, importance_scores=torch.from_numpy(scores))
    _same_state(e, t)
    w = np.arange(-6, 6, dtype=np.float32).reshape(3, 4)
    got = prune.L1Unstructured(amount=5).prune(ember.from_numpy(w))
    np.testing.assert_array_equal(got.numpy(),
                                  tprune.L1Unstructured(amount=5).prune(torch.from_numpy(w)).numpy())
