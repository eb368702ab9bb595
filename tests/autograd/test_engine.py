"""The backward engine against PyTorch: backward, grad, accumulation, hooks, graph freeing."""

import gc
import weakref

import numpy as np
import pytest

import ember
from helpers import assert_same, grad_fn_names, rng

torch = pytest.importorskip("torch")

R = rng(6)


def arr(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def leaves(L, *arrays):
    return [L.tensor(a, requires_grad=True) for a in arrays]


def run_both(fn, *arrays):
    """``fn(L, *leaves)`` on both libraries; returns [(result, leaves)] for ember and torch."""
    out = []
    for L in (ember, torch):
        ts = leaves(L, *arrays)
        out.append((fn(L, *ts), ts))
    return out


def assert_grads_match(results):
    (_, e_ts), (_, t_ts) = results
    for e, t in zip(e_ts, t_ts):
        assert_same(e.grad, t.grad, atol=1e-5)


def test_backward_through_a_diamond_graph():
    def fn(L, x, w):
        h = (x @ w).tanh()
        y = h * h.sigmoid() + h.exp() / (1 + x.sum())
        y.sum().backward()
        return y
    assert_grads_match(run_both(fn, arr(3, 4), arr(4, 2)))


def test_backward_with_gradient_argument():
    g = arr(3, 2)

    def fn(L, x):
        y = x * 2 + x ** 2
        y.backward(L.tensor(g))
    assert_grads_match(run_both(fn, arr(3, 2)))


def test_leaves_accumulate_until_zeroed():
    def fn(L, x, w):
        for _ in range(3):
            (x * w).sum().backward()
        acc = x.grad.clone()
        x.grad.zero_()
        (x * w * w).sum().backward()
        return acc
    (e, e_ts), (t, t_ts) = run_both(fn, arr(4), arr(4))
    assert_same(e, t)
    assert_grads_match([(e, e_ts), (t, t_ts)])


def test_grad_buffers_are_never_shared():
    a, b = ember.ones(3, requires_grad=True), ember.ones(3, requires_grad=True)
    for _ in range(2):
        (a + b).sum().backward()
    assert a.grad.tolist() == [2.0] * 3 and b.grad.tolist() == [2.0] * 3
    g = ember.ones(3)
    x = ember.ones(3, requires_grad=True)
    x.backward(g)  # a leaf as its own root: the user's tensor must not become x.grad
    x.backward(g)
    assert g.tolist() == [1.0] * 3 and x.grad.tolist() == [2.0] * 3
    y = ember.ones(3, requires_grad=True)
    (y * 1).sum().backward()  # the seed is expanded: read-only memory must be copied
    (y * 1).sum().backward()
    assert y.grad.tolist() == [2.0] * 3


def test_retain_graph_allows_a_second_backward():
    def fn(L, x):
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
    assert_grads_match(run_both(fn, arr(3)))


def test_create_graph_second_derivatives():
    cases = {
        "cube": lambda L, x: x ** 3,
        "tanh": lambda L, x: x.tanh(),
        "sigmoid": lambda L, x: x.sigmoid(),
        "exp": lambda L, x: x.exp(),
        "matmul": lambda L, x: x @ x.t() @ x,
        "softmax": lambda L, x: x.softmax(-1),
        "log": lambda L, x: (x * x + 1).log(),
    }
    x = arr(3, 3).astype(np.float64)
    for name, f in cases.items():
        out = []
        for L in (ember, torch):
            t = L.tensor(x, requires_grad=True)
            (g,) = L.autograd.grad(f(L, t).sum(), t, create_graph=True)
            g.sum().backward()
            out.append((g, t.grad))
        assert_same(out[0][0], out[1][0], what=name)
        assert_same(out[0][1], out[1][1], what=name)


def test_backward_create_graph_keeps_grad_history():
    for L in (ember, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        assert x.grad.requires_grad
        assert x.grad.grad_fn.name().replace("torch::autograd::", "") == "CopyBackwards"
        (g2,) = L.autograd.grad(x.grad.sum(), x)
        assert g2.tolist() == [6.0, 12.0]


def test_autograd_grad_variants():
    def fn(L, x, w):
        y = (x * w).sum(1)
        z = (x.exp() * 2).sum()
        ga = L.autograd.grad(y, [x, w], L.ones(3), retain_graph=True)
        gb = L.autograd.grad([y.sum(), z], x, retain_graph=True)
        h = x * 3  # a non-leaf input
        gc_ = L.autograd.grad((h * h).sum(), h)
        unused = L.autograd.grad(z, [x, w], allow_unused=True, retain_graph=True)
        zeros = L.autograd.grad(z, [x, w], materialize_grads=True)
        return ga + gb + gc_ + unused + zeros
    (e, _), (t, _) = run_both(fn, arr(3, 2), arr(3, 2))
    assert_same(list(e), list(t))


def test_autograd_grad_does_not_touch_leaf_grads():
    x = ember.ones(2, requires_grad=True)
    ember.autograd.grad((x * 2).sum(), x)
    assert x.grad is None


def test_backward_inputs_accumulates_only_there():
    def fn(L, x, w):
        (x * w).sum().backward(inputs=[w])
        assert x.grad is None
        h = x * 2
        (h * w).sum().backward(inputs=[h, w])
        return h.grad
    (e, e_ts), (t, t_ts) = run_both(fn, arr(3), arr(3))
    assert_same(e, t)
    assert_same(e_ts[1].grad, t_ts[1].grad)


def test_multiple_roots():
    def fn(L, x):
        a, b = x.sin(), x.cos() * x
        L.autograd.backward([a, b.sum()], [L.ones(3), None])
    assert_grads_match(run_both(fn, arr(3)))


def test_retain_grad_and_is_leaf():
    def fn(L, x):
        h = x * 2
        h.retain_grad()
        x.retain_grad()  # a no-op on leaves
        y = (h ** 2).sum()
        y.retain_grad()
        y.backward()
        return h.grad, y.grad, h.retains_grad, h.is_leaf, x.is_leaf, y.grad_fn is not None
    (e, _), (t, _) = run_both(fn, arr(3))
    assert_same(list(e), list(t))


def test_hooks_modify_gradients_and_can_be_removed():
    def fn(L, x):
        log = []
        h = x * 2
        handle = h.register_hook(lambda g: g * 10)
        h.register_hook(lambda g: log.append(g.sum().item()))
        h.retain_grad()  # sees the gradient after the hooks, whatever the order
        x.register_hook(lambda g: g + 1)
        h.sum().backward(retain_graph=True)
        first = (x.grad.clone(), h.grad.clone())
        handle.remove()
        x.grad, h.grad = None, None
        h.sum().backward()
        return first + (x.grad, h.grad, L.tensor(log))
    (e, _), (t, _) = run_both(fn, arr(3))
    assert_same(list(e), list(t))


def test_node_hooks():
    def fn(L, x):
        seen = []
        y = x * 3
        y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
        y.grad_fn.register_hook(lambda gi, go: seen.append(len(gi)))
        y.sum().backward()
        return L.tensor(seen)
    (e, e_ts), (t, t_ts) = run_both(fn, arr(2))
    assert_same(e, t)
    assert_grads_match([(e, e_ts), (t, t_ts)])


def test_grad_fn_names_and_next_functions():
    for L in (ember, torch):
        x = L.ones(2, 3, requires_grad=True)
        w = L.ones(3, 4, requires_grad=True)
        out = ((x @ w).relu() + 1).sum()
        assert grad_fn_names(out, 4) == (
            "SumBackward0", [("AddBackward0", [("ReluBackward0", [
                ("MmBackward0", ["AccumulateGrad", "AccumulateGrad"])]), None])])
        assert out.grad_fn.next_functions[0][1] == 0


def test_chain_of_100000_ops():
    x = ember.ones(2, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    del y  # freeing the long chain must not recurse either
    gc.collect()


def test_saved_tensors_are_freed_after_backward():
    x = ember.ones(1000, requires_grad=True)
    y = x.exp()  # the node saves its output
    ref = weakref.ref(y._data)
    loss = y.sum()
    del y
    loss.backward()
    gc.collect()
    assert ref() is None


def test_retain_graph_keeps_saved_tensors():
    x = ember.ones(1000, requires_grad=True)
    y = x.exp()
    ref = weakref.ref(y._data)
    loss = y.sum()
    del y
    loss.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    loss.backward()
    assert x.grad[0].item() == pytest.approx(2 * np.e)


def test_leaf_gradients_keep_leaf_dtype_and_shape():
    def fn(L, x):
        (x.double() * 2).sum().backward()
        return x.grad
    (e, _), (t, _) = run_both(fn, arr(2, 2))
    assert_same(e, t)


def test_anomaly_mode_names_the_node():
    def fn(L):
        x = L.tensor([0.0, 1.0], requires_grad=True)
        with L.autograd.detect_anomaly():
            (x / x).sum().backward()
    with pytest.warns(UserWarning):
        with pytest.raises(RuntimeError) as te:
            fn(torch)
    with pytest.warns(UserWarning):
        with pytest.raises(RuntimeError) as ee:
            fn(ember)
    assert str(ee.value) == str(te.value)
    assert not ember.autograd.is_anomaly_enabled()


def test_post_accumulate_grad_hook():
    for L in (ember, torch):
        x = L.ones(2, requires_grad=True)
        seen = []
        handle = x.register_post_accumulate_grad_hook(
            lambda t, seen=seen: seen.append(t.grad.tolist()))
        (x * 2).sum().backward()
        handle.remove()
        (x * 2).sum().backward()
        assert seen == [[2.0, 2.0]]


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "exp", "matmul", "logsumexp", "var",
                                  "index", "cube"])
def test_double_backward_against_central_differences(name):
    fns = {
        "tanh": lambda t: t.tanh(), "sigmoid": lambda t: t.sigmoid(), "exp": lambda t: t.exp(),
        "matmul": lambda t: t @ t.t(), "logsumexp": lambda t: t.logsumexp(1),
        "var": lambda t: t.var(0), "index": lambda t: t[t > 0] ** 2, "cube": lambda t: t ** 3,
    }
    x = ember.tensor(arr(3, 3).astype(np.float64), requires_grad=True)
    assert ember.autograd.gradgradcheck(fns[name], (x,))


def test_captured_gradients_and_hooks_follow_whether_the_node_runs():
    # A node that only has its gradient captured does not run (its graph stays usable) and
    # its tensor hooks apply first; a node that runs has its gradient captured before them.
    def fn(L, x):
        y = x * 3
        y.register_hook(lambda g: g * 10)
        alone = L.autograd.grad((y * 2).sum(), y, retain_graph=True)[0]
        beyond = L.autograd.grad((y * 2).sum(), [y, x])
        leaf = x.exp()
        L.autograd.grad((leaf * 2).sum(), leaf)
        (leaf * 5).sum().backward()  # leaf's node was not run, so it can still be
        return alone, beyond[0], beyond[1], x.grad
    (e, _), (t, _) = run_both(fn, arr(3))
    assert_same(e, t)
