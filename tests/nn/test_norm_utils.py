"""Weight norm, spectral norm and orthogonal parametrizations (new and hook-based APIs)
against PyTorch."""

import warnings

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.utils import parametrizations as PS
from ember.nn.utils._householder import geqrf, householder_product
from helpers import assert_same_error, gradcheck_op, rng

torch = pytest.importorskip("torch")
TPS = torch.nn.utils.parametrizations
R = rng(5)

LAYERS = {"Linear": ((3, 4), (2, 3)), "Conv1d": ((2, 3, 2), (2, 2, 5)),
          "ConvTranspose1d": ((2, 3, 2), (2, 2, 5))}


def pair(kind="Linear", dtype="float64"):
    args = LAYERS[kind][0]
    return (getattr(nn, kind)(*args).to(getattr(ember, dtype)),
            getattr(torch.nn, kind)(*args).to(getattr(torch, dtype)))


def copy_state(e, t):
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})


def close(e, t, atol=1e-10):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), atol=atol, rtol=1e-6)


def run_both(e, t, kind="Linear", x_shape=None):
    """Forward the same input and backward the same upstream gradient through both."""
    x = R.standard_normal(x_shape or LAYERS[kind][1])
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    close(ye, yt)
    g = R.standard_normal(tuple(yt.shape))
    (ye * ember.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()


def grads_match(e, t, atol=1e-10):
    for (ne, pe), (nt, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert ne == nt
        close(pe.grad, pt.grad, atol)


# -- parametrizations.weight_norm -------------------------------------------------------------
@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("dim", [0, 1, -1, None])
def test_weight_norm_parametrization(kind, dim):
    e, t = pair(kind)
    PS.weight_norm(e, dim=dim)
    TPS.weight_norm(t, dim=dim)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    chain_e, chain_t = e.parametrizations.weight, t.parametrizations.weight
    assert chain_e.original0.shape == tuple(chain_t.original0.shape)
    copy_state(e, t)
    run_both(e, t, kind)
    grads_match(e, t)


def test_weight_norm_float32_and_gradcheck():
    e, t = pair("Linear", "float32")
    PS.weight_norm(e)
    TPS.weight_norm(t)
    copy_state(e, t)
    assert e.weight.dtype == ember.float32
    close(e.weight, t.weight, 1e-6)
    wn = PS._WeightNorm(0)
    gradcheck_op(lambda g, v: wn(g, v), R.random((4, 1)) + 0.5, R.standard_normal((4, 3)))
    whole = PS._WeightNorm(None)
    gradcheck_op(lambda g, v: whole(g, v), np.array(1.5), R.standard_normal((4, 3)))


# -- parametrizations.spectral_norm -----------------------------------------------------------
@pytest.mark.parametrize("kind", list(LAYERS))
def test_spectral_norm_parametrization(kind):
    e, t = pair(kind)
    PS.spectral_norm(e)
    TPS.spectral_norm(t)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert e.parametrizations.weight[0].dim == t.parametrizations.weight[0].dim
    copy_state(e, t)  # the random u, v too
    for training in (True, False):
        e.train(training)
        t.train(training)
        e.zero_grad()
        t.zero_grad()
        run_both(e, t, kind)
        grads_match(e, t)
        close(e.parametrizations.weight[0]._u, t.parametrizations.weight[0]._u)
        close(e.parametrizations.weight[0]._v, t.parametrizations.weight[0]._v)


def test_spectral_norm_estimates_the_top_singular_value():
    e = PS.spectral_norm(nn.Linear(5, 4).double())
    for _ in range(30):
        w = e.weight
    assert abs(np.linalg.svd(w.detach().numpy(), compute_uv=False)[0] - 1.0) < 1e-6
    bias_norm = PS.spectral_norm(nn.Linear(5, 4).double(), name="bias")
    assert abs(np.linalg.norm(bias_norm.bias.detach().numpy()) - 1.0) < 1e-12


def test_spectral_norm_errors():
    e, t = pair()
    for kwargs in ({"name": "foo"}, {"dim": 3}, {"dim": -3}, {"n_power_iterations": 0}):
        assert_same_error(lambda kw=kwargs: PS.spectral_norm(e, **kw),
                          lambda kw=kwargs: TPS.spectral_norm(t, **kw))


# -- parametrizations.orthogonal --------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4)])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder", None])
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_orthogonal(shape, orthogonal_map, use_trivialization):
    e, t = nn.Linear(shape[1], shape[0]).double(), torch.nn.Linear(shape[1], shape[0]).double()
    copy_state(e, t)
    PS.orthogonal(e, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    TPS.orthogonal(t, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert e.parametrizations.weight[0].orthogonal_map.name == \
        t.parametrizations.weight[0].orthogonal_map.name
    copy_state(e, t)
    close(e.weight, t.weight, 1e-9)
    run_both(e, t, x_shape=(2, shape[1]))
    grads_match(e, t, 1e-9)
    if use_trivialization or e.parametrizations.weight[0].orthogonal_map.name == "householder":
        q = np.linalg.qr(R.standard_normal((max(shape), min(shape))))[0]
        q = q if shape[0] >= shape[1] else q.T
        e.weight = ember.tensor(q)
        t.weight = torch.tensor(q)
        close(e.weight, t.weight, 1e-9)
        np.testing.assert_allclose(e.weight.detach().numpy(), q, atol=1e-9)


def test_orthogonal_batched_and_errors():
    weights = R.standard_normal((2, 3, 3))
    e, t = nn.Module(), torch.nn.Module()
    e.register_parameter("weight", nn.Parameter(ember.tensor(weights)))
    t.register_parameter("weight", torch.nn.Parameter(torch.tensor(weights)))
    PS.orthogonal(e)
    TPS.orthogonal(t)
    close(e.weight, t.weight, 1e-9)
    assert_same_error(lambda: setattr(e, "weight", ember.zeros(3, 3).double()),
                      lambda: setattr(t, "weight", torch.zeros(3, 3).double()))
    le, lt = nn.LayerNorm(3), torch.nn.LayerNorm(3)
    assert_same_error(lambda: PS.orthogonal(le), lambda: TPS.orthogonal(lt))
    le, lt = pair()
    assert_same_error(lambda: PS.orthogonal(le, orthogonal_map="foo"),
                      lambda: TPS.orthogonal(lt, orthogonal_map="foo"))
    assert_same_error(lambda: PS.orthogonal(le, name="foo"),
                      lambda: TPS.orthogonal(lt, name="foo"))
    me = PS.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False)
    mt = TPS.orthogonal(torch.nn.Linear(3, 3), orthogonal_map="cayley",
                        use_trivialization=False)
    assert_same_error(lambda: setattr(me, "weight", ember.eye(3)),
                      lambda: setattr(mt, "weight", torch.eye(3)))


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_maps_gradcheck(orthogonal_map):
    w = ember.zeros(4, 3)
    orth = PS._Orthogonal(w, PS._OrthMaps[orthogonal_map], use_trivialization=False)
    gradcheck_op(lambda x: orth(x), 0.5 * R.standard_normal((4, 3)))


def test_householder_helpers_match_torch():
    a = R.standard_normal((2, 5, 3))
    packed, tau = geqrf(ember.tensor(a))
    tpacked, ttau = torch.geqrf(torch.tensor(a))
    close(packed, tpacked, 1e-12)
    close(tau, ttau, 1e-12)
    close(householder_product(packed, tau), torch.linalg.householder_product(tpacked, ttau),
          1e-12)
    gradcheck_op(householder_product, tpacked.numpy(), ttau.numpy())


# -- the hook-based weight_norm / spectral_norm -----------------------------------------------
@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("dim", [0, 1, None])
def test_old_weight_norm(kind, dim):
    e, t = pair(kind)
    with pytest.warns(FutureWarning) as record:
        nn.utils.weight_norm(e, dim=dim)
    with warnings.catch_warnings(record=True) as trecord:
        warnings.simplefilter("always")
        torch.nn.utils.weight_norm(t, dim=dim)
    assert str(record[0].message) == str(trecord[0].message).replace("torch.", "ember.")
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    copy_state(e, t)
    run_both(e, t, kind)
    grads_match(e, t)
    nn.utils.remove_weight_norm(e)
    torch.nn.utils.remove_weight_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert not e._forward_pre_hooks
    close(e.weight, t.weight)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_old_spectral_norm(kind):
    e, t = pair(kind)
    nn.utils.spectral_norm(e)
    torch.nn.utils.spectral_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    copy_state(e, t)
    for training in (True, False):
        e.train(training)
        t.train(training)
        e.zero_grad()
        t.zero_grad()
        run_both(e, t, kind)
        grads_match(e, t)
        close(e.weight_u, t.weight_u)
        close(e.weight_v, t.weight_v)
    nn.utils.remove_spectral_norm(e)
    torch.nn.utils.remove_spectral_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    close(e.weight, t.weight)


def test_old_api_errors():
    e, t = pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        nn.utils.weight_norm(e)
        torch.nn.utils.weight_norm(t)
        assert_same_error(lambda: nn.utils.weight_norm(e), lambda: torch.nn.utils.weight_norm(t))
    assert_same_error(lambda: nn.utils.remove_weight_norm(e, "bias"),
                      lambda: torch.nn.utils.remove_weight_norm(t, "bias"))
    assert_same_error(lambda: nn.utils.remove_spectral_norm(e),
                      lambda: torch.nn.utils.remove_spectral_norm(t))
    e, t = pair()
    nn.utils.spectral_norm(e)
    torch.nn.utils.spectral_norm(t)
    assert_same_error(lambda: nn.utils.spectral_norm(e), lambda: torch.nn.utils.spectral_norm(t))
    e, t = pair()
    assert_same_error(lambda: nn.utils.spectral_norm(e, n_power_iterations=0),
                      lambda: torch.nn.utils.spectral_norm(t, n_power_iterations=0))
    e, t = nn.Linear(2, 2, bias=False), torch.nn.Linear(2, 2, bias=False)
    assert_same_error(lambda: nn.utils.spectral_norm(e, name="bias"),
                      lambda: torch.nn.utils.spectral_norm(t, name="bias"))


@pytest.mark.skipif(not hasattr(nn, "LazyLinear"), reason="no lazy modules")
def test_old_api_refuses_uninitialized_parameters():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for fn in ("weight_norm", "spectral_norm"):
            assert_same_error(lambda fn=fn: getattr(nn.utils, fn)(nn.LazyLinear(3)),
                              lambda fn=fn: getattr(torch.nn.utils, fn)(torch.nn.LazyLinear(3)))
