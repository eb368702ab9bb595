"""Optimizers and schedules against PyTorch: argument checks, the base class's ``step``,
trajectories over option grids, state dicts of several groups, and less common schedules."""

import itertools
import re
import warnings

import numpy as np
import pytest

import ember
from helpers import assert_same_error
from ._compare import assert_params_close, feed_and_step, make_pair

torch = pytest.importorskip("torch")


def _params(lib, *shapes):
    return [lib.ones(shape, requires_grad=True) for shape in shapes]


def _hyper(lib, value):
    """Hyper-parameters for ``lib``: NumPy values become that library's tensors."""
    if isinstance(value, dict):
        return {k: _hyper(lib, v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return lib.tensor(value)
    if isinstance(value, tuple):
        return tuple(_hyper(lib, v) for v in value)
    return value


# -- constructor checks ------------------------------------------------------------------
TENSOR_CASES = [
    ("Adam", dict(lr=np.array(0.01, np.float32), foreach=True)),
    ("AdamW", dict(lr=np.array(0.01, np.float32), foreach=True)),
    ("Adam", dict(lr=np.array([0.1, 0.2], np.float32), foreach=True)),
    ("Adam", dict(betas=(np.array(0.9), np.array(0.99)), foreach=True)),
    ("AdamW", dict(betas=(np.array([0.9, 0.8]), np.array(0.99)))),
    ("Adam", dict(betas=(np.array(0.9), np.array([0.9, 0.8])))),
    ("Adam", dict(betas=(np.array(0.9), 0.99))),
]


@pytest.mark.parametrize("name, kwargs", TENSOR_CASES, ids=str)
def test_tensor_hyper_parameter_errors_match_torch(name, kwargs):
    assert_same_error(
        lambda: getattr(ember.optim, name)(_params(ember, 3), **_hyper(ember, kwargs)),
        lambda: getattr(torch.optim, name)(_params(torch, 3), **_hyper(torch, kwargs)))


@pytest.mark.parametrize("name, kwargs", [
    ("Adam", dict(lr=np.array(0.01, np.float32), foreach=True, capturable=True)),
    ("Adam", dict(betas=(np.array([0.8]), np.array([0.9])))),
    ("Adam", dict(betas=[0.5, 0.6])),
    ("Adam", dict(betas=(0.9, 0.99, 0.3))),
    ("AdamW", dict(lr=np.array(0.01, np.float32), foreach=False)),
], ids=str)
def test_accepted_hyper_parameters_print_like_torch(name, kwargs):
    got = getattr(ember.optim, name)(_params(ember, 3), **_hyper(ember, kwargs))
    expected = getattr(torch.optim, name)(_params(torch, 3), **_hyper(torch, kwargs))
    assert repr(got) == repr(expected).replace("torch.", "ember.")


def test_base_optimizer_step_is_abstract_like_torch():
    def build(lib):
        params = _params(lib, 3)
        params[0].grad = lib.ones(3)
        return lib.optim.Optimizer(params, {"lr": 0.1})
    assert_same_error(lambda: build(ember).step(), lambda: build(torch).step())
    no_grads = [lib.optim.Optimizer(_params(lib, 2), {"lr": 0.1}) for lib in (ember, torch)]
    assert_same_error(no_grads[0].step, no_grads[1].step)


def test_user_subclass_overriding_step_matches_torch():
    def run(lib):
        class HeavyBall(lib.optim.Optimizer):
            def __init__(self, params, lr=0.1, mom=0.5):
                super().__init__(params, {"lr": lr, "mom": mom})

            @lib.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        buf = self.state[p].setdefault("buf", lib.zeros_like(p))
                        buf.mul_(group["mom"]).add_(p.grad)
                        p.add_(buf, alpha=-group["lr"])

        w = lib.ones(3, requires_grad=True)
        opt = HeavyBall([w])
        for _ in range(3):
            (w * w).sum().backward()
            opt.step()
            opt.zero_grad()
        return w, repr(opt), opt.state_dict()["param_groups"]
    (ew, erepr, egroups), (tw, trepr, tgroups) = run(ember), run(torch)
    np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=1e-6)
    assert erepr == trepr and egroups == tgroups


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_bad_step_pre_hook_error_names_the_optimizer_like_torch(name):
    def build(lib):
        w = lib.ones(2, requires_grad=True)
        w.grad = lib.ones(2)
        opt = getattr(lib.optim, name)([w])
        opt.register_step_pre_hook(lambda *args: 5)
        return opt
    messages = []
    for opt in (build(ember), build(torch)):
        with pytest.raises(RuntimeError) as caught:
            opt.step()
        messages.append(re.sub(r"0x[0-9a-f]+", "ADDRESS", str(caught.value)))
    assert messages[0] == messages[1]


# -- trajectories ----------------------------------------------------------------------------
GRIDS = {
    "SGD": dict(momentum=[0, 0.9], dampening=[0, 0.3], nesterov=[False, True],
                weight_decay=[0, 0.1], maximize=[False, True]),
    "Adam": dict(amsgrad=[False, True], weight_decay=[0, 0.1], maximize=[False, True],
                 betas=[(0.9, 0.999), (0.5, 0.6)]),
    "AdamW": dict(amsgrad=[False, True], weight_decay=[0, 0.1], maximize=[False, True]),
    "RMSprop": dict(momentum=[0, 0.9], centered=[False, True], weight_decay=[0, 0.1],
                    maximize=[False, True]),
    "Adagrad": dict(lr_decay=[0, 0.1], weight_decay=[0, 0.1],
                    initial_accumulator_value=[0, 0.5], maximize=[False, True]),
}


def _grid(name):
    keys = list(GRIDS[name])
    for values in itertools.product(*GRIDS[name].values()):
        kwargs = dict(zip(keys, values), lr=0.05)
        if kwargs.get("nesterov") and (kwargs["momentum"] == 0 or kwargs["dampening"]):
            continue
        yield kwargs


@pytest.mark.parametrize("name", list(GRIDS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_option_grid_trajectories_and_state_match_torch(name, dtype):
    for kwargs in _grid(name):
        pairs = make_pair(torch, name, kwargs, dtype)
        feed_and_step(torch, pairs, steps=5, skip_every=2)
        assert_params_close(pairs[0], pairs[1])
        got, expected = pairs[2].state_dict(), pairs[3].state_dict()
        assert got["param_groups"] == expected["param_groups"], kwargs
        assert list(got["state"]) == list(expected["state"]), kwargs
        for index, t_state in expected["state"].items():
            e_state = got["state"][index]
            assert list(e_state) == list(t_state), kwargs
            for key, value in t_state.items():
                np.testing.assert_allclose(e_state[key].numpy(), value.numpy(),
                                           rtol=1e-4, atol=1e-6, err_msg=f"{kwargs} {key}")


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", lambda L: dict(lr=L.tensor(0.1), momentum=0.9, weight_decay=L.tensor(0.01))),
    ("Adam", lambda L: dict(lr=L.tensor(0.1), betas=(L.tensor(0.8), L.tensor(0.9)))),
    ("Adam", lambda L: dict(lr=0.1, betas=(L.tensor([0.8]), L.tensor([0.9])))),
    ("AdamW", lambda L: dict(lr=L.tensor(0.1), amsgrad=True)),
    ("RMSprop", lambda L: dict(lr=L.tensor(0.01), momentum=0.5, centered=True)),
    ("Adagrad", lambda L: dict(lr=L.tensor(0.1), lr_decay=0.01)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_tensor_hyper_parameters_trajectories_match_torch(name, kwargs):
    rng = np.random.default_rng(0)
    start = rng.standard_normal((4, 3)).astype(np.float32)
    grads = rng.standard_normal((4, 4, 3)).astype(np.float32)
    results = []
    for lib in (ember, torch):
        w = lib.tensor(start.copy(), requires_grad=True)
        opt = getattr(lib.optim, name)([w], **kwargs(lib))
        for g in grads:
            w.grad = lib.tensor(g.copy())
            opt.step()
        results.append((w.detach().numpy(), repr(opt)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    assert results[0][1] == results[1][1]


def test_state_dict_of_several_groups_matches_torch():
    def run(lib):
        a, b, c = _params(lib, 2, (2, 3), 1)
        opt = lib.optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5, "amsgrad": True}])
        for _ in range(2):
            a.grad, c.grad = lib.ones(2), lib.full((1,), 2.0)
            opt.step()
        return repr(opt.state_dict())
    assert run(ember) == run(torch).replace("torch.", "ember.")


# -- schedules -------------------------------------------------------------------------------
def _run_both(make, drive):
    """``drive(lib, optimizer, scheduler)`` on both sides, recording every warning too."""
    out = []
    for lib in (ember, torch):
        opt = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sched = make(lib.optim.lr_scheduler, opt)
            values = drive(opt, sched)
        out.append((values, [str(w.message) for w in caught]))
    return out


def test_warm_restarts_with_fractional_epochs_match_torch():
    def drive(opt, sched):
        values = []
        for epoch in range(8):
            for i in range(4):
                opt.step()
                sched.step(epoch + i / 4)
                values.append((sched.get_last_lr(), sched.T_cur, sched.T_i, sched.last_epoch))
        return values
    got, expected = _run_both(
        lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01), drive)
    assert got == expected


def test_plateau_with_cooldown_and_absolute_threshold_matches_torch():
    metrics = [1, 1.05, 1.2, 1.2, 1.2, float("nan"), 1.2, 1.2, 1.3, 1.2, 1.2, 1.2, 1.2]

    def drive(opt, sched):
        values = []
        for m in metrics:
            sched.step(m)
            values.append((sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter,
                           sched.best))
        return values, sorted(sched.state_dict())
    got, expected = _run_both(
        lambda L, o: L.ReduceLROnPlateau(o, mode="max", patience=0, cooldown=1, factor=0.5,
                                         threshold_mode="abs", threshold=0.1, min_lr=1e-3),
        drive)
    assert repr(got) == repr(expected)


def test_two_schedulers_on_one_optimizer_compound_like_torch():
    def drive(opt, scheds):
        values = []
        for _ in range(6):
            opt.step()
            for sched in scheds:
                sched.step()
            values.append(([s.get_last_lr() for s in scheds], repr(opt)))
        return values
    got, expected = _run_both(
        lambda L, o: (L.StepLR(o, 2, 0.5), L.ExponentialLR(o, gamma=0.9)), drive)
    assert got == expected
