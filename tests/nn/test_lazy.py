"""Lazy layers and uninitialized parameters against PyTorch: repr before and after the first
call, inferred shapes, the class swap, state_dict, conversions and errors."""

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from helpers import assert_same, assert_same_error, rng

torch = pytest.importorskip("torch")

CASES = [
    ("LazyLinear", (5,), {}, (2, 3)), ("LazyLinear", (4,), {"bias": False}, (2, 3, 6)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 7)),
    ("LazyConv1d", (4, 3), {"groups": 2, "stride": 2}, (6, 9)),
    ("LazyConv2d", (4, 3), {"bias": False, "dilation": 2}, (1, 2, 7, 7)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5)),
    ("LazyConvTranspose2d", (6, 2), {"groups": 3}, (1, 3, 4, 4)),
    ("LazyBatchNorm1d", (), {}, (4, 3)), ("LazyBatchNorm1d", (), {"affine": False}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyBatchNorm2d", (), {"momentum": None, "bias": False}, (2, 3, 4, 4)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", CASES)
def test_lazy_layer_matches_torch(name, args, kwargs, shape):
    e, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert e.has_uninitialized_params() and t.has_uninitialized_params()
    x = rng(0).standard_normal(shape).astype(np.float32)
    t(torch.from_numpy(x))
    e(ember.from_numpy(x))  # first call: shapes inferred, then the ordinary layer runs
    assert type(e).__name__ == type(t).__name__ == name[len("Lazy"):]
    assert repr(e) == repr(t)
    assert not any(is_lazy(v) for v in e.state_dict(keep_vars=True).values())
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    # With torch's values loaded the layers agree in output and gradients.
    e.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in
                       t.state_dict().items()})
    xe, xt = ember.from_numpy(x).requires_grad_(), torch.from_numpy(x).requires_grad_()
    eo, to = e(xe), t(xt)
    assert_same(eo, to, atol=1e-5)
    g = rng(1).standard_normal(tuple(to.shape)).astype(np.float32)
    eo.backward(ember.from_numpy(g.copy()))
    to.backward(torch.from_numpy(g))
    assert_same(xe.grad, xt.grad, atol=1e-5)
    for (name_e, pe), (name_t, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert name_e == name_t
        assert_same(pe.grad, pt.grad, atol=1e-4, what=name_e)


def test_initialization_distribution_like_the_ordinary_layer():
    e = nn.LazyLinear(200)
    e(ember.ones(1, 100))
    w = e.weight.detach().numpy()
    assert np.abs(w).max() <= 0.1 and np.abs(w).max() > 0.09 and abs(w.mean()) < 0.01
    b = nn.LazyBatchNorm1d()
    b(ember.ones(2, 3))
    np.testing.assert_array_equal(b.weight.detach().numpy(), np.ones(3, np.float32))


def test_parameters_keep_identity_and_dtype():
    m = nn.LazyLinear(3, dtype=ember.float64)
    weight = m.weight
    assert weight.dtype == ember.float64 and weight.requires_grad
    m(ember.ones(2, 4, dtype=ember.float64))
    assert m.weight is weight and type(weight) is nn.Parameter
    assert m.weight.dtype == ember.float64
    d = nn.LazyLinear(2).double()
    assert d.weight.dtype == ember.float64 and is_lazy(d.weight)
    d(ember.ones(1, 3, dtype=ember.float64))
    assert d.weight.dtype == ember.float64


def test_uninitialized_tensors_like_torch():
    for e, t in [(UninitializedParameter(), torch.nn.parameter.UninitializedParameter()),
                 (UninitializedBuffer(), torch.nn.parameter.UninitializedBuffer())]:
        assert repr(e) == repr(t)
        assert e.requires_grad == t.requires_grad
        assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        assert_same_error(lambda e=e: e.shape, lambda t=t: t.shape)
        with pytest.raises(ValueError, match="Attempted to use an uninitialized"):
            e + 1
        with pytest.raises(ValueError, match="uninitialized"):
            e.numel()
    p = UninitializedParameter(dtype=ember.float64)
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and tuple(p.shape) == (2, 3) and p.dtype == ember.float64
    b = UninitializedBuffer()
    b.materialize(4)
    assert type(b) is ember.Tensor and tuple(b.shape) == (4,)
    assert is_lazy(UninitializedParameter()) and not is_lazy(p)
    assert nn.UninitializedParameter is UninitializedParameter


def test_load_state_dict_materializes_and_lazy_state_is_refused():
    src = torch.nn.Linear(3, 4)
    e = nn.LazyLinear(4)
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in src.state_dict().items()})
    assert type(e).__name__ == "LazyLinear" and tuple(e.weight.shape) == (4, 3)
    assert repr(e) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    x = rng(2).standard_normal((2, 3)).astype(np.float32)
    assert_same(e(ember.from_numpy(x)), src(torch.from_numpy(x)))
    assert type(e) is nn.Linear and repr(e) == repr(src)
    assert_same_error(lambda: nn.Linear(3, 4).load_state_dict(nn.LazyLinear(4).state_dict()),
                      lambda: torch.nn.Linear(3, 4).load_state_dict(
                          torch.nn.LazyLinear(4).state_dict()))


def test_errors_like_torch():
    cases = [lambda L: L.nn.LazyConv1d(4, 3)(L.zeros(2, 2, 3, 5)),
             lambda L: L.nn.LazyConv2d(4, 3)(L.zeros(2, 5)),
             lambda L: L.nn.LazyConv1d(4, 3, groups=2)(L.zeros(2, 3, 5)),
             lambda L: L.nn.LazyBatchNorm2d()(L.zeros(2, 3)),
             lambda L: L.nn.LazyLinear(3)(L.zeros(2, 4, dtype=L.float64))]
    for case in cases:
        assert_same_error(lambda c=case: c(ember), lambda c=case: c(torch),
                          match_message=case is not cases[0])
    with pytest.raises(RuntimeError, match=r"Expected 2D \(unbatched\) or 3D \(batched\) input "
                                           r"to LazyConv1d, but got input of size: "):
        nn.LazyConv1d(4, 3)(ember.zeros(2, 2, 3, 5))


@pytest.mark.filterwarnings("ignore:input's size at dim=1")
@pytest.mark.parametrize("make,shape", [
    ("LazyConv3d(4, 2)", (1, 2, 3, 3, 3)), ("LazyConvTranspose3d(4, 2, stride=2)", (1, 2, 3, 3, 3)),
    ("LazyBatchNorm3d()", (2, 2, 3, 3, 3)), ("LazyInstanceNorm1d()", (2, 3, 4)),
    ("LazyInstanceNorm2d(affine=False)", (2, 3, 4, 4)),
    ("LazyInstanceNorm3d(track_running_stats=False)", (2, 2, 3, 3, 3)),
    ("LazyInstanceNorm1d(affine=False, track_running_stats=False)", (2, 3, 4)),
    ("LazyBatchNorm1d(affine=False, track_running_stats=False)", (2, 3, 4)),
])
def test_more_lazy_layers_match_torch(make, shape):
    e, t = eval("nn." + make, {"nn": ember.nn}), eval("nn." + make, {"nn": torch.nn})
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    t(torch.tensor(x))
    e(ember.tensor(x))
    assert repr(e) == repr(t) and type(e).__name__ == type(t).__name__
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
