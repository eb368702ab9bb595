"""SGD against PyTorch: 1,000 steps on identical gradients, options, errors."""

import numpy as np
import pytest

import ember

from ._compare import assert_params_close, feed_and_step, make_pair

torch = pytest.importorskip("torch")

CONFIGS = [
    dict(lr=0.01),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, momentum=0.9, dampening=0.3),
    dict(lr=0.01, momentum=0.9, nesterov=True),
    dict(lr=0.01, momentum=0.5, weight_decay=0.05, nesterov=True),
    dict(lr=0.02, weight_decay=0.1),
    dict(lr=0.01, momentum=0.9, maximize=True),
    dict(lr=0.01, momentum=0.8, dampening=0.1, weight_decay=0.01, maximize=True),
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_matches_torch_over_1000_steps(kwargs, dtype):
    pairs = make_pair(torch, "SGD", kwargs, dtype)
    feed_and_step(torch, pairs, 1000, skip_every=7)
    assert_params_close(pairs[0], pairs[1])
    ember_opt, torch_opt = pairs[2], pairs[3]
    for e, t in zip(pairs[0], pairs[1]):
        e_state, t_state = ember_opt.state[e], torch_opt.state[t]
        assert set(e_state) == set(t_state)
        if "momentum_buffer" in t_state:
            np.testing.assert_allclose(e_state["momentum_buffer"]._data,
                                       t_state["momentum_buffer"].numpy(), rtol=1e-4, atol=1e-5)


def test_float32_stays_float32_and_version_bumps():
    w = ember.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.1)
    data, version = w._data, w._version[0]
    w.grad = ember.tensor(np.ones(3, np.float32))
    opt.step()
    assert w._data is data  # updated in place
    assert w.dtype == ember.float32
    assert opt.state[w]["momentum_buffer"].dtype == ember.float32
    assert w._version[0] == version + 1


def test_tensor_learning_rate():
    pairs = make_pair(torch, "SGD", dict(lr=0.05, momentum=0.9))
    pairs[2].param_groups[0]["lr"] = ember.tensor(0.05)
    pairs[3].param_groups[0]["lr"] = torch.tensor(0.05)
    feed_and_step(torch, pairs, 20)
    assert_params_close(pairs[0], pairs[1])


def test_repr_matches_torch():
    e, t, eo, to = make_pair(torch, "SGD", dict(lr=0.1, momentum=0.9, nesterov=True))
    assert repr(eo) == repr(to)


@pytest.mark.parametrize("kwargs", [
    dict(lr=-1.0), dict(lr=0.1, momentum=-0.5), dict(lr=0.1, weight_decay=-1e-4),
    dict(lr=0.1, nesterov=True), dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
], ids=str)
def test_bad_arguments_raise_like_torch(kwargs):
    with pytest.raises(ValueError) as expected:
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError) as got:
        ember.optim.SGD([ember.zeros(1, requires_grad=True)], **kwargs)
    assert str(got.value) == str(expected.value)
