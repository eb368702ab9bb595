"""NAdam, RAdam, Adamax, Adadelta, Rprop, ASGD and LBFGS against PyTorch: signatures, argument
checks, repr, trajectories over their options, state dicts and their loading."""

import inspect

import numpy as np
import pytest

import ember
from helpers import assert_same_error
from ._compare import assert_params_close, feed_and_step, make_pair, to_ember, to_torch

torch = pytest.importorskip("torch")

NAMES = ["NAdam", "RAdam", "Adamax", "Adadelta", "Rprop", "ASGD"]

OPTIONS = {
    "NAdam": [dict(), dict(weight_decay=0.1), dict(weight_decay=0.1, decoupled_weight_decay=True),
              dict(momentum_decay=0.3, maximize=True, lr=0.05), dict(betas=(0.5, 0.7), eps=1e-3)],
    "RAdam": [dict(), dict(weight_decay=0.1, maximize=True),
              dict(weight_decay=0.1, decoupled_weight_decay=True, lr=0.05),
              dict(betas=(0.5, 0.7), eps=1e-3)],
    "Adamax": [dict(), dict(weight_decay=0.1, maximize=True), dict(betas=(0.5, 0.7), lr=0.1)],
    "Adadelta": [dict(), dict(weight_decay=0.1, maximize=True), dict(rho=0.5, eps=1e-3, lr=0.5)],
    "Rprop": [dict(), dict(maximize=True, lr=0.1), dict(etas=(0.3, 1.7), step_sizes=(0.02, 0.2))],
    "ASGD": [dict(), dict(weight_decay=0.1, maximize=True), dict(t0=3, lambd=0.1, alpha=0.5,
                                                                 lr=0.1)],
}
CASES = [(name, kwargs) for name, options in OPTIONS.items() for kwargs in options]


def _state_close(got, expected, rtol=1e-4, atol=1e-6):
    """Two optimizer state dicts (ember's, torch's) with the same structure and values."""
    assert got["param_groups"] == expected["param_groups"]
    assert list(got["state"]) == list(expected["state"])
    for index, t_state in expected["state"].items():
        e_state = got["state"][index]
        assert list(e_state) == list(t_state)
        for key, value in t_state.items():
            _value_close(e_state[key], value, rtol, atol)


def _value_close(got, expected, rtol, atol):
    if isinstance(expected, torch.Tensor):
        assert isinstance(got, ember.Tensor)
        assert got.dtype.__repr__().split(".")[-1] == repr(expected.dtype).split(".")[-1]
        assert tuple(got.shape) == tuple(expected.shape)
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=rtol, atol=atol)
    elif isinstance(expected, list):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            _value_close(g, e, rtol, atol)
    elif isinstance(expected, float):
        assert type(got) is float and got == pytest.approx(expected, rel=rtol, abs=atol)
    else:
        assert type(got) is type(expected) and got == expected


@pytest.mark.parametrize("name", NAMES + ["LBFGS"])
def test_signature_and_repr_match_torch(name):
    ours, theirs = (inspect.signature(getattr(lib.optim, name).__init__) for lib in (ember,
                                                                                      torch))
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.parameters.values()]
    params = [lib.ones(2, requires_grad=True) for lib in (ember, torch)]
    made = [getattr(lib.optim, name)([w]) for lib, w in zip((ember, torch), params)]
    assert repr(made[0]) == repr(made[1])


@pytest.mark.parametrize("name, kwargs", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_trajectories_and_state_match_torch(name, kwargs, dtype):
    pairs = make_pair(torch, name, kwargs, dtype)
    feed_and_step(torch, pairs, steps=9, skip_every=3)
    assert_params_close(pairs[0], pairs[1])
    _state_close(pairs[2].state_dict(), pairs[3].state_dict())
    assert repr(pairs[2]) == repr(pairs[3])


@pytest.mark.parametrize("name", NAMES)
def test_complex_parameters_match_torch(name):
    rng = np.random.default_rng(3)
    start = (rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))).astype(np.complex64)
    grads = (rng.standard_normal((4, 3, 2)) + 1j * rng.standard_normal((4, 3, 2)))
    results = []
    for lib in (ember, torch):
        w = lib.tensor(start.copy(), requires_grad=True)
        opt = getattr(lib.optim, name)([w], lr=0.05, **({} if name == "Rprop" else
                                                           {"weight_decay": 0.1}))
        for g in grads.astype(np.complex64):
            w.grad = lib.tensor(g.copy())
            opt.step()
        results.append(w.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-4, atol=1e-6)


def _two_groups(lib, name, arrays):
    params = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    extra = {"NAdam": dict(momentum_decay=0.1, decoupled_weight_decay=True, weight_decay=0.2),
             "RAdam": dict(betas=(0.6, 0.7), weight_decay=0.2), "Adamax": dict(eps=0.1),
             "Adadelta": dict(rho=0.6), "Rprop": dict(etas=(0.4, 1.5)),
             "ASGD": dict(t0=2, lambd=0.01)}[name]
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": 0.03, "maximize": True,
                                       **extra}]
    return params, getattr(lib.optim, name)(groups, lr=0.01)


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_state_dict_and_loading_match_torch(name):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(3, 2), (4,), (2, 2)]]
    e_params, e_opt = _two_groups(ember, name, arrays)
    t_params, t_opt = _two_groups(torch, name, arrays)
    pairs = (e_params, t_params, e_opt, t_opt)
    feed_and_step(torch, pairs, steps=4, skip_every=2)
    assert repr(e_opt) == repr(t_opt)
    _state_close(e_opt.state_dict(), t_opt.state_dict())
    # torch's state loads into a fresh ember optimizer and ember's into a fresh torch one;
    # both continue exactly as the originals do.
    e_new_params, e_new = _two_groups(ember, name, [t.detach().numpy() for t in t_params])
    e_new.load_state_dict(to_ember(torch, t_opt.state_dict()))
    t_new_params, t_new = _two_groups(torch, name, [e._data for e in e_params])
    t_new.load_state_dict(to_torch(torch, e_opt.state_dict()))
    _state_close(e_new.state_dict(), t_opt.state_dict())
    feed_and_step(torch, (e_new_params, t_params, e_new, t_opt), steps=3, seed=5)
    feed_and_step(torch, (e_params, t_new_params, e_opt, t_new), steps=3, seed=5)
    assert_params_close(e_new_params, t_params)
    assert_params_close(e_params, t_new_params)


def test_state_scalars_follow_torch_under_float64_default():
    previous = ember.get_default_dtype(), torch.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        pairs = make_pair(torch, "ASGD", dict(t0=1), np.float32)
        feed_and_step(torch, pairs, steps=3)
        _state_close(pairs[2].state_dict(), pairs[3].state_dict())
    finally:
        ember.set_default_dtype(previous[0])
        torch.set_default_dtype(previous[1])


BAD_ARGS = [
    ("NAdam", dict(lr=-0.1)), ("NAdam", dict(eps=-1.0)), ("NAdam", dict(betas=(1.0, 0.9))),
    ("NAdam", dict(betas=(0.9, -0.1))), ("NAdam", dict(weight_decay=-1)),
    ("NAdam", dict(momentum_decay=-0.5)),
    ("RAdam", dict(lr=-1e-3)), ("RAdam", dict(eps=-1e-3)), ("RAdam", dict(betas=(0.9, 1.0))),
    ("RAdam", dict(weight_decay=-0.1)),
    ("Adamax", dict(lr=-1.0)), ("Adamax", dict(betas=(-0.1, 0.9))), ("Adamax", dict(eps=-1)),
    ("Adamax", dict(weight_decay=-2)),
    ("Adadelta", dict(lr=-1.0)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1e-6)),
    ("Adadelta", dict(weight_decay=-1)),
    ("Rprop", dict(lr=-1.0)), ("Rprop", dict(etas=(1.2, 0.5))), ("Rprop", dict(etas=(0.5, 1.0))),
    ("ASGD", dict(lr=-0.5)), ("ASGD", dict(weight_decay=-0.5)),
    ("LBFGS", dict(lr=-1.0)),
]


@pytest.mark.parametrize("name, kwargs", BAD_ARGS, ids=str)
def test_argument_errors_match_torch(name, kwargs):
    assert_same_error(lambda: getattr(ember.optim, name)([ember.ones(2, requires_grad=True)],
                                                         **kwargs),
                      lambda: getattr(torch.optim, name)([torch.ones(2, requires_grad=True)],
                                                         **kwargs))


@pytest.mark.parametrize("name", NAMES + ["LBFGS"])
def test_tensor_lr_checks_and_steps_match_torch(name):
    assert_same_error(lambda: getattr(ember.optim, name)([ember.ones(2, requires_grad=True)],
                                                         lr=ember.tensor([0.1, 0.2])),
                      lambda: getattr(torch.optim, name)([torch.ones(2, requires_grad=True)],
                                                         lr=torch.tensor([0.1, 0.2])))
    if name == "LBFGS":
        return
    rng = np.random.default_rng(1)
    start, grads = rng.standard_normal(5), rng.standard_normal((3, 5))
    results = []
    for lib in (ember, torch):
        w = lib.tensor(start.copy(), requires_grad=True)
        opt = getattr(lib.optim, name)([w], lr=lib.tensor(0.05, dtype=lib.float64))
        for g in grads:
            w.grad = lib.tensor(g.copy())
            opt.step()
        results.append(w.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


def test_lbfgs_rejects_several_groups_like_torch():
    assert_same_error(
        lambda: ember.optim.LBFGS([{"params": [ember.ones(2, requires_grad=True)]},
                                   {"params": [ember.ones(2, requires_grad=True)]}]),
        lambda: torch.optim.LBFGS([{"params": [torch.ones(2, requires_grad=True)]},
                                   {"params": [torch.ones(2, requires_grad=True)]}]))


# -- LBFGS -------------------------------------------------------------------------------
def _lbfgs_problem(lib, dtype, kwargs, seed=0):
    """Rosenbrock in pairs of coordinates, plus a small quadratic coupling, so the search
    needs several iterations and curvature pairs."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(-1.5, 1.5, size=(2, 3)).astype(dtype)
    coupling = rng.standard_normal((3, 3)).astype(dtype) * 0.1
    x = lib.tensor(start[0].copy(), requires_grad=True)
    y = lib.tensor(start[1].copy(), requires_grad=True)
    m = lib.tensor(coupling)
    opt = lib.optim.LBFGS([x, y], **kwargs)

    def closure():
        opt.zero_grad()
        loss = ((1 - x) ** 2 + 10 * (y - x * x) ** 2).sum() + (x * (m @ y)).sum() ** 2
        loss.backward()
        return loss
    return [x, y], opt, closure


LBFGS_CASES = [
    dict(), dict(lr=0.5, history_size=2, max_iter=7),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", history_size=3, max_iter=10, max_eval=12),
    dict(max_iter=30, tolerance_grad=1e-3, tolerance_change=1e-4),
    dict(line_search_fn="strong_wolfe", max_eval=2),
]


@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lbfgs_matches_torch(kwargs, dtype):
    e_params, e_opt, e_closure = _lbfgs_problem(ember, dtype, kwargs)
    t_params, t_opt, t_closure = _lbfgs_problem(torch, dtype, kwargs)
    # In float32, rounding (BLAS summation order) grows over the iterations of this
    # non-convex problem: one call (up to max_iter iterations) is compared there.
    rtol, atol = (2e-3, 1e-4) if dtype == np.float32 else (1e-8, 1e-10)
    for _ in range(1 if dtype == np.float32 else 3):
        e_loss, t_loss = e_opt.step(e_closure), t_opt.step(t_closure)
        assert float(e_loss) == pytest.approx(float(t_loss.detach()), rel=rtol, abs=atol)
        for e, t in zip(e_params, t_params):
            np.testing.assert_allclose(e._data, t.detach().numpy(), rtol=rtol, atol=atol)
    # Curvature pairs are differences of nearby gradients: in float32 they keep only a few
    # digits, and rounding shows there first.
    state_tol = dict(rtol=0.05, atol=1e-3) if dtype == np.float32 else dict(rtol=rtol, atol=atol)
    _state_close(e_opt.state_dict(), t_opt.state_dict(), **state_tol)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_state_dict_loads_both_ways(line_search_fn):
    kwargs = dict(line_search_fn=line_search_fn, history_size=4, max_iter=5)
    e_params, e_opt, e_closure = _lbfgs_problem(ember, np.float64, kwargs)
    t_params, t_opt, t_closure = _lbfgs_problem(torch, np.float64, kwargs)
    e_opt.step(e_closure)
    t_opt.step(t_closure)
    # Swap the states: each optimizer carries on from the other library's state.
    e_opt.load_state_dict(to_ember(torch, t_opt.state_dict()))
    t_opt.load_state_dict(to_torch(torch, e_opt.state_dict()))
    for _ in range(2):
        e_opt.step(e_closure)
        t_opt.step(t_closure)
    # Rounding differences before the swap grow a little over the iterations that follow.
    for e, t in zip(e_params, t_params):
        np.testing.assert_allclose(e._data, t.detach().numpy(), rtol=1e-6, atol=1e-8)
    _state_close(e_opt.state_dict(), t_opt.state_dict(), rtol=1e-5, atol=1e-8)


def test_lbfgs_stops_at_once_on_a_small_gradient_and_rejects_unknown_search():
    for lib in (ember, torch):
        w = lib.zeros(3, requires_grad=True)
        opt = lib.optim.LBFGS([w])

        def closure(w=w, opt=opt):
            opt.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss
        assert float(opt.step(closure).detach()) == 0.0
        assert set(opt.state_dict()["state"][0]) == {"func_evals", "n_iter"}
    builds = []
    for lib in (ember, torch):
        w = lib.ones(3, requires_grad=True)
        opt = lib.optim.LBFGS([w], line_search_fn="backtracking")

        def closure(w=w, opt=opt):
            opt.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss
        builds.append(lambda opt=opt, closure=closure: opt.step(closure))
    assert_same_error(builds[0], builds[1])
