"""The fused op behind ``nn.Linear`` (``ember.ops.linear``) against PyTorch.

The op records torch's graph (``AddmmBackward0`` / ``MmBackward0`` with a ``TBackward0`` edge
to the weight) but computes its backward its own way; these tests check that nothing of that
shows: gradients, graph, accumulation, hooks, higher-order gradients and in-place errors all
agree with torch, and the leaf gradients are plain contiguous arrays.
"""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from helpers import assert_same_error, grad_fn_names, rng

torch = pytest.importorskip("torch")
R = rng(7)
TOL = dict(rtol=1e-4, atol=1e-5)


def _pair(shape, requires_grad=True, dtype=np.float32):
    a = R.standard_normal(shape).astype(dtype)
    return (ember.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def _close(e, t, **tol):
    # Sums of many float32 products: the absolute error scales with the largest value.
    expected = t.detach().numpy()
    tol = tol or dict(rtol=TOL["rtol"], atol=TOL["atol"] * max(1.0, np.abs(expected).max()))
    np.testing.assert_allclose(e.detach().numpy(), expected, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_grad", [True, False])
@pytest.mark.parametrize("batch", [1, 5, 64, 300])
def test_values_and_gradients_match_torch(batch, x_grad, bias, dtype):
    xe, xt = _pair((batch, 40), x_grad, dtype)
    we, wt = _pair((70, 40), True, dtype)
    be, bt = _pair((70,), True, dtype) if bias else (None, None)
    ye, yt = F.linear(xe, we, be), torch.nn.functional.linear(xt, wt, bt)
    _close(ye, yt)
    g = R.standard_normal(ye.shape).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    pairs = [(we, wt)] + ([(be, bt)] if bias else []) + ([(xe, xt)] if x_grad else [])
    for e, t in pairs:
        _close(e.grad, t.grad)
    assert xe.grad is None if not x_grad else xe.grad.shape == xe.shape


def test_leaf_gradients_are_contiguous_and_owned():
    # The weight gradient arrives in the weight's own layout: the leaf keeps it as is.
    we, _ = _pair((30, 20))
    be, _ = _pair((30,))
    x, _ = _pair((8, 20), requires_grad=False)
    F.linear(x, we, be).sum().backward()
    for p in (we, be):
        arr = p.grad._data
        assert arr.flags.c_contiguous and arr.flags.writeable and arr.base is None
        assert arr.shape == p.shape and arr.dtype == p._data.dtype


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_grad", [True, False])
def test_graph_matches_torch(bias, x_grad):
    xe, xt = _pair((4, 3), x_grad)
    we, wt = _pair((2, 3))
    be, bt = _pair((2,)) if bias else (None, None)
    ye, yt = F.linear(xe, we, be), torch.nn.functional.linear(xt, wt, bt)
    assert grad_fn_names(ye, 3) == grad_fn_names(yt, 3)
    node = ye.grad_fn.next_functions[-1][0]
    assert node.name() == "TBackward0"
    assert node.next_functions[0][0].variable is we


def test_gradients_accumulate_like_torch():
    xe, xt = _pair((6, 5))
    we, wt = _pair((4, 5))
    be, bt = _pair((4,))
    for scale in (1.0, -2.5):
        (F.linear(xe, we, be) * scale).sum().backward()
        (torch.nn.functional.linear(xt, wt, bt) * scale).sum().backward()
    for e, t in ((we, wt), (be, bt), (xe, xt)):
        _close(e.grad, t.grad)


def test_retain_graph_and_hooks_match_torch():
    xe, xt = _pair((6, 5))
    we, wt = _pair((4, 5))
    be, bt = _pair((4,))
    seen = {"ember": [], "torch": []}
    we.register_hook(lambda g: seen["ember"].append(g.numpy().copy()))
    wt.register_hook(lambda g: seen["torch"].append(g.numpy().copy()))
    ye, yt = F.linear(xe, we, be).sum(), torch.nn.functional.linear(xt, wt, bt).sum()
    for _ in range(2):
        ye.backward(retain_graph=True)
        yt.backward(retain_graph=True)
    assert len(seen["ember"]) == len(seen["torch"]) == 2
    np.testing.assert_allclose(seen["ember"], seen["torch"], **TOL)
    for e, t in ((we, wt), (be, bt), (xe, xt)):
        _close(e.grad, t.grad)


def test_second_order_gradients_match_torch():
    xe, xt = _pair((3, 4), dtype=np.float64)
    we, wt = _pair((5, 4), dtype=np.float64)
    be, bt = _pair((5,), dtype=np.float64)
    results = []
    for lib, x, w, b in ((ember, xe, we, be), (torch, xt, wt, bt)):
        y = (lib.nn.functional.linear(x, w, b) ** 2).sum()
        gx, gw = lib.autograd.grad(y, (x, w), create_graph=True)
        results.append(lib.autograd.grad((gx ** 2).sum() + (gw * gw).sum(), (x, w, b)))
    for e, t in zip(*results):
        _close(e, t, rtol=1e-10, atol=1e-12)


def test_inplace_change_of_weight_raises_torch_error():
    def run(lib, x, w, b):
        y = lib.nn.functional.linear(x, w, b).sum()
        with lib.no_grad():
            w.mul_(2)
        y.backward()

    (xe, xt), (we, wt), (be, bt) = _pair((3, 4)), _pair((2, 4)), _pair((2,))
    with pytest.raises(RuntimeError) as expected:
        run(torch, xt, wt, bt)
    with pytest.raises(RuntimeError) as got:
        run(ember, xe, we, be)
    # torch names the saved transpose's producer "AsStrided" once its base has changed in
    # place (a view's grad_fn is regenerated); ember keeps "T". The rest must agree.
    head = str(expected.value).replace("torch.", "ember.").split(", which is output")[0]
    assert str(got.value).startswith(head)
    assert "is at version 1; expected version 0 instead" in str(got.value)


def test_no_grad_records_nothing():
    xe, _ = _pair((3, 4))
    we, _ = _pair((2, 4))
    with ember.no_grad():
        y = F.linear(xe, we)
    assert y.grad_fn is None and not y.requires_grad


@pytest.mark.parametrize("make", [
    lambda: (ember.ones(2, 3, dtype=ember.int64), ember.ones(4, 3, dtype=ember.int64), None),
    lambda: (ember.ones(2, 3), ember.ones(4, 3, dtype=ember.float64), None),
    lambda: (ember.ones(2, 3), ember.ones(4, 3), ember.ones(1, 4)),
    lambda: (ember.ones(2, 3), ember.ones(4, 3), ember.ones(())),
])
def test_other_inputs_match_torch(make):
    # Integer, mixed-dtype and broadcast-bias calls leave the fused op: torch's results or
    # torch's errors, either way.
    e_args = make()
    t_args = [None if a is None else torch.from_numpy(a.numpy().copy()) for a in e_args]
    try:
        expected = torch.nn.functional.linear(*t_args)
    except Exception:  # noqa: BLE001 - then ember must raise the same
        assert_same_error(lambda: F.linear(*e_args), lambda: torch.nn.functional.linear(*t_args))
        return
    _close(F.linear(*e_args), expected)


@pytest.mark.parametrize("shape", [(1, 5, 0), (1, 0, 4), (1, 3, 1), (2, 3, 0)])
@pytest.mark.parametrize("transposed_weight", [False, True])
def test_single_rows_and_empty_layers_match_torch(shape, transposed_weight):
    # One row takes the matrix-vector route; empty layers must still give torch's shapes.
    n, fan_in, fan_out = shape
    x = R.standard_normal((n, fan_in)).astype(np.float32)
    w = R.standard_normal((fan_in, fan_out) if transposed_weight else (fan_out, fan_in))
    w = w.astype(np.float32)
    b = R.standard_normal(fan_out).astype(np.float32)
    to_e = lambda a: ember.tensor(a, requires_grad=True)  # noqa: E731
    to_t = lambda a: torch.tensor(a, requires_grad=True)  # noqa: E731
    xe, we, be = to_e(x), to_e(w), to_e(b)
    xt, wt, bt = to_t(x), to_t(w), to_t(b)
    ye = F.linear(xe, we.t() if transposed_weight else we, be)
    yt = torch.nn.functional.linear(xt, wt.t() if transposed_weight else wt, bt)
    assert ye.is_contiguous()
    ye.sum().backward()
    yt.sum().backward()
    for e, t in ((ye, yt), (xe.grad, xt.grad), (we.grad, wt.grad), (be.grad, bt.grad)):
        assert tuple(e.shape) == tuple(t.shape)
        if t.numel():
            _close(e, t)


def test_seed_network_training_steps_match_torch():
    # Three SGD steps of a 784-64-64-10 MLP on both sides, starting from equal weights.
    layers = (784, 64, 64, 10)
    rng_ = np.random.default_rng(3)
    models = []
    for lib in (ember, torch):
        mods = []
        for i, (fan_in, fan_out) in enumerate(zip(layers, layers[1:])):
            mods.append(lib.nn.Linear(fan_in, fan_out))
            if i < len(layers) - 2:
                mods.append(lib.nn.ReLU())
        models.append(lib.nn.Sequential(lib.nn.Flatten(), *mods))
    state = {k: v.detach().numpy() for k, v in models[1].state_dict().items()}
    models[0].load_state_dict(state)
    opts = [lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
            for lib, m in ((ember, models[0]), (torch, models[1]))]
    for _ in range(3):
        x = rng_.random((32, 1, 28, 28), dtype=np.float32)
        y = rng_.integers(0, 10, 32)
        for lib, m, opt in ((ember, models[0], opts[0]), (torch, models[1], opts[1])):
            loss = lib.nn.functional.cross_entropy(m(lib.from_numpy(x)), lib.from_numpy(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
    for pe, pt in zip(models[0].parameters(), models[1].parameters()):
        _close(pe, pt, rtol=1e-4, atol=1e-5)
