"""The Optimizer base: groups, zero_grad, hooks, closures and state dicts shared with torch."""

import copy
import pickle
import warnings

import numpy as np
import pytest

import ember
from ember.optim.optimizer import (Optimizer, register_optimizer_step_post_hook,
                                   register_optimizer_step_pre_hook, required)

from ._compare import assert_params_close, feed_and_step, make_pair, to_ember, to_torch

torch = pytest.importorskip("torch")

ROUND_TRIP_CONFIGS = [
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
]


def _param(n=3):
    return ember.zeros(n, requires_grad=True)


# -- state dicts exchanged with torch ---------------------------------------------------------
@pytest.mark.parametrize("name, kwargs", ROUND_TRIP_CONFIGS, ids=str)
def test_ember_state_dict_loads_into_torch(name, kwargs):
    ember_params, _, ember_opt, _ = make_pair(torch, name, kwargs)
    reference = make_pair(torch, name, kwargs)
    feed_and_step(torch, (ember_params, reference[1], ember_opt, reference[3]), 40)
    # a fresh torch optimizer continues from ember's parameters and saved state
    torch_params = [torch.tensor(p._data.copy(), requires_grad=True) for p in ember_params]
    torch_opt = getattr(torch.optim, name)(torch_params, **kwargs)
    torch_opt.load_state_dict(to_torch(torch, ember_opt.state_dict()))
    feed_and_step(torch, (ember_params, torch_params, ember_opt, torch_opt), 60, seed=5)
    assert_params_close(ember_params, torch_params)


@pytest.mark.parametrize("name, kwargs", ROUND_TRIP_CONFIGS, ids=str)
def test_torch_state_dict_loads_into_ember(name, kwargs):
    reference = make_pair(torch, name, kwargs)
    torch_params, torch_opt = reference[1], reference[3]
    feed_and_step(torch, reference, 40)
    ember_params = [ember.tensor(t.detach().numpy().copy(), requires_grad=True)
                    for t in torch_params]
    ember_opt = getattr(ember.optim, name)(ember_params, **kwargs)
    ember_opt.load_state_dict(to_ember(torch, torch_opt.state_dict()))
    for state in ember_opt.state.values():
        if "step" in state:
            assert state["step"].dtype == ember.float32
    feed_and_step(torch, (ember_params, torch_params, ember_opt, torch_opt), 60, seed=5)
    assert_params_close(ember_params, torch_params)


def test_state_dict_layout_matches_torch():
    ember_params, torch_params, eo, to = make_pair(torch, "Adam", dict(lr=0.1))
    eo.add_param_group({"params": [_param()], "lr": 0.5})
    to.add_param_group({"params": [torch.zeros(3, requires_grad=True)], "lr": 0.5})
    feed_and_step(torch, (ember_params, torch_params, eo, to), 3, skip_every=2)
    esd, tsd = eo.state_dict(), to.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert list(esd["state"]) == list(tsd["state"]) == [1, 2, 0]
    for index, state in tsd["state"].items():
        assert list(esd["state"][index]) == list(state)
        assert esd["state"][index]["step"].dtype == ember.float32


def test_load_state_dict_casts_state_to_parameter_dtype():
    w = ember.tensor(np.ones(2, np.float32), requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.1, momentum=0.9)
    saved = {"state": {0: {"momentum_buffer": ember.tensor(np.ones(2, np.float64))}},
             "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
    opt.load_state_dict(saved)
    assert opt.state[w]["momentum_buffer"].dtype == ember.float32


def test_load_state_dict_restores_group_options():
    eo = ember.optim.SGD([_param()], lr=0.1)
    other = ember.optim.SGD([_param()], lr=0.7, momentum=0.3)
    eo.load_state_dict(other.state_dict())
    assert eo.param_groups[0]["lr"] == 0.7 and eo.param_groups[0]["momentum"] == 0.3


def test_load_state_dict_size_errors():
    opt = ember.optim.SGD([_param(), _param()], lr=0.1)
    one_group = ember.optim.SGD([_param()], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(one_group)
    two_groups = ember.optim.SGD([{"params": [_param()]}, {"params": [_param()]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(two_groups.state_dict())


def test_state_dict_hooks():
    opt = ember.optim.SGD([_param()], lr=0.1)
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("load_pre"))
    opt.register_load_state_dict_post_hook(lambda o: calls.append("load_post"))
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert calls == ["pre", "load_pre", "load_post"]


# -- parameter groups -----------------------------------------------------------------------
def test_per_group_options_match_torch():
    arrays = [np.full(3, v, np.float32) for v in (1.0, 2.0)]
    e = [ember.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    eo = ember.optim.SGD([{"params": [e[0]]}, {"params": [e[1]], "lr": 0.5, "momentum": 0.9}],
                         lr=0.1)
    to = torch.optim.SGD([{"params": [t[0]]}, {"params": [t[1]], "lr": 0.5, "momentum": 0.9}],
                         lr=0.1)
    assert repr(eo) == repr(to)
    feed_and_step(torch, (e, t, eo, to), 10)
    assert_params_close(e, t)


def test_named_parameters_record_names():
    eo = ember.optim.SGD([("a", _param()), ("b", _param())], lr=0.1)
    to = torch.optim.SGD([("a", torch.zeros(3, requires_grad=True)),
                          ("b", torch.zeros(3, requires_grad=True))], lr=0.1)
    assert eo.state_dict()["param_groups"] == to.state_dict()["param_groups"]
    with pytest.raises(ValueError, match="cannot add param group without names"):
        eo.add_param_group({"params": [_param()]})


@pytest.mark.parametrize("case", ["tensor", "empty", "not_tensor", "non_leaf", "set",
                                  "overlap", "group_not_dict", "missing_names"])
def test_construction_errors_match_torch(case):
    def attempt(lib, opt_cls):
        leaf = lib.zeros(2, requires_grad=True)
        if case == "tensor":
            return opt_cls(leaf)
        if case == "empty":
            return opt_cls([])
        if case == "not_tensor":
            return opt_cls([leaf, 3])
        if case == "non_leaf":
            return opt_cls([leaf * 2])
        if case == "set":
            return opt_cls([{"params": {leaf}}])
        if case == "overlap":
            return opt_cls([{"params": [leaf]}, {"params": [leaf]}])
        if case == "missing_names":
            return opt_cls([("a", leaf), lib.zeros(2, requires_grad=True)])
        return opt_cls([leaf]).add_param_group([leaf])

    with pytest.raises((TypeError, ValueError)) as expected:
        attempt(torch, torch.optim.SGD)
    with pytest.raises(expected.type) as got:
        attempt(ember, ember.optim.SGD)
    assert str(got.value) == str(expected.value).replace("torch.", "ember.")


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_differentiable_updates_are_refused(name):
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        getattr(ember.optim, name)([_param()], differentiable=True)


def test_duplicate_parameters_warn():
    w = _param()
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ember.optim.SGD([w, w], lr=0.1)


def test_required_option():
    class Plain(Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": required, "scale": 1.0})

    with pytest.raises(ValueError, match="didn't specify a value of required optimization "
                                         "parameter lr"):
        Plain([_param()])
    assert Plain([{"params": [_param()], "lr": 0.1}]).param_groups[0]["scale"] == 1.0


# -- zero_grad, step, closure, hooks -----------------------------------------------------------
def test_zero_grad():
    w = _param()
    opt = ember.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and not grad._data.any()
    opt.zero_grad()
    assert w.grad is None


def test_step_skips_parameters_without_grad():
    a, b = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    opt = ember.optim.Adam([a, b], lr=0.1)
    a.grad = ember.ones(2)
    opt.step()
    assert b not in opt.state and b._version[0] == 0
    np.testing.assert_array_equal(b._data, np.ones(2, np.float32))


def test_closure_runs_with_grad_enabled_and_returns_loss():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(w._data, [0.8, 1.6], rtol=1e-6)


def test_step_hooks_order_arguments_and_removal():
    opt = ember.optim.SGD([_param()], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", args, kwargs)))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o)))
    glob = register_optimizer_step_pre_hook(lambda o, args, kwargs: calls.append("global"))
    try:
        opt.step()
    finally:
        glob.remove()
    assert calls == ["global", ("pre", (opt,), {}), ("post", opt)]
    pre.remove()
    post.remove()
    calls.clear()
    opt.step()
    assert calls == []


def test_pre_hook_can_replace_arguments():
    opt = ember.optim.SGD([_param()], lr=0.1)
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": lambda: 42}))
    post = register_optimizer_step_post_hook(lambda o, args, kwargs: seen.append(kwargs))
    try:
        assert opt.step() == 42
    finally:
        post.remove()
    assert list(seen[0]) == ["closure"]
    opt.register_step_pre_hook(lambda o, args, kwargs: "bad")
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()


def test_deepcopy_and_pickle_keep_state():
    pairs = make_pair(torch, "Adam", dict(lr=0.1))
    feed_and_step(torch, pairs, 3)
    opt = pairs[2]
    for clone in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        assert repr(clone) == repr(opt)
        state = next(iter(clone.state.values()))
        assert float(state["step"]) == 3.0
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            clone.zero_grad()
