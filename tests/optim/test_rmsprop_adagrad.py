"""RMSprop and Adagrad against PyTorch: 1,000 steps on identical gradients, state, errors."""

import numpy as np
import pytest

import ember

from ._compare import assert_params_close, feed_and_step, make_pair

torch = pytest.importorskip("torch")

CONFIGS = [
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, centered=True)),
    ("RMSprop", dict(lr=0.002, centered=True, momentum=0.5, weight_decay=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.05, initial_accumulator_value=0.5, eps=1e-6, maximize=True)),
]


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_matches_torch_over_1000_steps(name, kwargs, dtype):
    pairs = make_pair(torch, name, kwargs, dtype)
    feed_and_step(torch, pairs, 1000, skip_every=6)
    assert_params_close(pairs[0], pairs[1])
    for e, t in zip(pairs[0], pairs[1]):
        e_state, t_state = pairs[2].state[e], pairs[3].state[t]
        assert list(e_state) == list(t_state)
        assert float(e_state["step"]) == float(t_state["step"])
        for key, value in t_state.items():
            if key != "step":
                np.testing.assert_allclose(e_state[key]._data, value.numpy(), rtol=1e-4,
                                           atol=1e-5)


def test_adagrad_state_exists_from_construction():
    pairs = make_pair(torch, "Adagrad", dict(initial_accumulator_value=0.25))
    for e, t in zip(pairs[0], pairs[1]):
        e_state, t_state = pairs[2].state[e], pairs[3].state[t]
        assert list(e_state) == list(t_state) == ["step", "sum"]
        assert e_state["step"].dtype == ember.float32 and float(e_state["step"]) == 0.0
        np.testing.assert_array_equal(e_state["sum"]._data, t_state["sum"].numpy())


def test_adagrad_added_group_uses_constructor_accumulator_value():
    # PyTorch fills new accumulators from the constructor's value, not the group's.
    pairs = make_pair(torch, "Adagrad", dict(lr=0.1, initial_accumulator_value=0.5))
    extra = np.ones(3, np.float32)
    e, t = ember.tensor(extra, requires_grad=True), torch.tensor(extra, requires_grad=True)
    pairs[2].add_param_group({"params": [e], "initial_accumulator_value": 2.0})
    pairs[3].add_param_group({"params": [t], "initial_accumulator_value": 2.0})
    e.grad, t.grad = ember.ones(3), torch.ones(3)
    pairs[2].step()
    pairs[3].step()
    np.testing.assert_allclose(e._data, t.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("name, kwargs", [
    ("RMSprop", dict(lr=-1.0)), ("RMSprop", dict(eps=-1.0)), ("RMSprop", dict(momentum=-1.0)),
    ("RMSprop", dict(weight_decay=-1.0)), ("RMSprop", dict(alpha=-0.5)),
    ("Adagrad", dict(lr=-0.1)), ("Adagrad", dict(lr_decay=-1.0)),
    ("Adagrad", dict(weight_decay=-1.0)), ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adagrad", dict(eps=-1.0)),
], ids=str)
def test_bad_arguments_raise_like_torch(name, kwargs):
    with pytest.raises(ValueError) as expected:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError) as got:
        getattr(ember.optim, name)([ember.zeros(1, requires_grad=True)], **kwargs)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad"])
def test_repr_matches_torch(name):
    eo, to = make_pair(torch, name, {})[2:]
    assert repr(eo) == repr(to)
