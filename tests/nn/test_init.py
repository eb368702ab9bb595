"""nn.init against PyTorch: gains, fans, distributions, deterministic fills and errors."""

import math

import numpy as np
import pytest

import ember
from ember import nn
from helpers import assert_same_error

torch = pytest.importorskip("torch")
EI, TI = nn.init, torch.nn.init


@pytest.mark.parametrize("name,param", [
    ("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None),
    ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
    ("leaky_relu", 1), ("leaky_relu", math.sqrt(5)), ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert EI.calculate_gain(name, param) == TI.calculate_gain(name, param)


@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 3), (6, 2, 3, 3)])
def test_fans_match_torch(shape):
    assert EI._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
        TI._calculate_fan_in_and_fan_out(torch.empty(*shape))


def sample_pair(name, shape, **kwargs):
    e, t = ember.empty(*shape), torch.empty(*shape)
    getattr(EI, name)(e, **kwargs)
    getattr(TI, name)(t, **kwargs)
    return e.numpy(), t.numpy()


@pytest.mark.parametrize("name,kwargs", [
    ("uniform_", {"a": -2.0, "b": 3.0}), ("normal_", {"mean": 1.0, "std": 0.5}),
    ("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 2.0}), ("xavier_normal_", {}),
    ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {}), ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("trunc_normal_", {}), ("trunc_normal_", {"mean": 0.5, "std": 2.0, "a": -1.0, "b": 3.0}),
])
def test_distributions_match_torch(name, kwargs):
    e, t = sample_pair(name, (300, 200), **kwargs)
    assert e.dtype == np.float32
    stats = [np.mean, np.std, lambda v: np.quantile(v, 0.05), lambda v: np.quantile(v, 0.95)]
    if "uniform" in name or "trunc" in name:  # bounded: the extremes must agree too
        stats += [np.min, np.max]
    for stat in stats:
        assert abs(stat(e) - stat(t)) < 0.03 * np.std(t) + 0.01 * abs(stat(t)), stat


def test_deterministic_fills_match_torch():
    for name, shape, kwargs in [("constant_", (3, 4), {"val": 0.25}), ("ones_", (2, 3), {}),
                                ("zeros_", (5,), {}), ("eye_", (3, 5), {}),
                                ("eye_", (4, 2), {}), ("dirac_", (4, 3, 3), {}),
                                ("dirac_", (4, 2, 3, 3), {"groups": 2}),
                                ("dirac_", (2, 2, 1, 3, 3), {})]:
        e, t = sample_pair(name, shape, **kwargs)
        np.testing.assert_array_equal(e, t)


def test_orthogonal():
    for shape, gain in [((6, 4), 1.0), ((3, 8), 2.0), ((4, 2, 3), 1.0)]:
        w = EI.orthogonal_(ember.empty(*shape), gain=gain).numpy().reshape(shape[0], -1)
        small = w.T @ w if shape[0] >= w.shape[1] else w @ w.T
        np.testing.assert_allclose(small, gain**2 * np.eye(len(small)), atol=1e-5)


def test_parameters_are_filled_in_place_without_history():
    p = nn.Parameter(ember.empty(4, 3))
    version = p._version[0]
    assert EI.kaiming_uniform_(p) is p
    assert p.requires_grad and p.is_leaf and p.grad_fn is None and p._version[0] > version
    assert EI.normal_(p, 0, 1).dtype == ember.float32
    d = EI.xavier_normal_(ember.empty(3, 3, dtype=ember.float64))
    assert d.dtype == ember.float64


def test_seeding_and_generators():
    ember.manual_seed(5)
    a = EI.normal_(ember.empty(10)).numpy()
    ember.manual_seed(5)
    np.testing.assert_array_equal(EI.normal_(ember.empty(10)).numpy(), a)
    g1, g2 = ember.Generator().manual_seed(1), ember.Generator().manual_seed(1)
    np.testing.assert_array_equal(EI.uniform_(ember.empty(6), generator=g1).numpy(),
                                  EI.uniform_(ember.empty(6), generator=g2).numpy())


def test_trunc_normal_far_tail_and_warning():
    with pytest.warns(UserWarning) as ew:
        e = EI.trunc_normal_(ember.empty(2000), mean=5.0, std=1.0, a=-2.0, b=2.0).numpy()
    with pytest.warns(UserWarning) as tw:
        TI.trunc_normal_(torch.empty(3), mean=5.0, std=1.0, a=-2.0, b=2.0)
    assert str(ew[0].message) == str(tw[0].message)
    assert e.min() >= -2.0 and e.max() <= 2.0 and e.mean() > 1.5


def test_zero_element_warning_and_errors_match_torch():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        EI.kaiming_uniform_(ember.empty(0, 3))
    cases = [
        lambda L: L.nn.init.kaiming_uniform_(L.empty(3)),
        lambda L: L.nn.init.xavier_uniform_(L.empty(3)),
        lambda L: L.nn.init.calculate_gain("foo"),
        lambda L: L.nn.init.calculate_gain("leaky_relu", "x"),
        lambda L: L.nn.init.calculate_gain("leaky_relu", True),
        lambda L: L.nn.init.kaiming_normal_(L.empty(3, 3), mode="x"),
        lambda L: L.nn.init.eye_(L.empty(3, 3, 3)),
        lambda L: L.nn.init.orthogonal_(L.empty(3)),
        lambda L: L.nn.init.dirac_(L.empty(3, 3)),
    ]
    for case in cases:
        assert_same_error(lambda c=case: c(ember), lambda c=case: c(torch))
