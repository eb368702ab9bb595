"""The fused recurrent loop (``_rnn_fused``) against the composed steps it replaces and
against torch's second derivatives."""

import numpy as np
import pytest
from helpers import rng

import ember
from ember.nn.modules import _rnn_cells

torch = pytest.importorskip("torch")

LAYERS = [("LSTM", {}), ("LSTM", {"proj_size": 2}), ("GRU", {}),
          ("RNN", {"nonlinearity": "tanh"}), ("RNN", {"nonlinearity": "relu"})]


def _pair(name, kwargs, dtype=np.float64, **options):
    torch.manual_seed(0)
    t = getattr(torch.nn, name)(3, 4, dtype=getattr(torch, np.dtype(dtype).name), **kwargs,
                                **options)
    e = getattr(ember.nn, name)(3, 4, dtype=getattr(ember, np.dtype(dtype).name), **kwargs,
                                **options)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


@pytest.mark.parametrize("name,kwargs", LAYERS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_fused_equals_composed(name, kwargs, bidirectional, monkeypatch):
    layer, _ = _pair(name, kwargs, num_layers=2, bidirectional=bidirectional)
    x = ember.tensor(rng(1).standard_normal((5, 2, 3)), requires_grad=True)
    seqs = [ember.tensor(rng(2).standard_normal((n, 3)), requires_grad=True) for n in (4, 2, 1)]
    results = []
    for fused in (True, False):
        if not fused:
            monkeypatch.setattr(_rnn_cells, "FUSED_MODES", ())
        packed = ember.nn.utils.rnn.pack_sequence(seqs)
        out, state = layer(x)
        pout, pstate = layer(packed)
        finals = state if isinstance(state, tuple) else (state,)
        pfinals = pstate if isinstance(pstate, tuple) else (pstate,)
        loss = (out * out).sum() + (pout.data ** 3).sum() + sum((f * 2).sum() for f in finals)
        loss = loss + sum((f * f).sum() for f in pfinals)
        params = [x, *seqs, *layer.parameters()]
        grads = ember.autograd.grad(loss, params)
        results.append([out, pout.data, *finals, *pfinals, *grads])
    for a, b in zip(*results):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("name,kwargs", LAYERS)
def test_second_derivatives_match_torch(name, kwargs):
    e_layer, t_layer = _pair(name, kwargs, bidirectional=True)
    data = rng(3).standard_normal((4, 2, 3))
    grads = []
    for lib, layer in ((ember, e_layer), (torch, t_layer)):
        x = lib.tensor(data, requires_grad=True)
        out, _ = layer(x)
        (gx,) = lib.autograd.grad((out * out).sum(), x, create_graph=True)
        w = next(iter(layer.parameters()))
        grads.append(lib.autograd.grad((gx * gx).sum(), [x, w]))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-7, atol=1e-10)


def test_float32_stays_float32_and_no_grad_records_nothing():
    layer, _ = _pair("LSTM", {}, dtype=np.float32)
    x = ember.randn(6, 2, 3)
    out, (h, c) = layer(x)
    assert out.dtype == h.dtype == c.dtype == ember.float32
    assert out.requires_grad and h.grad_fn is not None
    with ember.no_grad():
        out, (h, c) = layer(x)
    assert out.grad_fn is None and h.grad_fn is None
