"""Learning-rate schedules: the exact sequences of PyTorch's, state dicts, warnings, errors."""

import math
import warnings

import pytest

import ember
from ember.optim import lr_scheduler as EL

torch = pytest.importorskip("torch")
TL = torch.optim.lr_scheduler


def _optimizers(name="SGD", groups=((0.1, 0.9), (0.05, 0.5)), **kwargs):
    """The same two-group optimizer in both libraries (lr, momentum or beta1 per group)."""
    def build(lib):
        if name == "SGD":
            specs = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr, "momentum": m}
                     for lr, m in groups]
        else:
            specs = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr,
                      "betas": (m, 0.999)} for lr, m in groups]
        return getattr(lib.optim, name)(specs, **kwargs)
    return build(ember), build(torch)


def _momenta(opt):
    return [g["momentum"] if "momentum" in g else g["betas"][0] for g in opt.param_groups]


def _compare(make, epochs, opt_name="SGD", metrics=None):
    eo, to = _optimizers(opt_name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stepping in the right order warns about nothing
        es, ts = make(EL, eo), make(TL, to)
        assert es.get_last_lr() == ts.get_last_lr()
        for epoch in range(epochs):
            eo.step()
            to.step()
            if metrics is None:
                es.step()
                ts.step()
            else:
                es.step(metrics[epoch])
                ts.step(metrics[epoch])
            assert es.get_last_lr() == ts.get_last_lr(), f"epoch {epoch}"
            assert [g["lr"] for g in eo.param_groups] == [g["lr"] for g in to.param_groups]
            assert _momenta(eo) == _momenta(to)
    return es, ts


SCHEDULES = {
    "StepLR": lambda L, o: L.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, milestones=[3, 10, 10, 40], gamma=0.3),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, T_max=37, eta_min=1e-3),
    "LambdaLR": lambda L, o: L.LambdaLR(o, [lambda e: 1 / (1 + e), lambda e: 0.95 ** e]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.99),
    "LinearLR": lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=40),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=7),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=40, power=2.0),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=300),
    "OneCycleLR-3phase-linear": lambda L, o: L.OneCycleLR(
        o, max_lr=0.8, epochs=6, steps_per_epoch=50, three_phase=True,
        anneal_strategy="linear", pct_start=0.25),
    "CyclicLR": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=13, step_size_down=7,
                                        mode="triangular2"),
    "CyclicLR-exp": lambda L, o: L.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=9,
                                            mode="exp_range", gamma=0.99),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(
        o, T_0=10, T_mult=2, eta_min=1e-3),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=10), L.CosineAnnealingLR(o, T_max=50),
            L.StepLR(o, step_size=5)], milestones=[10, 80]),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [L.LinearLR(o, start_factor=0.1, total_iters=10), L.ExponentialLR(o, gamma=0.99)]),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_sequence_matches_torch_exactly(name):
    epochs = 299 if name.startswith("OneCycleLR") else 300
    _compare(SCHEDULES[name], epochs)


def test_one_cycle_cycles_adam_beta1():
    _compare(lambda L, o: L.OneCycleLR(o, max_lr=0.01, total_steps=100), 99, opt_name="Adam")


@pytest.mark.parametrize("kwargs, metric", [
    (dict(patience=3, cooldown=2, factor=0.5, min_lr=1e-3), lambda i: 1 + math.sin(i / 5)),
    (dict(mode="max", patience=2, threshold=0.1, threshold_mode="abs", min_lr=[0.01, 0.0]),
     lambda i: (i % 17) * 0.1),
    (dict(patience=0, factor=0.9, threshold_mode="abs", eps=1e-3), lambda i: 5.0),
])
def test_reduce_on_plateau_matches_torch(kwargs, metric):
    metrics = [metric(i) for i in range(300)]
    _compare(lambda L, o: L.ReduceLROnPlateau(o, **kwargs), 300, metrics=metrics)


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "SequentialLR",
                                  "CyclicLR", "LinearLR"])
def test_state_dict_exchanges_with_torch(name):
    es, ts = _compare(SCHEDULES[name], 20)
    assert es.state_dict().keys() == ts.state_dict().keys()
    # a torch scheduler continues from ember's state (and ember from torch's)
    eo, to = _optimizers()
    es2, ts2 = SCHEDULES[name](EL, eo), SCHEDULES[name](TL, to)
    eo.load_state_dict(es.optimizer.state_dict())
    to.load_state_dict(ts.optimizer.state_dict())
    ts2.load_state_dict(es.state_dict())
    es2.load_state_dict(ts.state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(40):
            for sched in (es, ts, es2, ts2):
                sched.optimizer.step()
                sched.step()
            assert es2.get_last_lr() == ts2.get_last_lr() == es.get_last_lr()


def test_plateau_state_dict_round_trip():
    es, ts = _compare(lambda L, o: L.ReduceLROnPlateau(o, patience=1), 5, metrics=[1.0] * 5)
    assert es.state_dict() == ts.state_dict()


def test_lambda_state_dict_keeps_callable_object_state():
    class Schedule:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    eo, _ = _optimizers(groups=((0.1, 0.9),))
    sched = EL.LambdaLR(eo, Schedule())
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}]
    other = EL.LambdaLR(eo, Schedule())
    other.lr_lambdas[0].rate = 0.1
    other.load_state_dict(state)
    assert other.lr_lambdas[0].rate == 0.5


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "LinearLR", "ConstantLR", "PolynomialLR"])
def test_closed_form_with_epoch_argument(name):
    eo, to = _optimizers()
    es, ts = SCHEDULES[name](EL, eo), SCHEDULES[name](TL, to)
    for epoch in (3, 10, 25, 7):
        eo.step()
        to.step()
        with pytest.warns(UserWarning, match="The epoch parameter"):
            es.step(epoch)
        with pytest.warns(UserWarning):
            ts.step(epoch)
        assert es.get_last_lr() == ts.get_last_lr()


def test_warns_when_scheduler_steps_before_optimizer():
    eo, _ = _optimizers()
    sched = EL.StepLR(eo, step_size=2)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before "
                                         "`optimizer.step\\(\\)`"):
        sched.step()


def test_warns_when_get_lr_called_outside_step():
    eo, _ = _optimizers()
    sched = EL.StepLR(eo, step_size=2)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_resuming_without_initial_lr_raises_like_torch():
    eo, to = _optimizers()
    with pytest.raises(KeyError) as expected:
        TL.StepLR(to, step_size=2, last_epoch=3)
    with pytest.raises(KeyError) as got:
        EL.StepLR(eo, step_size=2, last_epoch=3)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("make", [
    lambda L, o: L.OneCycleLR(o, max_lr=1.0),
    lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=0),
    lambda L, o: L.OneCycleLR(o, max_lr=1.0, epochs=2, steps_per_epoch=-1),
    lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1),
    lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
    lambda L, o: L.OneCycleLR(o, max_lr=[1.0], total_steps=10),
    lambda L, o: L.LinearLR(o, start_factor=0.0),
    lambda L, o: L.LinearLR(o, end_factor=1.5),
    lambda L, o: L.ConstantLR(o, factor=2.0),
    lambda L, o: L.ReduceLROnPlateau(o, factor=1.0),
    lambda L, o: L.ReduceLROnPlateau(o, mode="middle"),
    lambda L, o: L.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda L, o: L.LambdaLR(o, [lambda e: 1.0]),
    lambda L, o: L.SequentialLR(o, [L.StepLR(o, 2), L.StepLR(o, 3)], milestones=[]),
    lambda L, o: L.SequentialLR(o, [L.ReduceLROnPlateau(o)], milestones=[]),
    lambda L, o: L.StepLR("not an optimizer", 2),
])
def test_errors_match_torch(make):
    eo, to = _optimizers()
    with pytest.raises((ValueError, TypeError)) as expected:
        make(TL, to)
    with pytest.raises(expected.type) as got:
        make(EL, eo)
    assert str(got.value) == str(expected.value)


def test_one_cycle_too_many_steps():
    eo, to = _optimizers()
    es, ts = EL.OneCycleLR(eo, max_lr=1.0, total_steps=3), TL.OneCycleLR(to, 1.0, total_steps=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            es.step()
            ts.step()
        with pytest.raises(ValueError) as expected:
            ts.step()
        with pytest.raises(ValueError) as got:
            es.step()
    assert str(got.value) == str(expected.value)
