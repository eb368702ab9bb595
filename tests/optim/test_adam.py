"""Adam and AdamW against PyTorch: 1,000 steps on identical gradients, state, errors."""

import numpy as np
import pytest

import ember

from ._compare import assert_params_close, feed_and_step, make_pair

torch = pytest.importorskip("torch")

CONFIGS = [
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.005, betas=(0.6, 0.9), maximize=True)),
]


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_matches_torch_over_1000_steps(name, kwargs, dtype):
    pairs = make_pair(torch, name, kwargs, dtype)
    feed_and_step(torch, pairs, 1000, skip_every=5)
    assert_params_close(pairs[0], pairs[1])
    ember_opt, torch_opt = pairs[2], pairs[3]
    for e, t in zip(pairs[0], pairs[1]):
        e_state, t_state = ember_opt.state[e], torch_opt.state[t]
        assert list(e_state) == list(t_state)
        assert float(e_state["step"]) == float(t_state["step"])
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            if key in t_state:
                np.testing.assert_allclose(e_state[key]._data, t_state[key].numpy(),
                                           rtol=1e-4, atol=1e-6)


def test_state_layout_like_torch():
    w = ember.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    opt = ember.optim.Adam([w], amsgrad=True)
    w.grad = ember.ones(2, 3)
    opt.step()
    state = opt.state[w]
    assert list(state) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert state["step"].shape == () and state["step"].dtype == ember.float32
    assert state["step"].item() == 1.0
    assert state["exp_avg"].dtype == ember.float32 and state["exp_avg"].shape == (2, 3)


def test_step_is_float64_under_float64_default():
    old = ember.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    try:
        w = ember.zeros(2, requires_grad=True)
        opt = ember.optim.Adam([w])
        w.grad = ember.ones(2)
        opt.step()
        assert opt.state[w]["step"].dtype == ember.float64
    finally:
        ember.set_default_dtype(old)


def test_complex_parameters_match_torch():
    rng = np.random.default_rng(3)
    start = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64)
    e = ember.tensor(start, requires_grad=True)
    t = torch.tensor(start, requires_grad=True)
    eo, to = ember.optim.Adam([e], lr=0.05, weight_decay=0.1), torch.optim.Adam([t], lr=0.05,
                                                                             weight_decay=0.1)
    for _ in range(50):
        g = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64)
        e.grad, t.grad = ember.tensor(g), torch.from_numpy(g.copy())
        eo.step()
        to.step()
    np.testing.assert_allclose(e._data, t.detach().numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_repr_matches_torch(name):
    eo, to = make_pair(torch, name, dict(lr=0.1, amsgrad=True))[2:]
    assert repr(eo) == repr(to)
    assert eo.defaults == to.defaults


@pytest.mark.parametrize("kwargs", [
    dict(lr=-1.0), dict(eps=-1e-8), dict(betas=(1.0, 0.999)), dict(betas=(0.9, -0.1)),
    dict(weight_decay=-0.5), dict(betas=(0.9, 1)),
], ids=str)
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_bad_arguments_raise_like_torch(name, kwargs):
    with pytest.raises(ValueError) as expected:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError) as got:
        getattr(ember.optim, name)([ember.zeros(1, requires_grad=True)], **kwargs)
    assert str(got.value) == str(expected.value)


def test_fused_and_foreach_together_rejected():
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together."):
        ember.optim.Adam([ember.zeros(1, requires_grad=True)], fused=True, foreach=True)
