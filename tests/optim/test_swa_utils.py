"""ember.optim.swa_utils against torch.optim.swa_utils: AveragedModel with each averaging
function, SWALR schedules and update_bn."""

import math
import warnings

import numpy as np
import pytest

import ember
from ember.optim import swa_utils as ember_swa
from helpers import assert_same_error

torch = pytest.importorskip("torch")
from torch.optim import swa_utils as torch_swa  # noqa: E402

SWA = {ember: ember_swa, torch: torch_swa}


def _models():
    """The same small network with batch norm in both libraries."""
    torch.manual_seed(0)
    made = {}
    for lib in (ember, torch):
        made[lib] = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4),
                                      lib.nn.Linear(4, 2))
    made[ember].load_state_dict({k: ember.tensor(v.numpy().copy())
                                 for k, v in made[torch].state_dict().items()})
    return made


def _perturb(models, rng):
    """Move both models' parameters and buffers the same way (one 'training step')."""
    for (name, e), t in zip(models[ember].state_dict().items(),
                            models[torch].state_dict().values()):
        if name.endswith("num_batches_tracked"):
            e._data[...] += 3
            t += 3
            continue
        delta = rng.standard_normal(tuple(t.shape)).astype(np.float32)
        if name.endswith("running_var"):
            delta = np.abs(delta)  # variances stay positive
        e._data[...] += delta
        t += torch.from_numpy(delta)


def _assert_state_equal(ember_module, torch_module, rtol=1e-6):
    got, expected = ember_module.state_dict(), torch_module.state_dict()
    assert list(got) == list(expected)
    for key, value in expected.items():
        assert str(got[key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key
        np.testing.assert_allclose(got[key].numpy(), value.numpy(), rtol=rtol, atol=1e-6,
                                   err_msg=key)


AVERAGERS = {
    "default": lambda swa: {},
    "ema_avg_fn": lambda swa: dict(avg_fn=swa.get_ema_avg_fn(0.9)),
    "swa_avg_fn": lambda swa: dict(avg_fn=swa.get_swa_avg_fn()),
    "ema_multi": lambda swa: dict(multi_avg_fn=swa.get_ema_multi_avg_fn(0.7)),
    "swa_multi": lambda swa: dict(multi_avg_fn=swa.get_swa_multi_avg_fn()),
    "custom": lambda swa: dict(avg_fn=lambda avg, cur, n: avg * 0.5 + cur * 0.5),
}


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("averager", list(AVERAGERS))
def test_averaged_model_matches_torch(averager, use_buffers):
    if averager == "swa_multi" and use_buffers:
        return  # the integer batch counter is refused: see the test below
    models = _models()
    averaged = {lib: SWA[lib].AveragedModel(models[lib], use_buffers=use_buffers,
                                            **AVERAGERS[averager](SWA[lib]))
                for lib in (ember, torch)}
    assert repr(averaged[ember]) == repr(averaged[torch])
    rng = np.random.default_rng(0)
    for _ in range(4):
        _perturb(models, rng)
        for lib in (ember, torch):
            averaged[lib].update_parameters(models[lib])
        _assert_state_equal(averaged[ember], averaged[torch])
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    for lib in (ember, torch):
        averaged[lib].eval()
    np.testing.assert_allclose(averaged[ember](ember.tensor(x)).detach().numpy(),
                               averaged[torch](torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_averaged_model_state_dict_loads_from_torch_and_rejects_two_functions():
    models = _models()
    averaged = {lib: SWA[lib].AveragedModel(models[lib]) for lib in (ember, torch)}
    averaged[torch].update_parameters(models[torch])
    averaged[torch].update_parameters(models[torch])
    averaged[ember].load_state_dict({k: ember.tensor(v.numpy().copy())
                                     for k, v in averaged[torch].state_dict().items()})
    assert int(averaged[ember].n_averaged) == 2
    _assert_state_equal(averaged[ember], averaged[torch])
    assert_same_error(
        lambda: ember_swa.AveragedModel(models[ember], avg_fn=ember_swa.get_swa_avg_fn(),
                                        multi_avg_fn=ember_swa.get_swa_multi_avg_fn()),
        lambda: torch_swa.AveragedModel(models[torch], avg_fn=torch_swa.get_swa_avg_fn(),
                                        multi_avg_fn=torch_swa.get_swa_multi_avg_fn()))


@pytest.mark.parametrize("name", ["get_ema_avg_fn", "get_ema_multi_avg_fn"])
@pytest.mark.parametrize("decay", [-0.1, 1.5])
def test_bad_decay_errors_match_torch(name, decay):
    assert_same_error(lambda: getattr(ember_swa, name)(decay),
                      lambda: getattr(torch_swa, name)(decay))


def test_avg_functions_on_tensors_match_torch():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 4)).astype(np.float32)
    ints = rng.integers(-20, 20, size=(2, 4))
    for make in ("get_ema_avg_fn", "get_swa_avg_fn"):
        outs = [getattr(SWA[lib], make)()(lib.tensor(a), lib.tensor(b), lib.tensor(3))
                for lib in (ember, torch)]
        np.testing.assert_allclose(outs[0].numpy(), outs[1].numpy(), rtol=1e-6)
    for make in ("get_ema_multi_avg_fn", "get_swa_multi_avg_fn"):
        cases = ((a, b), ints) if make == "get_ema_multi_avg_fn" else ((a, b),)
        for start, end in cases:
            outs = []
            for lib in (ember, torch):
                avg, cur = [lib.tensor(start.copy())], [lib.tensor(end.copy())]
                getattr(SWA[lib], make)()(avg, cur, lib.tensor(2))
                outs.append(avg[0].numpy())
            assert outs[0].dtype == outs[1].dtype
            np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6)


def test_update_bn_matches_torch():
    models = _models()
    rng = np.random.default_rng(3)
    batches = [rng.standard_normal((6, 3)).astype(np.float32) for _ in range(3)]
    for lib in (ember, torch):
        model = models[lib]
        model.eval()
        loader = [(lib.tensor(x), lib.zeros(6)) for x in batches[:2]] + [lib.tensor(batches[2])]
        SWA[lib].update_bn(loader, model)
        assert not model.training and model[1].momentum == 0.1
    _assert_state_equal(models[ember], models[torch], rtol=1e-5)
    plain = [lib.nn.Linear(2, 2) for lib in (ember, torch)]
    ember_swa.update_bn([ember.ones(1, 2)], plain[0])  # no batch norm: nothing to do


def _swalr_run(lib, kwargs, steps=14, groups=2):
    params = [lib.zeros(2, requires_grad=True) for _ in range(groups)]
    opt = lib.optim.SGD([{"params": [p], "lr": 0.5 + i} for i, p in enumerate(params)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = SWA[lib].SWALR(opt, **kwargs)
        lrs = [sched.get_last_lr()]
        for _ in range(steps):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
    state = sched.state_dict()
    return lrs, sorted(state), state["_anneal_strategy"], opt, sched


@pytest.mark.parametrize("kwargs", [
    dict(swa_lr=0.05), dict(swa_lr=[0.05, 0.2], anneal_epochs=4, anneal_strategy="linear"),
    dict(swa_lr=0.1, anneal_epochs=0), dict(swa_lr=0.1, anneal_epochs=1, anneal_strategy="cos"),
], ids=str)
def test_swalr_schedule_and_state_match_torch(kwargs):
    got, expected = _swalr_run(ember, kwargs), _swalr_run(torch, kwargs)
    for g, e in zip(got[0], expected[0]):
        assert g == pytest.approx(e, rel=1e-12)
    assert got[1:3] == expected[1:3]
    # A schedule restored from the state dict carries on the same way.
    opt, sched = got[3], got[4]
    state = sched.state_dict()
    fresh = ember_swa.SWALR(opt, swa_lr=1.0, anneal_strategy="linear")
    fresh.load_state_dict(state)
    assert fresh.anneal_func(0.5) == pytest.approx((1 - math.cos(math.pi * 0.5)) / 2) \
        if state["_anneal_strategy"] == "cos" else fresh.anneal_func(0.5) == 0.5


@pytest.mark.parametrize("kwargs", [
    dict(swa_lr=0.1, anneal_strategy="exp"), dict(swa_lr=0.1, anneal_epochs=-1),
    dict(swa_lr=0.1, anneal_epochs=2.5), dict(swa_lr=[0.1, 0.2, 0.3]),
], ids=str)
def test_swalr_argument_errors_match_torch(kwargs):
    def build(lib):
        opt = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=0.1)
        return SWA[lib].SWALR(opt, **kwargs)
    assert_same_error(lambda: build(ember), lambda: build(torch))


def test_swa_multi_avg_fn_refuses_integer_tensors_like_torch():
    for count in (2, "tensor"):
        calls = []
        for lib in (ember, torch):
            n = lib.tensor(2) if count == "tensor" else count
            avg, cur = [lib.tensor([1, 2])], [lib.tensor([4, 8])]
            calls.append(lambda lib=lib, avg=avg, cur=cur, n=n:
                         SWA[lib].get_swa_multi_avg_fn()(avg, cur, n))
        assert_same_error(*calls)
    models = _models()
    averaged = {lib: SWA[lib].AveragedModel(models[lib], use_buffers=True,
                                            multi_avg_fn=SWA[lib].get_swa_multi_avg_fn())
                for lib in (ember, torch)}
    for lib in (ember, torch):
        averaged[lib].update_parameters(models[lib])
    assert_same_error(lambda: averaged[ember].update_parameters(models[ember]),
                      lambda: averaged[torch].update_parameters(models[torch]))
