"""ember.utils.checkpoint against plain (uncheckpointed) runs and torch.utils.checkpoint."""

import warnings

import pytest

import ember
from helpers import assert_same, assert_same_error, rng

torch = pytest.importorskip("torch")
import torch.utils.checkpoint as TC  # noqa: E402

import ember.utils.checkpoint as EC  # noqa: E402

FLAVOURS = [True, False]


def arrays(*shapes, dtype="float64", seed=0):
    g = rng(seed)
    return [g.standard_normal(s).astype(dtype) for s in shapes]


def block(lib, w):
    """Several ops whose backward needs their inputs: what checkpointing must recompute."""
    def run(x, y, scale=1.0):
        h = lib.tanh(x @ w) * y
        return (lib.sin(h) * h).sum(dim=-1) * scale
    return run


@pytest.mark.parametrize("reentrant", FLAVOURS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradients_match_torch(reentrant, dtype):
    x, y, w, up = arrays((4, 3), (4, 2), (3, 2), (4,), dtype=dtype)
    ex, ey, ew = (ember.tensor(a, requires_grad=True) for a in (x, y, w))
    tx, ty, tw = (torch.tensor(a, requires_grad=True) for a in (x, y, w))
    eo = EC.checkpoint(block(ember, ew), ex, ey, use_reentrant=reentrant)
    to = TC.checkpoint(block(torch, tw), tx, ty, use_reentrant=reentrant)
    assert_same(eo, to)
    eo.backward(ember.tensor(up))
    to.backward(torch.tensor(up))
    for e, t in ((ex, tx), (ey, ty), (ew, tw)):
        assert_same(e.grad, t.grad)


@pytest.mark.parametrize("reentrant", FLAVOURS)
def test_some_inputs_without_grad_and_non_tensor_outputs(reentrant):
    x, y, w = arrays((4, 3), (4, 2), (3, 2))
    ex, ew = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)

    def f(lib, wt):
        return lambda a, b, k: (block(lib, wt)(a, b) * k, "tag", None)
    eo = EC.checkpoint(f(ember, ew), ex, ember.tensor(y), 2.0, use_reentrant=reentrant)
    to = TC.checkpoint(f(torch, tw), tx, torch.tensor(y), 2.0, use_reentrant=reentrant)
    assert eo[1:] == to[1:] == ("tag", None)
    eo[0].sum().backward()
    to[0].sum().backward()
    assert_same((ex.grad, ew.grad), (tx.grad, tw.grad))


def test_dropout_recomputes_same_mask():
    x, w = arrays((6, 5), (5, 5), dtype="float32")
    drop = ember.nn.Dropout(0.5)

    def f(a):
        return drop(a @ wt).exp()
    grads = []
    for use in (None, True, False):
        xt = ember.tensor(x, requires_grad=True)
        wt = ember.tensor(w, requires_grad=True)
        ember.manual_seed(7)
        out = f(xt) if use is None else EC.checkpoint(f, xt, use_reentrant=use)
        ember.rand(3)  # other random draws before backward must not change the mask
        out.sum().backward()
        grads.append((out.detach(), xt.grad, wt.grad))
    for other in grads[1:]:
        for a, b in zip(grads[0], other):
            assert bool(ember.equal(a, b))


def test_non_reentrant_extras():
    x, w = arrays((3,), (3,))
    ex, ew = ember.tensor(x), ember.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x), torch.tensor(w, requires_grad=True)
    # no argument requires grad: the captured weight still gets its gradient
    eo = EC.checkpoint(lambda a: {"o": (a * ew).exp()}, ex, use_reentrant=False)
    to = TC.checkpoint(lambda a: {"o": (a * tw).exp()}, tx, use_reentrant=False)
    assert eo["o"].requires_grad == to["o"].requires_grad is True
    assert_same(ember.autograd.grad(eo["o"].sum(), ew), torch.autograd.grad(to["o"].sum(), tw))
    # keyword arguments reach the function; an argument returned as is comes back itself
    xr = ember.tensor(x, requires_grad=True)
    assert EC.checkpoint(lambda a: a, xr, use_reentrant=False) is xr
    eo = EC.checkpoint(block(ember, ember.tensor(w[None, :])), xr[:, None], xr[:, None],
                       use_reentrant=False, scale=3.0)
    assert eo.requires_grad
    # double backward through the recomputation
    xr2 = ember.tensor(x, requires_grad=True)
    txr2 = torch.tensor(x, requires_grad=True)
    (ge,) = ember.autograd.grad(EC.checkpoint(lambda a: (a ** 3).sum(), xr2, use_reentrant=False),
                                xr2, create_graph=True)
    (gt,) = torch.autograd.grad(TC.checkpoint(lambda a: (a ** 3).sum(), txr2, use_reentrant=False),
                                txr2, create_graph=True)
    assert_same(ember.autograd.grad(ge.sum(), xr2), torch.autograd.grad(gt.sum(), txr2))


def test_checkpoint_sequential_matches_torch():
    g = rng(5)
    layers_e = [ember.nn.Linear(3, 3).double() for _ in range(5)]
    layers_t = [torch.nn.Linear(3, 3).double() for _ in range(5)]
    for le, lt in zip(layers_e, layers_t):
        lt.load_state_dict({k: torch.tensor(v.numpy()) for k, v in le.state_dict().items()})
    seq_e, seq_t = ember.nn.Sequential(*layers_e), torch.nn.Sequential(*layers_t)
    x = g.standard_normal((2, 3))
    for reentrant in FLAVOURS:
        for segments in (1, 2, 3):
            ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            eo = EC.checkpoint_sequential(seq_e, segments, ex, use_reentrant=reentrant)
            to = TC.checkpoint_sequential(seq_t, segments, tx, use_reentrant=reentrant)
            assert_same(eo, to)
            seq_e.zero_grad()
            seq_t.zero_grad()
            eo.sum().backward()
            to.sum().backward()
            assert_same(ex.grad, tx.grad)
            for le, lt in zip(layers_e, layers_t):
                assert_same(le.weight.grad, lt.weight.grad)


def _warnings(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [(w.category.__name__, str(w.message).replace("torch.", "ember.")) for w in caught
            if "checkpoint" in str(w.message) or "inputs" in str(w.message)]


def test_warnings_match_torch():
    x = rng(1).standard_normal(3)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    assert _warnings(lambda: EC.checkpoint(lambda a: a * 2, xe)) == \
        _warnings(lambda: TC.checkpoint(lambda a: a * 2, xt))
    assert _warnings(lambda: EC.checkpoint(lambda a: a * 2, ember.tensor(x),
                                           use_reentrant=True)) == \
        _warnings(lambda: TC.checkpoint(lambda a: a * 2, torch.tensor(x), use_reentrant=True))
    lin_e, lin_t = ember.nn.Linear(3, 3), torch.nn.Linear(3, 3)
    assert _warnings(lambda: EC.checkpoint_sequential([lin_e, lin_e], 2, xe.float())) == \
        _warnings(lambda: TC.checkpoint_sequential([lin_t, lin_t], 2, xt.float()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert EC.checkpoint(lambda a: a * 2, xe).grad_fn.name() == \
            TC.checkpoint(lambda a: a * 2, xt).grad_fn.name()


ERROR_CASES = [
    lambda C, x: C.checkpoint(lambda a, k=1: a * k, x, use_reentrant=True, k=2),
    lambda C, x: C.checkpoint(lambda a: a, x, use_reentrant=True, debug=True),
    lambda C, x: C.checkpoint(lambda a: a, x, use_reentrant=True, context_fn=lambda: None),
    lambda C, x: C.checkpoint(lambda a: a, x, use_reentrant=False, determinism_check="x"),
    lambda C, x: C.checkpoint_sequential([lambda a: a], 1, x, use_reentrant=False, foo=1),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_errors_match_torch(case):
    x = rng(2).standard_normal(3)
    call = ERROR_CASES[case]
    assert_same_error(lambda: call(EC, ember.tensor(x, requires_grad=True)),
                      lambda: call(TC, torch.tensor(x, requires_grad=True)))
