"""nn.utils against PyTorch: gradient clipping and parameter vectors."""

import math

import numpy as np
import pytest

import ember
from ember import nn
from helpers import assert_same_error, rng

torch = pytest.importorskip("torch")
R = rng(2)


def params_with_grads(lib, grads):
    params = []
    for g in grads:
        p = lib.nn.Parameter(lib.zeros(*g.shape))
        p.grad = lib.tensor(g) if g is not None else None
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    grads = [R.standard_normal((3, 4)).astype(np.float32), R.standard_normal(5).astype(np.float32)]
    ep, tp = params_with_grads(ember, grads), params_with_grads(torch, grads)
    en = nn.utils.clip_grad_norm_(ep, max_norm, norm_type)
    tn = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    np.testing.assert_allclose(en.numpy(), tn.numpy(), rtol=1e-5)
    assert en.dtype == ember.float32 and en.shape == ()
    for e, t in zip(ep, tp):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_value_and_edge_cases():
    grads = [R.standard_normal((4, 4)).astype(np.float32) * 3]
    ep, tp = params_with_grads(ember, grads), params_with_grads(torch, grads)
    nn.utils.clip_grad_value_(ep, 0.7)
    torch.nn.utils.clip_grad_value_(tp, 0.7)
    np.testing.assert_allclose(ep[0].grad.numpy(), tp[0].grad.numpy())
    single = nn.Parameter(ember.ones(2))
    assert float(nn.utils.clip_grad_norm_(single, 1.0)) == 0.0  # no gradient yet
    bad = params_with_grads(ember, [np.array([np.inf, 1.0], np.float32)])
    tbad = params_with_grads(torch, [np.array([np.inf, 1.0], np.float32)])
    assert_same_error(lambda: nn.utils.clip_grad_norm_(bad, 1.0, error_if_nonfinite=True),
                      lambda: torch.nn.utils.clip_grad_norm_(tbad, 1.0, error_if_nonfinite=True))


def test_parameters_to_vector_and_back():
    e, t = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    ev = nn.utils.parameters_to_vector(e.parameters())
    tv = torch.nn.utils.parameters_to_vector(t.parameters())
    np.testing.assert_allclose(ev.detach().numpy(), tv.detach().numpy())
    nn.utils.vector_to_parameters(ember.arange(8.0), e.parameters())
    np.testing.assert_array_equal(e.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(e.bias.detach().numpy(), [6.0, 7.0])
